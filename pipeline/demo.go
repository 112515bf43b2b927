package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"kaohe/pipeline/store/local"
	"kaohe/sheets"
	"kaohe/templates"
)

// demoMarker marks a folder made by Demo, which a later demo may replace.
const demoMarker = ".kaohe-demo"

// DemoResult says where the demo put things.
type DemoResult struct {
	Dir, Templates, Inbox, Out, State string
	Review                            string // the 核查表, with one finding (review.go)
	Summary                           *Summary
}

// Demo makes a demo folder: the templates of every institution, filled
// with varied data (two broken uploads and one resubmission among them) in
// an inbox, then runs the same consolidation as `kaohe run` on it.
func Demo(ctx context.Context, dir string, o Options) (*DemoResult, error) {
	if err := prepareDemoDir(dir); err != nil {
		return nil, err
	}
	d := &DemoResult{Dir: dir, Templates: filepath.Join(dir, "自评表模板"), Inbox: filepath.Join(dir, "inbox"),
		Out: filepath.Join(dir, "out"), State: filepath.Join(dir, "kaohe-state")}
	cfg := o.Config
	cfg.Inbox, cfg.Out, cfg.State = d.Inbox, d.Out, d.State
	cfg.MinAge, cfg.Settle = 0, 0
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	std, _, err := cfg.LoadStandard()
	if err != nil {
		return nil, err
	}
	if _, err := WriteTemplates(std, d.Templates, ""); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.Inbox, 0o755); err != nil {
		return nil, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if err := fillDemoInbox(std, d.Templates, d.Inbox, now()); err != nil {
		return nil, err
	}
	if d.Review, err = writeDemoReview(std, dir); err != nil {
		return nil, err
	}
	cfg.Review = d.Review
	o.Config = cfg
	if d.Summary, err = Run(ctx, o); err != nil {
		return nil, err
	}
	return d, nil
}

func prepareDemoDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, demoMarker)); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("removing the previous demo %s: %w", dir, err)
		}
	} else if des, err := os.ReadDir(dir); err == nil && len(des) > 0 {
		return fmt.Errorf("%w: 文件夹 %s 已存在且不是演示文件夹，请换一个 --dir", ErrConfig, dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("kaohe demo: this folder is replaced by the next `kaohe demo`\n"), 0o644)
}

// fillDemoInbox fills every institution's template with plausible facts
// and self-scores, uploaded over the last hours; the second-to-last and the
// last institution upload broken files, the fourth uploads twice.
func fillDemoInbox(std *templates.Standard, tmplDir, inbox string, now time.Time) error {
	seed := uint64(std.Year) // the same demo every time
	n := len(std.Institutions)
	for i, in := range std.Institutions {
		tmpl, err := os.ReadFile(filepath.Join(tmplDir, sheets.TemplateFileName(std, in)))
		if err != nil {
			return err
		}
		values := SynthValues(std, in, seed, false).Values
		when := now.Add(-time.Duration(n-i) * 7 * time.Minute)
		name := fmt.Sprintf("%s-自评表.xlsx", in.Name)
		switch i {
		case n - 2: // a count typed as words, and more passed than appraised
			values["actual_certified"] = "一千二"
			values["actual_passed"] = int64(99999)
		case n - 1: // not a workbook at all: a CSV export renamed .xlsx
			if err := writeDemoFile(filepath.Join(inbox, name), []byte("鉴定机构,鉴定人数\n"+in.Name+",800\n"), when); err != nil {
				return err
			}
			continue
		case 3: // uploads twice: the first one is superseded by the second
			first := SynthValues(std, in, seed+1, false).Values
			first["actual_certified"] = int64(1200)
			if err := fillDemoFile(tmpl, filepath.Join(inbox, "第一版-"+name), first, when.Add(-2*time.Hour)); err != nil {
				return err
			}
		}
		if err := fillDemoFile(tmpl, filepath.Join(inbox, name), values, when); err != nil {
			return err
		}
	}
	return nil
}

func fillDemoFile(tmpl []byte, path string, values map[string]any, when time.Time) error {
	var buf bytes.Buffer
	if err := sheets.Fill(bytes.NewReader(tmpl), &buf, values); err != nil {
		return fmt.Errorf("filling %s: %w", path, err)
	}
	return writeDemoFile(path, buf.Bytes(), when)
}

func writeDemoFile(path string, b []byte, when time.Time) error {
	if err := local.WriteFile(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	return os.Chtimes(path, when, when)
}
