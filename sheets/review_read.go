package sheets

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
	"kaohe/templates/score"
)

// Limits on the 核查表: the centre's own file, but one that may be mistaken
// for another, and whose texts end up in every report.
const (
	reviewMaxBytes     = 20 << 20
	reviewMaxRows      = 5000
	reviewHeaderWithin = 10  // the header row is among the first rows
	reviewMaxBasis     = 500 // characters of a 依据
	reviewMaxShort     = 50  // characters of a 核查人 or 日期
)

// ReadReview reads a filled 核查表 (see WriteReview) against std: the
// numbers of 核定数据 and the rows of 查实事项 as findings, 核定数据's first
// (row by row, column by column), then 查实事项's in row order, each with
// its place (查实事项!B7). Columns are found by the words of each sheet's
// header row, in any order, with other columns ignored; blank rows are
// skipped.
//
// Values are read as in the self-assessment workbook (全角 digits, 1,200,
// 是/否 and its spellings, no formulas). Every problem is an Issue naming
// the sheet and cell, the value and what to write: errors for a workbook
// that is not a 核查表, a header without a column, an unknown institution or
// 事项, a bad or blank 核定值, a missing 依据, a number of 核定数据 without
// 依据, the same institution and 事项 twice (in either sheet), passes
// verified without appraisals or appraisals without passes (the pass rate
// is made of both; the error names the cell to fill), or more passes
// verified than appraisals; a warning for a 依据 that verifies no
// number. The findings are meant to be used only when no issue is an
// error: a 核查表 is applied whole or not at all.
func ReadReview(r io.Reader, file string, std *templates.Standard) ([]score.Finding, []Issue) {
	rd := &reviewReader{std: std, file: file, seen: map[[2]string]string{}}
	fail := func(msg, cause string) ([]score.Finding, []Issue) {
		return nil, []Issue{{Severity: Error, File: file, Message: msg, Cause: cause}}
	}
	if std == nil {
		return fail("没有可用的考核评分标准，无法校验核查表", "no standard")
	}
	data, err := io.ReadAll(io.LimitReader(r, reviewMaxBytes+1))
	switch {
	case err != nil:
		return fail("读取核查表失败", err.Error())
	case len(data) > reviewMaxBytes:
		return fail(fmt.Sprintf("文件超过 %d MB，不像是核查表", reviewMaxBytes>>20), "")
	case len(data) == 0:
		return fail("核查表是空文件；请用 kaohe review --out 生成核查表后填写", "")
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return fail("这是旧版 .xls 工作簿，或设置了打开密码；请取消密码，「另存为」Excel 工作簿（.xlsx）", "OLE compound file")
	case !bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return fail("不是 Excel 工作簿（.xlsx）；请在 Excel、WPS 或 LibreOffice 中「另存为」Excel 工作簿（.xlsx）", "not a zip")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return fail("无法打开核查表；请在 Excel、WPS 或 LibreOffice 中打开它，「另存为」Excel 工作簿（.xlsx）", "excelize: "+err.Error())
	}
	defer f.Close()
	rd.f, rd.bk = f, book.Excel{File: f}
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		rd.date1904 = *p.Date1904
	}
	sheets := map[string]string{} // the name as written, by its trimmed form
	for _, s := range f.GetSheetList() {
		sheets[readTrim(s)] = s
	}
	var missing []string
	for _, s := range []string{ReviewSheetActuals, ReviewSheetFindings} {
		if _, ok := sheets[s]; !ok {
			missing = append(missing, "「"+s+"」")
		}
	}
	if len(missing) > 0 {
		return fail(fmt.Sprintf("不是核查表：没有工作表%s；请用 kaohe review --out 生成的核查表填写，不要删除或改名工作表", strings.Join(missing, "")), "")
	}
	rd.actuals(sheets[ReviewSheetActuals])
	rd.facts(sheets[ReviewSheetFindings])
	rd.crossCheck()
	slices.SortStableFunc(rd.issues, reviewIssueOrder)
	return rd.findings, rd.issues
}

// reviewIssueOrder orders issues as people read the 核查表: 核定数据 before
// 查实事项, then by row, then by column.
func reviewIssueOrder(a, b Issue) int {
	sheet := func(is Issue) int {
		switch is.Sheet {
		case ReviewSheetActuals:
			return 0
		case ReviewSheetFindings:
			return 1
		}
		return 2
	}
	if d := sheet(a) - sheet(b); d != 0 {
		return d
	}
	ca, ra, _ := excelize.CellNameToCoordinates(a.Cell)
	cb, rb, _ := excelize.CellNameToCoordinates(b.Cell)
	if ra != rb {
		return ra - rb
	}
	return ca - cb
}

