package pipeline

// Synthetic standards and submissions, for the benchmark (cmd/kaohe-bench)
// and the scale test: a city has 32 institutions, a province hundreds, and
// re-scoring years of archives means thousands of workbooks.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"kaohe/templates"
	"kaohe/templates/score"
)

// WriteSynthStandard writes a standard folder (allocation.csv, rules.toml)
// to dir with n institutions: the embedded year's own first, then branches
// of them (常柴国家职业技能鉴定所第2分所, …) with targets around theirs. The
// rules are the embedded year's. It returns the standard as loaded from dir.
func WriteSynthStandard(dir string, year, n int, seed uint64) (*templates.Standard, error) {
	src, err := templates.FS(year)
	if err != nil {
		return nil, err
	}
	base, _, err := templates.LoadFS(src, "synth")
	if err != nil {
		return nil, err
	}
	rules, err := fs.ReadFile(src, templates.RulesFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"鉴定机构", "职业技能鉴定人数", "职业资格取证人数", "全国(省)统考人数", "新增高技能人才取证数"})
	count := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	for i := range n {
		b := base.Institutions[i%len(base.Institutions)]
		name, t := b.Name, b.Targets
		if k := i / len(base.Institutions); k > 0 {
			name = fmt.Sprintf("%s第%d分所", b.Name, k+1)
			scale := func(v int64) int64 { return int64(float64(v)*(0.5+rng.Float64())/10) * 10 }
			t = templates.Targets{Appraised: scale(t.Appraised), Certified: scale(t.Certified), UnifiedExam: scale(t.UnifiedExam), HighSkill: scale(t.HighSkill)}
			t.Certified = min(t.Certified, t.Appraised)
		}
		w.Write([]string{name, count(t.Appraised), count(t.Certified), count(t.UnifiedExam), count(t.HighSkill)})
	}
	w.Flush()
	if err := os.WriteFile(filepath.Join(dir, templates.AllocationFile), buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, templates.RulesFile), rules, 0o644); err != nil {
		return nil, err
	}
	std, _, err := templates.LoadDir(dir)
	return std, err
}

// SynthSubmission is one synthetic upload: the values to fill, typed as
// people type them, and the facts the reader is expected to find.
type SynthSubmission struct {
	Institution templates.Institution
	Values      map[string]any
	Facts       score.Facts
	Broken      bool // more passed than appraised: the reader rejects it
}

// SynthValues makes plausible facts and self-scores for in, different for
// every (seed, institution): counts around its targets, some written with
// thousands separators, 是/否 as words, self-scores near the verified ones.
// When broken, actual_passed exceeds actual_appraised.
func SynthValues(std *templates.Standard, in templates.Institution, seed uint64, broken bool) SynthSubmission {
	rng := rand.New(rand.NewPCG(seed, uint64(in.Order)+1))
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
	if broken {
		passed = appraised + 1 + int64(rng.IntN(50))
	}
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
	s := SynthSubmission{Institution: in, Broken: broken,
		Facts: score.Facts{Institution: in.Name, Year: std.Year, Values: map[string]int64{}, Self: map[int]templates.Points{}}}
	r := score.Score(std, in, score.Facts{Values: f})
	s.Values = map[string]any{"contact_name": []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆"}[rng.IntN(6)],
		"contact_phone": fmt.Sprintf("0519-8%07d", rng.IntN(10000000))}
	for _, fd := range templates.Fields {
		if fd.Role != templates.RoleIdentity && (fd.Kind == templates.KindInt || fd.Kind == templates.KindYesNo) {
			s.Facts.Values[fd.Name] = f[fd.Name] // blank optional counts are 0
		}
		if v, ok := sheetsTarget(in.Targets, fd.Name); ok {
			s.Facts.Values[fd.Name] = v
		}
	}
	for k, v := range f {
		s.Values[k] = v
	}
	if appraised >= 1000 && rng.IntN(2) == 0 {
		s.Values["actual_appraised"] = fmt.Sprintf("%d,%03d", appraised/1000, appraised%1000)
	}
	for _, k := range []string{"i6_online_pilot", "i6_platform_first"} {
		s.Values[k] = map[int64]string{0: "否", 1: "是"}[f[k]]
	}
	for _, it := range r.Items {
		self := it.Points
		if rng.IntN(5) == 0 {
			self += templates.Points(50 * (1 + rng.IntN(4)))
		}
		s.Values[templates.SelfField(it.No)] = self
		s.Facts.Self[it.No] = self
	}
	return s
}

// sheetsTarget is the allocation's value of a target_* field.
func sheetsTarget(t templates.Targets, name string) (int64, bool) {
	switch name {
	case templates.FieldTargetAppraised:
		return t.Appraised, true
	case templates.FieldTargetCertified:
		return t.Certified, true
	case templates.FieldTargetUnified:
		return t.UnifiedExam, true
	case templates.FieldTargetHighSkill:
		return t.HighSkill, true
	}
	return 0, false
}
