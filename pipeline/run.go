// Package pipeline runs kaohe's jobs end to end: one consolidation run
// (intake from a store, read, score, rank, write the report and receipts,
// then archive the inputs), the templates, the checks and the demo. The
// stores (drop folder, FTP) sit behind one small interface; a ledger in the
// state folder remembers every file consumed so nothing counts twice.
package pipeline

// A run's stages, each in the file named for it: intake (what is ready in
// the inbox), consume (read once, hashed, kept, scored), standings (the
// report, from the whole ledger), publish (the report and the receipts into
// the outbox), archive (only then the inputs moved away).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// Options are one run's inputs besides the configuration.
type Options struct {
	Config   Config
	Log      *slog.Logger     // nil: discard
	Progress io.Writer        // a terminal for progress lines, or nil
	Now      func() time.Time // nil: time.Now
	Inbox    store.Store      // nil: the local folder Config.Inbox
	Out      store.Store      // nil: the local folder Config.Out
	Hooks    Hooks            // for tests; the program leaves them nil
	// DryRun previews a run: the report and the receipts are written into
	// the outbox (which must not be the runs' own), and nothing else: no
	// input moved, nothing recorded in the state folder (the one the inbox
	// names, when it is on this machine, is read), no lock taken.
	DryRun bool
}

// Hooks let a test stop a run at its kill points or hold it in its
// middle; nil hooks do nothing. The program never sets them (kaohe's own
// tests do, from the environment, in cmd/kaohe/main_test.go).
type Hooks struct {
	// Crash is called at each kill point of a run with its name; a test
	// exits the process there (code 97, pipeline/crash_test.go) to check
	// that a run killed anywhere loses nothing. The kill points, in order:
	// after-fetch (inputs read, their copies still being made durable
	// aside, nothing written), report-temp-written (the report's temp file
	// written into an outbox that stages its Puts, a local folder, not
	// renamed), report-renamed (the report in place, no receipt yet),
	// before-ledger-commit (report and receipts written), before-archiving
	// (ledger committed, no input moved).
	Crash func(stage string)
	// Pause is called once the inputs are read, before anything is
	// written, and the run waits for it: a test stops a process in the
	// middle of a run. An error from it fails the run; after it, a run
	// whose ctx was cancelled meanwhile stops there, its inputs where they
	// were.
	Pause func(ctx context.Context) error
	// Moving is called with an input's name once it has been checked to
	// be the file read and before it is moved away: a test replaces the
	// file there, as an upload could.
	Moving func(name string)
}

// runIDLayout is the layout of a run's id (Summary.Run): when it started,
// 20140105-020000 in the configured time zone.
const runIDLayout = "20060102-150405"

// Summary is what one run did.
type Summary struct {
	Run        string   // run id, e.g. 20131231-020000
	DryRun     bool     // a preview (Options.DryRun): nothing moved or recorded
	New        int      // files consumed by this run
	Accepted   int      // of them accepted
	Rejected   int      // of them rejected
	Duplicates int      // files whose bytes were consumed before (no-op)
	Late       int      // of the rejected, those refused for coming after the deadline (late = "refuse")
	Waiting    int      // files left for a later run (too young, still growing)
	Left       []string // of them, each "name：why" (Chinese)
	Skipped    int      // files never read (links, special files, other types)
	Ranked     int      // institutions ranked in the report
	Superseded int      // accepted uploads replaced by a newer one
	Missing    int      // institutions without an accepted submission
	Report     string   // the report's name in the outbox
	Unchanged  bool     // the report was the same as the one in place: not written again, no new dated copy
	Review     string   // which 核查表 was applied (sheets.ReviewFile.Describe); "" when none is configured
	ReportPath string   // where it is: a local path or the outbox's URL (no password)
	Receipts   []string
	MoveErrors []string
	Warnings   []string
	// Problems name the files of the inbox that this run could not
	// answer with a receipt, each with what to do ("「name」：…"): an
	// unsafe name, a file kaohe may not read, a partial upload left for a
	// day, a file that is no spreadsheet. kaohe status shows them.
	Problems []string
	Duration time.Duration
	Stages   Stages // how long each step took
}

