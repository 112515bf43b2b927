package sheets

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/officetest"
	"kaohe/templates"
	"kaohe/templates/score"
)

// -update rewrites the golden files. Another test file of this package may
// define the same flag; it is registered here only when it is not yet, in
// init, which runs after every package-level variable of the package.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func repUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// repTrickyValues are values a submission may hold that look like formulas
// or carry characters a careless writer would lose.
var repTrickyValues = []string{
	`=HYPERLINK("http://x","y")`, "+1", "-2", "@SUM(A1)", "\tx", "\rcr", "=1+2", "_x0041_", " lead and trail ",
}

var repCST = time.FixedZone("CST", 8*3600)

func repTime(day, hour, minute int) time.Time {
	return time.Date(2013, 12, day, hour, minute, 0, 0, repCST)
}

func repHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// repFacts makes deterministic synthetic facts for the i-th institution.
func repFacts(std *templates.Standard, i int, in templates.Institution) score.Facts {
	t := in.Targets
	pct := int64(70 + (i*13)%60) // 70% … 129% of the targets
	v := map[string]int64{
		templates.FieldActualAppraised: t.Appraised * pct / 100,
		templates.FieldActualCertified: t.Certified * pct / 100,
		templates.FieldActualUnified:   t.UnifiedExam * (pct + 5) / 100,
		templates.FieldActualHighSkill: t.HighSkill * (pct - 10) / 100,
		"i6_online_pilot":              int64(i % 3 % 2),
		"i1_competitions":              int64(i % 4 / 3),
		"i6_declaration_errors":        int64(i % 5 / 4),
	}
	v[templates.FieldActualPassed] = v[templates.FieldActualAppraised] * (75 + int64(i%10)) / 100
	switch i {
	case 9: // 常工程: arrears → 取消评优资格
		v["i7_arrears_yuan"] = 25000
	case 16: // 常医药: a leak → 取消评优资格
		v["i4_leaks"] = 1
	}
	self := map[int]templates.Points{}
	for _, it := range std.Items {
		if i == 3 && it.No == 9 {
			continue // a blank self-score
		}
		self[it.No] = it.Max
	}
	return score.Facts{Institution: in.Name, Year: std.Year, Values: v, Self: self}
}

// repFixture is a report for all 32 institutions of 2013: three 未提交, one
// 未通过校验, one superseded upload, one late refused file, and issues with
// formula-looking values.
type repFixtureData struct {
	rep    *Report
	ranked []score.Ranked
}

func repFixture(t *testing.T) repFixtureData {
	t.Helper()
	std, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	missing := map[int]bool{5: true, 12: true, 24: true}
	const rejected = 20
	var results []score.Result
	uploads := map[string]*Upload{}
	var all []Upload
	var issues []Issue
	for i, in := range std.Institutions {
		if missing[i] {
			continue
		}
		file := fmt.Sprintf("%s-自评表.xlsx", strings.TrimSuffix(in.Name, "国家职业技能鉴定所"))
		u := &Upload{File: file, Institution: in.Name, Received: repTime(20+i%10, 9+i%8, i), Hash: repHash(file), Status: StatusAccepted}
		if i == rejected {
			u.File = "=1+2.xlsx"
			u.Hash = repHash(u.File)
			u.Status = StatusRejected
			for k, val := range repTrickyValues {
				issues = append(issues, Issue{Severity: Error, File: u.File, Sheet: "完成情况", Cell: fmt.Sprintf("C%d", 5+k),
					Field: "actual_certified", Label: "职业资格取证人数 实际完成", Value: val, Message: fmt.Sprintf("「%s」不是非负整数", val)})
			}
			u.Errors = len(repTrickyValues)
		} else {
			results = append(results, score.Score(std, in, repFacts(std, i, in)))
		}
		if i == 2 || i == 7 {
			issues = append(issues, Issue{Severity: Warning, File: u.File, Sheet: "自评", Cell: "C4", Field: "self_1",
				Label: "自评分 第1项", Value: "30", Message: "自评分高于核定分，请核对"})
			u.Warnings = 1
		}
		uploads[in.Name] = u
		all = append(all, *u)
	}
	// An earlier upload of 常柴, superseded by the accepted one.
	all = append(all, Upload{File: "常柴-自评表(初稿).xlsx", Institution: std.Institutions[0].Name, Received: repTime(18, 8, 0),
		Hash: repHash("draft"), Status: StatusSuperseded, Note: "已被 2013-12-20 09:00 上传的文件替代"})
	// A late file of 常科教城, refused.
	all = append(all, Upload{File: "科教城.xlsx", Institution: std.Institutions[24].Name, Received: time.Date(2014, 1, 3, 10, 0, 0, 0, repCST),
		Hash: repHash("late"), Status: StatusRejected, Late: true, Note: "截止时间后收到，不予受理"})
	// Newest first.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].Received.After(all[j-1].Received); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	ranked := score.Rank(results, score.Dense)
	rep := &Report{Standard: std, AsOf: repTime(31, 18, 5), Uploads: all, Issues: issues}
	for i := range ranked {
		r := ranked[i]
		rep.Standings = append(rep.Standings, Standing{Institution: r.Institution, Status: StatusAccepted, Ranked: &r, Upload: uploads[r.Institution.Name]})
	}
	for i, in := range std.Institutions {
		switch {
		case missing[i]:
			rep.Standings = append(rep.Standings, Standing{Institution: in, Status: StatusMissing})
		case i == rejected:
			rep.Standings = append(rep.Standings, Standing{Institution: in, Status: StatusRejected, Upload: uploads[in.Name]})
		}
	}
	return repFixtureData{rep: rep, ranked: ranked}
}

