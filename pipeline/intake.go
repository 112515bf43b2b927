package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// intake lists the inbox twice, settle apart, and returns the files ready
// to read: *.xlsx (any case), not hidden, not a lock or partial name, not a
// link or special file, older than min_age and of the same size both times.
func (r *run) intake(ctx context.Context) ([]store.Entry, error) {
	defer r.clock.lap(&r.sum.Stages.List)
	// Each listing is timed once it is complete (as look does): a file it
	// saw was there by then, whenever in the listing it was seen.
	first, err := listInbox(ctx, r.inbox, r.inFeat.Clean)
	if err != nil {
		return nil, fmt.Errorf("listing the inbox %s: %w", r.inbox, err)
	}
	t1 := r.now()
	if r.cfg.Settle > 0 && len(first) > 0 {
		select {
		case <-time.After(time.Duration(r.cfg.Settle)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	second, err := listInbox(ctx, r.inbox, nil)
	if err != nil {
		return nil, fmt.Errorf("listing the inbox %s: %w", r.inbox, err)
	}
	t2 := r.now()
	r.listed = make(map[string]bool, len(second))
	for _, e := range second {
		r.listed[e.Name] = !e.Dir
	}
	if err := r.observe(func(s *state.Seen) { s.Observe(first, t1); s.Observe(second, t2) }); err != nil {
		return nil, err
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
			r.problem(e.Name, "文件名含换行、回车、反斜杠等字符，kaohe 不读取也不移动它。请删除这个文件，改名（用汉字、字母、数字和 -）后重新上传")
			r.sum.Skipped++
			continue
		case strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~$"):
			continue // hidden and Office lock files: never ours to take
		case e.Odd != "":
			r.log.Warn("skipping, never read", "file", e.Name, "reason", e.Odd)
			r.sum.Warnings = append(r.sum.Warnings, fmt.Sprintf("跳过 %s：%s，从不读取", shownName(e.Name), e.Odd))
			r.problem(e.Name, e.Odd+"，kaohe 从不读取也不移动它。请删除它，把自评表本身重新上传")
			r.sum.Skipped++
			continue
		case !isSpreadsheet(base):
			switch {
			case !isPartial(base):
				r.problem(e.Name, "不是表格文件，kaohe 不读取。请上传填好的自评表（.xlsx）；不需要的文件请删除")
				r.sum.Skipped++
			case r.now().Sub(e.ModTime) > partialAge:
				r.problem(e.Name, fmt.Sprintf("上传没有完成（临时文件已留了 %s 以上）。请重新上传完整的自评表，并删除这个文件", partialAge))
				r.sum.Waiting++
			default:
				r.wait(e.Name, "上传中的临时文件，传完改名后再收取")
			}
			continue
		}
		prev, seen := sizes[e.Name]
		switch {
		case !seen:
			r.wait(e.Name, "刚出现，下次再收取")
			continue
		case prev != e.Size:
			r.wait(e.Name, "大小还在变化（仍在上传），下次再收取")
			continue
		case r.now().Sub(r.since(e)) < time.Duration(r.cfg.MinAge):
			r.wait(e.Name, fmt.Sprintf("上传不到 %s（min_age），下次再收取", time.Duration(r.cfg.MinAge)))
			continue
		}
		ready = append(ready, e)
	}
	return ready, nil
}

// observe records what this run's listings saw (state.Seen), and keeps it
// for the reading. A preview (dry run) records nothing.
func (r *run) observe(see func(*state.Seen)) error {
	var err error
	r.seenWritten = func() error { return nil }
	if r.dry {
		if r.seen, err = state.ReadSeen(r.stateDir); err == nil {
			see(r.seen)
		}
	} else {
		r.seen, r.seenWritten, err = state.UpdateSeenLater(r.stateDir, see) // written once the report is (Run)
	}
	if err != nil {
		return fmt.Errorf("recording the inbox's listing: %w", err)
	}
	return nil
}

// since is when the file e has been in the inbox as it is now, for
// min_age: its modification time, unless that is in the future (a clock
// set wrong, or a time set on purpose), then when kaohe first saw it.
func (r *run) since(e store.Entry) time.Time {
	if !e.ModTime.After(r.now()) {
		return e.ModTime
	}
	if f, ok := r.seen.Lookup(e); ok {
		return f.First
	}
	return r.now()
}

// wait leaves a file for a later run, saying why (in the summary, which
// kaohe run prints, and in last-run.json, which kaohe status shows).
func (r *run) wait(name, why string) {
	r.log.Info("waiting", "file", name, "why", why)
	r.sum.Waiting++
	r.sum.Left = append(r.sum.Left, shownName(name)+"："+why)
}

// listInbox lists the inbox and, one level down, its subfolders: an FTP
// server may give each institution a folder of its own. archive/,
// rejected/, 回执/ and hidden folders are not looked into. clean, when not
// nil, removes the temporary files of the subfolders' 回执/.
func listInbox(ctx context.Context, inbox store.Store, clean func(dir string)) ([]store.Entry, error) {
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
		if clean != nil { // a receipt copied back into the folder (archive.go's copyReceipts) and cut short
			clean(path.Join(e.Name, ReceiptDir))
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

// isSpreadsheet reports whether a file is taken by a run: .xlsx, and the
// other spreadsheet files people upload by mistake (.xls, .xlsm, .ods, .csv,
// WPS's .et …), so that they get a receipt saying what to do. What a file
// really is is decided from its bytes (sheets.Reader), never from its name.
func isSpreadsheet(base string) bool {
	switch strings.ToLower(path.Ext(strings.TrimSpace(base))) { // "自评表.xlsx " too
	case ".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv":
		return true
	}
	return false
}

// partialAge is how long a partial upload (isPartial) waits before the
// run says it was never finished.
const partialAge = 24 * time.Hour

func isPartial(base string) bool {
	for _, ext := range []string{".part", ".tmp", ".crdownload", ".partial", ".filepart"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			return true
		}
	}
	return false
}
