package sheets

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"kaohe/templates"
)

// AllocationTable is 附件2 (目标分解表) as found in the centre's workbook:
// the allocation, and where its parts were, for telling people what was
// read.
type AllocationTable struct {
	templates.Allocation
	File   string
	Sheet  string
	Header [2]int // the first and last header row, 1-based
	// Columns are the column letters of templates.AllocationColumns (e.g.
	// "A"), Headings the header words each was found by, as typed with
	// line breaks dropped (日常职业技能鉴定 / 职业技能鉴定人数).
	Columns, Headings [5]string
	Ignored           []string // columns matching none, e.g. F「备注」
	CityRow           int      // the 全市目标数 row, 1-based; 0 when there is none
	Rows              []int    // each institution's row, 1-based, in order
}

// Limits on the 附件2 workbook: the centre's own file, but one that may be
// mistaken for something else.
const (
	allocationMaxBytes  = 20 << 20
	allocationMaxRows   = 5000
	allocationHeaderMax = 30 // the header must start within these rows
)

// ReadAllocation reads 附件2 from a workbook laid out as the centre gets
// it: a title, header rows (possibly two, with merged cells and line
// breaks such as 新增高技能\n人才取证数), a 全市目标数 row, one row per
// institution, blanks meaning 0. Columns are found by their header words,
// not their positions. The table ends at a blank row, a 合计 row or a note
// (注：…); a header repeated further down (a printed table's second page)
// is skipped. file names the workbook in issues.
//
// Every problem is an Issue naming its cell (附件2!A9): errors for what
// cannot be used (no header, a column not found, an empty or duplicate
// name, a target that is not a whole number or is negative, rows after a
// blank row), warnings for what is only odd. The table is nil when the
// workbook or its header could not be read at all; it is meant to be used
// only when no issue is an error.
func ReadAllocation(r io.Reader, file string) (*AllocationTable, []Issue) {
	fail := func(msg, cause string) (*AllocationTable, []Issue) {
		return nil, []Issue{{Severity: Error, File: file, Message: msg, Cause: cause}}
	}
	data, err := io.ReadAll(io.LimitReader(r, allocationMaxBytes+1))
	if err != nil {
		return fail("读取文件失败", err.Error())
	}
	if len(data) > allocationMaxBytes {
		return fail(fmt.Sprintf("文件超过 %d MB，不像是附件2（目标分解表）", allocationMaxBytes>>20), "")
	}
	switch {
	case len(data) == 0:
		return fail("文件是空的", "")
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return fail("这是旧版 .xls 工作簿，或设置了打开密码；请在 Excel 或 WPS 中取消密码，「另存为」Excel 工作簿（.xlsx）后重试", "OLE compound file")
	case !bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return fail("不是 Excel 工作簿（.xlsx）；请在 Excel 或 WPS 中「另存为」Excel 工作簿（.xlsx）后重试", "not a zip")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return fail("无法打开这个工作簿；请在 Excel 或 WPS 中打开它，「另存为」Excel 工作簿（.xlsx）后重试", err.Error())
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		g, err := readAllocGrid(f, sheet)
		if err != nil {
			return fail(fmt.Sprintf("工作表「%s」无法读取；请「另存为」Excel 工作簿（.xlsx）后重试", sheet), err.Error())
		}
		if t, issues, ok := g.table(file); ok {
			return t, issues
		}
	}
	return fail("没有找到附件2的表头：任何工作表的前 30 行中都没有「鉴定机构」；请确认这是目标分解表，表头写有 鉴定机构、职业技能鉴定人数、职业资格取证人数、全国(省)统考人数、新增高技能人才取证数", "")
}

// allocGrid is a sheet's cells as text (numbers as stored), with merged cells'
// value copied into every cell they cover, for the header.
type allocGrid struct {
	sheet  string
	rows   [][]string
	merged [][]string
}