func repWrite(t *testing.T, rep *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteReport(&buf, rep); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	return buf.Bytes()
}

func repOpen(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("reading the workbook back: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func repCell(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

func repRow(t *testing.T, f *excelize.File, sheet string, row int) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if row > len(rows) {
		return nil
	}
	return rows[row-1]
}

// repPad copies row, padded to at least n cells.
func repPad(row []string, n int) []string {
	out := make([]string, max(n, len(row)))
	copy(out, row)
	return out
}

// repZip returns the parts of an xlsx by name.
func repZip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[zf.Name] = string(data)
	}
	return parts
}

// repDump is a normalised text dump of every sheet's cells (formatted
// values, formulas, merged ranges), for comparing workbooks.
func repDump(t *testing.T, f *excelize.File) string {
	t.Helper()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		fmt.Fprintf(&b, "== %s\n", sheet)
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				formula, _ := f.GetCellFormula(sheet, ref)
				if v == "" && formula == "" {
					continue
				}
				fmt.Fprintf(&b, "%s %q", ref, v)
				if formula != "" {
					fmt.Fprintf(&b, " formula=%q", formula)
				}
				b.WriteByte('\n')
			}
		}
		merged, err := f.GetMergeCells(sheet, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range merged {
			fmt.Fprintf(&b, "merged %s:%s\n", m.GetStartAxis(), m.GetEndAxis())
		}
	}
	return b.String()
}

func TestReportSheetsAndHeader(t *testing.T) {
	fx := repFixture(t)
	f := repOpen(t, repWrite(t, fx.rep))
	want := []string{"排名", "评分明细", "核查记录", "目标完成", "提交情况", "校验问题", "核定总分图", "取证完成率图"}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sheets = %v, want %v", got, want)
	}
	header := repRow(t, f, "排名", 1)
	if len(header) < 4 || strings.Join(header[:4], ",") != "名次,鉴定机构,核定总分,自评总分" {
		t.Fatalf("排名 row 1 = %q, want it to begin 名次, 鉴定机构, 核定总分, 自评总分", header)
	}
	wantHeader := "名次,鉴定机构,核定总分,自评总分,差值,评优资格,提交时间,状态,文件,核查"
	if got := strings.Join(header, ","); got != wantHeader {
		t.Errorf("排名 header = %s, want %s", got, wantHeader)
	}
	for _, sheet := range []string{"排名", "评分明细", "提交情况", "校验问题"} {
		p, err := f.GetPanes(sheet)
		if err != nil || !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s: panes = %+v, %v; want the header row frozen", sheet, p, err)
		}
	}
	if p, _ := f.GetPanes("目标完成"); !p.Freeze || p.YSplit != 2 {
		t.Errorf("目标完成: panes = %+v; want two header rows frozen", p)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Creator != "kaohe" || props.Created != "2013-12-31T10:05:00Z" || props.Modified != props.Created {
		t.Errorf("document properties = %+v, want creator kaohe and the run's time", props)
	}
	layout, err := f.GetPageLayout("排名")
	if err != nil || layout.Orientation == nil || *layout.Orientation != "landscape" || layout.Size == nil || *layout.Size != 9 {
		t.Errorf("排名 page layout = %+v, %v; want A4 landscape", layout, err)
	}
	var titles []string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles = append(titles, dn.Scope+"="+dn.RefersTo)
		}
	}
	if !strings.Contains(strings.Join(titles, " "), "排名='排名'!$1:$1") {
		t.Errorf("print titles = %v, want the 排名 header repeated", titles)
	}
}

