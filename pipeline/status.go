package pipeline

import (
	"log/slog"
	"time"

	"kaohe/pipeline/state"
)

// recordRun writes last-run.json at the end of a run that holds the lock.
// A failure to write it is logged, not returned: the run's own outcome
// stands.
func recordRun(stateDir string, cfg Config, start time.Time, s *Summary, runErr error, log *slog.Logger) {
	loc := cfg.loc
	if loc == nil {
		loc = time.Local
	}
	lr := &state.LastRun{Start: start.In(loc), End: time.Now().In(loc), OK: runErr == nil && s != nil}
	switch {
	case runErr != nil:
		lr.Error = runErr.Error()
	case s == nil:
		lr.Error = "运行异常中止" // a panic unwinding through Run
	}
	if s != nil {
		lr.Run, lr.New, lr.Accepted, lr.Rejected, lr.Duplicates = s.Run, s.New, s.Accepted, s.Rejected, s.Duplicates
		lr.Waiting, lr.Ranked, lr.Superseded, lr.Missing, lr.MoveErrors = s.Waiting, s.Ranked, s.Superseded, s.Missing, len(s.MoveErrors)
		lr.Report = s.ReportPath
	}
	if lr.OK {
		lr.LastSuccess = lr.Start
	} else if prev, err := state.ReadLastRun(stateDir); err == nil && prev != nil {
		lr.LastSuccess = prev.LastSuccess
	}
	if err := state.WriteLastRun(stateDir, lr); err != nil {
		log.Error("writing last-run.json", "err", err)
	}
}

// Status is what kaohe status shows: the last run and when the next is due.
type Status struct {
	StateDir string
	Last     *state.LastRun // nil: no run recorded
	Schedule string         // the cron spec
	LastDue  time.Time      // the schedule's newest due time up to now; zero if none
	Next     time.Time      // the schedule's next due time; zero if never
	// Overdue: no successful run since LastDue, so kaohe serve would run
	// at once when started.
	Overdue bool
}

// ReadStatus reads the state folder's last-run.json and computes the
// schedule's due times around now. It returns ErrConfig for a bad
// configuration and an error when last-run.json is unreadable.
func ReadStatus(cfg Config, now time.Time) (*Status, error) {
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	sched, err := ParseSchedule(cfg.Schedule) // valid: Resolve checked it
	if err != nil {
		return nil, err
	}
	st := &Status{StateDir: cfg.StateDir(), Schedule: cfg.Schedule}
	if st.Last, err = state.ReadLastRun(st.StateDir); err != nil {
		return nil, err
	}
	now = now.In(cfg.loc)
	st.LastDue = LastDue(sched, now)
	st.Next = sched.Next(now)
	st.Overdue = catchUpReason(sched, st.Last, now) != ""
	return st, nil
}
