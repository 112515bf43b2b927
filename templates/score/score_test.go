package score

import (
	"strings"
	"testing"

	"kaohe/templates"
)

func std2013(t testing.TB) *templates.Standard {
	t.Helper()
	s, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func inst(t testing.TB, s *templates.Standard, short string) templates.Institution {
	t.Helper()
	for _, in := range s.Institutions {
		if in.Name == short+"国家职业技能鉴定所" {
			return in
		}
	}
	t.Fatalf("no institution %s", short)
	return templates.Institution{}
}

func facts(kv map[string]int64) Facts { return Facts{Values: kv} }

func pts(t testing.TB, s string) templates.Points {
	t.Helper()
	p, err := templates.ParsePoints(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The worked examples of spec/scoring-2013.md, to the 0.01.
func TestWorkedExamples(t *testing.T) {
	s := std2013(t)
	cases := []struct {
		name     string
		inst     string
		facts    map[string]int64
		items    []string
		total    string
		disq     []string
		basisHas map[int]string
	}{
		{
			name:  "常柴 full marks",
			inst:  "常柴",
			facts: map[string]int64{"actual_appraised": 120, "actual_certified": 100, "actual_high_skill": 100, "actual_passed": 96, "i6_online_pilot": 1},
			items: []string{"30", "10", "10", "15", "10", "10", "5", "5", "5"},
			total: "100.00",
		},
		{
			name: "省常技 bonuses above the maximum",
			inst: "省常技",
			facts: map[string]int64{"actual_appraised": 9500, "actual_certified": 8450, "actual_unified_exam": 520, "actual_high_skill": 2600,
				"actual_passed": 7925, "i1_enterprise_evaluations": 2, "i1_competitions": 1, "i4_dev_projects": 1, "i4_experts_recommended": 3,
				"i6_online_pilot": 1, "i6_platform_first": 1},
			items:    []string{"29.30", "10", "10", "17.90", "10", "12", "5", "5", "5"},
			total:    "104.20",
			basisHas: map[int]string{1: "合格率83% −3.00；取证超目标950人 +0.30；企业内评价2次 +1.00；配合赛事活动1次 +1.00"},
		},
		{
			name: "常武 arrears disqualify",
			inst: "常武",
			facts: map[string]int64{"actual_appraised": 4100, "actual_certified": 150, "actual_unified_exam": 200, "actual_high_skill": 4800,
				"actual_passed": 150, "i3_responsibility_violations": 1, "i6_declaration_errors": 2, "i6_material_irregularities": 1,
				"i7_arrears_yuan": 25000, "i6_online_pilot": 1},
			items:    []string{"29.80", "10", "8", "15", "10", "6", "3", "5", "5"},
			total:    "91.80",
			disq:     []string{"第7项：拖欠费用25000元"},
			basisHas: map[int]string{1: "取证低于目标250人 −0.20", 7: "拖欠费用25000元 −2.00"},
		},
		{
			name: "常坛 leaks zero the base, deductions floor at zero",
			inst: "常坛",
			facts: map[string]int64{"i4_leaks": 1, "i4_meetings_hosted": 1, "i3_responsibility_violations": 2,
				"i8_dispatch_violations": 7, "i9_verified_violations": 1},
			items:    []string{"26.50", "10", "0", "1", "10", "5", "5", "0", "3"},
			total:    "60.50",
			disq:     []string{"第4项：试题泄密1次，不得参加评优"},
			basisHas: map[int]string{4: "试题泄密1次，基础分不得分；承担开发、审定会议1次 +1.00", 8: "扣完为止"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Score(s, inst(t, s, c.inst), facts(c.facts))
			for i, want := range c.items {
				if got := r.Items[i].Points; got != pts(t, want) {
					t.Errorf("item %d = %s, want %s (%s)", i+1, got, want, r.Items[i].Basis)
				}
			}
			if r.Total.String() != c.total {
				t.Errorf("total = %s, want %s", r.Total, c.total)
			}
			if strings.Join(r.Disqualified, "|") != strings.Join(c.disq, "|") {
				t.Errorf("disqualified = %q, want %q", r.Disqualified, c.disq)
			}
			for no, want := range c.basisHas {
				if !strings.Contains(r.Items[no-1].Basis, want) {
					t.Errorf("item %d basis = %q, want it to contain %q", no, r.Items[no-1].Basis, want)
				}
			}
		})
	}
}

// Every boundary the issue names, on item 1 (targets of 常柴: certified 100)
// or on the item the fact belongs to.
func TestBoundaries(t *testing.T) {
	s := std2013(t)
	in := inst(t, s, "省常技") // certified target 7500
	base := func() map[string]int64 {
		return map[string]int64{"actual_appraised": 10000, "actual_certified": 7500, "actual_passed": 8000}
	}
	cases := []struct {
		name string
		set  map[string]int64
		item int
		want string
	}{
		{"pass rate 80.00%", map[string]int64{"actual_passed": 8000}, 1, "30"},
		{"pass rate 80.99%", map[string]int64{"actual_passed": 8099}, 1, "30"},
		{"pass rate 81%", map[string]int64{"actual_passed": 8100}, 1, "29"},
		{"pass rate 100%", map[string]int64{"actual_passed": 10000}, 1, "10"},
		{"no appraisals, no pass-rate penalty", map[string]int64{"actual_appraised": 0, "actual_passed": 0}, 1, "30"},
		{"shortfall 99", map[string]int64{"actual_certified": 7401}, 1, "30"},
		{"shortfall 100", map[string]int64{"actual_certified": 7400}, 1, "29.90"},
		{"shortfall 250 is two units", map[string]int64{"actual_certified": 7250}, 1, "29.80"},
		{"over 299", map[string]int64{"actual_certified": 7799}, 1, "30"},
		{"over 300", map[string]int64{"actual_certified": 7800}, 1, "30.10"},
		{"item 1 deductions add up, then bonuses", map[string]int64{"actual_certified": 0, "actual_passed": 10000, "i1_competitions": 2}, 1, "4.50"},
		{"arrears 9,999", map[string]int64{"i7_arrears_yuan": 9999}, 7, "5"},
		{"arrears 10,000", map[string]int64{"i7_arrears_yuan": 10000}, 7, "4"},
		{"arrears below zero", map[string]int64{"i7_arrears_yuan": 90000}, 7, "0"},
		{"1 responsibility violation", map[string]int64{"i3_responsibility_violations": 1}, 3, "8"},
		{"2 responsibility violations", map[string]int64{"i3_responsibility_violations": 2}, 3, "0"},
		{"item 3 deductions below zero", map[string]int64{"i3_complaint_noncooperation": 3, "i3_violation_events": 2}, 3, "0"},
		{"nonstandard appraisal", map[string]int64{"i2_nonstandard_appraisals": 1}, 2, "0"},
		{"illegal certificates", map[string]int64{"i5_illegal_certificates": 1}, 5, "0"},
		{"item 6 part A floors, part B stays", map[string]int64{"i6_material_irregularities": 4, "i6_online_pilot": 1}, 6, "5"},
		{"experts 0.3 each", map[string]int64{"i4_experts_recommended": 7}, 4, "17.10"},
		{"papers failed twice below zero then bonus", map[string]int64{"i4_papers_failed_twice": 20, "i4_dev_projects": 1}, 4, "2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := base()
			for k, v := range c.set {
				f[k] = v
			}
			r := Score(s, in, facts(f))
			if got := r.Items[c.item-1].Points; got != pts(t, c.want) {
				t.Errorf("item %d = %s, want %s (%s)", c.item, got, c.want, r.Items[c.item-1].Basis)
			}
		})
	}
}

func TestDisqualification(t *testing.T) {
	s := std2013(t)
	in := inst(t, s, "常柴")
	cases := []struct {
		fact string
		want string
	}{
		{"i3_violation_events", "第3项：违规事件1次（经查实），全市通报"},
		{"i4_leaks", "第4项：试题泄密1次，不得参加评优"},
		{"i5_illegal_certificates", "第5项：违规核发或非正规途径购买证书1次"},
		{"i7_arrears_yuan", "第7项：拖欠费用1元"},
		{"i2_nonstandard_appraisals", ""},
	}
	for _, c := range cases {
		t.Run(c.fact, func(t *testing.T) {
			r := Score(s, in, facts(map[string]int64{c.fact: 1}))
			if got := strings.Join(r.Disqualified, "；"); got != c.want {
				t.Errorf("disqualified = %q, want %q", got, c.want)
			}
			if c.want != "" && !strings.HasPrefix(r.Eligibility(), "取消评优资格") {
				t.Errorf("eligibility = %q", r.Eligibility())
			}
		})
	}
}

func TestSelfTotal(t *testing.T) {
	s := std2013(t)
	f := facts(map[string]int64{"actual_certified": 100})
	f.Self = map[int]templates.Points{1: 3000, 4: 1510, 9: 33}
	r := Score(s, inst(t, s, "常柴"), f)
	if r.SelfTotal != 4543 {
		t.Errorf("self total = %s", r.SelfTotal)
	}
	if !r.Items[3].SelfSet || r.Items[1].SelfSet || r.Items[3].Diff() != 10 {
		t.Errorf("item 4 = %+v, item 2 = %+v", r.Items[3], r.Items[1])
	}
}

// TestShortOfAUnit: an amount short of a whole unit gives nothing, and the
// basis says why instead of showing +0.00.
func TestShortOfAUnit(t *testing.T) {
	s := std2013(t)
	in := inst(t, s, "常柴") // 取证目标 100
	r := Score(s, in, facts(map[string]int64{templates.FieldActualAppraised: 82, templates.FieldActualCertified: 82,
		templates.FieldActualPassed: 60, "i7_arrears_yuan": 5000}))
	for item, want := range map[int]string{1: "取证低于目标18人，不足100人不扣分", 7: "拖欠费用5000元，不足1万元不扣分"} {
		if got := r.Items[item-1].Basis; !strings.Contains(got, want) {
			t.Errorf("item %d: basis %q, want it to say %q", item, got, want)
		}
	}
	over := Score(s, in, facts(map[string]int64{templates.FieldActualAppraised: 400, templates.FieldActualCertified: 350, templates.FieldActualPassed: 300}))
	if got := over.Items[0].Basis; !strings.Contains(got, "取证超目标250人，不足300人不加分") || strings.Contains(got, "+0.00") {
		t.Errorf("item 1: basis %q", got)
	}
	if r.Eligibility() == "保留" || over.Eligibility() != "保留" {
		t.Errorf("eligibility: %q (arrears), %q (none)", r.Eligibility(), over.Eligibility())
	}
}

// TestBasisWording: 符合要求 only for an item at its full points; a bonus
// that gives nothing is named where the item is short of its points only
// with bonuses; no deduction is listed once the item is at zero.
func TestBasisWording(t *testing.T) {
	s := std2013(t)
	in := inst(t, s, "常柴")
	full := map[string]int64{"actual_appraised": 120, "actual_certified": 100, "actual_high_skill": 100, "actual_passed": 96, "i6_online_pilot": 1}
	with := func(extra map[string]int64) map[string]int64 {
		m := map[string]int64{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name  string
		facts map[string]int64
		item  int
		want  string // the whole 评分依据
	}{
		{"full points", full, 4, "符合要求，得15.00分"},
		{"full points of base and bonus", full, 6, "配合外网申报和在线考务平台试点 +5.00"},
		{"short of full without the pilot: not 符合要求", with(map[string]int64{"i6_online_pilot": 0}), 6,
			"得5.00分；未配合外网申报和在线考务平台试点，无加分；未率先实现平台运作，无加分"},
		{"a deduction, then a bonus not earned", with(map[string]int64{"i6_declaration_errors": 1}), 6,
			"申报信息差错1次 −1.00；配合外网申报和在线考务平台试点 +5.00；未率先实现平台运作，无加分"},
		{"zeroed: no deduction after", with(map[string]int64{"i3_responsibility_violations": 2, "i3_complaint_noncooperation": 1}), 3,
			"违反《质量管理责任书》2项，不得分"},
		{"down to zero by one deduction, none after", with(map[string]int64{"i9_verified_violations": 3}), 9,
			"所属机构和人员违规3次（经查实） −6.00；扣完为止"},
		{"at zero, the next deduction not listed", with(map[string]int64{"i3_responsibility_violations": 1, "i3_complaint_noncooperation": 5, "i3_violation_events": 1}), 3,
			"违反《质量管理责任书》1项 −2.00；不配合处理投诉举报5次 −10.00；扣完为止"},
		{"base-at-max items name no zero bonus", with(map[string]int64{"i4_papers_failed_twice": 1}), 4,
			"题库外试卷两次审核不通过1次 −1.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Score(s, in, facts(c.facts))
			if got := r.Items[c.item-1].Basis; got != c.want {
				t.Errorf("item %d basis = %q, want %q", c.item, got, c.want)
			}
		})
	}
}