func readAllocGrid(f *excelize.File, sheet string) (*allocGrid, error) {
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	if len(rows) > allocationMaxRows {
		rows = rows[:allocationMaxRows]
	}
	g := &allocGrid{sheet: sheet, rows: rows}
	g.merged = make([][]string, len(rows))
	for i, r := range rows {
		g.merged[i] = append([]string(nil), r...)
	}
	merges, err := f.GetMergeCells(sheet)
	if err != nil {
		return nil, err
	}
	for _, m := range merges {
		c1, r1, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c2, r2, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil || r1 > len(rows) {
			continue
		}
		v := g.at(r1-1, c1-1)
		for r := r1 - 1; r < min(r2, len(rows)); r++ {
			for c := c1 - 1; c < min(c2, 100); c++ {
				for len(g.merged[r]) <= c {
					g.merged[r] = append(g.merged[r], "")
				}
				g.merged[r][c] = v
			}
		}
	}
	return g, nil
}

func (g *allocGrid) at(r, c int) string {
	if r < 0 || r >= len(g.rows) || c < 0 || c >= len(g.rows[r]) {
		return ""
	}
	return g.rows[r][c]
}

func (g *allocGrid) mergedAt(r, c int) string {
	if r < 0 || r >= len(g.merged) || c < 0 || c >= len(g.merged[r]) {
		return ""
	}
	return g.merged[r][c]
}

func (g *allocGrid) width(r int) int {
	if r < 0 || r >= len(g.merged) {
		return 0
	}
	return len(g.merged[r])
}

// allocCell is the A1 name of 0-based row r, column c.
func allocCell(r, c int) string {
	n, _ := excelize.CoordinatesToCellName(c+1, r+1)
	return n
}

