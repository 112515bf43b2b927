package sheets

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaohe/templates"
)

func tmplTestStd(t testing.TB) *templates.Standard {
	t.Helper()
	std, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	return std
}

// tmplTestInst returns the institution whose name starts with short+国家.
func tmplTestInst(t testing.TB, std *templates.Standard, short string) templates.Institution {
	t.Helper()
	in, ok := std.Institution(short + "国家职业技能鉴定所")
	if !ok {
		t.Fatalf("no institution %s", short)
	}
	return in
}

func tmplTestWrite(t testing.TB, std *templates.Standard, inst templates.Institution) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTemplate(&b, std, inst); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tmplTestOpen(t testing.TB, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTemplateFileName(t *testing.T) {
	std := tmplTestStd(t)
	got := TemplateFileName(std, tmplTestInst(t, std, "常柴"))
	if want := "2013-常柴国家职业技能鉴定所-自评表.xlsx"; got != want {
		t.Errorf("TemplateFileName = %q, want %q", got, want)
	}
}

var tmplTestAbsRef = regexp.MustCompile(`^('[^']+'|[^'!]+)!\$[A-Z]+\$[0-9]+$`)

// Every template of the year: all fields are workbook-scope names of one
// cell, the identity and targets are pre-filled and locked, input cells are
// unlocked and validated, everything else is locked, the sheets protected.
func TestTemplateAllInstitutions(t *testing.T) {
	std := tmplTestStd(t)
	if len(std.Institutions) != 32 {
		t.Fatalf("%d institutions, want 32", len(std.Institutions))
	}
	for _, inst := range std.Institutions {
		t.Run(inst.Name, func(t *testing.T) {
			f := tmplTestOpen(t, tmplTestWrite(t, std, inst))
			if got, want := f.GetSheetList(), []string{TemplateSheetGuide, TemplateSheetFacts, TemplateSheetSelf}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("sheets = %v, want %v", got, want)
			}
			defined := map[string]excelize.DefinedName{}
			for _, dn := range f.GetDefinedName() {
				if dn.Scope == "Workbook" {
					defined[dn.Name] = dn
				}
			}
			names := nameResolve(f)
			inputs := map[string]bool{} // sheet!cell of every input cell
			for _, fd := range templates.Fields {
				dn, ok := defined[fd.Name]
				if !ok {
					t.Errorf("%s: no workbook-scope defined name", fd.Name)
					continue
				}
				if !tmplTestAbsRef.MatchString(dn.RefersTo) {
					t.Errorf("%s: RefersTo %q is not an absolute one-cell reference", fd.Name, dn.RefersTo)
				}
				at, why, ok := names.lookup(fd.Name)
				if !ok {
					t.Errorf("%s: %s", fd.Name, why)
					continue
				}
				styleID, err := f.GetCellStyle(at.Sheet, at.Cell)
				if err != nil {
					t.Fatal(err)
				}
				style, err := f.GetStyle(styleID)
				if err != nil {
					t.Fatal(err)
				}
				locked := style.Protection == nil || style.Protection.Locked
				if input := fd.Role != templates.RoleIdentity; input == locked {
					t.Errorf("%s at %s!%s: locked = %v, want %v", fd.Name, at.Sheet, at.Cell, locked, !input)
				}
				value, _ := f.GetCellValue(at.Sheet, at.Cell, excelize.Options{RawCellValue: true})
				want := ""
				switch fd.Name {
				case templates.FieldYear:
					want = "2013"
				case templates.FieldInstitution:
					want = inst.Name
				default:
					if v, ok := tmplTarget(inst.Targets, fd.Name); ok {
						want = strconv.FormatInt(v, 10)
					}
				}
				if value != want {
					t.Errorf("%s: value %q, want %q", fd.Name, value, want)
				}
				if fd.Role != templates.RoleIdentity {
					inputs[at.Sheet+"!"+at.Cell] = true
					tmplTestValidation(t, f, at, fd)
				}
			}
			for _, sheet := range f.GetSheetList() {
				p, err := f.GetSheetProtection(sheet)
				if err != nil {
					t.Fatal(err)
				}
				if !p.SelectLockedCells || !p.SelectUnlockedCells || p.InsertRows || p.DeleteRows {
					t.Errorf("%s: protection %+v", sheet, p)
				}
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				// every other cell that holds anything is locked
				for r := range rows {
					for c := range rows[r] {
						cell := tmplCell(c+1, r+1)
						if formula, _ := f.GetCellFormula(sheet, cell); formula != "" && inputs[sheet+"!"+cell] {
							t.Errorf("%s!%s: formula in a field cell", sheet, cell)
						}
						if inputs[sheet+"!"+cell] {
							continue
						}
						id, _ := f.GetCellStyle(sheet, cell)
						st, _ := f.GetStyle(id)
						if st.Protection != nil && !st.Protection.Locked {
							t.Errorf("%s!%s is unlocked but no field", sheet, cell)
						}
					}
				}
			}
		})
	}
}

