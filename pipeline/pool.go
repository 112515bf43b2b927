package pipeline

// The parallel steps of a run: reading the new files and writing their
// receipts, each on a bounded pool of workers (GOMAXPROCS: the work is CPU
// bound once the disk syncs are batched). Every worker opens its own
// workbooks: an excelize File is not safe for concurrent use. At most a few
// files' bytes are held at once, never the whole inbox's.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
	"kaohe/templates"
)

// workers is the size of the pools.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// consumeResult is consume's answer for one entry.
type consumeResult struct {
	c    consumed
	prev *state.Record
	err  error
}

// consumeAll consumes the entries on a pool of workers and returns the
// results in the entries' order. The ledger is only read meanwhile: the
// caller decides in order what is new and what a copy of a file earlier in
// this run. Once an entry fails with store.ErrUnavailable or ctx ends, the
// entries not yet started are not read (their result is that error).
func consumeAll(ctx context.Context, inbox store.Store, ready []store.Entry, std *templates.Standard, cfg *Config,
	run string, ledger *state.Ledger, keep *state.Pack, prog io.Writer) []consumeResult {
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
				r := &out[i]
				r.c, r.prev, r.err = consume(ctx, inbox, ready[i], std, cfg, run, ledger, keep)
				if r.err != nil && (errors.Is(r.err, store.ErrUnavailable) || ctx.Err() != nil) {
					stop.CompareAndSwap(nil, &r.err) // the caller stops at the first of these
				}
				n := int(done.Add(1))
				mu.Lock()
				progress(prog, "读取", n, len(ready))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// receiptJob is one receipt to write: its name is fixed first, in order.
type receiptJob struct {
	c    consumed
	name string // in the outbox, under ReceiptDir
	data []byte
	err  error
}

// writeReceipts writes the receipt of every fresh file: named in order,
// built on a pool of workers, put into the outbox in order, or written into
// batch by the workers when there is one (committed by the caller). It
// returns the names, in fresh's order. Each fresh[i].sub is released once
// its receipt is built: nothing reads a submission after its receipt.
func writeReceipts(ctx context.Context, out store.Store, std *templates.Standard, fresh []consumed, t time.Time, batch store.Batch) ([]string, error) {
	jobs := make([]*receiptJob, len(fresh))
	used := map[string]bool{}
	for i, c := range fresh {
		jobs[i] = &receiptJob{c: c, name: receiptName(c, t, used)}
	}
	ready := make([]chan struct{}, len(jobs))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	var next atomic.Int64
	window := make(chan struct{}, 4*workers()) // bounds the receipts built ahead of the writer
	var wg sync.WaitGroup
	for range min(workers(), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case window <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					<-window
					return
				}
				j := jobs[i]
				j.data, j.err = sheets.ReceiptBytes(receiptOf(std, j.c, t))
				j.c.sub, fresh[i].sub = nil, nil // read for the last time: 10,000 of them add up
				j.c.result, fresh[i].result = nil, nil
				if batch != nil && j.err == nil { // into the batch: any order, the names are fixed
					j.err = batch.Write(ReceiptDir+"/"+j.name, j.data)
					j.data = nil
				}
				close(ready[i])
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	names := make([]string, len(jobs))
	for i, j := range jobs {
		select {
		case <-ready[i]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		<-window
		if j.err != nil {
			return nil, j.err
		}
		full := ReceiptDir + "/" + j.name
		if batch == nil { // a server: one at a time, in order
			if err := out.Put(ctx, full, bytes.NewReader(j.data)); err != nil {
				return nil, err
			}
		}
		j.data = nil
		names[i] = full
	}
	return names, nil
}

// receiptStatus is the status c's receipt shows.
func receiptStatus(c consumed) sheets.Status {
	if c.rec.Outcome == state.OutcomeRejected {
		return sheets.StatusRejected
	}
	return sheets.StatusAccepted
}

// receiptName is the name of c's receipt, made unique among used.
func receiptName(c consumed, t time.Time, used map[string]bool) string {
	name := sheets.ReceiptFileName(uploadOf(c.rec, t.Location(), receiptStatus(c)), t)
	if used[name] {
		name = strings.TrimSuffix(name, ".xlsx") + "-" + c.rec.Hash[:8] + ".xlsx"
	}
	used[name] = true
	return name
}

// receiptOf is c's receipt.
func receiptOf(std *templates.Standard, c consumed, t time.Time) *sheets.Receipt {
	return newReceipt(std, uploadOf(c.rec, t.Location(), receiptStatus(c)), c.sub, c.result, t)
}

// earlyReceipts are receipts being written aside while the report is built.
type earlyReceipts struct {
	cancel context.CancelFunc
	done   chan struct{}
	names  []string
	err    error
}

// startReceipts starts writing the receipts into batch, when the outbox
// writes batches (a local folder: none appears before the report, which
// commits them); nil otherwise: they are then put after the report.
func startReceipts(ctx context.Context, out store.Store, std *templates.Standard, fresh []consumed, t time.Time, batch store.Batch) *earlyReceipts {
	if batch == nil || len(fresh) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	e := &earlyReceipts{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		e.names, e.err = writeReceipts(ctx, out, std, fresh, t, batch)
	}()
	return e
}

// wait returns the receipts' names once written; (nil, nil) for nil.
func (e *earlyReceipts) wait() ([]string, error) {
	if e == nil {
		return nil, nil
	}
	<-e.done
	return e.names, e.err
}

// stop ends the writing early (a run that fails) and waits for it.
func (e *earlyReceipts) stop() {
	if e != nil {
		e.cancel()
		<-e.done
	}
}

// runMemoryLimit is the soft limit on the Go runtime's memory during a run,
// and runGCPercent its collector's pacing (see limitMemory).
const (
	runMemoryLimit = 160 << 20
	runGCPercent   = 400
)

// limitMemory paces the collector for a run and returns the function that
// restores the process's settings. A run holds every institution's result
// (about 7 KB each) and, for a moment, its report; with Go's default pacing
// (GOGC=100) the heap may grow to twice what is live before a collection,
// 220 MB for 10,000 institutions, while most of the run, reading, holds
// little and so collects very often: 120 times in a run over 10,000
// uploads, a tenth of its time. So during a run the collector lets the
// heap grow to five times what is live (runGCPercent), and a soft memory
// limit (runMemoryLimit) makes it collect sooner once that much is in use:
// about 25 collections for 10,000 uploads, the same peak, and nothing
// different for a city's 32 workbooks. A process started with GOMEMLIMIT
// or GOGC keeps that setting.
func limitMemory() func() {
	restore := func() {}
	if prev := debug.SetMemoryLimit(-1); prev == math.MaxInt64 {
		debug.SetMemoryLimit(runMemoryLimit)
		restore = func() { debug.SetMemoryLimit(prev) }
	}
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(runGCPercent)
		lim := restore
		restore = func() { debug.SetGCPercent(prev); lim() }
	}
	return restore
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
