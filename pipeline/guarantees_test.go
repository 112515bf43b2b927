package pipeline

// Issue 13's guarantees: nothing archived unread, nothing trusted that an
// uploader controls, no upload left unanswered.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/pipeline/store/ftp"
	"kaohe/sheets"
	"kaohe/templates"
)

// runWith performs one run at w.now with hooks and advances the clock a day.
func (w *world) runWith(h Hooks) (*Summary, error) {
	now := w.now
	w.now = w.now.Add(24 * time.Hour)
	return Run(context.Background(), Options{Config: w.config(), Now: func() time.Time { return now }, Hooks: h})
}

// filled is a filled workbook of the i-th institution.
func (w *world) filled(i int, seed uint64) []byte {
	w.t.Helper()
	in := w.std.Institutions[i].Name
	var buf bytes.Buffer
	if err := sheets.Fill(bytes.NewReader(w.tmpl[in]), &buf, demoSet(w.std, seed)[in]); err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// archivedUnread returns the files under the inbox's archive/ and
// rejected/ whose bytes no ledger record holds: archived without being read.
func archivedUnread(t *testing.T, inbox, stateDir string) []string {
	t.Helper()
	l, err := state.OpenLedger(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files(t, inbox) {
		if !strings.HasPrefix(f, ArchiveDir+"/") && !strings.HasPrefix(f, RejectedDir+"/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(inbox, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := l.Lookup(sha(b)); !ok {
			out = append(out, f)
		}
	}
	return out
}

// inboxFiles is the files left in the inbox (not archived, not rejected).
func inboxFiles(t *testing.T, inbox string) []string {
	var out []string
	for _, f := range files(t, inbox) {
		if !strings.HasPrefix(f, ArchiveDir+"/") && !strings.HasPrefix(f, RejectedDir+"/") {
			out = append(out, f)
		}
	}
	return out
}

// A file replaced under its name, appended to, or rewritten in place with
// its time put back, after kaohe read it and before the archive step, is
// left in the inbox for the next run, never archived as if it were the
// file scored; so is one replaced between the last look and the move (it
// is moved back). The next run reads what is there now.
func TestArchiveOnlyWhatWasRead(t *testing.T) {
	w := newWorld(t)
	names := []string{"replaced.xlsx", "appended.xlsx", "rewritten.xlsx", "raced.xlsx", "kept.xlsx"}
	read := map[string][]byte{}
	for i, n := range names {
		read[n] = w.filled(i, 7)
		w.drop(n, read[n])
	}
	p := func(n string) string { return filepath.Join(w.inbox, n) }
	other := w.filled(6, 8) // another institution's workbook
	replace := func(n string) {
		tmp := p(".tmp-" + n)
		if err := os.WriteFile(tmp, other, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, p(n)); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p(n), w.now.Add(-time.Hour), w.now.Add(-time.Hour)) // an hour before the next run
	}
	hooks := Hooks{
		Pause: func(context.Context) error { // read, nothing written yet: the report is about to be made
			replace("replaced.xlsx")
			f, err := os.OpenFile(p("appended.xlsx"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("more"))
			f.Close()
			os.Chtimes(p("appended.xlsx"), w.now.Add(-time.Hour), w.now.Add(-time.Hour))
			fi, _ := os.Stat(p("rewritten.xlsx"))
			b := bytes.Clone(read["rewritten.xlsx"])
			b[len(b)/2] ^= 0xff // as many bytes, other content, the same inode, the old time put back
			if err := os.WriteFile(p("rewritten.xlsx"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(p("rewritten.xlsx"), fi.ModTime(), fi.ModTime())
			return nil
		},
		Moving: func(name string) {
			if name == "raced.xlsx" {
				replace(name)
			}
		},
	}
	s, err := w.runWith(hooks)
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 5 || len(s.MoveErrors) != 0 {
		t.Errorf("summary = %+v", s)
	}
	if bad := archivedUnread(t, w.inbox, w.state); len(bad) > 0 {
		t.Errorf("archived without being read: %q", bad)
	}
	left := inboxFiles(t, w.inbox)
	if strings.Join(left, " ") != "appended.xlsx raced.xlsx replaced.xlsx rewritten.xlsx" {
		t.Errorf("left in the inbox: %q, want the four files changed", left)
	}
	for _, n := range left {
		if !strings.Contains(strings.Join(s.Warnings, "\n"), n+" 在读取之后被替换或改动过") {
			t.Errorf("no warning names %s: %q", n, s.Warnings)
		}
	}
	l, _ := state.OpenLedger(w.state)
	for _, n := range names {
		rec, ok := l.Lookup(sha(read[n]))
		switch {
		case !ok:
			t.Errorf("%s: the bytes read are not in the ledger", n)
		case n == "kept.xlsx" && (rec.MovedTo == "" || rec.Left != ""):
			t.Errorf("%s: moved to %q, left %q", n, rec.MovedTo, rec.Left)
		case n != "kept.xlsx" && (rec.MovedTo != "" || rec.Left == ""):
			t.Errorf("%s: moved to %q, left %q; want left in the inbox", n, rec.MovedTo, rec.Left)
		}
	}
	cells := cellsText(t, filepath.Join(w.out, ReportName(w.std)))
	if !strings.Contains(cells, "原件在读取之后被替换或改动过") {
		t.Error("the report does not say that files changed after they were read")
	}

	// The next run reads them as they are now, and moves them.
	s, err = w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.New+s.Duplicates != 4 || len(s.MoveErrors) != 0 {
		t.Errorf("next run: %+v", s)
	}
	if left := inboxFiles(t, w.inbox); len(left) != 0 {
		t.Errorf("left after the next run: %q", left)
	}
	if bad := archivedUnread(t, w.inbox, w.state); len(bad) > 0 {
		t.Errorf("archived without being read: %q", bad)
	}
}

// Over FTP a look and a rename are two commands: a file re-uploaded with
// as many bytes and the same time (MDTM, to the second) after it was read
// passes the look, is moved, found by its hash not to be the file read,
// and moved back; one appended to is left at the look. Re-uploaded while
// the report is being made and uploaded.
func TestArchiveOnlyWhatWasReadFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	mt := time.Now().Add(-time.Hour).Truncate(time.Second)
	read := map[string][]byte{}
	for i, n := range []string{"same-size.xlsx", "appended.xlsx", "kept.xlsx"} {
		read[n] = w.filled(i, 9)
		w.srv.Write("inbox/"+n, read[n], mt)
	}
	cfg := w.config()
	hooks := Hooks{Pause: func(context.Context) error {
		b := bytes.Clone(read["same-size.xlsx"])
		b[len(b)/2] ^= 0xff
		w.srv.Write("inbox/same-size.xlsx", b, mt)
		w.srv.Write("inbox/appended.xlsx", append(bytes.Clone(read["appended.xlsx"]), "more"...), mt)
		return nil
	}}
	s, err := Run(context.Background(), Options{Config: cfg, Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(w.srv.Root, "inbox")
	if bad := archivedUnread(t, inbox, w.state); len(bad) > 0 {
		t.Errorf("archived without being read: %q", bad)
	}
	var left []string
	for _, f := range inboxFiles(t, inbox) {
		if path.Dir(f) == "." {
			left = append(left, f)
		}
	}
	if strings.Join(left, " ") != "appended.xlsx same-size.xlsx" || s.New != 3 || len(s.MoveErrors) != 0 {
		t.Errorf("left in the inbox: %q; summary %+v", left, s)
	}
	s, err = Run(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 2 || len(inboxFiles(t, inbox)) != 0 {
		t.Errorf("next run: %+v; left %q", s, inboxFiles(t, inbox))
	}
	if bad := archivedUnread(t, inbox, w.state); len(bad) > 0 {
		t.Errorf("archived without being read: %q", bad)
	}
}

// A move that fails is said in the report at once, and no longer once a
// later run has moved the file: every status shown is true.
func TestMoveNotesTrue(t *testing.T) {
	w := newWorld(t)
	w.drop("a.xlsx", w.filled(0, 3))
	w.drop("b.xlsx", w.filled(1, 3))
	block := filepath.Join(w.inbox, ArchiveDir)
	if err := os.WriteFile(block, []byte("in the way"), 0o644); err != nil { // archive/ cannot be made
		t.Fatal(err)
	}
	report := filepath.Join(w.out, ReportName(w.std))
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.MoveErrors) != 2 || strings.Count(cellsText(t, report), "移动失败") != 2 {
		t.Errorf("move errors %q; the report says 移动失败 %d times, want 2", s.MoveErrors, strings.Count(cellsText(t, report), "移动失败"))
	}
	// Why, in words the centre reads, before the error itself.
	if n := strings.Count(cellsText(t, report), "移动失败: 归档的路径上有一个同名的文件挡着，建不了文件夹，下次运行再试（"); n != 2 {
		t.Errorf("the report gives the reason in Chinese %d times, want 2:\n%s", n, cellsText(t, report))
	}
	os.Remove(block)
	s, err = w.run()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.MoveErrors) != 0 || len(inboxFiles(t, w.inbox)) != 0 {
		t.Errorf("second run: %+v, left %q", s, inboxFiles(t, w.inbox))
	}
	if strings.Contains(cellsText(t, report), "移动失败") {
		t.Error("the report still says 移动失败 after the files were moved")
	}
}

// The same over FTP: the server refuses to make archive/, then does.
func TestMoveNotesTrueFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	for i, n := range []string{"a.xlsx", "b.xlsx"} {
		w.srv.Write("inbox/"+n, w.filled(i, 3), time.Now().Add(-time.Hour))
	}
	w.srv.Write("inbox/"+ArchiveDir, []byte("in the way"), time.Now().Add(-time.Hour))
	report := filepath.Join(w.srv.Root, "out", ReportName(w.std))
	cfg := w.config()
	s, err := Run(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.MoveErrors) != 2 || strings.Count(cellsText(t, report), "移动失败") != 2 {
		t.Errorf("move errors %q; the report says 移动失败 %d times, want 2", s.MoveErrors, strings.Count(cellsText(t, report), "移动失败"))
	}
	os.Remove(filepath.Join(w.srv.Root, "inbox", ArchiveDir))
	if s, err = Run(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if len(s.MoveErrors) != 0 || strings.Contains(cellsText(t, report), "移动失败") {
		t.Errorf("second run: %+v; the report says 移动失败: %v", s, strings.Contains(cellsText(t, report), "移动失败"))
	}
}

// Temporary files a cut upload left on the server (the report's, a
// receipt's, a receipt copied back into an institution's folder) are
// removed by the next run.
func TestStaleTemporaryFilesFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	stale := []string{"out/" + store.TempPrefix + "1", "out/" + ReceiptDir + "/" + store.TempPrefix + "2", "inbox/常柴/" + ReceiptDir + "/" + store.TempPrefix + "3"}
	for _, n := range stale {
		w.srv.Write(n, []byte("half"), time.Now().Add(-time.Hour))
	}
	w.srv.Write("inbox/常柴/a.xlsx", w.filled(0, 4), time.Now().Add(-time.Hour))
	if _, err := Run(context.Background(), Options{Config: w.config()}); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(w.srv.Root, filepath.FromSlash(n))); err == nil {
			t.Errorf("%s is still on the server", n)
		}
	}
}

// problemFor returns the problem line naming name, or "".
func problemFor(s *Summary, name string) string {
	for _, p := range s.Problems {
		if strings.HasPrefix(p, "「"+name+"」：") {
			return p
		}
	}
	return ""
}

// Every file in the inbox gets an answer: a receipt, or a line in the
// run's summary and last-run.json (kaohe status) naming it and saying what
// to do. Names with a line feed, a carriage return or a backslash are
// never used; one with a trailing space or in GBK is read like any other.
func TestEveryUploadAnswered(t *testing.T) {
	w := newWorld(t)
	for _, n := range []string{"line\nfeed.xlsx", "car\rriage.xlsx", "back\\slash.xlsx"} {
		w.drop(n, w.filled(0, 5))
	}
	w.drop("trailing.xlsx ", w.filled(1, 5))
	gbkName := templates.ShortName(w.std.Institutions[2].Name) + "-自评表.xlsx" // its institution's name: the file name says whose it is
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(gbkName)
	if err != nil {
		t.Fatal(err)
	}
	w.drop(gbk, w.filled(2, 5))
	w.drop("notes.pdf", []byte("%PDF-1.4"))
	w.drop("old.xlsx.part", []byte("half"))
	old := w.now.Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(w.inbox, "old.xlsx.part"), old, old)
	w.drop("new.xlsx.part", []byte("half")) // still being uploaded: no line yet

	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 2 || len(s.Receipts) != 2 {
		t.Errorf("summary = %+v, want the trailing-space and the GBK files accepted", s)
	}
	for name, want := range map[string]string{
		`line\nfeed.xlsx`:    "文件名含换行、回车、反斜杠",
		`car\rriage.xlsx`:    "改名",
		`back\slash.xlsx`:    "重新上传",
		"notes.pdf":          "不是表格文件",
		"old.xlsx.part":      "上传没有完成",
		"trailing.xlsx ":     "",
		"常柴-自评表.xlsx":        "",
		"new.xlsx.part":      "",
		"\ufffd":             "",
		"gbk\\xb3\\xa3.xlsx": "",
	} {
		got := problemFor(s, name)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("problem for %q = %q, want one saying %q", name, got, want)
		}
	}
	if len(s.Problems) != 5 {
		t.Errorf("problems: %q", s.Problems)
	}
	lr, err := state.ReadLastRun(w.state)
	if err != nil || strings.Join(lr.Problems, "\n") != strings.Join(s.Problems, "\n") {
		t.Errorf("last-run.json problems = %q, %v", lr.Problems, err)
	}
	// The GBK name is recorded, shown and archived decoded, its bytes kept.
	l, _ := state.OpenLedger(w.state)
	var rec *state.Record
	for i := range l.Records {
		if strings.HasSuffix(l.Records[i].Name, "-自评表.xlsx") {
			rec = &l.Records[i]
		}
	}
	if rec == nil || rec.Name != gbkName || inboxName(rec) != gbk || !strings.Contains(rec.MovedTo, gbkName) || rec.Via != viaFileName {
		t.Fatalf("the GBK upload's record: %+v", rec)
	}
	if b, _ := os.ReadFile(filepath.Join(w.state, state.LedgerFile)); bytes.ContainsRune(b, '\ufffd') {
		t.Error("the ledger holds U+FFFD")
	}
	if cells := cellsText(t, filepath.Join(w.out, ReportName(w.std))); !strings.Contains(cells, gbkName) || strings.ContainsRune(cells, '\ufffd') {
		t.Error("the report does not show the GBK name decoded")
	}
}

