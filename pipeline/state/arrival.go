package state

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ArrivalsDir, in the state folder, holds what a channel that receives
// uploads itself (the portal of kaohe serve) recorded of each: one file per
// upload, arrivals/<hash>.json.
const ArrivalsDir = "arrivals"

// Arrival is an upload as the channel that received it recorded it, by
// the SHA-256 of its bytes. A run that reads those bytes from the inbox
// counts them received at At, whatever the file's time says.
type Arrival struct {
	Hash string    `json:"hash"` // hex SHA-256 of the bytes
	At   time.Time `json:"at"`   // when the channel had received the whole upload
	// By names the channel for people, e.g. 门户.
	By string `json:"by"`
	// Institution is whose upload it was, when the channel knows it (a
	// private link); "" otherwise.
	Institution string `json:"institution,omitempty"`
	// Name is the name the upload was written under in the inbox.
	Name string `json:"name,omitempty"`
}

// NoteArrival records a in the state folder dir, durably. Call it before
// the upload appears in the inbox under its final name, so that no run
// reads it without it. The first arrival of some bytes stands: noting
// the same bytes again later changes nothing.
func NoteArrival(dir string, a Arrival) error {
	if _, err := hex.DecodeString(a.Hash); err != nil || len(a.Hash) != 64 {
		return fmt.Errorf("noting an arrival: %q is not a SHA-256", a.Hash)
	}
	if a.At.IsZero() || a.By == "" {
		return errors.New("noting an arrival: no time or no channel")
	}
	d := filepath.Join(dir, ArrivalsDir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("noting an arrival: %w", err)
	}
	p := filepath.Join(d, strings.ToLower(a.Hash)+".json")
	if _, err := os.Stat(p); err == nil {
		return nil // the first arrival of these bytes stands
	}
	return writeJSON(p, a)
}

// ReadArrivals returns the arrivals recorded in the state folder dir, by
// hash. An unreadable one is skipped: the upload then counts as received
// when kaohe saw it.
func ReadArrivals(dir string) (map[string]Arrival, error) {
	des, err := os.ReadDir(filepath.Join(dir, ArrivalsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ArrivalsDir, err)
	}
	out := make(map[string]Arrival, len(des))
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ArrivalsDir, de.Name()))
		if err != nil {
			continue
		}
		var a Arrival
		if json.Unmarshal(b, &a) != nil || a.At.IsZero() {
			continue
		}
		out[strings.ToLower(a.Hash)] = a
	}
	return out, nil
}
