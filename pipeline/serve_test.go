package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// testTimeout only guards against a hang; no test waits for it.
const testTimeout = 20 * time.Second

// Log messages the tests wait for.
const (
	msgSkipped  = "run skipped: the previous run is still going"
	msgPanicked = "run panicked"
	msgStopping = "stopping: no new runs; waiting for the current one"
	msgCutOff   = "grace period over: cancelling the current run"
)

// yearly comes due once a year, so it never fires during a test (short of
// one started in the last second of a year).
const yearly = "0 0 1 1 *"

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		name, spec, err string
	}{
		{"default", DefaultSchedule, ""},
		{"five fields", "30 1 * * 1-5", ""},
		{"seconds", "* * * * * *", ""},
		{"descriptor", "@daily", ""},
		{"every", "@every 1h", ""},
		{"TZ and a tab", "TZ=UTC\t0 2 * * *", ""},
		{"empty", "  ", "为空"},
		{"only a zone", "CRON_TZ=Asia/Shanghai", "只有时区"},
		{"only TZ", "TZ=UTC ", "只有时区"},
		{"unknown zone", "CRON_TZ=Mars/Olympus 0 2 * * *", `时区 "Mars/Olympus" 未知`},
		{"empty zone", "CRON_TZ= 0 2 * * *", "时区 \"\" 未知"},
		{"out of range", "61 2 * * *", "无法解析"},
		{"too few fields", "0 2 *", "无法解析"},
		{"never due", "0 2 30 2 *", "永远不会到期"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("ParseSchedule(%q) = %v", tc.spec, err)
			case tc.err == "" && s == nil:
				t.Fatalf("ParseSchedule(%q) = nil schedule", tc.spec)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("ParseSchedule(%q) = %v, want an error with %q", tc.spec, err, tc.err)
			}
		})
	}
}

func TestConfigSchedule(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte("out = \"out\"\nschedule = \"CRON_TZ=Asia/Shanghai\"\n"), 0o644)
	_, err := LoadConfig(p)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `第 2 行: schedule = "CRON_TZ=Asia/Shanghai": 只有时区`) {
		t.Errorf("err = %v", err)
	}
	os.WriteFile(p, []byte("log_format = \"xml\"\ngrace = \"30s\"\n"), 0o644)
	if _, err = LoadConfig(p); err == nil || !strings.Contains(err.Error(), `第 1 行: log_format = "xml"`) {
		t.Errorf("err = %v", err)
	}
	os.WriteFile(p, []byte("log_format = \"json\"\ngrace = \"30s\"\nschedule = \"* * * * * *\"\n"), 0o644)
	cfg, err := LoadConfig(p)
	if err != nil || cfg.Grace != store.Duration(30*time.Second) || cfg.LogFormat != "json" {
		t.Errorf("cfg = %+v, %v", cfg, err)
	}
}

func TestLastDue(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2014, 1, 5, 10, 0, 0, 0, sh) // a Sunday
	for _, tc := range []struct {
		name, spec string
		want       time.Time
	}{
		{"daily", "0 2 * * *", time.Date(2014, 1, 5, 2, 0, 0, 0, sh)},
		{"default", DefaultSchedule, time.Date(2014, 1, 5, 2, 0, 0, 0, sh)},
		{"due right now", "CRON_TZ=UTC 0 2 * * *", now},
		{"mondays", "0 2 * * 1", time.Date(2013, 12, 30, 2, 0, 0, 0, sh)},
		{"yearly", "0 2 1 1 *", time.Date(2014, 1, 1, 2, 0, 0, 0, sh)},
		{"leap day", "0 0 29 2 *", time.Date(2012, 2, 29, 0, 0, 0, 0, sh)},
		{"every second", "* * * * * *", now},
		{"every minute", "* * * * *", now},
		{"every hour, no fixed times", "@every 1h", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := LastDue(s, now); !got.Equal(tc.want) {
				t.Errorf("LastDue(%q) = %v, want %v", tc.spec, got, tc.want)
			}
		})
	}
}

// logRecorder is a slog handler that keeps every message.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
	wake chan struct{}
}

