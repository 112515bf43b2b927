package sheets

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
	"kaohe/templates/score"
)

// readMaxCount bounds counts: Excel keeps 15 significant digits.
const readMaxCount = 999_999_999_999_999

type fieldReader struct {
	sub   *Submission
	std   *templates.Standard
	lim   Limits
	book  book.Book // the workbook: excelize's, or the fast reader's
	names *book.Names

	ints   map[string]int64 // int and yesno fields read without error
	texts  map[string]string
	places map[string]book.Place
	known  bool // the institution is in the allocation
}

// issue records a problem; fd may be nil.
func (rd *fieldReader) issue(sev Severity, fd *templates.Field, at book.Place, value, msg string) {
	is := Issue{Severity: sev, File: rd.sub.File, Sheet: text.Clip(at.Sheet), Cell: at.Cell, Value: text.Clip(value), Message: msg}
	if fd != nil {
		is.Field, is.Label = fd.Name, fd.Label
	}
	rd.sub.Issues = append(rd.sub.Issues, is)
}

func (rd *fieldReader) read() {
	rd.names = rd.book.Names()
	if v, ok := rd.names.Constant(TokenName); ok && len(v) <= 256 {
		rd.sub.Token = v
	}
	ours := 0
	for _, fd := range templates.Fields {
		if rd.names.Has(fd.Name) {
			ours++
		}
	}
	if ours == 0 {
		var first []string
		for _, fd := range templates.Fields[:min(2, len(templates.Fields))] {
			first = append(first, fd.Name)
		}
		rd.issue(Error, nil, book.Place{}, "", fmt.Sprintf("不是本年度的自评表模板（没有找到定义名称 %s 等），请使用市中心下发的模板", strings.Join(first, "、")))
		rd.sub.Issues[len(rd.sub.Issues)-1].Cause = fmt.Sprintf("a workbook without the template's defined names (%d names of its own)", rd.names.Count)
		return
	}
	n := len(templates.Fields) // sized once: grown field by field they cost more than the rest of the read
	rd.ints = make(map[string]int64, n)
	rd.texts = map[string]string{}
	rd.places = make(map[string]book.Place, n)
	facts := score.Facts{Values: make(map[string]int64, n), Self: map[int]templates.Points{}}
	filled := 0 // cells the institution fills that are not blank
	for i := range templates.Fields {
		fd := &templates.Fields[i]
		at, why, ok := rd.names.Lookup(fd.Name)
		if !ok {
			if !rd.names.Defined(fd.Name) {
				why = fmt.Sprintf("自评表中找不到「%s」所在的单元格（定义名称 %s 已被删除或改名）", fd.Label, fd.Name)
			}
			rd.issue(Error, fd, book.Place{}, "", "缺少位置："+why+"；请用市中心下发的自评表模板重新填写，不要删除或修改定义名称（公式 → 名称管理器）")
			continue
		}
		rd.places[fd.Name] = at
		c, err := rd.cell(at)
		if err != nil {
			rd.issue(Error, fd, at, "", "无法读取该单元格的内容，请重新填写后另存为 .xlsx")
			continue
		}
		if c.Formula != "" {
			rd.issue(Error, fd, at, "="+c.Formula, fmt.Sprintf("单元格中是公式「=%s」；请直接填写数值，不要使用公式", text.Clip(c.Formula)))
			continue
		}
		if n := text.Units(c.Raw); n > rd.lim.MaxTextChars { // the scan refuses it first; this holds on every path
			rd.issue(Error, fd, at, "", fmt.Sprintf("内容长 %s 个字符，超过 Excel 单元格的上限 %s 个字符，未读取；请改短后重新上传",
				text.Thousands(n), text.Thousands(rd.lim.MaxTextChars)))
			continue
		}
		if fd.Role != templates.RoleIdentity && !c.blank() {
			filled++
		}
		switch {
		case fd.Role == templates.RoleIdentity:
			rd.identity(fd, at, c)
		case fd.Kind == templates.KindScore:
			if p, ok := rd.points(fd, at, c); ok {
				facts.Self[fd.Item] = p
			}
		case fd.Kind == templates.KindText:
			rd.texts[fd.Name] = readText(c)
			rd.formulaLike(fd, at, rd.texts[fd.Name])
		case fd.Kind == templates.KindYesNo:
			if v, ok := rd.yesNo(fd, at, c); ok {
				rd.ints[fd.Name] = v
			}
		default:
			if v, ok := rd.count(fd, at, c); ok {
				rd.ints[fd.Name] = v
			}
		}
	}
	rd.hiddenSheets()
	rd.crossChecks()
	if filled == 0 {
		rd.blank()
	}

	facts.Institution = rd.texts[templates.FieldInstitution]
	if !rd.known {
		facts.Institution = text.Clip(facts.Institution) // it is shown, not matched
	}
	if y, ok := rd.ints[templates.FieldYear]; ok {
		facts.Year = int(y)
	}
	for _, fd := range templates.Fields {
		if fd.Role == templates.RoleIdentity || (fd.Kind != templates.KindInt && fd.Kind != templates.KindYesNo) {
			continue
		}
		if v, ok := rd.ints[fd.Name]; ok {
			facts.Values[fd.Name] = v
		}
	}
	if rd.known {
		for _, fd := range templates.Fields {
			if v, ok := tmplTarget(rd.sub.Institution.Targets, fd.Name); ok {
				facts.Values[fd.Name] = v // the allocation wins over the workbook
			}
		}
	}
	rd.sub.Facts = facts
	rd.sub.ContactName = rd.texts[templates.FieldContactName]
	rd.sub.ContactPhone = rd.texts[templates.FieldContactPhone]
}

