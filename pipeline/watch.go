package pipeline

// Between runs, kaohe serve lists the inbox every Config.Watch and records
// what it saw (state.Seen): a file's modification time is its uploader's
// to set, the time kaohe first saw it is not, and the listing before, which
// did not see it, bounds when it arrived. A listing reads and moves
// nothing, and does not take the run's lock: a run records its own
// listings the same way, under the same small lock of seen.json.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// Look lists the inbox once and records what it saw in the state folder
// (state.Seen), at o.Now (time.Now when nil). It returns ErrConfig for a
// bad configuration and the error of listing or recording.
func Look(ctx context.Context, o Options) error {
	cfg := o.Config
	if err := cfg.Resolve(); err != nil {
		return err
	}
	inbox := o.Inbox
	if inbox == nil {
		var err error
		if inbox, err = OpenStore("inbox", cfg.Inbox, &cfg, o.Log); err != nil {
			return err
		}
		if c, ok := inbox.(io.Closer); ok {
			defer c.Close()
		}
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return look(ctx, inbox, cfg.StateDir(), now)
}

// look is one listing of the inbox, recorded in the state folder dir at
// the time it was complete: a file it saw was there by then (one listing
// of many folders, on a server, takes a while).
func look(ctx context.Context, inbox store.Store, dir string, now func() time.Time) error {
	es, err := listInbox(ctx, inbox, nil)
	if err != nil {
		return fmt.Errorf("listing the inbox %s: %w", inbox, err)
	}
	at := now()
	if err := state.Create(dir); err != nil {
		return err
	}
	_, err = state.UpdateSeen(dir, func(s *state.Seen) { s.Observe(es, at) })
	return err
}

// watch lists the inbox every interval until ctx is done (see Look). A
// listing that fails is logged when it starts failing and when it works
// again, not every time.
func watch(ctx context.Context, cfg Config, inbox store.Store, log *slog.Logger) {
	every := time.Duration(cfg.Watch)
	if every <= 0 {
		return
	}
	if inbox == nil {
		var err error
		if inbox, err = OpenStore("inbox", cfg.Inbox, &cfg, log); err != nil {
			log.Warn("watch: not listing the inbox between runs", "err", err)
			return
		}
		if c, ok := inbox.(io.Closer); ok {
			defer c.Close()
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		err := look(ctx, inbox, cfg.StateDir(), time.Now)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			log.Warn("watch: listing the inbox failed; the times uploads are first seen are less precise until it works again", "err", err)
		case err == nil && failing:
			log.Info("watch: listing the inbox works again")
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
