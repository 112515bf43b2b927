package sheets

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
	"kaohe/templates/score"
)

// The sheets of the 汇总排名表, in their order.
const (
	repSheetRanking = "排名"
	repSheetDetails = "评分明细"
	repSheetTargets = "目标完成"
	repSheetUploads = "提交情况"
	repSheetIssues  = "校验问题"
	repSheetScores  = "核定总分图"
	repSheetRates   = "取证完成率图"
)

// repSheets lists the report's sheets in order.
var repSheets = []string{repSheetRanking, repSheetDetails, repSheetReview, repSheetTargets, repSheetUploads, repSheetIssues, repSheetScores, repSheetRates}

// tables are the builders of the report's sheets, in repSheets' order.
func (b *repBuilder) tables() []func() *layout.Table {
	return []func() *layout.Table{b.ranking, b.details, b.review, b.targets, b.uploads, b.issues, b.scoresChart, b.ratesChart}
}

// repRankingHeader is the 排名 sheet's header row; its first four cells are
// a contract (issue 3): 名次, 鉴定机构, 核定总分, 自评总分.
var repRankingHeader = []string{"名次", "鉴定机构", "核定总分", "自评总分", "差值", "评优资格", "提交时间", "状态", "文件", "核查"}

// WriteReport writes the ranking workbook (汇总排名表) of rep to w. Its
// sheets are 排名, 评分明细, 核查记录, 目标完成, 提交情况, 校验问题, and two charts,
// each a sheet printed on one page: 核定总分图 and 取证完成率图. Every text is a text cell, never a formula. The same
// Report always gives the same cells: no clock is read, and the document's
// times are rep.AsOf.
//
// The workbook is built in full before anything is written to w, so when
// rep has no standard or a text is longer than an Excel cell holds
// (ErrCellTooLong, naming the sheet and cell) it fails with w untouched.
// It also fails when writing to w fails.
func WriteReport(w io.Writer, rep *Report) error { return writeReport(w, rep, true) }

