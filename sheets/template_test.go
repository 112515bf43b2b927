package sheets

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
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
			names := book.Resolve(f)
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
				at, why, ok := names.Lookup(fd.Name)
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
func tmplTestValidation(t *testing.T, f *excelize.File, at book.Place, fd templates.Field) {
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
	names := book.Resolve(f)
	for _, it := range std.Items {
		at, _, ok := names.Lookup(templates.SelfField(it.No))
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

// TestTemplateGuideDeadline: 填表说明 states the deadline and what happens
// after it, and points clerks to the receipt, not to a command they lack.
func TestTemplateGuideDeadline(t *testing.T) {
	std := tmplTestStd(t)
	inst := tmplTestInst(t, std, "常柴")
	at := time.Date(2013, 12, 31, 18, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, refused := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteTemplateWith(&buf, std, inst, TemplateOptions{Deadline: at, LateRefused: refused}); err != nil {
			t.Fatal(err)
		}
		f := tmplTestOpen(t, buf.Bytes())
		rows, err := f.GetRows(TemplateSheetGuide)
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, r := range rows {
			all = append(all, strings.Join(r, " "))
		}
		text := strings.Join(all, "\n")
		then := "之后收到的文件标为“逾期”"
		if refused {
			then = "之后收到的文件不予受理"
		}
		for _, want := range []string{"上传截止：2013-12-31 18:00", "上传截止时间：2013-12-31 18:00，" + then, "回执"} {
			if !strings.Contains(text, want) {
				t.Errorf("refused %t: 填表说明 does not say %q:\n%s", refused, want, text)
			}
		}
		if strings.Contains(text, "kaohe check") {
			t.Error("填表说明 tells clerks to run kaohe check")
		}
	}
}
