package pipeline

// Publish: the report and the receipts into the outbox. The receipts are
// built on a bounded pool of workers, each with its own workbooks (an
// excelize File is not safe for concurrent use), a few ahead of the
// writer at most.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// publish writes the report and the receipts into the outbox. Into an
// outbox that writes batches (a local folder), the receipts are written
// aside while the report is built, and appear only after it.
func (r *run) publish(ctx context.Context, rep *sheets.Report, fresh []consumed) error {
	var receipts store.Batch
	if r.outFeat.Batch != nil {
		receipts = r.outFeat.Batch()
		defer receipts.Abort()
	}
	named := r.named // fixed, and recorded in pending.json, before any is written (Run)
	early := r.startReceipts(ctx, fresh, named, receipts)
	defer early.stop()
	if err := r.putReport(ctx, rep, true); err != nil {
		return err
	}
	r.clock.lap(&r.sum.Stages.Report)
	names, err := early.wait()
	if err == nil {
		err = r.pending() // the receipts appear under their names only once pending.json names them
	}
	if err == nil && early == nil {
		names, err = r.writeReceipts(ctx, fresh, named, receipts)
	}
	if err == nil && receipts != nil {
		err = receipts.Commit()
	}
	if err != nil {
		return fmt.Errorf("writing a receipt to %s: %w", r.out, err)
	}
	for i, c := range fresh {
		c.rec.Receipt = names[i]
		if rp := repeatOf(c.dup, inboxName(c.rec)); c.dup != nil && rp != nil && rp.Run == r.sum.Run {
			rp.Receipt = names[i]
		}
	}
	r.sum.Receipts = names
	r.clock.lap(&r.sum.Stages.Receipts)
	return nil
}

// putReport writes the report, and its dated copy: into a local folder
// both at once (each waits for the disk to sync it), to a server one after
// the other. A report the same, byte for byte, as the one in place (the
// same data: the report reads no clock) is not written again, and no new
// dated copy is made. The first time in a run it passes the run's kill
// points (Hooks), not when the report is written again (archive's renote).
func (r *run) putReport(ctx context.Context, rep *sheets.Report, first bool) error {
	var buf bytes.Buffer
	buf.Grow(len(rep.Standings) * 1024) // about what an institution takes: grown by doubling, a report is copied over and over
	if err := sheets.WriteReport(&buf, rep); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	latest := ReportName(r.std)
	r.sum.Report = latest
	r.sum.ReportPath = r.reportPath(latest)
	if r.samePublished(ctx, latest, buf.Bytes()) {
		r.sum.Unchanged = true
		r.log.Info("report unchanged: not written again", "report", r.sum.ReportPath)
		return nil
	}
	dated := strings.TrimSuffix(latest, ".xlsx") + "-" + r.sum.Run + ".xlsx"
	var datedErr, latestErr error
	if r.outFeat.ParallelPut {
		var wg sync.WaitGroup
		wg.Go(func() { datedErr = r.out.Put(ctx, dated, bytes.NewReader(buf.Bytes())) })
		latestErr = r.putLatest(ctx, latest, buf.Bytes(), first)
		wg.Wait()
	} else if datedErr = r.out.Put(ctx, dated, bytes.NewReader(buf.Bytes())); datedErr == nil {
		latestErr = r.putLatest(ctx, latest, buf.Bytes(), first)
	}
	if err := errors.Join(datedErr, latestErr); err != nil {
		return fmt.Errorf("writing the report to %s: %w", r.out, err)
	}
	r.sum.Unchanged = false // written again by renote after it was found the same: written
	return nil
}

// samePublished reports whether the outbox's file name holds exactly data.
// Anything that keeps it from being read (not there, a server that fails)
// is "not the same": the report is then written as always.
func (r *run) samePublished(ctx context.Context, name string, data []byte) bool {
	rc, err := r.out.Open(ctx, name)
	if err != nil {
		return false
	}
	defer rc.Close()
	old, err := io.ReadAll(io.LimitReader(rc, int64(len(data))+1))
	return err == nil && bytes.Equal(old, data)
}