// writeReport is WriteReport; spliced tries the fast path first (its rows
// written apart and spliced into a skeleton, report_fast.go), else every
// row goes through excelize (tests compare both).
func writeReport(w io.Writer, rep *Report, spliced bool) error {
	if rep == nil || rep.Standard == nil {
		return errors.New("writing report: no standard in the report")
	}
	if spliced {
		b, ok, err := repWriteFast(rep) // report_fast.go
		if err != nil {
			return err
		}
		if ok {
			if _, err := w.Write(b); err != nil {
				return fmt.Errorf("writing report: %w", err)
			}
			return nil
		}
	}
	f, st, err := layout.NewFile(repSheets...)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	defer f.Close()
	b := &repBuilder{rep: rep, st: st, std: rep.Standard}
	b.split()
	// Before the streams: afterwards, it would read every streamed sheet
	// back into memory (hundreds of MB for 10,000 institutions).
	f.SetActiveSheet(0)
	for _, build := range b.tables() {
		t := build() // one sheet's cells in memory at a time
		if err := layout.Write(f, t); err != nil {
			return fmt.Errorf("writing report sheet %s: %w", t.Name, err)
		}
	}
	std := rep.Standard
	if err := layout.SetProps(f,
		fmt.Sprintf("%d年度鉴定机构考核 汇总排名表", std.Year), std.Title,
		"数据截至 "+FormatTime(rep.AsOf), rep.AsOf); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

type repBuilder struct {
	rep      *Report
	std      *templates.Standard
	st       *layout.Styles
	ranked   []Standing // with a result, in rank order
	unranked []Standing // the others, in the report's order
	byName   map[string]Standing
}

// split separates ranked and unranked standings, keeping the report's order.
func (b *repBuilder) split() {
	b.byName = map[string]Standing{}
	for _, s := range b.rep.Standings {
		if s.Ranked != nil {
			b.ranked = append(b.ranked, s)
		} else {
			b.unranked = append(b.unranked, s)
		}
		b.byName[s.Institution.Name] = s
	}
}

// repStatus is what the standing's status shows: 未提交 when nothing counts,
// 已接受（逾期） for a late upload taken (late = "flag").
func repStatus(s Standing) string {
	st := s.Status
	if st == "" {
		st = StatusMissing
		if s.Ranked != nil {
			st = StatusAccepted
		}
	}
	if s.Upload != nil && s.Upload.Late && st == StatusAccepted {
		return string(StatusAcceptedLate)
	}
	return string(st)
}

func (b *repBuilder) footer() string {
	return b.std.Title + "　数据截至 " + FormatTime(b.rep.AsOf)
}

func (b *repBuilder) header(what string) string {
	return fmt.Sprintf("%d年度鉴定机构考核 汇总排名表 — %s", b.std.Year, what)
}

func (b *repBuilder) headerRow(t *layout.Table, names ...string) {
	cells := make([]excelize.Cell, len(names))
	for i, n := range names {
		cells[i] = layout.S(b.st.Header, n)
	}
	t.AddH(22, cells...)
}

// ranking is the 排名 sheet: the header in row 1, ranked institutions in
// rank order, then the others with an empty 名次; notes under the table.
func (b *repBuilder) ranking() *layout.Table {
	st := b.st
	t := &layout.Table{
		Name: repSheetRanking, Freeze: 1, Header: b.header("排名"), Footer: b.footer(),
		Cols: []layout.Col{
			{Width: 7}, {Min: 16, Max: 36}, {Width: 11}, {Width: 11}, {Width: 9},
			{Min: 12, Max: 40, Wrap: true}, {Width: 18}, {Min: 10, Max: 14}, {Min: 14, Max: 40, Wrap: true}, {Width: 7},
		},
	}
	b.headerRow(t, repRankingHeader...)
	t.AddLazyRows(len(b.ranked), func(i int) []excelize.Cell {
		s := b.ranked[i]
		r := s.Ranked
		status := st.Center
		if s.Upload != nil && s.Upload.Late {
			status = st.RedCenter
		}
		elig := layout.S(st.Wrap, r.Eligibility())
		if len(r.Disqualified) > 0 {
			elig.StyleID = st.Red
		}
		return []excelize.Cell{
			layout.I(st.Center, int64(r.Rank)),
			layout.S(st.Text, s.Institution.Name),
			layout.F(st.Score, r.Total.Float()),
			layout.F(st.Score, r.SelfTotal.Float()),
			layout.F(st.Diff, (r.SelfTotal - r.Total).Float()),
			elig,
			layout.S(st.Center, repReceived(s.Upload)),
			layout.S(status, repStatus(s)),
			layout.S(st.Wrap, repFile(s.Upload)),
			repChanges(st, r),
		}
	})
	t.AddLazyRows(len(b.unranked), func(i int) []excelize.Cell {
		s := b.unranked[i]
		return []excelize.Cell{
			layout.E(st.Center),
			layout.S(st.Text, s.Institution.Name),
			layout.E(st.Score), layout.E(st.Score), layout.E(st.Diff), layout.E(st.Wrap),
			layout.S(st.Center, repReceived(s.Upload)),
			layout.S(st.RedCenter, repStatus(s)),
			layout.S(st.Wrap, repFile(s.Upload)),
			layout.E(st.Center),
		}
	})
	last := t.NextRow() - 1
	t.Filter = fmt.Sprintf("A1:J%d", last)
	t.Add()
	for _, n := range []string{
		"说明：差值 = 自评总分 − 核定总分。核定总分由程序按评分标准计算：市中心核查表核定的事实取代鉴定机构自报的事实，其余按自评表填报的事实；自评分仅作对照。核查 = 市中心改变的事实数，见「" + repSheetReview + "」。",
		"名次相同表示核定总分相同；同分时取证目标任务较大的鉴定机构列前。未提交或未通过校验的鉴定机构不参加排名，列在最后。",
		"核查表：" + b.rep.Review.Describe() + "。",
		"评分标准：" + b.std.Title + "；数据截至 " + FormatTime(b.rep.AsOf) + "（最后收到的文件的时间；同样的数据再汇总，表中内容不变）。",
	} {
		t.Add(layout.S(st.Note, n))
	}
	return t
}

// repEligibility is 评优资格 where the column does not say so: 评优资格：保留,
// or 取消评优资格 and why.
func repEligibility(r *score.Ranked) string {
	if len(r.Disqualified) == 0 {
		return "评优资格：" + r.Eligibility()
	}
	return r.Eligibility()
}

func repReceived(u *Upload) string {
	if u == nil {
		return ""
	}
	return FormatTime(u.Received)
}

func repFile(u *Upload) string {
	if u == nil {
		return ""
	}
	return u.File
}

// details is the 评分明细 sheet: each ranked institution's nine items and a
// total row, in rank order.
func (b *repBuilder) details() *layout.Table {
	st := b.st
	t := &layout.Table{
		Name: repSheetDetails, Freeze: 1, Header: b.header("评分明细"), Footer: b.footer(),
		Cols: []layout.Col{
			{Min: 16, Max: 32, Wrap: true}, {Width: 6}, {Min: 12, Max: 26, Wrap: true}, {Width: 8},
			{Width: 9}, {Width: 10}, {Width: 9}, {Width: 9}, {Width: 56, Wrap: true},
		},
	}
	b.headerRow(t, "鉴定机构", "序号", "考核内容", "分值", "自评分", "按自报计算", "核定分", "差值", "评分依据")
	items := map[int]templates.Item{}
	for _, it := range b.std.Items {
		items[it.No] = it
	}
	// Each ranked institution's block: its items and a total row, made when
	// written (10 rows an institution: 100,000 for a national roll-up).
	// Printed, the rows flow from page to page under the header row, which
	// every page repeats.
	first := make([]int, len(b.ranked)+1) // first[k]: the block's first lazy row
	for k, s := range b.ranked {
		first[k+1] = first[k] + len(s.Ranked.Items) + 1
	}
	maxTotal := b.std.MaxTotal().Float()
	t.AddLazy(first[len(b.ranked)], func(i int) layout.Row {
		k := sort.Search(len(b.ranked), func(k int) bool { return first[k+1] > i })
		s := b.ranked[k]
		r := s.Ranked
		if j := i - first[k]; j < len(r.Items) {
			is := r.Items[j]
			it := items[is.No]
			self, diff := layout.E(st.Score), layout.S(st.Diff, rcptNoSelf)
			if is.SelfSet {
				self, diff = layout.F(st.Score, is.Self.Float()), layout.F(st.Diff, is.Diff().Float())
			}
			return layout.Row{Cells: []excelize.Cell{
				layout.S(st.Wrap, s.Institution.Name),
				layout.I(st.Center, int64(is.No)),
				layout.S(st.Wrap, it.Title),
				layout.F(st.Score, it.Max.Float()),
				self,
				layout.F(st.Score, r.AsClaimed().Items[j].Points.Float()),
				layout.F(st.Score, is.Points.Float()),
				diff,
				layout.S(st.Wrap, is.Basis),
			}}
		}
		return layout.Row{Cells: []excelize.Cell{
			layout.S(st.SumText, s.Institution.Name),
			layout.S(st.SumText, ""),
			layout.S(st.SumText, "合计"),
			layout.F(st.SumScore, maxTotal),
			layout.F(st.SumScore, r.SelfTotal.Float()),
			layout.F(st.SumScore, r.AsClaimed().Total.Float()),
			layout.F(st.SumScore, r.Total.Float()),
			layout.F(st.SumDiff, (r.SelfTotal - r.Total).Float()),
			layout.S(st.SumText, repEligibility(r)),
		}}
	})
	t.Filter = fmt.Sprintf("A1:I%d", t.NextRow()-1)
	t.Add()
	t.Add(layout.S(st.Note, "说明：差值 = 自评分 − 核定分；自评分空白表示未填（差值写「未自评」），按 0 分计入自评总分。"))
	t.AddH(-1, layout.S(st.Note, "按自报计算 = 按鉴定机构在自评表中自报的事实计算的分数；核定分 = 市中心核查表核定的事实取代自报的事实后计算的分数（评分依据中注明“经核查”和依据）。没有核查结果时两者相同。"))
	return t
}

// repTargetKinds are the four measures of 附件2, in its order.
var repTargetKinds = []struct {
	title string
	get   func(templates.Targets) int64
}{
	{"职业技能鉴定人数", func(t templates.Targets) int64 { return t.Appraised }},
	{"职业资格取证人数", func(t templates.Targets) int64 { return t.Certified }},
	{"全国(省)统考人数", func(t templates.Targets) int64 { return t.UnifiedExam }},
	{"新增高技能人才取证数", func(t templates.Targets) int64 { return t.HighSkill }},
}

// repTargetsFirstRow is the first institution row of 目标完成 (two header rows).
const repTargetsFirstRow = 3

// targets is the 目标完成 sheet: each institution's targets (附件2 order),
// actuals and completion rates, then the city totals against the city's
// targets and against the sum of the allocations.
func (b *repBuilder) targets() *layout.Table {
	st := b.st
	t := &layout.Table{
		Name: repSheetTargets, Freeze: 2, Header: b.header("目标完成"), Footer: b.footer(),
		Cols: []layout.Col{{Min: 16, Max: 36}},
	}
	top := []excelize.Cell{layout.S(st.Header, "鉴定机构")}
	sub := []excelize.Cell{layout.S(st.Header, "")}
	for i, k := range repTargetKinds {
		top = append(top, layout.S(st.Header, k.title), layout.S(st.Header, ""), layout.S(st.Header, ""))
		sub = append(sub, layout.S(st.Header, "目标"), layout.S(st.Header, "实际"), layout.S(st.Header, "完成率"))
		t.Cols = append(t.Cols, layout.Col{Width: 9}, layout.Col{Width: 9}, layout.Col{Width: 9})
		c1, _ := excelize.ColumnNumberToName(2 + 3*i)
		c3, _ := excelize.ColumnNumberToName(4 + 3*i)
		t.Merges = append(t.Merges, c1+"1:"+c3+"1")
	}
	top = append(top, layout.S(st.Header, "状态"))
	sub = append(sub, layout.S(st.Header, ""))
	t.Cols = append(t.Cols, layout.Col{Min: 10, Max: 14})
	t.Merges = append(t.Merges, "A1:A2", "N1:N2")
	t.AddH(22, top...)
	t.AddH(20, sub...)

	var sum templates.Targets
	for _, in := range b.std.Institutions {
		if s, ok := b.byName[in.Name]; ok && s.Ranked != nil {
			sum = sum.Add(s.Ranked.Actuals)
		}
	}
	t.AddLazyRows(len(b.std.Institutions), func(i int) []excelize.Cell {
		in := b.std.Institutions[i]
		s, ok := b.byName[in.Name]
		var actual *templates.Targets
		if ok && s.Ranked != nil {
			actual = &s.Ranked.Actuals
		}
		status := string(StatusMissing)
		if ok {
			status = repStatus(s)
		}
		row := []excelize.Cell{layout.S(st.Text, in.Name)}
		row = append(row, b.targetCells(in.Targets, actual, false)...)
		statusStyle := st.Center
		if status != string(StatusAccepted) {
			statusStyle = st.RedCenter
		}
		return append(row, layout.S(statusStyle, status))
	})
	for _, total := range []struct {
		label  string
		target templates.Targets
	}{
		{"全市合计（对全市目标）", b.std.CityTargets},
		{"全市合计（对各机构目标之和）", b.std.AllocatedTotal()},
	} {
		row := []excelize.Cell{layout.S(st.SumText, total.label)}
		row = append(row, b.targetCells(total.target, &sum, true)...)
		row = append(row, layout.S(st.SumText, ""))
		t.Add(row...)
	}
	lastTotal := t.NextRow() - 1
	t.Add()
	t.Add(layout.S(st.Note, "说明：实际完成只计已接受的自评表；未提交或未通过校验的鉴定机构不计入。目标为 0 时不计算完成率。完成率低于 100% 的以红色标出。"))
	t.Add(layout.S(st.Note, fmt.Sprintf("全市目标为评分标准规定的全市总任务；各机构目标之和为目标分解表（附件2）%d 个鉴定机构目标的合计。", len(b.std.Institutions))))
	t.Before = func(f *excelize.File, sheet string) error {
		for i := range repTargetKinds {
			col, _ := excelize.ColumnNumberToName(4 + 3*i)
			first := col + strconv.Itoa(repTargetsFirstRow)
			rng := fmt.Sprintf("%s:%s%d", first, col, lastTotal)
			if err := f.SetConditionalFormat(sheet, rng, []excelize.ConditionalFormatOptions{{
				Type:     "formula",
				Criteria: fmt.Sprintf("AND(ISNUMBER(%s),%s<1)", first, first),
				Format:   &b.st.Highlight,
			}}); err != nil {
				return err
			}
		}
		return nil
	}
	return t
}

// targetCells are the target, actual and rate cells of the four measures;
// actual nil leaves actual and rate empty; a target of 0 leaves the rate empty.
func (b *repBuilder) targetCells(target templates.Targets, actual *templates.Targets, total bool) []excelize.Cell {
	st := b.st
	intS, pctS := st.Integer, st.Pct
	if total {
		intS, pctS = st.SumInt, st.SumPct
	}
	var out []excelize.Cell
	for _, k := range repTargetKinds {
		tg := k.get(target)
		out = append(out, layout.I(intS, tg))
		if actual == nil {
			out = append(out, layout.E(intS), layout.E(pctS))
			continue
		}
		a := k.get(*actual)
		out = append(out, layout.I(intS, a))
		if tg <= 0 {
			out = append(out, layout.E(pctS))
		} else {
			out = append(out, layout.F(pctS, float64(a)/float64(tg)))
		}
	}
	return out
}

// uploads is the 提交情况 sheet: every institution's state (附件2 order),
// then every consumed file, superseded and late ones included.
func (b *repBuilder) uploads() *layout.Table {
	st := b.st
	t := &layout.Table{
		Name: repSheetUploads, Freeze: 1, Header: b.header("提交情况"), Footer: b.footer(),
		Cols: []layout.Col{
			{Width: 6}, {Min: 16, Max: 36, Wrap: true}, {Min: 10, Max: 22, Wrap: true}, {Min: 16, Max: 40, Wrap: true},
			{Width: 18}, {Width: 15}, {Width: 8}, {Width: 8}, {Min: 16, Max: 50, Wrap: true},
		},
	}
	head := []string{"序号", "鉴定机构", "状态", "文件", "上传时间", "校验码", "错误数", "提醒数", "说明"}
	b.headerRow(t, head...)
	t.AddLazyRows(len(b.std.Institutions), func(i int) []excelize.Cell {
		in := b.std.Institutions[i]
		s, ok := b.byName[in.Name]
		status := string(StatusMissing)
		if ok {
			status = repStatus(s)
		}
		statusStyle := st.Center
		if status != string(StatusAccepted) {
			statusStyle = st.RedCenter
		}
		row := []excelize.Cell{layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, in.Name), layout.S(statusStyle, status)}
		if !ok || s.Upload == nil {
			row = append(row, layout.E(st.Wrap), layout.E(st.Center), layout.E(st.Center), layout.E(st.Integer), layout.E(st.Integer),
				layout.S(st.Wrap, "未收到自评表"))
		} else {
			u := s.Upload
			note := u.Note
			if note == "" && status == string(StatusRejected) {
				note = "错误见“校验问题”表"
			}
			row = append(row, layout.S(st.Wrap, u.File), layout.S(st.Center, FormatTime(u.Received)),
				layout.S(st.Center, u.ShortHash()), layout.I(st.Integer, int64(u.Errors)), layout.I(st.Integer, int64(u.Warnings)),
				layout.S(st.Wrap, note))
		}
		return row
	})
	t.Filter = fmt.Sprintf("A1:I%d", t.NextRow()-1)
	t.Add()
	t.AddH(24, layout.S(st.Section, fmt.Sprintf("收到的全部文件（%d 个，最新的在前，含被替代和逾期的）", len(b.rep.Uploads))))
	b.headerRow(t, head...)
	t.AddLazyRows(len(b.rep.Uploads), func(i int) []excelize.Cell {
		u := b.rep.Uploads[i]
		status := string(u.Status)
		if u.Late {
			status += "（逾期）"
		}
		statusStyle := st.Center
		if u.Status != StatusAccepted || u.Late {
			statusStyle = st.RedCenter
		}
		return []excelize.Cell{layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, u.Institution), layout.S(statusStyle, status),
			layout.S(st.Wrap, u.File), layout.S(st.Center, FormatTime(u.Received)), layout.S(st.Center, u.ShortHash()),
			layout.I(st.Integer, int64(u.Errors)), layout.I(st.Integer, int64(u.Warnings)), layout.S(st.Wrap, u.Note)}
	})
	if len(b.rep.Uploads) == 0 {
		t.Add(layout.S(st.Note, "尚未收到任何文件。"))
	}
	t.Add()
	t.Add(layout.S(st.Note, "校验码为文件 SHA-256 的前 12 位，完整值见回执。"))
	return t
}

