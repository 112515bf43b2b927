package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kaohe/pipeline/store/local"
)

// One state folder per inbox. A run moves what it reads out of its inbox,
// so a second state folder on the same inbox (kaohe run --out elsewhere,
// whose default state folder is beside that outbox) would take the first's
// uploads away and leave its ledger behind. Each state folder has an id;
// the inbox keeps the id of the one that works on it (Binding, written by
// pipeline into the inbox's private archive folder), and a run from
// another state folder is refused.

// idFile, in the state folder, holds its id.
const idFile = "id"

// BindingFile is the Binding's name in the inbox's archive folder.
const BindingFile = ".kaohe-state"

// Binding is what the inbox records of the state folder that works on it.
type Binding struct {
	ID    string    `json:"id"`    // the state folder's id (ID)
	State string    `json:"state"` // its path, on Host
	Host  string    `json:"host"`
	Out   string    `json:"out"` // the outbox its runs publish to
	Since time.Time `json:"since"`
}

// ID returns the id of the state folder dir, making one when it has none.
func ID(dir string) (string, error) {
	p := filepath.Join(dir, idFile)
	b, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	if err := local.WriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, id+"\n"); return err }); err != nil {
		return "", err
	}
	return id, nil
}