func newLogRecorder() *logRecorder { return &logRecorder{wake: make(chan struct{}, 1)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

func (r *logRecorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// waitFor blocks until msg has been logged n times.
func (r *logRecorder) waitFor(t *testing.T, msg string, n int) {
	t.Helper()
	deadline := time.After(testTimeout)
	for r.count(msg) < n {
		select {
		case <-r.wake:
		case <-deadline:
			t.Fatalf("%q logged %d times, want %d", msg, r.count(msg), n)
		}
	}
}

func serveConfig(t *testing.T, schedule string) Config {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State = filepath.Join(dir, "inbox"), filepath.Join(dir, "out"), filepath.Join(dir, "state")
	cfg.Schedule = schedule
	if err := os.MkdirAll(cfg.State, 0o755); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// served is a Serve running in the background.
type served struct {
	t      *testing.T
	cancel context.CancelFunc
	errc   chan error
}

// serve starts Serve and returns once its scheduler has started.
func serve(t *testing.T, o ServeOptions) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	o.ready = func() { close(ready) }
	s := &served{t: t, cancel: cancel, errc: make(chan error, 1)}
	go func() { s.errc <- Serve(ctx, o) }()
	select {
	case <-ready:
	case err := <-s.errc:
		t.Fatalf("Serve returned at start: %v", err)
	}
	t.Cleanup(cancel)
	return s
}

// wait returns what Serve returned after its context was cancelled.
func (s *served) wait() error {
	s.t.Helper()
	select {
	case err := <-s.errc:
		return err
	case <-time.After(testTimeout):
		s.t.Fatal("Serve did not return")
		return nil
	}
}

func (s *served) stop() error {
	s.cancel()
	return s.wait()
}

func receive(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(testTimeout):
		t.Fatalf("no %s", what)
	}
}

func notify(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func TestServeRunsOnSchedule(t *testing.T) {
	t.Parallel()
	runs := make(chan struct{}, 1)
	s := serve(t, ServeOptions{Config: serveConfig(t, "* * * * * *"), Job: func(context.Context) error {
		notify(runs)
		return nil
	}})
	for i := range 3 { // the first may be the catch-up at start; the others are scheduled
		receive(t, runs, fmt.Sprintf("run %d", i+1))
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestServeSkipsOverlappingRun(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	started, release := make(chan struct{}, 1), make(chan struct{})
	rec := newLogRecorder()
	s := serve(t, ServeOptions{Config: serveConfig(t, "* * * * * *"), Log: slog.New(rec), Job: func(context.Context) error {
		if n.Add(1) == 1 {
			notify(started)
			<-release
		}
		return nil
	}})
	receive(t, started, "first run")
	rec.waitFor(t, msgSkipped, 2) // two ticks came while the first run was going
	// Stop, then let the first run end: a queued run would start now, and
	// Serve would wait for it.
	s.cancel()
	rec.waitFor(t, msgStopping, 1)
	close(release)
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("%d runs, want 1: the overlapping ones were queued, not skipped", got)
	}
}

func TestServeRunsAgainAfterPanic(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	runs := make(chan struct{}, 1)
	rec := newLogRecorder()
	s := serve(t, ServeOptions{Config: serveConfig(t, "* * * * * *"), Log: slog.New(rec), Job: func(context.Context) error {
		if n.Add(1) == 1 {
			panic("boom")
		}
		notify(runs)
		return nil
	}})
	receive(t, runs, "run after the panic")
	receive(t, runs, "second run after the panic")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if got := rec.count(msgPanicked); got != 1 {
		t.Errorf("%q logged %d times, want 1", msgPanicked, got)
	}
}

func TestServeCatchUp(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tc := range []struct {
		name   string
		last   *state.LastRun // nil: no last-run.json
		runNow bool
		want   int32
	}{
		{"never ran", nil, false, 1},
		{"missed the last due time", &state.LastRun{OK: true, LastSuccess: now.AddDate(-1, -1, 0)}, false, 1},
		{"recent", &state.LastRun{OK: true, LastSuccess: now}, false, 0},
		{"recent, --run-now", &state.LastRun{OK: true, LastSuccess: now}, true, 1},
		{"failed since a missed due time", &state.LastRun{OK: false, Error: "x", LastSuccess: now.AddDate(-1, -1, 0)}, false, 1},
		{"failed since a recent success", &state.LastRun{OK: false, Error: "x", LastSuccess: now}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := serveConfig(t, yearly)
			if tc.last != nil {
				if err := state.WriteLastRun(cfg.State, tc.last); err != nil {
					t.Fatal(err)
				}
			}
			var n atomic.Int32
			s := serve(t, ServeOptions{Config: cfg, RunNow: tc.runNow, Job: func(context.Context) error {
				n.Add(1)
				return nil
			}})
			if err := s.stop(); err != nil { // waits for a run started at start
				t.Fatal(err)
			}
			if got := n.Load(); got != tc.want {
				t.Errorf("%d runs at start, want %d", got, tc.want)
			}
		})
	}
}

func TestServeStopLetsRunFinish(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}, 1), make(chan struct{})
	var ctxErr error
	rec := newLogRecorder()
	s := serve(t, ServeOptions{Config: serveConfig(t, yearly), RunNow: true, Log: slog.New(rec), Job: func(ctx context.Context) error {
		notify(started)
		<-release
		ctxErr = ctx.Err()
		return nil
	}})
	receive(t, started, "run")
	s.cancel()
	rec.waitFor(t, msgStopping, 1)
	close(release)
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	if ctxErr != nil {
		t.Errorf("the run's context was cancelled by the stop: %v", ctxErr)
	}
}

func TestServeGraceCutsOffRun(t *testing.T) {
	t.Parallel()
	cfg := serveConfig(t, yearly)
	cfg.Grace = store.Duration(10 * time.Millisecond)
	started := make(chan struct{}, 1)
	rec := newLogRecorder()
	s := serve(t, ServeOptions{Config: cfg, RunNow: true, Log: slog.New(rec), Job: func(ctx context.Context) error {
		notify(started)
		<-ctx.Done() // never ends by itself
		return ctx.Err()
	}})
	receive(t, started, "run")
	err := s.stop()
	if err == nil || !strings.Contains(err.Error(), "已中止") {
		t.Errorf("err = %v, want the run cut off", err)
	}
	if rec.count(msgCutOff) != 1 || rec.count("run failed") != 1 {
		t.Errorf("log = %q", rec.msgs)
	}
}

func TestServeBadConfig(t *testing.T) {
	cfg := serveConfig(t, "CRON_TZ=Asia/Shanghai")
	err := Serve(context.Background(), ServeOptions{Config: cfg, Job: func(context.Context) error { panic("ran") }})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("err = %v", err)
	}
}

