package web

import (
	"path/filepath"
	"strings"
	"testing"

	"kaohe/pipeline"
	"kaohe/templates/score"
)

// TestReceiptReviewSection: the answer on an institution's page has the
// receipt's 市中心核查 section: each fact the centre verified (自报值,
// 核定值, 对总分的影响, 依据 with 核查人 and 日期) and the sentence under
// them, in the receipt's words; without a 核查表 it has none.
func TestReceiptReviewSection(t *testing.T) {
	review := filepath.Join(t.TempDir(), "2013-核查表.xlsx")
	f := newFixture(t, func(c *pipeline.Config) { c.Review = review })
	finding := score.Finding{Institution: "常柴国家职业技能鉴定所", Field: "actual_certified", Value: 100,
		Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20"}
	f.writeReview(t, review, finding)
	_, page := f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
	for _, want := range []string{"<h3>市中心核查</h3>", "<td>职业资格取证人数", ">1000</td>", ">100</td>",
		"常人社鉴〔2013〕12号（核查人 张三，2013-12-20）", "截至回执时间，市中心核定了本机构的 1 项事实"} {
		if !strings.Contains(page, want) {
			t.Errorf("the answer lacks %q", want)
		}
	}
	_, other := f.upload("常武国家职业技能鉴定所", "b.xlsx", f.workbook("常武国家职业技能鉴定所", nil))
	if !strings.Contains(other, "<h3>市中心核查</h3>") || !strings.Contains(other, "截至回执时间，市中心没有核定本机构的事实") {
		t.Errorf("an institution with nothing verified is not told so")
	}
}
