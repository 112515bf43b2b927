package pipeline

// Consume: every file ready read once, on a bounded pool of workers
// (GOMAXPROCS: the work is CPU bound once the disk syncs are batched),
// hashed, kept in the run's pack, read and scored. Every worker opens its
// own workbooks: an excelize File is not safe for concurrent use. At most
// a few files' bytes are held at once, never the whole inbox's.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
	"kaohe/templates"
)

// consume reads the files ready on a pool of workers (readAll), then, in
// their order, adds the new ones to the ledger (in memory until its commit)
// and sorts out the copies of files consumed before, whose move alone is
// due (redo). It fails, nothing written or moved yet, when the inbox's
// server is gone or ctx ends; a file that could not be read otherwise is
// left for the next run.
func (r *run) consume(ctx context.Context, ready []store.Entry) (fresh []consumed, redo []*state.Record, err error) {
	sum, log := r.sum, r.log
	results := r.readAll(ctx, ready)
	for i, e := range ready {
		c, prev, err := results[i].c, results[i].prev, results[i].err
		results[i] = consumeResult{}
		if err == nil && prev == nil {
			prev, _ = r.ledger.Lookup(c.rec.Hash) // the same bytes earlier in this run
		}
		if err != nil && (errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil) {
			return nil, nil, fmt.Errorf("reading %s from %s: %w", e.Name, r.inbox, err) // nothing written or moved yet
		}
		if err != nil {
			log.Warn("file left for the next run", "file", e.Name, "err", err)
			if errors.Is(err, errChanged) { // one still being written is read when it is done
				r.wait(e.Name, "读取时还在变化（仍在上传或被改动），下次再收取")
			} else {
				sum.Waiting++
				r.problem(e.Name, unreadable(err))
			}
			continue
		}
		if prev != nil {
			r.entries[e.Name] = e
			d := &state.Record{Hash: prev.Hash, Outcome: prev.Outcome, Institution: prev.Institution, Via: prev.Via}
			nameRecord(d, e.Name)
			r.stamp(d, e)
			if pendingMove(prev, e.Name) {
				// The upload itself (or a repeat of it), still in the inbox:
				// its move failed, or the run that answered it stopped
				// before moving it. It is moved now, not answered again.
				log.Info("moving a file answered before", "file", e.Name, "run", prev.Run)
				redo = append(redo, d)
				continue
			}
			sum.Duplicates++
			log.Info("duplicate: the same bytes were consumed before", "file", e.Name, "as", prev.Name, "run", prev.Run)
			redo = append(redo, d)
			r.dups = append(r.dups, consumed{rec: d, sub: &sheets.Submission{File: path.Base(d.Name)}}) // dup: below
			continue
		}
		r.entries[e.Name] = e
		r.ledger.Add(*c.rec) // in memory until the commit; a copy later in this run is a duplicate
		fresh = append(fresh, c)
		sum.New++
		switch c.rec.Outcome {
		case state.OutcomeAccepted:
			sum.Accepted++
		case state.OutcomeLate:
			sum.Late++
			sum.Rejected++
		default:
			sum.Rejected++
		}
		log.Info("file read", "file", e.Name, "institution", c.rec.Institution, "outcome", c.rec.Outcome, "errors", c.rec.Errors, "warnings", c.rec.Warnings)
		for _, is := range c.sub.Issues {
			if is.Cause != "" { // why a file was refused unread, in English
				log.Warn("file refused", "file", e.Name, "cause", is.Cause)
			}
		}
	}
	for i := range fresh { // point at the ledger's copies, which later steps update
		fresh[i].rec, _ = r.ledger.Lookup(fresh[i].rec.Hash)
	}
	for hash, rc := range r.restored { // a lost copy, kept again from the same bytes (restore)
		if rec, ok := r.ledger.Lookup(hash); ok {
			rec.Copy = rc.pack
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("「%s」的存档副本缺失或已损坏，已用再次上传的相同文件恢复", rec.Name))
		}
	}
	for i := range r.dups { // the ledger keeps each repeat, answered once (its receipt: publish)
		d := r.dups[i].rec
		r.dups[i].dup, _ = r.ledger.Lookup(d.Hash)
		r.dups[i].dup.Repeats = append(r.dups[i].dup.Repeats, state.Repeat{Name: d.Name, RawName: d.RawName, Received: d.Received, Run: r.sum.Run})
	}
	r.clock.lap(&r.sum.Stages.Read)
	return fresh, redo, nil
}

