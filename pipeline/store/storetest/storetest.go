// Package storetest is the conformance suite every kind of store passes:
// the local folder's tests run it on a temp folder, the FTP store's on a
// real vsftpd (plain, explicit TLS and implicit TLS).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"kaohe/pipeline/store"
)

// Run checks the Store contract on s, an empty store; mkdir makes a
// folder in it by other means.
func Run(t *testing.T, s store.Store, mkdir func(name string)) {
	ctx := context.Background()
	get := func(t *testing.T, name string) []byte {
		t.Helper()
		rc, err := s.Open(ctx, name)
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("reading %q: %v", name, err)
		}
		return b
	}
	names := func(t *testing.T, dir string) string {
		t.Helper()
		es, err := s.List(ctx, dir)
		if err != nil {
			t.Fatalf("List(%q): %v", dir, err)
		}
		var out []string
		for _, e := range es {
			n := e.Name
			if e.Dir {
				n += "/"
			}
			out = append(out, n)
		}
		return strings.Join(out, " ")
	}
	put := func(t *testing.T, name string, b []byte) {
		t.Helper()
		if err := s.Put(ctx, name, bytes.NewReader(b)); err != nil {
			t.Fatalf("Put(%q): %v", name, err)
		}
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		r := rand.NewChaCha8([32]byte{byte(n)})
		r.Read(b)
		return b
	}

	t.Run("empty", func(t *testing.T) {
		if got := names(t, ""); got != "" {
			t.Errorf("List of an empty store = %q", got)
		}
		if _, err := s.List(ctx, "nothere"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("List of a missing folder: %v, want ErrNotFound", err)
		}
	})

	t.Run("put-open-list", func(t *testing.T) {
		before := time.Now().Add(-time.Hour)
		cases := []struct{ name, desc string }{
			{"a.xlsx", "plain"},
			{"回执/2013-常柴 国家 鉴定所-回执.xlsx", "Chinese, spaces, a new folder"},
			{"x/y/z.bin", "two new folders"},
			{"empty.xlsx", "zero bytes"},
			{"big.bin", "1.5 MB (TLS 1.3 truncated such uploads on vsftpd)"},
		}
		sizes := map[string]int{"a.xlsx": 1000, "回执/2013-常柴 国家 鉴定所-回执.xlsx": 5000, "x/y/z.bin": 10, "empty.xlsx": 0, "big.bin": 1536 << 10}
		for _, c := range cases {
			b := random(sizes[c.name])
			put(t, c.name, b)
			if got := get(t, c.name); !bytes.Equal(got, b) {
				t.Errorf("%s (%s): read back %d bytes, want %d identical", c.name, c.desc, len(got), len(b))
			}
		}
		if got, want := names(t, ""), "a.xlsx big.bin empty.xlsx x/ 回执/"; got != want {
			t.Errorf("List root = %q, want %q (sorted, no temporary files)", got, want)
		}
		if got, want := names(t, "x"), "x/y/"; got != want {
			t.Errorf("List x = %q, want %q", got, want)
		}
		es, err := s.List(ctx, "回执")
		if err != nil || len(es) != 1 {
			t.Fatalf("List 回执 = %v, %v", es, err)
		}
		e := es[0]
		if e.Name != "回执/2013-常柴 国家 鉴定所-回执.xlsx" || e.Size != 5000 || e.Dir || e.Odd != "" {
			t.Errorf("entry = %+v", e)
		}
		if e.ModTime.Before(before) || e.ModTime.After(time.Now().Add(time.Hour)) {
			t.Errorf("ModTime = %v, want about now", e.ModTime)
		}
	})

	t.Run("put-replaces", func(t *testing.T) {
		put(t, "r.xlsx", []byte("old"))
		put(t, "r.xlsx", []byte("new, longer"))
		if got := string(get(t, "r.xlsx")); got != "new, longer" {
			t.Errorf("after a second Put: %q", got)
		}
	})

	t.Run("put-fails-keeps-old", func(t *testing.T) {
		put(t, "keep.xlsx", []byte("old"))
		err := s.Put(ctx, "keep.xlsx", io.MultiReader(strings.NewReader("half"), errReader{}))
		if err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		if got := string(get(t, "keep.xlsx")); got != "old" {
			t.Errorf("after a failed Put: %q, want the old bytes", got)
		}
	})

	t.Run("open-errors", func(t *testing.T) {
		if _, err := s.Open(ctx, "missing.xlsx"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Open missing: %v, want ErrNotFound", err)
		}
		mkdir("folder.xlsx")
		if _, err := s.Open(ctx, "folder.xlsx"); !errors.Is(err, store.ErrNotRegular) {
			t.Errorf("Open a folder: %v, want ErrNotRegular", err)
		}
	})

	t.Run("move", func(t *testing.T) {
		b := random(3000)
		put(t, "m.xlsx", b)
		put(t, "other.xlsx", []byte("other"))
		if err := s.Move(ctx, "m.xlsx", "archive/2014-01-05/020000-m.xlsx"); err != nil {
			t.Fatal(err)
		}
		if got := get(t, "archive/2014-01-05/020000-m.xlsx"); !bytes.Equal(got, b) {
			t.Error("moved file differs")
		}
		if _, err := s.Open(ctx, "m.xlsx"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after Move the source: %v, want ErrNotFound", err)
		}
		if err := s.Move(ctx, "m.xlsx", "archive/x.xlsx"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Move a missing file: %v, want ErrNotFound", err)
		}
		if err := s.Move(ctx, "other.xlsx", "archive/2014-01-05/020000-m.xlsx"); !errors.Is(err, store.ErrExists) {
			t.Errorf("Move onto a file: %v, want ErrExists", err)
		}
		if string(get(t, "other.xlsx")) != "other" || !bytes.Equal(get(t, "archive/2014-01-05/020000-m.xlsx"), b) {
			t.Error("a refused Move changed a file")
		}
	})

	feat := store.FeaturesOf(s)
	t.Run("stat", func(t *testing.T) {
		if feat.Stat == nil {
			t.Skip("the store cannot look at one file")
		}
		put(t, "st/a.xlsx", random(1234))
		es, err := s.List(ctx, "st")
		if err != nil || len(es) != 1 {
			t.Fatalf("List st = %v, %v", es, err)
		}
		e, err := feat.Stat(ctx, "st/a.xlsx")
		if err != nil || !e.Same(es[0]) || e.Name != "st/a.xlsx" {
			t.Errorf("Stat = %+v, %v; listed %+v", e, err, es[0])
		}
		put(t, "st/a.xlsx", random(1235))
		if e2, err := feat.Stat(ctx, "st/a.xlsx"); err != nil || e2.Same(e) {
			t.Errorf("Stat after a Put of other bytes = %+v, %v: the same as before", e2, err)
		}
		if e.ID != "" { // a store that knows a file itself tells a file replaced by one of the same size
			e, _ = feat.Stat(ctx, "st/a.xlsx")
			put(t, "st/a.xlsx", random(1235)[:1235])
			if e2, err := feat.Stat(ctx, "st/a.xlsx"); err != nil || e2.Same(e) {
				t.Errorf("Stat after a Put of as many bytes = %+v, %v: the same as before", e2, err)
			}
		}
		if _, err := feat.Stat(ctx, "st/missing.xlsx"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Stat missing: %v, want ErrNotFound", err)
		}
		if _, err := feat.Stat(ctx, "../x"); !errors.Is(err, store.ErrBadName) {
			t.Errorf("Stat ../x: %v, want ErrBadName", err)
		}
	})

	t.Run("remove", func(t *testing.T) {
		if feat.Remove == nil {
			t.Skip("the store cannot remove a file")
		}
		put(t, "rm/a.xlsx", []byte("a"))
		put(t, "rm/b.xlsx", []byte("b"))
		if err := feat.Remove(ctx, "rm/a.xlsx"); err != nil {
			t.Fatal(err)
		}
		if got := names(t, "rm"); got != "rm/b.xlsx" {
			t.Errorf("after Remove: %q", got)
		}
		if err := feat.Remove(ctx, "rm/a.xlsx"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Remove missing: %v, want ErrNotFound", err)
		}
		if err := feat.Remove(ctx, "a/../../x"); !errors.Is(err, store.ErrBadName) {
			t.Errorf("Remove a/../../x: %v, want ErrBadName", err)
		}
	})

	t.Run("bad-names", func(t *testing.T) {
		for _, name := range []string{"", "../x.xlsx", "a/../../x.xlsx", "/etc/passwd", "a\\b.xlsx", "a\x00b", "a\rb", "a\nb", "a//b", "./a"} {
			if _, err := s.Open(ctx, name); !errors.Is(err, store.ErrBadName) {
				t.Errorf("Open(%q): %v", name, err)
			}
			if err := s.Put(ctx, name, strings.NewReader("x")); !errors.Is(err, store.ErrBadName) {
				t.Errorf("Put(%q): %v", name, err)
			}
			if err := s.Move(ctx, "a.xlsx", name); !errors.Is(err, store.ErrBadName) {
				t.Errorf("Move to %q: %v", name, err)
			}
			if err := s.Move(ctx, name, "b.xlsx"); !errors.Is(err, store.ErrBadName) {
				t.Errorf("Move from %q: %v", name, err)
			}
			if name != "" {
				if _, err := s.List(ctx, name); !errors.Is(err, store.ErrBadName) {
					t.Errorf("List(%q): %v", name, err)
				}
			}
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Go(func() {
				name := fmt.Sprintf("c/%d.bin", i)
				b := random(20000 + i)
				if err := s.Put(ctx, name, bytes.NewReader(b)); err != nil {
					errs <- err
					return
				}
				rc, err := s.Open(ctx, name)
				if err != nil {
					errs <- err
					return
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, b) {
					errs <- fmt.Errorf("%s differs", name)
				}
				if _, err := s.List(ctx, "c"); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.List(cctx, ""); !errors.Is(err, context.Canceled) {
			t.Errorf("List with a cancelled context: %v", err)
		}
	})

	t.Run("string", func(t *testing.T) {
		if s.String() == "" {
			t.Error("String is empty")
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
