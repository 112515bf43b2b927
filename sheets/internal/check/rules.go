package check

// The rules of the parts a reader relies on, one function or type each.
// Scan applies them as it walks the parts with encoding/xml; the fast
// reader (sheets/internal/fast) applies the same ones with its own
// tokenizer, and answers only when none refuses. Each returns nil when the
// rule holds.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/ooxml"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// Repair is what to do with a workbook whose parts are damaged.
const Repair = "请用 Excel、WPS 或 LibreOffice 打开（如提示修复，请核对修复后的内容）后另存为 .xlsx 再上传，或在市中心下发的自评表中重新填写"

// what names a part for people: 工作表「完成情况」 or the part's name.
func what(part, sheet string) string {
	if sheet != "" {
		return "工作表「" + text.Clip(sheet) + "」"
	}
	return "工作簿的「" + text.Clip(part) + "」部件"
}

// isXML reports whether excelize may decode a part by its name.
func isXML(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".xml") || strings.HasSuffix(n, ".rels") || strings.HasSuffix(n, ".vml")
}

// XMLPart refuses a part larger, unzipped, than one XML part may be;
// sheet names it for people when it is a sheet.
func XMLPart(f *zip.File, sheet string, lim Limits) *Refusal {
	if f.UncompressedSize64 > uint64(lim.UnzipXMLSizeLimit) {
		return refuse(fmt.Sprintf("%s解压后 %s MB，超过 %s MB 的上限，不像是自评表；请删除多余的内容，或在市中心下发的自评表中重新填写后上传",
			what(f.Name, sheet), text.MB(int64(min(f.UncompressedSize64, 1<<62))), text.MB(lim.UnzipXMLSizeLimit)),
			fmt.Sprintf("part %q declares %d bytes, XML limit %d", f.Name, f.UncompressedSize64, lim.UnzipXMLSizeLimit))
	}
	return nil
}

// Parts refuses a workbook with an XML part that excelize may decode and
// that is larger than one XML part may be. Worksheets are left to the
// readers: a sheet no field points at is never decoded (excelize keeps a
// large one in a temporary file), one that holds fields is checked with
// XMLPart when it is read.
func Parts(p *ooxml.Package, lim Limits) *Refusal {
	for _, f := range p.Zip.File {
		if strings.HasPrefix(strings.ToLower(f.Name), "xl/worksheets/") || !isXML(f.Name) {
			continue
		}
		if r := XMLPart(f, "", lim); r != nil {
			return r
		}
	}
	return nil
}

// ContentType refuses a content type of [Content_Types].xml that makes
// the workbook one with macros.
func ContentType(ct string) *Refusal {
	if l := strings.ToLower(ct); strings.Contains(l, "macroenabled") || strings.Contains(l, "vbaproject") || strings.Contains(l, "macrosheet") {
		return refuse("这是启用宏的工作簿（.xlsm），为安全起见不予接受；请在 Excel 中「另存为」Excel 工作簿（*.xlsx，不含宏）后上传；自评表本身不需要宏",
			"macro-enabled content type "+ct)
	}
	return nil
}

// NoWorkbook refuses a package whose relationships name no workbook part.
func NoWorkbook(target string) *Refusal {
	return refuse("这不是 Excel 工作簿（文件中没有工作簿部件）；"+useOurs, fmt.Sprintf("no officeDocument part (target %q)", target))
}

// Sheets checks the sheets of the workbook as they are listed: no more
// than MaxSheets, no two whose names differ only in case (excelize would
// take either). The zero value is not ready: use NewSheets.
type Sheets struct {
	lim   Limits
	lower map[string]bool
}

// NewSheets checks the sheets of one workbook within lim.
func NewSheets(lim Limits) *Sheets { return &Sheets{lim: lim, lower: map[string]bool{}} }