// putLatest puts the report everyone opens. Into an outbox that stages its
// Puts (a local folder), the run's kill points report-temp-written and
// report-renamed come on either side of the rename (see Hooks).
func (r *run) putLatest(ctx context.Context, name string, data []byte, hooks bool) error {
	if r.outFeat.Stage == nil {
		return r.out.Put(ctx, name, bytes.NewReader(data))
	}
	commit, err := r.outFeat.Stage(ctx, name, bytes.NewReader(data))
	if err != nil {
		return err
	}
	if hooks {
		r.crash("report-temp-written")
	}
	if err := commit(); err != nil {
		return err
	}
	if hooks {
		r.crash("report-renamed")
	}
	return nil
}

// reportPath is where a person finds the report: an absolute path for
// a local outbox, else the store's description and the name.
func (r *run) reportPath(name string) string {
	if r.outFeat.Path != nil {
		return r.outFeat.Path(name)
	}
	return r.out.String() + "/" + name
}

// receiptJob is one receipt to write: its name is fixed first, in order.
type receiptJob struct {
	c    consumed
	name string // in the outbox, under ReceiptDir
	data []byte
	err  error
}

// writeReceipts writes the receipt of every fresh file under its name
// (named, in order: receiptName), built on a pool of workers, put into
// the outbox in order, or written into batch by the workers when there is
// one (committed by the caller). It
// returns the names, in fresh's order. Each fresh[i].sub is released once
// its receipt is built: nothing reads a submission after its receipt.
func (r *run) writeReceipts(ctx context.Context, fresh []consumed, named []string, batch store.Batch) ([]string, error) {
	jobs := make([]*receiptJob, len(fresh))
	for i, c := range fresh {
		jobs[i] = &receiptJob{c: c, name: named[i]}
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
			var buf []byte // the receipt's bytes, reused when the batch writes them at once
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
				if batch != nil {
					j.data, j.err = sheets.ReceiptInto(buf, r.answer(j.c))
				} else {
					j.data, j.err = sheets.ReceiptBytes(r.answer(j.c)) // kept until the writer puts it
				}
				j.c.sub, fresh[i].sub = nil, nil // read for the last time: 10,000 of them add up
				j.c.result, fresh[i].result = nil, nil
				if batch != nil && j.err == nil { // into the batch: any order, the names are fixed
					j.err = batch.Write(ReceiptDir+"/"+j.name, j.data)
					buf, j.data = j.data, nil
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
			if err := r.out.Put(ctx, full, bytes.NewReader(j.data)); err != nil {
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
	switch {
	case c.dup != nil:
		return sheets.StatusDuplicate
	case c.rec.Outcome == state.OutcomeLate:
		return sheets.StatusLateRefused
	case c.rec.Outcome == state.OutcomeRejected:
		return sheets.StatusRejected
	}
	return sheets.StatusAccepted
}

// recordPending names the receipts of answers (r.named) and starts
// recording them, with the run's pack, in the state folder's pending.json
// aside (r.pending waits for it): a run that dies before its ledger names
// them has them removed by the next (sweepReceipts). A preview records
// nothing.
func (r *run) recordPending(answers []consumed) {
	r.named = make([]string, len(answers))
	used := map[string]bool{} // the names the ledger has given, in any run: a run within the same minute makes the same names
	for i := range r.ledger.Records {
		rec := &r.ledger.Records[i]
		used[strings.TrimPrefix(rec.Receipt, ReceiptDir+"/")] = true
		for _, rp := range rec.Repeats {
			used[strings.TrimPrefix(rp.Receipt, ReceiptDir+"/")] = true
		}
	}
	for i, c := range answers {
		r.named[i] = receiptName(c, r.t, used)
	}
	if r.dry || len(answers) == 0 {
		r.pending = func() error { return nil }
		return
	}
	p := &state.Pending{Run: r.sum.Run, Pack: r.pack.Name(), Receipts: make([]string, len(r.named))}
	for i, n := range r.named {
		p.Receipts[i] = ReceiptDir + "/" + n
	}
	done := make(chan error, 1)
	go func() {
		if err := state.WritePending(r.stateDir, p); err != nil {
			done <- fmt.Errorf("recording the copies and receipts to write: %w", err)
			return
		}
		done <- nil
	}()
	r.pending = sync.OnceValue(func() error { return <-done })
}

// receiptName is the name of c's receipt, made unique among used: with
// its hash's prefix, and then a number (a repeat of the same bytes).
func receiptName(c consumed, t time.Time, used map[string]bool) string {
	name := sheets.ReceiptFileName(uploadOf(c.rec, t.Location(), receiptStatus(c)), t)
	if used[name] {
		stem := strings.TrimSuffix(name, ".xlsx") + "-" + c.rec.Hash[:8]
		name = stem + ".xlsx"
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d.xlsx", stem, i)
		}
	}
	used[name] = true
	return name
}

// answer is c's receipt, with what the run knows beside the file: the
// deadline, the earlier upload a duplicate repeats, the upload that still
// counts for the institution of a refused one, and how an upload was told
// to be its institution's when only its workbook said so.
func (r *run) answer(c consumed) *sheets.Receipt {
	loc := r.t.Location()
	u := uploadOf(c.rec, loc, receiptStatus(c))
	var notes []string
	counts := r.counted[c.rec.Institution]
	if counts != nil && counts.Hash == c.rec.Hash {
		counts = nil
	}
	switch {
	case c.dup != nil:
		notes = append(notes, fmt.Sprintf("与 %s 收到的「%s」完全相同", sheets.FormatTime(c.dup.Received.In(loc)), path.Base(c.dup.Name)))
		if c.dup.Receipt != "" {
			notes = append(notes, "那个文件的结果见回执「"+path.Base(c.dup.Receipt)+"」")
		}
		switch { // what counts now: a newer upload may have replaced the one repeated
		case counts != nil:
			notes = append(notes, fmt.Sprintf("本机构现在按 %s 收到的「%s」计入", sheets.FormatTime(counts.Received.In(loc)), path.Base(counts.Name)))
		case r.counted[c.rec.Institution] != nil: // the bytes repeated
			notes = append(notes, "本机构现在仍按那个文件计入")
		}
	case c.rec.Outcome == state.OutcomeLate:
		notes = append(notes, fmt.Sprintf("截止时间 %s，本文件 %s 收到，已过截止时间", sheets.FormatTime(r.cfg.deadline.In(loc)), sheets.FormatTime(u.Received)))
	case c.rec.Outcome == state.OutcomeAccepted && c.rec.Via == viaWorkbook:
		notes = append(notes, "文件夹和文件名都没有指明鉴定机构，按自评表中填写的鉴定机构计为「"+c.rec.Institution+"」的提交")
	}
	if c.rec.Outcome != state.OutcomeAccepted && c.dup == nil && counts != nil {
		notes = append(notes, fmt.Sprintf("本机构 %s 上传的「%s」已通过校验，仍按那份计入", sheets.FormatTime(counts.Received.In(loc)), path.Base(counts.Name)))
	}
	u.Note = strings.Join(notes, "；")
	rc := newReceipt(r.std, u, c.sub, c.result, r.t)
	rc.Review = r.review // an accepted receipt says what the centre verified by now
	rc.Deadline = r.cfg.deadline
	if !rc.Deadline.IsZero() {
		rc.Deadline = rc.Deadline.In(loc)
	}
	return rc
}

// newReceipt answers one submission, with its verified scores when
// accepted: result, or scored here when nil.
func newReceipt(std *templates.Standard, u sheets.Upload, sub *sheets.Submission, result *score.Result, t time.Time) *sheets.Receipt {
	rc := &sheets.Receipt{Standard: std, Upload: u, Submission: sub, Issued: t}
	if sub.Accepted() && (u.Status == sheets.StatusAccepted || u.Status == "") {
		if result == nil {
			r := score.Score(std, sub.Institution, sub.Facts)
			result = &r
		}
		rc.Result = result
	}
	return rc
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
func (r *run) startReceipts(ctx context.Context, fresh []consumed, named []string, batch store.Batch) *earlyReceipts {
	if batch == nil || len(fresh) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	e := &earlyReceipts{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		e.names, e.err = r.writeReceipts(ctx, fresh, named, batch)
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
