package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
	"unicode/utf8"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
)

// archive moves the inputs away, only now that the report, the receipts
// and the ledger are written: accepted ones to archive/<day>/, rejected
// ones to rejected/<day>/, each keeping its institution's subfolder. It
// moves exactly the bytes that were read, or nothing: right before a move
// it looks at the file again (size, time and, where the store can tell,
// the file itself: store.Entry.Same) and leaves one that changed since it
// was read in the inbox, for the next run; right after, it checks what
// arrived (the same way, or by its hash where the store cannot tell one
// file from another: FTP) and moves a file that is not the one read back
// into the inbox. A move that fails is a warning in the summary and the
// ledger, which keeps the file from counting twice; the next run moves it.
// It then commits the ledger again, writes the report again when what it
// says about the moves changed, and copies the receipts back into the
// upload folders.
func (r *run) archive(ctx context.Context, rep *sheets.Report, answered []consumed, redo []*state.Record) error {
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
	notes := false // a record's move note changed: the report says it
	for _, m := range moves {
		name := inboxName(m)
		e, ok := r.entries[name]
		if !ok {
			continue // never: every file moved was read by this run
		}
		dir := ArchiveDir
		if m.Outcome != state.OutcomeAccepted {
			dir = RejectedDir
		}
		shown := displayName(name)                                                                                      // archived under a name people can read
		to := path.Join(dir, day, path.Dir(shown), t.Format("150405")+"-"+m.Hash[:8]+"-"+archiveBase(path.Base(shown))) // keeps an institution's subfolder
		// What the move is recorded in: the upload's record, or one of
		// its repeats (the same bytes uploaded again).
		rec, _ := r.ledger.Lookup(m.Hash)
		var rp *state.Repeat
		if rec != nil && rec != m && !unmoved(rec, name) {
			rec, rp = nil, repeatOf(rec, name)
		}
		before := noteOf(rec)
		err := down
		left := ""
		if err == nil {
			var d string
			d, left, err = r.moveInput(ctx, e, m.Hash, to, move)
			movedTo[d] = d != ""
		}
		if errors.Is(err, store.ErrUnavailable) {
			down = err
		}
		if lr, ok := r.ledger.Lookup(m.Hash); ok && lr.NotKept && left != "" {
			left = leftNotKept[left] // what was read is not kept: say so
		}
		switch {
		case err != nil:
			msg := fmt.Sprintf("移动 %s 失败: %v", shownName(name), err)
			sum.MoveErrors = append(sum.MoveErrors, msg)
			log.Error("moving input", "file", name, "to", to, "err", err)
			switch {
			case rec != nil:
				rec.MoveError = moveReason(err)
			case rp != nil:
				rp.MoveError = moveReason(err)
			}
		case left != "":
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s %s", shownName(name), left))
			log.Warn("input left in the inbox", "file", name, "why", left)
			switch {
			case rec != nil:
				rec.Left, rec.MoveError = left, ""
			case rp != nil:
				rp.Left, rp.MoveError = left, ""
			}
		case rec != nil:
			rec.MovedTo, rec.MoveError, rec.Left = to, "", ""
		case rp != nil:
			rp.MovedTo, rp.MoveError, rp.Left = to, "", ""
		}
		notes = notes || noteOf(rec) != before
	}
	notes = r.replaced(moves) || notes
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
	if notes {
		r.renote(ctx, rep)
	}
	r.copyReceipts(ctx, answered)
	r.clock.lap(&sum.Stages.Archive)
	return nil
}

