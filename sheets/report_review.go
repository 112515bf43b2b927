package sheets

// The report's 核查记录 sheet: every finding of the centre's 核查表, what
// the institution had reported, and what the finding did to its total;
// and the line under the ranking that says which 核查表 was used.

import (
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
	"kaohe/templates/score"
)

// repSheetReview is the sheet of the 核查表's findings.
const repSheetReview = "核查记录"

// ReviewFile is the 核查表 a run read: where, which version (its time and
// SHA-256) and what it said, so that every published number can be traced
// to it.
type ReviewFile struct {
	Source   string    // a path or a URL (without a password)
	Found    bool      // false: there is no 核查表 there yet, nothing is verified
	ModTime  time.Time // its modification time, in the zone to show
	Hash     string    // hex SHA-256 of its bytes
	Findings []score.Finding
}

// ShortHash is the first 12 hex digits of the hash.
func (r *ReviewFile) ShortHash() string {
	if len(r.Hash) > 12 {
		return r.Hash[:12]
	}
	return r.Hash
}

// Describe says which 核查表 was used, in one sentence: its place, time,
// hash and number of findings; or that there is none.
func (r *ReviewFile) Describe() string {
	switch {
	case r == nil:
		return "未配置核查表（配置项 review 或 --review），核定分按鉴定机构自报的事实计算"
	case !r.Found:
		return fmt.Sprintf("%s 尚不存在：市中心尚未核查，核定分按鉴定机构自报的事实计算", r.Source)
	}
	return fmt.Sprintf("%s，修改时间 %s，SHA-256 前 12 位 %s，核查结果 %d 条", r.Source, FormatTime(r.ModTime), r.ShortHash(), len(r.Findings))
}

// repFactLabel is a fact's label, or its name when it has none.
func repFactLabel(field string) string {
	if fd, ok := templates.FieldByName(field); ok {
		return fd.Label
	}
	return field
}

// repEffect is what a finding did, in words, for 说明.
func repEffect(a *score.Applied, s Standing) string {
	switch {
	case a == nil && s.Ranked == nil:
		return "尚无合格提交（" + repStatus(s) + "），提交后适用"
	case a == nil:
		return ""
	case !a.Changed():
		return "与自报值相同"
	case a.Disqualifies:
		return "取消评优资格"
	case a.Requalifies:
		return "恢复评优资格"
	}
	return ""
}

// review is the 核查记录 sheet: every finding, grouped by institution in
// 附件2's order, each with the claim it replaced and its effect.
func (b *repBuilder) review() *layout.Table {
	st := b.st
	t := &layout.Table{
		Name: repSheetReview, Freeze: 1, Header: b.header(repSheetReview), Footer: b.footer(),
		Cols: []layout.Col{
			{Width: 6}, {Min: 16, Max: 32, Wrap: true}, {Min: 14, Max: 28, Wrap: true}, {Width: 10}, {Width: 10}, {Width: 11},
			{Min: 14, Max: 40, Wrap: true}, {Width: 9}, {Width: 11}, {Width: 14}, {Min: 12, Max: 30, Wrap: true},
		},
	}
	b.headerRow(t, "序号", "鉴定机构", "事项", "自报值", "核定值", "对总分的影响", "依据", "核查人", "日期", "核查表位置", "说明")
	rv := b.rep.Review
	var findings []score.Finding
	if rv != nil {
		for _, in := range b.std.Institutions {
			findings = append(findings, score.Of(rv.Findings, in.Name)...)
		}
	}
	applied := map[string]*score.Applied{} // by place
	for _, s := range b.ranked {
		for i := range s.Ranked.Findings {
			a := &s.Ranked.Findings[i]
			applied[a.Place] = a
		}
	}
	t.AddLazyRows(len(findings), func(i int) []excelize.Cell {
		fd := findings[i]
		s := b.byName[fd.Institution]
		a := applied[fd.Place]
		claimed, effect := layout.E(st.Center), layout.E(st.Diff)
		if a != nil {
			claimed = layout.S(st.Center, score.FactText(fd.Field, a.Claimed))
			effect = layout.F(st.Diff, a.Effect.Float())
		}
		value := layout.S(st.Center, fd.ValueText())
		if a != nil && a.Changed() {
			value.StyleID = st.RedCenter
		}
		note := layout.S(st.Wrap, repEffect(a, s))
		if s.Ranked == nil || a != nil && a.Disqualifies {
			note.StyleID = st.Red
		}
		return []excelize.Cell{
			layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, fd.Institution), layout.S(st.Wrap, repFactLabel(fd.Field)),
			claimed, value, effect, layout.S(st.Wrap, fd.Basis), layout.S(st.Center, fd.Checker), layout.S(st.Center, fd.Date),
			layout.S(st.Center, fd.Place), note,
		}
	})
	t.Filter = fmt.Sprintf("A1:K%d", t.NextRow()-1)
	t.Add()
	t.Add(layout.S(st.Note, "核查表："+rv.Describe()+"。"))
	if len(findings) == 0 {
		t.Add(layout.S(st.Note, "没有核查结果：核定分都按鉴定机构自报的事实计算。"))
		return t
	}
	changed, insts := 0, map[string]bool{}
	for _, a := range applied {
		if a.Changed() {
			changed++
			insts[a.Institution] = true
		}
	}
	for _, n := range []string{
		fmt.Sprintf("共 %d 条核查结果；已采用并改变自报值的 %d 条，涉及 %d 个鉴定机构。", len(findings), changed, len(insts)),
		"核定值取代鉴定机构在自评表中的自报值（不是在自报值上累加），核定分和核定总分按核定后的事实计算；自评分不变。",
		"对总分的影响 = 采用全部核查结果的核定总分 − 不采用这一条（其余照常采用）的核定总分；同一机构的几条互相影响时（如扣完为止），各条的影响之和可能不等于总的变化。",
		"鉴定机构尚无合格提交时，它的核查结果先列在这里，它提交后即适用。核查表位置指出这一条在核查表中的单元格。",
	} {
		t.Add(layout.S(st.Note, n))
	}
	return t
}

// repChanges is the 核查 cell of a ranked institution: how many of its
// facts the centre changed, empty when none.
func repChanges(st *layout.Styles, r *score.Ranked) excelize.Cell {
	if n := r.Changes(); n > 0 {
		return layout.I(st.RedCenter, int64(n))
	}
	return layout.E(st.Center)
}