// ReportName is the always-latest report's name in the outbox.
func ReportName(std *templates.Standard) string {
	return fmt.Sprintf("汇总排名表-%d.xlsx", std.Year)
}

// The folders of the inbox store where consumed files go, and the outbox's receipts folder.
const (
	ArchiveDir  = "archive"
	RejectedDir = "rejected"
	ReceiptDir  = "回执"
)

// consumed is one file read by this run.
type consumed struct {
	rec    *state.Record
	sub    *sheets.Submission
	result *score.Result // its scores when accepted, made once for the report and the receipt
	dup    *state.Record // the ledger's record of the same bytes consumed before, for a duplicate (rec is then not in the ledger)
}

// run is one consolidation run: what its stages share.
type run struct {
	cfg        Config
	std        *templates.Standard
	warns      []string // the standard's load warnings, also the summary's
	log        *slog.Logger
	progress   io.Writer // a terminal, or nil
	hooks      Hooks
	now        func() time.Time
	start      time.Time
	stateDir   string
	dry        bool // a preview: nothing moved, nothing recorded in the state folder (Options.DryRun)
	rebuilding bool // Rebuild's: the ledger is known not to name every copy

	// Set by open, under the lock.
	inbox, out      store.Store
	closers         []io.Closer    // the stores open opened
	inFeat, outFeat store.Features // what the stores can do beyond Store
	ledger          *state.Ledger
	pack            *state.Pack              // the copies of this run's uploads, in the state folder
	counted         map[string]*state.Record // institution → the upload that counts for it (standings)
	review          *sheets.ReviewFile       // the 核查表 read for this run (review.go); nil when none is configured
	reads           map[string]consumed      // the uploads standings read again, by hash, kept between CurrentReport's calls; nil in a run
	t               time.Time                // the run's time, in the configured zone
	sum             *Summary
	clock           *stageClock
	notes           map[string]string        // hash → the report's note on an upload, besides its move (standings)
	entries         map[string]store.Entry   // inbox name → the entry read by this run (consume), for its move
	listed          map[string]bool          // every file name in the inbox's last listing (intake)
	dups            []consumed               // the copies of files consumed before, each answered 重复，已收过 (consume)
	seen            *state.Seen              // what the listings saw, this run's included (intake)
	seenWritten     func() error             // writes seen.json and releases its lock (intake)
	named           []string                 // the receipts' names, in the answers' order (recordPending)
	pending         func() error             // waits for pending.json to name them and the pack (recordPending)
	arrivals        map[string]state.Arrival // hash → the upload as the channel that received it recorded it (portal)
	copiesMu        sync.Mutex
	copies          *state.Copies // earlier runs' copies, read to check a duplicate's (restore); nil until needed
	restoredMu      sync.Mutex
	restored        map[string]restoredCopy // hash → a lost copy kept again (restore)
}

