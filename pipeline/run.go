// Package pipeline runs kaohe's jobs end to end: one consolidation run
// (intake from a store, read, score, rank, write the report and receipts,
// then archive the inputs), the templates, the checks and the demo. The
// stores (drop folder, FTP) sit behind one small interface; a ledger in the
// state folder remembers every file consumed so nothing counts twice.
package pipeline

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
	"unicode/utf8"

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
}

// Summary is what one run did.
type Summary struct {
	Run        string // run id, e.g. 20131231-020000
	New        int    // files consumed by this run
	Accepted   int    // of them accepted
	Rejected   int    // of them rejected
	Duplicates int    // files whose bytes were consumed before (no-op)
	Waiting    int    // files left for a later run (too young, still growing)
	Skipped    int    // files never read (links, special files, other types)
	Ranked     int    // institutions ranked in the report
	Superseded int    // accepted uploads replaced by a newer one
	Missing    int    // institutions without an accepted submission
	Report     string // the report's name in the outbox
	ReportPath string // where it is: a local path or the outbox's URL (no password)
	Receipts   []string
	MoveErrors []string
	Warnings   []string
	Duration   time.Duration
	Stages     Stages // how long each step took
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
}

// Run performs one consolidation run. It returns an error, and moves no
// input, when the report, the receipts or the ledger could not be written.
// Once it holds the lock, it records its outcome in the state folder's
// last-run.json (see state.ReadLastRun), failed or not.
func Run(ctx context.Context, o Options) (res *Summary, err error) {
	start := time.Now()
	cfg := o.Config
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	std, warns, err := cfg.LoadStandard()
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		log.Warn("standard", "warning", w)
	}
	stateDir := cfg.StateDir()
	if err := state.Create(stateDir); err != nil {
		return nil, err
	}
	unlock, err := state.Lock(stateDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// pool.go: a soft memory limit for the run
	defer limitMemory()()
	defer func() { recordRun(stateDir, cfg, start, res, err, log) }() // under the lock
	inbox, out := o.Inbox, o.Out
	for _, s := range []struct {
		store      *store.Store
		key, where string
	}{{&inbox, "inbox", cfg.Inbox}, {&out, "out", cfg.Out}} {
		if *s.store != nil {
			continue
		}
		if *s.store, err = OpenStore(s.key, s.where, &cfg, log); err != nil { // a folder, or an FTP server (where.go)
			return nil, err
		}
		if c, ok := (*s.store).(io.Closer); ok {
			defer c.Close()
		}
	}
	inFeat, outFeat := store.FeaturesOf(inbox), store.FeaturesOf(out) // what the stores can do beyond Store
	state.Clean(stateDir)
	if outFeat.Clean != nil {
		outFeat.Clean("")
		outFeat.Clean(ReceiptDir)
	}

	ledger, err := state.OpenLedger(stateDir)
	if err != nil {
		return nil, err
	}
	t := now().In(cfg.loc)
	sum := &Summary{Run: t.Format("20060102-150405")}
	log = log.With("run", sum.Run)

	// Intake: what is ready, read once, hashed, copied into the state folder.
	clock := newStageClock()
	ready, err := intake(ctx, inbox, cfg, now, sum, log)
	if err != nil {
		return nil, err
	}
	clock.lap(&sum.Stages.List)
	var fresh []consumed
	var redo []*state.Record                 // seen before: only their move is due
	keep := state.NewPack(stateDir, sum.Run) // the copies of the uploads in the state folder
	defer keep.Abandon()
	results := consumeAll(ctx, inbox, ready, std, &cfg, sum.Run, ledger, keep, o.Progress) // pool.go
	for i, e := range ready {
		c, prev, err := results[i].c, results[i].prev, results[i].err
		results[i] = consumeResult{}
		if err == nil && prev == nil {
			prev, _ = ledger.Lookup(c.rec.Hash) // the same bytes earlier in this run
		}
		if err != nil && (errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil) {
			return nil, fmt.Errorf("reading %s from %s: %w", e.Name, inbox, err) // nothing written or moved yet
		}
		if err != nil {
			log.Warn("file left for the next run", "file", e.Name, "err", err)
			sum.Waiting++
			continue
		}
		if prev != nil {
			sum.Duplicates++
			redo = append(redo, &state.Record{Hash: prev.Hash, Name: e.Name, Outcome: prev.Outcome, Received: e.ModTime})
			continue
		}
		ledger.Add(*c.rec) // in memory until the commit; a copy later in this run is a duplicate
		fresh = append(fresh, c)
		sum.New++
		if c.rec.Outcome == state.OutcomeAccepted {
			sum.Accepted++
		} else {
			sum.Rejected++
		}
		log.Info("file read", "file", e.Name, "institution", c.rec.Institution, "outcome", c.rec.Outcome, "errors", c.rec.Errors, "warnings", c.rec.Warnings)
		for _, is := range c.sub.Issues {
			if is.Cause != "" { // why a file was refused unread, in English
				log.Warn("file refused", "file", e.Name, "cause", is.Cause)
			}
		}
	}
	// The copies become durable aside while the report is made: on a disk
	// that is mostly waiting for the disk. The ledger, which names them, is
	// committed only once they are.
	kept := keep.CommitAside()
	defer kept() // before keep.abandon: a run that fails early waits for it
	clock.lap(&sum.Stages.Read)
	crash("after-fetch")
	if err := checkpoint(ctx); err != nil { // nothing written or moved yet
		return nil, err
	}
	for i := range fresh { // point at the ledger's copies, which later steps update
		fresh[i].rec, _ = ledger.Lookup(fresh[i].rec.Hash)
	}

	// Report and receipts, from the whole ledger.
	subs := map[string]consumed{}
	for _, c := range fresh {
		subs[c.rec.Hash] = c
	}
	rep, err := buildReport(std, &cfg, ledger, subs, stateDir, sum)
	if err != nil {
		return nil, err
	}
	clock.lap(&sum.Stages.Score)
	// Into an outbox that writes batches (a local folder), the receipts are
	// written aside (pool.go) while the report is built, and appear only
	// after it.
	var receipts store.Batch
	if outFeat.Batch != nil {
		receipts = outFeat.Batch()
		defer receipts.Abort()
	}
	early := startReceipts(ctx, out, std, fresh, t, receipts)
	defer early.stop()
	var buf bytes.Buffer
	buf.Grow(len(rep.Standings) * 1024) // about what an institution takes: grown by doubling, a report is copied over and over
	if err := sheets.WriteReport(&buf, rep); err != nil {
		return nil, fmt.Errorf("writing the report: %w", err)
	}
	// The report and its dated copy: into a local folder both at once (each
	// waits for the disk to sync it), to a server one after the other.
	dated := strings.TrimSuffix(ReportName(std), ".xlsx") + "-" + sum.Run + ".xlsx"
	var datedErr, latestErr error
	if outFeat.ParallelPut {
		var wg sync.WaitGroup
		wg.Go(func() { datedErr = out.Put(ctx, dated, bytes.NewReader(buf.Bytes())) })
		latestErr = putLatest(ctx, out, outFeat, ReportName(std), buf.Bytes())
		wg.Wait()
	} else if datedErr = out.Put(ctx, dated, bytes.NewReader(buf.Bytes())); datedErr == nil {
		latestErr = putLatest(ctx, out, outFeat, ReportName(std), buf.Bytes())
	}
	if err := errors.Join(datedErr, latestErr); err != nil {
		return nil, fmt.Errorf("writing the report to %s: %w", out, err)
	}
	sum.Report = ReportName(std)
	sum.ReportPath = reportPath(out, outFeat, sum.Report)
	clock.lap(&sum.Stages.Report)
	names, err := early.wait()
	if early == nil {
		names, err = writeReceipts(ctx, out, std, fresh, t, receipts) // pool.go
	}
	if err == nil && receipts != nil {
		err = receipts.Commit()
	}
	if err != nil {
		return nil, fmt.Errorf("writing a receipt to %s: %w", out, err)
	}
	for i, c := range fresh {
		c.rec.Receipt = names[i]
	}
	sum.Receipts = names
	clock.lap(&sum.Stages.Receipts)
	if err := kept(); err != nil {
		return nil, fmt.Errorf("keeping copies of the uploads: %w", err)
	}
	crash("before-ledger-commit")
	if err := ledger.Commit(); err != nil {
		return nil, fmt.Errorf("committing the ledger: %w", err)
	}
	clock.lap(&sum.Stages.Ledger)
	crash("before-archiving")

	// Only now move the inputs away.
	day := t.Format("2006-01-02")
	moves := make([]*state.Record, 0, len(fresh)+len(redo))
	for _, c := range fresh {
		moves = append(moves, c.rec)
	}
	moves = append(moves, redo...)
	var down error               // the inbox's server is gone: the other moves wait for the next run
	movedTo := map[string]bool{} // folders to sync once the moves are done
	move := func(from, to string) (string, error) { return "", inbox.Move(ctx, from, to) }
	if inFeat.MoveLazy != nil { // the folders are synced below
		move = func(from, to string) (string, error) { return inFeat.MoveLazy(ctx, from, to) }
	}
	for _, r := range moves {
		dir := ArchiveDir
		if r.Outcome == state.OutcomeRejected {
			dir = RejectedDir
		}
		to := path.Join(dir, day, path.Dir(r.Name), t.Format("150405")+"-"+r.Hash[:8]+"-"+archiveBase(path.Base(r.Name))) // keeps an institution's subfolder
		err := down
		if err == nil {
			var dir string
			dir, err = move(r.Name, to)
			movedTo[dir] = dir != ""
		}
		if errors.Is(err, store.ErrUnavailable) {
			down = err
		}
		if err != nil {
			msg := fmt.Sprintf("移动 %s 失败: %v", r.Name, err)
			sum.MoveErrors = append(sum.MoveErrors, msg)
			log.Error("moving input", "file", r.Name, "to", to, "err", err)
			if rec, ok := ledger.Lookup(r.Hash); ok && rec.Name == r.Name {
				rec.MoveError = err.Error()
			}
			continue
		}
		if rec, ok := ledger.Lookup(r.Hash); ok && rec.Name == r.Name {
			rec.MovedTo, rec.MoveError = to, ""
		}
	}
	var dirs []string
	for d, ok := range movedTo {
		if ok {
			dirs = append(dirs, d)
		}
	}
	if inFeat.SyncDirs != nil {
		if err := inFeat.SyncDirs(dirs); err != nil { // the moves are done; only their durability is in doubt
			log.Warn("syncing the archive folders", "err", err)
		}
	}
	clock.lap(&sum.Stages.Archive)
	if len(moves) > 0 {
		if err := ledger.Commit(); err != nil {
			return nil, fmt.Errorf("committing the ledger: %w", err)
		}
	}
	clock.lap(&sum.Stages.Ledger)
	copyReceipts(ctx, inbox, out, fresh, sum, log)
	clock.lap(&sum.Stages.Archive)
	sum.Warnings = append(sum.Warnings, warns...)
	sum.Duration = time.Since(start)
	log.Info("run done", "accepted", sum.Accepted, "rejected", sum.Rejected, "duplicates", sum.Duplicates,
		"waiting", sum.Waiting, "ranked", sum.Ranked, "superseded", sum.Superseded, "missing", sum.Missing,
		"move_errors", len(sum.MoveErrors), "duration", sum.Duration.Round(time.Millisecond), "report", sum.ReportPath)
	return sum, nil
}

