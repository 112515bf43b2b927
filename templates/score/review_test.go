package score

import (
	"reflect"
	"strings"
	"testing"

	"kaohe/templates"
)

const testBasis = "常人社鉴〔2013〕12号"

// The worked examples' facts, as claimed.
var (
	claimedChangchai    = map[string]int64{"actual_appraised": 120, "actual_certified": 100, "actual_high_skill": 100, "actual_passed": 96, "i6_online_pilot": 1}
	claimedShengchangji = map[string]int64{"actual_appraised": 9500, "actual_certified": 8450, "actual_unified_exam": 520, "actual_high_skill": 2600,
		"actual_passed": 7925, "i1_enterprise_evaluations": 2, "i1_competitions": 1, "i4_dev_projects": 1, "i4_experts_recommended": 3,
		"i6_online_pilot": 1, "i6_platform_first": 1}
)

func finding(inst, field string, v int64) Finding {
	return Finding{Institution: inst + "国家职业技能鉴定所", Field: field, Value: v, Basis: testBasis, Place: "查实事项!B2"}
}

func TestScoreVerifiedWithoutFindings(t *testing.T) {
	s := std2013(t)
	in := inst(t, s, "常柴")
	other := []Finding{finding("常武", "i4_leaks", 1)}
	got := ScoreVerified(s, in, facts(claimedChangchai), other)
	want := Score(s, in, facts(claimedChangchai))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("another institution's finding changed the result:\n%+v\nwant\n%+v", got, want)
	}
	if got.Claimed != nil || got.Findings != nil || got.Changes() != 0 || got.AsClaimed() != &got {
		t.Errorf("no finding applies, yet Claimed = %v, Findings = %v", got.Claimed, got.Findings)
	}
}

