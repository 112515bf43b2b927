package pipeline

// What the web portal (pipeline/web) asks of a run's code: check an
// upload's bytes as a run would (judge, shared with consume), put it into
// the inbox for the next run, and the standings the report would show,
// read-only. The portal never scores or ranks on its own.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// Location is the configured time zone (timezone); Local before Resolve.
func (c *Config) Location() *time.Location {
	if c.loc == nil {
		return time.Local
	}
	return c.loc
}

// DeadlineTime is the configured deadline, zero when none is set.
func (c *Config) DeadlineTime() time.Time { return c.deadline }

// LateRefused reports whether uploads after the deadline are refused
// (late = "refuse") rather than marked 逾期.
func (c *Config) LateRefused() bool { return c.Late == "refuse" }

// Closed reports whether an upload received at t would be refused as late.
func (c *Config) Closed(t time.Time) bool { return c.LateRefused() && c.isLate(t) }

// isLate is the deadline rule of a run: received after the deadline.
func (c *Config) isLate(received time.Time) bool {
	return !c.deadline.IsZero() && received.After(c.deadline)
}

// judge reads, validates and scores one file's bytes as a run does: the
// reader with the configured limits, the template token, whose upload it
// is (identity.go), the deadline rule, the scores once. name is its name in
// the inbox; the record lacks only what the run adds (Run, Copy).
func judge(std *templates.Standard, cfg *Config, rv *sheets.ReviewFile, b []byte, name, hash string, received time.Time) consumed {
	sub := readSubmission(b, path.Base(name), std, cfg)
	inst, via := attribute(std, name, sub) // identity.go
	late := cfg.isLate(received)
	rec := &state.Record{Hash: hash, Name: name, Size: int64(len(b)), Received: received, Institution: inst, Via: via,
		Outcome: state.OutcomeAccepted, Late: late, Errors: sub.Errors(), Warnings: len(sub.Issues) - sub.Errors()}
	c := consumed{rec: rec, sub: sub}
	switch {
	case late && cfg.LateRefused():
		rec.Outcome = state.OutcomeLate // its own outcome: not read for what it says
	case sub.Accepted():
		res := scoreReviewed(std, rv, sub) // with the 核查表 (review.go); here, on the run's pool, once
		c.result = &res
	default:
		rec.Outcome = state.OutcomeRejected
	}
	return c
}

// Checked is one upload checked at once, as the run that consumes it will
// check it.
type Checked struct {
	Record     state.Record       // the ledger record a run would write (no Run, Copy or Receipt yet)
	Submission *sheets.Submission // as read
	Result     *score.Result      // the verified scores when accepted
	Receipt    *sheets.Receipt    // the receipt a run would issue, issued now
	// Foreign is set when the workbook names another institution than the
	// one uploading it: refused, and not to be put into the inbox.
	Foreign string
}

// Accepted reports whether a run would accept the upload.
func (c *Checked) Accepted() bool { return c.Record.Outcome == state.OutcomeAccepted }

// CheckUpload checks the bytes of an upload named name in the inbox (its
// institution's folder and its own name, InboxName) that kaohe received
// at received, as a run will, and makes the receipt a run would issue at
// now, with rv, the centre's 核查表 (LoadReview; nil: none), as a run
// applies it. A workbook of another institution than the folder's is
// refused, naming both (Foreign). Bytes over max_file_mb are refused unread.
func CheckUpload(std *templates.Standard, cfg *Config, rv *sheets.ReviewFile, data []byte, name string, received, now time.Time) *Checked {
	sum := sha256.Sum256(data)
	c := judge(std, cfg, rv, data, name, hex.EncodeToString(sum[:]), received)
	ck := &Checked{Record: *c.rec, Submission: c.sub, Result: c.result}
	if other := c.sub.Institution.Name; other != "" && other != c.rec.Institution {
		ck.Foreign = other // attribute has said so, naming both
	}
	r := &run{std: std, cfg: *cfg, t: now.In(cfg.Location()), review: rv}
	ck.Receipt = r.answer(c) // the run's receipt, issued now
	return ck
}

// InboxName is the name in the inbox of a file uploaded as file by
// institution, received at received: under the subfolder named as the
// institution, <received time>-<file's name reduced to safe characters>.
func InboxName(cfg *Config, institution, file string, received time.Time) string {
	return institution + "/" + received.In(cfg.Location()).Format("20060102-150405") + "-" + safeBase(file)
}

// depositTries bounds the names Deposit tries: name, name-2 … name-100.
const depositTries = 100

