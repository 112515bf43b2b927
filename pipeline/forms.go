package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kaohe/pipeline/store/local"
	"kaohe/sheets"
	"kaohe/templates"
)

// ErrUnknownInstitution: a name that is not a row of the allocation.
var ErrUnknownInstitution = fmt.Errorf("分配表中没有这个鉴定机构")

// FindInstitution returns the allocation row named name, or the only row
// whose name contains it ("常柴" finds 常柴国家职业技能鉴定所).
func FindInstitution(std *templates.Standard, name string) (templates.Institution, error) {
	name = strings.TrimSpace(name)
	if in, ok := std.Institution(name); ok {
		return in, nil
	}
	var hits []templates.Institution
	for _, in := range std.Institutions {
		if name != "" && strings.Contains(in.Name, name) {
			hits = append(hits, in)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	var names []string
	for _, in := range hits {
		names = append(names, in.Name)
	}
	if len(names) > 0 {
		return templates.Institution{}, fmt.Errorf("%w:「%s」不唯一，可能是：%s", ErrUnknownInstitution, name, strings.Join(names, "、"))
	}
	return templates.Institution{}, fmt.Errorf("%w:「%s」", ErrUnknownInstitution, name)
}

// WriteTemplates writes the self-assessment workbook of every institution,
// or of the one named, into dir, and returns the paths written.
func WriteTemplates(std *templates.Standard, dir, institution string) ([]string, error) {
	return WriteTemplatesConfig(&Config{}, std, dir, institution) // no tokens
}

// CheckFile reads, validates and scores one workbook on disk, as a run
// would, and returns its receipt; accepted reports whether a run would take it.
func CheckFile(std *templates.Standard, cfg *Config, file string, now time.Time) (*sheets.Receipt, bool, error) {
	f, err := (&local.Store{Root: filepath.Dir(file)}).Open(context.Background(), filepath.Base(file))
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	limit := cfg.MaxFileMB << 20
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", file, err)
	}
	base := filepath.Base(file)
	sub := readSubmission(b, base, std, cfg)
	inst, _ := attribute(std, base, sub) // as a run would take it, by its name and its workbook
	h := sha256.Sum256(b)
	fi, _ := f.(*os.File).Stat()
	status := sheets.StatusAccepted
	if !sub.Accepted() {
		status = sheets.StatusRejected
	}
	u := sheets.Upload{File: base, Institution: inst, Received: fi.ModTime().In(cfg.loc), Hash: hex.EncodeToString(h[:]),
		Status: status, Errors: sub.Errors(), Warnings: len(sub.Issues) - sub.Errors()}
	rc := newReceipt(std, u, sub, nil, now.In(cfg.loc))
	if !cfg.deadline.IsZero() {
		rc.Deadline = cfg.deadline.In(cfg.loc)
	}
	return rc, sub.Accepted(), nil
}
