package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"kaohe/pipeline/store/local"
)

// Outcome is what became of a consumed file.
type Outcome string

// The outcomes a ledger records.
const (
	OutcomeAccepted Outcome = "accepted"
	OutcomeRejected Outcome = "rejected"
	OutcomeLate     Outcome = "late" // received after the deadline with late = "refuse": not read for what it says
)

// Record is one consumed file in the ledger.
type Record struct {
	Hash string `json:"hash"` // hex SHA-256 of the bytes
	Name string `json:"name"` // name in the inbox when consumed, as shown (UTF-8)
	// RawName is the name's bytes, Go-quoted, when they are not Name's
	// (not UTF-8: a GBK name is shown decoded); "" otherwise.
	RawName string `json:"raw_name,omitempty"`
	Size    int64  `json:"size"` //
	// Received is when the upload counts as received: for lateness (Late)
	// and for which of an institution's uploads is the newest. It is the
	// time the channel that received it recorded (ReceivedBy: the portal),
	// else its modification time (Modified) as far as kaohe's listings of
	// the inbox allow: not before the listing that last did not see it
	// (SeenAfter), not after the one that first did (FirstSeen). Records
	// from before FirstSeen was kept have the modification time.
	Received time.Time `json:"received"`
	// Modified is the file's modification time as listed: set by whoever
	// uploaded it, only a hint.
	Modified    time.Time `json:"modified,omitzero"`
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	SeenAfter   time.Time `json:"seen_after,omitzero"`
	ReceivedBy  string    `json:"received_by,omitempty"` // the channel whose time Received is (state.Arrival.By); "" for kaohe's listings
	Institution string    `json:"institution"`           // whose upload it is (see Via), or as written in the workbook when nothing names a known one
	Via         string    `json:"via,omitempty"`         // what told the institution: 文件夹, 文件名 or 自评表; "" when none did
	Outcome     Outcome   `json:"outcome"`
	Late        bool      `json:"late,omitempty"`
	Errors      int       `json:"errors"`
	Warnings    int       `json:"warnings"`
	Run         string    `json:"run"`            // the run that consumed it
	Copy        string    `json:"copy,omitempty"` // its copy's pack in the state folder (Pack); "": files/<hash>.xlsx, unless NotKept
	// NotKept: no copy was kept (an upload over max_file_mb, refused
	// unread: only its first max_file_mb bytes and one were read, and
	// Hash is theirs).
	NotKept   bool   `json:"not_kept,omitempty"`
	MovedTo   string `json:"moved_to,omitempty"`   // where the original went in the inbox store
	MoveError string `json:"move_error,omitempty"` // the last move failed: the next run tries again
	// Left says why the file was deliberately not moved (a Chinese
	// sentence): it changed or went after it was read, so what is in the
	// inbox under its name is not these bytes (those are in the copy).
	Left    string `json:"left,omitempty"`
	Receipt string `json:"receipt,omitempty"`
	// Repeats are the same bytes uploaded again (under any name): each is
	// answered once, 重复，已收过, with a receipt of its own, and moved away
	// like any upload; it counts nothing.
	Repeats []Repeat `json:"repeats,omitempty"`
}

// CopyName is where the record's copy is, relative to the state folder:
// its pack (Copy), or files/<hash>.xlsx for one kept before packs.
func (r *Record) CopyName() string {
	if r.Copy != "" {
		return r.Copy
	}
	return FilesDir + "/" + r.Hash + ".xlsx"
}

// Repeat is one more upload of a record's bytes.
type Repeat struct {
	Name      string    `json:"name"` // as shown; RawName as Record's
	RawName   string    `json:"raw_name,omitempty"`
	Received  time.Time `json:"received"`
	Run       string    `json:"run"` // the run that answered it
	Receipt   string    `json:"receipt,omitempty"`
	MovedTo   string    `json:"moved_to,omitempty"`
	MoveError string    `json:"move_error,omitempty"`
	Left      string    `json:"left,omitempty"`
}

// Ledger is every file ever consumed, kept as one JSON file in the state
// folder and rewritten atomically.
type Ledger struct {
	path    string
	Records []Record `json:"records"`
	// Published are the runs that wrote a report (published.go).
	Published []Published `json:"published,omitempty"`
	byHash    map[string]int
}

// LedgerFile is the ledger in the state folder.
const LedgerFile = "ledger.json"

// OpenLedger reads the ledger of a state folder; a missing one is empty.
func OpenLedger(dir string) (*Ledger, error) {
	l := &Ledger{path: filepath.Join(dir, LedgerFile)}
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		l.index()
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ledger: %w", err)
	}
	if err := json.Unmarshal(b, l); err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", l.path, err)
	}
	l.index()
	return l, nil
}

// Reindex indexes the records again, after they were reordered.
func (l *Ledger) Reindex() { l.index() }

func (l *Ledger) index() {
	l.byHash = make(map[string]int, len(l.Records))
	for i, r := range l.Records {
		l.byHash[r.Hash] = i
	}
}

// Lookup returns the record of a hash seen before.
func (l *Ledger) Lookup(hash string) (*Record, bool) {
	i, ok := l.byHash[hash]
	if !ok {
		return nil, false
	}
	return &l.Records[i], true
}

// Add records a newly consumed file.
func (l *Ledger) Add(r Record) {
	l.byHash[r.Hash] = len(l.Records)
	l.Records = append(l.Records, r)
}

// Newest returns the records ordered newest first (by received time, then
// by order of consumption).
func (l *Ledger) Newest() []*Record {
	idx := make([]int, len(l.Records))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		ra, rb := &l.Records[idx[a]], &l.Records[idx[b]]
		if !ra.Received.Equal(rb.Received) {
			return ra.Received.After(rb.Received)
		}
		return idx[a] > idx[b]
	})
	out := make([]*Record, len(idx))
	for k, i := range idx {
		out[k] = &l.Records[i]
	}
	return out
}

// Commit writes the ledger atomically: a JSON object with the records, one
// to a line (grep finds an upload's whole record), made on a pool of
// workers: with 10,000 records, encoding them was most of a commit.
func (l *Ledger) Commit() error {
	lines := make([][]byte, len(l.Records))
	errs := make([]error, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			for i := w; i < len(lines); i += len(errs) {
				if lines[i], errs[w] = json.Marshal(&l.Records[i]); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	size := 32
	for _, b := range lines {
		size += len(b) + 2
	}
	buf := make([]byte, 0, size)
	buf = append(buf, "{\"records\": ["...)
	for i, b := range lines {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		buf = append(buf, b...)
	}
	buf = append(buf, "\n]"...)
	buf, err := l.appendPublished(buf)
	if err != nil {
		return err
	}
	buf = append(buf, "}\n"...)
	return local.WriteFile(l.path, func(w io.Writer) error { _, err := w.Write(buf); return err })
}
