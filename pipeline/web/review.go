package web

import (
	"context"
	"fmt"
	"os"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/store/ftp"
	"kaohe/sheets"
)

// reviewed is the centre's 核查表 (config key review) as a run would read
// it now, applied to every check and to the standings, as a run applies
// it: read again when its file changes (a local path: its time and size)
// or, on an FTP server, at most once a minute. One that cannot be read or
// has errors is logged and the last good one kept (a run stops until it is
// fixed); nil when none is configured.
func (s *Server) reviewed() *sheets.ReviewFile {
	if s.cfg.Review == "" {
		return nil
	}
	key := time.Now().Truncate(time.Minute).String()
	if !ftp.IsURL(s.cfg.Review) {
		key = "missing"
		if fi, err := os.Stat(s.cfg.Review); err == nil {
			key = fi.ModTime().String() + "|" + fmt.Sprint(fi.Size())
		}
	}
	s.reviewMu.Lock()
	defer s.reviewMu.Unlock()
	if s.reviewKey == key {
		return s.review
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rv, _, err := pipeline.LoadReview(ctx, &s.cfg, s.std, s.log)
	if err != nil {
		s.log.Error("reading the 核查表: the portal keeps the last one it could read", "err", err)
	} else {
		s.review = rv
	}
	s.reviewKey = key
	return s.review
}

// reviewKey names a 核查表 for the view's key.
func reviewKey(rv *sheets.ReviewFile) string {
	if rv == nil || !rv.Found {
		return "none"
	}
	return rv.Hash
}
