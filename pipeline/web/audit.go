package web

// The audit log: every login, upload, download and manual run, one JSON
// object a line, appended to portal/audit.log in the state folder and
// synced. It never holds a token or a password.

import (
	"encoding/json"
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
	mu sync.Mutex
	f  *os.File
}

// OpenAudit opens (creates) the audit log of the portal folder dir for appending.
func OpenAudit(dir string) (*Audit, error) {
	f, err := os.OpenFile(filepath.Join(dir, auditFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	return &Audit{f: f}, nil
}

// Add appends one event, synced; it returns an error when the log cannot
// be written (the caller then refuses what it was about to do).
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
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("syncing the audit log: %w", err)
	}
	return nil
}

// Close closes the log.
func (a *Audit) Close() error { return a.f.Close() }
