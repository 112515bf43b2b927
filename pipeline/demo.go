package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"kaohe/pipeline/score"
	"kaohe/sheets"
	"kaohe/templates"
)

// demoMarker marks a folder made by Demo, which a later demo may replace.
const demoMarker = ".kaohe-demo"

// DemoResult says where the demo put things.
type DemoResult struct {
	Dir, Templates, Inbox, Out, State string
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
	rng := rand.New(rand.NewPCG(uint64(std.Year), 20131231))
	n := len(std.Institutions)
	for i, in := range std.Institutions {
		tmpl, err := os.ReadFile(filepath.Join(tmplDir, sheets.TemplateFileName(std, in)))
		if err != nil {
			return err
		}
		values := demoValues(rng, std, in)
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
			first := demoValues(rng, std, in)
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
	if err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	return os.Chtimes(path, when, when)
}

// demoValues makes plausible facts around an institution's targets, typed
// the way people type them, and self-scores near the verified ones.
func demoValues(rng *rand.Rand, std *templates.Standard, in templates.Institution) map[string]any {
	around := func(target int64, lo, hi float64) int64 {
		if target == 0 {
			return int64(rng.IntN(40))
		}
		return int64(float64(target) * (lo + rng.Float64()*(hi-lo)))
	}
	rare := func(p float64, v int64) int64 {
		if rng.Float64() < p {
			return v
		}
		return 0
	}
	t := in.Targets
	appraised := around(t.Appraised, 0.85, 1.2)
	certified := min(appraised, around(t.Certified, 0.8, 1.25))
	passed := min(appraised, max(certified, appraised*int64(70+rng.IntN(17))/100))
	f := map[string]int64{
		"actual_appraised": appraised, "actual_certified": certified, "actual_passed": passed,
		"actual_unified_exam": around(t.UnifiedExam, 0.8, 1.2), "actual_high_skill": around(t.HighSkill, 0.8, 1.2),
		"i1_enterprise_evaluations": int64(rng.IntN(5)), "i1_competitions": int64(rng.IntN(3)),
		"i3_responsibility_violations": rare(0.1, 1), "i3_violation_events": rare(0.03, 1),
		"i4_leaks": rare(0.03, 1), "i4_dev_projects": rare(0.2, 1), "i4_experts_recommended": int64(rng.IntN(4)),
		"i4_meetings_hosted": rare(0.15, 1), "i4_papers_failed_twice": rare(0.1, 1),
		"i6_declaration_errors": int64(rng.IntN(3)), "i6_material_irregularities": rare(0.15, 1),
		"i6_online_pilot": rare(0.8, 1), "i6_platform_first": rare(0.2, 1),
		"i7_arrears_yuan": rare(0.08, int64(5000+rng.IntN(30000))), "i8_dispatch_violations": rare(0.2, 1),
		"i9_verified_violations": rare(0.1, 1),
	}
	r := score.Score(std, in, score.Facts{Values: f})
	values := map[string]any{"contact_name": []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆"}[rng.IntN(6)],
		"contact_phone": fmt.Sprintf("0519-8%07d", rng.IntN(10000000))}
	for k, v := range f {
		values[k] = v
	}
	// Typed as people type them: thousands separators, Y/N.
	if appraised >= 1000 && rng.IntN(2) == 0 {
		values["actual_appraised"] = fmt.Sprintf("%d,%03d", appraised/1000, appraised%1000)
	}
	for _, k := range []string{"i6_online_pilot", "i6_platform_first"} {
		values[k] = map[int64]string{0: "否", 1: "是"}[f[k]]
	}
	for _, it := range r.Items {
		self := it.Points
		if rng.IntN(5) == 0 { // some institutions rate themselves higher
			self += templates.Points(50 * (1 + rng.IntN(4)))
		}
		values[templates.SelfField(it.No)] = self
	}
	return values
}
