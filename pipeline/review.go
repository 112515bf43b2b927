package pipeline

// The centre's 核查表: read afresh by every run before any upload, from a
// local path or an FTP server (through an ftp Store); its findings replace
// what the institutions reported, in every score the run makes. A 核查表
// with errors fails the run before anything is read, written or moved: it
// is applied whole or not at all.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/pipeline/store/local"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// ErrReview: the 核查表 has errors (ReviewError says which); a run stops
// before it reads, writes or moves anything.
var ErrReview = errors.New("核查表有错误")

// ReviewError is a 核查表 with errors: where it is, and every error with
// its cell.
type ReviewError struct {
	Source string
	Issues []sheets.Issue // the errors, in the order found
}

// Error lists every error, one to a line.
func (e *ReviewError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s 有 %d 处错误，整张核查表未采用；本次汇总没有进行（上一份汇总排名表不变，上传的文件留在收件文件夹）：",
		ErrReview, e.Source, len(e.Issues))
	for _, is := range e.Issues {
		b.WriteString("\n  ")
		if v := is.Value; v != "" && !strings.Contains(is.Message, v) {
			b.WriteString(is.String() + "（填的是「" + v + "」）")
			continue
		}
		b.WriteString(is.String())
	}
	return b.String()
}

// Unwrap makes a ReviewError an ErrReview.
func (e *ReviewError) Unwrap() error { return ErrReview }

// reviewMaxBytes bounds the 核查表 read (the reader refuses more).
const reviewMaxBytes = 20 << 20

// checkReview validates the key review (from resolve): empty, a local
// path, or an FTP URL of a file.
func (c *Config) checkReview() error {
	if c.Review == "" {
		return nil
	}
	l, err := parseLocation(c.Review)
	if err != nil {
		return &keyError{"review", maskURL(c.Review), err.Error()}
	}
	if l != nil && (strings.HasSuffix(l.Path, "/") || path.Base(l.Path) == "/" || path.Base(l.Path) == ".") {
		return &keyError{"review", l.String(), "应指向核查表文件，如 ftps://kaohe@ftp.example.cn/review/2013-核查表.xlsx"}
	}
	if l == nil && strings.HasSuffix(c.Review, string(filepath.Separator)) {
		return &keyError{"review", c.Review, "应指向核查表文件，如 2013-核查表.xlsx"}
	}
	return nil
}

// LoadReview reads the 核查表 cfg names (the key review), afresh: nil when
// none is configured; Found false when there is none there yet (nothing is
// verified). A 核查表 with errors is a *ReviewError (wrapping ErrReview);
// its warnings are returned as issues. It fails, too, when the 核查表
// cannot be read (a server that is down): a run must not go on as if
// nothing were verified.
func LoadReview(ctx context.Context, cfg *Config, std *templates.Standard, log *slog.Logger) (*sheets.ReviewFile, []sheets.Issue, error) {
	if cfg.Review == "" {
		return nil, nil, nil
	}
	data, rv, err := fetchReview(ctx, cfg, log)
	if err != nil || !rv.Found {
		return rv, nil, err
	}
	sum := sha256.Sum256(data)
	rv.Hash = hex.EncodeToString(sum[:])
	findings, issues := sheets.ReadReview(bytes.NewReader(data), path.Base(filepath.ToSlash(rv.Source)), std)
	var errs, warns []sheets.Issue
	for _, is := range issues {
		if is.Severity == sheets.Error {
			errs = append(errs, is)
		} else {
			warns = append(warns, is)
		}
	}
	if len(errs) > 0 {
		return nil, warns, &ReviewError{Source: rv.Source, Issues: errs}
	}
	rv.Findings = findings
	return rv, warns, nil
}

