// Package score applies a year's standard (附件1) to one institution's facts
// and ranks the results (中国式排名). It is pure: no I/O, no floating point;
// every score is an integer number of 0.01 point (templates.Points).
package score

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"kaohe/templates"
)

// Facts are one submission's values after reading and validation.
type Facts struct {
	Institution string
	Year        int
	// Values holds every int field and every 是/否 field (1 for 是, 0 for 否)
	// by defined name; a missing name counts as 0.
	Values map[string]int64
	// Self holds the self-scores (自评分) by item number; a blank one is absent.
	Self map[int]templates.Points
	// Verified holds, by defined name, the 依据 (evidence, e.g. a 文号) of
	// each value the centre verified: 评分依据 says such a value was
	// verified, and on what. Nil for facts as reported (see Verify).
	Verified map[string]string
}

// Actuals returns the four achieved counts.
func (f Facts) Actuals() templates.Targets {
	return templates.Targets{
		Appraised:   f.Values[templates.FieldActualAppraised],
		Certified:   f.Values[templates.FieldActualCertified],
		UnifiedExam: f.Values[templates.FieldActualUnified],
		HighSkill:   f.Values[templates.FieldActualHighSkill],
	}
}

// ItemScore is the verified score (核定分) of one item and how it came about.
type ItemScore struct {
	No      int
	Points  templates.Points // 核定分
	Self    templates.Points // 自评分, 0 when blank
	SelfSet bool             // false when the self-score was left blank
	Basis   string           // 评分依据, e.g. "取证超目标950人 +0.30；合格率83% −3.00"
}

// Diff is the self-score minus the verified score; meaningless when the
// self-score was left blank (SelfSet false), where receipts and the
// report show 未自评 instead.
func (s ItemScore) Diff() templates.Points { return s.Self - s.Points }

// Result is one institution's scored submission.
type Result struct {
	Institution  templates.Institution
	Actuals      templates.Targets
	Items        []ItemScore
	Total        templates.Points // 核定总分
	SelfTotal    templates.Points // 自评总分: the sum of self-scores as read
	Disqualified []string         // 取消评优资格 reasons, e.g. "第7项：拖欠费用25000元"; empty when eligible

	// Set by ScoreVerified when the centre's findings apply (review.go).
	Claimed  *Result   // the facts as reported, scored (按自报计算); nil when no finding applies
	Findings []Applied // the findings applied, in their order
}

// Eligibility is the 评优资格 column: 保留 when eligible, else 取消评优资格
// and why.
func (r Result) Eligibility() string {
	if len(r.Disqualified) == 0 {
		return "保留"
	}
	return "取消评优资格（" + strings.Join(r.Disqualified, "；") + "）"
}

// measure returns the value of a measure for the facts and the institution's targets.
func measure(name string, f Facts, t templates.Targets) int64 {
	switch name {
	case "certified_over":
		return max(0, f.Values[templates.FieldActualCertified]-t.Certified)
	case "certified_short":
		return max(0, t.Certified-f.Values[templates.FieldActualCertified])
	case "pass_rate_percent":
		appraised := f.Values[templates.FieldActualAppraised]
		if appraised <= 0 {
			return 0
		}
		return 100 * f.Values[templates.FieldActualPassed] / appraised
	}
	return f.Values[name]
}

func fill(text string, v int64) string {
	return strings.ReplaceAll(text, "{value}", strconv.FormatInt(v, 10))
}

// termBasis is one term's line of 评分依据: its label and points, or, when
// the amount is short of a whole unit, why it gives none
// (取证低于目标18人，不足100人不扣分).
func termBasis(t templates.Term, v int64, p templates.Points, sign int64, verb string) string {
	label := fill(t.Label, v)
	if p == 0 {
		return label + "，不足" + unitAmount(t) + "不" + verb
	}
	return label + " " + templates.Points(sign*int64(p)).Signed()
}

// noBonus is the line of a bonus that gives nothing as its measure is 0
// (or not above its threshold): 未率先实现平台运作，无加分 for a 是/否,
// 企业内评价0次，无加分 for a count.
func noBonus(t templates.Term, v int64) string {
	if fd, ok := templates.FieldByName(t.Measure); ok && fd.Kind == templates.KindYesNo && !strings.Contains(t.Label, "{value}") {
		return "未" + t.Label + "，无加分"
	}
	return fill(t.Label, v) + "，无加分"
}

// unitAmount is one whole unit of a term, as people write it: 100人, 1万元.
func unitAmount(t templates.Term) string {
	unit := ""
	if _, after, ok := strings.Cut(t.Label, "{value}"); ok {
		for _, r := range after {
			if r != '（' && r != '(' && r != '%' && r != '，' {
				unit = string(r)
			}
			break
		}
	}
	if t.Per >= 10000 && t.Per%10000 == 0 {
		return strconv.FormatInt(t.Per/10000, 10) + "万" + unit
	}
	return strconv.FormatInt(t.Per, 10) + unit
}

// termPoints returns a term's points and whether it applies at all (amount > 0).
func termPoints(t templates.Term, v int64) (templates.Points, bool) {
	amount := v - t.Above
	if amount <= 0 {
		return 0, false
	}
	return templates.Points(amount/t.Per) * t.Points, true
}

