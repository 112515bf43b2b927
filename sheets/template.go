package sheets

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/templates"
)

// The sheets of the self-assessment workbook (自评表). The reader never
// relies on them: it finds every field by its defined name.
const (
	TemplateSheetGuide = "填表说明"
	TemplateSheetFacts = "完成情况"
	TemplateSheetSelf  = "自评分"
)

// TemplateFileName is the file name the centre sends an institution,
// e.g. "2013-常柴国家职业技能鉴定所-自评表.xlsx".
func TemplateFileName(std *templates.Standard, inst templates.Institution) string {
	return fmt.Sprintf("%d-%s-自评表.xlsx", std.Year, inst.Name)
}

// WriteTemplate writes inst's self-assessment workbook for std: the
// instructions (填表说明), the facts sheet (完成情况) with the identity and
// targets pre-filled and locked, and the 附件1 table (自评分). Every field of
// templates.Fields is a workbook-scope defined name of one cell. The same
// inputs give the same bytes. It returns an error only when excelize fails
// or writing to w fails.
func WriteTemplate(w io.Writer, std *templates.Standard, inst templates.Institution) error {
	return WriteTemplateWith(w, std, inst, TemplateOptions{})
}

// TemplateOptions are the optional parts of a template.
type TemplateOptions struct {
	// Token, when not empty, is stored as the string value of the hidden
	// workbook-scope defined name TokenName (see Token).
	Token string
	// Deadline, when set, is stated in 填表说明 (in its own time zone);
	// LateRefused says that files received after it are not accepted,
	// else that they are marked 逾期.
	Deadline    time.Time
	LateRefused bool
}

// WriteTemplateWith is WriteTemplate with options.
func WriteTemplateWith(w io.Writer, std *templates.Standard, inst templates.Institution, opt TemplateOptions) error {
	f := excelize.NewFile()
	defer f.Close()
	t := &tmplBuilder{f: f, std: std, inst: inst, opt: opt}
	if err := t.build(); err != nil {
		return fmt.Errorf("building the template for %s: %w", inst.Name, err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("writing the template for %s: %w", inst.Name, err)
	}
	return nil
}

// Look of the form.
const (
	tmplFont       = "宋体"
	tmplFontSize   = 11
	tmplInputFill  = "FFFFCC" // light yellow: the only cells to type in
	tmplFixedFill  = "F2F2F2" // pre-filled by the centre
	tmplHeadFill   = "D9D9D9" // table header
	tmplSectFill   = "DDEBF7" // item heading
	tmplLineHeight = 14.5     // points per wrapped line at tmplFontSize
)

// tmplStyles holds the style ids of the form.
type tmplStyles struct {
	title, note, section, header, seq, label, hint           int
	fixedInt, fixedYear, fixedText                           int
	inInt, inYesNo, inScore, inText                          int
	content, criteria, maxPts, total, totalScore, guide, key int
}

type tmplBuilder struct {
	f    *excelize.File
	std  *templates.Standard
	inst templates.Institution
	st   tmplStyles
	opt  TemplateOptions
}

func (t *tmplBuilder) build() error {
	f := t.f
	if err := f.SetDefaultFont(tmplFont); err != nil {
		return err
	}
	if err := t.styles(); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", TemplateSheetGuide); err != nil {
		return err
	}
	for _, s := range []string{TemplateSheetFacts, TemplateSheetSelf} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	steps := []func() error{t.guideSheet, t.factsSheet, t.selfSheet, t.props, t.tokenName}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return nil
}

