package sheets

import (
	"fmt"
	"kaohe/sheets/internal/book"
	"kaohe/templates"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The three sheets of the self-assessment workbook: 填表说明, 完成情况, 自评分.

var tmplFactsWidths = []float64{6, 36, 14, 18, 46}

// tmplRow is one line of the facts table.
type tmplRow struct {
	label  string
	target *templates.Field // pre-filled, in column C
	input  *templates.Field // typed in, in column D
	hint   string
}

// tmplFactsPlan groups the non-self fields: identity (item 0), per 附件1
// item (a target paired with its actual_* field on one row), and the rest
// of item 0 (the contact) at the end.
func tmplFactsPlan() (identity []templates.Field, items map[int][]tmplRow, contact []templates.Field) {
	items = map[int][]tmplRow{}
	byName := map[string]bool{}
	for _, fd := range templates.Fields {
		byName[fd.Name] = true
	}
	paired := map[string]bool{}
	for i := range templates.Fields {
		fd := templates.Fields[i]
		switch {
		case fd.Role == templates.RoleSelf:
		case fd.Item == 0 && fd.Role == templates.RoleIdentity:
			identity = append(identity, fd)
		case fd.Item == 0:
			contact = append(contact, fd)
		case paired[fd.Name]:
		case fd.Role == templates.RoleIdentity:
			row := tmplRow{label: strings.TrimSuffix(fd.Label, " 目标"), target: &templates.Fields[i], hint: fd.Hint}
			if rest, ok := strings.CutPrefix(fd.Name, "target_"); ok && byName["actual_"+rest] {
				a, _ := templates.FieldByName("actual_" + rest)
				if a.Item == fd.Item && a.Role != templates.RoleIdentity {
					row.input = &a
					row.hint = a.Hint
					paired[a.Name] = true
				}
			}
			items[fd.Item] = append(items[fd.Item], row)
		default:
			items[fd.Item] = append(items[fd.Item], tmplRow{label: fd.Label, input: &fd, hint: fd.Hint})
		}
	}
	return identity, items, contact
}

func (t *tmplBuilder) factsSheet() error {
	f, sh, st := t.f, TemplateSheetFacts, &t.st
	for i, w := range tmplFactsWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	last := len(tmplFactsWidths)
	row := 1
	w := &cellWriter{f: f, sh: sh}
	set := func(col int, v any, style int) {
		w.put(tmplCell(col, row), v, style)
	}
	merge := func(from, to int, v any, style int) {
		set(from, v, style)
		w.do(func() error { return f.SetCellStyle(sh, tmplCell(from, row), tmplCell(to, row), style) })
		if to > from {
			w.merge(tmplCell(from, row), tmplCell(to, row))
		}
	}
	height := func(h float64) {
		w.height(row, h)
	}

	merge(1, last, fmt.Sprintf("%d年度职业技能鉴定机构考核自评表 · 完成情况", t.std.Year), st.title)
	height(30)
	row++
	note := "浅黄色单元格由鉴定机构填写，其余单元格已锁定。考核年度、鉴定机构和目标任务（附件2）由市中心预先填写，请勿改动。人数、次数一律填非负整数，没有发生的填 0。"
	merge(1, last, note, st.note)
	height(tmplHeight(tmplLines(note, tmplSumWidths(tmplFactsWidths)), 20))
	row++

	identity, items, contact := tmplFactsPlan()
	merge(1, last, "一、基本信息", st.section)
	height(20)
	row++
	for _, fd := range identity {
		set(tmplFactsSeq, nil, st.seq)
		set(tmplFactsLabel, fd.Label, st.label)
		merge(tmplFactsFixed, last, nil, st.fixedText)
		w.do(func() error { return t.fixed(sh, tmplCell(tmplFactsFixed, row), fd) })
		if fd.Name == templates.FieldYear {
			// the year cell keeps its number format across the merge
			w.do(func() error {
				return f.SetCellStyle(sh, tmplCell(tmplFactsFixed, row), tmplCell(last, row), st.fixedYear)
			})
		}
		height(22)
		row++
	}

	merge(1, last, "二、完成情况及附件1各项考核数据", st.section)
	height(20)
	row++
	for col, h := range []string{"序号", "项目", "目标（附件2）", "实际完成 / 填写", "填写说明"} {
		set(col+1, h, st.header)
	}
	height(22)
	row++
	for _, no := range tmplItemNumbers(t.std, items) {
		head := fmt.Sprintf("第%d项", no)
		if it := tmplItem(t.std, no); it != nil {
			head += fmt.Sprintf(" %s（%s分）", it.Title, tmplPointsText(it.Max))
		}
		merge(1, last, head, st.section)
		height(20)
		row++
		if len(items[no]) == 0 {
			merge(1, last, "本项没有需要填写的数据，请在「自评分」表中填写本项自评分。", st.note)
			height(20)
			row++
		}
		for k, r := range items[no] {
			set(tmplFactsSeq, k+1, st.seq)
			if r.target != nil {
				set(tmplFactsLabel, r.label, st.label)
				w.do(func() error { return t.fixed(sh, tmplCell(tmplFactsFixed, row), *r.target) })
			} else {
				merge(tmplFactsLabel, tmplFactsFixed, r.label, st.label)
			}
			if r.input != nil {
				w.do(func() error { return t.input(sh, tmplCell(tmplFactsInput, row), *r.input) })
			} else {
				set(tmplFactsInput, nil, st.label)
			}
			set(tmplFactsHint, r.hint, st.hint)
			labelW := tmplFactsWidths[tmplFactsLabel-1]
			if r.target == nil {
				labelW += tmplFactsWidths[tmplFactsFixed-1]
			}
			lines := max(tmplLines(r.label, labelW), tmplLines(r.hint, tmplFactsWidths[tmplFactsHint-1]*1.1))
			height(tmplHeight(lines, 22))
			row++
		}
	}

	if len(contact) > 0 {
		merge(1, last, "三、填表人", st.section)
		height(20)
		row++
		for k, fd := range contact {
			set(tmplFactsSeq, k+1, st.seq)
			merge(tmplFactsLabel, tmplFactsFixed, fd.Label, st.label)
			w.do(func() error { return t.input(sh, tmplCell(tmplFactsInput, row), fd) })
			set(tmplFactsHint, fd.Hint, st.hint)
			height(22)
			row++
		}
	}
	row++
	end := "填写完成后请检查各浅黄色单元格，保存为 .xlsx 格式后按市中心通知上传。自评分请在「自评分」工作表中填写。"
	merge(1, last, end, st.note)
	height(tmplHeight(tmplLines(end, tmplSumWidths(tmplFactsWidths)), 20))
	if w.err != nil {
		return w.err
	}
	return t.finishSheet(sh, "portrait")
}

func tmplSumWidths(ws []float64) float64 {
	s := 0.0
	for _, w := range ws {
		s += w
	}
	return s
}

// tmplItem returns the standard's item no, or nil.
func tmplItem(std *templates.Standard, no int) *templates.Item {
	for i := range std.Items {
		if std.Items[i].No == no {
			return &std.Items[i]
		}
	}
	return nil
}

// tmplItemNumbers lists the standard's items, then any item a field names
// that the standard lacks, in order.
func tmplItemNumbers(std *templates.Standard, items map[int][]tmplRow) []int {
	var out []int
	seen := map[int]bool{}
	for _, it := range std.Items {
		out = append(out, it.No)
		seen[it.No] = true
	}
	extra := []int{}
	for no := range items {
		if !seen[no] {
			extra = append(extra, no)
		}
	}
	for i := 1; i < len(extra); i++ { // tiny insertion sort, keeps the output stable
		for j := i; j > 0 && extra[j] < extra[j-1]; j-- {
			extra[j], extra[j-1] = extra[j-1], extra[j]
		}
	}
	return append(out, extra...)
}

// cellWriter writes one sheet's cells, keeping the first error: a sheet
// is built by many calls, and checking each would hide what it builds.
type cellWriter struct {
	f   *excelize.File
	sh  string
	err error
}

// do runs step unless an earlier step failed.
func (w *cellWriter) do(step func() error) {
	if w.err == nil {
		w.err = step()
	}
}

// put sets cell's value (unless v is nil) and its style.
func (w *cellWriter) put(cell string, v any, style int) {
	if v != nil {
		w.do(func() error { return w.f.SetCellValue(w.sh, cell, v) })
	}
	w.do(func() error { return w.f.SetCellStyle(w.sh, cell, cell, style) })
}

func (w *cellWriter) merge(from, to string) {
	w.do(func() error { return w.f.MergeCell(w.sh, from, to) })
}

func (w *cellWriter) height(row int, h float64) {
	w.do(func() error { return w.f.SetRowHeight(w.sh, row, h) })
}

// The columns of 自评分.
var tmplSelfWidths = []float64{6, 30, 8, 66, 12}

func (t *tmplBuilder) selfSheet() error {
	f, sh, st := t.f, TemplateSheetSelf, &t.st
	for i, w := range tmplSelfWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	self := map[int]templates.Field{}
	for _, fd := range templates.Fields {
		if fd.Role == templates.RoleSelf {
			self[fd.Item] = fd
		}
	}
	type selfRow struct {
		no   int
		item *templates.Item
	}
	var rows []selfRow
	seen := map[int]bool{}
	for i := range t.std.Items {
		rows = append(rows, selfRow{t.std.Items[i].No, &t.std.Items[i]})
		seen[t.std.Items[i].No] = true
	}
	for _, fd := range templates.Fields {
		if fd.Role == templates.RoleSelf && !seen[fd.Item] {
			rows = append(rows, selfRow{no: fd.Item})
			seen[fd.Item] = true
		}
	}

	w := &cellWriter{f: f, sh: sh}
	put := w.put
	mergeRow := func(row int, v any, style int) {
		put(tmplCell(1, row), v, style)
		w.do(func() error { return f.SetCellStyle(sh, tmplCell(1, row), tmplCell(len(tmplSelfWidths), row), style) })
		w.merge(tmplCell(1, row), tmplCell(len(tmplSelfWidths), row))
	}
	height := w.height
	mergeRow(1, fmt.Sprintf("%d年度职业技能鉴定机构考核自评表 · 自评分（附件1）", t.std.Year), st.title)
	height(1, 30)
	mergeRow(2, fmt.Sprintf("鉴定机构：%s　　　考核年度：%d", t.inst.Name, t.std.Year), st.note)
	height(2, 22)
	for col, h := range []string{"序号", "考核内容", "分值", "评分说明", "自评分"} {
		put(tmplCell(col+1, 3), h, st.header)
	}
	height(3, 24)
	row := 4
	for _, r := range rows {
		put(tmplCell(1, row), r.no, st.seq)
		content, criteria := "", ""
		if r.item != nil {
			content = r.item.Title + "\n" + r.item.Content
			criteria = r.item.Criteria
			put(tmplCell(3, row), r.item.Max.Float(), st.maxPts)
		} else {
			put(tmplCell(3, row), nil, st.maxPts)
		}
		put(tmplCell(2, row), nil, st.content)
		if r.item != nil {
			w.do(func() error {
				return f.SetCellRichText(sh, tmplCell(2, row), []excelize.RichTextRun{
					{Text: r.item.Title + "\n", Font: &excelize.Font{Family: tmplFont, Size: 10.5, Bold: true}},
					{Text: r.item.Content, Font: &excelize.Font{Family: tmplFont, Size: 10.5}},
				})
			})
		}
		put(tmplCell(4, row), criteria, st.criteria)
		cell := tmplCell(5, row)
		if fd, ok := self[r.no]; ok {
			w.do(func() error { return t.input(sh, cell, fd) })
		} else {
			put(cell, "—", st.maxPts)
		}
		lines := max(tmplLines(content, tmplSelfWidths[1]*1.05), tmplLines(criteria, tmplSelfWidths[3]*1.1))
		height(row, tmplHeight(lines, 30))
		row++
	}
	first, lastRow := 4, row-1
	put(tmplCell(1, row), "合计", st.total)
	put(tmplCell(2, row), nil, st.total)
	w.merge(tmplCell(1, row), tmplCell(2, row))
	put(tmplCell(3, row), t.std.MaxTotal().Float(), st.total)
	put(tmplCell(4, row), "自评分合计（由公式自动计算，仅供参考）", st.total)
	w.do(func() error {
		return f.SetCellFormula(sh, tmplCell(5, row), fmt.Sprintf("SUM(%s:%s)", tmplCell(5, first), tmplCell(5, lastRow)))
	})
	put(tmplCell(5, row), nil, st.totalScore)
	height(row, 24)
	row += 2
	note := "说明：请对照评分说明逐项填写本机构的自评分（最多两位小数）。市中心根据「完成情况」表中填写的数据按附件1重新核定得分，并列出自评分与核定分的差异。"
	mergeRow(row, note, st.note)
	height(row, tmplHeight(tmplLines(note, tmplSumWidths(tmplSelfWidths)), 20))
	if w.err != nil {
		return w.err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: book.QuoteSheet(sh) + "!$3:$3", Scope: sh,
	}); err != nil {
		return err
	}
	full := true
	if err := f.SetCalcProps(&excelize.CalcPropsOptions{FullCalcOnLoad: &full}); err != nil {
		return err
	}
	return t.finishSheet(sh, "landscape")
}

