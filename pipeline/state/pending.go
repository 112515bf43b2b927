package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"kaohe/pipeline/store/local"
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
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return local.WriteFile(filepath.Join(dir, pendingFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// ReadPending returns what a run that did not commit its ledger had
// published, or nil when every run committed.
func ReadPending(dir string) (*Pending, error) {
	b, err := os.ReadFile(filepath.Join(dir, pendingFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", pendingFile, err)
	}
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, pendingFile), err)
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
