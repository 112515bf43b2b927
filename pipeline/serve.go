package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// DefaultSchedule runs every night at 2:00 Beijing time.
const DefaultSchedule = "CRON_TZ=Asia/Shanghai 0 2 * * *"

// scheduleParser reads five fields (minute hour day month weekday), an
// optional leading seconds field (tests run every second), and
// descriptors such as @daily or @every 1h.
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads a cron spec, optionally led by CRON_TZ=zone (without
// one, the configured timezone applies). Its error is a Chinese sentence
// that says how to write one; a spec that never comes due is an error.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	const how = `应写成「分 时 日 月 周」（可在最前面加秒），可加时区，例如 "CRON_TZ=Asia/Shanghai 0 2 * * *"（每天 2:00）`
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return nil, errors.New("为空；" + how)
	}
	if tz, ok := cutTZ(fields[0]); ok {
		if _, err := time.LoadLocation(tz); err != nil || tz == "" {
			return nil, fmt.Errorf("时区 %q 未知，例如 Asia/Shanghai", tz)
		}
		if len(fields) == 1 { // cron v3.0.1 panics on this one
			return nil, errors.New("只有时区，没有时间；" + how)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("无法解析（%v）；%s", r, how)
		}
	}()
	sched, err = scheduleParser.Parse(strings.Join(fields, " "))
	if err != nil {
		return nil, fmt.Errorf("无法解析（%v）；%s", err, how)
	}
	if sched.Next(time.Now()).IsZero() {
		return nil, errors.New("永远不会到期（日期不存在，如 2 月 30 日）；" + how)
	}
	return sched, nil
}

// cutTZ returns the zone of a "CRON_TZ=zone" or "TZ=zone" field.
func cutTZ(field string) (string, bool) {
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if tz, ok := strings.CutPrefix(field, p); ok {
			return tz, true
		}
	}
	return "", false
}

