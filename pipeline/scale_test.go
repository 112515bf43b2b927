package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// TestRunScale runs one consolidation over 1,000 generated submissions of
// a synthetic standard (a province: the 2013 institutions and branches of
// them, loaded from a folder) and checks the ranking against the scores of
// the generated facts, the counts, the receipts and the archive. It never
// looks at how long the run took: cmd/kaohe-bench measures that.
func TestRunScale(t *testing.T) {
	const n = 1000
	dir := t.TempDir()
	stdDir := filepath.Join(dir, "standard")
	std, err := WriteSynthStandard(stdDir, 2013, n, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(std.Institutions) != n {
		t.Fatalf("%d institutions, want %d", len(std.Institutions), n)
	}
	inbox, out, state := filepath.Join(dir, "inbox"), filepath.Join(dir, "out"), filepath.Join(dir, "state")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}

	// One template per institution of the allocation is slow to make (7 ms
	// each); the branches' workbooks start from their parent's template,
	// with their own identity and targets filled in, as the reader reads them.
	base := map[string][]byte{}
	for _, in := range std.Institutions[:32] {
		var buf bytes.Buffer
		if err := sheets.WriteTemplate(&buf, std, in); err != nil {
			t.Fatal(err)
		}
		base[in.Name] = buf.Bytes()
	}
	subs := make([]SynthSubmission, n)
	when := time.Date(2013, 12, 30, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				in := std.Institutions[i]
				s := SynthValues(std, in, 42, i%97 == 13)
				values := map[string]any{templates.FieldInstitution: in.Name}
				for _, f := range []string{templates.FieldTargetAppraised, templates.FieldTargetCertified, templates.FieldTargetUnified, templates.FieldTargetHighSkill} {
					values[f] = s.Facts.Values[f]
				}
				for k, v := range s.Values {
					values[k] = v
				}
				var buf bytes.Buffer
				if err := sheets.Fill(bytes.NewReader(base[std.Institutions[i%32].Name]), &buf, values); err != nil {
					errs <- err
					continue
				}
				p := filepath.Join(inbox, fmt.Sprintf("%04d-自评表.xlsx", i))
				if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
					errs <- err
					continue
				}
				mt := when.Add(time.Duration(i) * time.Second)
				if err := os.Chtimes(p, mt, mt); err != nil {
					errs <- err
				}
				subs[i] = s
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	cfg := DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State, cfg.StandardDir = inbox, out, state, stdDir
	cfg.MinAge, cfg.Settle = 0, 0
	now := time.Date(2014, 1, 2, 2, 0, 0, 0, time.UTC)
	sum, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}

	// What the generated facts score, ranked as the report ranks them.
	var results []score.Result
	broken := 0
	for _, s := range subs {
		if s.Broken {
			broken++
			continue
		}
		results = append(results, score.Score(std, s.Institution, s.Facts))
	}
	var want []string
	for _, r := range score.Rank(results, score.Dense) {
		want = append(want, fmt.Sprintf("%d %s %s", r.Rank, r.Institution.Name, r.Total))
	}
	if sum.New != n || sum.Accepted != n-broken || sum.Rejected != broken || sum.Ranked != n-broken || sum.Missing != broken {
		t.Errorf("new %d, accepted %d, rejected %d, ranked %d, missing %d; want %d, %d, %d, %d, %d",
			sum.New, sum.Accepted, sum.Rejected, sum.Ranked, sum.Missing, n, n-broken, broken, n-broken, broken)
	}
	got := rankingRows(t, dump(t, filepath.Join(out, ReportName(std))))
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("排名 row %d: %q, want %q (%d rows, want %d)", i+2, got[i], want[i], len(got), len(want))
			}
		}
		t.Fatalf("排名: %d rows, want %d", len(got), len(want))
	}
	if len(sum.Receipts) != n {
		t.Errorf("%d receipts, want %d", len(sum.Receipts), n)
	}
	for _, r := range []string{sum.Receipts[0], sum.Receipts[n-1]} {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(r))); err != nil {
			t.Error(err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(inbox, "*.xlsx")); len(left) != 0 {
		t.Errorf("%d files left in the inbox", len(left))
	}
	if s := sum.Stages; s.Read <= 0 || s.Report <= 0 || s.Receipts <= 0 {
		t.Errorf("stages not timed: %+v", s)
	}
}