// putLatest puts the report everyone opens. Into an outbox that stages its
// Puts (a local folder), the run's kill points report-temp-written and
// report-renamed come on either side of the rename (see crash).
func putLatest(ctx context.Context, out store.Store, feat store.Features, name string, data []byte) error {
	if feat.Stage == nil {
		return out.Put(ctx, name, bytes.NewReader(data))
	}
	commit, err := feat.Stage(ctx, name, bytes.NewReader(data))
	if err != nil {
		return err
	}
	crash("report-temp-written")
	if err := commit(); err != nil {
		return err
	}
	crash("report-renamed")
	return nil
}

// reportPath is where a person finds the report: an absolute path for
// a local outbox, else the store's description and the name.
func reportPath(out store.Store, feat store.Features, name string) string {
	if feat.LocalPath != nil {
		return feat.LocalPath(name)
	}
	return out.String() + "/" + name
}

// intake lists the inbox twice, settle apart, and returns the files ready
// to read: *.xlsx (any case), not hidden, not a lock or partial name, not a
// link or special file, older than min_age and of the same size both times.
func intake(ctx context.Context, inbox store.Store, cfg Config, now func() time.Time, sum *Summary, log *slog.Logger) ([]store.Entry, error) {
	first, err := listInbox(ctx, inbox)
	if err != nil {
		return nil, fmt.Errorf("listing the inbox %s: %w", inbox, err)
	}
	if cfg.Settle > 0 && len(first) > 0 {
		select {
		case <-time.After(time.Duration(cfg.Settle)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	second, err := listInbox(ctx, inbox)
	if err != nil {
		return nil, fmt.Errorf("listing the inbox %s: %w", inbox, err)
	}
	sizes := map[string]int64{}
	for _, e := range first {
		sizes[e.Name] = e.Size
	}
	var ready []store.Entry
	for _, e := range second {
		base := path.Base(e.Name)
		switch {
		case e.Dir:
			continue
		case store.CheckName(e.Name) != nil: // remote names are data: never used
			log.Warn("skipping, unsafe name", "file", e.Name)
			sum.Skipped++
			continue
		case strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~$"):
			continue // hidden and Office lock files: never ours to take
		case e.Odd != "":
			log.Warn("skipping, never read", "file", e.Name, "reason", e.Odd)
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("跳过 %s：%s，从不读取", e.Name, e.Odd))
			sum.Skipped++
			continue
		case !isSpreadsheet(base):
			if isPartial(base) {
				sum.Waiting++
			} else {
				log.Info("skipping, not a spreadsheet", "file", e.Name)
				sum.Skipped++
			}
			continue
		}
		prev, seen := sizes[e.Name]
		if !seen || prev != e.Size || now().Sub(e.ModTime) < time.Duration(cfg.MinAge) {
			log.Info("waiting, still being uploaded", "file", e.Name)
			sum.Waiting++
			continue
		}
		ready = append(ready, e)
	}
	return ready, nil
}

// listInbox lists the inbox and, one level down, its subfolders: an FTP
// server may give each institution a folder of its own. archive/,
// rejected/, 回执/ and hidden folders are not looked into.
func listInbox(ctx context.Context, inbox store.Store) ([]store.Entry, error) {
	root, err := inbox.List(ctx, "")
	if err != nil {
		return nil, err
	}
	all := append([]store.Entry(nil), root...)
	for _, e := range root {
		switch base := path.Base(e.Name); {
		case !e.Dir, e.Odd != "", base == ArchiveDir, base == RejectedDir, base == ReceiptDir,
			strings.HasPrefix(base, "."), store.CheckName(e.Name) != nil:
			continue
		}
		sub, err := inbox.List(ctx, e.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed since
		}
		if err != nil {
			return nil, err
		}
		all = append(all, sub...)
	}
	return all, nil
}

// copyReceipts puts a copy of each new receipt into the inbox subfolder
// its file came from, where an institution with a folder of its own (on an
// FTP server, often the only one it can see) fetches it. The receipts in
// the outbox are the record; a copy that fails is a warning.
func copyReceipts(ctx context.Context, inbox, out store.Store, fresh []consumed, sum *Summary, log *slog.Logger) {
	for _, c := range fresh {
		dir := path.Dir(c.rec.Name)
		if dir == "." || c.rec.Receipt == "" {
			continue
		}
		to := path.Join(dir, ReceiptDir, path.Base(c.rec.Receipt))
		err := func() error {
			rc, err := out.Open(ctx, c.rec.Receipt)
			if err != nil {
				return err
			}
			defer rc.Close()
			return inbox.Put(ctx, to, rc)
		}()
		if err != nil {
			log.Warn("copying a receipt into the upload folder", "receipt", c.rec.Receipt, "to", to, "err", err)
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("回执 %s 未能复制到 %s: %v", c.rec.Receipt, to, err))
			if errors.Is(err, store.ErrUnavailable) {
				return // the server is gone: no point trying the others
			}
		}
	}
}

// archiveBase is an upload's name as kept in archive/ or rejected/ behind
// a 16-byte prefix: at most 200 bytes, cut at a character boundary with its
// extension kept, so that the name fits the 255 bytes a file system allows.
func archiveBase(base string) string {
	const most = 200
	if len(base) <= most {
		return base
	}
	ext := path.Ext(base)
	if len(ext) > 16 {
		ext = ""
	}
	stem := base[:len(base)-len(ext)]
	cut := most - len(ext)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return stem[:cut] + ext
}

// isSpreadsheet reports whether a file is taken by a run: .xlsx, and the
// other spreadsheet files people upload by mistake (.xls, .xlsm, .ods, .csv,
// WPS's .et …), so that they get a receipt saying what to do. What a file
// really is is decided from its bytes (sheets.Read), never from its name.
func isSpreadsheet(base string) bool {
	switch strings.ToLower(path.Ext(base)) {
	case ".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv":
		return true
	}
	return false
}

func isPartial(base string) bool {
	for _, ext := range []string{".part", ".tmp", ".crdownload", ".partial", ".filepart"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			return true
		}
	}
	return false
}