// replaced ends the failed moves of earlier uploads whose bytes are no
// longer in the inbox: this run read another file under the inbox name
// (uploaded again under the same name), or the name is not in the inbox
// at all (deleted or moved away by someone). Their bytes are in their
// copies, so they are left, not failing to move. It reports whether a
// record's note changed.
func (r *run) replaced(moves []*state.Record) bool {
	readAs := map[string]string{} // inbox name → the hash this run read there
	for _, m := range moves {
		readAs[inboxName(m)] = m.Hash
	}
	// gone says why the bytes hash are no longer at name, "" when they may be.
	gone := func(name, hash string, notKept bool) string {
		left := ""
		if h, ok := readAs[name]; ok && h != hash {
			left = leftChanged
		} else if r.listed != nil && !r.listed[name] {
			left = leftGone
		}
		if notKept && left != "" {
			left = leftNotKept[left]
		}
		return left
	}
	changed := false
	for i := range r.ledger.Records {
		rec := &r.ledger.Records[i]
		if rec.MoveError != "" {
			if left := gone(inboxName(rec), rec.Hash, rec.NotKept); left != "" {
				rec.MoveError, rec.Left, changed = "", left, true
			}
		}
		for j := range rec.Repeats {
			if rp := &rec.Repeats[j]; rp.MoveError != "" {
				if left := gone(rawOf(rp.Name, rp.RawName), rec.Hash, rec.NotKept); left != "" {
					rp.MoveError, rp.Left = "", left
				}
			}
		}
	}
	return changed
}

// repeatOf is the repeat of rec that the file name (its inbox name) is:
// the newest one under that name not moved yet, or nil.
func repeatOf(rec *state.Record, name string) *state.Repeat {
	if rec == nil {
		return nil
	}
	for i := len(rec.Repeats) - 1; i >= 0; i-- {
		rp := &rec.Repeats[i]
		if rawOf(rp.Name, rp.RawName) == name && rp.MovedTo == "" && rp.Left == "" {
			return rp
		}
	}
	return nil
}

// The reasons a file read is left in the inbox (state.Record.Left).
const (
	leftChanged = "在读取之后被替换或改动过，没有移动：读取的内容已计入（副本在状态文件夹中），收件文件夹中现在的文件下次运行另行读取"
	leftGone    = "在读取之后已不在收件文件夹（被删除或移走），没有移动：读取的内容已计入（副本在状态文件夹中）"
)

// leftNotKept are the reasons for an upload over max_file_mb, refused
// unread and not kept (state.Record.NotKept): no copy to speak of.
var leftNotKept = map[string]string{
	leftChanged: "在读取之后被替换或改动过，没有移动（它超过大小限制，没有读取，也没有保存副本）；收件文件夹中现在的文件下次运行另行读取",
	leftGone:    "在读取之后已不在收件文件夹（被删除或移走），没有移动（它超过大小限制，没有读取，也没有保存副本）",
}

// moveInput moves the file m read to to, if it is still the file read. It
// returns the folder to sync (MoveLazy), or why the file was left where it
// was, or the error of a move that failed.
func (r *run) moveInput(ctx context.Context, e store.Entry, hash, to string, move func(from, to string) (string, error)) (dir, left string, err error) {
	from := e.Name
	if r.inFeat.Stat != nil {
		now, err := r.inFeat.Stat(ctx, from)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return "", leftGone, nil
		case err != nil:
			return "", "", err
		case !now.Same(e):
			return "", leftChanged, nil
		}
	}
	if r.hooks.Moving != nil {
		r.hooks.Moving(from)
	}
	if dir, err = move(from, to); err != nil {
		return "", "", err
	}
	// Between the look and the move, the file may have been replaced (over
	// FTP, a look and a rename are two commands): check what arrived.
	same, err := r.arrived(ctx, e, hash, to)
	if err != nil {
		r.log.Warn("checking a moved input", "file", from, "to", to, "err", err)
		return dir, "", nil // moved; whether it is the file read is in doubt, and said in the log
	}
	if same {
		return dir, "", nil
	}
	back := from
	for i := 0; ; i++ { // an upload may have taken the name meanwhile
		if _, err = move(to, back); !errors.Is(err, store.ErrExists) || i == 3 {
			break
		}
		ext := path.Ext(from)
		back = fmt.Sprintf("%s-%s-%d%s", strings.TrimSuffix(from, ext), r.t.Format("150405"), i+1, ext)
	}
	if err != nil {
		return "", "", fmt.Errorf("移到 %s 的文件不是读取的那个（读取后被替换），未能移回收件文件夹: %w", to, err)
	}
	r.log.Warn("a file replaced between its check and its move was moved back", "file", from, "back", back)
	return "", leftChanged, nil
}

