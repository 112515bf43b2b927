package sheets

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/check"
	"kaohe/sheets/internal/fast"
	"kaohe/templates"
)

// fastTestRezip rewrites the parts of a workbook with edit (nil keeps a
// part; edit returns nil to drop one).
func fastTestRezip(t testing.TB, data []byte, edit func(name string, b []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b = edit(zf.Name, b); b == nil {
			continue
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// fastTestEditPart replaces the first match of re in one part.
func fastTestEditPart(t testing.TB, data []byte, part, re, repl string) []byte {
	t.Helper()
	rx := regexp.MustCompile(re)
	done := false
	out := fastTestRezip(t, data, func(name string, b []byte) []byte {
		if name != part || done {
			return b
		}
		loc := rx.FindIndex(b)
		if loc == nil {
			t.Fatalf("%s: no match for %s", part, re)
		}
		done = true
		return append(append(append([]byte{}, b[:loc[0]]...), rx.ReplaceAll(b[loc[0]:loc[1]], []byte(repl))...), b[loc[1]:]...)
	})
	if !done {
		t.Fatalf("no part %s", part)
	}
	return out
}

// fastTestPart rewrites one part of a workbook with edit.
func fastTestPart(t testing.TB, data []byte, part string, edit func(string) string) []byte {
	t.Helper()
	done := false
	out := fastTestRezip(t, data, func(name string, b []byte) []byte {
		if name != part {
			return b
		}
		done = true
		return []byte(edit(string(b)))
	})
	if !done {
		t.Fatalf("no part %s", part)
	}
	return out
}

// fastTestRenameSheet renames a sheet in the workbook part, its defined
// names following it, as a spreadsheet program that allows the name would.
func fastTestRenameSheet(t testing.TB, data []byte, from, to string) []byte {
	t.Helper()
	return fastTestPart(t, data, "xl/workbook.xml", func(x string) string {
		quoted := "'" + strings.ReplaceAll(to, "'", "''") + "'!"
		for _, q := range []string{"'", "&#39;", "&apos;"} {
			x = strings.ReplaceAll(x, q+from+q+"!", quoted)
		}
		x = strings.ReplaceAll(x, ">"+from+"!", ">"+quoted)
		return strings.Replace(x, `<sheet name="`+from+`"`, `<sheet name="`+strings.ReplaceAll(to, "'", "&apos;")+`"`, 1)
	})
}

// fastTestPrefix puts every unprefixed element of x under prefix p.
func fastTestPrefix(x, p string) string {
	return regexp.MustCompile(`<(/?)([A-Za-z][A-Za-z0-9]*)([ />])`).ReplaceAllString(x, "<${1}"+p+":${2}${3}")
}

// fastTestCompare checks that the fast reader answers only for workbooks
// that sniff and the scan let through and then reads exactly what excelize
// reads; it returns whether the fast reader answered.
func fastTestCompare(t *testing.T, data []byte) bool {
	t.Helper()
	lim := DefaultLimits().WithDefaults()
	pkg, no := check.Sniff(data, "x.xlsx", lim)
	if no != nil {
		return false // the fast reader never sees what sniff refuses
	}
	fb := fast.Open(pkg, lim)
	if fb == nil {
		return false
	}
	if nos := check.Scan(pkg, lim); len(nos) > 0 {
		t.Errorf("the fast reader reads a workbook the scan refuses: %s", nos[0].Cause)
		return true
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: lim.UnzipSizeLimit, UnzipXMLSizeLimit: lim.UnzipXMLSizeLimit})
	if fastTestSkippedType(err) {
		return true // the documented difference (internal/fast): an attribute the fast reader skips is not a number
	}
	if err != nil {
		t.Errorf("the fast reader reads a workbook excelize refuses: %v", err)
		return true
	}
	defer f.Close()
	ex := book.Excel{File: f}
	want := ex.Names()
	if !reflect.DeepEqual(fb.Names(), want) {
		t.Errorf("names:\n fast %+v\n want %+v", fb.Names(), want)
	}
	for _, fd := range templates.Fields { // the cells the reader asks for
		at, _, ok := want.Lookup(fd.Name)
		if !ok {
			continue
		}
		got, gerr := fb.Cell(at)
		w, werr := ex.Cell(at)
		if gerr == nil && fastTestSkippedType(werr) {
			continue // the same difference, in the sheet: excelize refuses all of it
		}
		if got != w || (gerr != nil) != (werr != nil) {
			t.Errorf("%s!%s: fast %+v (err %v), excelize %+v (err %v)", at.Sheet, at.Cell, got, gerr, w, werr)
		}
	}
	for _, sh := range f.GetSheetList() {
		if got, w := fb.State(sh), ex.State(sh); got != w {
			t.Errorf("state of sheet %s: fast %q, excelize %q", sh, got, w)
		}
	}
	if fb.Missed() {
		t.Error("a cell was not read ahead")
	}
	return true
}

// fastTestSkippedType reports the one way excelize refuses what the fast
// reader reads (internal/fast): a number or boolean attribute of an element
// the fast path skips that does not parse.
func fastTestSkippedType(err error) bool {
	var ne *strconv.NumError
	return errors.As(err, &ne)
}

// fastTestRead checks that Read says the same with and without the fast path.
func fastTestRead(t *testing.T, std *templates.Standard, data []byte) {
	t.Helper()
	fast := (&Reader{Standard: std}).Read(bytes.NewReader(data), "x.xlsx")
	slow := (&Reader{Standard: std, Slow: true}).Read(bytes.NewReader(data), "x.xlsx")
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("Read differs with the fast path:\n fast %+v\n slow %+v", fast, slow)
	}
}

func TestFastOpenMatchesExcelize(t *testing.T) {
	std := tmplTestStd(t)
	inst := tmplTestInst(t, std, "常柴")
	template := tmplTestWrite(t, std, inst)
	fill := func(values map[string]any) []byte {
		var buf bytes.Buffer
		if err := Fill(bytes.NewReader(template), &buf, values); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	base := map[string]any{"actual_appraised": 1300, "actual_certified": "1,100", "actual_passed": 1000,
		"actual_unified_exam": 0, "actual_high_skill": 120, "i6_online_pilot": "是", "self_1": templates.Points(2930),
		"contact_name": "张伟 <&> \"'", "contact_phone": " 0519-8888 "}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	filled := fill(base)
	sheet2 := "xl/worksheets/sheet2.xml" // 完成情况
	cases := []struct {
		name string
		data []byte
		fast bool // the fast path must answer
	}{
		{"template", template, true},
		{"filled", filled, true},
		{"types", fill(with(map[string]any{"i1_competitions": true, "i4_dev_projects": 1.5, "i7_arrears_yuan": -3,
			"i4_experts_recommended": "３人", "self_2": "17.905", "contact_name": "😀\ttab\nline", "self_3": nil})), true},
		{"text like a formula", fill(with(map[string]any{"actual_unified_exam": "=500+20"})), true},
		{"formula", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1><f>500+20</f><v>520</v></c>`), false},
		{"inline string", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="inlineStr"><is><t>1,234</t></is></c>`), true},
		{"rich inline string", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`,
			`<c r="D9"$1 t="inlineStr"><is><r><t>12</t></r><r><rPr><b/></rPr><t xml:space="preserve">34 </t></r><t>0</t><rPh><t>x</t></rPh></is></c>`), true},
		{"entities", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="inlineStr"><is><t>&lt;1&amp;2&gt;&#20013;&#x4e2d;&quot;&apos;</t></is></c>`), true},
		{"error cell", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="e"><v>#N/A</v></c>`), true},
		{"str cell", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="str"><v>12</v></c>`), true},
		{"date cell", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="d"><v>2013-12-31T00:00:00Z</v></c>`), true},
		{"unknown type", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="zz"><v>12</v></c>`), true},
		{"self-closing cell", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1/>`), true},
		{"shared string out of range", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="s"><v>99999</v></c>`), false},
		{"escaped string", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1 t="inlineStr"><is><t>a_x000D_b</t></is></c>`), false},
		{"escaped shared string elsewhere", fastTestEditPart(t, filled, "xl/sharedStrings.xml", `<si><t>[^<]*</t></si>`, `<si><t>a_x000D_b</t></si>`), true},
		{"shared formula", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1><f t="shared" si="0"/><v>1</v></c>`), false},
		{"comment", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheets>`, `<!-- hi --><sheets>`), false},
		{"CRLF", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, "<c r=\"D9\"$1 t=\"inlineStr\"><is><t>a\r\nb</t></is></c>"), false},
		{"merged over a field", fastTestEditPart(t, filled, sheet2, `</sheetData>`, `</sheetData><mergeCells count="1"><mergeCell ref="C9:D9"/></mergeCells>`), false},
		{"malformed styles", fastTestEditPart(t, filled, "xl/styles.xml", `</styleSheet>`, `</styleSheetX>`), false},
		{"styles with another root", fastTestEditPart(t, filled, "xl/styles.xml", `<styleSheet`, `<styleSheetX`), false},
		{"row without number", fastTestEditPart(t, filled, sheet2, `<row r="9"`, `<row`), false},
		{"rows out of order", fastTestEditPart(t, filled, sheet2, `<row r="9"`, `<row r="2"`), false},
		{"bad row height", fastTestEditPart(t, filled, sheet2, `<row r="9"`, `<row r="9" ht="high"`), false},
		{"bad cell style", fastTestEditPart(t, filled, sheet2, `<c r="D9"`, `<c s="x" r="D9"`), false},
		{"strict namespace", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheets>`, `<sheets xmlns:s="http://purl.oclc.org/ooxml/spreadsheetml/main">`), false},
		{"prefixed root, unclosed", fastTestEditPart(t, filled, sheet2, `<worksheet xmlns="`, `<x:worksheet xmlns:x="`), false},
		// Namespaces are XML, not text: a prefix is whatever its declaration says.
		{"main namespace under a prefix", fastTestPart(t, filled, sheet2, func(x string) string {
			return fastTestPrefix(strings.Replace(x, `<worksheet xmlns="`, `<worksheet xmlns:x="`, 1), "x")
		}), true},
		{"shared strings under a prefix", fastTestPart(t, filled, "xl/sharedStrings.xml", func(x string) string {
			return fastTestPrefix(strings.Replace(x, `<sst xmlns="`, `<sst xmlns:s="`, 1), "s")
		}), true},
		{"relationships declared on each sheet (openpyxl)", fastTestPart(t, filled, "xl/workbook.xml", func(x string) string {
			x = strings.Replace(x, ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`, "", 1)
			return strings.ReplaceAll(x, `<sheet `, `<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" `)
		}), true},
		{"relationships under another prefix", fastTestPart(t, filled, "xl/workbook.xml", func(x string) string {
			x = strings.Replace(x, `xmlns:r=`, `xmlns:rel=`, 1)
			return strings.ReplaceAll(x, ` r:id=`, ` rel:id=`)
		}), true},
		{"r bound to another namespace", fastTestEditPart(t, filled, "xl/workbook.xml", `xmlns:r="[^"]*"`, `xmlns:r="urn:not-relationships"`), false},
		{"r rebound on one sheet", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheet name="完成情况"`, `<sheet xmlns:r="urn:other" name="完成情况"`), false},
		{"CR LF after the declaration (Excel, WPS)", fastTestPart(t, filled, sheet2, func(x string) string {
			return regexp.MustCompile(`\?>\s*<`).ReplaceAllString(x, "?>\r\n<")
		}), true},
		{"CR inside the root", fastTestEditPart(t, filled, sheet2, `<sheetData>`, "<sheetData>\r\n"), false},
		{"default namespace declared again inside", fastTestEditPart(t, filled, sheet2, `<sheetData>`, `<sheetData xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`), true},
		{"a foreign attribute with a field's local name", fastTestEditPart(t, filled, sheet2, `<row r="9"`, `<row xmlns:q="urn:q" q:r="9" r="9"`), true},
		{"Excel 2016+ extensions", fastTestPart(t, fastTestPart(t, filled, sheet2, func(x string) string {
			x = strings.Replace(x, `xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">`,
				`xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" `+
					`xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" `+
					`xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" `+
					`xr:uid="{00000000-0001-0000-0100-000000000000}">`, 1)
			x = regexp.MustCompile(`<row r="(\d+)"`).ReplaceAllString(x, `<row r="$1" spans="1:5" x14ac:dyDescent="0.25"`)
			return strings.Replace(x, `</worksheet>`, `<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">`+
				`<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type="list"><x14:formula1><xm:f>Sheet1!$A$1:$A$2</xm:f></x14:formula1><xm:sqref>Z1</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst></worksheet>`, 1)
		}), "xl/workbook.xml", func(x string) string {
			x = strings.Replace(x, `mc:Ignorable="x15"`, `mc:Ignorable="x15 xr xr6 xr10 xr2" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" `+
				`xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10" `+
				`xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2"`, 1)
			return strings.Replace(x, `<bookViews>`, `<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="x15">`+
				`<x15ac:absPath url="C:\Users\中心\" xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent>`+
				`<xr:revisionPtr revIDLastSave="0" documentId="8_{5A1B2C3D-0000-4000-8000-000000000000}" xr6:coauthVersionLast="47" xr6:coauthVersionMax="47" xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/><bookViews>`, 1)
		}), true},
		{"sheet part missing", fastTestRezip(t, filled, func(name string, b []byte) []byte {
			if name == "xl/worksheets/sheet3.xml" {
				return nil
			}
			return b
		}), false},
		{"no shared strings", fastTestRezip(t, filled, func(name string, b []byte) []byte {
			if name == "xl/sharedStrings.xml" {
				return nil
			}
			return b
		}), false},
		{"two values in a field cell", fastTestEditPart(t, filled, sheet2, `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`, `<c r="D9"$1><v>1</v><v>2</v></c>`), false},
		{"a name defined twice", fastTestEditPart(t, filled, "xl/workbook.xml", `</definedNames>`, `<definedName name="Actual_Passed">'完成情况'!$D$20</definedName></definedNames>`), false},
		{"very hidden sheet", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheet name="完成情况"`, `<sheet state="veryHidden" name="完成情况"`), true},
		{"sheet state twice", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheet name="完成情况"`, `<sheet state="hidden" xmlns:q="urn:q" q:state="veryHidden" name="完成情况"`), true},
		// Sheet names excelize refuses to read from (GetCellValue fails on
		// them, checkSheetName): the fields there are unreadable on both paths.
		{"sheet name with brackets", fastTestRenameSheet(t, filled, "完成情况", "完成[情况]"), true},
		{"sheet name with a colon", fastTestRenameSheet(t, filled, "完成情况", "完成:情况"), true},
		{"sheet name ending in a quote", fastTestRenameSheet(t, filled, "完成情况", "完成情况''"), true},
		{"sheet name of 32 characters", fastTestRenameSheet(t, filled, "完成情况", strings.Repeat("完", 32)), true},
		{"name scoped to a missing sheet", fastTestEditPart(t, filled, "xl/workbook.xml", `<definedName ([^>]*)name="i1_competitions"`, `<definedName localSheetId="7" ${1}name="i1_competitions"`), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answered := fastTestCompare(t, c.data)
			if c.fast && !answered {
				t.Error("the fast path gave this workbook to excelize")
			}
			if !c.fast && answered {
				t.Error("the fast path answered for a workbook it should give to excelize")
			}
			fastTestRead(t, std, c.data)
		})
	}

	// The same workbook part as before (the fast reader keeps it), its sheets
	// in other parts: the parts are found anew.
	t.Run("sheets swapped in the relationships", func(t *testing.T) {
		const rels = "xl/_rels/workbook.xml.rels"
		swapped := fastTestEditPart(t, filled, rels, `sheet2\.xml`, `sheetX.xml`)
		swapped = fastTestEditPart(t, swapped, rels, `sheet3\.xml`, `sheet2.xml`)
		swapped = fastTestEditPart(t, swapped, rels, `sheetX\.xml`, `sheet3.xml`)
		fastTestCompare(t, filled) // the workbook part seen
		fastTestCompare(t, swapped)
		fastTestRead(t, std, swapped)
		a, b := readTest(bytes.NewReader(filled), "a.xlsx", std, Limits{}), readTest(bytes.NewReader(swapped), "a.xlsx", std, Limits{})
		if reflect.DeepEqual(a.Facts, b.Facts) && reflect.DeepEqual(a.Issues, b.Issues) {
			t.Error("swapping the sheets' parts changed nothing read: the test reads nothing")
		}
	})

	// Workbooks from elsewhere: LibreOffice, and the hostile uploads.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xlsx"))
	hostile, _ := filepath.Glob(filepath.Join("testdata", "hostile", "*"))
	for _, p := range append(files, hostile...) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			answered := fastTestCompare(t, b)
			if strings.HasPrefix(filepath.Base(p), "filled-") && !answered {
				t.Error("the fast path gave a LibreOffice workbook to excelize")
			}
			fastTestRead(t, std, b)
		})
	}
}

