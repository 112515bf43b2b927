package web

// The journal: every upload made through the portal, one JSON object a
// line in portal/uploads.jsonl, appended and synced before the answer is
// shown. With the ledger it is an institution's upload history: the
// ledger says what a run made of a file, the journal what the portal saw
// and whether it put the file into the inbox at all.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/state"
	"kaohe/pipeline/store/local"
	"kaohe/sheets"
)

const (
	journalFile = "uploads.jsonl"
	receiptsDir = "receipts" // the receipts issued at once, <seq>.xlsx
)

// Why an upload was not put into the inbox.
const (
	refusedForeign   = "foreign"   // a workbook of another institution
	refusedTooLarge  = "too-large" // over max_file_mb: not read
	refusedDuplicate = "duplicate" // the same bytes as a file received before
)

// Upload is one upload through the portal.
type Upload struct {
	Seq         int           `json:"seq"`            // 1, 2, …: its receipt is receipts/<seq>.xlsx
	Time        time.Time     `json:"time"`           // when kaohe received it (see Server.receivedAt)
	Institution string        `json:"institution"`    // whose link it came through
	File        string        `json:"file"`           // its name as uploaded: shown, never a path
	Name        string        `json:"name,omitempty"` // its name in the inbox; "" when not put there
	Hash        string        `json:"hash"`
	Size        int64         `json:"size"`
	Outcome     state.Outcome `json:"outcome"` // what the check said, as a run will (accepted, rejected, late)
	Late        bool          `json:"late,omitempty"`
	Errors      int           `json:"errors"`
	Warnings    int           `json:"warnings"`
	Total       int64         `json:"total,omitempty"` // 核定总分 in 0.01 points when accepted
	Refused     string        `json:"refused,omitempty"`
}

// Accepted reports whether the check accepted the upload.
func (u Upload) Accepted() bool { return u.Outcome == state.OutcomeAccepted }

// Journal is the uploads through the portal, in memory and on disk, with
// the checks of those a run has not yet consumed.
type Journal struct {
	dir  string
	mu   sync.Mutex
	f    *os.File
	sync *syncer
	all  []Upload
	// checks of uploads put into the inbox, by Seq, for the standings
	// until a run has consumed them (then the ledger has them).
	checks map[int]*pipeline.Checked
}

// OpenJournal reads the journal of the portal folder dir and opens it for appending.
func OpenJournal(dir string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Join(dir, receiptsDir), 0o700); err != nil {
		return nil, fmt.Errorf("creating the portal folder: %w", err)
	}
	j := &Journal{dir: dir, checks: map[int]*pipeline.Checked{}}
	p := filepath.Join(dir, journalFile)
	f, err := os.Open(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("reading the upload journal: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			var u Upload
			if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
				continue // a line cut by a crash: the upload got no answer either
			}
			j.all = append(j.all, u)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	if j.f, err = os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("opening the upload journal: %w", err)
	}
	j.sync = newSyncer(j.f)
	return j, nil
}

// Add records an upload and returns it with its Seq. receipt, the
// receipt issued at once, is kept (written first) only for an upload not
// put into the inbox: the receipt of one in the inbox is made again from
// its file, or is the run's once a run has consumed it. The line is
// synced in the background (the upload itself is the file in the inbox,
// synced before this).
func (j *Journal) Add(u Upload, receipt []byte, ck *pipeline.Checked) (Upload, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	u.Seq = 1
	if n := len(j.all); n > 0 {
		u.Seq = j.all[n-1].Seq + 1
	}
	if receipt != nil {
		if err := local.WriteFile(j.receiptPath(u.Seq), func(w io.Writer) error { _, err := w.Write(receipt); return err }); err != nil {
			return u, err
		}
	}
	b, err := json.Marshal(u)
	if err != nil {
		return u, err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return u, fmt.Errorf("writing the upload journal: %w", err)
	}
	j.sync.dirty()
	j.all = append(j.all, u)
	if u.Name != "" && ck != nil {
		j.checks[u.Seq] = ck
	}
	return u, nil
}

func (j *Journal) receiptPath(seq int) string {
	return filepath.Join(j.dir, receiptsDir, strconv.Itoa(seq)+".xlsx")
}

// Uploads returns every upload, oldest first.
func (j *Journal) Uploads() []Upload {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Upload(nil), j.all...)
}

// Last is the number of the last upload, 0 when none.
func (j *Journal) Last() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.all) == 0 {
		return 0
	}
	return j.all[len(j.all)-1].Seq
}

// Get returns the upload numbered seq.
func (j *Journal) Get(seq int) (Upload, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := len(j.all) - 1; i >= 0; i-- {
		if j.all[i].Seq == seq {
			return j.all[i], true
		}
	}
	return Upload{}, false
}

// Receipt returns the receipt kept for upload seq (one not put into the
// inbox), or an error wrapping fs.ErrNotExist.
func (j *Journal) Receipt(seq int) ([]byte, error) { return os.ReadFile(j.receiptPath(seq)) }

// Pending returns the checks of the uploads in the inbox that consumed
// (the ledger's hashes) does not know, forgetting those it knows; load
// checks again an upload whose check is not in memory (put there before
// kaohe serve restarted); it returns nil when the file is gone.
func (j *Journal) Pending(consumed func(hash string) bool, load func(u Upload) *pipeline.Checked) []*pipeline.Checked {
	j.mu.Lock()
	var todo []Upload
	var out []*pipeline.Checked
	for _, u := range j.all {
		if u.Name == "" {
			continue
		}
		if consumed(u.Hash) {
			delete(j.checks, u.Seq)
			continue
		}
		if ck, ok := j.checks[u.Seq]; ok {
			out = append(out, ck)
		} else {
			todo = append(todo, u)
		}
	}
	j.mu.Unlock()
	for _, u := range todo {
		ck := load(u)
		if ck == nil {
			continue
		}
		j.mu.Lock()
		j.checks[u.Seq] = ck
		j.mu.Unlock()
		out = append(out, ck)
	}
	return out
}

// Close syncs and closes the journal.
func (j *Journal) Close() error { return errors.Join(j.sync.close(), j.f.Close()) }

// receiptName is the name the receipt of u is downloaded under.
func (j *Journal) receiptName(u Upload, loc *time.Location) string {
	status := sheets.StatusRejected
	if u.Accepted() {
		status = sheets.StatusAccepted
	}
	return sheets.ReceiptFileName(sheets.Upload{Institution: u.Institution, Status: status, Late: u.Late}, u.Time.In(loc))
}