// arrived reports whether the file at to, just moved there, is the one
// read (e, whose bytes have hash): the same entry where the store tells
// files apart, else the same bytes.
func (r *run) arrived(ctx context.Context, e store.Entry, hash, to string) (bool, error) {
	if r.inFeat.Stat != nil && e.ID != "" {
		now, err := r.inFeat.Stat(ctx, to)
		if err != nil {
			return false, err
		}
		// A rename changes the change time, nothing else.
		return now.Size == e.Size && now.ModTime.Equal(e.ModTime) && now.ID == e.ID, nil
	}
	rc, err := r.inbox.Open(ctx, to)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(rc, r.cfg.MaxFileMB<<20+1)); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == hash, nil
}

// moveReason is a failed move as the report says it: what went wrong in
// Chinese, for the centre's staff, and the error itself in brackets, for
// whoever fixes it.
func moveReason(err error) string {
	why := "移动出错"
	switch {
	case errors.Is(err, store.ErrUnavailable):
		why = "FTP 服务器不可用"
	case errors.Is(err, fs.ErrPermission):
		why = "没有权限（收件文件夹或 archive/、rejected/ 不可写）"
	case errors.Is(err, syscall.ENOTDIR):
		why = "归档的路径上有一个同名的文件挡着，建不了文件夹"
	case errors.Is(err, syscall.ENOSPC):
		why = "磁盘已满"
	case errors.Is(err, fs.ErrNotExist):
		why = "文件或目标文件夹不存在"
	}
	return why + "，下次运行再试（" + err.Error() + "）"
}

// noteOf is what the report says of a record's move: "" when nothing.
func noteOf(rec *state.Record) string {
	switch {
	case rec == nil:
		return ""
	case rec.MoveError != "":
		return "移动失败: " + rec.MoveError
	case rec.Left != "":
		return "原件" + rec.Left
	}
	return ""
}

// renote writes the report again, its uploads' notes on the moves as the
// ledger now has them: a move that failed is said at once, one done since
// the report was written no longer shows as failed. A failure is a warning:
// the report written before stands.
func (r *run) renote(ctx context.Context, rep *sheets.Report) {
	for i := range rep.Uploads {
		u := &rep.Uploads[i]
		rec, ok := r.ledger.Lookup(u.Hash)
		if !ok {
			continue
		}
		u.Note = joinNotes(r.notes[u.Hash], noteOf(rec))
	}
	unchanged := r.sum.Unchanged
	if err := r.putReport(ctx, rep, false); err != nil {
		r.log.Warn("writing the report again with the moves' notes", "err", err)
		r.sum.Warnings = append(r.sum.Warnings, fmt.Sprintf("汇总表未能按移动结果更新（移动情况以台账为准）: %v", err))
		return
	}
	if unchanged && !r.sum.Unchanged { // this run publishes after all: the ledger records it
		r.notePublished()
		if err := r.ledger.Commit(); err != nil {
			r.log.Warn("recording the report written again in the ledger", "err", err)
		}
	}
}

// joinNotes joins the non-empty notes with "；".
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "；")
}

// copyReceipts puts a copy of each new receipt into the inbox subfolder
// its file came from, where an institution with a folder of its own (on an
// FTP server, often the only one it can see) fetches it. The receipts in
// the outbox are the record; a copy that fails is a warning.
func (r *run) copyReceipts(ctx context.Context, answered []consumed) {
	for _, c := range answered {
		dir := path.Dir(inboxName(c.rec))
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