func TestReportRanking(t *testing.T) {
	fx := repFixture(t)
	f := repOpen(t, repWrite(t, fx.rep))
	rows, err := f.GetRows("排名")
	if err != nil {
		t.Fatal(err)
	}
	n := len(fx.ranked)
	if n != 28 {
		t.Fatalf("fixture: %d ranked, want 28", n)
	}
	for i, r := range fx.ranked {
		row := rows[i+1]
		want := []string{fmt.Sprint(r.Rank), r.Institution.Name, r.Total.String(), r.SelfTotal.String()}
		if strings.Join(row[:4], "|") != strings.Join(want, "|") {
			t.Errorf("排名 row %d = %q, want %q", i+2, row[:4], want)
		}
		if got := row[5]; got != r.Eligibility() {
			t.Errorf("排名 row %d 评优资格 = %q, want %q", i+2, got, r.Eligibility())
		}
		typ, _ := f.GetCellType("排名", fmt.Sprintf("C%d", i+2))
		raw, _ := f.GetCellValue("排名", fmt.Sprintf("C%d", i+2), excelize.Options{RawCellValue: true})
		if typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString || raw != fmt.Sprint(r.Total.Float()) {
			t.Errorf("排名!C%d: type %v raw %q, want the number %v", i+2, typ, raw, r.Total.Float())
		}
	}
	wantUnranked := map[string]string{
		"常旅游国家职业技能鉴定所": "未提交", "常武交国家职业技能鉴定所": "未提交", "常科教城国家职业技能鉴定所": "未提交",
		"常铁校国家职业技能鉴定所": "未通过校验",
	}
	unranked := len(wantUnranked)
	for i := n + 1; i < n+1+unranked; i++ {
		row := repPad(rows[i], 10)
		status, ok := wantUnranked[row[1]]
		if !ok {
			t.Errorf("排名 row %d: %q is not one of the unranked", i+1, row[1])
			continue
		}
		if row[0] != "" || row[2] != "" || row[7] != status || row[9] != "" {
			t.Errorf("排名 row %d = %q, want an empty 名次, 核定总分 and 核查, status %s", i+1, row[:10], status)
		}
		delete(wantUnranked, row[1])
	}
	if len(wantUnranked) != 0 {
		t.Errorf("missing unranked rows: %v", wantUnranked)
	}
	if len(rows[n+5]) != 0 || !strings.HasPrefix(repPad(rows[n+6], 1)[0], "说明：") {
		t.Errorf("want a blank row and notes under the table, got %q, %q", rows[n+5], rows[n+6])
	}
	parts := repZip(t, repWrite(t, fx.rep))
	if !regexp.MustCompile(`<autoFilter ref="\$?A\$?1:\$?J\$?33"`).MatchString(parts["xl/worksheets/sheet1.xml"]) {
		t.Errorf("排名: no auto-filter over A1:J33")
	}
}

