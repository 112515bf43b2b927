package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/store/ftp"
	"kaohe/sheets"
)

// reviewed is the centre's 核查表 (config key review) as a run would read
// it now, applied to every check and to the standings, as a run applies
// it (reviewState).
func (s *Server) reviewed() *sheets.ReviewFile {
	rv, _ := s.reviewState()
	return rv
}

// reviewState is the centre's 核查表 and the error of the last attempt to
// read it. It is read again when its file changes (a local path: its time
// and size) or, on an FTP server, at most once a minute. One that cannot
// be read or has errors is logged and its error returned with the last
// good one, which the portal keeps (a run stops until it is fixed); nil
// when none is configured. It is read without holding any lock: while one
// request reads it, the others go on with the last one read (they wait
// only for the first).
func (s *Server) reviewState() (*sheets.ReviewFile, error) {
	if s.cfg.Review == "" {
		return nil, nil
	}
	key := time.Now().Truncate(time.Minute).String()
	if !ftp.IsURL(s.cfg.Review) {
		key = "missing"
		if fi, err := os.Stat(s.cfg.Review); err == nil {
			key = fi.ModTime().String() + "|" + fmt.Sprint(fi.Size())
		}
	}
	for {
		s.reviewMu.Lock()
		if s.reviewKey == key || s.reviewReading != nil && s.reviewKey != "" {
			rv, err := s.review, s.reviewErr
			s.reviewMu.Unlock()
			return rv, err
		}
		if wait := s.reviewReading; wait != nil { // the first reading: nothing to go on with yet
			s.reviewMu.Unlock()
			<-wait
			continue
		}
		done := make(chan struct{})
		s.reviewReading = done
		s.reviewMu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rv, _, err := pipeline.LoadReview(ctx, &s.cfg, s.std, s.log)
		cancel()

		s.reviewMu.Lock()
		if err != nil {
			s.log.Error("reading the 核查表: the portal keeps the last one it could read", "err", err)
		} else {
			s.review = rv
		}
		s.reviewErr, s.reviewKey, s.reviewReading = err, key, nil
		close(done)
		rv, err = s.review, s.reviewErr
		s.reviewMu.Unlock()
		return rv, err
	}
}

// reviewProblem is what the dashboard says about a 核查表 that cannot be
// read or has errors: a sentence and, for errors, each with its cell.
func reviewProblem(err error) (string, []string) {
	if err == nil {
		return "", nil
	}
	var re *pipeline.ReviewError
	if errors.As(err, &re) {
		var lines []string
		for _, is := range re.Issues {
			line := is.String()
			if v := is.Value; v != "" && !strings.Contains(is.Message, v) {
				line += "（填的是「" + v + "」）"
			}
			lines = append(lines, sheets.PlainText(line))
		}
		return fmt.Sprintf("核查表 %s 有 %d 处错误，整张未采用：汇总不会进行，直到改正为止；本页仍按上一份可读的核查表计算。",
			sheets.PlainText(re.Source), len(re.Issues)), lines
	}
	return "核查表无法读取：" + sheets.PlainText(err.Error()) + "。汇总不会进行，直到能读取为止；本页仍按上一份可读的核查表计算。", nil
}

// reviewKey names a 核查表 for the view's key.
func reviewKey(rv *sheets.ReviewFile) string {
	if rv == nil || !rv.Found {
		return "none"
	}
	return rv.Hash
}