// hiddenSheets warns of fields on a hidden sheet: they are read and
// scored, but whoever opens the workbook does not see them. A veryHidden
// sheet cannot even be shown from the menus (only a macro or an edit of
// the file makes one): what the clerk sees is not what is scored.
func (rd *fieldReader) hiddenSheets() {
	type hidden struct {
		first *templates.Field
		n     int
	}
	var order []string
	bySheet := map[string]*hidden{}
	for i := range templates.Fields {
		fd := &templates.Fields[i]
		at, ok := rd.places[fd.Name]
		if !ok {
			continue
		}
		st := rd.book.State(at.Sheet)
		if st == "" || st == "visible" {
			continue
		}
		h := bySheet[at.Sheet]
		if h == nil {
			h = &hidden{first: fd}
			bySheet[at.Sheet] = h
			order = append(order, at.Sheet)
		}
		h.n++
	}
	for _, sheet := range order {
		h := bySheet[sheet]
		at := rd.places[h.first.Name]
		msg := fmt.Sprintf("工作表「%s」是隐藏的，其中的 %d 个字段（如「%s」）照样读取和评分，但打开文件时看不到它们；"+
			"请在 Excel 或 WPS 中右键工作表标签 →「取消隐藏」，核对其中的内容", text.Clip(sheet), h.n, h.first.Label)
		if rd.book.State(sheet) == "veryHidden" {
			msg = fmt.Sprintf("工作表「%s」被设为“深度隐藏”（veryHidden）：在 Excel、WPS 中看不到，也不能用「取消隐藏」显示出来，"+
				"但其中的 %d 个字段（如「%s」）照样读取和评分：填表人看到的可能不是评分用的内容。"+
				"请在市中心下发的自评表中重新填写后上传，不要隐藏工作表", text.Clip(sheet), h.n, h.first.Label)
		}
		rd.issue(Warning, h.first, at, "", msg)
	}
}

// blank says in one sentence that nothing was filled in, instead of an
// issue for every blank field: a template uploaded as it was sent.
func (rd *fieldReader) blank() {
	kept := rd.sub.Issues[:0]
	for _, is := range rd.sub.Issues {
		if fd, ok := templates.FieldByName(is.Field); !ok || fd.Role == templates.RoleIdentity {
			kept = append(kept, is)
		}
	}
	rd.sub.Issues = kept
	rd.issue(Error, nil, book.Place{}, "", "这是一份还没有填写的自评表：实际完成人数、各项次数和自评分都是空白。请在「"+TemplateSheetFacts+"」和「"+TemplateSheetSelf+"」两张工作表中填写后保存，再上传")
}

// formulaLike notes a text that a spreadsheet would take for a formula if
// someone typed it: kaohe keeps it as text in every workbook it writes.
func (rd *fieldReader) formulaLike(fd *templates.Field, at book.Place, s string) {
	if strings.HasPrefix(s, "=") || strings.HasPrefix(s, "@") {
		rd.issue(Warning, fd, at, s, fmt.Sprintf("「%s」以“%s”开头，看起来像公式；kaohe 只把它当作文字保存，不会计算它。请确认填写无误", text.Clip(s), s[:1]))
	}
}

