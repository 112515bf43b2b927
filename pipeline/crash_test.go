package pipeline

// Crash safety: a run killed at any named stage (a real child process
// whose Hooks.Crash exits 97 at the stage KAOHE_CRASH_AT names) loses no
// input and counts none twice, and the next run writes the same report as
// a run never interrupted and removes the killed run's temporary files. A
// full disk while writing leaves the previous report intact.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
)

// crashStages are the kill points of a run, in order (see Hooks).
var crashStages = []string{"after-fetch", "report-temp-written", "report-renamed", "before-ledger-commit", "before-archiving"}

// childSpec is what a child process runs: one Run over these folders at Now.
type childSpec struct {
	Inbox, Out, State string
	Now               time.Time
	Summary           string // where to write the Summary as JSON ("" for nowhere)
}

// runChild runs one Run in a child process (the test binary re-executed,
// running TestRunChild) with extra environment variables, and returns its
// exit code, its output and its resource usage.
func runChild(t *testing.T, spec childSpec, env ...string) (int, string, *syscall.Rusage) {
	t.Helper()
	b, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$", "-test.count=1", "-test.timeout=5m")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KAOHE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, "KAOHE_RUN_CHILD="+string(b))...)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running the child: %v", err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return code, string(out), ru
}

// TestRunChild is the child process of the crash and corpus tests: it runs
// the run KAOHE_RUN_CHILD describes, and exits 97 at the kill point
// KAOHE_CRASH_AT names.
func TestRunChild(t *testing.T) {
	raw := os.Getenv("KAOHE_RUN_CHILD")
	if raw == "" {
		t.Skip("the child process of TestKillPoints and TestHostileCorpusRun")
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State, cfg.Settle = spec.Inbox, spec.Out, spec.State, 0
	at := os.Getenv("KAOHE_CRASH_AT")
	crash := func(stage string) {
		if stage == at {
			fmt.Fprintf(os.Stderr, "kaohe: crash point %s\n", stage)
			os.Exit(97)
		}
	}
	s, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return spec.Now }, Hooks: Hooks{Crash: crash}})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Summary != "" {
		b, _ := json.Marshal(s)
		if err := os.WriteFile(spec.Summary, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// crashBatches are two days of uploads: name -> bytes, made once so that
// every world gets the same bytes (and hashes).
type crashBatches struct {
	a, b map[string][]byte
}

func newCrashBatches(t *testing.T, w *world) crashBatches {
	set := demoSet(w.std, 11)
	fill := func(inst string, edit func(map[string]any)) []byte {
		v := map[string]any{}
		for k, x := range set[inst] {
			v[k] = x
		}
		if edit != nil {
			edit(v)
		}
		var buf bytes.Buffer
		if err := sheets.Fill(bytes.NewReader(w.tmpl[inst]), &buf, v); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	in := w.std.Institutions
	a := map[string][]byte{
		"a0.xlsx": fill(in[0].Name, nil), "a1.xlsx": fill(in[1].Name, nil), "a2.xlsx": fill(in[2].Name, nil),
		"a-bad.xlsx": fill(in[3].Name, func(v map[string]any) { v["actual_certified"] = "一千二" }),
	}
	b := map[string][]byte{
		"b4.xlsx": fill(in[4].Name, nil), "b5.xlsx": fill(in[5].Name, nil),
		"b1-again.xlsx": fill(in[1].Name, func(v map[string]any) { v["i4_dev_projects"] = int64(3) }),
		"b-csv.xlsx":    []byte("鉴定机构,人数\n常柴,1\n"),
		"b-copy.xlsx":   a["a0.xlsx"], // consumed yesterday: a duplicate
	}
	return crashBatches{a: a, b: b}
}

// dropAll puts files into w's inbox, an hour before w's next run.
func (w *world) dropAll(files map[string][]byte) {
	for name, b := range files {
		w.drop(name, b)
	}
}

// ledgerHashes is the ledger's hashes, sorted, and fails on a repeated one.
func ledgerHashes(t *testing.T, dir string) []string {
	t.Helper()
	l, err := state.OpenLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range l.Records {
		if seen[r.Hash] {
			t.Errorf("ledger counts %s twice", r.Hash[:12])
		}
		seen[r.Hash] = true
		out = append(out, r.Hash)
	}
	sort.Strings(out)
	return out
}

// tempFiles lists kaohe's temporary files under dir.
func tempFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), store.TempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// inboxHashes is the hash of every file under the inbox, by where it is:
// "archive", "rejected" or "inbox".
func inboxHashes(t *testing.T, inbox string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, f := range files(t, inbox) {
		b, err := os.ReadFile(filepath.Join(inbox, f))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		where := "inbox"
		if d, _, ok := strings.Cut(f, "/"); ok {
			where = d
		}
		out[where] = append(out[where], hex.EncodeToString(h[:]))
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func TestKillPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	// The uninterrupted reference: day A, then day B.
	ref := newWorld(t)
	batches := newCrashBatches(t, ref)
	ref.dropAll(batches.a)
	if _, err := ref.run(); err != nil {
		t.Fatal(err)
	}
	ref.dropAll(batches.b)
	if _, err := ref.run(); err != nil {
		t.Fatal(err)
	}
	refReport := dump(t, filepath.Join(ref.out, ReportName(ref.std)))
	refLedger := ledgerHashes(t, ref.state)
	refInbox := inboxHashes(t, ref.inbox)
	refReceipts := files(t, filepath.Join(ref.out, ReceiptDir))
	if len(refInbox["inbox"]) != 0 || len(refInbox["archive"])+len(refInbox["rejected"]) != len(batches.a)+len(batches.b) {
		t.Fatalf("reference inbox: %v", refInbox)
	}

	for _, stage := range crashStages {
		t.Run(stage, func(t *testing.T) {
			w := newWorld(t)
			w.tmpl = ref.tmpl
			w.dropAll(batches.a)
			if _, err := w.run(); err != nil {
				t.Fatal(err)
			}
			report := filepath.Join(w.out, ReportName(w.std))
			dayA, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			w.dropAll(batches.b)
			code, out, _ := runChild(t, childSpec{Inbox: w.inbox, Out: w.out, State: w.state, Now: w.now}, "KAOHE_CRASH_AT="+stage)
			if code != 97 || !strings.Contains(out, "kaohe: crash point "+stage) {
				t.Fatalf("child exit %d, want 97 at %s:\n%s", code, stage, out)
			}
			w.now = w.now.Add(24 * time.Hour)

			// Killed: nothing lost, and the report in place is a whole one.
			if got := inboxHashes(t, w.inbox); len(got["inbox"])+len(got["archive"])+len(got["rejected"]) != len(batches.a)+len(batches.b) {
				t.Errorf("inputs after the kill: %v", got)
			}
			now, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			switch stage {
			case "after-fetch", "report-temp-written":
				if !bytes.Equal(now, dayA) {
					t.Error("the previous report changed before the new one was renamed into place")
				}
			default:
				if bytes.Equal(now, dayA) {
					t.Error("the new report is not in place")
				}
				dump(t, report) // a whole workbook
			}
			if stage == "report-temp-written" && len(tempFiles(w.out)) == 0 {
				t.Error("no temp file left by a run killed before its rename")
			}

			// The next run.
			s, err := w.run()
			if err != nil {
				t.Fatal(err)
			}
			if tmp := append(tempFiles(w.out), tempFiles(w.state)...); len(tmp) > 0 {
				t.Errorf("stale temp files: %q", tmp)
			}
			if got := dump(t, report); !equalCells(got, refReport) {
				t.Errorf("the report after recovery differs from the uninterrupted one:\n%s", cellDiff(refReport, got))
			}
			if got := ledgerHashes(t, w.state); strings.Join(got, ",") != strings.Join(refLedger, ",") {
				t.Errorf("ledger %d hashes, want %d", len(got), len(refLedger))
			}
			if got := inboxHashes(t, w.inbox); fmt.Sprint(got) != fmt.Sprint(refInbox) {
				t.Errorf("inbox after recovery:\n%v\nwant\n%v", got, refInbox)
			}
			l, _ := state.OpenLedger(w.state)
			if got := files(t, filepath.Join(w.out, ReceiptDir)); len(got) != len(refReceipts) { // one per upload, not one per attempt
				t.Errorf("%d receipts, %d without a kill: %q", len(got), len(refReceipts), got)
			}
			for _, r := range l.Records {
				if r.MovedTo == "" || r.MoveError != "" {
					t.Errorf("%s: moved to %q, error %q", r.Name, r.MovedTo, r.MoveError)
				}
				if r.Receipt == "" {
					t.Errorf("%s has no receipt", r.Name)
				} else if _, err := os.Stat(filepath.Join(w.out, filepath.FromSlash(r.Receipt))); err != nil {
					t.Errorf("%s: %v", r.Name, err)
				}
			}
			t.Logf("recovery run: new %d, duplicates %d, accepted %d, rejected %d", s.New, s.Duplicates, s.Accepted, s.Rejected)
		})
	}
}

// cellDiff shows the first differing rows of two dumps.
func cellDiff(want, got map[string][][]string) string {
	var b strings.Builder
	for sh, rows := range want {
		g := got[sh]
		for i := 0; i < max(len(rows), len(g)); i++ {
			var x, y []string
			if i < len(rows) {
				x = rows[i]
			}
			if i < len(g) {
				y = g[i]
			}
			if fmt.Sprint(x) != fmt.Sprint(y) {
				fmt.Fprintf(&b, "%s row %d:\n  want %q\n  got  %q\n", sh, i+1, x, y)
				break
			}
		}
	}
	return b.String()
}

// TestFullDisk: the outbox on a small tmpfs that fills up; the run fails,
// the previous report is intact, no input moves, no temp file stays, and
// once there is room the next run takes everything. It needs to mount a
// tmpfs (root, CAP_SYS_ADMIN); TestWriteFailureKeepsReport in
// pipeline/store/local covers the same path everywhere with an injected
// write error.
func TestFullDisk(t *testing.T) {
	w := newWorld(t)
	if err := os.MkdirAll(w.out, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", w.out).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root and CAP_SYS_ADMIN): %v %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", w.out).Run() })
	set := demoSet(w.std, 21)
	for i, in := range w.std.Institutions[:3] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(w.out, ReportName(w.std))
	before, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// Fill the disk.
	filler, err := os.Create(filepath.Join(w.out, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for { // the last few bytes too
		if _, err := filler.Write(chunk[:512]); err != nil {
			break
		}
	}
	filler.Close()
	for i, in := range w.std.Institutions[3:6] {
		w.upload(fmt.Sprintf("late%02d.xlsx", i), in.Name, set[in.Name])
	}
	inputs := files(t, w.inbox)
	_, err = w.run()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("run on a full disk: err = %v, want ENOSPC", err)
	}
	t.Logf("run on a full disk: %v", err)
	if after, err := os.ReadFile(report); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the previous report did not survive a full disk: %v", err)
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(inputs, ",") {
		t.Errorf("inputs moved by a failed run: %q", got)
	}
	if tmp := tempFiles(w.out); len(tmp) > 0 {
		t.Errorf("temp files left on the full disk: %q", tmp)
	}
	os.Remove(filepath.Join(w.out, "filler"))
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 3 || s.Ranked != 6 {
		t.Errorf("after freeing space: %+v", s)
	}
}
