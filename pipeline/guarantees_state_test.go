package pipeline

// The guarantees of a run, continued (guarantees_test.go): received times, the
// ledger and the state folder.

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goftp "github.com/jlaffaye/ftp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/pipeline/store/ftp"
	"kaohe/pipeline/store/ftp/ftptest"
	"kaohe/sheets"
	"kaohe/templates"
)

// look records a listing of w's inbox at t, as kaohe serve does between runs.
func (w *world) look(at time.Time) {
	w.t.Helper()
	if err := Look(context.Background(), Options{Config: w.config(), Now: func() time.Time { return at }}); err != nil {
		w.t.Fatal(err)
	}
}

// dropAt puts a file into the inbox with the given modification time.
func (w *world) dropAt(name string, b []byte, mt time.Time) {
	w.t.Helper()
	w.drop(name, b)
	if err := os.Chtimes(filepath.Join(w.inbox, name), mt, mt); err != nil {
		w.t.Fatal(err)
	}
}

// recordOf is the ledger's record of the file name.
func recordOf(t *testing.T, stateDir, name string) *state.Record {
	t.Helper()
	l, err := state.OpenLedger(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range l.Records {
		if l.Records[i].Name == name {
			return &l.Records[i]
		}
	}
	t.Fatalf("no record of %s", name)
	return nil
}

// Lateness and "the newest upload counts" go by when kaohe saw a file,
// not by the modification time its uploader set: a file backdated after
// the deadline is late, a second upload backdated before the first still
// replaces it, a file dated in the future is read (not left waiting) and
// counts as received when first seen; the report says where the times
// disagree.
func TestReceivedNotTheUploadersTime(t *testing.T) {
	w := newWorld(t)
	d := time.Date(2014, 1, 4, 18, 0, 0, 0, time.UTC) // the deadline; the run is at 02:00 the next day
	min := time.Minute
	w.look(d.Add(-60 * min))
	w.dropAt("v1.xlsx", w.filled(2, 1), d.Add(-30*min))
	w.look(d.Add(-20 * min))
	w.look(d.Add(5 * min))
	w.dropAt("backdated.xlsx", w.filled(1, 1), d.Add(-2*time.Hour)) // uploaded after the deadline, its time set before
	w.dropAt("v2.xlsx", w.filled(2, 2), d.Add(-24*time.Hour))       // 2's second upload, dated before its first
	w.look(d.Add(6 * min))
	w.dropAt("future.xlsx", w.filled(3, 1), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	w.look(d.Add(8 * min))
	cfg := w.config()
	cfg.Deadline = d.Format(time.RFC3339)
	s, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 4 {
		t.Errorf("summary: %+v; want all four read (the one dated 2030 too)", s)
	}
	for name, want := range map[string]struct {
		received time.Time
		late     bool
	}{
		"v1.xlsx":        {d.Add(-30 * min), false}, // its own time: within what the listings allow
		"backdated.xlsx": {d.Add(5 * min), true},    // the listing before it did not see it
		"v2.xlsx":        {d.Add(5 * min), true},
		"future.xlsx":    {d.Add(8 * min), true}, // first seen
	} {
		rec := recordOf(t, w.state, name)
		if !rec.Received.Equal(want.received) || rec.Late != want.late {
			t.Errorf("%s: received %v, late %v; want %v, %v (modified %v, first seen %v, after %v)",
				name, rec.Received, rec.Late, want.received, want.late, rec.Modified, rec.FirstSeen, rec.SeenAfter)
		}
	}
	cells := dump(t, filepath.Join(w.out, ReportName(w.std)))
	var v1Superseded bool
	notes := map[string]string{}
	for _, row := range cells["提交情况"] {
		line := strings.Join(row, "|")
		for _, n := range []string{"v1.xlsx", "backdated.xlsx", "future.xlsx"} {
			if strings.Contains(line, n) {
				notes[n] = line
			}
		}
		v1Superseded = v1Superseded || strings.Contains(line, "v1.xlsx") && strings.Contains(line, string(sheets.StatusSuperseded))
	}
	if !v1Superseded {
		t.Errorf("v1.xlsx is not superseded by v2.xlsx, uploaded after it: %q", notes["v1.xlsx"])
	}
	if !strings.Contains(notes["backdated.xlsx"], "早于 kaohe") || !strings.Contains(notes["future.xlsx"], "晚于 kaohe 第一次看到它") || strings.Contains(notes["v1.xlsx"], "kaohe") {
		t.Errorf("the report's notes on the times:\n%s", strings.Join([]string{notes["v1.xlsx"], notes["backdated.xlsx"], notes["future.xlsx"]}, "\n"))
	}
}

// A channel that receives uploads itself (the portal) records when; the
// run counts that time, whatever the file's.
func TestReceivedAtArrival(t *testing.T) {
	w := newWorld(t)
	b := w.filled(0, 1)
	at := w.now.Add(-3 * time.Hour)
	if err := state.Create(w.state); err != nil {
		t.Fatal(err)
	}
	if err := state.NoteArrival(w.state, state.Arrival{Hash: sha(b), At: at, By: "门户", Institution: w.std.Institutions[0].Name}); err != nil {
		t.Fatal(err)
	}
	w.dropAt("portal.xlsx", b, w.now.Add(-time.Minute*30))
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if rec := recordOf(t, w.state, "portal.xlsx"); !rec.Received.Equal(at) || rec.ReceivedBy != "门户" {
		t.Errorf("record: %+v", rec)
	}
	if !strings.Contains(cellsText(t, filepath.Join(w.out, ReportName(w.std))), "收到时间由门户记录") {
		t.Error("the report does not say the time is the portal's")
	}
}

// Over FTP an uploader sets a file's time with MDTM (vsftpd allows it by
// default): a file stored after the deadline and dated before it is late,
// and with late = "refuse" refused as such.
func TestReceivedNotTheUploadersTimeFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	now := time.Now().Truncate(time.Second)
	d := now.Add(-10 * time.Minute)
	cfg := w.config()
	cfg.Deadline, cfg.Late = d.Format(time.RFC3339), "refuse"
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	if err := Look(context.Background(), Options{Config: cfg, Now: at(d.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	// The uploader: STOR, then MDTM to a time before the deadline.
	c, err := goftp.Dial(w.srv.Addr(), goftp.DialWithTimeout(10*time.Second), goftp.DialWithWritingMDTM(true))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login(ftptest.User, ftptest.Password); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("inbox/late.xlsx", bytes.NewReader(w.filled(0, 1))); err != nil {
		t.Fatal(err)
	}
	if err := c.SetTime("inbox/late.xlsx", d.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if mt, err := c.GetTime("inbox/late.xlsx"); err != nil || !mt.Equal(d.Add(-time.Hour)) {
		t.Fatalf("MDTM set %v, %v; want %v", mt, err, d.Add(-time.Hour))
	}
	if err := Look(context.Background(), Options{Config: cfg, Now: at(d.Add(2 * time.Minute))}); err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), Options{Config: cfg, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	rec := recordOf(t, w.state, "late.xlsx")
	if rec.Outcome != state.OutcomeLate || !rec.Received.Equal(d.Add(time.Minute)) || s.Late != 1 {
		t.Errorf("record %+v; summary %+v", rec, s)
	}
}

// threeDays runs three days of uploads through w: accepted, refused, a
// resubmission, a duplicate, an institution's folder; it returns the
// report's cells and the ledger.
func threeDays(t *testing.T, w *world) (map[string][][]string, *state.Ledger) {
	t.Helper()
	w.drop("a0.xlsx", w.filled(0, 1))
	w.drop("a1.xlsx", w.filled(1, 1))
	w.drop("bad.xlsx", []byte("not a workbook"))
	os.MkdirAll(filepath.Join(w.inbox, "常柴"), 0o755)
	w.drop("常柴/自评表.xlsx", w.filled(3, 1)) // institution 3's folder, whatever it is called
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	w.drop("a1-again.xlsx", w.filled(1, 2))
	w.drop("a0-copy.xlsx", w.filled(0, 1))
	w.drop("a2.xlsx", w.filled(2, 1))
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	l, err := state.OpenLedger(w.state)
	if err != nil {
		t.Fatal(err)
	}
	return dump(t, filepath.Join(w.out, ReportName(w.std))), l
}

// recordsText is what a ledger's records say, one line each, without
// what a run only knows as it happens (receipts, repeats).
func recordsText(l *state.Ledger) string {
	var b strings.Builder
	for _, r := range l.Records {
		fmt.Fprintf(&b, "%s %s %s %s %s %s %v %s %s %s %d %d\n", r.Hash[:12], r.Name, r.Received.UTC().Format(time.RFC3339), r.Institution, r.Via,
			r.Outcome, r.Late, r.Run, r.Copy, r.MovedTo, r.Errors, r.Warnings)
	}
	return b.String()
}

// A ledger emptied or deleted while the packs of earlier runs are there is
// found out: the run refuses to publish (the report in place stays, nothing
// moves), and Rebuild (kaohe state rebuild) restores the records from the
// packs and the archive, so that the next report is the one before. Packs
// from before they kept names are named from the archive.
func TestLedgerLostRefusedAndRebuilt(t *testing.T) {
	for _, c := range []struct {
		name string
		lose func(w *world)
	}{
		{"emptied", func(w *world) { os.WriteFile(filepath.Join(w.state, state.LedgerFile), []byte("{}"), 0o644) }},
		{"deleted", func(w *world) { os.Remove(filepath.Join(w.state, state.LedgerFile)) }},
		{"old packs", func(w *world) { // packs written before they kept names: rewritten without their comments
			for _, p := range files(t, filepath.Join(w.state, state.FilesDir)) {
				p = filepath.Join(w.state, state.FilesDir, p)
				b, _ := os.ReadFile(p)
				os.WriteFile(p, fastTestLike(t, b), 0o644)
			}
			os.Remove(filepath.Join(w.state, state.LedgerFile))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			before, l := threeDays(t, w)
			want := recordsText(l)
			report := filepath.Join(w.out, ReportName(w.std))
			published, _ := os.ReadFile(report)
			c.lose(w)
			inputs := files(t, w.inbox)
			_, err := w.run()
			if !errors.Is(err, ErrLedgerMismatch) || !strings.Contains(err.Error(), "副本包") {
				t.Fatalf("run with the ledger lost: %v, want ErrLedgerMismatch", err)
			}
			if now, _ := os.ReadFile(report); !bytes.Equal(now, published) {
				t.Error("a run with the ledger lost published a report")
			}
			if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(inputs, ",") {
				t.Errorf("a run with the ledger lost moved files: %q", got)
			}
			rs, err := Rebuild(context.Background(), Options{Config: w.config(), Now: func() time.Time { return w.now }})
			if err != nil {
				t.Fatal(err)
			}
			if rs.Rebuilt != len(l.Records) || rs.Kept != 0 || rs.Lost != 0 || len(rs.Unread) != 0 {
				t.Errorf("rebuild: %+v, want %d records rebuilt", rs, len(l.Records))
			}
			nl, _ := state.OpenLedger(w.state)
			if got := recordsText(nl); got != want {
				t.Errorf("rebuilt records:\n%s\nwant:\n%s", got, want)
			}
			if _, err := w.run(); err != nil {
				t.Fatal(err)
			}
			if got := dump(t, report); !equalCells(got, before) {
				t.Errorf("the report after the rebuild differs:\n%s", cellDiff(before, got))
			}
		})
	}
}

// fastTestLike rewrites a zip without its entries' comments, as packs were
// written before they kept names.
func fastTestLike(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store, Modified: zf.Modified})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	zw.Close()
	return out.Bytes()
}

// The report says a lost copy cannot be read again and asks for the file
// again: uploading the same bytes again restores the copy, and the
// institution is ranked again.
func TestLostCopyRestoredByReupload(t *testing.T) {
	w := newWorld(t)
	b := w.filled(4, 1)
	w.drop("a.xlsx", b)
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	rec := recordOf(t, w.state, "a.xlsx")
	os.Remove(filepath.Join(w.state, filepath.FromSlash(rec.Copy))) // the pack is lost
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(w.out, ReportName(w.std))
	if !strings.Contains(cellsText(t, report), "请重新上传") {
		t.Fatal("the report does not ask for the lost file again")
	}
	w.drop("a-again.xlsx", b)
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.Duplicates != 1 || !strings.Contains(strings.Join(s.Warnings, "\n"), "已用再次上传的相同文件恢复") {
		t.Errorf("summary: %+v", s)
	}
	if cells := cellsText(t, report); strings.Contains(cells, "存档副本缺失") {
		t.Error("the report still says the copy is lost")
	}
	if got := rankingRows(t, dump(t, report)); len(got) != 1 || !strings.Contains(got[0], w.std.Institutions[4].Name) {
		t.Errorf("ranking after the copy was restored: %q", got)
	}
}

// One state folder per inbox: a run from a second state folder (kaohe run
// --out elsewhere, whose default state folder is beside that outbox) is
// refused and moves nothing; a preview (DryRun) writes its report and
// receipts into its own outbox, reads the state folder the inbox names,
// and moves and records nothing; it may not write into the runs' outbox.
func TestOneStatePerInbox(t *testing.T) {
	w := newWorld(t)
	w.drop("a.xlsx", w.filled(0, 1))
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	w.drop("b.xlsx", w.filled(1, 1))
	before := files(t, w.inbox)
	l0, _ := state.OpenLedger(w.state)

	other := w.config()
	other.Out, other.State = filepath.Join(w.dir, "elsewhere", "out"), filepath.Join(w.dir, "elsewhere", "state")
	_, err := Run(context.Background(), Options{Config: other, Now: func() time.Time { return w.now }})
	if !errors.Is(err, ErrOtherState) || !strings.Contains(err.Error(), w.state) {
		t.Fatalf("a run from a second state folder: %v, want ErrOtherState naming %s", err, w.state)
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Errorf("the refused run moved files: %q", got)
	}

	preview := w.config()
	preview.Out, preview.State = filepath.Join(w.dir, "preview"), filepath.Join(w.dir, "preview-state")
	s, err := Run(context.Background(), Options{Config: preview, DryRun: true, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	if !s.DryRun || s.New != 1 || s.Ranked != 2 { // the new file, and the one the real state folder has
		t.Errorf("preview: %+v", s)
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Errorf("the preview moved files: %q", got)
	}
	if _, err := os.Stat(preview.State); err == nil {
		t.Error("the preview made a state folder")
	}
	if l, _ := state.OpenLedger(w.state); len(l.Records) != len(l0.Records) {
		t.Errorf("the preview changed the ledger: %d records, was %d", len(l.Records), len(l0.Records))
	}
	if _, err := os.Stat(filepath.Join(preview.Out, ReportName(w.std))); err != nil {
		t.Errorf("no report in the preview's outbox: %v", err)
	}
	into := w.config()
	if _, err := Run(context.Background(), Options{Config: into, DryRun: true, Now: func() time.Time { return w.now }}); !errors.Is(err, ErrConfig) {
		t.Errorf("a preview into the runs' outbox: %v, want ErrConfig", err)
	}

	if s, err := w.run(); err != nil || s.New != 1 {
		t.Errorf("the run after: %+v, %v", s, err)
	}
}

// The uploads archived in a drop folder are not readable by the other
// uploaders: archive/ and rejected/ are the run's user's alone; the inbox
// and an institution's receipts folder stay as they were.
func TestArchivePrivate(t *testing.T) {
	w := newWorld(t)
	w.drop("a.xlsx", w.filled(0, 1))
	w.drop("bad.xlsx", []byte("not a workbook"))
	os.MkdirAll(filepath.Join(w.inbox, "常柴"), 0o755)
	w.drop("常柴/b.xlsx", w.filled(0, 2))
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]os.FileMode{"": 0o755, ArchiveDir: 0o700, RejectedDir: 0o700, "常柴/" + ReceiptDir: 0o755} {
		fi, err := os.Stat(filepath.Join(w.inbox, filepath.FromSlash(dir)))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("inbox/%s: %v, %v; want mode %v", dir, fi.Mode().Perm(), err, want)
		}
	}
}

// The same over FTP: the ledger lost (packs in the local state folder, the
// archive on the server) is refused and rebuilt from the server's archive;
// a second state folder on the server's inbox is refused; receipts a run
// wrote before failing to commit its ledger are removed from the server by
// the next; a GBK name is read and shown decoded.
func TestStateGuaranteesFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	hour := time.Now().Add(-time.Hour)
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(templates.ShortName(w.std.Institutions[1].Name) + "-自评表.xlsx")
	w.srv.Write("inbox/a.xlsx", w.filled(0, 1), hour)
	w.srv.Write("inbox/"+gbk, w.filled(1, 1), hour)
	w.srv.Write("inbox/bad.xlsx", []byte("not a workbook"), hour)
	cfg := w.config()
	if _, err := Run(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(w.srv.Root, "out", ReportName(w.std))
	before := dump(t, report)
	if !strings.Contains(cellsText(t, report), templates.ShortName(w.std.Institutions[1].Name)+"-自评表.xlsx") {
		t.Error("the GBK name is not shown decoded")
	}
	l, _ := state.OpenLedger(w.state)
	want := recordsText(l)

	// A second state folder.
	other := cfg
	other.State = filepath.Join(w.dir, "other-state")
	w.srv.Write("inbox/b.xlsx", w.filled(2, 1), hour)
	if _, err := Run(context.Background(), Options{Config: other}); !errors.Is(err, ErrOtherState) {
		t.Errorf("a second state folder on the server's inbox: %v, want ErrOtherState", err)
	}
	os.Remove(filepath.Join(w.srv.Root, "inbox", "b.xlsx"))

	// The ledger lost.
	os.Remove(filepath.Join(w.state, state.LedgerFile))
	if _, err := Run(context.Background(), Options{Config: cfg}); !errors.Is(err, ErrLedgerMismatch) {
		t.Fatalf("run with the ledger lost: %v", err)
	}
	if _, err := Rebuild(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	nl, _ := state.OpenLedger(w.state)
	if got := recordsText(nl); got != want {
		t.Errorf("rebuilt:\n%s\nwant:\n%s", got, want)
	}
	if _, err := Run(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, report); !equalCells(got, before) {
		t.Errorf("the report after the rebuild differs:\n%s", cellDiff(before, got))
	}

	// A run that stops once its receipts are on the server, before its
	// ledger names them (a panic here, a kill in TestKillPoints).
	w.srv.Write("inbox/c.xlsx", w.filled(3, 1), hour)
	func() {
		defer func() { recover() }()
		Run(context.Background(), Options{Config: cfg, Hooks: Hooks{Crash: func(stage string) {
			if stage == "before-ledger-commit" {
				panic("killed")
			}
		}}})
		t.Fatal("the run was not stopped")
	}()
	later := time.Now().Add(time.Hour) // receipts are named by the minute of their run
	if _, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return later }}); err != nil {
		t.Fatal(err)
	}
	fl, _ := state.OpenLedger(w.state)
	receipts := files(t, filepath.Join(w.srv.Root, "out", ReceiptDir))
	if len(receipts) != len(fl.Records) {
		t.Errorf("%d receipts on the server for %d uploads: %q", len(receipts), len(fl.Records), receipts)
	}
}

// kaohe serve lists the inbox every watch between its runs: a file
// uploaded between two nightly runs is first seen within a watch of its
// arrival.
func TestServeWatchesTheInbox(t *testing.T) {
	cfg := serveConfig(t, "@yearly")
	cfg.Watch = store.Duration(time.Second)
	os.MkdirAll(cfg.Inbox, 0o755)
	s := serve(t, ServeOptions{Config: cfg, Job: func(context.Context) error { return nil }})
	time.Sleep(100 * time.Millisecond)
	arrived := time.Now()
	os.WriteFile(filepath.Join(cfg.Inbox, "a.xlsx"), []byte("x"), 0o644)
	var first time.Time
	for deadline := time.Now().Add(testTimeout); time.Now().Before(deadline) && first.IsZero(); time.Sleep(50 * time.Millisecond) {
		if seen, err := state.ReadSeen(cfg.StateDir()); err == nil {
			first = seen.Files["a.xlsx"].First
		}
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if first.IsZero() || first.Before(arrived) {
		t.Fatalf("first seen %v, arrived %v", first, arrived)
	}
	t.Logf("first seen %s after it arrived (watch = 1s)", first.Sub(arrived).Round(time.Millisecond))
}

// Over FTP too, the same bytes uploaded again restore a lost copy.
func TestLostCopyRestoredByReuploadFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	b := w.filled(4, 1)
	w.srv.Write("inbox/a.xlsx", b, time.Now().Add(-time.Hour))
	cfg := w.config()
	if _, err := Run(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(w.state, filepath.FromSlash(recordOf(t, w.state, "a.xlsx").Copy)))
	w.srv.Write("inbox/a-again.xlsx", b, time.Now().Add(-time.Hour))
	s, err := Run(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(w.srv.Root, "out", ReportName(w.std))
	if got := rankingRows(t, dump(t, report)); s.Duplicates != 1 || len(got) != 1 || strings.Contains(cellsText(t, report), "存档副本缺失") {
		t.Errorf("summary %+v; ranking %q", s, got)
	}
	if _, err := state.NewCopies(w.state).Read(recordOf(t, w.state, "a.xlsx")); err != nil {
		t.Errorf("the copy is not restored: %v", err)
	}
}

// A damaged copy restored by the same bytes uploaded again is not left
// where it was, nor overwritten: it is moved aside into files/retired/ (its
// bytes kept), and the runs after go on (a copy in files/ that no record
// names would stop them: the ledger would look lost). The same for a copy
// from before packs (files/<hash>.xlsx).
func TestDamagedCopyRetired(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprint("legacy=", legacy), func(t *testing.T) {
			w := newWorld(t)
			b := w.filled(4, 1)
			w.drop("a.xlsx", b)
			if _, err := w.run(); err != nil {
				t.Fatal(err)
			}
			rec := recordOf(t, w.state, "a.xlsx")
			copyName := rec.Copy
			if legacy { // the copy as runs kept it before packs: files/<hash>.xlsx, the pack gone
				os.Remove(filepath.Join(w.state, filepath.FromSlash(rec.Copy)))
				copyName = (&state.Record{Hash: rec.Hash}).CopyName()
				l, _ := state.OpenLedger(w.state)
				l.Records[0].Copy = ""
				if err := l.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			damaged := []byte("damaged: not the upload")
			if err := os.WriteFile(filepath.Join(w.state, filepath.FromSlash(copyName)), damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := w.run(); err != nil {
				t.Fatal(err)
			}
			w.drop("a-again.xlsx", b)
			if s, err := w.run(); err != nil || s.Duplicates != 1 {
				t.Fatalf("the upload again: %+v, %v", s, err)
			}
			if s, err := w.run(); err != nil {
				t.Fatalf("the run after the copy was restored: %v", err)
			} else if s.Ranked != 1 {
				t.Errorf("the run after the copy was restored: %+v", s)
			}
			if _, err := os.Stat(filepath.Join(w.state, filepath.FromSlash(copyName))); err == nil {
				t.Errorf("the damaged copy %s is still in its place", copyName)
			}
			retired := files(t, filepath.Join(w.state, state.FilesDir, state.RetiredDir))
			if len(retired) != 1 {
				t.Fatalf("files/%s: %q, want the damaged copy", state.RetiredDir, retired)
			}
			if got, _ := os.ReadFile(filepath.Join(w.state, state.FilesDir, state.RetiredDir, retired[0])); !bytes.Equal(got, damaged) {
				t.Errorf("the retired copy is not the damaged one: %q", got)
			}
			if _, err := state.NewCopies(w.state).Read(recordOf(t, w.state, "a.xlsx")); err != nil {
				t.Errorf("the copy is not restored: %v", err)
			}
		})
	}
}

// Locations are places, not strings: ./inbox, inbox/ and the absolute path
// are one folder. An outbox or a state folder that is the inbox however it
// is written is refused before anything is read or moved; a preview into
// the runs' outbox, however the inbox's record writes it, is refused.
func TestSamePlaceHoweverWritten(t *testing.T) {
	w := newWorld(t)
	w.drop("a.xlsx", w.filled(0, 1))
	t.Chdir(w.dir)
	for _, c := range []struct{ inbox, out, state string }{
		{"inbox", "./inbox/", ""},
		{"./inbox", w.inbox + "/", ""},
		{w.inbox, "out/../inbox", ""},
		{"inbox/", "out", "./inbox"},
		{w.inbox, "out", w.inbox + "/."},
		{"inbox", "inbox/out", ""}, // below the inbox: read as an institution's folder
		{w.inbox, "./inbox/x/../out", ""},
		{"inbox", "out", "inbox/state"},
	} {
		cfg := w.config()
		cfg.Inbox, cfg.Out, cfg.State = c.inbox, c.out, c.state
		if cfg.State == "" {
			cfg.State = w.state
		}
		if _, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return w.now }}); !errors.Is(err, ErrConfig) {
			t.Errorf("inbox %q, out %q, state %q: %v, want ErrConfig", c.inbox, c.out, cfg.State, err)
		}
	}
	if got := inboxFiles(t, w.inbox); strings.Join(got, ",") != "a.xlsx" {
		t.Fatalf("the refused runs changed the inbox: %q", got)
	}
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	// The inbox's record of its outbox, written otherwise (by hand, or
	// an older kaohe): a preview into that outbox is still refused.
	p := filepath.Join(w.inbox, filepath.FromSlash(bindingName))
	b, _ := os.ReadFile(p)
	b = bytes.Replace(b, []byte(`"out": "`+w.out+`"`), []byte(`"out": "`+w.out+`/"`), 1)
	if !bytes.Contains(b, []byte(w.out+`/"`)) {
		t.Fatalf("binding: %s", b)
	}
	os.WriteFile(p, b, 0o600)
	preview := w.config()
	preview.Out = "out"
	if _, err := Run(context.Background(), Options{Config: preview, DryRun: true, Now: func() time.Time { return w.now }}); !errors.Is(err, ErrConfig) {
		t.Errorf("a preview into the runs' outbox, written out/: %v, want ErrConfig", err)
	}
}

