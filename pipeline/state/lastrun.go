package state

import (
	"encoding/json"
	"path/filepath"
	"time"
)

// lastRunFile, in the state folder, describes the newest run.
const lastRunFile = "last-run.json"

// LastRun is the state folder's last-run.json: what the newest run that
// held the lock did, written atomically at its end by every run (kaohe
// run's and each scheduled one alike).
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
	Left       []string  `json:"left,omitempty"` // the files waiting, each "name：why"
	Ranked     int       `json:"ranked"`
	Superseded int       `json:"superseded"`
	Missing    int       `json:"missing"`
	MoveErrors int       `json:"move_errors"`
	Report     string    `json:"report,omitempty"` // where the report is: a path, or the outbox and its name
	Review     string    `json:"review,omitempty"` // which 核查表 the run applied; "" when none is configured
	// Problems name the inbox's files the run could not answer, each
	// with what to do (pipeline.Summary.Problems).
	Problems []string `json:"problems,omitempty"`
	// LastSuccess is when the newest successful run started: this one's
	// Start when OK, else carried over from the previous file. kaohe serve
	// compares it with the schedule's last due time.
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// ReadLastRun returns the state folder's last-run.json, or nil and no
// error when no run has been recorded there. It returns an error when the
// file cannot be read or is not valid JSON.
func ReadLastRun(dir string) (*LastRun, error) {
	var lr LastRun
	if ok, err := readJSON(filepath.Join(dir, lastRunFile), &lr); !ok {
		return nil, err
	}
	return &lr, nil
}

// WriteLastRun replaces the state folder's last-run.json atomically.
func WriteLastRun(dir string, lr *LastRun) error {
	b, err := json.MarshalIndent(lr, "", "  ")
	if err != nil {
		return err
	}
	return writeLine(filepath.Join(dir, lastRunFile), b)
}
