package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path"
	"unicode/utf8"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// archive moves the inputs away, only now that the report, the receipts
// and the ledger are written: accepted ones to archive/<day>/, rejected
// ones to rejected/<day>/, each keeping its institution's subfolder. A move
// that fails is a warning in the summary and the ledger, which keeps the
// file from counting twice; the next run moves it. It then commits the
// ledger again and copies the receipts back into the upload folders.
func (r *run) archive(ctx context.Context, answered []consumed, redo []*state.Record) error {
	t, sum, log := r.t, r.sum, r.log
	day := t.Format("2006-01-02")
	moves := make([]*state.Record, 0, len(answered))
	for _, c := range answered {
		if c.dup == nil {
			moves = append(moves, c.rec)
		}
	}
	moves = append(moves, redo...)
	var down error               // the inbox's server is gone: the other moves wait for the next run
	movedTo := map[string]bool{} // folders to sync once the moves are done
	move := func(from, to string) (string, error) { return "", r.inbox.Move(ctx, from, to) }
	if r.inFeat.MoveLazy != nil { // the folders are synced below
		move = func(from, to string) (string, error) { return r.inFeat.MoveLazy(ctx, from, to) }
	}
	for _, m := range moves {
		dir := ArchiveDir
		if m.Outcome != state.OutcomeAccepted {
			dir = RejectedDir
		}
		to := path.Join(dir, day, path.Dir(m.Name), t.Format("150405")+"-"+m.Hash[:8]+"-"+archiveBase(path.Base(m.Name))) // keeps an institution's subfolder
		err := down
		if err == nil {
			var dir string
			dir, err = move(m.Name, to)
			movedTo[dir] = dir != ""
		}
		if errors.Is(err, store.ErrUnavailable) {
			down = err
		}
		if err != nil {
			msg := fmt.Sprintf("移动 %s 失败: %v", m.Name, err)
			sum.MoveErrors = append(sum.MoveErrors, msg)
			log.Error("moving input", "file", m.Name, "to", to, "err", err)
			if rec, ok := r.ledger.Lookup(m.Hash); ok && rec.Name == m.Name {
				rec.MoveError = err.Error()
			}
			continue
		}
		if rec, ok := r.ledger.Lookup(m.Hash); ok && rec.Name == m.Name {
			rec.MovedTo, rec.MoveError = to, ""
		}
	}
	var dirs []string
	for d, ok := range movedTo {
		if ok {
			dirs = append(dirs, d)
		}
	}
	if r.inFeat.SyncDirs != nil {
		if err := r.inFeat.SyncDirs(dirs); err != nil { // the moves are done; only their durability is in doubt
			log.Warn("syncing the archive folders", "err", err)
		}
	}
	r.clock.lap(&sum.Stages.Archive)
	if len(moves) > 0 {
		if err := r.ledger.Commit(); err != nil {
			return fmt.Errorf("committing the ledger: %w", err)
		}
	}
	r.clock.lap(&sum.Stages.Ledger)
	r.copyReceipts(ctx, answered)
	r.clock.lap(&sum.Stages.Archive)
	return nil
}

// copyReceipts puts a copy of each new receipt into the inbox subfolder
// its file came from, where an institution with a folder of its own (on an
// FTP server, often the only one it can see) fetches it. The receipts in
// the outbox are the record; a copy that fails is a warning.
func (r *run) copyReceipts(ctx context.Context, answered []consumed) {
	for _, c := range answered {
		dir := path.Dir(c.rec.Name)
		if dir == "." || c.rec.Receipt == "" {
			continue
		}
		to := path.Join(dir, ReceiptDir, path.Base(c.rec.Receipt))
		err := func() error {
			rc, err := r.out.Open(ctx, c.rec.Receipt)
			if err != nil {
				return err
			}
			defer rc.Close()
			return r.inbox.Put(ctx, to, rc)
		}()
		if err != nil {
			r.log.Warn("copying a receipt into the upload folder", "receipt", c.rec.Receipt, "to", to, "err", err)
			r.sum.Warnings = append(r.sum.Warnings, fmt.Sprintf("回执 %s 未能复制到 %s: %v", c.rec.Receipt, to, err))
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