// TestServeRealRun runs the real job: a stop right after the start lets
// the catch-up run finish, which archives the inputs and records itself.
func TestServeRealRun(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 4)
	for i, in := range w.std.Institutions[:3] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	cfg := w.config()
	cfg.Schedule = yearly
	s := serve(t, ServeOptions{Config: cfg})
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	lr, err := state.ReadLastRun(w.state)
	if err != nil || lr == nil || !lr.OK || lr.Accepted != 3 {
		t.Fatalf("last run = %+v, %v", lr, err)
	}
	if got := files(t, filepath.Join(w.inbox, ArchiveDir)); len(got) != 3 {
		t.Errorf("archived %q", got)
	}
	if _, err := os.Stat(lr.Report); err != nil {
		t.Errorf("report: %v", err)
	}
}

// TestServeCutOffLeavesInputs: a run cut off by the grace period writes no
// report, moves no input, and records the failure.
func TestServeCutOffLeavesInputs(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 5)
	for i, in := range w.std.Institutions[:2] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	before := files(t, w.inbox)
	cfg := w.config()
	cfg.Schedule, cfg.Grace = yearly, store.Duration(10*time.Millisecond)
	hold := func(ctx context.Context) error { <-ctx.Done(); return nil } // the run, its inputs read, waits to be cut off
	s := serve(t, ServeOptions{Config: cfg, RunNow: true, Hooks: Hooks{Pause: hold}})
	if err := s.stop(); err == nil {
		t.Fatal("Serve returned no error for a cut-off run")
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Errorf("inputs moved by a cut-off run: %q", got)
	}
	if _, err := os.Stat(filepath.Join(w.out, ReportName(w.std))); err == nil {
		t.Error("a cut-off run wrote the report")
	}
	lr, err := state.ReadLastRun(w.state)
	if err != nil || lr == nil || lr.OK || !strings.Contains(lr.Error, "运行被中止") {
		t.Errorf("last run = %+v, %v", lr, err)
	}
}