// deadline is what 填表说明 says of the deadline, "" without one.
func (t *tmplBuilder) deadline() string {
	if t.opt.Deadline.IsZero() {
		return ""
	}
	then := "之后收到的文件标为“逾期”"
	if t.opt.LateRefused {
		then = "之后收到的文件不予受理"
	}
	return fmt.Sprintf("上传截止时间：%s，%s。", FormatTime(t.opt.Deadline), then)
}

func (t *tmplBuilder) guideSheet() error {
	f, sh, st := t.f, TemplateSheetGuide, &t.st
	year := t.std.Year
	if err := f.SetColWidth(sh, "A", "A", 6); err != nil {
		return err
	}
	if err := f.SetColWidth(sh, "B", "B", 96); err != nil {
		return err
	}
	paras := []string{
		fmt.Sprintf("本工作簿是「%s」参加%d年度全市职业技能鉴定机构考核的自评表，由市职业技能鉴定指导中心按《%s》（附件1）和目标任务分解表（附件2）生成，只供本机构使用。", t.inst.Name, year, t.std.Title),
		"「完成情况」工作表：考核年度、鉴定机构和四项目标任务已由市中心预先填写并锁定，请勿改动。请填写本机构的实际完成人数和附件1各项对应的考核数据，以及填表人和联系电话。",
		"「自评分」工作表：请对照附件1的评分说明，逐项填写本机构的自评分。市中心按「完成情况」中的数据重新核定得分，自评分用于对照。",
		"只有浅黄色单元格可以填写，其余单元格已保护。选中浅黄色单元格时会显示填写提示。",
		"人数、次数、项数和金额一律填非负整数（如 1200），不要带单位、小数或文字；没有发生的填 0。“是/否”项从下拉列表中选择“是”或“否”，不填视为“否”。自评分最多保留两位小数（如 29.3）。",
		"请直接填写数值，不要在填写单元格中使用公式，也不要链接其他文件；程序不读取公式的计算结果。",
		"请勿重命名、删除或移动工作表，请勿删除或修改“定义名称”（公式 → 名称管理器）。程序按定义名称读取数据，在表中插入行不影响读取。",
		fmt.Sprintf("填写完成后保存为 .xlsx 格式（Excel 工作簿），不要另存为 .xls、.et 或 .csv，按市中心通知的方式上传。建议保留原文件名「%s」。%s", TemplateFileName(t.std, t.inst), t.deadline()),
		"每个上传的文件都会得到一份回执（.xlsx），写明是否通过校验；未通过时逐条指出有误的单元格（如「完成情况!D12」）、填写的内容和应填写的内容，请按回执修改后重新上传。截止前可以多次上传，以最后一次通过校验的文件为准。",
		"如有疑问，请与市职业技能鉴定指导中心联系。",
	}
	w := &cellWriter{f: f, sh: sh}
	put := w.put
	put("A1", fmt.Sprintf("%d年度职业技能鉴定机构考核自评表 · 填表说明", year), st.title)
	w.merge("A1", "B1")
	w.height(1, 32)
	head := fmt.Sprintf("鉴定机构：%s　　　考核年度：%d", t.inst.Name, year)
	if !t.opt.Deadline.IsZero() {
		head += "　　　上传截止：" + FormatTime(t.opt.Deadline)
	}
	put("A2", head, st.note)
	w.merge("A2", "B2")
	w.height(2, 24)
	for i, p := range paras {
		row := i + 3
		put(tmplCell(1, row), fmt.Sprintf("%d.", i+1), st.key)
		put(tmplCell(2, row), p, st.guide)
		w.height(row, tmplHeight(tmplLines(p, 96), 20)+4)
	}
	if w.err != nil {
		return w.err
	}
	return t.finishSheet(sh, "portrait")
}

// The columns of 完成情况.
const (
	tmplFactsSeq   = 1 // A 序号
	tmplFactsLabel = 2 // B 项目
	tmplFactsFixed = 3 // C 目标（附件2）
	tmplFactsInput = 4 // D 实际完成 / 填写
	tmplFactsHint  = 5 // E 填写说明
)
