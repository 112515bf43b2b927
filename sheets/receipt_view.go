package sheets

import (
	"kaohe/templates"
	"kaohe/templates/score"
)

// ReceiptView is a receipt's content for a page (the portal shows it the
// moment a file is uploaded): the same parts, in the same words, as the
// receipt workbook and ReceiptText.
type ReceiptView struct {
	Title                      string
	Info                       [][2]string // label, value: 鉴定机构, 文件名, 收到时间, …
	Verdict                    string      // 已接受, 未通过校验, …
	Accepted                   bool
	Note                       string // why superseded, late, refused; "" when none
	Scored                     bool   // Items and the totals are set
	Items                      []ReceiptItem
	SelfTotal, Total, MaxTotal templates.Points
	Eligibility                string // 保留, or 取消评优资格（…）
	Eligible                   bool
	Errors, Warnings           []Issue
	ErrorsTitle, WarningsTitle string // 错误（共 3 处）, 提醒（共 1 处，不影响校验结果）
	Advice                     string // what to do next
	Source                     string // the standard
	// Review is the 市中心核查 section: the facts the centre verified and
	// the 核定分 they give; nil when the receipt has none (no 核查表 is
	// configured, or the file was not accepted).
	Review *ReceiptReview
}

// ReceiptReview is the receipt's 市中心核查 section.
type ReceiptReview struct {
	Findings []ReceiptFinding
	Summary  string // the sentence under the findings, or instead of them
}

// ReceiptFinding is one verified fact's line: 事项, 自报值, 核定值, 对总分的影响, 依据.
type ReceiptFinding struct {
	No                    int
	Label, Claimed, Value string
	Changed               bool // the verified value differs from the claimed one
	Effect                string
	Basis                 string // with 核查人 and 日期
}

// ReceiptItem is one item's line: 自评分, 核定分, 差值, 评分依据.
type ReceiptItem struct {
	No      int
	Title   string
	Self    templates.Points
	SelfSet bool
	Points  templates.Points
	Diff    templates.Points
	Basis   string
}

// DiffText is the difference as the receipt writes it (+1.50, −2.00,
// 0.00), or 未自评 where the self-score was left blank.
func (it ReceiptItem) DiffText() string {
	if !it.SelfSet {
		return rcptNoSelf
	}
	return rcptSigned(it.Diff)
}

// rcptNoSelf stands in the 差值 of an item whose self-score was left
// blank: no difference against 0 is shown.
const rcptNoSelf = "未自评"

// TotalDiffText is the totals' difference as the receipt writes it.
func (v ReceiptView) TotalDiffText() string { return rcptSigned(v.SelfTotal - v.Total) }

// ViewReceipt is rc's content, as its workbook shows it.
func ViewReceipt(rc *Receipt) ReceiptView {
	d := rcptBuild(rc)
	v := ReceiptView{Title: d.title, Info: d.info, Verdict: d.verdict, Accepted: d.accepted, Note: d.note, Scored: d.result,
		SelfTotal: d.self, Total: d.total, MaxTotal: d.max, Eligibility: d.elig, Eligible: d.eligible,
		Errors: d.errors, Warnings: d.warnings, Advice: d.advice, Source: d.source}
	if len(d.errors) > 0 {
		v.ErrorsTitle = rcptErrorsTitle(len(d.errors))
	}
	if len(d.warnings) > 0 {
		v.WarningsTitle = rcptWarningsTitle(len(d.warnings))
	}
	for _, it := range d.items {
		v.Items = append(v.Items, ReceiptItem{No: it.no, Title: it.title, Self: it.self, SelfSet: it.selfSet, Points: it.points, Diff: it.diff, Basis: it.basis})
	}
	if r := d.review; r != nil {
		v.Review = &ReceiptReview{Summary: r.summary()}
		for i, a := range r.applied {
			v.Review.Findings = append(v.Review.Findings, ReceiptFinding{No: i + 1, Label: repFactLabel(a.Field),
				Claimed: score.FactText(a.Field, a.Claimed), Value: a.ValueText(), Changed: a.Changed(),
				Effect: rcptSigned(a.Effect), Basis: rcptFindingBasis(a)})
		}
	}
	return v
}

// PlainText shows control and invisible formatting characters of a text
// from an upload escaped (\t, \u202e), as ReceiptText does, so that it
// cannot disguise what is around it on a page or a terminal.
func PlainText(s string) string { return rcptClean(s) }
