package web

// The audit log: every login, upload, download and manual run, one JSON
// object a line, appended to portal/audit.log in the state folder and
// synced. It never holds a token or a password.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// auditFile is the audit log in the portal's folder.
const auditFile = "audit.log"

// Event is one line of the audit log.
type Event struct {
	Time   time.Time `json:"time"`
	Who    string    `json:"who"`    // 中心:name, 机构:name, or 未登录
	Action string    `json:"action"` // login, login-failed, logout, upload, download, run, denied
	What   string    `json:"what,omitempty"`
	Addr   string    `json:"addr"` // the client's address
}

// Audit appends events to the audit log.
type Audit struct {
	mu   sync.Mutex
	f    *os.File
	sync *syncer
}

// OpenAudit opens (creates) the audit log of the portal folder dir for appending.
func OpenAudit(dir string) (*Audit, error) {
	f, err := os.OpenFile(filepath.Join(dir, auditFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	return &Audit{f: f, sync: newSyncer(f)}, nil
}

// Add appends one event (synced in the background, within milliseconds);
// it returns an error when the log cannot be written.
func (a *Audit) Add(e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil { // one write: O_APPEND keeps lines whole
		return fmt.Errorf("writing the audit log: %w", err)
	}
	a.sync.dirty()
	return nil
}

// Close syncs and closes the log.
func (a *Audit) Close() error { return errors.Join(a.sync.close(), a.f.Close()) }

// syncer syncs a file in the background after writes: appends to the
// journal and the audit log do not each wait for the disk, and a burst of
// them is synced once.
type syncer struct {
	f    *os.File
	wake chan struct{}
	done chan error
}

func newSyncer(f *os.File) *syncer {
	s := &syncer{f: f, wake: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		var err error
		for range s.wake {
			if e := f.Sync(); e != nil && err == nil {
				err = e
			}
		}
		s.done <- errors.Join(err, f.Sync())
	}()
	return s
}

// dirty asks for a sync.
func (s *syncer) dirty() {
	select {
	case s.wake <- struct{}{}:
	default: // one is pending: it covers this write too
	}
}

// close waits for the last sync and returns the first error.
func (s *syncer) close() error {
	close(s.wake)
	return <-s.done
}