// Deposit puts an upload into the inbox for the next run, as if dropped
// there, under name (InboxName) or, when a file has that name already,
// under name-2, name-3 … name-100: written to a temporary name (Put syncs
// it), then renamed to the first free name by Move, which never
// overwrites. In a local inbox its modification time is set to received,
// the time a run takes as its upload time. It returns the name used; an
// error wrapping store.ErrExists when all those names are taken, and the
// inbox's error when it cannot tell whether a name is free or cannot take
// the file (nothing is left in the inbox then, where the store can remove
// a file). Deposits into one folder are made one at a time.
func Deposit(ctx context.Context, inbox store.Store, cfg *Config, name string, data []byte, received time.Time) (string, error) {
	folder, base, ok := strings.Cut(name, "/")
	if !ok || folder == "" || strings.Contains(base, "/") || store.CheckName(name) != nil {
		return "", fmt.Errorf("depositing %q: %w", name, store.ErrBadName)
	}
	mu := depositLock(folder)
	mu.Lock()
	defer mu.Unlock()
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	feat := store.FeaturesOf(inbox)
	tmp := folder + "/" + store.TempPrefix + "deposit-" + hash[:16] // hidden: a run leaves it alone
	if err := inbox.Put(ctx, tmp, bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("putting %s into the inbox: %w", name, err)
	}
	placed := false
	defer func() {
		if !placed && feat.Remove != nil {
			feat.Remove(context.WithoutCancel(ctx), tmp)
		}
	}()
	if feat.Path != nil { // before the rename: the file appears with its time
		if err := os.Chtimes(feat.Path(tmp), received, received); err != nil {
			return "", fmt.Errorf("setting the time of %s: %w", name, err)
		}
	}
	ext := path.Ext(base)
	for i := 1; i <= depositTries; i++ {
		try := name
		if i > 1 {
			try = fmt.Sprintf("%s/%s-%d%s", folder, strings.TrimSuffix(base, ext), i, ext)
		}
		free, err := nameFree(ctx, inbox, try)
		if err != nil {
			return "", fmt.Errorf("depositing %s: %w", try, err)
		}
		if !free {
			continue
		}
		// The time it was received, recorded before the file appears in
		// the inbox: a run judges lateness and order by it
		// (state.NoteArrival), not by the file's modification time.
		if err := state.NoteArrival(cfg.StateDir(), state.Arrival{Hash: hash, At: received, By: "网上提交",
			Institution: folder, Name: try}); err != nil {
			return "", err
		}
		err = inbox.Move(ctx, tmp, try)
		if errors.Is(err, store.ErrExists) {
			continue // taken since it was looked at: the next name
		}
		if err != nil {
			return "", fmt.Errorf("putting %s into the inbox: %w", try, err)
		}
		placed = true
		return try, nil
	}
	return "", fmt.Errorf("depositing %s: %s to -%d%s: %w", name, base, depositTries, ext, store.ErrExists)
}

// nameFree says whether the inbox has no file (nor link nor anything
// else) called name.
func nameFree(ctx context.Context, inbox store.Store, name string) (bool, error) {
	rc, err := inbox.Open(ctx, name)
	switch {
	case err == nil:
		rc.Close()
		return false, nil
	case errors.Is(err, store.ErrNotFound):
		return true, nil
	case errors.Is(err, store.ErrNotRegular):
		return false, nil
	}
	return false, err
}

var depositLocks sync.Map // folder -> *sync.Mutex

func depositLock(folder string) *sync.Mutex {
	mu, _ := depositLocks.LoadOrStore(folder, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// safeBase is an uploaded file's name as kaohe keeps it: letters, digits
// and - _ ( ) （ ） of its stem (sheets.NamePart), every other run one "_",
// at most 80 characters before its extension, which is kept in lower case
// (so that a run takes it: .xlsx, or a spreadsheet sent by mistake).
func safeBase(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	ext := strings.ToLower(path.Ext(name))
	if !isSpreadsheet("x"+ext) || len(ext) > 6 {
		ext = ".xlsx"
	}
	stem := strings.TrimSuffix(name, path.Ext(name))
	s := sheets.NamePart(stem, "-_()（）", 80)
	if s == "" {
		s = "自评表"
	}
	return s + ext
}

// Reads keeps the uploads CurrentReport read again from their copies, so
// that the next call does not read them again (a copy never changes; the
// configuration and the standard must not either). The zero value is ready.
type Reads struct {
	mu sync.Mutex
	m  map[string]consumed
}

// CurrentReport is what the report would show now, read-only: the ledger's
// uploads and the pending ones (checked, in the inbox, not yet consumed by
// a run), with the rule a run uses (standings.go), for the standard std
// (cfg.LoadStandard's) and the 核查表 rv (LoadReview's; nil: none), with
// reads (nil: none) keeping what it read. It takes no lock: a run replaces
// the ledger atomically.
func CurrentReport(cfg Config, std *templates.Standard, rv *sheets.ReviewFile, pending []*Checked, reads *Reads) (*sheets.Report, error) {
	if cfg.loc == nil { // not resolved yet (the portal's is: it asks after every upload)
		if err := cfg.Resolve(); err != nil {
			return nil, err
		}
	}
	var err error
	r := &run{cfg: cfg, std: std, review: rv, stateDir: cfg.StateDir(), sum: &Summary{}, clock: newStageClock(), notes: map[string]string{},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if reads != nil {
		reads.mu.Lock()
		defer reads.mu.Unlock()
		if reads.m == nil {
			reads.m = map[string]consumed{}
		}
		r.reads = reads.m
	}
	if r.ledger, err = state.OpenLedger(r.stateDir); err != nil {
		return nil, err
	}
	var fresh []consumed
	for _, p := range pending {
		if _, seen := r.ledger.Lookup(p.Record.Hash); seen || p.Foreign != "" {
			continue
		}
		rec := p.Record
		r.ledger.Add(rec) // in memory only: never committed
		got, _ := r.ledger.Lookup(rec.Hash)
		fresh = append(fresh, consumed{rec: got, sub: p.Submission}) // scored again: the 核查表 may have changed since
	}
	return r.standings(fresh)
}

// WriteTemplateFor writes the self-assessment workbook of one institution,
// as kaohe template does (with its token when tokens are on, and the
// deadline in its 填表说明).
func WriteTemplateFor(w io.Writer, cfg *Config, std *templates.Standard, in templates.Institution) error {
	opt := sheets.TemplateOptions{Token: sheets.Token(cfg.tokenSecret, std.Year, in.Name), LateRefused: cfg.LateRefused()}
	if !cfg.deadline.IsZero() {
		opt.Deadline = cfg.deadline.In(cfg.Location())
	}
	return sheets.WriteTemplateWith(w, std, in, opt)
}
