package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kaohe/pipeline/store"
	"kaohe/pipeline/store/local"
)

// openFails is a local inbox whose Open answers err for every name: a
// server out of reach, or (err nil) a name always taken.
type openFails struct {
	*local.Store
	err error
}

func (s openFails) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if s.err == nil {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return nil, s.err
}

// TestDepositBounded: Deposit takes the next free name on a clash, never
// overwrites, and ends with an error (instead of trying names forever)
// when the inbox cannot say whether a name is free or every name is taken.
func TestDepositBounded(t *testing.T) {
	received := time.Date(2013, 12, 1, 10, 0, 0, 0, time.UTC)
	deposit := func(t *testing.T, inbox store.Store, cfg *Config, name, data string) (string, error) {
		t.Helper()
		type result struct {
			name string
			err  error
		}
		done := make(chan result, 1)
		go func() {
			n, err := Deposit(context.Background(), inbox, cfg, name, []byte(data), received)
			done <- result{n, err}
		}()
		select {
		case r := <-done:
			return r.name, r.err
		case <-time.After(10 * time.Second):
			t.Fatalf("Deposit(%s) still going after 10s", name)
		}
		return "", nil
	}
	setup := func(t *testing.T) (*local.Store, *Config) {
		dir := t.TempDir()
		cfg := DefaultConfig()
		cfg.Inbox, cfg.Out = filepath.Join(dir, "inbox"), filepath.Join(dir, "out")
		if err := cfg.Resolve(); err != nil {
			t.Fatal(err)
		}
		return &local.Store{Root: cfg.Inbox}, &cfg
	}
	const name = "常柴/20131201-180000-表.xlsx"

	t.Run("clash", func(t *testing.T) {
		inbox, cfg := setup(t)
		var got []string
		for i := range 3 {
			n, err := deposit(t, inbox, cfg, name, fmt.Sprint("upload ", i))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		}
		want := []string{name, "常柴/20131201-180000-表-2.xlsx", "常柴/20131201-180000-表-3.xlsx"}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("names %q, want %q", got, want)
			}
			b, err := os.ReadFile(inbox.Path(want[i]))
			if err != nil || string(b) != fmt.Sprint("upload ", i) {
				t.Errorf("%s holds %q (%v), want upload %d", want[i], b, err, i)
			}
		}
		des, _ := os.ReadDir(filepath.Join(cfg.Inbox, "常柴"))
		if len(des) != 3 {
			t.Errorf("the folder holds %d files, want 3 (no temporary file left)", len(des))
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		inbox, cfg := setup(t)
		_, err := deposit(t, openFails{inbox, fmt.Errorf("opening: %w", store.ErrUnavailable)}, cfg, name, "x")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if des, _ := os.ReadDir(filepath.Join(cfg.Inbox, "常柴")); len(des) != 0 {
			t.Errorf("the folder holds %d files after a failed deposit, want none", len(des))
		}
	})
	t.Run("every name taken", func(t *testing.T) {
		inbox, cfg := setup(t)
		_, err := deposit(t, openFails{inbox, nil}, cfg, name, "x")
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("err = %v, want ErrExists", err)
		}
	})
}
