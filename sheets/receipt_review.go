package sheets

// The receipt's 市中心核查 section: which of the institution's facts the
// centre had verified when the receipt was written, and the 核定分 they
// give.

import (
	"fmt"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
	"kaohe/templates/score"
)

// rcptReviewAdvice is an accepted receipt's last word when the centre
// verified some of its facts.
const rcptReviewAdvice = "自评表已接受。核定分由程序按评分标准计算：市中心核定的事实取代自报的事实，其余按填报的事实；自评分仅作对照。"

// rcptReview is what an accepted receipt says of the centre's verification.
type rcptReview struct {
	found    bool // the 核查表 exists
	applied  []score.Applied
	claimed  templates.Points // the total as reported (按自报计算)
	total    templates.Points // 核定总分
	describe string           // which 核查表
}

// rcptReviewOf is the verification an accepted receipt reports, nil when
// no 核查表 is configured or the receipt has no result.
func rcptReviewOf(rc *Receipt, accepted bool) *rcptReview {
	if rc.Review == nil || rc.Result == nil || !accepted {
		return nil
	}
	r := rc.Result
	return &rcptReview{found: rc.Review.Found, applied: r.Findings, claimed: r.AsClaimed().Total, total: r.Total, describe: rc.Review.Describe()}
}

// summary is the sentence under the findings (or instead of them).
func (v *rcptReview) summary() string {
	if len(v.applied) == 0 {
		if !v.found {
			return "截至回执时间，市中心尚未核查（核查表尚不存在）；核定分按自评表填报的事实计算。"
		}
		return "截至回执时间，市中心没有核定本机构的事实；核定分按自评表填报的事实计算。"
	}
	return fmt.Sprintf("截至回执时间，市中心核定了本机构的 %d 项事实，核定值取代自报值（不是在自报值上累加）；按自报的事实计算总分为 %s 分，核定总分为 %s 分。",
		len(v.applied), v.claimed, v.total)
}

// rcptFindingBasis is a finding's 依据 with its 核查人 and 日期.
func rcptFindingBasis(a score.Applied) string {
	s := a.Basis
	switch {
	case a.Checker != "" && a.Date != "":
		s += "（核查人 " + a.Checker + "，" + a.Date + "）"
	case a.Checker != "":
		s += "（核查人 " + a.Checker + "）"
	case a.Date != "":
		s += "（" + a.Date + "）"
	}
	return s
}

// rcptReviewRows adds the 市中心核查 section to the receipt's table.
func rcptReviewRows(t *layout.Table, d *rcptDoc, st *layout.Styles, section func(string), merge func(string)) {
	v := d.review
	if v == nil {
		return
	}
	section("市中心核查")
	if len(v.applied) > 0 {
		t.AddH(22, layout.S(st.Header, "序号"), layout.S(st.Header, "事项"), layout.S(st.Header, "自报值"),
			layout.S(st.Header, "核定值"), layout.S(st.Header, "对总分的影响"), layout.S(st.Header, "依据"))
		for i, a := range v.applied {
			label, basis := repFactLabel(a.Field), rcptFindingBasis(a)
			value := layout.S(st.Center, a.ValueText())
			if a.Changed() {
				value.StyleID = st.RedCenter
			}
			t.AddH(rcptH(label, rcptWidths[1], basis, rcptWidths[5]),
				layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, label), layout.S(st.Center, score.FactText(a.Field, a.Claimed)),
				value, layout.F(st.Diff, a.Effect.Float()), layout.S(st.Wrap, basis))
		}
	}
	s := v.summary()
	merge("A%[1]d:F%[1]d")
	t.AddH(rcptH(s, rcptSpan(1, 6)), layout.S(st.Wrap, s))
}

// rcptReviewText is the same section as plain text (ReceiptText).
func rcptReviewText(d *rcptDoc, line func(string, ...any)) {
	v := d.review
	if v == nil {
		return
	}
	line("")
	line("市中心核查：")
	for i, a := range v.applied {
		line("  %d. %s：自报 %s，核定 %s，对总分的影响 %s，依据 %s", i+1, repFactLabel(a.Field),
			score.FactText(a.Field, a.Claimed), a.ValueText(), rcptSigned(a.Effect), rcptClean(rcptFindingBasis(a)))
	}
	line("  %s", v.summary())
}