// allocWords normalises header text for matching: no spaces or line
// breaks, full-width brackets and letters as ASCII (全国（省） is 全国(省)).
func allocWords(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u3000' || r == '\u200b' || r == '\ufeff':
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// allocWithoutNotes drops parenthesised notes: 新增高技能人才取证数(不含统考) is
// 新增高技能人才取证数; 全国(省)统考人数 is 全国统考人数.
func allocWithoutNotes(s string) string {
	for {
		i := strings.IndexByte(s, '(')
		j := strings.IndexByte(s, ')')
		if i < 0 || j < i {
			return s
		}
		s = s[:i] + s[j+1:]
	}
}

// allocNameHeader: the header cell over the institutions' names (鉴定机构,
// 鉴定机构名称), not a title that mentions them.
func allocNameHeader(w string) bool {
	return strings.Contains(w, "鉴定机构") && utf8.RuneCountInString(w) <= 8 || w == "机构名称" || w == "单位名称" || w == "鉴定所"
}

// allocTarget says which target column header words name: 1–4 (index into
// templates.AllocationColumns), 0 for none.
func allocTarget(w string) int {
	w = allocWithoutNotes(w)
	switch {
	case strings.Contains(w, "高技能"):
		return 4
	case strings.Contains(w, "取证"):
		return 2
	case strings.Contains(w, "统考"):
		return 3
	case strings.Contains(w, "鉴定人数") || strings.Contains(w, "鉴定") && strings.Contains(w, "人数"):
		return 1
	}
	return 0
}

// allocRowKind is what a row of the table is.
type allocRowKind int

const (
	allocData    allocRowKind = iota
	allocBlank                // nothing in the table's columns
	allocCity                 // 全市目标数
	allocTotal                // 合计: the table ends
	allocNote                 // 注：…: the table ends
	allocHeading              // the header again (a printed table's next page)
)

// table finds 附件2 in the sheet; ok is false when the sheet has no header.
func (g *allocGrid) table(file string) (t *AllocationTable, issues []Issue, ok bool) {
	hr, nc := -1, -1
	for r := 0; r < min(len(g.rows), allocationHeaderMax) && hr < 0; r++ {
		for c := range g.width(r) {
			if allocNameHeader(allocWords(g.at(r, c))) {
				hr, nc = r, c
				break
			}
		}
	}
	if hr < 0 {
		return nil, nil, false
	}
	t = &AllocationTable{File: file, Sheet: g.sheet}
	issue := func(sev Severity, r, c int, label, value, msg string) {
		issues = append(issues, Issue{Severity: sev, File: file, Sheet: g.sheet, Cell: allocCell(r, c), Label: label, Value: value, Message: msg})
	}
	nameWords := allocWords(g.at(hr, nc))
	end := hr // the header's last row
	for end+1 < len(g.rows) && end-hr < 3 && g.headerLike(end+1, nc, nameWords) {
		end++
	}
	t.Header = [2]int{hr + 1, end + 1}

	// The columns, by their header words.
	cols := [5]int{nc, -1, -1, -1, -1}
	t.Columns[0], t.Headings[0] = allocCol(nc), g.heading(hr, end, nc)
	width := 0
	for r := hr; r <= end; r++ {
		width = max(width, g.width(r))
	}
	for c := range width {
		if c == nc {
			continue
		}
		h := g.heading(hr, end, c)
		if h == "" {
			continue
		}
		k := allocTarget(allocWords(h))
		switch {
		case k == 0:
			t.Ignored = append(t.Ignored, fmt.Sprintf("%s「%s」", allocCol(c), h))
		case cols[k] >= 0:
			issue(Error, end, c, templates.AllocationColumns[k], h, fmt.Sprintf("%s 列和 %s 列都像是「%s」列；请只留一列，或把表头写清楚",
				allocCol(cols[k]), allocCol(c), templates.AllocationColumns[k]))
		default:
			cols[k], t.Columns[k], t.Headings[k] = c, allocCol(c), h
		}
	}
	var missing []string
	for k, c := range cols {
		if c < 0 {
			missing = append(missing, "「"+templates.AllocationColumns[k]+"」")
		}
	}
	if len(missing) > 0 {
		var seen []string
		for k, c := range cols {
			if c >= 0 {
				seen = append(seen, fmt.Sprintf("%s「%s」", allocCol(c), t.Headings[k]))
			}
		}
		seen = append(seen, t.Ignored...)
		issue(Error, hr, nc, "", "", fmt.Sprintf("表头（第 %d–%d 行）中找不到%s列；表头中有：%s。请让表头写明这些列",
			hr+1, end+1, strings.Join(missing, "、"), strings.Join(seen, "、")))
	}
	if allocHasError(issues) {
		return t, issues, true
	}

	// The rows, to the end of the table.
	var rows [][5]string
	var cityRow [5]string
	cell := func(r, k int) string { return allocNumber(g.at(r, cols[k])) }
	r := end + 1
	for ; r < len(g.rows); r++ {
		kind := g.kind(r, cols, nameWords)
		if kind == allocBlank && len(rows) == 0 && t.CityRow == 0 {
			continue // blank rows under the header, before the table's first row
		}
		if kind == allocBlank || kind == allocTotal || kind == allocNote {
			break
		}
		switch kind {
		case allocHeading:
			for r+1 < len(g.rows) && g.headerLike(r+1, nc, nameWords) {
				r++
			}
		case allocCity:
			if t.CityRow != 0 {
				issue(Error, r, nc, "", g.at(r, nc), fmt.Sprintf("又一个「全市目标数」行（第一个在 %s!%s）；请只留一行", g.sheet, allocCell(t.CityRow-1, nc)))
				continue
			}
			t.CityRow, t.HasCity = r+1, true
			for k := range 5 {
				cityRow[k] = cell(r, k)
				t.CityPlaces[k] = g.sheet + "!" + allocCell(r, cols[k])
			}
		default:
			var row [5]string
			var places [5]string
			for k := range 5 {
				row[k] = cell(r, k)
				places[k] = g.sheet + "!" + allocCell(r, cols[k])
			}
			rows = append(rows, row)
			t.Places = append(t.Places, places)
			t.Rows = append(t.Rows, r+1)
		}
	}
	if r < len(g.rows) && g.kind(r, cols, nameWords) == allocBlank { // a blank row inside the table loses what follows
		for after := r + 1; after < len(g.rows); after++ {
			if k := g.kind(after, cols, nameWords); k == allocTotal || k == allocNote {
				break
			} else if k == allocData && g.hasNumber(after, cols) {
				issue(Error, r, nc, "", "", fmt.Sprintf("第 %d 行是空行，表在这里就结束了，但下面第 %d 行还有鉴定机构（「%s」）；请删去空行后重试",
					r+1, after+1, templates.CleanName(g.at(after, nc))))
				break
			}
		}
	}

	ins, problems := templates.ParseRows(rows, t.Place)
	for _, p := range problems {
		issue(Error, t.Rows[p.Row]-1, cols[p.Col], templates.AllocationColumns[p.Col], p.Value, p.Message)
	}
	t.Institutions = ins
	if t.HasCity {
		city, problems := templates.ParseRows([][5]string{{"全市目标数", cityRow[1], cityRow[2], cityRow[3], cityRow[4]}},
			func(_, col int) string { return t.CityPlaces[col] })
		for _, p := range problems {
			issue(Error, t.CityRow-1, cols[p.Col], "全市目标数 "+templates.AllocationColumns[p.Col], p.Value, p.Message)
		}
		t.City = city[0].Targets
	}
	if len(rows) == 0 {
		issue(Error, end+1, nc, "", "", fmt.Sprintf("表头（第 %d–%d 行）下面没有鉴定机构", hr+1, end+1))
	}
	return t, issues, true
}

// heading is the header words of column c over rows hr..end, each row's
// once, joined by " / ".
func (g *allocGrid) heading(hr, end, c int) string {
	var parts []string
	for r := hr; r <= end; r++ {
		v := strings.Join(strings.FieldsFunc(g.mergedAt(r, c), func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' }), "")
		if v != "" && (len(parts) == 0 || parts[len(parts)-1] != v) {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " / ")
}

// headerLike reports whether row r continues the header above it: its
// name cell empty (or the header merged down), and words but no numbers.
func (g *allocGrid) headerLike(r, nc int, nameWords string) bool {
	if n := allocWords(g.mergedAt(r, nc)); n != "" && n != nameWords {
		return false
	}
	words := false
	for c := range g.width(r) {
		v := allocWords(g.mergedAt(r, c))
		if v == "" || c == nc {
			continue
		}
		if _, err := strconv.ParseFloat(allocNumber(v), 64); err == nil {
			return false
		}
		words = true
	}
	return words
}

func (g *allocGrid) kind(r int, cols [5]int, nameWords string) allocRowKind {
	blank := true
	for _, c := range cols {
		if strings.TrimFunc(g.at(r, c), func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' }) != "" {
			blank = false
		}
	}
	w := allocWords(g.at(r, cols[0]))
	switch {
	case blank:
		return allocBlank
	case w == nameWords:
		return allocHeading
	case strings.Contains(w, "全市") && strings.Contains(w, "目标"):
		return allocCity
	case strings.Contains(w, "合计") || strings.Contains(w, "总计") || w == "小计":
		return allocTotal
	case strings.HasPrefix(w, "注:") || strings.HasPrefix(w, "说明:") || strings.HasPrefix(w, "备注:"):
		return allocNote
	}
	return allocData
}

// hasNumber reports whether row r has a target that is a number.
func (g *allocGrid) hasNumber(r int, cols [5]int) bool {
	for _, c := range cols[1:] {
		if _, err := strconv.ParseFloat(allocNumber(allocWords(g.at(r, c))), 64); err == nil {
			return true
		}
	}
	return false
}

// allocNumber is a cell's value as people see it: a stored number that is
// a whole number but for binary noise (a formula's 4599.999999999999) as
// that whole number; anything else as it is.
func allocNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return s
	}
	if r := math.Round(v); math.Abs(v-r) < 1e-6 && math.Abs(r) < 1e15 {
		return strconv.FormatInt(int64(r), 10)
	}
	return s
}

func allocCol(c int) string {
	n, _ := excelize.ColumnNumberToName(c + 1)
	return n
}

func allocHasError(issues []Issue) bool {
	for _, i := range issues {
		if i.Severity == Error {
			return true
		}
	}
	return false
}