// Add checks the next sheet.
func (s *Sheets) Add(name string) *Refusal {
	l := strings.ToLower(name)
	if s.lower[l] {
		return refuse("文件已损坏：有两个工作表都叫「"+text.Clip(name)+"」；"+Repair, fmt.Sprintf("duplicate sheet name %q", name))
	}
	s.lower[l] = true
	if len(s.lower) > s.lim.MaxSheets {
		return refuse(fmt.Sprintf("工作簿的工作表超过 %d 个，不像是自评表（只有 3 个工作表）；%s", s.lim.MaxSheets, useOurs),
			fmt.Sprintf("more than %d sheets", s.lim.MaxSheets))
	}
	return nil
}

// LocalSheetID reads a defined name's localSheetId: scoped to a sheet when
// it is 0 or more; a value that is no number is refused.
func LocalSheetID(name, v string) (scoped bool, r *Refusal) {
	id, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return false, refuse("文件已损坏：定义名称「"+text.Clip(name)+"」的范围无效；"+Repair,
			fmt.Sprintf("defined name %q: localSheetId %q", name, v))
	}
	return id >= 0, nil
}

// Names checks the defined names of a workbook as they are listed: no
// two of workbook scope whose names differ only in case. Which one a
// program reads is an accident of how it was written (excelize and kaohe's
// readers take the first, others the last), so the cell a field is read
// from would not be the one a clerk sees in the name manager. The zero
// value is not ready: use NewNames.
type Names struct{ seen map[string]bool }

// NewNames checks the defined names of one workbook.
func NewNames() *Names { return &Names{seen: map[string]bool{}} }

// Add checks the next defined name; scoped is whether it has a sheet's
// scope (LocalSheetID), and such names are not compared.
func (n *Names) Add(name string, scoped bool) *Refusal {
	if scoped {
		return nil
	}
	k := strings.ToLower(strings.TrimSpace(name))
	if n.seen[k] {
		return refuse("文件已损坏或被改动过：工作簿范围的定义名称「"+text.Clip(name)+"」出现了两次，可能指向不同的单元格，不同的软件会读到不同的内容；"+
			"请在市中心下发的自评表中重新填写后上传，不要复制或修改定义名称", fmt.Sprintf("workbook-scope defined name %q defined twice", name))
	}
	n.seen[k] = true
	return nil
}

// Once checks the children of one field cell: a value (v), a formula (f)
// and an inline string (is) at most once each. With two, excelize keeps the
// last while a spreadsheet program may show the first: what is scored
// would not be what the clerk sees.
type Once struct {
	c          Field
	v, f, isIs bool
}

// NewOnce checks the children of the field cell c.
func NewOnce(c Field) Once { return Once{c: c} }

// Add checks the next child element of the cell, by its local name; other
// elements are not counted.
func (o *Once) Add(elem string) *Refusal {
	var seen *bool
	switch elem {
	case "v":
		seen = &o.v
	case "f":
		seen = &o.f
	case "is":
		seen = &o.isIs
	default:
		return nil
	}
	if *seen {
		return o.c.refuse("文件已损坏或被改动过：这个单元格中有两个值（<"+elem+">），不同的软件会读到不同的内容；"+
			"请在 Excel、WPS 或 LibreOffice 中重新填写这个单元格，另存为 .xlsx 后上传",
			fmt.Sprintf("cell %s!%s holds <%s> twice", o.c.Sheet, o.c.Cell, elem))
	}
	*seen = true
	return nil
}

// Rels checks the relationships of one part: no id twice.
type Rels struct {
	part string
	ids  map[string]bool
}

// NewRels checks the relationships part named part.
func NewRels(part string) *Rels { return &Rels{part: part, ids: map[string]bool{}} }

// Add checks the next relationship's id.
func (r *Rels) Add(id string) *Refusal {
	if r.ids[id] {
		return refuse("文件已损坏：「"+text.Clip(r.part)+"」中的关系「"+text.Clip(id)+"」出现了两次；"+Repair,
			fmt.Sprintf("duplicate relationship id %q in %s", id, r.part))
	}
	r.ids[id] = true
	return nil
}