// tmplTestValidation checks the data validation of one input cell.
func tmplTestValidation(t *testing.T, f *excelize.File, at nameCell, fd templates.Field) {
	t.Helper()
	dvs, err := f.GetDataValidations(at.Sheet)
	if err != nil {
		t.Fatal(err)
	}
	var dv *excelize.DataValidation
	for _, d := range dvs {
		for _, ref := range strings.Fields(d.Sqref) {
			if ref == at.Cell {
				dv = d
			}
		}
	}
	if dv == nil {
		t.Errorf("%s: no data validation on %s!%s", fd.Name, at.Sheet, at.Cell)
		return
	}
	want := map[templates.Kind]string{
		templates.KindInt:   "whole greaterThanOrEqual 0",
		templates.KindScore: "decimal greaterThanOrEqual 0",
		templates.KindYesNo: `list  "是,否"`,
		templates.KindText:  "textLength between 0",
	}[fd.Kind]
	if got := dv.Type + " " + dv.Operator + " " + dv.Formula1; got != want {
		t.Errorf("%s: validation %q, want %q", fd.Name, got, want)
	}
	if fd.Kind != templates.KindText && (!dv.ShowErrorMessage || dv.Error == nil || !strings.Contains(*dv.Error, fd.Label)) {
		t.Errorf("%s: no Chinese error message naming the field", fd.Name)
	}
	if !dv.ShowInputMessage || dv.Prompt == nil || *dv.Prompt != fd.Hint {
		t.Errorf("%s: input message should be the hint %q", fd.Name, fd.Hint)
	}
}

func TestTemplateDeterministic(t *testing.T) {
	std := tmplTestStd(t)
	inst := tmplTestInst(t, std, "省常技")
	a, b := tmplTestWrite(t, std, inst), tmplTestWrite(t, std, inst)
	if !bytes.Equal(a, b) {
		t.Error("two templates of the same institution differ")
	}
	f := tmplTestOpen(t, a)
	p, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if p.Creator != "kaohe" || p.Created != "2013-12-01T00:00:00Z" || p.Modified != p.Created {
		t.Errorf("doc props %+v", p)
	}
}

// The 自评分 sheet holds the 附件1 table, with one formula: the 合计.
func TestTemplateSelfSheet(t *testing.T) {
	std := tmplTestStd(t)
	f := tmplTestOpen(t, tmplTestWrite(t, std, tmplTestInst(t, std, "常武")))
	names := nameResolve(f)
	for _, it := range std.Items {
		at, _, ok := names.lookup(templates.SelfField(it.No))
		if !ok || at.Sheet != TemplateSheetSelf {
			t.Fatalf("self_%d at %v", it.No, at)
		}
		_, row, _ := excelize.CellNameToCoordinates(at.Cell)
		max, _ := f.GetCellValue(at.Sheet, tmplCell(3, row))
		crit, _ := f.GetCellValue(at.Sheet, tmplCell(4, row))
		if max != tmplPointsText(it.Max) || crit != it.Criteria {
			t.Errorf("item %d row %d: 分值 %q, 评分说明 %q", it.No, row, max, crit)
		}
	}
	rows, _ := f.GetRows(TemplateSheetSelf)
	formulas := 0
	for r := range rows {
		for c := range rows[r] {
			if fm, _ := f.GetCellFormula(TemplateSheetSelf, tmplCell(c+1, r+1)); fm != "" {
				formulas++
				if !strings.HasPrefix(fm, "SUM(") {
					t.Errorf("unexpected formula %q", fm)
				}
			}
		}
	}
	if formulas != 1 {
		t.Errorf("%d formulas on 自评分, want the 合计 only", formulas)
	}
}