// fetchReview reads the 核查表's bytes: from a local path (the centre's
// own file: a link to it is followed), or through an FTP store on its
// folder.
func fetchReview(ctx context.Context, cfg *Config, log *slog.Logger) ([]byte, *sheets.ReviewFile, error) {
	loc := cfg.loc
	if loc == nil {
		loc = time.Local
	}
	l, err := parseLocation(cfg.Review)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrConfig, &keyError{"review", maskURL(cfg.Review), err.Error()})
	}
	if l == nil {
		p, err := filepath.Abs(cfg.Review)
		if err != nil {
			p = cfg.Review
		}
		rv := &sheets.ReviewFile{Source: p}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, rv, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading the 核查表 %s: %w", p, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = errors.New("不是文件")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading the 核查表 %s: %w", p, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, reviewMaxBytes+1))
		if err != nil {
			return nil, nil, fmt.Errorf("reading the 核查表 %s: %w", p, err)
		}
		rv.Found, rv.ModTime = true, fi.ModTime().In(loc)
		return data, rv, nil
	}
	dir, base := path.Split(l.Path)
	folder := l.Scheme + "://" + l.User + "@" + l.Host + dir
	rv := &sheets.ReviewFile{Source: strings.TrimSuffix(folder, "/") + "/" + base}
	st, err := OpenStore("review", folder, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if c, ok := st.(io.Closer); ok {
		defer c.Close()
	}
	entries, err := st.List(ctx, "")
	if errors.Is(err, store.ErrNotFound) {
		return nil, rv, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("listing the 核查表's folder %s: %w", folder, err)
	}
	var e *store.Entry
	for i := range entries {
		if entries[i].Name == base && !entries[i].Dir {
			e = &entries[i]
		}
	}
	if e == nil {
		return nil, rv, nil
	}
	rc, err := st.Open(ctx, base)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the 核查表 %s: %w", rv.Source, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, reviewMaxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the 核查表 %s: %w", rv.Source, err)
	}
	rv.Found, rv.ModTime = true, e.ModTime.In(loc)
	return data, rv, nil
}

// readReview reads the 核查表 for this run, before any upload is read: a
// bad one fails the run with nothing consumed, written or moved.
func (r *run) readReview(ctx context.Context) error {
	rv, warns, err := LoadReview(ctx, &r.cfg, r.std, r.log)
	for _, w := range warns {
		r.log.Warn("核查表", "warning", w.String())
		r.sum.Warnings = append(r.sum.Warnings, "核查表 "+w.String())
	}
	if err != nil {
		var re *ReviewError
		if errors.As(err, &re) {
			r.log.Error("核查表 has errors: the run stops before publishing", "review", re.Source, "errors", len(re.Issues))
		}
		return err
	}
	r.review = rv
	if rv != nil {
		r.sum.Review = rv.Describe()
		r.log.Info("核查表 read", "review", rv.Source, "found", rv.Found, "findings", len(rv.Findings), "sha256", rv.ShortHash())
	}
	return nil
}

// score is sub's verified score: Score of its facts with the 核查表's
// findings for its institution in place of its claims.
func (r *run) score(sub *sheets.Submission) score.Result {
	return scoreReviewed(r.std, r.review, sub)
}

func scoreReviewed(std *templates.Standard, rv *sheets.ReviewFile, sub *sheets.Submission) score.Result {
	var findings []score.Finding
	if rv != nil {
		findings = rv.Findings
	}
	return score.ScoreVerified(std, sub.Institution, sub.Facts, findings)
}

// notePublished records in the ledger the report this run wrote and the
// 核查表 it applied (none when the report was the same as before, and not
// written again).
func (r *run) notePublished() {
	if r.sum.Unchanged || r.sum.Report == "" {
		return
	}
	p := state.Published{Run: r.sum.Run, At: r.t, Report: strings.TrimSuffix(r.sum.Report, ".xlsx") + "-" + r.sum.Run + ".xlsx"}
	if rv := r.review; rv != nil {
		p.Review = &state.Review{Source: rv.Source, Found: rv.Found, Modified: rv.ModTime, SHA256: rv.Hash, Findings: len(rv.Findings)}
	}
	r.ledger.AddPublished(p)
}