// readCell is a field cell as stored (book.Cell), with the reader's
// ways of looking at it.
type readCell book.Cell

func (rd *fieldReader) cell(at book.Place) (readCell, error) {
	c, err := rd.book.Cell(at)
	return readCell(c), err
}

// numeric reports whether the cell holds a number (not text).
func (c readCell) numeric() bool {
	return c.Type == excelize.CellTypeNumber || c.Type == excelize.CellTypeUnset && strings.TrimSpace(c.Raw) != ""
}

// shown is the value as a person would see it, for messages.
func (c readCell) shown() string {
	if c.numeric() {
		if r, ok := readNumber(c.Raw); ok {
			return text.Clip(readRatText(r))
		}
	}
	if c.Type == excelize.CellTypeBool {
		switch strings.TrimSpace(c.Raw) {
		case "1":
			return "TRUE"
		case "0":
			return "FALSE"
		}
	}
	return text.Clip(readTrim(c.Raw))
}

// blank reports whether the cell holds nothing but spaces.
func (c readCell) blank() bool { return readTrim(c.Raw) == "" }

// readNumber reads a stored number as Excel shows it: rounded to 15
// significant digits (17.899999999999999 is 17.9), exactly, as a fraction.
func readNumber(raw string) (*big.Rat, bool) {
	if n, ok := readSmallInt(raw); ok { // most counts: no float to round
		return new(big.Rat).SetInt64(n), true
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'e', 14, 64))
	return r, ok
}

// readRatText formats a decimal fraction without trailing zeros: 1200, 17.9.
func readRatText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := strings.TrimRight(r.FloatString(20), "0")
	return strings.TrimSuffix(s, ".")
}

// readTrim trims spaces people leave around values: ASCII and full-width
// spaces, NBSP, zero-width spaces and a BOM.
func readTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u3000' || r == '\u00a0'
	})
}

// readNormalize maps full-width forms to ASCII (１２０ → 120, ，→ ,) and
// trims; it is for numbers and 是/否, never for names.
func readNormalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == '\u3000' || r == '\u00a0':
			return ' '
		case r == '\u2212':
			return '-'
		}
		return r
	}, s)
	return readTrim(s)
}

// readCountText parses a count typed as text: 1200, 1,200, 1，200, １２０,
// 1200.0 (templates.ParseCount); blank is not a count.
func readCountText(s string) (int64, bool) {
	if readTrim(s) == "" {
		return 0, false
	}
	v, why := templates.ParseCount(s)
	return v, why == ""
}

// readCount reads a cell as a non-negative whole number.
func readCount(c readCell) (int64, bool) {
	if c.numeric() {
		r, ok := readNumber(c.Raw)
		if !ok || !r.IsInt() || r.Sign() < 0 || !r.Num().IsInt64() || r.Num().Int64() > readMaxCount {
			return 0, false
		}
		return r.Num().Int64(), true
	}
	if c.Type == excelize.CellTypeBool || c.Type == excelize.CellTypeError || c.Type == excelize.CellTypeDate {
		return 0, false
	}
	return readCountText(c.Raw)
}

const readCountExpect = "应填写非负整数，如 1200"

func (rd *fieldReader) count(fd *templates.Field, at book.Place, c readCell) (int64, bool) {
	if c.blank() {
		if fd.Role == templates.RoleRequired {
			rd.issue(Error, fd, at, "", "必填项未填写；"+readCountExpect+"，没有请填 0")
			return 0, false
		}
		return 0, true // a blank optional count is 0
	}
	v, ok := readCount(c)
	if !ok {
		rd.issue(Error, fd, at, c.shown(), readCountWhy(c))
	}
	return v, ok
}

