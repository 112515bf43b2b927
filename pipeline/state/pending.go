package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// pendingFile, in the state folder, names what a run is about to publish
// before its ledger names it.
const pendingFile = "pending.json"

// Pending is what a run writes before its ledger is committed: its pack of
// copies and its receipts, named in the ledger only by the commit. A run
// that dies (or fails) between the two leaves a pack and receipts no
// record names; the next run removes them before it writes its own (one
// receipt per upload, not one per attempt; a pack no record names means a
// ledger that lost records, state.Unnamed).
type Pending struct {
	Run      string   `json:"run"`
	Pack     string   `json:"pack,omitempty"`     // its pack of copies (Record.Copy), written before its ledger names it
	Receipts []string `json:"receipts,omitempty"` // names in the outbox
}

// WritePending records p durably, before the receipts it names are written.
func WritePending(dir string, p *Pending) error {
	return writeJSON(filepath.Join(dir, pendingFile), p)
}

// ReadPending returns what a run that did not commit its ledger had
// published, or nil when every run committed.
func ReadPending(dir string) (*Pending, error) {
	var p Pending
	if ok, err := readJSON(filepath.Join(dir, pendingFile), &p); !ok {
		return nil, err
	}
	return &p, nil
}

// ClearPending forgets what was pending: the ledger names it now, or it
// was removed.
func ClearPending(dir string) error {
	err := os.Remove(filepath.Join(dir, pendingFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