// Each case: claimed facts, the centre's findings, and what the verified
// scoring must give, computed by hand from the verified facts.
func TestScoreVerified(t *testing.T) {
	s := std2013(t)
	cases := []struct {
		name      string
		inst      string
		claimed   map[string]int64
		findings  []Finding
		items     []string // verified, items 1–9
		total     string
		claimed0  string // total as claimed
		effects   []string
		changes   int
		disq      string // joined reasons
		disqBy    []bool
		requal    []bool
		basisHas  map[int]string
		basisNot  map[int]string
		eligibity string
	}{
		{
			name:     "a verified leak: base of item 4 gone, disqualified, said so",
			inst:     "常柴",
			claimed:  claimedChangchai,
			findings: []Finding{finding("常柴", "i4_leaks", 1)},
			items:    []string{"30", "10", "10", "0", "10", "10", "5", "5", "5"},
			total:    "85.00", claimed0: "100.00", effects: []string{"-15.00"}, changes: 1,
			disq:     "第4项：经核查，试题泄密1次，不得参加评优，依据 " + testBasis,
			disqBy:   []bool{true},
			basisHas: map[int]string{4: "经核查，试题泄密1次，基础分不得分（依据 " + testBasis + "）"},
		},
		{
			name:     "an actual number replaced: over the target becomes short of it",
			inst:     "省常技",
			claimed:  claimedShengchangji,
			findings: []Finding{finding("省常技", "actual_certified", 7000)},
			// 30 − 0.5 (short 500) − 3 (83%) + 1 + 1
			items: []string{"28.50", "10", "10", "17.90", "10", "12", "5", "5", "5"},
			total: "103.40", claimed0: "104.20", effects: []string{"-0.80"}, changes: 1,
			basisHas: map[int]string{1: "经核查，取证低于目标500人 −0.50（依据 " + testBasis + "）；合格率83% −3.00"},
			basisNot: map[int]string{1: "经核查，合格率"},
		},
		{
			name:     "a count changed",
			inst:     "常柴",
			claimed:  claimedChangchai,
			findings: []Finding{finding("常柴", "i8_dispatch_violations", 2)},
			items:    []string{"30", "10", "10", "15", "10", "10", "5", "3", "5"},
			total:    "98.00", claimed0: "100.00", effects: []string{"-2.00"}, changes: 1,
			basisHas: map[int]string{8: "经核查，未按要求派遣使用考评人员2次 −2.00（依据 " + testBasis + "）"},
		},
		{
			name:     "two findings on one item: each one's effect is with the other applied",
			inst:     "常柴",
			claimed:  claimedChangchai,
			findings: []Finding{finding("常柴", "i3_responsibility_violations", 2), finding("常柴", "i3_violation_events", 1)},
			// item 3: two violations of the 责任书 give 0 whatever else; without
			// them, 10 − 3 = 7; without the event, still 0.
			items: []string{"30", "10", "0", "15", "10", "10", "5", "5", "5"},
			total: "90.00", claimed0: "100.00", effects: []string{"-7.00", "0.00"}, changes: 2,
			disq:   "第3项：经核查，违规事件1次（经查实），全市通报，依据 " + testBasis,
			disqBy: []bool{false, true},
		},
		{
			name:     "a leak the institution reported, found not to be one",
			inst:     "常柴",
			claimed:  map[string]int64{"actual_appraised": 120, "actual_certified": 100, "actual_passed": 96, "i6_online_pilot": 1, "i4_leaks": 1},
			findings: []Finding{finding("常柴", "i4_leaks", 0)},
			items:    []string{"30", "10", "10", "15", "10", "10", "5", "5", "5"},
			total:    "100.00", claimed0: "85.00", effects: []string{"15.00"}, changes: 1,
			basisHas: map[int]string{4: "符合要求，得15.00分；经核查，试题泄密次数为 0（依据 " + testBasis + "）"},
		},
		{
			name:     "arrears claimed, found settled: 评优资格 back",
			inst:     "常柴",
			claimed:  map[string]int64{"actual_appraised": 120, "actual_certified": 100, "actual_passed": 96, "i6_online_pilot": 1, "i7_arrears_yuan": 12000},
			findings: []Finding{finding("常柴", "i7_arrears_yuan", 0)},
			items:    []string{"30", "10", "10", "15", "10", "10", "5", "5", "5"},
			total:    "100.00", claimed0: "99.00", effects: []string{"1.00"}, changes: 1,
			disqBy: []bool{false},
			requal: []bool{true},
		},
		{
			name:     "a 是/否 fact verified as 否",
			inst:     "常柴",
			claimed:  claimedChangchai,
			findings: []Finding{finding("常柴", "i6_online_pilot", 0)},
			items:    []string{"30", "10", "10", "15", "10", "5", "5", "5", "5"},
			total:    "95.00", claimed0: "100.00", effects: []string{"-5.00"}, changes: 1,
			basisHas: map[int]string{6: "得5.00分；经核查，未配合外网申报和在线考务平台试点，无加分（依据 " + testBasis + "）"},
		},
		{
			name:     "a claim confirmed: no change, named as verified",
			inst:     "常柴",
			claimed:  claimedChangchai,
			findings: []Finding{finding("常柴", "actual_certified", 100), finding("常柴", "actual_high_skill", 100)},
			items:    []string{"30", "10", "10", "15", "10", "10", "5", "5", "5"},
			total:    "100.00", claimed0: "100.00", effects: []string{"0.00", "0.00"}, changes: 0,
			basisHas: map[int]string{1: "经核查，职业资格取证人数 实际完成为 100（依据 " + testBasis + "）；经核查，新增高技能人才取证数 实际完成为 100"},
		},
		{
			name:    "the pass rate from a verified number of passes",
			inst:    "省常技",
			claimed: claimedShengchangji,
			findings: []Finding{{Institution: "省常技国家职业技能鉴定所", Field: "actual_passed", Value: 9000, Basis: "鉴定系统统计"},
				{Institution: "省常技国家职业技能鉴定所", Field: "actual_appraised", Value: 9500, Basis: testBasis}},
			// 9000/9500 is 94%, 14 points above 80%: 30 − 14 + 0.3 + 1 + 1
			items: []string{"18.30", "10", "10", "17.90", "10", "12", "5", "5", "5"},
			total: "93.20", claimed0: "104.20", effects: []string{"-11.00", "0.00"}, changes: 1,
			basisHas: map[int]string{1: "经核查，合格率94% −14.00（依据 鉴定系统统计、" + testBasis + "）"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := inst(t, s, c.inst)
			claimed := facts(c.claimed)
			claimed.Institution = in.Name
			before := facts(c.claimed)
			r := ScoreVerified(s, in, claimed, c.findings)
			for i, want := range c.items {
				if got := r.Items[i].Points; got != pts(t, want) {
					t.Errorf("item %d = %s, want %s (%s)", i+1, got, want, r.Items[i].Basis)
				}
			}
			if r.Total.String() != c.total || r.Claimed == nil || r.Claimed.Total.String() != c.claimed0 {
				t.Errorf("total = %s, as claimed %v; want %s, %s", r.Total, r.Claimed, c.total, c.claimed0)
			}
			if r.Claimed != nil && r.Claimed.Total != Score(s, in, claimed).Total {
				t.Errorf("as claimed = %s, Score of the claims = %s", r.Claimed.Total, Score(s, in, claimed).Total)
			}
			if !reflect.DeepEqual(claimed.Values, before.Values) || claimed.Verified != nil {
				t.Errorf("the claimed facts changed: %v", claimed.Values)
			}
			var effects []string
			for _, a := range r.Findings {
				effects = append(effects, a.Effect.String())
			}
			if strings.Join(effects, " ") != strings.Join(c.effects, " ") {
				t.Errorf("effects = %q, want %q", effects, c.effects)
			}
			if r.Changes() != c.changes {
				t.Errorf("changes = %d, want %d", r.Changes(), c.changes)
			}
			if got := strings.Join(r.Disqualified, "；"); got != c.disq {
				t.Errorf("disqualified = %q, want %q", got, c.disq)
			}
			for i, want := range c.disqBy {
				if r.Findings[i].Disqualifies != want {
					t.Errorf("finding %d disqualifies = %v, want %v", i, r.Findings[i].Disqualifies, want)
				}
			}
			for i, want := range c.requal {
				if r.Findings[i].Requalifies != want {
					t.Errorf("finding %d requalifies = %v, want %v", i, r.Findings[i].Requalifies, want)
				}
			}
			for no, want := range c.basisHas {
				if !strings.Contains(r.Items[no-1].Basis, want) {
					t.Errorf("item %d basis = %q, want it to contain %q", no, r.Items[no-1].Basis, want)
				}
			}
			for no, not := range c.basisNot {
				if strings.Contains(r.Items[no-1].Basis, not) {
					t.Errorf("item %d basis = %q, should not contain %q", no, r.Items[no-1].Basis, not)
				}
			}
			for _, is := range r.Claimed.Items {
				if strings.Contains(is.Basis, "经核查") {
					t.Errorf("as claimed, item %d says 经核查: %q", is.No, is.Basis)
				}
			}
		})
	}
}