type reviewReader struct {
	std      *templates.Standard
	file     string
	f        *excelize.File
	bk       book.Excel
	date1904 bool
	findings []score.Finding
	issues   []Issue
	seen     map[[2]string]string // institution, field → the place of its finding
	// actualsTable and actualsRows are 核定数据's table and each
	// institution's row there (1-based), for messages naming a cell to fill.
	actualsTable *reviewTable
	actualsRows  map[string]int
}

func (rd *reviewReader) issue(sev Severity, sheet, cell, label, value, msg string) {
	rd.issues = append(rd.issues, Issue{Severity: sev, File: rd.file, Sheet: text.Clip(sheet), Cell: cell,
		Label: label, Value: text.Clip(value), Message: msg})
}

// reviewTable is one sheet's table: its rows as excelize lists them and
// where each known header word is.
type reviewTable struct {
	sheet  string
	header int            // the header row, 0-based
	cols   map[string]int // header word → 0-based column
	rows   int            // rows in the sheet
}

// cell is the name of column col (0-based) of row r (0-based).
func (t *reviewTable) cell(col, r int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, r+1)
	return n
}

// reviewWords normalises header words and 事项 for matching: no spaces,
// full-width forms as ASCII, ASCII letters in lower case.
func reviewWords(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u3000' || r == '\u200b' || r == '\ufeff' || r == '\u00a0':
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// table finds sheet's header row (the first of its first rows with a cell
// 鉴定机构) and the columns of words; required are the words that must be
// there, aliases other words accepted for a column. It returns nil, with an
// error, when the header is not there.
func (rd *reviewReader) table(sheet string, words, required []string, aliases map[string]string) *reviewTable {
	rows, err := rd.f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		rd.issue(Error, sheet, "", "", "", fmt.Sprintf("工作表「%s」无法读取；请「另存为」Excel 工作簿（.xlsx）", sheet))
		rd.issues[len(rd.issues)-1].Cause = err.Error()
		return nil
	}
	if len(rows) > reviewMaxRows {
		rd.issue(Error, sheet, "", "", "", fmt.Sprintf("工作表「%s」有 %s 行，超过 %s 行，不像是核查表", sheet, text.Thousands(len(rows)), text.Thousands(reviewMaxRows)))
		return nil
	}
	want := map[string]string{} // normalised → the header word
	for _, w := range words {
		want[reviewWords(w)] = w
	}
	for a, w := range aliases {
		want[reviewWords(a)] = w
	}
	for r := 0; r < min(len(rows), reviewHeaderWithin); r++ {
		if !slices.ContainsFunc(rows[r], func(c string) bool { return reviewWords(c) == reviewWords(ReviewColInstitution) }) {
			continue
		}
		t := &reviewTable{sheet: sheet, header: r, cols: map[string]int{}, rows: len(rows)}
		for c, v := range rows[r] {
			w, ok := want[reviewWords(v)]
			if !ok {
				continue
			}
			if prev, dup := t.cols[w]; dup {
				rd.issue(Error, sheet, t.cell(c, r), w, v, fmt.Sprintf("表头中「%s」出现两次（另一处在 %s!%s）；请删除多余的一列", w, sheet, t.cell(prev, r)))
				continue
			}
			t.cols[w] = c
		}
		var lack []string
		for _, w := range required {
			if _, ok := t.cols[w]; !ok {
				lack = append(lack, "「"+w+"」")
			}
		}
		if len(lack) > 0 {
			rd.issue(Error, sheet, t.cell(0, r), "", "", fmt.Sprintf("表头（第 %d 行）中没有%s列；表头应为 %s，请按 kaohe review --out 生成的核查表恢复表头", r+1, strings.Join(lack, ""), strings.Join(words, "、")))
			return nil
		}
		return t
	}
	rd.issue(Error, sheet, "", "", "", fmt.Sprintf("工作表「%s」的前 %d 行中没有表头（「%s」所在的行）；表头应为 %s", sheet, reviewHeaderWithin, ReviewColInstitution, strings.Join(words, "、")))
	return nil
}