// readCountWhy says why c, which readCount refused, is not a count: a
// fraction (a whole number written 1200.0 is one, and is read), a negative
// number, or no number at all.
func readCountWhy(c readCell) string {
	shown := c.shown()
	var r *big.Rat
	switch {
	case c.numeric():
		r, _ = readNumber(c.Raw)
	case c.Type != excelize.CellTypeBool && c.Type != excelize.CellTypeError && c.Type != excelize.CellTypeDate:
		s := strings.ReplaceAll(strings.ReplaceAll(readNormalize(c.Raw), ",", ""), "，", "")
		if strings.ContainsAny(s, "0123456789") && !strings.ContainsAny(s, "eE") {
			r, _ = readNumber(s)
		}
	}
	switch {
	case r != nil && r.Sign() < 0:
		return fmt.Sprintf("「%s」是负数；%s，没有请填 0", shown, readCountExpect)
	case r != nil && !r.IsInt():
		return fmt.Sprintf("「%s」有小数部分，不是整数；%s（整数写成 1200.0 也可以）", shown, readCountExpect)
	}
	return fmt.Sprintf("「%s」不是非负整数；%s", shown, readCountExpect)
}

// readYesNo reads 是/否 and its common spellings; blank is 否.
func readYesNo(c readCell) (int64, bool) {
	if c.blank() {
		return 0, true
	}
	if c.numeric() || c.Type == excelize.CellTypeBool {
		if r, ok := readNumber(c.Raw); ok && r.IsInt() && (r.Sign() == 0 || r.Cmp(big.NewRat(1, 1)) == 0) {
			return int64(r.Sign()), true
		}
	}
	switch strings.ToLower(readNormalize(c.Raw)) {
	case "是", "y", "yes", "true", "1", "√":
		return 1, true
	case "否", "n", "no", "false", "0", "×":
		return 0, true
	}
	return 0, false
}

func (rd *fieldReader) yesNo(fd *templates.Field, at book.Place, c readCell) (int64, bool) {
	v, ok := readYesNo(c)
	if !ok {
		rd.issue(Error, fd, at, c.shown(), fmt.Sprintf("「%s」不是“是”或“否”；应从下拉列表中选择“是”或“否”", c.shown()))
	}
	return v, ok
}

// readPoints reads a score: a number ≥ 0 with at most two decimals (zeros
// after them change nothing: 30.000 is 30). The error says why not, for
// people.
func readPoints(c readCell) (templates.Points, error) {
	notPoints := fmt.Errorf("「%s」不是最多两位小数的非负分数", c.shown())
	s := readNormalize(c.Raw)
	if c.numeric() {
		r, ok := readNumber(c.Raw)
		if !ok {
			return 0, notPoints
		}
		s = readRatText(r)
	} else if c.Type == excelize.CellTypeBool || c.Type == excelize.CellTypeError || c.Type == excelize.CellTypeDate {
		return 0, notPoints
	}
	p, err := templates.ParsePoints(s)
	if err != nil && !errors.Is(err, templates.ErrPointsDecimals) {
		err = notPoints
	}
	return p, err
}

func (rd *fieldReader) points(fd *templates.Field, at book.Place, c readCell) (templates.Points, bool) {
	if c.blank() {
		rd.issue(Warning, fd, at, "", "自评分未填写")
		return 0, false
	}
	p, err := readPoints(c)
	if err != nil {
		msg := err.Error() + "；应填写如 29.3 的分数"
		if errors.Is(err, templates.ErrPointsDecimals) {
			msg = fmt.Sprintf("「%s」超过两位小数；应填写如 29.3 的分数，最多两位小数", c.shown())
		}
		rd.issue(Error, fd, at, c.shown(), msg)
	}
	return p, err == nil
}

// readText is a text field's value, trimmed; a number is written as shown.
func readText(c readCell) string {
	if c.numeric() {
		return c.shown()
	}
	return readTrim(c.Raw)
}

