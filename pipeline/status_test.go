package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"kaohe/pipeline/state"
)

// TestLastRunRecorded: every run that gets the lock records itself, a
// failed one keeps the time of the last success, and a run refused by the
// lock leaves the record alone.
func TestLastRunRecorded(t *testing.T) {
	w := newWorld(t)
	if lr, err := state.ReadLastRun(w.state); lr != nil || err != nil {
		t.Fatalf("before any run: %+v, %v", lr, err)
	}
	set := demoSet(w.std, 6)
	for i, in := range w.std.Institutions[:2] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	w.drop("broken.xlsx", []byte("not a workbook"))
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	ok, err := state.ReadLastRun(w.state)
	if err != nil {
		t.Fatal(err)
	}
	want := state.LastRun{Run: s.Run, OK: true, New: 3, Accepted: 2, Rejected: 1, Ranked: 2, Missing: 30,
		Report: filepath.Join(w.out, ReportName(w.std)), Start: ok.Start, End: ok.End, LastSuccess: ok.Start}
	if !reflect.DeepEqual(*ok, want) {
		t.Errorf("last run =\n%+v\nwant\n%+v", *ok, want)
	}
	if ok.End.Before(ok.Start) || ok.Start.IsZero() {
		t.Errorf("start %v, end %v", ok.Start, ok.End)
	}

	// The inbox is gone: the run fails and says why.
	if err := os.Rename(w.inbox, w.inbox+".away"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(); err == nil {
		t.Fatal("no error without an inbox")
	}
	failed, err := state.ReadLastRun(w.state)
	if err != nil {
		t.Fatal(err)
	}
	if failed.OK || !strings.Contains(failed.Error, "收件文件夹") || !failed.LastSuccess.Equal(ok.Start) || failed.Report != "" {
		t.Errorf("failed run recorded as %+v", failed)
	}

	// Another process holds the lock: the refused run records nothing.
	unlock, err := state.Lock(w.state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("err = %v, want state.ErrLocked", err)
	}
	unlock()
	if again, _ := state.ReadLastRun(w.state); !again.End.Equal(failed.End) {
		t.Errorf("a refused run overwrote last-run.json: %+v", again)
	}
}

func TestReadStatus(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2014, 1, 5, 10, 0, 0, 0, sh)
	due, next := time.Date(2014, 1, 5, 2, 0, 0, 0, sh), time.Date(2014, 1, 6, 2, 0, 0, 0, sh)
	for _, tc := range []struct {
		name    string
		last    *state.LastRun
		overdue bool
	}{
		{"never ran", nil, true},
		{"ran after the due time", &state.LastRun{OK: true, LastSuccess: due.Add(time.Second)}, false},
		{"missed last night", &state.LastRun{OK: true, LastSuccess: due.Add(-24 * time.Hour)}, true},
		{"failed last night", &state.LastRun{OK: false, Error: "x", LastSuccess: due.Add(-24 * time.Hour)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := serveConfig(t, DefaultSchedule)
			if tc.last != nil {
				if err := state.WriteLastRun(cfg.State, tc.last); err != nil {
					t.Fatal(err)
				}
			}
			st, err := ReadStatus(cfg, now)
			if err != nil {
				t.Fatal(err)
			}
			if st.Overdue != tc.overdue || !st.LastDue.Equal(due) || !st.Next.Equal(next) || (st.Last == nil) != (tc.last == nil) {
				t.Errorf("status = %+v", st)
			}
		})
	}
}
