package sheets

// The 核查表 (verification workbook): the centre's own record of the facts
// it verified, one per year. kaohe writes it blank (or with findings, for
// the demo and tests), the centre fills it, and every run reads it afresh
// (review_read.go): its numbers and findings replace what the institutions
// reported.

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
	"kaohe/templates/score"
)

// The 核查表's sheets. People and programs find its columns by the words
// of each sheet's header row (ReviewActualsHeader, ReviewFindingsHeader),
// not by their positions.
const (
	ReviewSheetGuide    = "填写说明"
	ReviewSheetActuals  = "核定数据"
	ReviewSheetFindings = "查实事项"
	reviewSheetLists    = "选项" // hidden: the drop-down lists
)

// The header words of the 核查表's columns.
const (
	ReviewColInstitution = "鉴定机构"
	ReviewColBasis       = "依据"
	ReviewColField       = "事项"
	ReviewColValue       = "核定值"
	ReviewColChecker     = "核查人"
	ReviewColDate        = "日期"
)

// ReviewActualColumns are the number columns of 核定数据, by header word,
// and the field each verifies, in the sheet's order.
var ReviewActualColumns = []struct{ Header, Field string }{
	{"职业技能鉴定人数", templates.FieldActualAppraised},
	{"职业资格取证人数", templates.FieldActualCertified},
	{"全国(省)统考人数", templates.FieldActualUnified},
	{"新增高技能人才取证数", templates.FieldActualHighSkill},
	{"鉴定合格人数", templates.FieldActualPassed},
}

// ReviewActualsHeader is 核定数据's header row.
var ReviewActualsHeader = func() []string {
	h := []string{ReviewColInstitution}
	for _, c := range ReviewActualColumns {
		h = append(h, c.Header)
	}
	return append(h, ReviewColBasis)
}()

// ReviewFindingsHeader is 查实事项's header row.
var ReviewFindingsHeader = []string{ReviewColInstitution, ReviewColField, ReviewColValue, ReviewColBasis, ReviewColChecker, ReviewColDate}

// reviewBlankRows are the rows of 查实事项 laid out for typing in;
// reviewValidRows the rows its drop-downs cover.
const (
	reviewBlankRows = 200
	reviewValidRows = 2000
)

// ReviewFileName is the name kaohe review suggests: 2013-核查表.xlsx.
func ReviewFileName(std *templates.Standard) string {
	return fmt.Sprintf("%d-核查表.xlsx", std.Year)
}