func TestReportDetailsAndTargets(t *testing.T) {
	fx := repFixture(t)
	f := repOpen(t, repWrite(t, fx.rep))
	if got := strings.Join(repRow(t, f, "评分明细", 1), ","); got != "鉴定机构,序号,考核内容,分值,自评分,按自报计算,核定分,差值,评分依据" {
		t.Errorf("评分明细 header = %s", got)
	}
	first := fx.ranked[0]
	for k, is := range first.Items {
		row := repRow(t, f, "评分明细", 2+k)
		want := []string{first.Institution.Name, fmt.Sprint(is.No), fx.rep.Standard.Items[k].Title,
			fx.rep.Standard.Items[k].Max.String(), is.Self.String(), is.Points.String(), is.Points.String()}
		if strings.Join(row[:7], "|") != strings.Join(want, "|") || row[8] != is.Basis {
			t.Errorf("评分明细 row %d = %q, want %q … %q", 2+k, row, want, is.Basis)
		}
	}
	total := repRow(t, f, "评分明细", 11)
	if total[2] != "合计" || total[5] != first.Total.String() || total[6] != first.Total.String() {
		t.Errorf("评分明细 row 11 = %q, want the 合计 row", total)
	}

	// The fixture's fourth institution left item 9's self-score blank: no
	// 差值 against 0 there.
	rows, err := f.GetRows("评分明细")
	if err != nil {
		t.Fatal(err)
	}
	blank := fx.rep.Standard.Institutions[3].Name
	seen := false
	for _, r := range rows {
		if len(r) > 7 && r[0] == blank && r[1] == "9" {
			seen = true
			if r[4] != "" || r[7] != "未自评" {
				t.Errorf("评分明细 of %s item 9 = %q, want no 自评分 and 差值 未自评", blank, r)
			}
		}
	}
	if !seen {
		t.Errorf("评分明细 has no row of %s item 9", blank)
	}

	// 目标完成: 常柴 (row 3) has no 统考 target: its rate is empty.
	row := repRow(t, f, "目标完成", 3)
	if row[0] != "常柴国家职业技能鉴定所" || row[1] != "120" || row[7] != "0" || (len(row) > 9 && row[9] != "") {
		t.Errorf("目标完成 row 3 = %q", row)
	}
	// 常旅游 (row 8) is 未提交: no actuals.
	row = append(repRow(t, f, "目标完成", 8), make([]string, 14)...)
	if row[0] != "常旅游国家职业技能鉴定所" || row[2] != "" || row[3] != "" || row[13] != "未提交" {
		t.Errorf("目标完成 row 8 = %q", row[:14])
	}
	var sum templates.Targets
	for _, r := range fx.ranked {
		sum = sum.Add(r.Actuals)
	}
	city := repRow(t, f, "目标完成", 35)
	alloc := repRow(t, f, "目标完成", 36)
	if city[0] != "全市合计（对全市目标）" || city[1] != "75,000" || city[4] != "60,000" || city[7] != "6,400" || city[10] != "15,000" {
		t.Errorf("目标完成 row 35 = %q, want the city targets", city)
	}
	if alloc[1] != "54,840" || alloc[4] != "43,770" || alloc[7] != "4,210" || alloc[10] != "14,900" {
		t.Errorf("目标完成 row 36 = %q, want the allocated totals", alloc)
	}
	if want := fmt.Sprintf("%.1f%%", float64(sum.Certified)*100/60000); city[6] != want {
		t.Errorf("目标完成!G35 = %q, want %q", city[6], want)
	}
	raw, _ := f.GetCellValue("目标完成", "G35", excelize.Options{RawCellValue: true})
	if raw == "" || strings.HasSuffix(raw, "%") {
		t.Errorf("目标完成!G35 raw = %q, want a number", raw)
	}
	cf, err := f.GetConditionalFormats("目标完成")
	if err != nil {
		t.Fatal(err)
	}
	for _, rng := range []string{"D3:D36", "G3:G36", "J3:J36", "M3:M36"} {
		rules := cf[rng]
		if len(rules) != 1 || rules[0].Type != "formula" || !strings.Contains(rules[0].Criteria, "<1") {
			t.Errorf("目标完成 conditional format on %s = %+v, want a below-100%% rule", rng, rules)
		}
	}
}