// The form of a disqualification by a verified finding.
func TestVerifiedEligibility(t *testing.T) {
	s := std2013(t)
	in := inst(t, s, "常柴")
	r := ScoreVerified(s, in, facts(claimedChangchai), []Finding{finding("常柴", "i4_leaks", 1)})
	if want := "取消评优资格（第4项：经核查，试题泄密1次，不得参加评优，依据 " + testBasis + "）"; r.Eligibility() != want {
		t.Errorf("eligibility = %q, want %q", r.Eligibility(), want)
	}
}

func TestMeasureFields(t *testing.T) {
	for m := range templates.DerivedMeasures {
		fs := templates.MeasureFields(m)
		if len(fs) == 0 || fs[0] == m {
			t.Errorf("derived measure %s: fields %q", m, fs)
		}
		for _, f := range fs {
			if fd, ok := templates.FieldByName(f); !ok || !templates.Verifiable(fd) {
				t.Errorf("derived measure %s: %s is not a verifiable field", m, f)
			}
		}
	}
	if got := len(templates.VerifiableFields()); got != 24 {
		t.Errorf("%d verifiable fields, want the 5 actual numbers and 19 counts or 是/否", got)
	}
	for _, f := range templates.ActualFields {
		if fd, ok := templates.FieldByName(f); !ok || !templates.Verifiable(fd) {
			t.Errorf("actual field %s is not verifiable", f)
		}
	}
}

func TestFactText(t *testing.T) {
	for _, c := range []struct {
		field string
		v     int64
		want  string
	}{{"i6_online_pilot", 1, "是"}, {"i6_platform_first", 0, "否"}, {"i7_arrears_yuan", 25000, "25000"}} {
		if got := FactText(c.field, c.v); got != c.want {
			t.Errorf("FactText(%s, %d) = %q, want %q", c.field, c.v, got, c.want)
		}
	}
}