// identity checks the pre-filled fields against the allocation.
func (rd *fieldReader) identity(fd *templates.Field, at book.Place, c readCell) {
	std := rd.std
	switch fd.Name {
	case templates.FieldYear:
		if c.blank() {
			rd.issue(Error, fd, at, "", fmt.Sprintf("考核年度未填写；应为 %d，请使用市中心下发的 %d 年度自评表", std.Year, std.Year))
			return
		}
		y, ok := readCount(c)
		if !ok {
			rd.issue(Error, fd, at, c.shown(), fmt.Sprintf("「%s」不是考核年度；应为 %d，请使用市中心下发的 %d 年度自评表", c.shown(), std.Year, std.Year))
			return
		}
		rd.ints[fd.Name] = y
		if y != int64(std.Year) {
			rd.issue(Error, fd, at, c.shown(), fmt.Sprintf("这是 %d 年度的自评表，本次考核为 %d 年度；请使用市中心下发的 %d 年度自评表", y, std.Year, std.Year))
		}
	case templates.FieldInstitution:
		name := readText(c)
		rd.texts[fd.Name] = name
		if name == "" {
			rd.issue(Error, fd, at, "", "鉴定机构未填写；请使用市中心下发给本机构的自评表")
			return
		}
		if in, ok := std.Institution(name); ok {
			rd.sub.Institution, rd.known = in, true
			return
		}
		msg := fmt.Sprintf("「%s」不是 %d 年度目标任务分解表（附件2）中的鉴定机构", text.Clip(name), std.Year)
		if s := readSuggest(std, name); len(s) > 0 {
			msg += "；可能是：「" + strings.Join(s, "」「") + "」"
		}
		rd.issue(Error, fd, at, name, msg+"。请使用市中心下发给本机构的自评表，不要修改鉴定机构名称")
	default:
		if !rd.known {
			return // nothing to compare with; the institution error says why
		}
		want, ok := tmplTarget(rd.sub.Institution.Targets, fd.Name)
		if !ok {
			return
		}
		got, ok := readCount(c)
		switch {
		case c.blank():
			rd.issue(Warning, fd, at, "", fmt.Sprintf("目标未填写；按目标任务分解表（附件2）的 %d 计算", want))
		case !ok:
			rd.issue(Warning, fd, at, c.shown(), fmt.Sprintf("「%s」不是非负整数；按目标任务分解表（附件2）的 %d 计算", c.shown(), want))
		case got != want:
			rd.issue(Warning, fd, at, c.shown(), fmt.Sprintf("与目标任务分解表（附件2）不一致：表中为 %d，按附件2的 %d 计算", got, want))
		}
	}
}

// crossChecks compares fields with each other.
func (rd *fieldReader) crossChecks() {
	appraised, ok1 := rd.ints[templates.FieldActualAppraised]
	passed, ok2 := rd.ints[templates.FieldActualPassed]
	certified, ok3 := rd.ints[templates.FieldActualCertified]
	fa, _ := templates.FieldByName(templates.FieldActualAppraised)
	if ok1 && ok2 && passed > appraised {
		fd, _ := templates.FieldByName(templates.FieldActualPassed)
		rd.issue(Error, &fd, rd.places[fd.Name], strconv.FormatInt(passed, 10),
			fmt.Sprintf("%d 大于「%s」%d；合格人数不能超过鉴定人数", passed, fa.Label, appraised))
	}
	if ok1 && ok3 && certified > appraised {
		fd, _ := templates.FieldByName(templates.FieldActualCertified)
		rd.issue(Warning, &fd, rd.places[fd.Name], strconv.FormatInt(certified, 10),
			fmt.Sprintf("%d 大于「%s」%d；取证人数一般不超过鉴定人数，请核对", certified, fa.Label, appraised))
	}
}

// readSuggest returns up to three institutions of std whose names are
// closest to name: containing it (or contained in it) first, then those
// holding its characters in order (常柴所), then by edit distance.
func readSuggest(std *templates.Standard, name string) []string {
	type cand struct {
		name        string
		class, dist int
		order       int
	}
	in := []rune(name)
	limit := max(2, len(in)/2)
	var cs []cand
	for _, inst := range std.Institutions {
		d := templates.Distance(in, []rune(inst.Name))
		c := cand{name: inst.Name, dist: d, order: inst.Order, class: 3}
		switch {
		case strings.Contains(inst.Name, name) || strings.Contains(name, inst.Name):
			c.class = 0
		case readSubsequence(in, []rune(inst.Name)):
			c.class = 1
		case d <= limit:
			c.class = 2
		}
		if c.class < 3 {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.class != b.class {
			return a.class < b.class
		}
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		return a.order < b.order
	})
	var out []string
	for _, c := range cs[:min(3, len(cs))] {
		out = append(out, c.name)
	}
	return out
}

// readSubsequence reports whether every rune of a appears in b, in order.
func readSubsequence(a, b []rune) bool {
	if len(a) < 2 {
		return false
	}
	i := 0
	for _, r := range b {
		if i < len(a) && a[i] == r {
			i++
		}
	}
	return i == len(a)
}

// readSmallInt reads a number stored as 1 to 15 digits: exactly what
// readNumber's rounding to 15 significant digits gives, without it.
func readSmallInt(raw string) (int64, bool) {
	s := strings.TrimSpace(raw)
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}