func TestReportUploadsAndIssues(t *testing.T) {
	fx := repFixture(t)
	f := repOpen(t, repWrite(t, fx.rep))
	rows, err := f.GetRows("提交情况")
	if err != nil {
		t.Fatal(err)
	}
	std := fx.rep.Standard
	for i, in := range std.Institutions {
		row := repPad(rows[i+1], 9)
		if row[1] != in.Name {
			t.Fatalf("提交情况 row %d = %q, want %s", i+2, row, in.Name)
		}
	}
	if row := rows[1]; row[2] != "已接受" || row[3] != "常柴-自评表.xlsx" || len(row[5]) != 12 || row[6] != "0" {
		t.Errorf("提交情况 row 2 = %q", row)
	}
	if row := rows[21]; row[2] != "未通过校验" || row[3] != "=1+2.xlsx" || row[6] != fmt.Sprint(len(repTrickyValues)) {
		t.Errorf("提交情况 row 22 = %q", row)
	}
	if row := rows[6]; row[2] != "未提交" || row[3] != "" {
		t.Errorf("提交情况 row 7 = %q", row)
	}
	all := strings.Join(func() []string {
		var s []string
		for _, r := range rows[34:] {
			s = append(s, strings.Join(r, "|"))
		}
		return s
	}(), "\n")
	for _, want := range []string{"被替代|常柴-自评表(初稿).xlsx", "未通过校验（逾期）|科教城.xlsx|2014-01-03 10:00", "截止时间后收到，不予受理"} {
		if !strings.Contains(all, want) {
			t.Errorf("提交情况: the list of files lacks %q:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "\n") + 1; n < len(fx.rep.Uploads)+2 {
		t.Errorf("提交情况: %d rows in the list of files, want %d uploads", n, len(fx.rep.Uploads))
	}

	if got := strings.Join(repRow(t, f, "校验问题", 1), ","); got != "序号,文件,位置,字段,值,类别,说明" {
		t.Errorf("校验问题 header = %s", got)
	}
	for k, is := range fx.rep.Issues {
		row := append(repRow(t, f, "校验问题", k+2), make([]string, 7)...)
		want := []string{fmt.Sprint(k + 1), is.File, is.Place(), is.Label, is.Value, string(is.Severity), is.Message}
		if strings.Join(row[:7], "\x00") != strings.Join(want, "\x00") {
			t.Errorf("校验问题 row %d = %q, want %q", k+2, row[:7], want)
		}
	}
}

// Text from a submission is a text cell, never a formula, whatever it begins with.
func TestReportTextNeverFormula(t *testing.T) {
	fx := repFixture(t)
	b := repWrite(t, fx.rep)
	f := repOpen(t, b)
	found := map[string]bool{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
					t.Errorf("%s!%s holds the formula %q", sheet, ref, formula)
				}
				for _, tricky := range repTrickyValues {
					if v == tricky {
						found[tricky] = true
						if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
							t.Errorf("%s!%s = %q has cell type %v, want text", sheet, ref, v, typ)
						}
					}
				}
			}
		}
	}
	for _, tricky := range repTrickyValues {
		if !found[tricky] {
			t.Errorf("the value %q was not found intact in any cell", tricky)
		}
	}
	for name, data := range repZip(t, b) {
		if strings.HasPrefix(name, "xl/worksheets/") && regexp.MustCompile(`<f[ >]`).MatchString(data) {
			t.Errorf("%s contains a formula element", name)
		}
	}
}

func TestReportCellTooLong(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		ok    bool
	}{
		{"limit", strings.Repeat("a", 32767), true},
		{"limit in Chinese", strings.Repeat("鉴", 32767), true},
		{"one over", strings.Repeat("a", 32768), false},
		{"astral characters count twice", strings.Repeat("😀", 16384), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := repFixture(t)
			fx.rep.Issues[0].Message = tc.value
			var buf bytes.Buffer
			err := WriteReport(&buf, fx.rep)
			if tc.ok {
				if err != nil {
					t.Fatalf("WriteReport: %v", err)
				}
				f := repOpen(t, buf.Bytes())
				if got := repCell(t, f, "校验问题", "G2"); got != tc.value {
					t.Errorf("校验问题!G2 holds %d characters, want %d", len([]rune(got)), len([]rune(tc.value)))
				}
				return
			}
			if !errors.Is(err, ErrCellTooLong) {
				t.Fatalf("WriteReport = %v, want ErrCellTooLong", err)
			}
			if !strings.Contains(err.Error(), "校验问题!G2") {
				t.Errorf("the error %q does not name 校验问题!G2", err)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteReport wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// The same Report gives the same bytes; the golden dump pins its cells.
func TestReportDeterministicGolden(t *testing.T) {
	fx := repFixture(t)
	b1 := repWrite(t, fx.rep)
	b2 := repWrite(t, repFixture(t).rep)
	d1, d2 := repDump(t, repOpen(t, b1)), repDump(t, repOpen(t, b2))
	if d1 != d2 {
		t.Fatal("two writes of the same report differ")
	}
	if !bytes.Equal(b1, b2) {
		t.Fatal("two writes of the same report differ in bytes, though not in cells: a run with nothing new would write a new copy")
	}
	golden := filepath.Join("testdata", "report_golden.txt")
	if repUpdate() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(d1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./sheets -run ReportDeterministicGolden -update)", err)
	}
	if d1 != string(want) {
		t.Errorf("the report's cells differ from %s (run with -update if the change is meant):\n%s", golden, repDiff(string(want), d1))
	}
}

// repDiff shows the first lines that differ.
func repDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 20; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, a, b))
		}
	}
	return strings.Join(out, "\n")
}

func TestReportNoStandard(t *testing.T) {
	if err := WriteReport(io.Discard, &Report{}); err == nil {
		t.Fatal("WriteReport without a standard succeeded")
	}
}