func (t *tmplBuilder) styles() error {
	f := t.f
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	charset := 134 // GB2312
	font := func(size float64, bold bool) *excelize.Font {
		return &excelize.Font{Family: tmplFont, Size: size, Bold: bold, Charset: &charset}
	}
	fill := func(color string) excelize.Fill {
		if color == "" {
			return excelize.Fill{}
		}
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
	}
	align := func(h string, wrap bool) *excelize.Alignment {
		return &excelize.Alignment{Horizontal: h, Vertical: "center", WrapText: wrap}
	}
	unlocked := &excelize.Protection{Locked: false}
	textFmt := "@"
	specs := []struct {
		id *int
		s  excelize.Style
	}{
		{&t.st.title, excelize.Style{Font: font(16, true), Alignment: align("center", true)}},
		{&t.st.note, excelize.Style{Font: font(10, false), Alignment: align("left", true)}},
		{&t.st.section, excelize.Style{Font: font(tmplFontSize, true), Alignment: align("left", true), Fill: fill(tmplSectFill), Border: border}},
		{&t.st.header, excelize.Style{Font: font(tmplFontSize, true), Alignment: align("center", true), Fill: fill(tmplHeadFill), Border: border}},
		{&t.st.seq, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("center", false), Border: border}},
		{&t.st.label, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("left", true), Border: border}},
		{&t.st.hint, excelize.Style{Font: font(10, false), Alignment: align("left", true), Border: border}},
		{&t.st.fixedInt, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("right", false), Fill: fill(tmplFixedFill), Border: border, NumFmt: 3}},
		{&t.st.fixedYear, excelize.Style{Font: font(tmplFontSize, true), Alignment: align("left", false), Fill: fill(tmplFixedFill), Border: border, NumFmt: 1}},
		{&t.st.fixedText, excelize.Style{Font: font(tmplFontSize, true), Alignment: align("left", true), Fill: fill(tmplFixedFill), Border: border, NumFmt: 49}},
		{&t.st.inInt, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("right", false), Fill: fill(tmplInputFill), Border: border, NumFmt: 3, Protection: unlocked}},
		{&t.st.inYesNo, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("center", false), Fill: fill(tmplInputFill), Border: border, NumFmt: 49, Protection: unlocked}},
		{&t.st.inScore, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("right", false), Fill: fill(tmplInputFill), Border: border, NumFmt: 2, Protection: unlocked}},
		{&t.st.inText, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("left", true), Fill: fill(tmplInputFill), Border: border, CustomNumFmt: &textFmt, Protection: unlocked}},
		{&t.st.content, excelize.Style{Font: font(10.5, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}, Border: border}},
		{&t.st.criteria, excelize.Style{Font: font(10, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}, Border: border}},
		{&t.st.maxPts, excelize.Style{Font: font(tmplFontSize, false), Alignment: align("center", false), Border: border, NumFmt: 1}},
		{&t.st.total, excelize.Style{Font: font(tmplFontSize, true), Alignment: align("center", false), Fill: fill(tmplHeadFill), Border: border, NumFmt: 1}},
		{&t.st.totalScore, excelize.Style{Font: font(tmplFontSize, true), Alignment: align("right", false), Fill: fill(tmplHeadFill), Border: border, NumFmt: 2}},
		{&t.st.guide, excelize.Style{Font: font(tmplFontSize, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}}},
		{&t.st.key, excelize.Style{Font: font(tmplFontSize, true), Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "top"}}},
	}
	for _, sp := range specs {
		id, err := f.NewStyle(&sp.s)
		if err != nil {
			return err
		}
		*sp.id = id
	}
	return nil
}

// tmplCell is the A1 name of (col, row), both 1-based.
func tmplCell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// tmplTextWidth is the display width of s in Excel column units: CJK and
// other wide characters count two.
func tmplTextWidth(s string) int {
	w := 0
	for _, r := range s {
		if r < 0x1100 || (r >= 0xFF61 && r <= 0xFFDC) {
			w++
		} else {
			w += 2
		}
	}
	return w
}

// tmplLines estimates how many lines s wraps to in a column of width units.
func tmplLines(s string, width float64) int {
	usable := int(width) - 1
	if usable < 2 {
		usable = 2
	}
	n := 0
	for _, para := range strings.Split(s, "\n") {
		w := tmplTextWidth(para)
		n += max(1, (w+usable-1)/usable)
	}
	return n
}

// tmplHeight is a row height (points) showing lines of wrapped text.
func tmplHeight(lines int, min float64) float64 {
	return max(min, float64(lines)*tmplLineHeight+6)
}

// tmplPointsText formats points without trailing zeros: 30, 0.3, 17.9.
func tmplPointsText(p templates.Points) string {
	s := p.String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// tmplTruncate cuts s to n runes (Excel limits validation titles).
func tmplTruncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// finishSheet sets A4, fit to one page wide, margins, footer and protection.
func (t *tmplBuilder) finishSheet(sheet, orientation string) error {
	f := t.f
	size, fitW, fitH, fit := 9, 1, 0, true
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &size, Orientation: &orientation, FitToWidth: &fitW, FitToHeight: &fitH,
	}); err != nil {
		return err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	lr, tb, hf, center := 0.6, 0.7, 0.3, true
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &lr, Right: &lr, Top: &tb, Bottom: &tb, Header: &hf, Footer: &hf, Horizontally: &center,
	}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&C第 &P 页，共 &N 页",
	}); err != nil {
		return err
	}
	grid := false
	if err := f.SetSheetView(sheet, 0, &excelize.ViewOptions{ShowGridLines: &grid}); err != nil {
		return err
	}
	return f.ProtectSheet(sheet, &excelize.SheetProtectionOptions{
		SelectLockedCells:   true,
		SelectUnlockedCells: true,
		FormatColumns:       true,
		FormatRows:          true,
	})
}

// defineName makes field a workbook-scope defined name of sheet!cell.
func (t *tmplBuilder) defineName(field templates.Field, sheet, cell string) error {
	return t.f.SetDefinedName(&excelize.DefinedName{
		Name:     field.Name,
		RefersTo: book.AbsRef(sheet, cell),
		Comment:  field.Label,
	})
}