// get is the cell of column word in row r; ok is false when the column is
// not in the table.
func (rd *reviewReader) get(t *reviewTable, word string, r int) (c readCell, at string, ok bool) {
	col, ok := t.cols[word]
	if !ok {
		return readCell{}, "", false
	}
	at = t.cell(col, r)
	bc, err := rd.bk.Cell(book.Place{Sheet: t.sheet, Cell: at})
	if err != nil {
		rd.issue(Error, t.sheet, at, word, "", "无法读取该单元格的内容，请重新填写后另存为 .xlsx")
		return readCell{}, at, false
	}
	return readCell(bc), at, true
}

// filled reports whether a cell holds something: a value or a formula.
func (c readCell) filled() bool { return !c.blank() || c.Formula != "" }

// noFormula reports an error for a cell holding a formula.
func (rd *reviewReader) noFormula(t *reviewTable, at, word string, c readCell) bool {
	if c.Formula == "" {
		return true
	}
	rd.issue(Error, t.sheet, at, word, "="+c.Formula, fmt.Sprintf("单元格中是公式「=%s」；请直接填写，不要使用公式", text.Clip(c.Formula)))
	return false
}

// institution reads a 鉴定机构 cell: a name of the allocation.
func (rd *reviewReader) institution(t *reviewTable, r int, hint string) (templates.Institution, string, bool) {
	c, at, ok := rd.get(t, ReviewColInstitution, r)
	if !ok || !rd.noFormula(t, at, ReviewColInstitution, c) {
		return templates.Institution{}, at, false
	}
	name := readText(c)
	if name == "" {
		rd.issue(Error, t.sheet, at, ReviewColInstitution, "", "鉴定机构未填写；"+hint)
		return templates.Institution{}, at, false
	}
	if in, ok := rd.std.Institution(name); ok {
		return in, at, true
	}
	msg := fmt.Sprintf("「%s」不是 %d 年度目标任务分解表（附件2）中的鉴定机构", text.Clip(name), rd.std.Year)
	if s := readSuggest(rd.std, name); len(s) > 0 {
		msg += "；可能是：「" + strings.Join(s, "」「") + "」"
	}
	rd.issue(Error, t.sheet, at, ReviewColInstitution, name, msg+"。"+hint)
	return templates.Institution{}, at, false
}

// shortText reads a text cell of column word (依据, 核查人) of at most
// most characters; blank is "", and so is a column not in the table.
func (rd *reviewReader) shortText(t *reviewTable, word string, r, most int) (string, string, bool) {
	c, at, ok := rd.get(t, word, r)
	if !ok {
		return "", at, at == ""
	}
	if !rd.noFormula(t, at, word, c) {
		return "", at, false
	}
	s := readText(c)
	if n := len([]rune(s)); n > most {
		rd.issue(Error, t.sheet, at, word, s, fmt.Sprintf("长 %s 个字，超过 %d 个字；请写文号或简要的说明", text.Thousands(n), most))
		return "", at, false
	}
	return s, at, true
}

// claim records a finding, or an error when its institution and field
// were found before.
func (rd *reviewReader) claim(fd score.Finding, t *reviewTable, at, word, shown string) {
	key := [2]string{fd.Institution, fd.Field}
	if prev, dup := rd.seen[key]; dup {
		label := fd.Field
		if field, ok := templates.FieldByName(fd.Field); ok {
			label = field.Label
		}
		rd.issue(Error, t.sheet, at, word, shown, fmt.Sprintf("「%s」的「%s」已在 %s 核定过；同一鉴定机构的同一事项只能有一处，请合并为一行（核定值为查实的总数）并删除另一处",
			fd.Institution, label, prev))
		return
	}
	rd.seen[key] = fd.Place
	rd.findings = append(rd.findings, fd)
}

const reviewNameHint = "请从下拉列表中选择，名称与目标任务分解表（附件2）一致"

