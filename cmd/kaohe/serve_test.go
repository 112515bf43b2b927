package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kaohe/pipeline/state"
)

// These tests run kaohe as real processes: testscript.Main (TestMain) has
// put a kaohe command on $PATH for the whole test binary. The test hook
// KAOHE_TEST_RUN_GATE makes a run pause, after reading its inputs and
// before writing anything, until the gate file exists.

// testTimeout only guards against a hang; no test waits for it.
const testTimeout = 20 * time.Second

// proc is a kaohe process whose stderr is read line by line.
type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	wake  chan struct{}
	eof   chan struct{}
}

func startKaohe(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command("kaohe", args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, wake: make(chan struct{}, 1), eof: make(chan struct{})}
	t.Cleanup(func() { cmd.Process.Kill() })
	go func() {
		defer close(p.eof)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}()
	return p
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitFor blocks until a line of stderr contains s.
func (p *proc) waitFor(s string) {
	p.t.Helper()
	deadline := time.After(testTimeout)
	for !strings.Contains(p.stderr(), s) {
		select {
		case <-p.wake:
		case <-p.eof:
			if !strings.Contains(p.stderr(), s) {
				p.t.Fatalf("kaohe ended without printing %q:\n%s", s, p.stderr())
			}
		case <-deadline:
			p.t.Fatalf("kaohe did not print %q:\n%s", s, p.stderr())
		}
	}
}

// wait returns the exit code once the process has ended.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.eof:
	case <-time.After(testTimeout):
		p.t.Fatalf("kaohe did not end:\n%s", p.stderr())
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		p.t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// drop puts a file into the inbox, old enough to be taken.
func drop(t *testing.T, dir, name string) {
	t.Helper()
	p := filepath.Join(dir, "inbox", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not a workbook"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}

// config writes kaohe.toml in dir: inbox and out there, no settle pause,
// and the extra lines.
func config(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	p := filepath.Join(dir, "kaohe.toml")
	src := "inbox = \"inbox\"\nout = \"out\"\nsettle = \"0s\"\n" + strings.Join(extra, "\n") + "\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestSecondRunIsLocked: while one kaohe run holds the state folder's
// lock, a second one exits at once with the lock's message and code 75.
func TestSecondRunIsLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	drop(t, dir, "broken.xlsx")
	gate := filepath.Join(dir, "gate")
	cfg := config(t, dir)
	first := startKaohe(t, dir, []string{"KAOHE_TEST_RUN_GATE=" + gate}, "run", "--config", cfg)
	first.waitFor("test hook: run paused")

	second := exec.Command("kaohe", "run", "--config", cfg)
	second.Dir = dir
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != exitLocked {
		t.Errorf("second run: exit code %d (%v), want %d:\n%s", code, err, exitLocked, out)
	}
	want := fmt.Sprintf("kaohe: error: 另一个 kaohe 运行正在进行（进程 %d），状态文件夹", first.cmd.Process.Pid)
	if !strings.Contains(string(out), want) {
		t.Errorf("second run said:\n%s\nwant %q", out, want)
	}
	if !exists(filepath.Join(dir, "inbox", "broken.xlsx")) {
		t.Error("the refused run moved an input")
	}

	// The first run, let go, completes.
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := first.wait(); code != 0 {
		t.Fatalf("first run: exit code %d:\n%s", code, first.stderr())
	}
	if !exists(filepath.Join(dir, "out", "汇总排名表-2013.xlsx")) {
		t.Error("no report after the first run")
	}
}

// TestServeSIGTERMDuringRun: SIGTERM in the middle of a run stops the
// schedule, lets the run complete, and the process exits 0.
func TestServeSIGTERMDuringRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	drop(t, dir, "broken.xlsx")
	gate := filepath.Join(dir, "gate")
	p := startKaohe(t, dir, []string{"KAOHE_TEST_RUN_GATE=" + gate},
		"serve", "--config", config(t, dir), "--schedule", "0 0 1 1 *", "--run-now")
	p.waitFor("test hook: run paused")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitFor("stopping: no new runs")
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", code, p.stderr())
	}
	log := p.stderr()
	if i, j := strings.Index(log, "stopping"), strings.Index(log, "msg=\"run done\""); j < i {
		t.Errorf("the run did not finish after the stop:\n%s", log)
	}
	if !exists(filepath.Join(dir, "out", "汇总排名表-2013.xlsx")) || exists(filepath.Join(dir, "inbox", "broken.xlsx")) {
		t.Errorf("the run did not complete: no report, or the input is still in the inbox")
	}
	lr, err := state.ReadLastRun(filepath.Join(dir, "kaohe-state"))
	if err != nil || lr == nil || !lr.OK || lr.Rejected != 1 {
		t.Errorf("last run = %+v, %v", lr, err)
	}
}

// TestServeSIGTERMGraceOver: a run still going when the grace period ends
// is cancelled; it writes nothing, moves nothing, and the exit code is 1.
func TestServeSIGTERMGraceOver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	drop(t, dir, "broken.xlsx")
	cfg := config(t, dir, `grace = "10ms"`, `log_format = "json"`)
	p := startKaohe(t, dir, []string{"KAOHE_TEST_RUN_GATE=" + filepath.Join(dir, "never")},
		"serve", "--config", cfg, "--schedule", "0 0 1 1 *", "--run-now")
	p.waitFor("test hook: run paused")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != exitError {
		t.Fatalf("exit code %d, want %d:\n%s", code, exitError, p.stderr())
	}
	log := p.stderr()
	for _, want := range []string{`"msg":"grace period over: cancelling the current run"`, "kaohe: error: 停止时等待当前运行 10ms（grace）仍未结束，已中止"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr has no %q:\n%s", want, log)
		}
	}
	if exists(filepath.Join(dir, "out", "汇总排名表-2013.xlsx")) || !exists(filepath.Join(dir, "inbox", "broken.xlsx")) {
		t.Error("a cut-off run wrote the report or moved its input")
	}
}