// Run performs one consolidation run. It returns an error, and moves no
// input, when the report, the receipts or the ledger could not be written.
// Once it holds the lock, it records its outcome in the state folder's
// last-run.json (see state.ReadLastRun), failed or not.
func Run(ctx context.Context, o Options) (sum *Summary, err error) {
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	if !r.dry { // a preview reads the state folder, whose files are replaced atomically, and writes nothing there
		var unlock func()
		if unlock, err = state.Lock(r.stateDir); err != nil {
			return nil, err
		}
		defer unlock()
		defer func() { r.record(sum, err) }() // under the lock
	}
	defer limitMemory()() // pool.go: a soft memory limit for the run
	defer r.close()
	if err := r.open(ctx, o.Inbox, o.Out); err != nil {
		return nil, err
	}
	defer r.pack.Abandon()
	if err := r.readReview(ctx); err != nil { // before any upload is read: a bad 核查表 stops the run here
		return nil, err
	}

	ready, err := r.intake(ctx)
	if err != nil {
		return nil, err
	}
	defer r.seenWritten() // written and unlocked whatever becomes of the run
	fresh, redo, err := r.consume(ctx, ready)
	if err != nil {
		return nil, err
	}
	// The copies become durable aside while the report is made: on a disk
	// that is mostly waiting for the disk. The ledger, which names them, is
	// committed only once they are; pending.json names them (and the
	// receipts) before they are in place.
	answers := append(fresh[:len(fresh):len(fresh)], r.dups...) // every file gets a receipt
	r.recordPending(answers)
	kept := r.pack.CommitAside(r.pending)
	defer kept() // before Abandon: a run that fails early waits for it
	r.crash("after-fetch")
	if err := r.checkpoint(ctx); err != nil { // nothing written or moved yet
		return nil, err
	}
	rep, err := r.standings(fresh)
	if err != nil {
		return nil, err
	}
	if err := r.publish(ctx, rep, answers); err != nil {
		return nil, err
	}
	r.notePublished()
	if err := kept(); err != nil {
		return nil, fmt.Errorf("keeping copies of the uploads: %w", err)
	}
	if r.dry {
		r.sum.DryRun = true
		return r.done(), nil // nothing recorded, nothing moved
	}
	if err := r.seenWritten(); err != nil { // the listings' record: only the times of later uploads depend on it
		r.log.Warn("recording the inbox's listing", "err", err)
	}
	r.crash("before-ledger-commit")
	if err := r.ledger.Commit(); err != nil {
		return nil, fmt.Errorf("committing the ledger: %w", err)
	}
	if err := state.ClearPending(r.stateDir); err != nil { // the ledger names the receipts now
		r.log.Warn("clearing pending.json", "err", err)
	}
	r.retire() // the damaged copies the ledger no longer names
	r.clock.lap(&r.sum.Stages.Ledger)
	r.crash("before-archiving")
	if err := r.archive(ctx, rep, answers, redo); err != nil {
		return nil, err
	}
	return r.done(), nil
}

// standardWarned holds the standard's warnings logged by this process.
var standardWarned sync.Map