// actuals reads 核定数据: each institution's verified actual numbers.
func (rd *reviewReader) actuals(sheet string) {
	aliases := map[string]string{}
	for _, c := range ReviewActualColumns {
		if fd, ok := templates.FieldByName(c.Field); ok {
			aliases[fd.Label] = c.Header
			aliases[fd.Name] = c.Header
		}
	}
	required := []string{ReviewColInstitution, ReviewColBasis}
	t := rd.table(sheet, ReviewActualsHeader, required, aliases)
	if t == nil {
		return
	}
	rows := map[string]int{} // institution → its row, 1-based
	rd.actualsTable, rd.actualsRows = t, rows
	for r := t.header + 1; r < t.rows; r++ {
		type num struct {
			field, word, at, shown string
			v                      int64
		}
		var nums []num
		bad := false
		for _, col := range ReviewActualColumns {
			c, at, ok := rd.get(t, col.Header, r)
			if !ok || !c.filled() {
				bad = bad || (!ok && at != "")
				continue
			}
			if !rd.noFormula(t, at, col.Header, c) {
				bad = true
				continue
			}
			v, ok := readCount(c)
			if !ok {
				rd.issue(Error, t.sheet, at, col.Header, c.shown(), fmt.Sprintf("「%s」不是非负整数；%s；尚未核定的请留空", c.shown(), readCountExpect))
				bad = true
				continue
			}
			nums = append(nums, num{field: col.Field, word: col.Header, at: at, shown: c.shown(), v: v})
		}
		basis, basisAt, basisOK := rd.shortText(t, ReviewColBasis, r, reviewMaxBasis)
		if len(nums) == 0 && !bad && basis == "" && basisOK {
			continue // a row with nothing verified yet
		}
		in, _, ok := rd.institution(t, r, "核定数据中的鉴定机构名称已锁定，请用 kaohe review --out 生成的核查表")
		if !ok {
			continue
		}
		if prev, dup := rows[in.Name]; dup {
			rd.issue(Error, t.sheet, t.cell(t.cols[ReviewColInstitution], r), ReviewColInstitution, in.Name,
				fmt.Sprintf("「%s」在第 %d 行已有一行；每个鉴定机构只能有一行，请删除多余的一行", in.Name, prev))
			continue
		}
		rows[in.Name] = r + 1
		if len(nums) == 0 {
			if basis != "" && !bad {
				rd.issue(Warning, t.sheet, basisAt, ReviewColBasis, basis, "填写了依据，但本行没有核定的人数；本行不改变任何数字")
			}
			continue
		}
		if !basisOK {
			continue
		}
		if basis == "" {
			rd.issue(Error, t.sheet, basisAt, ReviewColBasis, "", "依据未填写；填了核定人数的行必须写明依据，如 鉴定管理系统"+strconv.Itoa(rd.std.Year)+"年度统计、文号或核查记录")
			continue
		}
		for _, n := range nums {
			rd.claim(score.Finding{Institution: in.Name, Field: n.field, Value: n.v, Basis: basis, Place: t.sheet + "!" + n.at}, t, n.at, n.word, n.shown)
		}
	}
}

// facts reads 查实事项: one finding per row.
func (rd *reviewReader) facts(sheet string) {
	t := rd.table(sheet, ReviewFindingsHeader, []string{ReviewColInstitution, ReviewColField, ReviewColValue, ReviewColBasis}, nil)
	if t == nil {
		return
	}
	for r := t.header + 1; r < t.rows; r++ {
		blank := true
		for _, w := range []string{ReviewColInstitution, ReviewColField, ReviewColValue, ReviewColBasis} {
			if c, _, ok := rd.get(t, w, r); ok && c.filled() {
				blank = false
			}
		}
		if blank {
			continue // 核查人 or 日期 alone, or nothing: not a finding
		}
		in, _, okIn := rd.institution(t, r, reviewNameHint)
		field, okField := rd.field(t, r)
		value, valueAt, valueShown, okValue := rd.value(t, r, field, okField)
		basis, basisAt, okBasis := rd.shortText(t, ReviewColBasis, r, reviewMaxBasis)
		if okBasis && basis == "" {
			rd.issue(Error, t.sheet, basisAt, ReviewColBasis, "", "依据未填写；每条查实事项都必须写明依据：文号（如 常人社鉴〔"+strconv.Itoa(rd.std.Year)+"〕12号）或查实的证据（如 现场检查记录、举报核查报告）")
			okBasis = false
		}
		checker, _, okChecker := rd.shortText(t, ReviewColChecker, r, reviewMaxShort)
		date, okDate := rd.date(t, r)
		if !okIn || !okField || !okValue || !okBasis || !okChecker || !okDate {
			continue
		}
		rd.claim(score.Finding{Institution: in.Name, Field: field.Name, Value: value, Basis: basis, Checker: checker, Date: date,
			Place: t.sheet + "!" + valueAt}, t, valueAt, ReviewColValue, valueShown)
	}
}

