package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"kaohe/pipeline/store/local"
)

// lastRunFile, in the state folder, describes the newest run.
const lastRunFile = "last-run.json"

// LastRun is the state folder's last-run.json: what the newest run that
// held the lock did, written atomically at its end by Run (so by kaohe run
// and by every scheduled run alike).
type LastRun struct {
	Run        string    `json:"run,omitempty"` // run id, e.g. 20131231-020000
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	New        int       `json:"new"`
	Accepted   int       `json:"accepted"`
	Rejected   int       `json:"rejected"`
	Duplicates int       `json:"duplicates"`
	Waiting    int       `json:"waiting"`
	Ranked     int       `json:"ranked"`
	Superseded int       `json:"superseded"`
	Missing    int       `json:"missing"`
	MoveErrors int       `json:"move_errors"`
	Report     string    `json:"report,omitempty"` // where the report is: a path, or the outbox and its name
	// LastSuccess is when the newest successful run started: this one's
	// Start when OK, else carried over from the previous file. kaohe serve
	// compares it with the schedule's last due time.
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// ReadLastRun returns the state folder's last-run.json, or nil and no
// error when no run has been recorded there. It returns an error when the
// file cannot be read or is not valid JSON.
func ReadLastRun(stateDir string) (*LastRun, error) {
	p := filepath.Join(stateDir, lastRunFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	var lr LastRun
	if err := json.Unmarshal(b, &lr); err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return &lr, nil
}

// WriteLastRun replaces the state folder's last-run.json atomically.
func WriteLastRun(stateDir string, lr *LastRun) error {
	b, err := json.MarshalIndent(lr, "", "  ")
	if err != nil {
		return err
	}
	return local.WriteFile(filepath.Join(stateDir, lastRunFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// recordRun writes last-run.json at the end of a run that holds the lock.
// A failure to write it is logged, not returned: the run's own outcome
// stands.
func recordRun(stateDir string, cfg Config, start time.Time, s *Summary, runErr error, log *slog.Logger) {
	loc := cfg.loc
	if loc == nil {
		loc = time.Local
	}
	lr := &LastRun{Start: start.In(loc), End: time.Now().In(loc), OK: runErr == nil && s != nil}
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
	} else if prev, err := ReadLastRun(stateDir); err == nil && prev != nil {
		lr.LastSuccess = prev.LastSuccess
	}
	if err := WriteLastRun(stateDir, lr); err != nil {
		log.Error("writing last-run.json", "err", err)
	}
}

// Status is what kaohe status shows: the last run and when the next is due.
type Status struct {
	StateDir string
	Last     *LastRun  // nil: no run recorded
	Schedule string    // the cron spec
	LastDue  time.Time // the schedule's newest due time up to now; zero if none
	Next     time.Time // the schedule's next due time; zero if never
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
	if st.Last, err = ReadLastRun(st.StateDir); err != nil {
		return nil, err
	}
	now = now.In(cfg.loc)
	st.LastDue = LastDue(sched, now)
	st.Next = sched.Next(now)
	st.Overdue = catchUpReason(sched, st.Last, now) != ""
	return st, nil
}