// Score computes the verified score of one institution. Targets come from
// the allocation (inst), never from the submission. Where a value is
// verified (Facts.Verified), 评分依据 and the reasons for 取消评优资格 say
// so, with its 依据; a verified value no rule gave a line to is named in
// its item's 评分依据 all the same.
func Score(std *templates.Standard, inst templates.Institution, f Facts) Result {
	r := Result{Institution: inst, Actuals: f.Actuals(), Items: make([]ItemScore, 0, len(std.Items))}
	said := map[string]bool{} // verified fields some line names
	verified := func(measure, line string) string {
		if len(f.Verified) == 0 {
			return line
		}
		if basis := verifiedBasis(f, measure, said); basis != "" {
			return "经核查，" + line + "（依据 " + basis + "）"
		}
		return line
	}
	for _, it := range std.Items {
		var basis []string
		base := it.Base
		for _, c := range it.ZeroIf {
			if v := measure(c.Measure, f, inst.Targets); v >= c.AtLeast {
				base = 0
				basis = append(basis, verified(c.Measure, fill(c.Reason, v)))
			}
		}
		pts := base
		for _, t := range it.Deduct {
			if pts <= 0 {
				break // at zero: nothing more to deduct, nothing to list (扣完为止)
			}
			v := measure(t.Measure, f, inst.Targets)
			if p, ok := termPoints(t, v); ok {
				pts -= p
				basis = append(basis, verified(t.Measure, termBasis(t, v, p, -1, "扣分")))
				if pts < 0 {
					pts = 0
					basis = append(basis, "扣完为止")
				}
			}
		}
		beforeBonus := len(basis)
		type unearned struct {
			t templates.Term
			v int64
		}
		var none []unearned // bonuses that give nothing, for an item short of its points
		for _, t := range it.Bonus {
			v := measure(t.Measure, f, inst.Targets)
			if p, ok := termPoints(t, v); ok {
				pts += p
				basis = append(basis, verified(t.Measure, termBasis(t, v, p, 1, "加分")))
			} else {
				none = append(none, unearned{t, v})
			}
		}
		for _, c := range it.DisqualifyIf {
			if v := measure(c.Measure, f, inst.Targets); v >= c.AtLeast {
				reason := fill(c.Reason, v)
				if b := verifiedBasis(f, c.Measure, said); b != "" {
					reason = "经核查，" + reason + "，依据 " + b
				}
				r.Disqualified = append(r.Disqualified, fmt.Sprintf("第%d项：%s", it.No, reason))
			}
		}
		// An item is 符合要求 only at its full points. Short of them where
		// only bonuses could make them up (its base below its 分值, as 2013's
		// item 6), the bonuses that gave nothing say why.
		if pts < it.Max && it.Base < it.Max && len(none) > 0 {
			if beforeBonus == 0 {
				basis = append([]string{"得" + base.String() + "分"}, basis...)
			}
			for _, u := range none {
				basis = append(basis, verified(u.t.Measure, noBonus(u.t, u.v)))
			}
		}
		if len(basis) == 0 {
			if pts >= it.Max {
				basis = []string{"符合要求，得" + pts.String() + "分"}
			} else {
				basis = []string{"得" + pts.String() + "分（该项分值 " + it.Max.String() + " 分）"}
			}
		}
		self, ok := f.Self[it.No]
		r.Items = append(r.Items, ItemScore{No: it.No, Points: pts, Self: self, SelfSet: ok, Basis: strings.Join(basis, "；")})
		r.Total += pts
		r.SelfTotal += self
	}
	verifiedUnsaid(&r, f, said)
	return r
}

// verifiedBasis is the 依据 of the verified fields measure is made of,
// joined with 、, and marks them said; "" when none is verified.
func verifiedBasis(f Facts, measure string, said map[string]bool) string {
	var bases []string
	for _, name := range templates.MeasureFields(measure) {
		b, ok := f.Verified[name]
		if !ok {
			continue
		}
		said[name] = true
		if b == "" {
			b = "市中心核查"
		}
		if !slices.Contains(bases, b) {
			bases = append(bases, b)
		}
	}
	return strings.Join(bases, "、")
}

// verifiedUnsaid adds to each item's 评分依据 the verified values of its
// fields that no line named (a count verified as 0, an actual number that
// moves no rule): 经核查，试题泄密次数为 0（依据 …）.
func verifiedUnsaid(r *Result, f Facts, said map[string]bool) {
	for _, fd := range templates.Fields {
		basis, ok := f.Verified[fd.Name]
		if !ok || said[fd.Name] || len(r.Items) == 0 {
			continue
		}
		k := slices.IndexFunc(r.Items, func(is ItemScore) bool { return is.No == fd.Item })
		if k < 0 {
			k = 0
		}
		v := strconv.FormatInt(f.Values[fd.Name], 10)
		if fd.Kind == templates.KindYesNo {
			v = "否"
			if f.Values[fd.Name] != 0 {
				v = "是"
			}
		}
		if basis == "" {
			basis = "市中心核查"
		}
		r.Items[k].Basis += "；经核查，" + fd.Label + "为 " + v + "（依据 " + basis + "）"
	}
}
