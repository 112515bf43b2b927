package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/officetest"
	"kaohe/templates"
	"kaohe/templates/score"
)

// readTestJob is one workbook for fill.py to fill.
type readTestJob struct {
	In     string         `json:"in"`
	Out    string         `json:"out"`
	Values map[string]any `json:"values"`
}

// readTestFill fills every job's workbook with fill.py in one run and
// returns the filled workbooks in job order.
func readTestFill(t testing.TB, jobs []readTestJob) [][]byte {
	t.Helper()
	officetest.OpenPyXL(t, officetest.FillScript(t), jobs)
	var res [][]byte
	for _, j := range jobs {
		b, err := os.ReadFile(j.Out)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, b)
	}
	return res
}

// readTestTemplates writes the templates of the named institutions into
// dir and returns their paths.
func readTestTemplates(t testing.TB, std *templates.Standard, dir string, shorts ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, s := range shorts {
		p := filepath.Join(dir, s+"-template.xlsx")
		if err := os.WriteFile(p, tmplTestWrite(t, std, tmplTestInst(t, std, s)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[s] = p
	}
	return paths
}

// readTestExample is a worked example of spec/scoring-2013.md, typed into
// the workbook the way people type: text and numbers, full-width digits,
// thousands separators, stray spaces, Y/yes/true.
type readTestExample struct {
	short  string
	values map[string]any   // as written into the workbook
	facts  map[string]int64 // the facts expected; every other count is 0
	items  []string
	total  string
	self   string // the self-assessed total, "" when not checked
}

var readTestExamples = []readTestExample{
	{
		short: "常柴",
		values: map[string]any{
			"actual_appraised": 120, "actual_certified": "100", "actual_unified_exam": 0, "actual_high_skill": "１００",
			"actual_passed": " 96 ", "i6_online_pilot": "yes", "i6_platform_first": "no",
			"self_1": 30, "self_2": 10, "self_3": 10, "self_4": 15, "self_5": 10, "self_6": 10, "self_7": 5, "self_8": 5, "self_9": 5,
		},
		facts: map[string]int64{"actual_appraised": 120, "actual_certified": 100, "actual_high_skill": 100, "actual_passed": 96, "i6_online_pilot": 1},
		items: []string{"30", "10", "10", "15", "10", "10", "5", "5", "5"},
		total: "100.00",
		self:  "100.00",
	},
	{
		short:  "省常技",
		values: readTestBase(),
		facts: map[string]int64{"actual_appraised": 9500, "actual_certified": 8450, "actual_unified_exam": 520, "actual_high_skill": 2600,
			"actual_passed": 7925, "i1_enterprise_evaluations": 2, "i1_competitions": 1, "i4_dev_projects": 1, "i4_experts_recommended": 3,
			"i6_online_pilot": 1, "i6_platform_first": 1},
		items: []string{"29.30", "10", "10", "17.90", "10", "12", "5", "5", "5"},
		total: "104.20",
		self:  "104.20",
	},
	{
		short: "常武",
		values: map[string]any{
			"actual_appraised": "4100", "actual_certified": 150, "actual_unified_exam": 200, "actual_high_skill": "4,800",
			"actual_passed": 150, "i3_responsibility_violations": 1, "i6_declaration_errors": "2", "i6_material_irregularities": 1,
			"i7_arrears_yuan": "25，000", "i6_online_pilot": true, "i6_platform_first": false,
			"self_1": 30, "self_2": 10, "self_3": 10, "self_4": 15, "self_5": 10, "self_6": 10, "self_7": 5, "self_8": 5, "self_9": 5,
		},
		facts: map[string]int64{"actual_appraised": 4100, "actual_certified": 150, "actual_unified_exam": 200, "actual_high_skill": 4800,
			"actual_passed": 150, "i3_responsibility_violations": 1, "i6_declaration_errors": 2, "i6_material_irregularities": 1,
			"i7_arrears_yuan": 25000, "i6_online_pilot": 1},
		items: []string{"29.80", "10", "8", "15", "10", "6", "3", "5", "5"},
		total: "91.80",
	},
	{
		short: "常坛",
		values: map[string]any{
			"actual_appraised": 0, "actual_certified": "0", "actual_unified_exam": "０", "actual_high_skill": 0, "actual_passed": 0,
			"i4_leaks": 1, "i4_meetings_hosted": "1", "i3_responsibility_violations": 2, "i8_dispatch_violations": "7 ",
			"i9_verified_violations": "1", "i6_online_pilot": "N", "i6_platform_first": 0,
			"self_1": 30, "self_2": 10, "self_3": 10, "self_4": 15, "self_5": 10, "self_6": 10, "self_7": 5, "self_8": 5, "self_9": 5,
		},
		facts: map[string]int64{"i4_leaks": 1, "i4_meetings_hosted": 1, "i3_responsibility_violations": 2, "i8_dispatch_violations": 7,
			"i9_verified_violations": 1},
		items: []string{"26.50", "10", "0", "1", "10", "5", "5", "0", "3"},
		total: "60.50",
	},
}

// readTestBase is 省常技's worked example as an institution might type it.
func readTestBase() map[string]any {
	return map[string]any{
		"contact_name": " 张三 ", "contact_phone": "0519-86668888",
		"actual_appraised": "9,500", "actual_certified": "８４５０", "actual_unified_exam": 520, "actual_high_skill": " 2600 ",
		"actual_passed": "7，925", "i1_enterprise_evaluations": "２", "i1_competitions": 1, "i2_nonstandard_appraisals": 0,
		"i3_responsibility_violations": "0", "i4_dev_projects": "1", "i4_experts_recommended": "\u30003\u3000",
		"i6_online_pilot": "Y", "i6_platform_first": "是",
		// 17.8+0.1 is stored as 17.900000000000002 and read as Excel shows it: 17.9
		"self_1": "29.3", "self_2": 10, "self_3": "10", "self_4": 17.8 + 0.1, "self_5": 10, "self_6": "12.00",
		"self_7": 5, "self_8": "\u00a05", "self_9": "５",
	}
}

// readTestCheckExample reads a filled example and checks its facts, that
// it has no issues, and its scores.
func readTestCheckExample(t *testing.T, std *templates.Standard, ex readTestExample, b []byte, file string) *Submission {
	t.Helper()
	sub := readTest(bytes.NewReader(b), file, std, DefaultLimits())
	for _, is := range sub.Issues {
		t.Errorf("unexpected issue: %s %s", is.Severity, is)
	}
	want := tmplTestInst(t, std, ex.short)
	if sub.Institution.Name != want.Name || sub.Facts.Institution != want.Name || sub.Facts.Year != 2013 {
		t.Errorf("institution %q / facts %q %d, want %q 2013", sub.Institution.Name, sub.Facts.Institution, sub.Facts.Year, want.Name)
	}
	for _, fd := range templates.Fields {
		if fd.Kind != templates.KindInt && fd.Kind != templates.KindYesNo || fd.Name == templates.FieldYear {
			continue
		}
		wantV, ok := tmplTarget(want.Targets, fd.Name)
		if !ok {
			wantV = ex.facts[fd.Name]
		}
		if got, ok := sub.Facts.Values[fd.Name]; !ok || got != wantV {
			t.Errorf("Values[%s] = %d (present %v), want %d", fd.Name, got, ok, wantV)
		}
	}
	res := score.Score(std, sub.Institution, sub.Facts)
	var items, wantItems []string
	for _, it := range res.Items {
		items = append(items, it.Points.String())
	}
	for _, s := range ex.items {
		p, err := templates.ParsePoints(s)
		if err != nil {
			t.Fatal(err)
		}
		wantItems = append(wantItems, p.String())
	}
	if got, want := strings.Join(items, ", "), strings.Join(wantItems, ", "); got != want {
		t.Errorf("items = %s, want %s", got, want)
	}
	if res.Total.String() != ex.total {
		t.Errorf("total = %s, want %s", res.Total, ex.total)
	}
	if ex.self != "" && res.SelfTotal.String() != ex.self {
		t.Errorf("self total = %s, want %s", res.SelfTotal, ex.self)
	}
	return sub
}

// Round trip: templates filled by openpyxl, read and scored, reproduce the
// worked examples of spec/scoring-2013.md.
func TestReadRoundTrip(t *testing.T) {
	std := tmplTestStd(t)
	dir := t.TempDir()
	var shorts []string
	for _, ex := range readTestExamples {
		shorts = append(shorts, ex.short)
	}
	tpl := readTestTemplates(t, std, dir, shorts...)
	var jobs []readTestJob
	for _, ex := range readTestExamples {
		jobs = append(jobs, readTestJob{In: tpl[ex.short], Out: filepath.Join(dir, ex.short+".xlsx"), Values: ex.values})
	}
	filled := readTestFill(t, jobs)
	for i, ex := range readTestExamples {
		t.Run(ex.short, func(t *testing.T) {
			sub := readTestCheckExample(t, std, ex, filled[i], ex.short+".xlsx")
			if ex.short == "省常技" {
				if sub.ContactName != "张三" || sub.ContactPhone != "0519-86668888" {
					t.Errorf("contact %q %q", sub.ContactName, sub.ContactPhone)
				}
				if p := sub.Facts.Self[4]; p != 1790 {
					t.Errorf("self_4 = %s, want 17.90", p)
				}
			}
		})
	}
}

// The LibreOffice testdata: 省常技's example filled by fill.py, then
//
//   - testdata/filled-libreoffice.xlsx: re-saved by LibreOffice
//     (soffice --headless --convert-to xlsx), which rewrites the defined
//     names without quotes and adds cached formula values;
//   - testdata/filled-row-inserted.xlsx: one row inserted above row 3 of
//     完成情况 and 自评分 by LibreOffice (the Basic macro
//     testdata/insert_rows.xba), so every field cell and defined name moved
//     one row down.
//
// Regenerate both (needs soffice, python3-openpyxl) with
//
//	KAOHE_REGEN_TESTDATA=1 go test ./sheets -run TestReadRegenerateTestdata
const (
	readTestLibreOffice = "testdata/filled-libreoffice.xlsx"
	readTestRowInserted = "testdata/filled-row-inserted.xlsx"
)

func TestReadLibreOffice(t *testing.T) {
	std := tmplTestStd(t)
	ex := readTestExamples[1]
	fresh := book.Resolve(tmplTestOpen(t, tmplTestWrite(t, std, tmplTestInst(t, std, ex.short))))
	for _, c := range []struct {
		name, file string
		rowShift   int
	}{
		{"re-saved", readTestLibreOffice, 0},
		{"row inserted", readTestRowInserted, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			readTestCheckExample(t, std, ex, b, filepath.Base(c.file))
			f := tmplTestOpen(t, b)
			names := book.Resolve(f)
			for _, fd := range templates.Fields {
				was, _, _ := fresh.Lookup(fd.Name)
				now, _, _ := names.Lookup(fd.Name)
				wc, wr, _ := excelize.CellNameToCoordinates(was.Cell)
				nc, nr, _ := excelize.CellNameToCoordinates(now.Cell)
				if now.Sheet != was.Sheet || nc != wc || nr != wr+c.rowShift {
					t.Errorf("%s: at %s!%s, want %d rows below %s!%s", fd.Name, now.Sheet, now.Cell, c.rowShift, was.Sheet, was.Cell)
				}
			}
			for _, dn := range f.GetDefinedName() {
				if strings.HasPrefix(dn.RefersTo, "'") {
					t.Errorf("%s: LibreOffice wrote %q; the test expects its unquoted form", dn.Name, dn.RefersTo)
				}
			}
			if c.rowShift > 0 {
				if v, _ := f.GetCellValue(TemplateSheetFacts, "A3"); v != "inserted" {
					t.Errorf("完成情况!A3 = %q, want the inserted row's marker", v)
				}
			}
		})
	}
}

// TestReadRegenerateTestdata rewrites the LibreOffice testdata; it runs
// only with KAOHE_REGEN_TESTDATA=1 (see readTestLibreOffice).
func TestReadRegenerateTestdata(t *testing.T) {
	if os.Getenv("KAOHE_REGEN_TESTDATA") == "" {
		t.Skip("set KAOHE_REGEN_TESTDATA=1 to regenerate the LibreOffice testdata")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal(err)
	}
	std := tmplTestStd(t)
	ex := readTestExamples[1]
	dir := t.TempDir()
	tpl := readTestTemplates(t, std, dir, ex.short)
	filled := filepath.Join(dir, "filled.xlsx")
	readTestFill(t, []readTestJob{{In: tpl[ex.short], Out: filled, Values: ex.values}})

	profile := filepath.Join(dir, "profile")
	lo := func(args ...string) {
		t.Helper()
		args = append([]string{"--headless", "--norestore", "-env:UserInstallation=file://" + profile}, args...)
		if out, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
			t.Fatalf("soffice %v: %v\n%s", args, err, out)
		}
	}
	lo("--terminate_after_init")
	macro, err := os.ReadFile(filepath.Join("testdata", "insert_rows.xba"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "user", "basic", "Standard", "Module1.xba"), macro, 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "out")
	lo("--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, filled)
	inserted := filepath.Join(dir, "inserted.xlsx")
	lo(fmt.Sprintf("macro:///Standard.Module1.InsertRows(%s,%s)", filled, inserted))
	for src, dst := range map[string]string{filepath.Join(out, "filled.xlsx"): readTestLibreOffice, inserted: readTestRowInserted} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTestIssue is an expected issue; the place is the field's cell in the
// template, or none for a field without a usable defined name (and so no cell).
type readTestIssue struct {
	sev   Severity
	field string
	value string
	msg   string
}

func TestReadBadInput(t *testing.T) {
	std := tmplTestStd(t)
	dir := t.TempDir()
	tpl := readTestTemplates(t, std, dir, "省常技")
	places := book.Resolve(tmplTestOpen(t, readTestMust(os.ReadFile(tpl["省常技"]))))
	countMsg := func(v string) string { return "「" + v + "」不是非负整数；应填写非负整数，如 1200" }
	fracMsg := func(v string) string {
		return "「" + v + "」有小数部分，不是整数；应填写非负整数，如 1200（整数写成 1200.0 也可以）"
	}
	negMsg := func(v string) string {
		return "「" + v + "」是负数；应填写非负整数，如 1200，没有请填 0"
	}
	yesNoMsg := func(v string) string {
		return "「" + v + "」不是“是”或“否”；应从下拉列表中选择“是”或“否”"
	}
	cases := []struct {
		name   string
		values map[string]any // over readTestBase
		want   []readTestIssue
		check  func(t *testing.T, s *Submission)
	}{
		{name: "base is clean", check: func(t *testing.T, s *Submission) {
			if s.Facts.Values["actual_appraised"] != 9500 {
				t.Errorf("actual_appraised = %d", s.Facts.Values["actual_appraised"])
			}
		}},
		{name: "count in Chinese words", values: map[string]any{"actual_certified": "一千二"},
			want: []readTestIssue{{Error, "actual_certified", "一千二", countMsg("一千二")}}},
		{name: "fraction as text", values: map[string]any{"actual_appraised": "1.5"},
			want: []readTestIssue{{Error, "actual_appraised", "1.5", fracMsg("1.5")}}},
		{name: "fraction as number", values: map[string]any{"i1_competitions": 1.5},
			want: []readTestIssue{{Error, "i1_competitions", "1.5", fracMsg("1.5")}}},
		{name: "fraction after a whole number with grouping", values: map[string]any{"i7_arrears_yuan": "1,200.5"},
			want: []readTestIssue{{Error, "i7_arrears_yuan", "1,200.5", fracMsg("1,200.5")}}},
		{name: "negative as text", values: map[string]any{"i4_dev_projects": "-3"},
			want: []readTestIssue{{Error, "i4_dev_projects", "-3", negMsg("-3")}}},
		{name: "negative as number", values: map[string]any{"i7_arrears_yuan": -3},
			want: []readTestIssue{{Error, "i7_arrears_yuan", "-3", negMsg("-3")}}},
		{name: "whole numbers written with .0 are the numbers",
			values: map[string]any{"i7_arrears_yuan": "1200.0", "i1_competitions": "2.0", "i4_dev_projects": "１．０", "i4_meetings_hosted": "1,000.00", "self_1": "30.000", "self_4": "17.900"},
			check: func(t *testing.T, s *Submission) {
				v := s.Facts.Values
				if v["i7_arrears_yuan"] != 1200 || v["i1_competitions"] != 2 || v["i4_dev_projects"] != 1 || v["i4_meetings_hosted"] != 1000 {
					t.Errorf("values = %v", v)
				}
				if s.Facts.Self[1] != 3000 || s.Facts.Self[4] != 1790 {
					t.Errorf("self = %v", s.Facts.Self)
				}
			}},
		{name: "bad thousands grouping", values: map[string]any{"i7_arrears_yuan": "1,20"},
			want: []readTestIssue{{Error, "i7_arrears_yuan", "1,20", countMsg("1,20")}}},
		{name: "count with unit", values: map[string]any{"i4_experts_recommended": "3人"},
			want: []readTestIssue{{Error, "i4_experts_recommended", "3人", countMsg("3人")}}},
		{name: "boolean in a count", values: map[string]any{"i1_competitions": true},
			want: []readTestIssue{{Error, "i1_competitions", "TRUE", countMsg("TRUE")}}},
		{name: "zero fraction is whole", values: map[string]any{"i1_competitions": "1.00", "i4_experts_recommended": 3.0}},
		{name: "blank required", values: map[string]any{"actual_passed": nil},
			want: []readTestIssue{{Error, "actual_passed", "", "必填项未填写；应填写非负整数，如 1200，没有请填 0"}}},
		{name: "blank optional is zero", values: map[string]any{"i1_competitions": nil, "i4_dev_projects": "  "},
			check: func(t *testing.T, s *Submission) {
				if v, ok := s.Facts.Values["i1_competitions"]; !ok || v != 0 {
					t.Errorf("i1_competitions = %d, %v", v, ok)
				}
			}},
		{name: "formula in a field", values: map[string]any{"actual_unified_exam": "=500+20"},
			want: []readTestIssue{{Error, "actual_unified_exam", "=500+20", "单元格中是公式「=500+20」；请直接填写数值，不要使用公式"}}},
		{name: "formula in a self-score", values: map[string]any{"self_9": "=5"},
			want: []readTestIssue{{Error, "self_9", "=5", "单元格中是公式「=5」；请直接填写数值，不要使用公式"}}},
		{name: "passed above appraised", values: map[string]any{"actual_passed": 9600},
			want: []readTestIssue{{Error, "actual_passed", "9600", "9600 大于「职业技能鉴定人数 实际完成」9500；合格人数不能超过鉴定人数"}}},
		{name: "certified above appraised", values: map[string]any{"actual_certified": "9,600"},
			want: []readTestIssue{{Warning, "actual_certified", "9600", "9600 大于「职业技能鉴定人数 实际完成」9500；取证人数一般不超过鉴定人数，请核对"}}},
		{name: "unknown institution", values: map[string]any{"inst_name": "常柴"},
			want: []readTestIssue{{Error, "inst_name", "常柴", "「常柴」不是 2013 年度目标任务分解表（附件2）中的鉴定机构；可能是：「常柴国家职业技能鉴定所」。请使用市中心下发给本机构的自评表，不要修改鉴定机构名称"}},
			check: func(t *testing.T, s *Submission) {
				if s.Institution.Name != "" || s.Facts.Institution != "常柴" {
					t.Errorf("institution %q, facts %q", s.Institution.Name, s.Facts.Institution)
				}
			}},
		{name: "abbreviated institution", values: map[string]any{"inst_name": "常武所"},
			want: []readTestIssue{{Error, "inst_name", "常武所", "「常武所」不是 2013 年度目标任务分解表（附件2）中的鉴定机构；可能是：「常武国家职业技能鉴定所」「常武交国家职业技能鉴定所」「常武技国家职业技能鉴定所」。请使用市中心下发给本机构的自评表，不要修改鉴定机构名称"}}},
		{name: "unrelated institution", values: map[string]any{"inst_name": "北京某某公司"},
			want: []readTestIssue{{Error, "inst_name", "北京某某公司", "「北京某某公司」不是 2013 年度目标任务分解表（附件2）中的鉴定机构。请使用市中心下发给本机构的自评表，不要修改鉴定机构名称"}}},
		{name: "institution with spaces", values: map[string]any{"inst_name": "\u3000省常技国家职业技能鉴定所 "}},
		{name: "wrong year", values: map[string]any{"template_year": 2012},
			want: []readTestIssue{{Error, "template_year", "2012", "这是 2012 年度的自评表，本次考核为 2013 年度；请使用市中心下发的 2013 年度自评表"}}},
		{name: "targets changed", values: map[string]any{"target_certified": 9000, "target_appraised": "九千"},
			want: []readTestIssue{
				{Warning, "target_appraised", "九千", "「九千」不是非负整数；按目标任务分解表（附件2）的 9000 计算"},
				{Warning, "target_certified", "9000", "与目标任务分解表（附件2）不一致：表中为 9000，按附件2的 7500 计算"},
			},
			check: func(t *testing.T, s *Submission) {
				if s.Facts.Values["target_certified"] != 7500 {
					t.Errorf("target_certified = %d, want the allocation's 7500", s.Facts.Values["target_certified"])
				}
			}},
		{name: "blank self-score", values: map[string]any{"self_3": nil},
			want: []readTestIssue{{Warning, "self_3", "", "自评分未填写"}},
			check: func(t *testing.T, s *Submission) {
				if _, ok := s.Facts.Self[3]; ok || len(s.Facts.Self) != 8 {
					t.Errorf("Self = %v", s.Facts.Self)
				}
			}},
		{name: "self-score with three decimals", values: map[string]any{"self_4": "17.905"},
			want: []readTestIssue{{Error, "self_4", "17.905", "「17.905」超过两位小数；应填写如 29.3 的分数，最多两位小数"}}},
		{name: "negative self-score", values: map[string]any{"self_4": -1},
			want: []readTestIssue{{Error, "self_4", "-1", "「-1」不是最多两位小数的非负分数；应填写如 29.3 的分数"}}},
		{name: "yes/no not a choice", values: map[string]any{"i6_online_pilot": "可能"},
			want: []readTestIssue{{Error, "i6_online_pilot", "可能", yesNoMsg("可能")}}},
		{name: "yes/no number 2", values: map[string]any{"i6_platform_first": 2},
			want: []readTestIssue{{Error, "i6_platform_first", "2", yesNoMsg("2")}}},
	}
	for _, v := range []any{"是", "Y", "y", "yes", "YES", "True", "true", " 1 ", 1, true, "ｙ"} {
		cases = append(cases, struct {
			name   string
			values map[string]any
			want   []readTestIssue
			check  func(t *testing.T, s *Submission)
		}{name: fmt.Sprintf("yes %#v", v), values: map[string]any{"i6_online_pilot": v}, check: readTestYesNo(1)})
	}
	for _, v := range []any{"否", "N", "no", "FALSE", "0", 0, false, nil, " "} {
		cases = append(cases, struct {
			name   string
			values map[string]any
			want   []readTestIssue
			check  func(t *testing.T, s *Submission)
		}{name: fmt.Sprintf("no %#v", v), values: map[string]any{"i6_online_pilot": v}, check: readTestYesNo(0)})
	}

	var jobs []readTestJob
	for i, c := range cases {
		values := readTestBase()
		for k, v := range c.values {
			values[k] = v
		}
		jobs = append(jobs, readTestJob{In: tpl["省常技"], Out: filepath.Join(dir, fmt.Sprintf("case%d.xlsx", i)), Values: values})
	}
	filled := readTestFill(t, jobs)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := readTest(bytes.NewReader(filled[i]), "上传.xlsx", std, DefaultLimits())
			readTestIssues(t, sub, places, c.want)
			if c.check != nil {
				c.check(t, sub)
			}
		})
	}

	// The spec's example, as people read it.
	t.Run("issue string", func(t *testing.T) {
		i := 1 // count in Chinese words
		sub := readTest(bytes.NewReader(filled[i]), "上传.xlsx", std, DefaultLimits())
		at, _, _ := places.Lookup("actual_certified")
		want := "完成情况!" + at.Cell + "「职业资格取证人数 实际完成」: 「一千二」不是非负整数；应填写非负整数，如 1200"
		if len(sub.Issues) != 1 || sub.Issues[0].String() != want || sub.Issues[0].File != "上传.xlsx" {
			t.Errorf("issues %v, want %q", sub.Issues, want)
		}
	})
}