// Strings refuses a workbook once it has more than MaxStrings shared
// strings; n is how many have been read.
func Strings(n int, lim Limits) *Refusal {
	if n > lim.MaxStrings {
		return refuse(fmt.Sprintf("工作簿中的文字超过 %s 段，不像是自评表；请删除多余的内容，或在市中心下发的自评表中重新填写后上传", text.Thousands(lim.MaxStrings)),
			fmt.Sprintf("more than %d shared strings", lim.MaxStrings))
	}
	return nil
}

// SheetMissing refuses a workbook whose sheet holding fields has no part.
func SheetMissing(sheet, cause string) *Refusal {
	return refuse("文件已损坏：工作表「"+text.Clip(sheet)+"」的数据缺失；"+Repair, cause)
}

// Field is a field's cell, for the rules about one cell.
type Field struct {
	Field       *templates.Field
	Sheet, Cell string
}

func (c Field) refuse(msg, cause string) *Refusal {
	return &Refusal{Field: c.Field.Name, Label: c.Field.Label, Sheet: c.Sheet, Cell: c.Cell, Message: msg, Cause: cause}
}

// FieldText refuses a field cell whose text, units UTF-16 units long, no
// Excel cell can hold.
func FieldText(c Field, units int, lim Limits) *Refusal {
	if units > lim.MaxTextChars {
		return c.refuse(fmt.Sprintf("内容长 %s 个字符，超过 Excel 单元格的上限 %s 个字符，未读取；请改短后重新上传", text.Thousands(units), text.Thousands(lim.MaxTextChars)),
			fmt.Sprintf("cell %s!%s holds %d UTF-16 units, limit %d", c.Sheet, c.Cell, units, lim.MaxTextChars))
	}
	return nil
}

// SharedString reads the v of a field cell of type s as an index into n
// shared strings, refusing one that points at none.
func SharedString(c Field, v string, n int) (int, *Refusal) {
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || i < 0 || i >= n {
		return 0, c.refuse("文件已损坏：单元格引用了不存在的文字（共享字符串 "+text.Clip(v)+"）；"+Repair,
			fmt.Sprintf("cell %s!%s: shared string index %q, %d shared strings", c.Sheet, c.Cell, v, n))
	}
	return i, nil
}

// Ref reads a cell reference as Excel writes it in a sheet (C5: upper
// case, no $, no leading zero, within Excel's columns and rows); ok is
// false for anything else.
func Ref[T string | []byte](s T) (col, row int, ok bool) {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		col = col*26 + int(s[i]-'A'+1)
		i++
	}
	if i == 0 || i > 3 || i == len(s) || s[i] == '0' {
		return 0, 0, false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		row = row*10 + int(c-'0')
		if row > excelize.TotalRows {
			return 0, 0, false
		}
	}
	return col, row, col <= excelize.MaxColumns
}

// Rows checks the rows and cells of a sheet holding fields, in document
// order: row numbers within Excel's and MaxRows, rows in increasing order,
// each cell with its reference, in its row, in increasing columns, and at
// most MaxCells cells as excelize allocates them (it fills every row up to
// its last cell). A row without a number is numbered by its first cell, or
// is the one after the last.
type Rows struct {
	lim         Limits
	part, sheet string
	prevRow     int // the last row ended
	row         int // the row open, 0 until its number is known
	prevCol     int // the last cell's column in the row open
	cells       int // cells so far, as excelize allocates them
}

// NewRows checks the rows of the sheet named sheet, in part.
func NewRows(part, sheet string, lim Limits) *Rows { return &Rows{lim: lim, part: part, sheet: sheet} }

func (s *Rows) corrupt(detail, cause string) *Refusal {
	return refuse("文件已损坏："+what(s.part, s.sheet)+detail+"，其中的数据无法可靠读取；"+Repair, fmt.Sprintf("sheet %q (%s): %s", s.sheet, s.part, cause))
}

