package web

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/pipeline"
	"kaohe/pipeline/state"
	"kaohe/templates/score"
)

// TestPortalSameAsDrop: files uploaded through the portal and the same
// files dropped into the folder (same subfolder, name and time, seen by the
// watch as they arrive) give the same ledger records (but for how each
// channel knew the time), receipts and report, with the same 核查表 applied.
func TestPortalSameAsDrop(t *testing.T) {
	review := filepath.Join(t.TempDir(), "2013-核查表.xlsx") // a finding for 常柴, applied by both
	f := newFixture(t, func(c *pipeline.Config) {
		c.Deadline, c.Review = "2013-12-20T10:30:03+08:00", review // the third upload is late
	})
	finding := score.Finding{Institution: "常柴国家职业技能鉴定所", Field: "i1_competitions", Value: 2, Basis: "市中心赛事记录", Checker: "张三", Date: "2013-12-20"}
	f.writeReview(t, review, finding)
	cst := time.FixedZone("CST", 8*3600)
	uploads := []struct {
		inst string
		data []byte
	}{
		{"常柴", f.workbook("常柴", nil)},
		{"常武国家", f.workbook("常武国家", map[string]any{"actual_certified": "一千二"})},
		{"常柴", f.workbook("常柴", map[string]any{"actual_certified": "1100"})},
	}
	for i, u := range uploads {
		f.setNow(time.Date(2013, 12, 20, 10, 30, 1+2*i, 0, cst))
		if code, body := f.upload(u.inst, "自评表.xlsx", u.data); code != 200 {
			t.Fatalf("upload %d: %d\n%s", i, code, body)
		}
	}
	portal := f.inboxFiles()
	if len(portal) != 3 {
		t.Fatalf("inbox after the uploads: %q", portal)
	}

	// The same files dropped into another inbox, with their times.
	drop := f.cfg
	root := t.TempDir()
	drop.Inbox, drop.Out, drop.State = filepath.Join(root, "inbox"), filepath.Join(root, "out"), filepath.Join(root, "state")
	byTime := slices.Clone(portal) // dropped in the order they came
	slices.SortFunc(byTime, func(x, y string) int {
		a, _ := os.Stat(filepath.Join(f.cfg.Inbox, x))
		b, _ := os.Stat(filepath.Join(f.cfg.Inbox, y))
		return a.ModTime().Compare(b.ModTime())
	})
	for _, name := range byTime {
		from, to := filepath.Join(f.cfg.Inbox, name), filepath.Join(drop.Inbox, name)
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(from)
		os.MkdirAll(filepath.Dir(to), 0o755)
		os.WriteFile(to, b, 0o644)
		os.Chtimes(to, fi.ModTime(), fi.ModTime())
		// kaohe serve's watch sees each dropped file as it arrives (the
		// portal records its own receive time instead).
		seen := fi.ModTime()
		if err := pipeline.Look(context.Background(), pipeline.Options{Config: drop, Now: func() time.Time { return seen }}); err != nil {
			t.Fatal(err)
		}
	}

	runAt := func() time.Time { return time.Date(2013, 12, 21, 2, 0, 0, 0, cst) }
	for _, cfg := range []pipeline.Config{f.cfg, drop} {
		if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: cfg, Now: runAt}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := state.OpenLedger(f.cfg.StateDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := state.OpenLedger(drop.StateDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 3 || len(b.Records) != 3 {
		t.Fatalf("records: %d and %d", len(a.Records), len(b.Records))
	}
	lateSeen := false
	for i := range a.Records {
		ra, rb := a.Records[i], b.Records[i]
		ra.Copy, rb.Copy = "", "" // the packs' names are random
		if !ra.Received.Equal(rb.Received) {
			t.Errorf("record %d: received %s and %s", i, ra.Received, rb.Received)
		}
		ra.Received, rb.Received = time.Time{}, time.Time{}
		// How each channel knows when: the portal by its receive time, the
		// folder by the listings that saw the file.
		ra.ReceivedBy, ra.FirstSeen, ra.SeenAfter = "", time.Time{}, time.Time{}
		rb.ReceivedBy, rb.FirstSeen, rb.SeenAfter = "", time.Time{}, time.Time{}
		if fmt.Sprintf("%+v", ra) != fmt.Sprintf("%+v", rb) {
			t.Errorf("record %d differs:\nportal %+v\ndrop   %+v", i, ra, rb)
		}
		lateSeen = lateSeen || ra.Late
		// The receipts.
		if ra.Receipt == "" {
			t.Errorf("record %d has no receipt", i)
			continue
		}
		if da, db := dump(t, filepath.Join(f.cfg.Out, ra.Receipt)), dump(t, filepath.Join(drop.Out, rb.Receipt)); da != db {
			t.Errorf("receipt %s differs:\n%s\n---\n%s", ra.Receipt, da, db)
		}
	}
	if !lateSeen {
		t.Errorf("no upload marked late: %+v", a.Records)
	}
	report := pipeline.ReportName(f.std)
	da, db := dump(t, filepath.Join(f.cfg.Out, report)), dump(t, filepath.Join(drop.Out, report))
	// The one difference: the report says the portal recorded the time.
	da = strings.NewReplacer("；收到时间由网上提交记录", "", "\t收到时间由网上提交记录", "").Replace(da)
	if da != db {
		t.Errorf("reports differ:\n%s\n---\n%s", da, db)
	}

	// What the portal showed for each matches the run's outcome.
	for i, u := range f.srv.journal.Uploads() {
		rec, ok := a.Lookup(u.Hash)
		if !ok || rec.Outcome != u.Outcome || rec.Late != u.Late || rec.Errors != u.Errors || rec.Name != u.Name {
			t.Errorf("upload %d: the portal said %+v, the run %+v", i, u, rec)
		}
	}
}

// dump is every cell of every sheet of a workbook, as text.
func dump(t *testing.T, path string) string {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer x.Close()
	var buf bytes.Buffer
	for _, sh := range x.GetSheetList() {
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "== %s\n", sh)
		for _, r := range rows {
			fmt.Fprintln(&buf, strings.Join(r, "\t"))
		}
	}
	return buf.String()
}
