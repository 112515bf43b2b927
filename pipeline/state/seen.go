package state

// When kaohe first saw each file of its inbox. A file's modification time
// is whatever its uploader's program set (touch, an FTP client's MDTM); the
// time kaohe first listed it is kaohe's own. Every listing of the inbox, by
// a run or by kaohe serve between runs, is recorded here: a file (its name,
// and its size, time and identity as the store tells them) first seen at
// one listing was not there at the listing before, so it arrived between
// the two. pipeline uses that window to bound the time an upload counts as
// received.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"kaohe/pipeline/store"
)

// seenFile, in the state folder, is the Seen of its inbox; seenLock
// guards its updates (a run and kaohe serve's watch may list at once).
const (
	seenFile = "seen.json"
	seenLock = "seen.lock"
)

// Seen is what kaohe's listings of the inbox saw.
type Seen struct {
	// Listed is when the inbox was last listed whole; zero before the
	// first listing.
	Listed time.Time `json:"listed"`
	// Files are the files of the last listing, by their name in the inbox
	// (SeenKey).
	Files map[string]SeenFile `json:"files"`
}

// SeenFile is one file as listed, and when kaohe first listed it so.
type SeenFile struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	ID      string    `json:"id,omitempty"`
	Change  time.Time `json:"change,omitzero"`
	// First is the first listing that saw the file so (the same size,
	// time and identity); After the listing before it, which did not (zero
	// when there was none): the file arrived between After and First.
	First time.Time `json:"first"`
	After time.Time `json:"after,omitzero"`
}

// SeenKey is the key of an inbox name in Seen.Files: the name, Go-quoted
// when it is not UTF-8 (JSON holds only UTF-8).
func SeenKey(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	return strconv.Quote(name)
}

// entry is f as a store.Entry, to compare with a listing's.
func (f SeenFile) entry() store.Entry {
	return store.Entry{Size: f.Size, ModTime: f.ModTime, ID: f.ID, Change: f.Change}
}

// Lookup returns what was seen of the entry e: the file of that name, if
// it was listed the same as e is.
func (s *Seen) Lookup(e store.Entry) (SeenFile, bool) {
	f, ok := s.Files[SeenKey(e.Name)]
	if !ok || !f.entry().Same(store.Entry{Size: e.Size, ModTime: e.ModTime, ID: e.ID, Change: e.Change}) {
		return SeenFile{}, false
	}
	return f, true
}

// Observe records a complete listing of the inbox, complete at (the time
// is taken once the listing is done, one for the whole listing): a file not
// listed before, or listed otherwise (replaced, rewritten, touched), is
// first seen at; the files no longer there are forgotten. Folders and
// entries never read (Odd) are not recorded. A listing made before the
// last one observed is ignored.
func (s *Seen) Observe(entries []store.Entry, at time.Time) {
	if at.Before(s.Listed) {
		return // a listing older than one observed already (it waited for the lock): it tells nothing new
	}
	files := make(map[string]SeenFile, len(entries))
	for _, e := range entries {
		if e.Dir || e.Odd != "" {
			continue
		}
		if f, ok := s.Lookup(e); ok {
			files[SeenKey(e.Name)] = f
			continue
		}
		files[SeenKey(e.Name)] = SeenFile{Size: e.Size, ModTime: e.ModTime, ID: e.ID, Change: e.Change, First: at, After: s.Listed}
	}
	s.Files, s.Listed = files, at
}

// ReadSeen reads the state folder's seen.json; an empty Seen when there is
// none.
func ReadSeen(dir string) (*Seen, error) {
	s := &Seen{Files: map[string]SeenFile{}}
	if _, err := readJSON(filepath.Join(dir, seenFile), s); err != nil {
		return nil, err
	}
	if s.Files == nil {
		s.Files = map[string]SeenFile{}
	}
	return s, nil
}

// UpdateSeen reads the state folder's seen.json, lets update change it and
// writes it back atomically and durably, holding seen.lock meanwhile so
// that concurrent listings (a run, kaohe serve's watch) both count. It
// returns the Seen as written.
func UpdateSeen(dir string, update func(*Seen)) (*Seen, error) {
	s, write, err := UpdateSeenLater(dir, update)
	if err != nil {
		return nil, err
	}
	return s, write()
}

// UpdateSeenLater is UpdateSeen returning as soon as the Seen is updated
// in memory, seen.lock still held: write writes it and releases the lock
// (the same error each time it is called). The caller must call write: a
// run does once the disk is no longer busy with its report.
func UpdateSeenLater(dir string, update func(*Seen)) (s *Seen, write func() error, err error) {
	p := filepath.Join(dir, seenLock)
	lf, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", p, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		lf.Close()
		return nil, nil, fmt.Errorf("locking %s: %w", p, err)
	}
	unlock := func() {
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
	}
	if s, err = ReadSeen(dir); err != nil {
		unlock()
		return nil, nil, err
	}
	update(s)
	b, err := json.Marshal(s)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return s, sync.OnceValue(func() error {
		defer unlock()
		return writeLine(filepath.Join(dir, seenFile), b)
	}), nil
}
