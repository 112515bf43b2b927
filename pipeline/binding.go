package pipeline

// One state folder per inbox (state.Binding): the inbox's private archive
// folder names the state folder whose runs move its uploads.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// bindingName is where the inbox keeps its Binding.
const bindingName = ArchiveDir + "/" + state.BindingFile

// bind checks that this run's state folder is the one that works on the
// inbox, and records it in the inbox when the inbox names none yet. It
// returns ErrOtherState for another. A preview (dry run) reads the state
// folder the inbox names, when it is on this machine, and writes nothing.
func (r *run) bind(ctx context.Context) error {
	for _, dir := range []string{ArchiveDir, RejectedDir} { // the uploads archived are no other uploader's to read
		if r.inFeat.MakePrivate != nil && !r.dry {
			if err := r.inFeat.MakePrivate(ctx, dir); err != nil { // the moves into it will fail too, and say so
				r.log.Warn("making an archive folder private", "dir", dir, "err", err)
			}
		}
	}
	b, found, err := r.readBinding(ctx)
	if errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if err != nil { // an archive folder that is no folder: the moves fail and say so
		r.log.Warn("reading the inbox's record of its state folder", "err", err)
		return nil
	}
	abs, _ := filepath.Abs(r.stateDir)
	host, _ := os.Hostname()
	out := r.out.String()
	if r.outFeat.Path != nil {
		out = r.outFeat.Path("")
	}
	if r.dry {
		if found && b.Host == host && filepath.Clean(b.State) != abs {
			if fi, err := os.Stat(b.State); err == nil && fi.IsDir() {
				r.log.Info("preview: reading the state folder the inbox names", "state", b.State)
				r.stateDir = b.State
			}
		}
		if found && samePlace(b.Out, out) {
			return fmt.Errorf("%w：预览（--dry-run）不能写进正式的输出文件夹 %s；请用 --out 另给一个文件夹", ErrConfig, out)
		}
		return nil
	}
	id, err := state.ID(r.stateDir)
	if err != nil {
		return err
	}
	if found && b.ID != id {
		return fmt.Errorf("%w：收件文件夹 %s 由 %s 上的状态文件夹 %s 管理（汇总表在 %s），这次运行用的是 %s；"+
			"两个状态文件夹会互相拿走对方的上传，这次不汇总、不移动任何文件", ErrOtherState, r.inbox, b.Host, b.State, b.Out, abs)
	}
	if found && filepath.Clean(b.State) == abs && b.Host == host && b.Out == out {
		return nil
	}
	if !found {
		b = state.Binding{ID: id, Since: r.now()}
	}
	b.State, b.Host, b.Out = abs, host, out // the same state folder, moved or published elsewhere since
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := r.inbox.Put(ctx, bindingName, bytes.NewReader(append(data, '\n'))); errors.Is(err, store.ErrUnavailable) {
		return err
	} else if err != nil {
		r.log.Warn("recording the state folder in the inbox", "file", bindingName, "err", err)
	}
	return nil
}

// readBinding reads the inbox's Binding; found is false when it has none
// (or one that is not JSON, which is then written again).
func (r *run) readBinding(ctx context.Context) (b state.Binding, found bool, err error) {
	rc, err := r.inbox.Open(ctx, bindingName)
	if errors.Is(err, store.ErrNotFound) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("reading %s in the inbox: %w", bindingName, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return b, false, fmt.Errorf("reading %s in the inbox: %w", bindingName, err)
	}
	if json.Unmarshal(data, &b) != nil || b.ID == "" {
		r.log.Warn("the inbox's record of its state folder is not readable: written again", "file", bindingName)
		return state.Binding{}, false, nil
	}
	return b, true, nil
}