// WriteReview writes std's 核查表 to w: 填写说明 (how to fill it, and every
// fact it may verify), 核定数据 (one row per institution of the allocation,
// in its order, the names locked, the five actual numbers and 依据 to fill),
// 查实事项 (one finding per row: 鉴定机构 and 事项 from drop-down lists,
// 核定值, 依据, 核查人, 日期), and a hidden sheet holding the lists. The
// findings, if any, are written in: 核定数据's numbers (each row's 依据 the
// last given for it) and every other finding as a row of 查实事项; a blank
// 核查表 has none. The same inputs give the same bytes.
func WriteReview(w io.Writer, std *templates.Standard, findings []score.Finding) error {
	if std == nil {
		return fmt.Errorf("writing the 核查表: no standard")
	}
	f, st, err := layout.NewFile(ReviewSheetGuide, ReviewSheetActuals, ReviewSheetFindings, reviewSheetLists)
	if err != nil {
		return fmt.Errorf("writing the 核查表: %w", err)
	}
	defer f.Close()
	b := &reviewBuilder{std: std, st: st, findings: findings}
	if err := b.inputStyles(f); err != nil {
		return fmt.Errorf("writing the 核查表: %w", err)
	}
	f.SetActiveSheet(0)
	for _, t := range []*layout.Table{b.guide(), b.actuals(), b.facts(), b.lists()} {
		if err := layout.Write(f, t); err != nil {
			return fmt.Errorf("writing the 核查表 sheet %s: %w", t.Name, err)
		}
	}
	at := time.Date(std.Year, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := layout.SetProps(f, fmt.Sprintf("%d年度鉴定机构考核 核查表", std.Year), std.Title,
		"市职业技能鉴定指导中心核定的数据和查实的事项；kaohe 每次汇总时读取", at); err != nil {
		return fmt.Errorf("writing the 核查表: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("writing the 核查表: %w", err)
	}
	return nil
}

type reviewBuilder struct {
	std      *templates.Standard
	st       *layout.Styles
	findings []score.Finding
	// input styles: unlocked, light yellow, the cells to type in
	inInt, inText, inDate, inCenter int
	para                            int // a paragraph of 填写说明: wrapped, not bordered
}

// inputStyles adds the styles of the cells to type in: unlocked (核定数据
// is protected, so its names stay as they are), light yellow.
func (b *reviewBuilder) inputStyles(f *excelize.File) error {
	border := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "top", Color: "A6A6A6", Style: 1},
		{Type: "right", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	fill := excelize.Fill{Type: "pattern", Color: []string{tmplInputFill}, Pattern: 1}
	unlocked := &excelize.Protection{Locked: false}
	date, text := "yyyy-mm-dd", "@"
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&b.inInt, excelize.Style{Border: border, Fill: fill, Protection: unlocked, NumFmt: 3, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&b.inText, excelize.Style{Border: border, Fill: fill, Protection: unlocked, CustomNumFmt: &text, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&b.inDate, excelize.Style{Border: border, Fill: fill, Protection: unlocked, CustomNumFmt: &date, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.inCenter, excelize.Style{Border: border, Fill: fill, Protection: unlocked, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.para, excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return err
		}
		*s.id = id
	}
	return nil
}

func (b *reviewBuilder) footer() string {
	return fmt.Sprintf("%d年度鉴定机构考核 核查表（市职业技能鉴定指导中心填写）", b.std.Year)
}

// guide is 填写说明: what the 核查表 does, how to fill it, an example, and
// the facts it may verify.
func (b *reviewBuilder) guide() *layout.Table {
	st := b.st
	t := &layout.Table{Name: ReviewSheetGuide, Portrait: true, Footer: b.footer(),
		Cols: []layout.Col{{Width: 6}, {Width: 34, Wrap: true}, {Width: 26, Wrap: true}, {Width: 8}, {Width: 34, Wrap: true}}}
	merge := func() { t.Merges = append(t.Merges, fmt.Sprintf("A%[1]d:E%[1]d", t.NextRow())) }
	span := 6 + 34 + 26 + 8 + 34.0
	para := func(s string) {
		merge()
		t.AddH(layout.HeightFor(layout.Lines(s, span*0.95)), layout.S(b.para, s))
	}
	merge()
	t.AddH(34, layout.S(st.Title, fmt.Sprintf("%d年度鉴定机构考核 核查表", b.std.Year)))
	for _, p := range []string{
		"本表由市职业技能鉴定指导中心填写，记录中心核定的数据和查实的事项。kaohe 每次汇总都重新读取本表：核定的数字和查实的事项取代鉴定机构在自评表中的自报值（不是在自报值上累加），核定分和核定总分按核定后的事实计算；自评分仍是鉴定机构自己填的分。",
		"「" + ReviewSheetActuals + "」：每个鉴定机构一行，名称已锁定。填写中心鉴定记录中的实际人数；空白表示尚未核定，按鉴定机构自报的数计算。填了数字的行必须填写「依据」，如 鉴定管理系统2013年度统计。「职业技能鉴定人数」和「鉴定合格人数」要一起填写（合格率由两者算出，与自报相同的也要填）。",
		"「" + ReviewSheetFindings + "」：查实的每个事项一行，行数不限。「鉴定机构」「事项」从下拉列表中选择（事项也可以写自评表的定义名称，如 i4_leaks）；「核定值」填查实的总数，如 试题泄密 1（次）、拖欠费用 25000（元），是/否 事项填 是 或 否；「依据」必填，写文号或查实的证据；「核查人」「日期」选填。同一鉴定机构的同一事项只能有一行，也不能与「" + ReviewSheetActuals + "」重复。",
		"填写规则与自评表相同：数字可以是数值或文字，接受全角数字和千位分隔符（1,200），不能带小数、负号或单位，不能使用公式；是/否 接受 是/否、Y/N、1/0。",
		"有任何错误时整张核查表都不采用，本次汇总不进行：上一份汇总排名表保持不变，上传的文件留在收件文件夹，kaohe status 显示原因，每个错误都指出单元格（如 查实事项!B7）。改正后下一次汇总自动采用。用 kaohe check --review 本文件 可以先检查，它列出每个鉴定机构将被改变的事实和对得分的影响。",
		"汇总排名表的「核查记录」列出采用的每一条核查结果（自报值、核定值、对总分的影响、依据、在本表中的位置），「排名」的「核查」列是每个鉴定机构被改变的事实数。",
	} {
		para(p)
	}
	t.AddH(8)
	merge()
	t.AddH(24, layout.S(st.Section, "示例（「"+ReviewSheetFindings+"」中的一行）"))
	t.AddH(22, layout.S(st.Header, "列"), layout.S(st.Header, ReviewColInstitution), layout.S(st.Header, ReviewColField),
		layout.S(st.Header, ReviewColValue), layout.S(st.Header, ReviewColBasis))
	ex := b.std.Institutions[0].Name
	t.Add(layout.S(st.Center, "值"), layout.S(st.Wrap, ex), layout.S(st.Wrap, "试题泄密次数"), layout.I(st.Center, 1),
		layout.S(st.Wrap, fmt.Sprintf("常人社鉴〔%d〕12号（核查人 张三，日期 %d-12-20）", b.std.Year, b.std.Year)))
	t.AddH(8)
	merge()
	t.AddH(24, layout.S(st.Section, "可以核查的事项（「事项」列的下拉列表）"))
	t.AddH(22, layout.S(st.Header, "序号"), layout.S(st.Header, "事项"), layout.S(st.Header, "定义名称"),
		layout.S(st.Header, "考核项"), layout.S(st.Header, "核定值的写法及评分规则"))
	for i, fd := range templates.VerifiableFields() {
		how := "非负整数。" + strings.TrimSuffix(fd.Hint, "；没有填0")
		if fd.Kind == templates.KindYesNo {
			how = "是 或 否。"
		}
		item := ""
		if fd.Item > 0 {
			item = fmt.Sprintf("第%d项", fd.Item)
		}
		t.Add(layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, fd.Label), layout.S(st.Text, fd.Name),
			layout.S(st.Center, item), layout.S(st.Wrap, how))
	}
	return t
}

// actuals is 核定数据: a row per institution, its name locked.
func (b *reviewBuilder) actuals() *layout.Table {
	st := b.st
	t := &layout.Table{Name: ReviewSheetActuals, Freeze: 1, Footer: b.footer(), Header: fmt.Sprintf("%d年度 核查表 — %s", b.std.Year, ReviewSheetActuals),
		Cols: []layout.Col{{Min: 16, Max: 36}}}
	for range ReviewActualColumns {
		t.Cols = append(t.Cols, layout.Col{Width: 13})
	}
	t.Cols = append(t.Cols, layout.Col{Width: 40, Wrap: true})
	b.header(t, ReviewActualsHeader)
	given := map[string]*reviewActualsRow{}
	for _, fd := range b.findings {
		if reviewActualField(fd.Field) && !b.inFacts(fd) {
			r := given[fd.Institution]
			if r == nil {
				r = &reviewActualsRow{vals: map[string]int64{}}
				given[fd.Institution] = r
			}
			r.vals[fd.Field], r.basis = fd.Value, fd.Basis
		}
	}
	for _, in := range b.std.Institutions {
		cells := []excelize.Cell{layout.S(st.Text, in.Name)}
		r := given[in.Name]
		for _, c := range ReviewActualColumns {
			if v, ok := r.value(c.Field); ok {
				cells = append(cells, layout.I(b.inInt, v))
			} else {
				cells = append(cells, layout.E(b.inInt))
			}
		}
		if r != nil && r.basis != "" {
			cells = append(cells, layout.S(b.inText, r.basis))
		} else {
			cells = append(cells, layout.E(b.inText))
		}
		t.Add(cells...)
	}
	last := len(b.std.Institutions) + 1
	t.Before = func(f *excelize.File, sheet string) error {
		from, _ := excelize.CoordinatesToCellName(2, 2)
		to, _ := excelize.CoordinatesToCellName(1+len(ReviewActualColumns), last)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = from + ":" + to
		if err := dv.SetRange(0, 0, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorGreaterThanOrEqual); err != nil {
			return err
		}
		dv.Formula2 = ""
		dv.SetError(excelize.DataValidationErrorStyleStop, "应填写非负整数", "核定的人数应填写非负整数，如 1200；尚未核定的留空。")
		dv.SetInput("核定数据", "填写中心鉴定记录中的实际人数；空白表示尚未核定，按鉴定机构自报的数计算。")
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
		col, _ := excelize.ColumnNumberToName(len(ReviewActualsHeader))
		basis := excelize.NewDataValidation(true)
		basis.Sqref = fmt.Sprintf("%s2:%s%d", col, col, last)
		basis.SetInput("依据", "填了数字的行必须填写依据，如 鉴定管理系统2013年度统计。")
		if err := f.AddDataValidation(sheet, basis); err != nil {
			return err
		}
		return f.ProtectSheet(sheet, &excelize.SheetProtectionOptions{
			SelectLockedCells: true, SelectUnlockedCells: true, FormatColumns: true, FormatRows: true, AutoFilter: true, Sort: false,
		})
	}
	return t
}

// reviewActualsRow is what WriteReview writes into a row of 核定数据.
type reviewActualsRow struct {
	vals  map[string]int64
	basis string
}

// value is a 核定数据 number given for the row, if any.
func (r *reviewActualsRow) value(field string) (int64, bool) {
	if r == nil {
		return 0, false
	}
	v, ok := r.vals[field]
	return v, ok
}

// reviewActualField reports whether a field is a column of 核定数据.
func reviewActualField(name string) bool {
	for _, c := range ReviewActualColumns {
		if c.Field == name {
			return true
		}
	}
	return false
}

// inFacts reports whether a finding on an actual number goes into 查实事项
// all the same: it names a 核查人 or 日期, which 核定数据 has no column for,
// or was read from there.
func (b *reviewBuilder) inFacts(fd score.Finding) bool {
	return fd.Checker != "" || fd.Date != "" || strings.HasPrefix(fd.Place, ReviewSheetFindings+"!")
}

// facts is 查实事项: the findings given, then blank rows to type in.
func (b *reviewBuilder) facts() *layout.Table {
	t := &layout.Table{Name: ReviewSheetFindings, Freeze: 1, Footer: b.footer(), Header: fmt.Sprintf("%d年度 核查表 — %s", b.std.Year, ReviewSheetFindings),
		Cols: []layout.Col{{Min: 30, Max: 36}, {Width: 34, Wrap: true}, {Width: 10}, {Width: 36, Wrap: true}, {Width: 10}, {Width: 12}}}
	b.header(t, ReviewFindingsHeader)
	n := 0
	for _, fd := range b.findings {
		if reviewActualField(fd.Field) && !b.inFacts(fd) {
			continue
		}
		label := fd.Field
		if field, ok := templates.FieldByName(fd.Field); ok {
			label = field.Label
		}
		value := layout.I(b.inCenter, fd.Value)
		if field, ok := templates.FieldByName(fd.Field); ok && field.Kind == templates.KindYesNo {
			value = layout.S(b.inCenter, fd.ValueText())
		}
		t.Add(layout.S(b.inText, fd.Institution), layout.S(b.inText, label), value, layout.S(b.inText, fd.Basis),
			layout.S(b.inText, fd.Checker), layout.S(b.inDate, fd.Date))
		n++
	}
	for range max(0, reviewBlankRows-n) {
		t.Add(layout.E(b.inText), layout.E(b.inText), layout.E(b.inCenter), layout.E(b.inText), layout.E(b.inText), layout.E(b.inDate))
	}
	insts, items := len(b.std.Institutions), len(templates.VerifiableFields())
	t.Before = func(f *excelize.File, sheet string) error {
		for _, v := range []struct {
			col, list, title, prompt, errTitle, errMsg string
		}{
			{"A", fmt.Sprintf("%s!$A$2:$A$%d", reviewSheetLists, insts+1), ReviewColInstitution,
				"从下拉列表中选择鉴定机构（目标任务分解表中的名称）。", "不是分解表中的鉴定机构", "请从下拉列表中选择鉴定机构。"},
			{"B", fmt.Sprintf("%s!$B$2:$B$%d", reviewSheetLists, items+1), ReviewColField,
				"从下拉列表中选择查实的事项（自评表中的字段），见「填写说明」。", "不是可核查的事项", "请从下拉列表中选择事项，见「填写说明」。"},
		} {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", v.col, v.col, reviewValidRows)
			dv.SetSqrefDropList(v.list)
			dv.SetInput(v.title, v.prompt)
			dv.SetError(excelize.DataValidationErrorStyleStop, v.errTitle, v.errMsg)
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
		for _, v := range []struct{ col, title, prompt string }{
			{"C", ReviewColValue, "查实的总数（非负整数，如 1、25000）；是/否 事项填 是 或 否。取代鉴定机构的自报值。"},
			{"D", ReviewColBasis, "必填：文号或查实的证据，如 常人社鉴〔2013〕12号、现场检查记录。"},
			{"F", ReviewColDate, "选填，如 2013-12-20。"},
		} {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", v.col, v.col, reviewValidRows)
			dv.SetInput(v.title, v.prompt)
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
		return nil
	}
	return t
}

// lists is the hidden sheet of the drop-down lists: the institutions in
// column A, the facts the centre may verify in column B.
func (b *reviewBuilder) lists() *layout.Table {
	st := b.st
	t := &layout.Table{Name: reviewSheetLists, Cols: []layout.Col{{Min: 16, Max: 40}, {Min: 16, Max: 40}}}
	t.Add(layout.S(st.Header, ReviewColInstitution), layout.S(st.Header, ReviewColField))
	fields := templates.VerifiableFields()
	for i := range max(len(b.std.Institutions), len(fields)) {
		a, c := layout.E(0), layout.E(0)
		if i < len(b.std.Institutions) {
			a = layout.S(st.Text, b.std.Institutions[i].Name)
		}
		if i < len(fields) {
			c = layout.S(st.Text, fields[i].Label)
		}
		t.Add(a, c)
	}
	t.Before = func(f *excelize.File, sheet string) error { return f.SetSheetVisible(sheet, false) }
	return t
}

func (b *reviewBuilder) header(t *layout.Table, words []string) {
	cells := make([]excelize.Cell, len(words))
	for i, w := range words {
		cells[i] = layout.S(b.st.Header, w)
	}
	t.AddH(24, cells...)
}

// Printable is s for a terminal: control and invisible formatting
// characters from a workbook shown escaped (\t, \u202e), so that a text
// read from a 核查表 or an upload cannot steer the terminal.
func Printable(s string) string { return rcptClean(s) }