// validate adds the data validation of field's input cell.
func (t *tmplBuilder) validate(sheet, cell string, field templates.Field) error {
	dv := excelize.NewDataValidation(true)
	dv.Sqref = cell
	title := tmplTruncate(field.Label, 32)
	switch field.Kind {
	case templates.KindInt:
		if err := dv.SetRange(0, 0, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorGreaterThanOrEqual); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "应填写非负整数",
			tmplTruncate("「"+field.Label+"」应填写非负整数，如 1200；没有请填 0。不要带单位、小数或文字。", 225))
	case templates.KindYesNo:
		if err := dv.SetDropList([]string{"是", "否"}); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "应选择 是 或 否",
			tmplTruncate("「"+field.Label+"」请从下拉列表中选择“是”或“否”。", 225))
	case templates.KindScore:
		if err := dv.SetRange(0, 0, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorGreaterThanOrEqual); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "应填写分数",
			tmplTruncate("「"+field.Label+"」应填写不小于 0 的分数，最多两位小数，如 29.3。", 225))
	case templates.KindText:
		if err := dv.SetRange(0, 100, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "内容过长", "最多填写 100 个字。")
	}
	if dv.Operator != "between" {
		dv.Formula2 = ""
	}
	if field.Hint != "" {
		dv.SetInput(title, tmplTruncate(field.Hint, 250))
	}
	return t.f.AddDataValidation(sheet, dv)
}

// input writes field's input cell: style, validation and defined name.
func (t *tmplBuilder) input(sheet, cell string, field templates.Field) error {
	style := t.st.inText
	switch field.Kind {
	case templates.KindInt:
		style = t.st.inInt
	case templates.KindYesNo:
		style = t.st.inYesNo
	case templates.KindScore:
		style = t.st.inScore
	}
	if err := t.f.SetCellStyle(sheet, cell, cell, style); err != nil {
		return err
	}
	if err := t.validate(sheet, cell, field); err != nil {
		return err
	}
	return t.defineName(field, sheet, cell)
}

// fixed writes field's pre-filled, locked cell from the allocation.
func (t *tmplBuilder) fixed(sheet, cell string, field templates.Field) error {
	f := t.f
	var err error
	style := t.st.fixedText
	switch field.Name {
	case templates.FieldYear:
		style = t.st.fixedYear
		err = f.SetCellInt(sheet, cell, int64(t.std.Year))
	case templates.FieldInstitution:
		err = f.SetCellStr(sheet, cell, t.inst.Name)
	default:
		v, ok := tmplTarget(t.inst.Targets, field.Name)
		if !ok {
			return fmt.Errorf("identity field %q has no value in the allocation", field.Name)
		}
		style = t.st.fixedInt
		err = f.SetCellInt(sheet, cell, v)
	}
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
		return err
	}
	return t.defineName(field, sheet, cell)
}

// tmplTarget is the allocation's value of a target_* field.
func tmplTarget(tg templates.Targets, name string) (int64, bool) {
	switch name {
	case templates.FieldTargetAppraised:
		return tg.Appraised, true
	case templates.FieldTargetCertified:
		return tg.Certified, true
	case templates.FieldTargetUnified:
		return tg.UnifiedExam, true
	case templates.FieldTargetHighSkill:
		return tg.HighSkill, true
	}
	return 0, false
}

// tokenName stores the template token, when there is one, as a hidden
// workbook-scope name with a string constant (Excel, WPS and LibreOffice
// keep such a name when they save the workbook).
func (t *tmplBuilder) tokenName() error {
	if t.opt.Token == "" {
		return nil
	}
	if err := t.f.SetDefinedName(&excelize.DefinedName{
		Name:     TokenName,
		RefersTo: `"` + strings.ReplaceAll(t.opt.Token, `"`, `""`) + `"`,
		Comment:  "kaohe 校验标记，请勿修改或删除",
	}); err != nil {
		return err
	}
	if wb := t.f.WorkBook; wb != nil && wb.DefinedNames != nil { // excelize has no option for hidden names
		for i := range wb.DefinedNames.DefinedName {
			if wb.DefinedNames.DefinedName[i].Name == TokenName {
				wb.DefinedNames.DefinedName[i].Hidden = true
			}
		}
	}
	return nil
}

func (t *tmplBuilder) props() error {
	stamp := fmt.Sprintf("%d-12-01T00:00:00Z", t.std.Year)
	return t.f.SetDocProps(&excelize.DocProperties{
		Title:          fmt.Sprintf("%d年度职业技能鉴定机构考核自评表 %s", t.std.Year, t.inst.Name),
		Subject:        t.std.Title,
		Creator:        "kaohe",
		LastModifiedBy: "kaohe",
		Created:        stamp,
		Modified:       stamp,
		Keywords:       "kaohe 自评表",
		Language:       "zh-CN",
	})
}