func TestNameParseRef(t *testing.T) {
	cases := []struct {
		name, refersTo string
		want           nameCell
		err            string // part of the error, "" for none
	}{
		{"quoted absolute", `'完成情况'!$C$5`, nameCell{"完成情况", "C5"}, ""},
		{"unquoted absolute", `完成情况!$C$5`, nameCell{"完成情况", "C5"}, ""},
		{"relative", `完成情况!C5`, nameCell{"完成情况", "C5"}, ""},
		{"leading equals", `='完成情况'!$D$12`, nameCell{"完成情况", "D12"}, ""},
		{"mixed", `Sheet1!$c5`, nameCell{"Sheet1", "C5"}, ""},
		{"doubled quote", `'It''s a sheet'!$B$2`, nameCell{"It's a sheet", "B2"}, ""},
		{"bang in quoted name", `'A!B'!$B$2`, nameCell{"A!B", "B2"}, ""},
		{"range", `'完成情况'!$C$5:$D$6`, nameCell{}, "是一个区域"},
		{"column range", `完成情况!$C:$C`, nameCell{}, "是一个区域"},
		{"two areas", `'完成情况'!$C$5,'完成情况'!$C$6`, nameCell{}, "多个区域"},
		{"parenthesised areas", `('完成情况'!$C$5,'完成情况'!$C$6)`, nameCell{}, "多个区域"},
		{"ref error", `#REF!`, nameCell{}, "#REF!"},
		{"ref error in sheet", `'完成情况'!#REF!`, nameCell{}, "#REF!"},
		{"no sheet", `$C$5`, nameCell{}, "没有指明工作表"},
		{"constant", `2013`, nameCell{}, "没有指明工作表"},
		{"external", `[1]完成情况!$C$5`, nameCell{}, "其他工作簿"},
		{"formula", `完成情况!$C$5+1`, nameCell{}, "应指向一个单元格"},
		{"bad cell", `完成情况!$C$0`, nameCell{}, "应指向一个单元格"},
		{"unterminated quote", `'完成情况!$C$5`, nameCell{}, "无法识别"},
		{"quoted name alone", `'完成情况'`, nameCell{}, "无法识别"},
		{"quoted name, no bang", `'完成情况'$C$5`, nameCell{}, "无法识别"},
		{"empty quoted name", `''!$C$5`, nameCell{}, "没有指明工作表"},
		{"lower-case ref error", `'完成情况'!#ref!`, nameCell{}, "#REF!"},
		{"empty", ``, nameCell{}, "没有引用"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := nameParseRef(c.refersTo)
			if c.err == "" {
				if err != nil || got != c.want {
					t.Errorf("nameParseRef(%q) = %v, %v; want %v", c.refersTo, got, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("nameParseRef(%q) error = %v, want one containing %q", c.refersTo, err, c.err)
			}
		})
	}
}

// Sheet-scoped names never shadow workbook ones; broken names say why.
func TestNameResolveScope(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("数据 表"); err != nil {
		t.Fatal(err)
	}
	for _, dn := range []excelize.DefinedName{
		{Name: "local_first", RefersTo: "Sheet1!$A$1", Scope: "Sheet1"},
		{Name: "local_first", RefersTo: "'数据 表'!$B$2"},
		{Name: "only_local", RefersTo: "Sheet1!$A$1", Scope: "Sheet1"},
		{Name: "a_range", RefersTo: "Sheet1!$A$1:$B$2"},
		{Name: "gone", RefersTo: "Sheet1!#REF!"},
		{Name: "no_sheet", RefersTo: "'没有'!$A$1"},
		{Name: "Mixed_Case", RefersTo: "sheet1!$C$3"},
	} {
		if err := f.SetDefinedName(&dn); err != nil {
			t.Fatal(err)
		}
	}
	names := nameResolve(f)
	cases := []struct {
		name string
		want nameCell
		err  string
	}{
		{"local_first", nameCell{"数据 表", "B2"}, ""},
		{"only_local", nameCell{}, "定义名称 only_local 只定义在工作表「Sheet1」范围内，应为工作簿范围"},
		{"a_range", nameCell{}, "定义名称 a_range 指向「Sheet1!$A$1:$B$2」，是一个区域，应指向一个单元格"},
		{"gone", nameCell{}, "#REF!"},
		{"no_sheet", nameCell{}, "工作簿中没有工作表「没有」"},
		{"mixed_case", nameCell{"Sheet1", "C3"}, ""},
		{"missing", nameCell{}, "找不到定义名称 missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why, ok := names.lookup(c.name)
			if c.err == "" {
				if !ok || got != c.want {
					t.Errorf("lookup = %v, %q, %v; want %v", got, why, ok, c.want)
				}
				return
			}
			if ok || !strings.Contains(why, c.err) {
				t.Errorf("lookup = %v, %q; want an error containing %q", got, why, c.err)
			}
		})
	}
}