// Over FTP: a name with a backslash is named, never used; a file the
// server will not let kaohe read is named with what to do; a name with a
// trailing space is read.
func TestEveryUploadAnsweredFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.NoTLS)
	hour := time.Now().Add(-time.Hour)
	w.srv.Write("inbox/back\\slash.xlsx", w.filled(0, 6), hour)
	w.srv.Write("inbox/trailing.xlsx ", w.filled(1, 6), hour)
	w.srv.Write("inbox/unreadable.xlsx", w.filled(2, 6), hour)
	p := filepath.Join(w.srv.Root, "inbox", "unreadable.xlsx")
	os.Chown(p, 0, 0) // root's, and only root's: the server's session runs as the FTP user
	os.Chmod(p, 0o600)
	s, err := Run(context.Background(), Options{Config: w.config()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 1 || !strings.Contains(problemFor(s, `back\slash.xlsx`), "不读取") ||
		!strings.Contains(problemFor(s, "unreadable.xlsx"), "没有读取这个文件的权限") || len(s.Problems) != 2 {
		t.Errorf("summary: %+v", s)
	}
}

// Receipts are named by the minute of their run: two runs within a minute
// (kaohe run, then 立即汇总) answering the same institution, or a repeat of
// the same bytes, must not give a receipt the name of one the ledger
// already names: each receipt stays, each record names its own.
func TestReceiptNamesNeverReused(t *testing.T) {
	w := newWorld(t)
	at := w.now
	run := func(d time.Duration) *Summary {
		t.Helper()
		s, err := Run(context.Background(), Options{Config: w.config(), Now: func() time.Time { return at.Add(d) }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := w.filled(0, 1)
	w.drop("a.xlsx", first)
	run(0)
	w.drop("a2.xlsx", w.filled(0, 2))
	run(10 * time.Second)
	w.drop("a-again.xlsx", first)
	run(20 * time.Second)
	w.drop("a-again2.xlsx", first)
	run(30 * time.Second)
	l, err := state.OpenLedger(w.state)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	n := 0
	for _, rec := range l.Records {
		for _, name := range append([]string{rec.Receipt}, func() (out []string) {
			for _, rp := range rec.Repeats {
				out = append(out, rp.Receipt)
			}
			return out
		}()...) {
			n++
			if name == "" || names[name] {
				t.Errorf("receipt %q named twice (or not at all) in the ledger", name)
			}
			names[name] = true
		}
	}
	if got := files(t, filepath.Join(w.out, ReceiptDir)); n != 4 || len(got) != 4 {
		t.Errorf("%d receipts named, %d in the outbox: %q", n, len(got), got)
	}
}

// A report written again for its move notes (renote) is a report written:
// a run whose first report was the same as the one in place, but whose
// moves changed what it says, does not say the report was left as it was,
// and the ledger records it among the runs that published.
func TestRenotedReportPublished(t *testing.T) {
	w := newWorld(t)
	failFirstMove(t, w)
	report := filepath.Join(w.out, ReportName(w.std))
	before, _ := os.ReadFile(report)
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(report); bytes.Equal(before, after) {
		t.Fatal("the report was not written again with the move done")
	}
	if s.Unchanged {
		t.Error("the summary says the report is unchanged, but it was written again")
	}
	l, _ := state.OpenLedger(w.state)
	if n := len(l.Published); n == 0 || l.Published[n-1].Run != s.Run {
		t.Errorf("the ledger's published runs %+v do not include run %s, which wrote the report", l.Published, s.Run)
	}
	if _, err := os.Stat(filepath.Join(w.out, strings.TrimSuffix(ReportName(w.std), ".xlsx")+"-"+s.Run+".xlsx")); err != nil {
		t.Errorf("no dated copy of the report written again: %v", err)
	}
}

// An upload over max_file_mb is refused unread and not kept (no copy in a
// pack: the ledger says so). The runs after it say it was too large, not
// that its copy is lost; the same file uploaded again is a repeat, not a
// lost copy restored.
func TestOversizedNotKept(t *testing.T) {
	w := newWorld(t)
	cfg := w.config()
	cfg.MaxFileMB = 1
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16+100) // a little over 1 MB
	name := templates.ShortName(w.std.Institutions[0].Name) + "-自评表.xlsx"
	run := func(h Hooks) *Summary {
		t.Helper()
		now := w.now
		w.now = w.now.Add(24 * time.Hour)
		s, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Hooks: h})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	w.drop(name, big)
	// Rewritten after it was read: left in the inbox, and the report says
	// why without speaking of a copy.
	s := run(Hooks{Moving: func(string) {
		changed := append([]byte("X"), big[1:]...)
		os.WriteFile(filepath.Join(w.inbox, name), changed, 0o644)
	}})
	if s.Rejected != 1 {
		t.Fatalf("first run: %+v", s)
	}
	rec := recordOf(t, w.state, name)
	if !rec.NotKept || rec.Copy != "" || rec.Left == "" {
		t.Errorf("record of the oversized upload: not kept %t, copy %q, left %q", rec.NotKept, rec.Copy, rec.Left)
	}
	if packs := files(t, filepath.Join(w.state, state.FilesDir)); len(packs) != 0 {
		t.Errorf("copies kept of an upload over the limit: %q", packs)
	}
	report := filepath.Join(w.out, ReportName(w.std))
	if cells := cellsText(t, report); strings.Contains(cells, "副本在") || strings.Contains(cells, "存档副本") {
		t.Errorf("run 1: the report speaks of the copy of an upload not kept:\n%s", cells)
	}
	for i := range 2 {
		if i == 1 {
			w.drop("again-"+name, big)
		}
		s := run(Hooks{})
		cells := cellsText(t, report)
		if strings.Contains(cells, "副本在") || strings.Contains(cells, "存档副本") || !strings.Contains(cells, "文件超过 1 MB") {
			t.Errorf("run %d: the report does not say the upload was too large, or speaks of its copy:\n%s", i+2, cells)
		}
		if strings.Contains(strings.Join(s.Warnings, "\n"), "恢复") {
			t.Errorf("run %d: %q", i+2, s.Warnings)
		}
	}
	if packs := files(t, filepath.Join(w.state, state.FilesDir)); len(packs) != 0 {
		t.Errorf("copies kept of an upload over the limit: %q", packs)
	}
	// Rebuilt from the archive (the rewritten one read by run 2, and the
	// repeat of the first, are in rejected/): still not kept.
	os.Remove(filepath.Join(w.state, state.LedgerFile))
	if _, err := Rebuild(context.Background(), Options{Config: cfg, Now: func() time.Time { return w.now }}); err != nil {
		t.Fatal(err)
	}
	l, _ := state.OpenLedger(w.state)
	for _, rec := range l.Records {
		if !rec.NotKept || rec.Copy != "" {
			t.Errorf("rebuilt: %+v", rec)
		}
	}
	if len(l.Records) == 0 {
		t.Error("nothing rebuilt from the archive")
	}
	if packs := files(t, filepath.Join(w.state, state.FilesDir)); len(packs) != 0 {
		t.Errorf("copies kept by the rebuild of an upload over the limit: %q", packs)
	}
}

// A file uploaded again, byte for byte, counts nothing: its receipt names
// the earlier upload it repeats and the upload that counts for the
// institution now (file and time), which is not the repeated one once a
// newer upload replaced it.
func TestDuplicateReceiptNamesWhatCounts(t *testing.T) {
	w := newWorld(t)
	a := w.filled(0, 1)
	w.drop("a.xlsx", a)
	w.run()
	w.drop("b.xlsx", w.filled(0, 2)) // replaces a.xlsx
	w.run()
	w.drop("a-again.xlsx", a)
	s, err := w.run()
	if err != nil || s.Duplicates != 1 || len(s.Receipts) != 1 {
		t.Fatalf("%+v, %v", s, err)
	}
	ra, rb := recordOf(t, w.state, "a.xlsx"), recordOf(t, w.state, "b.xlsx")
	text := sheetText(dump(t, filepath.Join(w.out, s.Receipts[0])), "回执")
	cfg := w.config()
	cfg.Resolve()
	loc := cfg.loc
	for _, want := range []string{
		"「a.xlsx」", sheets.FormatTime(ra.Received.In(loc)), // what it repeats
		"「b.xlsx」", sheets.FormatTime(rb.Received.In(loc)), // what counts
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the duplicate's receipt does not say %s:\n%s", want, text)
		}
	}
}

// A move that failed is no longer said once the file's name is moved by a
// later run: the institution uploaded again under the same name, the run
// read the new file and moved it; the bytes whose move failed are no longer
// in the inbox (they are in their copy), and the report says so instead of
// 移动失败.
func TestMoveNoteClearedWhenReplaced(t *testing.T) {
	w := newWorld(t)
	failFirstMove(t, w)
	w.drop("a.xlsx", w.filled(0, 4)) // uploaded again under the same name
	s, err := w.run()
	if err != nil || s.New != 1 || len(s.MoveErrors) != 0 || len(inboxFiles(t, w.inbox)) != 0 {
		t.Fatalf("second run: %+v, %v; left %q", s, err, inboxFiles(t, w.inbox))
	}
	report := filepath.Join(w.out, ReportName(w.std))
	if cells := cellsText(t, report); strings.Contains(cells, "移动失败") {
		t.Errorf("the report still says 移动失败 after the file of that name was replaced and moved:\n%s", cells)
	}
	l, _ := state.OpenLedger(w.state)
	if rec := l.Records[0]; rec.MoveError != "" || rec.Left == "" {
		t.Errorf("the first upload's record: move error %q, left %q", rec.MoveError, rec.Left)
	}
}

// A move that failed is no longer said once the file is gone from the
// inbox (someone deleted it or moved it away): the bytes are in their copy,
// and the report says the file was no longer there, not 移动失败 in every
// report after.
func TestMoveNoteClearedWhenGone(t *testing.T) {
	w := newWorld(t)
	failFirstMove(t, w)
	if err := os.Remove(filepath.Join(w.inbox, "a.xlsx")); err != nil { // deleted by hand
		t.Fatal(err)
	}
	w.drop("b.xlsx", w.filled(1, 3)) // something new, so that the run publishes
	s, err := w.run()
	if err != nil || len(s.MoveErrors) != 0 {
		t.Fatalf("second run: %+v, %v", s, err)
	}
	report := filepath.Join(w.out, ReportName(w.std))
	if cells := cellsText(t, report); strings.Contains(cells, "移动失败") || !strings.Contains(cells, "已不在收件文件夹") {
		t.Errorf("the report after the file whose move failed was deleted:\n%s", cells)
	}
	l, _ := state.OpenLedger(w.state)
	if rec := l.Records[0]; rec.MoveError != "" || rec.Left != leftGone {
		t.Errorf("the first upload's record: move error %q, left %q", rec.MoveError, rec.Left)
	}
}

// failFirstMove drops a.xlsx and runs with the inbox's archive/ blocked
// by a file, so that its move fails (one move error), then clears the way.
func failFirstMove(t *testing.T, w *world) {
	t.Helper()
	w.drop("a.xlsx", w.filled(0, 3))
	block := filepath.Join(w.inbox, ArchiveDir)
	if err := os.WriteFile(block, []byte("in the way"), 0o644); err != nil { // archive/ cannot be made
		t.Fatal(err)
	}
	if s, err := w.run(); err != nil || len(s.MoveErrors) != 1 {
		t.Fatalf("first run: %+v, %v", s, err)
	}
	os.Remove(block)
}