// field reads a 事项 cell: a verifiable field by its label or defined name.
func (rd *reviewReader) field(t *reviewTable, r int) (templates.Field, bool) {
	c, at, ok := rd.get(t, ReviewColField, r)
	if !ok || !rd.noFormula(t, at, ReviewColField, c) {
		return templates.Field{}, false
	}
	s := readText(c)
	if s == "" {
		rd.issue(Error, t.sheet, at, ReviewColField, "", "事项未填写；请从下拉列表中选择查实的事项，如「试题泄密次数」")
		return templates.Field{}, false
	}
	w := reviewWords(s)
	for _, fd := range templates.VerifiableFields() {
		if w == reviewWords(fd.Label) || w == strings.ToLower(fd.Name) {
			return fd, true
		}
	}
	msg := fmt.Sprintf("「%s」不是可核查的事项", text.Clip(s))
	if fd, ok := templates.FieldByName(strings.TrimSpace(s)); ok {
		msg = fmt.Sprintf("「%s」（%s）不是可核查的事项：鉴定机构名称、考核年度、目标和自评分不由核查表核定", fd.Label, fd.Name)
	} else if sug := reviewSuggestField(s); len(sug) > 0 {
		msg += "；可能是：「" + strings.Join(sug, "」「") + "」"
	}
	rd.issue(Error, t.sheet, at, ReviewColField, s, msg+"。请从下拉列表中选择，或写自评表的定义名称（如 i4_leaks）；可核查的事项见「"+ReviewSheetGuide+"」")
	return templates.Field{}, false
}

// reviewSuggestField returns up to three verifiable fields whose labels
// are closest to s: containing it (or contained in it), then by edit
// distance.
func reviewSuggestField(s string) []string {
	type cand struct {
		label       string
		class, dist int
	}
	w := []rune(reviewWords(s))
	var cs []cand
	for _, fd := range templates.VerifiableFields() {
		l := reviewWords(fd.Label)
		c := cand{label: fd.Label, dist: templates.Distance(w, []rune(l)), class: 2}
		switch {
		case strings.Contains(l, string(w)) || strings.Contains(string(w), l):
			c.class = 0
		case c.dist <= max(2, len(w)/2):
			c.class = 1
		}
		if c.class < 2 {
			cs = append(cs, c)
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.class != b.class {
			return a.class - b.class
		}
		return a.dist - b.dist
	})
	var out []string
	for _, c := range cs[:min(3, len(cs))] {
		out = append(out, c.label)
	}
	return out
}

// value reads a 核定值 cell as field's kind: a count or 是/否.
func (rd *reviewReader) value(t *reviewTable, r int, field templates.Field, known bool) (int64, string, string, bool) {
	c, at, ok := rd.get(t, ReviewColValue, r)
	if !ok || !rd.noFormula(t, at, ReviewColValue, c) {
		return 0, at, "", false
	}
	what := "非负整数，如 1、25000"
	if known && field.Kind == templates.KindYesNo {
		what = "“是”或“否”"
	}
	if c.blank() {
		msg := "核定值未填写；应填写查实的" + what
		if known {
			msg = fmt.Sprintf("核定值未填写；「%s」应填写%s", field.Label, what)
		}
		rd.issue(Error, t.sheet, at, ReviewColValue, "", msg)
		return 0, at, "", false
	}
	if !known {
		return 0, at, c.shown(), false // the 事项's error says what to do first
	}
	if field.Kind == templates.KindYesNo {
		v, ok := readYesNo(c)
		if !ok {
			rd.issue(Error, t.sheet, at, ReviewColValue, c.shown(), fmt.Sprintf("「%s」不是“是”或“否”；「%s」是 是/否 事项，应填写“是”或“否”", c.shown(), field.Label))
		}
		return v, at, c.shown(), ok
	}
	v, ok := readCount(c)
	if !ok {
		rd.issue(Error, t.sheet, at, ReviewColValue, c.shown(), fmt.Sprintf("「%s」不是非负整数；「%s」应填写查实的总数（非负整数，如 1200），不带单位", c.shown(), field.Label))
	}
	return v, at, c.shown(), ok
}