// TestReportPDF converts the report and receipts with LibreOffice: they must
// open and print. Set KAOHE_KEEP_PDF=DIR to keep the files for a look.
func TestReportPDF(t *testing.T) {
	soffice := officetest.Need(t, "soffice", "LibreOffice")
	dir := t.TempDir()
	if keep := os.Getenv("KAOHE_KEEP_PDF"); keep != "" {
		dir = keep
	}
	fx := repFixture(t)
	files := map[string][]byte{"report.xlsx": repWrite(t, fx.rep)}
	for name, rc := range map[string]*Receipt{"accepted.xlsx": rcptAcceptedFixture(t), "rejected.xlsx": rcptRejectedFixture(t)} {
		var buf bytes.Buffer
		if err := WriteReceipt(&buf, rc); err != nil {
			t.Fatal(err)
		}
		files[name] = buf.Bytes()
	}
	profile := make([]byte, 8)
	_, _ = rand.Read(profile)
	profileDir := filepath.Join(os.TempDir(), "lo-"+hex.EncodeToString(profile))
	defer os.RemoveAll(profileDir)
	for name, data := range files {
		in := filepath.Join(dir, name)
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		out, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+profileDir,
			"--headless", "--convert-to", "pdf", "--outdir", dir, in).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("soffice %s: %v\n%s", name, err, out)
		}
		pdf := strings.TrimSuffix(in, ".xlsx") + ".pdf"
		st, err := os.Stat(pdf)
		if err != nil || st.Size() == 0 {
			t.Fatalf("%s: no PDF (%v)\n%s", name, err, out)
		}
		head := make([]byte, 5)
		if fh, err := os.Open(pdf); err == nil {
			_, _ = fh.Read(head)
			fh.Close()
		}
		if string(head) != "%PDF-" {
			t.Errorf("%s does not look like a PDF", pdf)
		}
	}
}

// What excelize does with text that looks like a formula, checked rather
// than assumed: SetCellStr, SetCellValue and the stream writer all write a
// text cell (shared or inline string) and never a <f> element.
func TestReportExcelizeStringsAreText(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	const v = `=HYPERLINK("http://x","y")`
	if err := f.SetCellStr("Sheet1", "A1", v); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Sheet1", "A2", v); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Stream"); err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Stream")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{v, excelize.Cell{Value: v}}); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	parts := repZip(t, buf.Bytes())
	for _, name := range []string{"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} {
		if regexp.MustCompile(`<f[ >]`).MatchString(parts[name]) {
			t.Errorf("%s holds a formula:\n%s", name, parts[name])
		}
	}
	if !strings.Contains(parts["xl/worksheets/sheet1.xml"], `t="s"`) || !strings.Contains(parts["xl/worksheets/sheet2.xml"], `t="inlineStr"`) {
		t.Errorf("want shared strings in Sheet1 and inline strings in Stream")
	}
	g := repOpen(t, buf.Bytes())
	for _, ref := range []string{"Sheet1!A1", "Sheet1!A2", "Stream!A1", "Stream!B1"} {
		sheet, cell, _ := strings.Cut(ref, "!")
		if formula, _ := g.GetCellFormula(sheet, cell); formula != "" || repCell(t, g, sheet, cell) != v {
			t.Errorf("%s: formula %q, value %q", ref, formula, repCell(t, g, sheet, cell))
		}
	}
}

// The text styles carry quotePrefix: Excel keeps such a cell text on edit.
func TestReportQuotePrefix(t *testing.T) {
	parts := repZip(t, repWrite(t, repFixture(t).rep))
	if !regexp.MustCompile(`quotePrefix="(1|true)"`).MatchString(parts["xl/styles.xml"]) {
		t.Error("no style carries quotePrefix")
	}
}

// A report of thousands of rows streams through.
func TestReportLarge(t *testing.T) {
	fx := repFixture(t)
	base := fx.rep.Issues
	for len(fx.rep.Issues) < 20000 {
		fx.rep.Issues = append(fx.rep.Issues, base...)
	}
	start := time.Now()
	b := repWrite(t, fx.rep)
	t.Logf("%d issues: %d bytes in %v", len(fx.rep.Issues), len(b), time.Since(start))
	f := repOpen(t, b)
	rows, err := f.GetRows("校验问题")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(fx.rep.Issues)+1 {
		t.Errorf("校验问题 has %d rows, want %d", len(rows), len(fx.rep.Issues)+1)
	}
}