// consume reads one file once, hashes it and, unless the ledger has seen
// its bytes (then prev is that record), keeps a copy (in keep) and reads
// the workbook. It only reads the ledger: consumeAll runs it on a pool.
func consume(ctx context.Context, inbox store.Store, e store.Entry, std *templates.Standard, cfg *Config, run string, ledger *state.Ledger, keep *state.Pack) (consumed, *state.Record, error) {
	rc, err := inbox.Open(ctx, e.Name)
	if err != nil {
		return consumed{}, nil, err
	}
	limit := cfg.MaxFileMB << 20
	b, err := readAllSized(rc, e.Size, limit+1) // pool.go
	rc.Close()
	if err != nil {
		return consumed{}, nil, fmt.Errorf("reading %s: %w", e.Name, err)
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	if prev, ok := ledger.Lookup(hash); ok {
		return consumed{}, prev, nil
	}
	base := path.Base(e.Name)
	if n := int64(len(b)); n <= limit && n != e.Size {
		return consumed{}, nil, fmt.Errorf("reading %s: %d bytes, listed as %d: changed since listing", e.Name, n, e.Size)
	}
	copied := ""
	if int64(len(b)) <= limit {
		copied = keep.Add(hash, b, e.ModTime) // durable once the pack is committed
	}
	sub := readSubmission(b, base, std, cfg)
	late := !cfg.deadline.IsZero() && e.ModTime.After(cfg.deadline)
	if late && cfg.Late == "refuse" {
		sub.Issues = append(sub.Issues, sheets.Issue{Severity: sheets.Error, File: base,
			Message: fmt.Sprintf("逾期提交：截止时间 %s，文件时间 %s，不予受理", sheets.FormatTime(cfg.deadline.In(cfg.loc)), sheets.FormatTime(e.ModTime.In(cfg.loc)))})
	}
	rec := &state.Record{Hash: hash, Name: e.Name, Size: int64(len(b)), Received: e.ModTime, Institution: institutionOf(sub),
		Outcome: state.OutcomeAccepted, Late: late, Run: run, Copy: copied, Errors: sub.Errors(), Warnings: len(sub.Issues) - sub.Errors()}
	c := consumed{rec: rec, sub: sub}
	if sub.Accepted() {
		res := score.Score(std, sub.Institution, sub.Facts) // here, on the pool, once
		c.result = &res
	} else {
		rec.Outcome = state.OutcomeRejected
	}
	return c, nil, nil
}

// readSubmission reads a workbook's bytes, at most max_file_mb of them:
// a larger file (the caller read one byte more) is rejected unread.
func readSubmission(b []byte, base string, std *templates.Standard, cfg *Config) *sheets.Submission {
	if int64(len(b)) > cfg.MaxFileMB<<20 {
		return &sheets.Submission{File: base, Issues: []sheets.Issue{{Severity: sheets.Error, File: base,
			Message: fmt.Sprintf("文件超过 %d MB，未读取。自评表通常不到 1 MB，请删除多余的内容或图片后重新上传", cfg.MaxFileMB)}}}
	}
	sub := sheets.ReadBytes(b, base, std, readLimits(cfg)) // b is never changed
	checkToken(sub, std, cfg)
	return sub
}

func readLimits(cfg *Config) sheets.Limits {
	lim := sheets.DefaultLimits()
	lim.MaxFileBytes = cfg.MaxFileMB << 20
	if cfg.ReadTimeout > 0 {
		lim.Timeout = time.Duration(cfg.ReadTimeout)
	}
	return lim
}

func institutionOf(s *sheets.Submission) string {
	if s.Institution.Name != "" {
		return s.Institution.Name
	}
	return s.Facts.Institution
}

// loadSubmission reads a consumed file again from its copy.
func loadSubmission(copies *state.Copies, r *state.Record, std *templates.Standard, cfg *Config) *sheets.Submission {
	b, err := copies.Read(r)
	if err != nil {
		return &sheets.Submission{File: path.Base(r.Name), Issues: []sheets.Issue{{Severity: sheets.Error, File: path.Base(r.Name),
			Message: "存档副本缺失或已损坏，无法重新读取，请重新上传", Cause: err.Error()}}}
	}
	return readSubmission(b, path.Base(r.Name), std, cfg)
}

func uploadOf(r *state.Record, loc *time.Location, status sheets.Status) sheets.Upload {
	return sheets.Upload{File: path.Base(r.Name), Institution: r.Institution, Received: r.Received.In(loc), Hash: r.Hash,
		Status: status, Late: r.Late, Errors: r.Errors, Warnings: r.Warnings}
}

// buildReport picks, for every institution, its newest accepted upload
// (older accepted ones are 被替代) and, when the newest upload of all was
// rejected, that one too; it scores and ranks them.
func buildReport(std *templates.Standard, cfg *Config, ledger *state.Ledger, subs map[string]consumed, stateDir string, sum *Summary) (*sheets.Report, error) {
	copies := state.NewCopies(stateDir)
	defer copies.Close()
	get := func(r *state.Record) consumed {
		if c, ok := subs[r.Hash]; ok {
			return c
		}
		c := consumed{rec: r, sub: loadSubmission(copies, r, std, cfg)}
		subs[r.Hash] = c
		return c
	}
	rep := &sheets.Report{Standard: std}
	counted := map[string]*state.Record{}  // institution -> newest accepted
	rejected := map[string]*state.Record{} // institution -> newest upload, when rejected and newer than any accepted
	for _, r := range ledger.Newest() {
		status := sheets.StatusRejected
		key := r.Institution
		if key == "" {
			key = "文件 " + r.Name
		}
		switch {
		case r.Outcome == state.OutcomeAccepted && counted[key] == nil:
			counted[key] = r
			status = sheets.StatusAccepted
		case r.Outcome == state.OutcomeAccepted:
			status = sheets.StatusSuperseded
			sum.Superseded++
		case counted[key] == nil && rejected[key] == nil:
			rejected[key] = r
		}
		u := uploadOf(r, cfg.loc, status)
		if status == sheets.StatusSuperseded {
			u.Note = "已被 " + sheets.FormatTime(counted[key].Received.In(cfg.loc)) + " 上传的 " + path.Base(counted[key].Name) + " 替代"
		}
		if r.MoveError != "" {
			u.Note = strings.TrimPrefix(u.Note+"；移动失败: "+r.MoveError, "；")
		}
		rep.Uploads = append(rep.Uploads, u)
		if r.Received.After(rep.Generated) {
			rep.Generated = r.Received.In(cfg.loc)
		}
	}
	var results []score.Result
	uploads := map[string]*sheets.Upload{}
	for _, in := range std.Institutions {
		r := counted[in.Name]
		if r == nil {
			continue
		}
		c := get(r)
		s := c.sub
		if !s.Accepted() { // the rules or the allocation changed since it was consumed
			rejected[in.Name], counted[in.Name] = r, nil
			continue
		}
		if c.result == nil { // read again from its copy
			res := score.Score(std, s.Institution, s.Facts)
			c.result = &res
		}
		results = append(results, *c.result)
		u := uploadOf(r, cfg.loc, sheets.StatusAccepted)
		uploads[in.Name] = &u
		rep.Issues = append(rep.Issues, s.Issues...)
	}
	for _, rk := range score.Rank(results, cfg.style) {
		rk := rk
		rep.Standings = append(rep.Standings, sheets.Standing{Institution: rk.Institution, Status: sheets.StatusAccepted, Ranked: &rk, Upload: uploads[rk.Institution.Name]})
	}
	sum.Ranked = len(results)
	for _, in := range std.Institutions {
		if counted[in.Name] != nil {
			continue
		}
		st := sheets.Standing{Institution: in, Status: sheets.StatusMissing}
		if r := rejected[in.Name]; r != nil {
			u := uploadOf(r, cfg.loc, sheets.StatusRejected)
			st.Status, st.Upload = sheets.StatusRejected, &u
		}
		rep.Standings = append(rep.Standings, st)
		sum.Missing++
	}
	// Issues of rejected uploads that are the newest of their institution
	// (known or not), in a stable order.
	for _, r := range ledger.Newest() {
		key := r.Institution
		if key == "" {
			key = "文件 " + r.Name
		}
		if rejected[key] == r {
			rep.Issues = append(rep.Issues, get(r).sub.Issues...)
		}
	}
	return rep, nil
}

// newReceipt answers one submission, with its verified scores when
// accepted: result, or scored here when nil.
func newReceipt(std *templates.Standard, u sheets.Upload, sub *sheets.Submission, result *score.Result, t time.Time) *sheets.Receipt {
	rc := &sheets.Receipt{Standard: std, Upload: u, Submission: sub, Issued: t}
	if sub.Accepted() {
		if result == nil {
			r := score.Score(std, sub.Institution, sub.Facts)
			result = &r
		}
		rc.Result = result
	}
	return rc
}

// progress prints "读取 3/35" on a terminal, overwriting the line.
func progress(w io.Writer, what string, i, n int) {
	if w == nil || n < 10 {
		return
	}
	fmt.Fprintf(w, "\r%s %d/%d", what, i, n)
	if i == n {
		fmt.Fprintln(w)
	}
}

// crash exits hard (code 97) at a named stage when KAOHE_CRASH_AT names it:
// a test hook for the guarantee that a run killed anywhere loses nothing.
// The stages, in order: after-fetch (inputs read, their copies still being
// made durable aside, nothing
// written), report-temp-written (the report's temp file written in a local
// outbox, not renamed), report-renamed (the report in place, no receipt
// yet), before-ledger-commit (report and receipts written), before-archiving
// (ledger committed, no input moved).
func crash(stage string) {
	if os.Getenv("KAOHE_CRASH_AT") == stage {
		fmt.Fprintf(os.Stderr, "kaohe: crash point %s\n", stage)
		os.Exit(97)
	}
}