// issues is the 校验问题 sheet: every error and warning.
func (b *repBuilder) issues() *layout.Table {
	st := b.st
	t := &layout.Table{
		Name: repSheetIssues, Freeze: 1, Header: b.header("校验问题"), Footer: b.footer(),
		Cols: []layout.Col{
			{Width: 6}, {Min: 16, Max: 36, Wrap: true}, {Min: 10, Max: 20, Wrap: true}, {Min: 12, Max: 30, Wrap: true},
			{Min: 10, Max: 30, Wrap: true}, {Width: 7}, {Min: 30, Max: 60, Wrap: true},
		},
	}
	b.headerRow(t, "序号", "文件", "位置", "字段", "值", "类别", "说明")
	for i, is := range b.rep.Issues {
		label := is.Label
		if label == "" {
			label = is.Field
		}
		sev := layout.S(st.Center, string(is.Severity))
		if is.Severity == Error {
			sev.StyleID = st.RedCenter
		}
		t.Add(layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, is.File), layout.S(st.Wrap, is.Place()),
			layout.S(st.Wrap, label), layout.S(st.Wrap, is.Value), sev, layout.S(st.Wrap, is.Message))
	}
	t.Filter = fmt.Sprintf("A1:G%d", t.NextRow()-1)
	if len(b.rep.Issues) == 0 {
		t.Add()
		t.Add(layout.S(st.Note, "没有错误或提醒。"))
	}
	return t
}
