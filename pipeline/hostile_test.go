package pipeline

// Hostile input end to end: a run over the whole hostile corpus
// (sheets/testdata/hostile) with valid files ranks the valid ones, rejects
// each bad one with its receipt and stays under 300 MB of memory; a drop
// folder holding links, FIFOs and devices is never blocked or followed;
// template tokens bind a workbook to its institution.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/pipeline/store/local"
	"kaohe/sheets"
)

const hostileCorpus = "../sheets/testdata/hostile"

// hostileExpect is a part of the receipt of some corpus files: the
// messages themselves are checked file by file in sheets/hostile_test.go.
var hostileExpect = map[string]string{
	"zip-bomb.xlsx":              "压缩炸弹",
	"rows-1048576.xlsx":          "第 10,001 行仍有内容或格式",
	"row-2147483647.xlsx":        "行号 2147483647",
	"password.xlsx":              "打开密码",
	"legacy-xls.xlsx":            ".xls 格式",
	"ods-renamed.xlsx":           ".ods 格式",
	"macro-enabled.xlsm":         "启用宏",
	"dtd-entities.xlsx":          "DTD",
	"overlong-text.xlsx":         "32,767",
	"empty.xlsx":                 "文件是空的",
	"csv-renamed.xlsx":           "CSV",
	"long-institution.xlsx":      "共 30,000 个字符",
	"formula-text.xlsx":          "看起来像公式",
	"truncated-upload.xlsx":      "文件不完整",
	"malformed-row.xlsx":         "XML 格式错误",
	"shared-string-missing.xlsx": "共享字符串",
}

// TestHostileCorpusRun runs kaohe over the corpus plus valid files in a
// child process and measures its peak memory (getrusage's maxrss of the
// child): a memory bound, not a timing.
func TestHostileCorpusRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	w := newWorld(t)
	des, err := os.ReadDir(hostileCorpus)
	if err != nil || len(des) < 20 {
		t.Fatalf("the hostile corpus: %v (%d files)", err, len(des))
	}
	var corpus []string
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(hostileCorpus, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w.drop(de.Name(), b)
		corpus = append(corpus, de.Name())
	}
	set := demoSet(w.std, 5)
	valid := []string{w.std.Institutions[0].Name, w.std.Institutions[1].Name, w.std.Institutions[2].Name}
	for i, in := range valid {
		w.upload(fmt.Sprintf("valid-%d.xlsx", i), in, set[in])
	}
	sumFile := filepath.Join(w.dir, "summary.json")
	code, out, ru := runChild(t, childSpec{Inbox: w.inbox, Out: w.out, State: w.state, Now: w.now, Summary: sumFile})
	if code != 0 {
		t.Fatalf("child exit %d:\n%s", code, out)
	}
	maxRSS := ru.Maxrss << 10 // KB on Linux
	t.Logf("corpus run (%d hostile files, %d valid): peak RSS %d MB, user %s, sys %s", len(corpus), len(valid),
		maxRSS>>20, time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()))
	if maxRSS > 300<<20 {
		t.Errorf("peak RSS %d MB, limit 300 MB", maxRSS>>20)
	}
	var s Summary
	b, err := os.ReadFile(sumFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	// formula-text.xlsx is 省常技's, accepted with warnings.
	if s.New != len(corpus)+len(valid) || s.Accepted != len(valid)+1 || s.Rejected != len(corpus)-1 || s.Ranked != len(valid)+1 {
		t.Errorf("summary: new %d accepted %d rejected %d ranked %d, want %d %d %d %d",
			s.New, s.Accepted, s.Rejected, s.Ranked, len(corpus)+len(valid), len(valid)+1, len(corpus)-1, len(valid)+1)
	}
	report := dump(t, filepath.Join(w.out, ReportName(w.std)))
	ranked := rankingRows(t, report)
	if len(ranked) != len(valid)+1 {
		t.Errorf("ranked %q", ranked)
	}
	l, err := state.OpenLedger(w.state)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*state.Record{}
	for i := range l.Records {
		byName[l.Records[i].Name] = &l.Records[i]
	}
	for _, name := range corpus {
		r := byName[name]
		if r == nil {
			t.Errorf("%s was not consumed", name)
			continue
		}
		wantDir := RejectedDir + "/"
		if name == "formula-text.xlsx" {
			wantDir = ArchiveDir + "/"
		}
		if !strings.HasPrefix(r.MovedTo, wantDir) {
			t.Errorf("%s moved to %q", name, r.MovedTo)
		}
		if r.Receipt == "" {
			t.Errorf("%s has no receipt", name)
			continue
		}
		text := cellsText(t, filepath.Join(w.out, filepath.FromSlash(r.Receipt)))
		if want, ok := hostileExpect[name]; ok && !strings.Contains(text, want) {
			t.Errorf("the receipt of %s does not say %q", name, want)
		}
		if name != "formula-text.xlsx" && !strings.Contains(text, string(sheets.StatusRejected)) {
			t.Errorf("the receipt of %s is not 未通过校验", name)
		}
	}
	// Text that looks like a formula stayed text in the report and receipts.
	for _, f := range append(files(t, filepath.Join(w.out, ReceiptDir)), "../"+ReportName(w.std)) {
		noFormulas(t, filepath.Join(w.out, ReceiptDir, f))
	}
	if !strings.Contains(cellsText(t, filepath.Join(w.out, ReportName(w.std))), `=HYPERLINK("http://example.com/?q="&A1,"点此查看")`) {
		t.Error("the report does not show the formula-looking text as text")
	}
}

