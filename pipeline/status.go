package pipeline

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"kaohe/pipeline/state"
	"kaohe/sheets"
	"kaohe/templates"
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
		lr.Left = s.Left
		lr.Report = s.ReportPath
		lr.Review = s.Review
		lr.Problems = s.Problems
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
	// NoState: the state folder does not exist (yet): no run has used it,
	// or the configuration names another folder than the runs use.
	NoState bool
	// Deadline is the configured deadline (zero for none), in the
	// configured zone; Now the time the status was read at.
	Deadline, Now time.Time
	// Listed is when the inbox was last listed (by a run or by kaohe
	// serve's watch, state.Seen); zero when never. Watch is how often
	// kaohe serve lists it.
	Listed time.Time
	Watch  time.Duration
	// Institutions are every institution of the standard, in 附件2's
	// order, with what the ledger says of its uploads so far.
	Institutions []Standing
}

// Standing is what the ledger says of one institution's uploads: the one
// that counts (its newest accepted), else its newest one.
type Standing struct {
	Name   string
	Status sheets.Status // 已接受, 未通过校验, 逾期，不予受理 or 未提交
	Late   bool          // the upload that counts came after the deadline (late = "flag")
	Last   *state.Record // the upload the status is about; nil for 未提交
}

// Standings reads what the ledger of cfg's state folder says of every
// institution of std, without reading any upload again: the newest
// accepted upload counts, else the newest one says why none does. (A run's
// report also reads the uploads again against the current standard; the
// two differ only when the standard changed since.)
func Standings(cfg Config, std *templates.Standard) ([]Standing, error) {
	l, err := state.OpenLedger(cfg.StateDir())
	if err != nil {
		return nil, err
	}
	by := map[string]*Standing{}
	out := make([]Standing, len(std.Institutions))
	for i, in := range std.Institutions {
		out[i] = Standing{Name: in.Name, Status: sheets.StatusMissing}
		by[in.Name] = &out[i]
	}
	for _, rec := range l.Newest() {
		s := by[rec.Institution]
		switch {
		case s == nil || s.Status == sheets.StatusAccepted:
		case rec.Outcome == state.OutcomeAccepted:
			s.Status, s.Late, s.Last = sheets.StatusAccepted, rec.Late, rec
		case s.Last != nil:
		case rec.Outcome == state.OutcomeLate:
			s.Status, s.Last = sheets.StatusLateRefused, rec
		default:
			s.Status, s.Last = sheets.StatusRejected, rec
		}
	}
	return out, nil
}

// ReadStatus reads the state folder's last-run.json and ledger and
// computes the schedule's due times around now. It returns ErrConfig for a
// bad configuration and an error when last-run.json or the ledger is
// unreadable.
func ReadStatus(cfg Config, now time.Time) (*Status, error) {
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	sched, err := ParseSchedule(cfg.Schedule) // valid: Resolve checked it
	if err != nil {
		return nil, err
	}
	st := &Status{StateDir: cfg.StateDir(), Schedule: cfg.Schedule, Deadline: cfg.deadline, Now: now.In(cfg.loc)}
	if !st.Deadline.IsZero() {
		st.Deadline = st.Deadline.In(cfg.loc)
	}
	if _, err := os.Stat(st.StateDir); errors.Is(err, fs.ErrNotExist) {
		st.NoState = true
	}
	if st.Last, err = state.ReadLastRun(st.StateDir); err != nil {
		return nil, err
	}
	if seen, err := state.ReadSeen(st.StateDir); err == nil && !seen.Listed.IsZero() {
		st.Listed = seen.Listed.In(cfg.loc)
	}
	st.Watch = time.Duration(cfg.Watch)
	if std, _, err := cfg.LoadStandard(); err == nil {
		if st.Institutions, err = Standings(cfg, std); err != nil {
			return nil, err
		}
	}
	now = now.In(cfg.loc)
	st.LastDue = LastDue(sched, now)
	st.Next = sched.Next(now)
	st.Overdue = catchUpReason(sched, st.Last, now) != ""
	return st, nil
}