func readTestYesNo(want int64) func(t *testing.T, s *Submission) {
	return func(t *testing.T, s *Submission) {
		if v, ok := s.Facts.Values["i6_online_pilot"]; !ok || v != want {
			t.Errorf("i6_online_pilot = %d (present %v), want %d", v, ok, want)
		}
	}
}

func readTestMust(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// readTestIssues compares the issues with want, in order, place included.
func readTestIssues(t *testing.T, sub *Submission, places *book.Names, want []readTestIssue) {
	t.Helper()
	if sub == nil {
		t.Fatal("Read returned nil")
	}
	format := func(sev Severity, field, place, value, msg string) string {
		return fmt.Sprintf("%s %s @%s value=%q: %s", sev, field, place, value, msg)
	}
	var got, exp []string
	for _, is := range sub.Issues {
		got = append(got, format(is.Severity, is.Field, is.Place(), is.Value, is.Message))
		if is.File != sub.File {
			t.Errorf("issue %v: file %q, want %q", is, is.File, sub.File)
		}
		if is.Field != "" {
			if fd, _ := templates.FieldByName(is.Field); is.Label != fd.Label {
				t.Errorf("issue %v: label %q, want %q", is, is.Label, fd.Label)
			}
		}
	}
	for _, w := range want {
		place := ""
		if w.field != "" && !strings.Contains(w.msg, "定义名称") {
			if at, _, ok := places.Lookup(w.field); ok {
				place = at.Sheet + "!" + at.Cell
			}
		}
		exp = append(exp, format(w.sev, w.field, place, w.value, w.msg))
	}
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
}

// Workbooks that are not filled templates at all, or whose names are broken.
func TestReadNotATemplate(t *testing.T) {
	std := tmplTestStd(t)
	inst := tmplTestInst(t, std, "省常技")
	plain := excelize.NewFile()
	var plainBytes bytes.Buffer
	if _, err := plain.WriteTo(&plainBytes); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	template := tmplTestWrite(t, std, inst)
	places := book.Resolve(tmplTestOpen(t, template))
	// a filled template (by Fill, so this test needs no python) edited by edit
	filled := readTestFillGo(t, template, readTestBase())
	edited := func(edit func(f *excelize.File) error) []byte {
		f := tmplTestOpen(t, filled)
		if err := edit(f); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := f.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	cases := []struct {
		name string
		data []byte
		lim  Limits
		want []readTestIssue
	}{
		{name: "filled by Fill", data: filled},
		{name: "plain new workbook", data: plainBytes.Bytes(),
			want: []readTestIssue{{Error, "", "", "不是本年度的自评表模板（没有找到定义名称 template_year、inst_name 等），请使用市中心下发的模板"}}},
		{name: "garbage bytes", data: []byte("this is not a workbook at all"),
			want: []readTestIssue{{Error, "", "", "这是文本文件，只是扩展名为 .xlsx，不是 Excel 工作簿；请在市中心下发的 .xlsx 自评表中填写，保存后上传工作簿文件本身"}}},
		{name: "binary garbage", data: []byte("\x00\x01\x02\x03 not a workbook \x00\x00\x00\x00\x00\x00"),
			want: []readTestIssue{{Error, "", "", "无法识别的文件格式，不是 Excel 工作簿（.xlsx）；请用 Excel、WPS 或 LibreOffice 打开后另存为 .xlsx（Excel 工作簿）格式再上传"}}},
		{name: "empty file", data: nil,
			want: []readTestIssue{{Error, "", "", "文件是空的（0 字节），可能上传没有完成；请重新上传填好的自评表"}}},
		{name: "zip but not a workbook", data: readTestZip(t),
			want: []readTestIssue{{Error, "", "", "这不是 Excel 工作簿（文件中没有工作簿部件）；请在市中心下发的 .xlsx 自评表中填写，保存后上传工作簿文件本身"}}},
		{name: "too big", data: bytes.Repeat([]byte{0}, 1<<20+1), lim: Limits{MaxFileBytes: 1 << 20},
			want: []readTestIssue{{Error, "", "", "文件超过 1 MB，不像是自评表（正常约 20 KB）；请使用市中心下发的模板填写后重新上传"}}},
		{name: "unzips too big", data: template, lim: Limits{UnzipSizeLimit: 32 << 10, UnzipXMLSizeLimit: 1000},
			want: []readTestIssue{{Error, "", "", "工作簿解压后超过 0.03 MB，不像是自评表（正常不到 1 MB）；请删除多余的图片或内容，或使用市中心下发的模板重新填写后上传"}}},
		{name: "name deleted", data: edited(func(f *excelize.File) error {
			return f.DeleteDefinedName(&excelize.DefinedName{Name: "i1_competitions"})
		}), want: []readTestIssue{{Error, "i1_competitions", "", "缺少位置：自评表中找不到「配合市中心赛事活动次数」所在的单元格（定义名称 i1_competitions 已被删除或改名）；请用市中心下发的自评表模板重新填写，不要删除或修改定义名称（公式 → 名称管理器）"}}},
		{name: "name made a range", data: edited(func(f *excelize.File) error {
			if err := f.DeleteDefinedName(&excelize.DefinedName{Name: "i4_leaks"}); err != nil {
				return err
			}
			return f.SetDefinedName(&excelize.DefinedName{Name: "i4_leaks", RefersTo: "'完成情况'!$D$20:$D$21"})
		}), want: []readTestIssue{{Error, "i4_leaks", "", "缺少位置：定义名称 i4_leaks 指向「'完成情况'!$D$20:$D$21」，是一个区域，应指向一个单元格；请用市中心下发的自评表模板重新填写，不要删除或修改定义名称（公式 → 名称管理器）"}}},
		{name: "name made sheet-scoped", data: edited(func(f *excelize.File) error {
			at, _, _ := places.Lookup("i4_leaks")
			if err := f.DeleteDefinedName(&excelize.DefinedName{Name: "i4_leaks"}); err != nil {
				return err
			}
			return f.SetDefinedName(&excelize.DefinedName{Name: "i4_leaks", RefersTo: book.AbsRef(at.Sheet, at.Cell), Scope: TemplateSheetFacts})
		}), want: []readTestIssue{{Error, "i4_leaks", "", "缺少位置：定义名称 i4_leaks 只定义在工作表「完成情况」范围内，应为工作簿范围；请用市中心下发的自评表模板重新填写，不要删除或修改定义名称（公式 → 名称管理器）"}}},
		{name: "sheet-scoped duplicate does not shadow", data: edited(func(f *excelize.File) error {
			return f.SetDefinedName(&excelize.DefinedName{Name: "actual_passed", RefersTo: "'填表说明'!$B$3", Scope: TemplateSheetGuide})
		})},
		{name: "sheet renamed", data: edited(func(f *excelize.File) error {
			return f.SetSheetName(TemplateSheetSelf, "自评分（改）")
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := readTest(bytes.NewReader(c.data), "上传.xlsx", std, c.lim)
			readTestIssues(t, sub, places, c.want)
		})
	}
}

// readTestFillGo fills a template with Fill, typing text and numbers as given.
func readTestFillGo(t *testing.T, template []byte, values map[string]any) []byte {
	t.Helper()
	conv := map[string]any{}
	for k, v := range values {
		if f, ok := v.(float64); ok {
			v = templates.Points(f*100 + 0.5)
		}
		conv[k] = v
	}
	var b bytes.Buffer
	if err := Fill(bytes.NewReader(template), &b, conv); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readTestZip is a zip file that is not a workbook.
func readTestZip(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	// keep the zip container, break the workbook part's name
	return bytes.ReplaceAll(b.Bytes(), []byte("xl/workbook.xml"), []byte("xl/workbook.xmX"))
}

func TestReadNumbers(t *testing.T) {
	cases := []struct {
		raw, want string
	}{
		{"120", "120"}, {"1200", "1200"}, {"1.2E3", "1200"}, {"1.2e+3", "1200"},
		{"17.899999999999999", "17.9"}, {"17.900000000000002", "17.9"}, {"0.30000000000000004", "0.3"},
		{"29.299999999999997", "29.3"}, {"-3", "-3"}, {"1.5", "1.5"}, {"123456789012345", "123456789012345"},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			r, ok := readNumber(c.raw)
			if !ok || readRatText(r) != c.want {
				t.Errorf("readNumber(%q) = %v %v, want %s", c.raw, r, ok, c.want)
			}
		})
	}
	for _, bad := range []string{"", "abc", "1,200", "NaN", "Inf"} {
		if r, ok := readNumber(bad); ok {
			t.Errorf("readNumber(%q) = %v, want failure", bad, r)
		}
	}
	counts := []struct {
		text string
		want int64
		ok   bool
	}{
		{"1200", 1200, true}, {"1,200", 1200, true}, {"1，200", 1200, true}, {"１２０", 120, true}, {" 7 ", 7, true},
		{"\u30007\u3000", 7, true}, {"\u00a07", 7, true}, {"1,234,567", 1234567, true}, {"12.0", 12, true},
		{"一千二", 0, false}, {"1.5", 0, false}, {"-3", 0, false}, {"12,00", 0, false}, {",200", 0, false},
		{"1 200", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"+5", 0, false}, {"1234567890123456", 0, false},
	}
	for _, c := range counts {
		if got, ok := readCountText(c.text); got != c.want || ok != c.ok {
			t.Errorf("readCountText(%q) = %d, %v; want %d, %v", c.text, got, ok, c.want, c.ok)
		}
	}
}

func TestFill(t *testing.T) {
	std := tmplTestStd(t)
	template := tmplTestWrite(t, std, tmplTestInst(t, std, "常柴"))
	cases := []struct {
		name   string
		values map[string]any
		err    error
		check  map[string]string // field → raw value read back
	}{
		{name: "types", values: map[string]any{
			"actual_appraised": 120, "actual_certified": int64(100), "i6_online_pilot": "是", "self_4": templates.Points(1790),
			"contact_name": "张三", "i1_competitions": "1,200",
		}, check: map[string]string{"actual_appraised": "120", "actual_certified": "100", "i6_online_pilot": "是", "self_4": "17.9", "contact_name": "张三", "i1_competitions": "1,200"}},
		{name: "unknown name", values: map[string]any{"actual_appraised": 1, "no_such_field": 1}, err: ErrUnknownName},
		{name: "unsupported type", values: map[string]any{"actual_appraised": []int{1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Fill(bytes.NewReader(template), &out, c.values)
			if c.check == nil {
				if err == nil || (c.err != nil && !errors.Is(err, c.err)) {
					t.Fatalf("Fill error = %v, want %v", err, c.err)
				}
				if out.Len() != 0 {
					t.Error("Fill wrote a workbook despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := tmplTestOpen(t, out.Bytes())
			names := book.Resolve(f)
			for name, want := range c.check {
				at, _, _ := names.Lookup(name)
				got, _ := f.GetCellValue(at.Sheet, at.Cell, excelize.Options{RawCellValue: true})
				if got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
				// the cell keeps its input style
				id, _ := f.GetCellStyle(at.Sheet, at.Cell)
				if st, _ := f.GetStyle(id); st.Protection == nil || st.Protection.Locked {
					t.Errorf("%s lost its unlocked style", name)
				}
			}
		})
	}
}