// cellsText is every cell of a workbook, joined.
func cellsText(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	for _, rows := range dump(t, path) {
		for _, row := range rows {
			b.WriteString(strings.Join(row, "|"))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// noFormulas fails when any cell of a workbook holds a formula.
func noFormulas(t *testing.T, path string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for r, row := range rows {
			for c := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula(sh, ref); formula != "" {
					t.Errorf("%s %s!%s holds a formula %q", filepath.Base(path), sh, ref, formula)
				}
			}
		}
	}
}

// TestDropFolderNotTrusted: symlinks, hard links, a FIFO, a device and a
// folder named .xlsx are skipped with a note, never opened or followed; a
// FIFO never blocks the run; a name kaohe cannot use is skipped; a very
// long name is archived under a shortened one.
func TestDropFolderNotTrusted(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 8)
	in := w.std.Institutions[0].Name
	w.upload("ok.xlsx", in, set[in])
	long := strings.Repeat("很长的文件名", 13) + ".xlsx" // 239 bytes: with the archive prefix past 255
	w.upload(long, w.std.Institutions[1].Name, set[w.std.Institutions[1].Name])
	outside := filepath.Join(w.dir, "outside.xlsx")
	if err := os.WriteFile(outside, w.tmpl[in], 0o644); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(outside, filepath.Join(w.inbox, "symlink.xlsx")))
	must(os.Symlink("/etc/passwd", filepath.Join(w.inbox, "passwd.xlsx")))
	must(os.Link(outside, filepath.Join(w.inbox, "hardlink.xlsx")))
	must(syscall.Mkfifo(filepath.Join(w.inbox, "fifo.xlsx"), 0o644))
	must(os.Symlink(filepath.Join(w.inbox, "fifo.xlsx"), filepath.Join(w.inbox, "link-to-fifo.xlsx")))
	must(os.Mkdir(filepath.Join(w.inbox, "folder.xlsx"), 0o755))
	odd := []string{"symlink.xlsx", "passwd.xlsx", "hardlink.xlsx", "fifo.xlsx", "link-to-fifo.xlsx"}
	if err := syscall.Mknod(filepath.Join(w.inbox, "device.xlsx"), syscall.S_IFCHR|0o644, 1<<8|3); err == nil { // /dev/null's numbers
		odd = append(odd, "device.xlsx")
	} else {
		t.Logf("no device file (mknod: %v)", err)
	}
	if err := os.WriteFile(filepath.Join(w.inbox, "new\nline.xlsx"), w.tmpl[in], 0o644); err == nil {
		odd = append(odd, "new\nline.xlsx")
	}
	old := w.now.Add(-time.Hour)
	for _, n := range odd {
		os.Chtimes(filepath.Join(w.inbox, n), old, old) // not through links
	}

	type result struct {
		s   *Summary
		err error
	}
	done := make(chan result, 1)
	go func() { s, err := w.run(); done <- result{s, err} }()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute): // a safety net, not a timing assert: a blocked open never returns
		t.Fatal("the run is blocked (opening the FIFO?)")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	s := r.s
	if s.Accepted != 2 || s.New != 2 || s.Skipped != len(odd) || len(s.MoveErrors) != 0 {
		t.Errorf("summary: %+v", s)
	}
	notes := strings.Join(s.Warnings, "\n")
	for _, n := range odd {
		if n == "new\nline.xlsx" {
			continue // skipped as an unsafe name
		}
		if !strings.Contains(notes, "跳过 "+n+"：") {
			t.Errorf("no note for %s in %q", n, notes)
		}
		if _, err := os.Lstat(filepath.Join(w.inbox, n)); err != nil {
			t.Errorf("%s was touched: %v", n, err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(w.inbox, "fifo.xlsx")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is gone: %v", err)
	}
	l, _ := state.OpenLedger(w.state)
	for _, r := range l.Records {
		if r.MovedTo == "" || len(filepath.Base(r.MovedTo)) > 255 {
			t.Errorf("%s archived as %q", r.Name, r.MovedTo)
		}
	}
	// Opened directly, each odd file is refused on its handle, at once.
	inbox := &local.Store{Root: w.inbox}
	for _, n := range odd[:5] {
		rc, err := inbox.Open(context.Background(), n)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, store.ErrNotRegular) {
			t.Errorf("Open(%s) = %v, want store.ErrNotRegular", n, err)
		}
	}
	// State copies are named by hash, never by the upload's name, in a
	// pack named by the run.
	packs := files(t, filepath.Join(w.state, state.FilesDir))
	if len(packs) != 1 || !regexp.MustCompile(`^\d{8}-\d{6}-[0-9a-f]{8}\.zip$`).MatchString(packs[0]) {
		t.Fatalf("state copies: %q, want one pack of the run", packs)
	}
	zr, err := zip.OpenReader(filepath.Join(w.state, state.FilesDir, packs[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != s.New {
		t.Errorf("%d copies in the pack for %d uploads", len(zr.File), s.New)
	}
	for _, zf := range zr.File {
		if len(zf.Name) != 64+len(".xlsx") || zf.Method != zip.Store {
			t.Errorf("state copy named %q, method %d", zf.Name, zf.Method)
		}
	}
}

// TestTokens: with token_secret_env, a template carries its institution's
// token; a workbook whose 鉴定机构 was changed, or one without a token, is
// rejected; without it, tokens are neither written nor checked. The secret
// is never logged.
func TestTokens(t *testing.T) {
	const secret = "s3cret-for-the-2013-forms"
	t.Setenv("KAOHE_TEST_TOKEN_SECRET", secret)
	w := newWorld(t)
	cfg := w.config()
	cfg.TokenSecretEnv = "KAOHE_TEST_TOKEN_SECRET"
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(w.dir, "forms")
	a, b := w.std.Institutions[0], w.std.Institutions[1]
	for _, in := range []string{a.Name, b.Name} {
		if _, err := WriteTemplatesConfig(&cfg, w.std, dir, in); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := func(in string) []byte {
		for _, x := range w.std.Institutions {
			if x.Name == in {
				data, err := os.ReadFile(filepath.Join(dir, sheets.TemplateFileName(w.std, x)))
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
		}
		t.Fatalf("no institution %s", in)
		return nil
	}
	set := demoSet(w.std, 9)
	fill := func(template []byte, values map[string]any) []byte {
		var buf bytes.Buffer
		if err := sheets.Fill(bytes.NewReader(template), &buf, values); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	forged := map[string]any{}
	for k, v := range set[a.Name] {
		forged[k] = v
	}
	forged["inst_name"] = a.Name
	files := map[string][]byte{
		"a.xlsx":        fill(tmpl(a.Name), set[a.Name]),
		"b-as-a.xlsx":   fill(tmpl(b.Name), forged),
		"no-token.xlsx": fill(w.tmpl[a.Name], set[a.Name]),
	}
	cases := []struct {
		file, want string
	}{
		{"a.xlsx", ""},
		{"b-as-a.xlsx", "校验标记与鉴定机构「" + a.Name + "」不符"},
		{"no-token.xlsx", "没有市中心的校验标记"},
	}
	for _, c := range cases {
		sub := readSubmission(files[c.file], c.file, w.std, &cfg)
		switch {
		case c.want == "" && !sub.Accepted():
			t.Errorf("%s rejected: %v", c.file, sub.Issues)
		case c.want != "" && (sub.Accepted() || !strings.Contains(fmt.Sprint(sub.Issues), c.want)):
			t.Errorf("%s: %v, want %q", c.file, sub.Issues, c.want)
		}
		// Without a secret, tokens are not checked.
		if off := readSubmission(files[c.file], c.file, w.std, &Config{MaxFileMB: 20}); !off.Accepted() {
			t.Errorf("%s without tokens: %v", c.file, off.Issues)
		}
	}
	// A whole run with tokens: the secret is in no log line and no file of the state.
	for name, data := range files {
		w.drop(name, data)
	}
	var logs bytes.Buffer
	now := w.now
	s, err := Run(context.Background(), Options{Config: cfg, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 1 || s.Rejected != 2 {
		t.Errorf("run with tokens: %+v", s)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the secret is in the log")
	}
	filepath.WalkDir(w.state, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
				t.Errorf("the secret is in %s", p)
			}
		}
		return nil
	})
	// The configuration names a variable that is not set: an error naming it.
	cfg2 := w.config()
	cfg2.TokenSecretEnv = "KAOHE_TEST_NO_SUCH_SECRET"
	os.Unsetenv("KAOHE_TEST_NO_SUCH_SECRET")
	if err := cfg2.Resolve(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "KAOHE_TEST_NO_SUCH_SECRET") {
		t.Errorf("unset secret: %v", err)
	}
	t.Setenv("KAOHE_TEST_SHORT_SECRET", "short")
	cfg2.TokenSecretEnv = "KAOHE_TEST_SHORT_SECRET"
	if err := cfg2.Resolve(); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("short secret: %v (an error that does not repeat the secret)", err)
	}
}