// FuzzFastPart puts arbitrary XML in place of one part a filled workbook's
// fields are read from (the 完成情况 sheet, the shared strings, the
// workbook): wherever the fast path answers, it must read what excelize
// reads (go test -fuzz FuzzFastPart ./sheets; the seeds run with go test).
func FuzzFastPart(f *testing.F) {
	std := tmplTestStd(f)
	template := tmplTestWrite(f, std, tmplTestInst(f, std, "常柴"))
	var filled bytes.Buffer
	if err := Fill(bytes.NewReader(template), &filled, map[string]any{"actual_appraised": 1300, "contact_name": "张伟"}); err != nil {
		f.Fatal(err)
	}
	parts := []string{"xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/workbook.xml"}
	orig := map[string]string{}
	fastTestRezip(f, filled.Bytes(), func(name string, b []byte) []byte {
		orig[name] = string(b)
		return b
	})
	sheet := orig[parts[0]]
	f.Add(uint8(0), sheet)
	f.Add(uint8(0), strings.Replace(sheet, `<c r="D9" `, `<c r="D9" t="inlineStr" `, 1))
	f.Add(uint8(0), strings.Replace(sheet, `<row r="9"`, `<row r="9" ht="x"`, 1))
	f.Add(uint8(0), strings.Replace(sheet, `</sheetData>`, `</sheetData><mergeCells><mergeCell ref="D9:E9"/></mergeCells>`, 1))
	indented := strings.ReplaceAll(strings.ReplaceAll(sheet, "><v>", ">\n        <v>"), "</v></c>", "</v>\n      </c>") // as Gnumeric writes
	f.Add(uint8(0), indented)
	f.Add(uint8(0), regexp.MustCompile(`<c r="([A-E]\d+)"([^>]*?)( t="s")?>(<v>[^<]*</v>)?</c>`).ReplaceAllString(sheet, `<c r="$1"$2 t="inlineStr"><is><t xml:space="preserve">标 签</t></is></c>`)) // as openpyxl writes, fields included
	f.Add(uint8(1), orig[parts[1]])
	f.Add(uint8(1), strings.Replace(orig[parts[1]], `<si><t>`, `<si><r><t>`, 1))
	f.Add(uint8(2), orig[parts[2]])
	f.Add(uint8(2), strings.Replace(orig[parts[2]], `<definedName `, `<definedName localSheetId="1" `, 1))
	f.Fuzz(func(t *testing.T, which uint8, xml string) {
		part := parts[int(which)%len(parts)]
		data := fastTestRezip(t, filled.Bytes(), func(name string, b []byte) []byte {
			if name == part {
				return []byte(xml)
			}
			return b
		})
		fastTestCompare(t, data)
	})
}

