package sheets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/officetest"
	"kaohe/templates"
	"kaohe/templates/score"
)

func revTestBlank(t testing.TB, std *templates.Standard) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteReview(&b, std, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// revTestFindings are findings of every kind: numbers of 核定数据, counts,
// a 是/否, one with 核查人 and 日期.
func revTestFindings() []score.Finding {
	return []score.Finding{
		{Institution: "常柴国家职业技能鉴定所", Field: "actual_appraised", Value: 120, Basis: "鉴定管理系统2013年度统计"},
		{Institution: "常柴国家职业技能鉴定所", Field: "actual_certified", Value: 90, Basis: "鉴定管理系统2013年度统计"},
		{Institution: "常柴国家职业技能鉴定所", Field: "actual_passed", Value: 95, Basis: "鉴定管理系统2013年度统计"},
		{Institution: "常武国家职业技能鉴定所", Field: "i4_leaks", Value: 1, Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20"},
		{Institution: "常坛国家职业技能鉴定所", Field: "i7_arrears_yuan", Value: 25000, Basis: "财务对账单"},
		{Institution: "常坛国家职业技能鉴定所", Field: "i6_online_pilot", Value: 0, Basis: "市中心考务科核查"},
	}
}

// revTestPlaces are where WriteReview puts revTestFindings.
var revTestPlaces = []string{"核定数据!B2", "核定数据!C2", "核定数据!F2", "查实事项!C2", "查实事项!C3", "查实事项!C4"}

func revTestRead(t testing.TB, std *templates.Standard, b []byte) ([]score.Finding, []Issue) {
	t.Helper()
	return ReadReview(bytes.NewReader(b), "核查表.xlsx", std)
}

func TestReviewBlank(t *testing.T) {
	std := tmplTestStd(t)
	b := revTestBlank(t, std)
	if a, b := repDump(t, tmplTestOpen(t, b)), repDump(t, tmplTestOpen(t, revTestBlank(t, std))); a != b {
		t.Error("the same standard gave two different blank 核查表")
	}
	fs, issues := revTestRead(t, std, b)
	if len(fs) != 0 || len(issues) != 0 {
		t.Fatalf("a blank 核查表 gave findings %v, issues %v", fs, issues)
	}
	f := tmplTestOpen(t, b)
	if got, want := f.GetSheetList(), []string{ReviewSheetGuide, ReviewSheetActuals, ReviewSheetFindings, reviewSheetLists}; !reflect.DeepEqual(got, want) {
		t.Errorf("sheets = %q, want %q", got, want)
	}
	if v, _ := f.GetSheetVisible(reviewSheetLists); v {
		t.Error("the lists' sheet is visible")
	}
	// The header rows read exactly as the issue gives them.
	for sheet, want := range map[string]string{
		ReviewSheetActuals:  "鉴定机构 职业技能鉴定人数 职业资格取证人数 全国(省)统考人数 新增高技能人才取证数 鉴定合格人数 依据",
		ReviewSheetFindings: "鉴定机构 事项 核定值 依据 核查人 日期",
	} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows[0], " "); got != want {
			t.Errorf("%s header = %q, want %q", sheet, got, want)
		}
		if sheet == ReviewSheetActuals {
			if len(rows) != len(std.Institutions)+1 {
				t.Errorf("核定数据 has %d rows, want a header and %d institutions", len(rows), len(std.Institutions))
			}
			for i, in := range std.Institutions {
				if rows[i+1][0] != in.Name {
					t.Errorf("核定数据!A%d = %q, want %q (allocation order)", i+2, rows[i+1][0], in.Name)
				}
			}
		}
	}
	// Names locked on a protected sheet; numbers and 依据 to type in.
	for cell, locked := range map[string]bool{"A2": true, "B2": false, "F33": false, "G2": false} {
		id, _ := f.GetCellStyle(ReviewSheetActuals, cell)
		st, _ := f.GetStyle(id)
		isLocked := st.Protection == nil || st.Protection.Locked
		if isLocked != locked {
			t.Errorf("核定数据!%s locked = %v, want %v", cell, isLocked, locked)
		}
	}
	// Drop-downs of the institutions and the facts, from the lists' sheet.
	dvs, err := f.GetDataValidations(ReviewSheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{}
	for _, dv := range dvs {
		if dv.Type == "list" {
			lists[dv.Sqref] = dv.Formula1
		}
	}
	if lists["A2:A2000"] != "选项!$A$2:$A$33" || lists["B2:B2000"] != "选项!$B$2:$B$25" {
		t.Errorf("drop-downs = %q", lists)
	}
	for i, fd := range templates.VerifiableFields() {
		if v, _ := f.GetCellValue(reviewSheetLists, fmt.Sprintf("B%d", i+2)); v != fd.Label {
			t.Errorf("选项!B%d = %q, want %q", i+2, v, fd.Label)
		}
	}
}

// Findings written by WriteReview are read back as they were, at their places.
func TestReviewRoundTrip(t *testing.T) {
	std := tmplTestStd(t)
	var b bytes.Buffer
	want := revTestFindings()
	if err := WriteReview(&b, std, want); err != nil {
		t.Fatal(err)
	}
	got, issues := revTestRead(t, std, b.Bytes())
	if len(issues) != 0 {
		t.Fatalf("issues: %v", issues)
	}
	for i := range want {
		want[i].Place = revTestPlaces[i]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%+v\nwant\n%+v", got, want)
	}
}

// revTestJob is a 核查表 for fill_review.py to fill.
type revTestJob struct {
	In      string           `json:"in"`
	Out     string           `json:"out"`
	Actuals []map[string]any `json:"actuals,omitempty"`
	Facts   []map[string]any `json:"facts,omitempty"`
}

// revTestFill fills blank 核查表 with fill_review.py (openpyxl): another
// writer than excelize, finding the columns by their header words.
func revTestFill(t testing.TB, std *templates.Standard, jobs ...revTestJob) [][]byte {
	t.Helper()
	dir := t.TempDir()
	blank := filepath.Join(dir, "blank.xlsx")
	if err := os.WriteFile(blank, revTestBlank(t, std), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		if jobs[i].In == "" {
			jobs[i].In = blank
		}
		jobs[i].Out = filepath.Join(dir, fmt.Sprintf("filled-%d.xlsx", i))
	}
	officetest.OpenPyXL(t, filepath.Join("testdata", "fill_review.py"), jobs)
	var out [][]byte
	for _, j := range jobs {
		b, err := os.ReadFile(j.Out)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// revTestOutside is a 核查表 as an outside writer fills it: values typed
// the ways people type them, the findings it must give.
var revTestOutside = revTestJob{
	Actuals: []map[string]any{
		{"鉴定机构": "常柴国家职业技能鉴定所", "职业技能鉴定人数": 120, "职业资格取证人数": "９０", "鉴定合格人数": 95, "依据": "鉴定管理系统2013年度统计"},
		{"鉴定机构": "省常技国家职业技能鉴定所", "职业技能鉴定人数": "9,500", "鉴定合格人数": "7925", "依据": " 鉴定管理系统 "},
	},
	Facts: []map[string]any{
		{"鉴定机构": "常武国家职业技能鉴定所", "事项": "试题泄密次数", "核定值": 1, "依据": "常人社鉴〔2013〕12号", "核查人": "张三", "日期": map[string]any{"date": "2013-12-20"}},
		{"鉴定机构": "常坛国家职业技能鉴定所", "事项": "i7_arrears_yuan", "核定值": "25，000", "依据": "财务对账单", "日期": "2013年12月"},
		{"鉴定机构": "常坛国家职业技能鉴定所", "事项": "配合外网申报和在线考务平台试点", "核定值": "否", "依据": "考务科核查"},
		{"鉴定机构": "常坛国家职业技能鉴定所", "事项": "违规事件(经查实)次数", "核定值": " 2 ", "依据": "举报核查报告"},
	},
}

var revTestOutsideWant = []score.Finding{
	{Institution: "常柴国家职业技能鉴定所", Field: "actual_appraised", Value: 120, Basis: "鉴定管理系统2013年度统计", Place: "核定数据!B2"},
	{Institution: "常柴国家职业技能鉴定所", Field: "actual_certified", Value: 90, Basis: "鉴定管理系统2013年度统计", Place: "核定数据!C2"},
	{Institution: "常柴国家职业技能鉴定所", Field: "actual_passed", Value: 95, Basis: "鉴定管理系统2013年度统计", Place: "核定数据!F2"},
	{Institution: "省常技国家职业技能鉴定所", Field: "actual_appraised", Value: 9500, Basis: "鉴定管理系统", Place: "核定数据!B8"},
	{Institution: "省常技国家职业技能鉴定所", Field: "actual_passed", Value: 7925, Basis: "鉴定管理系统", Place: "核定数据!F8"},
	{Institution: "常武国家职业技能鉴定所", Field: "i4_leaks", Value: 1, Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20", Place: "查实事项!C2"},
	{Institution: "常坛国家职业技能鉴定所", Field: "i7_arrears_yuan", Value: 25000, Basis: "财务对账单", Date: "2013年12月", Place: "查实事项!C3"},
	{Institution: "常坛国家职业技能鉴定所", Field: "i6_online_pilot", Value: 0, Basis: "考务科核查", Place: "查实事项!C4"},
	{Institution: "常坛国家职业技能鉴定所", Field: "i3_violation_events", Value: 2, Basis: "举报核查报告", Place: "查实事项!C5"},
}

// TestReviewOutsideWriter: a 核查表 filled by openpyxl, and the same re-saved
// by LibreOffice, give the same findings.
func TestReviewOutsideWriter(t *testing.T) {
	std := tmplTestStd(t)
	filled := revTestFill(t, std, revTestOutside)[0]
	got, issues := revTestRead(t, std, filled)
	if len(issues) != 0 {
		t.Fatalf("issues: %v", issues)
	}
	if !reflect.DeepEqual(got, revTestOutsideWant) {
		t.Fatalf("findings:\n%+v\nwant\n%+v", got, revTestOutsideWant)
	}
	saved := revTestLibreOffice(t, filled)
	if bytes.Equal(saved, filled) {
		t.Fatal("LibreOffice did not rewrite the workbook")
	}
	got, issues = revTestRead(t, std, saved)
	if len(issues) != 0 {
		t.Fatalf("re-saved by LibreOffice: issues: %v", issues)
	}
	if !reflect.DeepEqual(got, revTestOutsideWant) {
		t.Errorf("re-saved by LibreOffice: findings:\n%+v\nwant\n%+v", got, revTestOutsideWant)
	}
	// LibreOffice keeps the drop-downs and the hidden lists.
	f := tmplTestOpen(t, saved)
	dvs, _ := f.GetDataValidations(ReviewSheetFindings)
	lists := 0
	for _, dv := range dvs {
		if dv.Type == "list" {
			lists++
		}
	}
	if lists != 2 {
		t.Errorf("re-saved by LibreOffice: %d drop-downs in 查实事项, want 2", lists)
	}
}

// revTestLibreOffice returns b as LibreOffice saves it (soffice
// --convert-to xlsx); a missing soffice fails the test under CI.
func revTestLibreOffice(t testing.TB, b []byte) []byte {
	t.Helper()
	return officetest.LibreOffice(t, b, "核查表.xlsx")
}

// revTestEdit is a copy of the blank 核查表 with cells set by excelize: a
// whole number as a number, "=…" as a formula, else text.
func revTestEdit(t testing.TB, std *templates.Standard, cells map[string]string) []byte {
	t.Helper()
	f := tmplTestOpen(t, revTestBlank(t, std))
	for ref, v := range cells {
		sheet, cell, _ := strings.Cut(ref, "!")
		var err error
		var n int64
		switch _, scan := fmt.Sscanf(v, "%d", &n); {
		case strings.HasPrefix(v, "="):
			err = f.SetCellFormula(sheet, cell, v[1:])
		case scan == nil && fmt.Sprint(n) == v:
			err = f.SetCellInt(sheet, cell, n)
		default:
			err = f.SetCellStr(sheet, cell, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every kind of bad 核查表 is refused whole, each error naming its cell, the
// value and what to write.
func TestReviewErrors(t *testing.T) {
	std := tmplTestStd(t)
	fact := func(row int, inst, field, value, basis string) map[string]string {
		m := map[string]string{}
		for col, v := range map[string]string{"A": inst, "B": field, "C": value, "D": basis} {
			if v != "" {
				m[fmt.Sprintf("查实事项!%s%d", col, row)] = v
			}
		}
		return m
	}
	join := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	cases := []struct {
		name  string
		cells map[string]string
		want  []string // each an issue's String(), in part
	}{
		{"unknown institution", fact(7, "常州柴油机鉴定所", "试题泄密次数", "1", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!A7「鉴定机构」: 「常州柴油机鉴定所」不是 2013 年度目标任务分解表（附件2）中的鉴定机构"}},
		{"an institution's short name", fact(7, "常柴", "试题泄密次数", "1", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!A7「鉴定机构」: 「常柴」不是", "可能是：「常柴国家职业技能鉴定所」", "请从下拉列表中选择"}},
		{"unknown 事项", fact(7, "常柴国家职业技能鉴定所", "试题泄露次数", "1", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!B7「事项」: 「试题泄露次数」不是可核查的事项；可能是：「试题泄密次数」", "i4_leaks"}},
		{"a target is not a 事项", fact(7, "常柴国家职业技能鉴定所", "target_certified", "1", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!B7「事项」: 「职业资格取证人数 目标」（target_certified）不是可核查的事项"}},
		{"a count in words", fact(7, "常柴国家职业技能鉴定所", "试题泄密次数", "一次", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!C7「核定值」: 「一次」不是非负整数；「试题泄密次数」应填写查实的总数（非负整数，如 1200）"}},
		{"a negative count", fact(7, "常柴国家职业技能鉴定所", "拖欠费用（元）", "-5000", "对账单"),
			[]string{"查实事项!C7「核定值」: 「-5000」不是非负整数"}},
		{"a fraction", fact(7, "常柴国家职业技能鉴定所", "试题泄密次数", "1.5", "对账单"),
			[]string{"查实事项!C7「核定值」: 「1.5」不是非负整数"}},
		{"a bad 是/否", fact(7, "常柴国家职业技能鉴定所", "率先实现平台运作", "有", "考务科"),
			[]string{"查实事项!C7「核定值」: 「有」不是“是”或“否”；「率先实现平台运作」是 是/否 事项"}},
		{"a blank value", fact(7, "常柴国家职业技能鉴定所", "试题泄密次数", "", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!C7「核定值」: 核定值未填写；「试题泄密次数」应填写非负整数"}},
		{"a formula", fact(7, "常柴国家职业技能鉴定所", "试题泄密次数", "=1+1", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!C7「核定值」: 单元格中是公式「=1+1」；请直接填写"}},
		{"a missing 依据", fact(7, "常柴国家职业技能鉴定所", "试题泄密次数", "1", ""),
			[]string{"查实事项!D7「依据」: 依据未填写；每条查实事项都必须写明依据"}},
		{"a missing institution", fact(7, "", "试题泄密次数", "1", "常人社鉴〔2013〕12号"),
			[]string{"查实事项!A7「鉴定机构」: 鉴定机构未填写"}},
		{"two rows for one institution and 事项",
			join(fact(5, "常柴国家职业技能鉴定所", "试题泄密次数", "1", "甲"), fact(9, "常柴国家职业技能鉴定所", "i4_leaks", "2", "乙")),
			[]string{"查实事项!C9「核定值」: 「常柴国家职业技能鉴定所」的「试题泄密次数」已在 查实事项!C5 核定过"}},
		{"a fact of 核定数据 again in 查实事项",
			join(map[string]string{"核定数据!C2": "90", "核定数据!G2": "统计"}, fact(3, "常柴国家职业技能鉴定所", "职业资格取证人数 实际完成", "80", "乙")),
			[]string{"查实事项!C3「核定值」: 「常柴国家职业技能鉴定所」的「职业资格取证人数 实际完成」已在 核定数据!C2 核定过"}},
		{"a number of 核定数据 without 依据", map[string]string{"核定数据!C5": "1500"},
			[]string{"核定数据!G5「依据」: 依据未填写；填了核定人数的行必须写明依据"}},
		{"a bad number in 核定数据", map[string]string{"核定数据!C5": "一千五", "核定数据!G5": "统计"},
			[]string{"核定数据!C5「职业资格取证人数」: 「一千五」不是非负整数；应填写非负整数，如 1200；尚未核定的请留空"}},
		{"a renamed institution in 核定数据", map[string]string{"核定数据!A5": "常化工所", "核定数据!C5": "1500", "核定数据!G5": "统计"},
			[]string{"核定数据!A5「鉴定机构」: 「常化工所」不是"}},
		{"an institution twice in 核定数据", map[string]string{"核定数据!A6": "常饮服国家职业技能鉴定所", "核定数据!C6": "100", "核定数据!G6": "统计",
			"核定数据!C4": "90", "核定数据!G4": "统计"},
			[]string{"核定数据!A6「鉴定机构」: 「常饮服国家职业技能鉴定所」在第 4 行已有一行"}},
		{"more passes than appraisals", map[string]string{"核定数据!B2": "100", "核定数据!F2": "120", "核定数据!G2": "统计"},
			[]string{"核定数据!F2「鉴定合格人数」: 「常柴国家职业技能鉴定所」核定的鉴定合格人数 120 大于 核定数据!B2 核定的职业技能鉴定人数 100"}},
		// The pass rate is passes over appraisals: both verified or neither.
		{"passes verified without appraisals", map[string]string{"核定数据!F2": "95", "核定数据!G2": "统计"},
			[]string{"核定数据!F2「鉴定合格人数」: 「常柴国家职业技能鉴定所」核定了鉴定合格人数 95，没有核定职业技能鉴定人数；合格率由两者算出，必须一起核定：请在 核定数据!B2 填写核定的职业技能鉴定人数（与自报的相同也要填写），或删去 核定数据!F2 的鉴定合格人数"}},
		{"appraisals verified without passes", map[string]string{"核定数据!B8": "9500", "核定数据!G8": "统计"},
			[]string{"核定数据!B8「职业技能鉴定人数」: 「省常技国家职业技能鉴定所」核定了职业技能鉴定人数 9500，没有核定鉴定合格人数；", "请在 核定数据!F8 填写"}},
		{"passes verified in 查实事项 alone", fact(4, "常柴国家职业技能鉴定所", "鉴定合格人数", "95", "统计"),
			[]string{"查实事项!C4「鉴定合格人数」: 「常柴国家职业技能鉴定所」核定了鉴定合格人数 95，没有核定职业技能鉴定人数；", "请在 核定数据!B2 填写"}},
		{"a header word changed", map[string]string{"查实事项!D1": "文号"},
			[]string{"查实事项!A1: 表头（第 1 行）中没有「依据」列"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, issues := revTestRead(t, std, revTestEdit(t, std, c.cells))
			var errs []string
			for _, is := range issues {
				if is.Severity == Error {
					errs = append(errs, is.String())
				}
			}
			if len(errs) == 0 {
				t.Fatalf("no error; findings %v, issues %v", fs, issues)
			}
			all := strings.Join(errs, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors:\n%s\nwant one containing %q", all, w)
				}
			}
		})
	}
}

// Not a 核查表 at all: one plain sentence each.
func TestReviewNotAReview(t *testing.T) {
	std := tmplTestStd(t)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":                      {nil, "核查表是空文件"},
		"csv":                        {[]byte("鉴定机构,事项\n"), "不是 Excel 工作簿"},
		"xls":                        {[]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "旧版 .xls"},
		"a self-assessment workbook": {tmplTestWrite(t, std, tmplTestInst(t, std, "常柴")), "不是核查表：没有工作表「核定数据」「查实事项」"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, issues := revTestRead(t, std, c.data)
			if len(issues) != 1 || issues[0].Severity != Error || !strings.Contains(issues[0].Message, c.want) {
				t.Errorf("issues = %v, want one error saying %q", issues, c.want)
			}
		})
	}
}

// A 依据 with no number is a warning, not an error; a row that names an
// institution and nothing else is nothing; rows may come in any order, the
// columns too, with columns of its own among them.
func TestReviewLenient(t *testing.T) {
	std := tmplTestStd(t)
	f := tmplTestOpen(t, revTestBlank(t, std))
	set := func(sheet, cell string, v any) {
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set(ReviewSheetActuals, "G3", "尚在核对")
	// 查实事项 with its columns moved and a 备注 column: 备注 事项 核定值 鉴定机构 依据.
	for i, w := range []string{"备注", "事项", "核定值", "鉴定机构", "依据", "核查人", "日期"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		set(ReviewSheetFindings, cell, w)
	}
	set(ReviewSheetFindings, "A4", "第一条")
	set(ReviewSheetFindings, "B4", "试题泄密次数")
	set(ReviewSheetFindings, "C4", 1)
	set(ReviewSheetFindings, "D4", "常柴国家职业技能鉴定所")
	set(ReviewSheetFindings, "E4", "文号")
	set(ReviewSheetFindings, "G6", "2013-12-20") // a date alone is no finding
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	fs, issues := revTestRead(t, std, b.Bytes())
	if len(issues) != 1 || issues[0].Severity != Warning || issues[0].Place() != "核定数据!G3" {
		t.Errorf("issues = %v, want one warning at 核定数据!G3", issues)
	}
	want := []score.Finding{{Institution: "常柴国家职业技能鉴定所", Field: "i4_leaks", Value: 1, Basis: "文号", Place: "查实事项!C4"}}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("findings = %+v, want %+v", fs, want)
	}
}