// date reads a 日期 cell: a date (shown 2013-12-20) or a text as written;
// blank is "".
func (rd *reviewReader) date(t *reviewTable, r int) (string, bool) {
	c, at, ok := rd.get(t, ReviewColDate, r)
	if !ok {
		return "", at == ""
	}
	if !rd.noFormula(t, at, ReviewColDate, c) {
		return "", false
	}
	switch {
	case c.blank():
		return "", true
	case c.Type == excelize.CellTypeDate:
		for _, form := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if d, err := time.Parse(form, readTrim(c.Raw)); err == nil {
				return d.Format("2006-01-02"), true
			}
		}
	case c.numeric():
		if n, ok := readNumber(c.Raw); ok {
			v, _ := n.Float64()
			if n.Cmp(big.NewRat(32874, 1)) >= 0 && n.Cmp(big.NewRat(109575, 1)) < 0 { // 1990 to 2199: a date typed in a spreadsheet
				if d, err := excelize.ExcelDateToTime(v, rd.date1904); err == nil {
					return d.Format("2006-01-02"), true
				}
			}
		}
	case c.Type == excelize.CellTypeBool || c.Type == excelize.CellTypeError:
		rd.issue(Error, t.sheet, at, ReviewColDate, c.shown(), fmt.Sprintf("「%s」不是日期；应填写如 %d-12-20 的日期，或留空", c.shown(), rd.std.Year))
		return "", false
	}
	s := c.shown()
	if n := len([]rune(s)); n > reviewMaxShort {
		rd.issue(Error, t.sheet, at, ReviewColDate, s, fmt.Sprintf("长 %d 个字，不像是日期；应填写如 %d-12-20 的日期", n, rd.std.Year))
		return "", false
	}
	return s, true
}

// crossCheck compares the findings of an institution with each other: the
// pass rate is passes over appraisals, so both are verified or neither, and
// no more passes than appraisals.
func (rd *reviewReader) crossCheck() {
	type pair struct{ appraised, passed *score.Finding }
	by := map[string]*pair{}
	for i := range rd.findings {
		fd := &rd.findings[i]
		p := by[fd.Institution]
		if p == nil {
			p = &pair{}
			by[fd.Institution] = p
		}
		switch fd.Field {
		case templates.FieldActualAppraised:
			p.appraised = fd
		case templates.FieldActualPassed:
			p.passed = fd
		}
	}
	header := func(field string) string {
		for _, c := range ReviewActualColumns {
			if c.Field == field {
				return c.Header
			}
		}
		return field
	}
	for _, in := range rd.std.Institutions {
		p := by[in.Name]
		if p == nil || (p.appraised == nil && p.passed == nil) {
			continue
		}
		if p.appraised == nil || p.passed == nil {
			have, lack := p.passed, templates.FieldActualAppraised
			if have == nil {
				have, lack = p.appraised, templates.FieldActualPassed
			}
			where := "「" + ReviewSheetActuals + "」中「" + in.Name + "」一行的「" + header(lack) + "」列"
			if at, ok := rd.actualsCell(in.Name, header(lack)); ok {
				where = ReviewSheetActuals + "!" + at
			}
			sheet, cell, _ := strings.Cut(have.Place, "!")
			rd.issue(Error, sheet, cell, header(have.Field), strconv.FormatInt(have.Value, 10),
				fmt.Sprintf("「%s」核定了%s %d，没有核定%s；合格率由两者算出，必须一起核定：请在 %s 填写核定的%s（与自报的相同也要填写），或删去 %s 的%s",
					in.Name, header(have.Field), have.Value, header(lack), where, header(lack), have.Place, header(have.Field)))
			continue
		}
		if p.passed.Value <= p.appraised.Value {
			continue
		}
		sheet, cell, _ := strings.Cut(p.passed.Place, "!")
		rd.issue(Error, sheet, cell, "鉴定合格人数", strconv.FormatInt(p.passed.Value, 10),
			fmt.Sprintf("「%s」核定的鉴定合格人数 %d 大于 %s 核定的职业技能鉴定人数 %d；合格人数不能超过鉴定人数", in.Name, p.passed.Value, p.appraised.Place, p.appraised.Value))
	}
}

// actualsCell is the cell of 核定数据's column word in institution's row:
// the row read, or else the row whose 鉴定机构 is its name.
func (rd *reviewReader) actualsCell(institution, word string) (string, bool) {
	t := rd.actualsTable
	if t == nil {
		return "", false
	}
	col, ok := t.cols[word]
	if !ok {
		return "", false
	}
	if r, ok := rd.actualsRows[institution]; ok {
		return t.cell(col, r-1), true
	}
	for r := t.header + 1; r < t.rows; r++ {
		c, err := rd.bk.Cell(book.Place{Sheet: t.sheet, Cell: t.cell(t.cols[ReviewColInstitution], r)})
		if err == nil && readText(readCell(c)) == institution {
			return t.cell(col, r), true
		}
	}
	return "", false
}