// newRun reads the configuration and the standard, and makes the state
// folder.
func newRun(o Options) (*run, error) {
	r := &run{cfg: o.Config, start: time.Now(), log: o.Log, progress: o.Progress, hooks: o.Hooks, now: o.Now, dry: o.DryRun}
	if err := r.cfg.Resolve(); err != nil {
		return nil, err
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if r.now == nil {
		r.now = time.Now
	}
	var err error
	if r.std, r.warns, err = r.cfg.LoadStandard(); err != nil {
		return nil, err
	}
	for _, w := range r.warns {
		if _, said := standardWarned.LoadOrStore(w, true); !said { // once per process: kaohe serve runs every night
			r.log.Warn("standard", "warning", w)
		}
	}
	r.stateDir = r.cfg.StateDir()
	if r.dry {
		return r, nil
	}
	if err := state.Create(r.stateDir); err != nil {
		return nil, err
	}
	return r, nil
}

// open opens the stores not given (a folder, or an FTP server: where.go;
// close closes them), finds what they can do, removes what a run that died
// left behind, and reads the ledger.
func (r *run) open(ctx context.Context, inbox, out store.Store) (err error) {
	for _, s := range []struct {
		store      *store.Store
		key, where string
	}{{&inbox, "inbox", r.cfg.Inbox}, {&out, "out", r.cfg.Out}} {
		if *s.store != nil {
			continue
		}
		if *s.store, err = OpenStore(s.key, s.where, &r.cfg, r.log); err != nil {
			return err
		}
		if c, ok := (*s.store).(io.Closer); ok {
			r.closers = append(r.closers, c)
		}
	}
	r.inbox, r.out = inbox, out
	r.inFeat, r.outFeat = store.FeaturesOf(inbox), store.FeaturesOf(out)
	if err := r.bind(ctx); err != nil { // binding.go: one state folder per inbox
		return err
	}
	if !r.dry {
		state.Clean(r.stateDir)
	}
	if r.outFeat.Clean != nil {
		r.outFeat.Clean("")
		r.outFeat.Clean(ReceiptDir)
	}
	if r.ledger, err = state.OpenLedger(r.stateDir); err != nil {
		return err
	}
	if err := r.sweepReceipts(ctx); err != nil {
		return err
	}
	if unnamed, err := state.Unnamed(r.stateDir, r.ledger); err != nil {
		return err
	} else if len(unnamed) > 0 && !r.rebuilding {
		return fmt.Errorf("%w：状态文件夹 %s 中有 %d 个副本包（%s 等）没有台账记录指向它们，台账 %s 可能被清空、删除或换成了旧的；"+
			"为免把已经收到的上传显示为「未提交」，这次不汇总、不发布", ErrLedgerMismatch, r.stateDir, len(unnamed), unnamed[0], state.LedgerFile)
	}
	if r.arrivals, err = state.ReadArrivals(r.stateDir); err != nil {
		return err
	}
	r.t = r.now().In(r.cfg.loc)
	r.sum = &Summary{Run: r.t.Format(runIDLayout)}
	r.log = r.log.With("run", r.sum.Run)
	r.pack = state.NewPack(r.stateDir, r.sum.Run)
	r.clock = newStageClock()
	r.notes = map[string]string{}
	r.restored = map[string]restoredCopy{}
	r.entries = map[string]store.Entry{}
	return nil
}

// sweepReceipts removes the receipts a run that did not commit its ledger
// wrote (state.Pending): the uploads they answer are read again, and
// answered again, by this run. A receipt the ledger names is kept.
func (r *run) sweepReceipts(ctx context.Context) error {
	p, err := state.ReadPending(r.stateDir)
	if err != nil || p == nil || r.dry {
		return err
	}
	named := map[string]bool{}
	for _, rec := range r.ledger.Records {
		named[rec.Receipt] = true
		for _, rp := range rec.Repeats {
			named[rp.Receipt] = true
		}
	}
	for _, name := range p.Receipts {
		if named[name] {
			continue
		}
		if r.outFeat.Remove == nil {
			r.log.Warn("a receipt of a run that did not finish is left in the outbox", "receipt", name)
			continue
		}
		if err := r.outFeat.Remove(ctx, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("removing the receipt %s of run %s, which did not finish: %w", name, p.Run, err)
		}
		r.log.Info("removed a receipt of a run that did not finish", "receipt", name, "of_run", p.Run)
	}
	if p.Pack != "" && !packNamed(r.ledger, p.Pack) {
		if err := os.Remove(filepath.Join(r.stateDir, filepath.FromSlash(p.Pack))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the copies of run %s, which did not finish: %w", p.Run, err)
		}
	}
	return state.ClearPending(r.stateDir)
}

// packNamed reports whether a record of l names the pack.
func packNamed(l *state.Ledger, pack string) bool {
	for i := range l.Records {
		if l.Records[i].Copy == pack {
			return true
		}
	}
	return false
}

// close closes the stores open opened, the last first.
func (r *run) close() {
	if r.copies != nil {
		r.copies.Close()
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i].Close()
	}
}

// record writes last-run.json (status.go).
func (r *run) record(sum *Summary, err error) {
	recordRun(r.stateDir, r.cfg, r.start, sum, err, r.log)
}

// done completes the summary and logs it.
func (r *run) done() *Summary {
	sum := r.sum
	sum.Warnings = append(sum.Warnings, r.warns...)
	sum.Duration = time.Since(r.start)
	r.log.Info("run done", "accepted", sum.Accepted, "rejected", sum.Rejected, "duplicates", sum.Duplicates,
		"waiting", sum.Waiting, "ranked", sum.Ranked, "superseded", sum.Superseded, "missing", sum.Missing,
		"move_errors", len(sum.MoveErrors), "problems", len(sum.Problems), "duration", sum.Duration.Round(time.Millisecond), "report", sum.ReportPath)
	return sum
}

// problem names a file of the inbox that gets no receipt from this run,
// with what to do (Summary.Problems).
func (r *run) problem(name, what string) {
	r.log.Warn("file not answered", "file", name, "why", what)
	r.sum.Problems = append(r.sum.Problems, "「"+shownName(name)+"」："+what)
}

// crash calls the Crash hook at a kill point (see Hooks).
func (r *run) crash(stage string) {
	if r.hooks.Crash != nil {
		r.hooks.Crash(stage)
	}
}

// checkpoint returns an error once the run has been cancelled, after the
// Pause hook, if any, has returned.
func (r *run) checkpoint(ctx context.Context) error {
	if r.hooks.Pause != nil {
		if err := r.hooks.Pause(ctx); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("运行被中止，输入文件留在原处: %w", err)
	}
	return nil
}