// A rebuild restores when each upload was received, not a zero time or the
// rebuild's: from the packs, and, for uploads whose copy is lost, from the
// archived original (a move keeps its time), no later than the run that
// moved it.
func TestRebuildKeepsReceivedTimes(t *testing.T) {
	for _, lose := range []string{"ledger", "packs", "packs as before packs"} {
		t.Run(lose, func(t *testing.T) {
			w := newWorld(t)
			_, l := threeDays(t, w)
			switch lose {
			case "packs":
				os.RemoveAll(filepath.Join(w.state, state.FilesDir))
			case "packs as before packs": // files/<hash>.xlsx, written (and so dated) when a run kept them
				dir := filepath.Join(w.state, state.FilesDir)
				for _, p := range files(t, dir) {
					kept, closePack, err := state.ReadPack(w.state, state.FilesDir+"/"+p)
					if err != nil {
						t.Fatal(err)
					}
					for _, k := range kept {
						b, _ := k.Bytes()
						os.WriteFile(filepath.Join(dir, k.Hash+".xlsx"), b, 0o644)
					}
					closePack()
					os.Remove(filepath.Join(dir, p))
				}
			}
			os.Remove(filepath.Join(w.state, state.LedgerFile))
			later := w.now.Add(100 * 24 * time.Hour)
			if _, err := Rebuild(context.Background(), Options{Config: w.config(), Now: func() time.Time { return later }}); err != nil {
				t.Fatal(err)
			}
			nl, _ := state.OpenLedger(w.state)
			got := map[string]time.Time{}
			for _, rec := range nl.Records {
				got[rec.Hash] = rec.Received
			}
			for _, rec := range l.Records {
				if g, ok := got[rec.Hash]; !ok || !g.Equal(rec.Received) {
					t.Errorf("%s: received %v after the rebuild, was %v", rec.Name, g, rec.Received)
				}
			}
		})
	}
}

