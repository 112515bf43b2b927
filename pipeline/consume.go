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
			r.wait(e.Name, "这次没能读取（"+err.Error()+"），下次再试")
			continue
		}
		if prev != nil {
			sum.Duplicates++
			log.Info("duplicate: the same bytes were consumed before", "file", e.Name, "as", prev.Name, "run", prev.Run)
			redo = append(redo, &state.Record{Hash: prev.Hash, Name: e.Name, Outcome: prev.Outcome, Received: e.ModTime, Institution: prev.Institution, Via: prev.Via})
			continue
		}
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
	r.clock.lap(&r.sum.Stages.Read)
	return fresh, redo, nil
}

// duplicates are the answers to the copies of files consumed before:
// each gets a receipt saying so (重复，已收过), nothing else.
func duplicates(redo []*state.Record) []consumed {
	out := make([]consumed, len(redo))
	for i, d := range redo {
		rec := *d
		out[i] = consumed{rec: &rec, dup: d, sub: &sheets.Submission{File: path.Base(d.Name)}}
	}
	return out
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
				res.c, res.prev, res.err = r.consumeOne(ctx, ready[i])
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

// consumeOne reads one file once, hashes it and, unless the ledger has
// seen its bytes (then prev is that record), keeps a copy (in the run's
// pack) and reads the workbook. It only reads the ledger: readAll runs it
// on a pool.
func (r *run) consumeOne(ctx context.Context, e store.Entry) (c consumed, prev *state.Record, err error) {
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
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	if prev, ok := r.ledger.Lookup(hash); ok {
		return consumed{}, prev, nil
	}
	if n := int64(len(b)); n <= limit && n != e.Size {
		return consumed{}, nil, fmt.Errorf("reading %s: %d bytes, listed as %d: changed since listing", e.Name, n, e.Size)
	}
	copied := ""
	if int64(len(b)) <= limit {
		copied = r.pack.Add(hash, b, e.ModTime) // durable once the pack is committed
	}
	c = judge(std, cfg, r.review, b, e.Name, hash, e.ModTime) // portal.go: the portal's check is this one
	c.rec.Run, c.rec.Copy = r.sum.Run, copied
	return c, nil, nil
}

// readSubmission reads a workbook's bytes, at most max_file_mb of them:
// a larger file (the caller read one byte more) is rejected unread.
func readSubmission(b []byte, base string, std *templates.Standard, cfg *Config) *sheets.Submission {
	if int64(len(b)) > cfg.MaxFileMB<<20 {
		return &sheets.Submission{File: base, Issues: []sheets.Issue{{Severity: sheets.Error, File: base,
			Message: fmt.Sprintf("文件超过 %d MB，未读取。自评表通常不到 1 MB，请删除多余的内容或图片后重新上传", cfg.MaxFileMB)}}}
	}
	sub := (&sheets.Reader{Standard: std, Limits: readLimits(cfg)}).ReadBytes(b, base) // b is never changed
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