// CheckFileReviewed is CheckFile with the 核查表 rv applied (nil: none):
// the receipt a run would give now.
func CheckFileReviewed(std *templates.Standard, cfg *Config, rv *sheets.ReviewFile, file string, now time.Time) (*sheets.Receipt, bool, error) {
	rc, ok, err := CheckFile(std, cfg, file, now)
	if err != nil || rc.Result == nil || rv == nil {
		return rc, ok, err
	}
	res := scoreReviewed(std, rv, rc.Submission)
	rc.Result, rc.Review = &res, rv
	return rc, ok, nil
}

// ReviewEffect is what a 核查表 changes for one institution, against its
// submission that counts now.
type ReviewEffect struct {
	Institution string
	Status      sheets.Status   // 已接受, or why nothing counts (未提交, 未通过校验 …)
	File        string          // the upload that counts; "" when none
	Result      *score.Result   // scored with the findings (Claimed, Findings); nil without an accepted submission
	Findings    []score.Finding // the institution's findings
}

// ReviewEffects applies rv to the submissions that count now, read again
// from the state folder's copies as a run reads them, for every
// institution rv has a finding for, in 附件2's order. It only reads the
// state folder; one that no run has made yet has no submissions.
func ReviewEffects(cfg Config, std *templates.Standard, rv *sheets.ReviewFile) ([]ReviewEffect, error) {
	if rv == nil {
		return nil, nil
	}
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	standings, err := Standings(cfg, std)
	if err != nil {
		return nil, err
	}
	copies := state.NewCopies(cfg.StateDir())
	defer copies.Close()
	var out []ReviewEffect
	for i, in := range std.Institutions {
		mine := score.Of(rv.Findings, in.Name)
		if len(mine) == 0 {
			continue
		}
		e := ReviewEffect{Institution: in.Name, Status: standings[i].Status, Findings: mine}
		if rec := standings[i].Last; rec != nil && standings[i].Status == sheets.StatusAccepted {
			e.File = path.Base(rec.Name)
			if sub := loadSubmission(copies, rec, std, &cfg); sub.Accepted() {
				res := scoreReviewed(std, rv, sub)
				e.Result = &res
			} else {
				e.Status = sheets.StatusRejected
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// WriteReviewFile writes std's blank 核查表 to path, atomically (the
// caller decides whether an existing file may be replaced).
func WriteReviewFile(std *templates.Standard, path string) error {
	var b bytes.Buffer
	if err := sheets.WriteReview(&b, std, nil); err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return local.WriteFile(path, func(w io.Writer) error { _, err := w.Write(b.Bytes()); return err })
}

// writeDemoReview writes the demo's 核查表 into dir, with one finding: a
// leak the centre verified at an institution that reported none (so the
// demo shows 核查记录, a 核查 count and a disqualification said to be
// verified).
func writeDemoReview(std *templates.Standard, dir string) (string, error) {
	p := filepath.Join(dir, sheets.ReviewFileName(std))
	n := len(std.Institutions)
	for i, in := range std.Institutions {
		if i < n/3 || i >= n-2 { // one in the middle of the field, not a broken upload
			continue
		}
		if SynthValues(std, in, uint64(std.Year), false).Facts.Values["i4_leaks"] != 0 {
			continue
		}
		var b bytes.Buffer
		f := score.Finding{Institution: in.Name, Field: "i4_leaks", Value: 1,
			Basis: fmt.Sprintf("常人社鉴〔%d〕12号（演示）", std.Year), Checker: "张三", Date: fmt.Sprintf("%d-12-20", std.Year)}
		if err := sheets.WriteReview(&b, std, []score.Finding{f}); err != nil {
			return "", err
		}
		return p, local.WriteFile(p, func(w io.Writer) error { _, err := w.Write(b.Bytes()); return err })
	}
	return "", nil
}
