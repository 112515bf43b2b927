package local

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kaohe/pipeline/store"
	"kaohe/pipeline/store/storetest"
)

// The conformance suite on a temp folder.
func TestStore(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, &Store{Root: dir}, func(name string) {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
			t.Fatal(err)
		}
	})
}

// tempFiles lists the temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, store.TempPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// failingReader fails after n bytes.
type failingReader struct {
	r io.Reader
	n int
}

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n <= 0 {
		return 0, syscall.ENOSPC
	}
	if len(b) > f.n {
		b = b[:f.n]
	}
	n, err := f.r.Read(b)
	f.n -= n
	return n, err
}

// TestWriteFailureKeepsReport: a write that fails halfway (here an injected
// ENOSPC from the reader being copied) leaves the file it replaces intact
// and no temp file. The pipeline's TestFullDisk does this on a real full
// disk where it can.
func TestWriteFailureKeepsReport(t *testing.T) {
	dir := t.TempDir()
	l := &Store{Root: dir}
	ctx := context.Background()
	if err := l.Put(ctx, "汇总排名表-2013.xlsx", strings.NewReader("the previous report")); err != nil {
		t.Fatal(err)
	}
	err := l.Put(ctx, "汇总排名表-2013.xlsx", &failingReader{r: strings.NewReader(strings.Repeat("new ", 10000)), n: 5000})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put = %v, want ENOSPC", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "汇总排名表-2013.xlsx")); string(b) != "the previous report" {
		t.Errorf("the previous file became %.40q", b)
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temp files left: %q", tmp)
	}
}

// TestFeatures: a folder can do everything store.Features names; a staged
// Put leaves the previous file in place, and a synced temporary file
// beside it, until its commit; Clean removes such a file once abandoned.
func TestFeatures(t *testing.T) {
	dir := t.TempDir()
	s := &Store{Root: dir}
	f := store.FeaturesOf(s)
	if f.Stage == nil || f.Batch == nil || f.MoveLazy == nil || f.SyncDirs == nil || f.Clean == nil || f.Path == nil || !f.ParallelPut {
		t.Fatalf("features of a folder: %+v", f)
	}
	ctx := context.Background()
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		return string(b)
	}
	if err := s.Put(ctx, "r.xlsx", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	commit, err := f.Stage(ctx, "r.xlsx", strings.NewReader("new"))
	if err != nil {
		t.Fatal(err)
	}
	if got := read("r.xlsx"); got != "old" || len(tempFiles(t, dir)) != 1 {
		t.Errorf("staged: r.xlsx = %q, temp files %q", got, tempFiles(t, dir))
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	if got := read("r.xlsx"); got != "new" || len(tempFiles(t, dir)) != 0 {
		t.Errorf("committed: r.xlsx = %q, temp files %q", got, tempFiles(t, dir))
	}
	if _, err := f.Stage(ctx, "回执/x.xlsx", strings.NewReader("never committed")); err != nil {
		t.Fatal(err)
	}
	f.Clean("回执")
	if tmp := tempFiles(t, filepath.Join(dir, "回执")); len(tmp) != 0 {
		t.Errorf("after Clean: %q", tmp)
	}

	// A batch: nothing under its name until the commit; an aborted one leaves nothing.
	b := f.Batch()
	for _, name := range []string{"回执/a.xlsx", "回执/b.xlsx"} {
		if err := b.Write(name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Write("../x", nil); !errors.Is(err, store.ErrBadName) {
		t.Errorf("Write ../x: %v, want ErrBadName", err)
	}
	if read("回执/a.xlsx") != "" {
		t.Error("a batch's file is visible before the commit")
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if read("回执/a.xlsx") != "回执/a.xlsx" || read("回执/b.xlsx") != "回执/b.xlsx" {
		t.Error("a committed batch's files are not in place")
	}
	b = f.Batch()
	b.Write("回执/c.xlsx", []byte("c"))
	b.Abort()
	if read("回执/c.xlsx") != "" || len(tempFiles(t, filepath.Join(dir, "回执"))) != 0 {
		t.Error("an aborted batch left files")
	}

	// Lazy moves, synced once.
	dirA, err := f.MoveLazy(ctx, "回执/a.xlsx", "archive/a.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SyncDirs([]string{dirA}); err != nil {
		t.Fatal(err)
	}
	if read("archive/a.xlsx") != "回执/a.xlsx" {
		t.Error("a lazy move did not move")
	}
	if _, err := f.MoveLazy(ctx, "回执/b.xlsx", "archive/a.xlsx"); !errors.Is(err, store.ErrExists) {
		t.Errorf("a lazy move onto a file: %v, want ErrExists", err)
	}
	if p := f.Path("回执/b.xlsx"); !filepath.IsAbs(p) || read("回执/b.xlsx") == "" {
		t.Errorf("Path = %q", p)
	} else if b, err := os.ReadFile(p); err != nil || string(b) != "回执/b.xlsx" {
		t.Errorf("Path %q: %q, %v", p, b, err)
	}
}

// WriteFile gives others read access (reports, receipts); WriteFileMode
// 0o600 gives a file only its owner reads (the portal's links workbook,
// which holds the tokens), replacing a file that others could read.
func TestWriteFileMode(t *testing.T) {
	dir := t.TempDir()
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	p := filepath.Join(dir, "links.xlsx")
	for _, c := range []struct {
		perm os.FileMode
		text string
	}{{0o644, "a"}, {0o600, "b"}} {
		var err error
		if c.perm == 0o644 {
			err = WriteFile(p, text(c.text))
		} else {
			err = WriteFileMode(p, c.perm, text(c.text))
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); fi.Mode().Perm() != c.perm || string(b) != c.text {
			t.Errorf("mode %v, text %q; want %v, %q", fi.Mode().Perm(), b, c.perm, c.text)
		}
	}
}