// start numbers the row open.
func (s *Rows) start(n int) *Refusal {
	switch {
	case n <= s.prevRow:
		return s.corrupt(fmt.Sprintf("的第 %d 行出现了两次或顺序错乱", n), fmt.Sprintf("row %d after row %d", n, s.prevRow))
	case n > s.lim.MaxRows:
		return refuse(fmt.Sprintf("%s第 %s 行仍有内容或格式，自评表只需要约 60 行，最多读取 %s 行；请删除多余的行（选中多余的行 → 右键 → 删除）后保存再上传",
			what(s.part, s.sheet), text.Thousands(n), text.Thousands(s.lim.MaxRows)),
			fmt.Sprintf("sheet %q (%s): row %d past the limit of %d rows", s.sheet, s.part, n, s.lim.MaxRows))
	}
	s.row = n
	return nil
}

// Row starts a row; r is its r attribute, as written, when it has one.
func (s *Rows) Row(r []byte, has bool) *Refusal {
	s.row, s.prevCol = 0, 0
	v := bytes.TrimSpace(r)
	if !has || len(v) == 0 {
		return nil // numbered by its cells, or the one after the last
	}
	n, ok := 0, len(v) <= 9
	for _, c := range v { // the usual number, read without a string
		if c < '0' || c > '9' {
			ok = false
			break
		}
		n = n*10 + int(c-'0')
	}
	if !ok {
		var err error
		if n, err = strconv.Atoi(string(v)); err != nil || n < 0 {
			return s.corrupt("的行号「"+text.Clip(string(r))+"」无效", fmt.Sprintf("row r=%q", r))
		}
	}
	switch {
	case n > excelize.TotalRows:
		return s.corrupt(fmt.Sprintf("中有行号 %s，超出 Excel 的最大行号 %s", text.Clip(string(r)), text.Thousands(excelize.TotalRows)), fmt.Sprintf("row r=%q past %d", r, excelize.TotalRows))
	case n > 0:
		return s.start(n)
	}
	return nil
}

// Number is the number of the row open: 0 until known.
func (s *Rows) Number() int { return s.row }

// Cell checks the next cell of the row open by its reference and returns
// its column.
func (s *Rows) Cell(ref []byte) (int, *Refusal) {
	col, r, ok := Ref(ref)
	if !ok {
		return 0, s.corrupt("中有单元格缺少或写错了位置（「"+text.Clip(string(ref))+"」）", fmt.Sprintf("cell r=%q", ref))
	}
	if s.row == 0 {
		if err := s.start(r); err != nil {
			return 0, err
		}
	}
	if r != s.row {
		return 0, s.corrupt(fmt.Sprintf("的单元格 %s 不在它所在的第 %d 行", ref, s.row), fmt.Sprintf("cell %s in row %d", ref, s.row))
	}
	if col <= s.prevCol {
		return 0, s.corrupt(fmt.Sprintf("的单元格 %s 出现了两次或顺序错乱", ref), fmt.Sprintf("cell %s after column %d", ref, s.prevCol))
	}
	s.prevCol = col
	return col, nil
}

// EndRow ends the row open.
func (s *Rows) EndRow() *Refusal {
	if s.row == 0 {
		if err := s.start(s.prevRow + 1); err != nil {
			return err
		}
	}
	s.prevRow = s.row
	s.cells += s.prevCol // excelize fills each row up to its last cell
	if s.cells > s.lim.MaxCells {
		return refuse(fmt.Sprintf("%s的单元格超过 %s 个（到第 %s 行为止），不像是自评表；请删除多余的行和列后保存再上传",
			what(s.part, s.sheet), text.Thousands(s.lim.MaxCells), text.Thousands(s.row)),
			fmt.Sprintf("sheet %q (%s): more than %d cells by row %d", s.sheet, s.part, s.lim.MaxCells, s.row))
	}
	return nil
}

// Merge checks a merged range's reference (A1:B2, or one cell).
func (s *Rows) Merge(ref string) *Refusal {
	a, b, _ := strings.Cut(ref, ":")
	if b == "" {
		b = a
	}
	_, _, err1 := excelize.CellNameToCoordinates(a)
	_, _, err2 := excelize.CellNameToCoordinates(b)
	if err1 != nil || err2 != nil || strings.Count(ref, ":") > 1 {
		return s.corrupt("的合并单元格「"+text.Clip(ref)+"」无效", fmt.Sprintf("mergeCell ref=%q", ref))
	}
	return nil
}