// TestFastLimits: under tight limits, Read says the same with and without
// the fast path (the scan refuses; the fast path must not answer).
func TestFastLimits(t *testing.T) {
	std := tmplTestStd(t)
	template := tmplTestWrite(t, std, tmplTestInst(t, std, "常柴"))
	var filled bytes.Buffer
	if err := Fill(bytes.NewReader(template), &filled, map[string]any{"actual_appraised": 1300, "contact_name": "张伟张伟张伟"}); err != nil {
		t.Fatal(err)
	}
	for i, lim := range []Limits{
		{MaxRows: 20}, {MaxCells: 150}, {MaxCells: 219}, {MaxCells: 221}, {MaxStrings: 50}, {MaxTextChars: 5},
		{MaxSheets: 2}, {UnzipXMLSizeLimit: 10 << 10}, {UnzipSizeLimit: 60 << 10},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			fast := (&Reader{Standard: std, Limits: lim}).Read(bytes.NewReader(filled.Bytes()), "x.xlsx")
			slow := (&Reader{Standard: std, Limits: lim, Slow: true}).Read(bytes.NewReader(filled.Bytes()), "x.xlsx")
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("Read differs with the fast path:\n fast %+v\n slow %+v", fast.Issues, slow.Issues)
			}
		})
	}
}