// LastDue returns the schedule's newest due time at or before now, or the
// zero time when it has none in the four years before now or has no fixed
// times (@every). cron's schedules only step forward, so it steps from
// growing windows before now, each search bounded.
func LastDue(sched cron.Schedule, now time.Time) time.Time {
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		return time.Time{}
	}
	const day = 24 * time.Hour
	for _, window := range []time.Duration{time.Minute, time.Hour, 25 * time.Hour, 8 * day, 32 * day, 367 * day, 4*366*day + day} {
		var last time.Time
		t := now.Add(-window)
		for range 200000 {
			n := sched.Next(t)
			if n.IsZero() || n.After(now) {
				break
			}
			last, t = n, n
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}

// catchUpReason says why serve should run at start, like systemd's
// Persistent=true: no successful run recorded, or the newest one older
// than the schedule's last due time. It returns "" when the last run is
// recent enough.
func catchUpReason(sched cron.Schedule, last *state.LastRun, now time.Time) string {
	due := LastDue(sched, now)
	switch {
	case due.IsZero():
		return ""
	case last == nil || last.LastSuccess.IsZero():
		return "no successful run recorded"
	case last.LastSuccess.Before(due):
		return "missed: the last successful run is older than the last due time"
	}
	return ""
}

// ServeOptions are kaohe serve's inputs besides the configuration.
type ServeOptions struct {
	Config   Config
	RunNow   bool         // run once at start, whatever the last run
	Log      *slog.Logger // nil: discard
	Progress io.Writer    // a terminal for progress lines, or nil
	Inbox    store.Store  // nil: the local folder Config.Inbox
	Out      store.Store  // nil: the local folder Config.Out
	Hooks    Hooks        // for tests, each run's; the program leaves them nil
	// Job is one run; nil means Run with the fields above, which records
	// last-run.json. Tests give one that is slow or panics.
	Job func(ctx context.Context) error

	ready func() // test hook: called once the scheduler has started
}

// cutOffWait is how long Serve waits for a run to unwind once the grace
// period is over and its context cancelled.
const cutOffWait = 30 * time.Second

// Serve runs consolidations on Config.Schedule until ctx is done. At start
// it runs at once when RunNow is set, or when the last successful run
// (last-run.json) is older than the schedule's last due time. One run at a
// time: a run still going when the next is due makes that one skipped, not
// queued, and a run that panics does not stop the next. When ctx is done it
// starts no new run, waits up to Config.Grace for the current one and
// returns nil; when the grace period ends first it cancels that run (which
// then leaves its inputs where they were) and returns an error saying so.
// It returns ErrConfig, before running anything, for a bad configuration.
func Serve(ctx context.Context, o ServeOptions) error {
	cfg := o.Config
	if err := cfg.Resolve(); err != nil {
		return err
	}
	sched, err := ParseSchedule(cfg.Schedule) // valid: Resolve checked it
	if err != nil {
		return err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	job := o.Job
	if job == nil {
		if _, _, err := cfg.LoadStandard(); err != nil { // fail now, not at 2:00
			return err
		}
		job = func(ctx context.Context) error {
			_, err := Run(ctx, Options{Config: cfg, Log: log, Progress: o.Progress, Inbox: o.Inbox, Out: o.Out, Hooks: o.Hooks})
			return err
		}
	}
	grace := time.Duration(cfg.Grace)

	// Runs get their own context: a stop lets the current one finish, and
	// only the end of the grace period cancels it.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	cl := cronLogger{log}
	// Skip, then Recover: the other way round, a panic would never give
	// back Skip's token and no run would start again.
	run := cron.NewChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)).Then(cron.FuncJob(func() {
		switch err := job(runCtx); {
		case err == nil:
		case errors.Is(err, state.ErrLocked):
			log.Warn("run skipped: another kaohe run holds the lock", "err", err)
		default:
			log.Error("run failed", "err", err)
		}
	}))
	c := cron.New(cron.WithLocation(cfg.loc), cron.WithParser(scheduleParser), cron.WithLogger(cl))
	c.Schedule(sched, run)

	now := time.Now().In(cfg.loc)
	why := "--run-now"
	if !o.RunNow {
		last, err := state.ReadLastRun(cfg.StateDir())
		if err != nil {
			log.Warn("reading the last run", "err", err)
		}
		why = catchUpReason(sched, last, now)
	}
	var first sync.WaitGroup
	if why != "" {
		log.Info("running now", "reason", why)
		first.Add(1)
		go func() { defer first.Done(); run.Run() }()
	}
	c.Start()
	watchCtx, stopWatch := context.WithCancel(ctx)
	var watching sync.WaitGroup
	watching.Go(func() { watch(watchCtx, cfg, o.Inbox, log) }) // watch.go: when each upload is first seen
	defer func() { stopWatch(); watching.Wait() }()
	log.Info("serving", "schedule", cfg.Schedule, "next", sched.Next(now), "state", cfg.StateDir(), "grace", grace, "watch", time.Duration(cfg.Watch))
	if o.ready != nil {
		o.ready()
	}

	<-ctx.Done()
	log.Info("stopping: no new runs; waiting for the current one", "grace", grace)
	stopped := c.Stop()
	done := make(chan struct{})
	go func() { <-stopped.Done(); first.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		log.Info("stopped")
		return nil
	case <-t.C:
	}
	log.Warn("grace period over: cancelling the current run", "grace", grace)
	cancelRuns()
	select {
	case <-done:
	case <-time.After(cutOffWait):
	}
	return fmt.Errorf("停止时等待当前运行 %s（grace）仍未结束，已中止；输入文件留在原处，下次运行会重新处理", grace)
}

// cronLogger passes cron's messages to slog: skips and panics at Info and
// Error, its routine chatter (wake, run, schedule) at Debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Info("run skipped: the previous run is still going")
		return
	}
	l.log.Debug("cron "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	if msg == "panic" {
		msg = "run panicked"
	}
	l.log.Error(msg, append([]any{"err", err}, kv...)...)
}

var _ cron.Logger = cronLogger{}
