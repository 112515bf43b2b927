package sheets

import (
	"fmt"
	"html"
	"kaohe/templates"
	"strings"
	"testing"
)

func TestReportCharts(t *testing.T) {
	fx := repFixture(t)
	b := repWrite(t, fx.rep)
	parts := repZip(t, b)
	n, m := len(fx.ranked), len(fx.rep.Standard.Institutions)
	for name, want := range map[string][]string{
		"xl/charts/chart1.xml": {"核定总分", fmt.Sprintf("'核定总分图'!$R$2:$R$%d", n+1), fmt.Sprintf("'核定总分图'!$Q$2:$Q$%d", n+1),
			`<barDir val="bar">`, `<varyColors val="0">`, `<orientation val="maxMin">`},
		"xl/charts/chart2.xml": {"取证完成率", fmt.Sprintf("'取证完成率图'!$R$2:$R$%d", m+1), fmt.Sprintf("'取证完成率图'!$Q$2:$Q$%d", m+1),
			`<barDir val="bar">`, `<orientation val="maxMin">`},
	} {
		data, ok := parts[name]
		data = html.UnescapeString(data)
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		for _, w := range want {
			if !strings.Contains(data, w) {
				t.Errorf("%s does not contain %s", name, w)
			}
		}
	}
	for _, sheet := range []string{"xl/worksheets/sheet7.xml", "xl/worksheets/sheet8.xml"} {
		x := parts[sheet]
		if !strings.Contains(x, "<drawing ") || !strings.Contains(x, `fitToHeight="1"`) || !strings.Contains(x, `orientation="landscape"`) {
			t.Errorf("%s: not one chart printed on one landscape page", sheet)
		}
	}
	// The charts' data repeat 排名 and 目标完成, with short names that tell
	// every institution apart.
	f := repOpen(t, b)
	seen := map[string]bool{}
	for i, r := range fx.ranked {
		row := repPad(repRow(t, f, "核定总分图", i+2), 18)
		want := []string{fmt.Sprint(i + 1), templates.ShortName(r.Institution.Name), r.Total.String()}
		if strings.Join(row[15:18], "|") != strings.Join(want, "|") {
			t.Errorf("核定总分图 row %d = %q, want %q", i+2, row[15:18], want)
		}
		if seen[row[16]] {
			t.Errorf("核定总分图: two institutions named %s", row[16])
		}
		seen[row[16]] = true
	}
	for i, in := range fx.rep.Standard.Institutions {
		chart := repPad(repRow(t, f, "取证完成率图", i+2), 18)
		targets := repPad(repRow(t, f, "目标完成", i+3), 7)
		if chart[16] != templates.ShortName(in.Name) || chart[17] != targets[6] {
			t.Errorf("取证完成率图 row %d = %q %q, want %q %q", i+2, chart[16], chart[17], templates.ShortName(in.Name), targets[6])
		}
	}
	if got := repChartNames([]string{"常武国家职业技能鉴定所", "常武职业技能鉴定所", "常武技国家职业技能鉴定所"}); got[0] == got[1] || got[2] != "常武技" {
		t.Errorf("names that would read alike: %q", got)
	}
	// The conditional formats of a streamed sheet survive.
	if !strings.Contains(parts["xl/worksheets/sheet4.xml"], "<conditionalFormatting") {
		t.Error("目标完成 lost its conditional formatting")
	}
}

// 评分明细 prints as one flowing table: its header row repeats on every
// page, and no page is broken by hand (two institutions to a page made 22
// pages of 32 institutions).
func TestReportDetailsPrintFlow(t *testing.T) {
	fx := repFixture(t)
	parts := repZip(t, repWrite(t, fx.rep))
	if x := parts["xl/worksheets/sheet2.xml"]; strings.Contains(x, "<rowBreaks") {
		t.Errorf("评分明细 has manual page breaks")
	}
	if wb := html.UnescapeString(parts["xl/workbook.xml"]); !strings.Contains(wb, `<definedName localSheetId="1" name="_xlnm.Print_Titles">'评分明细'!$1:$1<`) {
		t.Errorf("评分明细 does not repeat its header row on every printed page: %s", wb)
	}
}