// A listing's time is taken once the listing is complete, one time for the
// whole listing: a file seen by it arrived before that time, never after.
// The clock here drops a file into the inbox each time it is read, just
// after the time it returns: a listing timed before it lists would see
// that file and say it was there before it arrived.
func TestFirstSeenAtTheEndOfTheListing(t *testing.T) {
	w := newWorld(t)
	t0 := w.now
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	calls := 0
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		calls++
		now := t0.Add(time.Duration(calls) * time.Second)
		name := fmt.Sprintf("n%03d.xlsx", calls)
		os.WriteFile(filepath.Join(w.inbox, name), []byte("x"), 0o644)
		arrived[name] = now.Add(time.Second / 2) // after the time returned
		return now
	}
	check := func(how string) {
		t.Helper()
		seen, err := state.ReadSeen(w.state)
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range seen.Files {
			if at, ok := arrived[name]; ok && f.First.Before(at) {
				t.Errorf("%s: %s first seen %v, before it arrived at %v", how, name, f.First.Format(time.TimeOnly), at.Format(time.TimeOnly))
			}
		}
	}
	if err := Look(context.Background(), Options{Config: w.config(), Now: clock}); err != nil {
		t.Fatal(err)
	}
	check("look")
	cfg := w.config()
	cfg.Settle = store.Duration(time.Millisecond)
	if _, err := Run(context.Background(), Options{Config: cfg, Now: clock}); err != nil {
		t.Fatal(err)
	}
	check("run")
}