// pendingMove reports whether the file name, whose bytes are rec's, is
// the upload rec or one of its repeats that was answered but not yet
// moved (a move that failed, a run stopped before its archive step).
func pendingMove(rec *state.Record, name string) bool {
	return unmoved(rec, name) || repeatOf(rec, name) != nil
}

// unmoved reports whether the file name is the upload rec itself, not
// moved yet (nor left in the inbox on purpose).
func unmoved(rec *state.Record, name string) bool {
	return inboxName(rec) == name && rec.MovedTo == "" && rec.Left == ""
}

// consumeResult is consumeOne's answer for one entry.
type consumeResult struct {
	c    consumed
	prev *state.Record
	err  error
}

// readAll consumes the entries on a pool of workers and returns the
// results in the entries' order. The ledger is only read meanwhile: the
// caller decides in order what is new and what a copy of a file earlier in
// this run. Once an entry fails with store.ErrUnavailable or ctx ends, the
// entries not yet started are not read (their result is that error).
func (r *run) readAll(ctx context.Context, ready []store.Entry) []consumeResult {
	out := make([]consumeResult, len(ready))
	var next, done atomic.Int64
	var stop atomic.Pointer[error] // the first error that ends the reading
	var mu sync.Mutex              // progress lines
	var wg sync.WaitGroup
	for range min(workers(), len(ready)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ready) {
					return
				}
				if err := stop.Load(); err != nil { // entries are taken in order: the caller stops before this one
					out[i].err = *err
					continue
				}
				res := &out[i]
				res.c, res.prev, res.err = r.consumeOne(ctx, ready[i], i)
				if res.err != nil && (errors.Is(res.err, store.ErrUnavailable) || ctx.Err() != nil) {
					stop.CompareAndSwap(nil, &res.err) // the caller stops at the first of these
				}
				n := int(done.Add(1))
				mu.Lock()
				progress(r.progress, "读取", n, len(ready))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// consumeOne reads one file once (the order-th listed), hashes it and,
// unless the ledger has seen its bytes (then prev is that record, and the
// bytes restore its copy when that was lost: restore), keeps a copy (in
// the run's pack) and reads the workbook. It only reads the ledger:
// readAll runs it on a pool.
func (r *run) consumeOne(ctx context.Context, e store.Entry, order int) (c consumed, prev *state.Record, err error) {
	std, cfg := r.std, &r.cfg
	rc, err := r.inbox.Open(ctx, e.Name)
	if err != nil {
		return consumed{}, nil, err
	}
	limit := cfg.MaxFileMB << 20
	b, err := readAllSized(rc, e.Size, limit+1)
	rc.Close()
	if err != nil {
		return consumed{}, nil, fmt.Errorf("reading %s: %w", e.Name, err)
	}
	if n := int64(len(b)); n <= limit && n != e.Size {
		return consumed{}, nil, fmt.Errorf("reading %s: %d bytes, listed as %d: %w", e.Name, n, e.Size, errChanged)
	}
	if r.inFeat.Stat != nil { // the bytes read are those of the file listed, as far as the store can tell
		now, err := r.inFeat.Stat(ctx, e.Name)
		if err != nil {
			return consumed{}, nil, fmt.Errorf("looking at %s again: %w", e.Name, err)
		}
		if !now.Same(e) {
			return consumed{}, nil, fmt.Errorf("reading %s: %w", e.Name, errChanged)
		}
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	if prev, ok := r.ledger.Lookup(hash); ok {
		r.restore(prev, b, e, order)
		return consumed{}, prev, nil
	}
	rec := &state.Record{Hash: hash, Size: int64(len(b)), Run: r.sum.Run}
	nameRecord(rec, e.Name)
	r.stamp(rec, e)
	if int64(len(b)) <= limit {
		rec.Copy = r.keep(rec, b, order) // durable once the pack is committed
	} else {
		rec.NotKept = true // refused unread: nothing to read again
	}
	// What it is, whose, and its scores: the portal's check is this one
	// (portal.go), given the time the upload counts as received.
	c = judge(std, cfg, r.review, b, displayName(e.Name), hash, rec.Received)
	j := c.rec
	rec.Institution, rec.Via, rec.Outcome, rec.Late, rec.Errors, rec.Warnings = j.Institution, j.Via, j.Outcome, j.Late, j.Errors, j.Warnings
	c.rec = rec
	return c, nil, nil
}

// keep adds the bytes of rec's upload, the order-th listed, to the run's
// pack, with what a rebuilt ledger needs to know of it, and returns where
// they are kept (state.Record.Copy). A preview keeps nothing.
func (r *run) keep(rec *state.Record, b []byte, order int) string {
	if r.dry {
		return ""
	}
	return r.pack.Add(rec.Hash, b, state.PackMeta{Name: rec.Name, RawName: rec.RawName, Modified: rec.Modified, Received: rec.Received,
		FirstSeen: rec.FirstSeen, SeenAfter: rec.SeenAfter, ReceivedBy: rec.ReceivedBy, Run: rec.Run, Order: order})
}

// restore keeps b, the bytes of the earlier upload rec uploaded again (the
// file e, the order-th listed), in this run's pack when rec's own copy is
// missing or damaged: the report then reads them again, as 「请重新上传」
// told the institution. The record's copy is repointed by consume.
func (r *run) restore(rec *state.Record, b []byte, e store.Entry, order int) {
	if r.dry || rec.NotKept { // rec is an earlier run's: readAll runs before this run adds to the ledger
		return
	}
	r.copiesMu.Lock()
	if r.copies == nil {
		r.copies = state.NewCopies(r.stateDir)
	}
	_, err := r.copies.Read(rec)
	r.copiesMu.Unlock()
	if err == nil {
		return
	}
	old := rec.CopyName() // moved aside once the ledger names the new one (retire)
	meta := state.PackMeta{Name: rec.Name, RawName: rec.RawName, Modified: rec.Modified, Received: rec.Received,
		FirstSeen: rec.FirstSeen, SeenAfter: rec.SeenAfter, ReceivedBy: rec.ReceivedBy, Run: rec.Run, Order: order}
	if meta.Modified.IsZero() {
		meta.Modified = e.ModTime
	}
	pack := r.pack.Add(rec.Hash, b, meta)
	r.restoredMu.Lock()
	r.restored[rec.Hash] = restoredCopy{pack, b, old}
	r.restoredMu.Unlock()
	r.log.Warn("the copy of an upload was lost; restored from the same bytes uploaded again", "file", e.Name, "as", rec.Name, "err", err)
}

// restoredCopy is a lost copy kept again (restore): the pack, the bytes,
// which the report reads before the pack is in place, and the copy it
// replaces (Record.Copy, or files/<hash>.xlsx), retired after the ledger
// commit.
type restoredCopy struct {
	pack string
	data []byte
	old  string
}

// retire moves aside, into the state folder's files/retired/ (never
// removed), each damaged copy that a copy kept again replaced (restore),
// now that the committed ledger names the new one: left in files/, a copy
// no record names would make the next run take the ledger for lost. A
// copy some other record still names stays where it is. A failure is a
// warning.
func (r *run) retire() {
	named := map[string]bool{}
	for i := range r.ledger.Records {
		named[r.ledger.Records[i].CopyName()] = true
	}
	for _, rc := range r.restored {
		if named[rc.old] {
			continue
		}
		to, err := state.Retire(r.stateDir, rc.old)
		switch {
		case err != nil:
			r.log.Warn("moving a damaged copy aside", "copy", rc.old, "err", err)
			r.sum.Warnings = append(r.sum.Warnings, fmt.Sprintf("损坏的存档副本 %s 未能移到 %s/%s/: %v", rc.old, state.FilesDir, state.RetiredDir, err))
		case to != "":
			r.log.Info("a damaged copy moved aside", "copy", rc.old, "to", to)
		}
	}
}

// stamp sets when the upload e, whose bytes are rec's, counts as received
// (state.Record.Received) and what that comes from: the time the channel
// that received it recorded (state.Arrival: the portal), else its
// modification time as far as the listings of the inbox allow: not after
// the listing that first saw it, not before the one before, which did not.
// A modification time is set by whoever uploaded the file (touch, an FTP
// client's MDTM): within that window it is only a closer guess.
func (r *run) stamp(rec *state.Record, e store.Entry) {
	rec.Modified, rec.Received = e.ModTime, e.ModTime
	if a, ok := r.arrivals[rec.Hash]; ok {
		rec.Received, rec.ReceivedBy = a.At, a.By
		return
	}
	f, ok := r.seen.Lookup(e)
	if !ok { // never: the run lists before it reads
		f.First = r.now()
	}
	rec.FirstSeen, rec.SeenAfter = f.First, f.After
	if rec.Received.After(f.First) {
		rec.Received = f.First
	}
	if !f.After.IsZero() && rec.Received.Before(f.After) {
		rec.Received = f.After
	}
}

// timeTolerance is how far a file's modification time may lie outside
// the window kaohe's listings allow before the report says so.
const timeTolerance = 2 * time.Minute

// timeNote is what the report says of an upload whose modification time
// disagrees with kaohe's listings by more than timeTolerance, or of one
// whose time a channel recorded: "" when nothing.
func timeNote(rec *state.Record, loc *time.Location) string {
	switch {
	case rec.ReceivedBy != "":
		return "收到时间由" + rec.ReceivedBy + "记录"
	case rec.Modified.IsZero() || rec.FirstSeen.IsZero():
		return ""
	case rec.Modified.After(rec.FirstSeen.Add(timeTolerance)):
		return fmt.Sprintf("文件时间 %s 晚于 kaohe 第一次看到它的 %s（上传者的时钟或软件所设），按 %s 收到计",
			sheets.FormatTime(rec.Modified.In(loc)), sheets.FormatTime(rec.FirstSeen.In(loc)), sheets.FormatTime(rec.Received.In(loc)))
	case !rec.SeenAfter.IsZero() && rec.Modified.Before(rec.SeenAfter.Add(-timeTolerance)):
		return fmt.Sprintf("文件时间 %s 早于 kaohe %s 查看收件文件夹时（那时还没有这个文件；上传软件可能保留了原来的时间），按 %s 收到计",
			sheets.FormatTime(rec.Modified.In(loc)), sheets.FormatTime(rec.SeenAfter.In(loc)), sheets.FormatTime(rec.Received.In(loc)))
	}
	return ""
}

// unreadable says why a file listed could not be read, and what to do.
func unreadable(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "kaohe 没有读取这个文件的权限，没有读取它，它会一直留在收件文件夹。请管理员给 kaohe 读取权限，或让上传者删除后重新上传"
	case errors.Is(err, store.ErrNotFound):
		return "列出后打开时找不到（文件名首尾有空格或含特殊字符时服务器找不到它，也可能刚被删除或改名）。如果它一直留在收件文件夹，请删除它，改名后重新上传"
	case errors.Is(err, store.ErrNotRegular):
		return "列出后被换成了链接或特殊文件，kaohe 不读取。请删除它，把自评表本身重新上传"
	}
	return fmt.Sprintf("无法读取（%v），留在收件文件夹，下次运行再试。如果一直如此，请删除它后重新上传", err)
}

// errChanged: a file changed while it was being read (its size, time or,
// where the store can tell, the file itself differ from its listing): it
// is left for the next run.
var errChanged = errors.New("changed since listing")

// readSubmission reads a workbook's bytes, at most max_file_mb of them:
// a larger file (the caller read one byte more) is rejected unread.
func readSubmission(b []byte, base string, std *templates.Standard, cfg *Config) *sheets.Submission {
	if int64(len(b)) > cfg.MaxFileMB<<20 {
		return oversized(base, cfg)
	}
	sub := (&sheets.Reader{Standard: std, Limits: readLimits(cfg)}).ReadBytes(b, base) // b is never changed
	checkToken(sub, std, cfg)
	return sub
}

// oversized is the answer to an upload over max_file_mb: refused unread.
func oversized(base string, cfg *Config) *sheets.Submission {
	return &sheets.Submission{File: base, Issues: []sheets.Issue{{Severity: sheets.Error, File: base,
		Message: fmt.Sprintf("文件超过 %d MB，未读取。自评表通常不到 1 MB，请删除多余的内容或图片后重新上传", cfg.MaxFileMB)}}}
}

func readLimits(cfg *Config) sheets.Limits {
	lim := sheets.DefaultLimits()
	lim.MaxFileBytes = cfg.MaxFileMB << 20
	if cfg.ReadTimeout > 0 {
		lim.Timeout = time.Duration(cfg.ReadTimeout)
	}
	return lim
}

// readAllSized is io.ReadAll(io.LimitReader(r, limit)) into a buffer the
// size the listing gave: one allocation, where ReadAll doubles its way up.
func readAllSized(r io.Reader, size, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit)
	if size <= 0 || size >= limit {
		return io.ReadAll(lr)
	}
	b := make([]byte, size+1) // one more: a file grown since the listing is seen
	n, err := io.ReadFull(lr, b)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return b[:n], nil
	case err != nil:
		return b[:n], err
	}
	rest, err := io.ReadAll(lr)
	return append(b, rest...), err
}
