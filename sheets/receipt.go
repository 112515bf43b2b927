package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
)

// rcptSheet is the receipt workbook's only sheet.
const rcptSheet = "回执"

// rcptAgain is what a rejected receipt asks for.
const rcptAgain = "请按上述说明修改后重新上传。"

// ReceiptFileName is the name of the receipt (回执) of u, issued at issued:
//
//	回执-常柴国家职业技能鉴定所-20131231-1805-已接受.xlsx
//
// The parts are the institution, the issue time (minutes) and the status,
// with 逾期 for a late file. Two files of one institution answered in the
// same minute get the same name: the caller tells them apart (the pipeline
// adds the hash). The institution part is u.Institution or, when that is
// empty, the uploaded file's base name, reduced to letters, digits and a few
// safe marks: the name is kaohe's own, never a path taken from an upload.
func ReceiptFileName(u Upload, issued time.Time) string {
	who := rcptNamePart(u.Institution)
	if who == "" {
		base := path.Base(strings.ReplaceAll(u.File, `\`, "/"))
		who = rcptNamePart(strings.TrimSuffix(base, path.Ext(base)))
	}
	if who == "" {
		who = "未知机构"
	}
	parts := []string{"回执", who, issued.Format("20060102-1504")}
	if s := rcptNamePart(string(u.Status)); s != "" {
		parts = append(parts, s)
	}
	if u.Late && u.Status != StatusLateRefused {
		parts = append(parts, string(StatusLate))
	}
	return strings.Join(parts, "-") + ".xlsx"
}

// NamePart is s made safe for a file name: letters, digits and the runes
// of keep stay, every other run of characters becomes one "_" (none at
// either end); at most max characters.
func NamePart(s, keep string, max int) string {
	var b strings.Builder
	n, gap := 0, false
	for _, r := range s {
		if n >= max {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(keep, r) {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
				n++
			}
			b.WriteRune(r)
			n++
			gap = false
			continue
		}
		gap = true
	}
	return strings.Trim(b.String(), "_")
}

// rcptNamePart is a part of a receipt's name: letters, digits and
// ( ) （ ） _ · of s, at most 40 characters.
func rcptNamePart(s string) string { return NamePart(s, "()（）_·", 40) }

// rcptDoc is a receipt's content, shared by the workbook and the text form.
type rcptDoc struct {
	title    string
	info     [][2]string // label, value
	verdict  string
	accepted bool
	note     string // why superseded, late, refused (Upload.Note)
	result   bool   // items and totals below are set
	items    []rcptItem
	self     templates.Points
	total    templates.Points
	max      templates.Points
	elig     string // 保留, or 取消评优资格（…）
	eligible bool
	errors   []Issue
	warnings []Issue
	advice   string
	source   string      // the standard
	review   *rcptReview // what the centre verified; nil when no 核查表 is configured (receipt_review.go)
}

type rcptItem struct {
	no      int
	title   string
	self    templates.Points
	selfSet bool
	points  templates.Points
	diff    templates.Points
	basis   string
}

func rcptBuild(rc *Receipt) *rcptDoc {
	d := &rcptDoc{title: "鉴定机构考核 自评表回执"}
	items := map[int]templates.Item{}
	if rc.Standard != nil {
		d.title = fmt.Sprintf("%d年度鉴定机构考核 自评表回执", rc.Standard.Year)
		d.source = rc.Standard.Title
		for _, it := range rc.Standard.Items {
			items[it.No] = it
		}
		d.max = rc.Standard.MaxTotal()
	}
	u := rc.Upload
	inst := u.Institution // whose upload it is: what its folder or name says, before its workbook
	if inst == "" && rc.Submission != nil {
		inst = rc.Submission.Institution.Name
	}
	if inst == "" {
		inst = "（未能识别）"
	}
	received := FormatTime(u.Received)
	if u.Late {
		received += "（逾期）"
	}
	d.info = [][2]string{
		{"鉴定机构", inst},
		{"文件名", u.File},
		{"收到时间", received},
	}
	if !rc.Deadline.IsZero() {
		d.info = append(d.info, [2]string{"截止时间", FormatTime(rc.Deadline)})
	}
	d.info = append(d.info, [2]string{"SHA-256", u.Hash}, [2]string{"回执时间", FormatTime(rc.Issued)})
	if rc.Submission != nil && u.Status != StatusLateRefused && u.Status != StatusDuplicate { // not read for what it says
		for _, is := range rc.Submission.Issues {
			if is.Severity == Error {
				d.errors = append(d.errors, is)
			} else {
				d.warnings = append(d.warnings, is)
			}
		}
	}
	d.accepted = u.Status == StatusAccepted ||
		(u.Status == "" && rc.Submission != nil && rc.Submission.Accepted() && rc.Result != nil)
	d.verdict = string(u.Status)
	if d.verdict == "" {
		d.verdict = string(StatusRejected)
		if d.accepted {
			d.verdict = string(StatusAccepted)
		}
	}
	if d.accepted && u.Late {
		d.verdict = string(StatusAcceptedLate) // as the report says it
	}
	d.note = u.Note
	if rc.Submission == nil && !d.accepted && d.note == "" {
		d.note = "文件无法读取，请确认上传的是市中心下发的 .xlsx 自评表。"
	}
	if r := rc.Result; r != nil {
		d.result = true
		for _, is := range r.Items {
			d.items = append(d.items, rcptItem{no: is.No, title: items[is.No].Title, self: is.Self, selfSet: is.SelfSet,
				points: is.Points, diff: is.Diff(), basis: is.Basis})
		}
		d.self, d.total, d.elig, d.eligible = r.SelfTotal, r.Total, r.Eligibility(), len(r.Disqualified) == 0
	}
	d.review = rcptReviewOf(rc, d.accepted)
	switch {
	case u.Status == StatusLateRefused:
		d.advice = "截止时间之后收到的文件不予受理，也不再需要修改或重新上传；如有疑问，请与市职业技能鉴定指导中心联系。"
	case u.Status == StatusDuplicate:
		d.advice = "这个文件与此前收到的一个文件完全相同，已收过，不再重复计入；不需要再次上传。"
	case len(d.errors) > 0 || (!d.accepted && d.verdict == string(StatusRejected)):
		d.advice = rcptAgain
	case d.accepted:
		d.advice = "自评表已接受。核定分由程序按评分标准根据填报的事实计算，自评分仅作对照。"
		if d.review != nil && len(d.review.applied) > 0 {
			d.advice = rcptReviewAdvice
		}
	}
	return d
}

// WriteReceipt writes the receipt (回执) of one consumed file to w: one
// sheet 回执 with the file's particulars, the verdict in large text, the
// verified score per item (已接受) or every error with its place and what to
// do (未通过校验), and the warnings. Every text is a text cell.
//
// The workbook is built in full before anything is written to w, so when rc
// is nil or a text is longer than an Excel cell holds (ErrCellTooLong) it
// fails with w untouched. It also fails when writing to w fails.
func WriteReceipt(w io.Writer, rc *Receipt) error {
	if rc == nil {
		return errors.New("writing receipt: no receipt")
	}
	b, err := ReceiptBytes(rc)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing receipt: %w", err)
	}
	return nil
}

// ReceiptBytes is the workbook WriteReceipt writes, as bytes of its own.
func ReceiptBytes(rc *Receipt) ([]byte, error) { return ReceiptInto(nil, rc) }

// ReceiptInto is ReceiptBytes written into buf's memory when it is large
// enough (what buf held is overwritten): a writer of thousands of receipts
// reuses one buffer.
func ReceiptInto(buf []byte, rc *Receipt) ([]byte, error) {
	if rc == nil {
		return nil, errors.New("writing receipt: no receipt")
	}
	return rcptBytes(buf[:0], rc, rcptBuild(rc)) // receipt_fast.go
}

// rcptExcelize builds the receipt's workbook with excelize; it returns the
// style ids it used too.
func rcptExcelize(rc *Receipt, d *rcptDoc) ([]byte, *layout.Styles, error) {
	f, st, err := layout.NewFile(rcptSheet)
	if err != nil {
		return nil, nil, fmt.Errorf("writing receipt: %w", err)
	}
	defer f.Close()
	t := rcptTable(d, st)
	if err := layout.Write(f, t); err != nil {
		return nil, nil, fmt.Errorf("writing receipt: %w", err)
	}
	if err := layout.SetProps(f, d.title, d.verdict+" "+rc.Upload.File, d.source, rc.Issued); err != nil {
		return nil, nil, fmt.Errorf("writing receipt: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, nil, fmt.Errorf("writing receipt: %w", err)
	}
	return buf.Bytes(), st, nil
}

// rcptWidths are the receipt's columns: 序号 | 考核内容/位置 | 自评分/字段 |
// 核定分/字段 | 差值/值 | 评分依据/说明.
var rcptWidths = []float64{6, 25, 10, 10, 12, 52}

// rcptSpan is the width of columns from..to (1-based).
func rcptSpan(from, to int) float64 {
	w := 0.0
	for c := from; c <= to; c++ {
		w += rcptWidths[c-1]
	}
	return w
}

// rcptH is the height of a row whose texts need the given (text, width) lines.
func rcptH(texts ...any) float64 {
	n := 1
	for i := 0; i+1 < len(texts); i += 2 {
		n = max(n, layout.Lines(texts[i].(string), texts[i+1].(float64)))
	}
	return layout.HeightFor(n)
}

func rcptTable(d *rcptDoc, st *layout.Styles) *layout.Table {
	t := &layout.Table{Name: rcptSheet, Portrait: true, Footer: d.title}
	for _, w := range rcptWidths {
		t.Cols = append(t.Cols, layout.Col{Width: w})
	}
	merge := func(format string) { t.Merges = append(t.Merges, fmt.Sprintf(format, t.NextRow())) }

	merge("A%[1]d:F%[1]d")
	t.AddH(34, layout.S(st.Title, d.title))
	t.AddH(8)
	for _, kv := range d.info {
		merge("A%[1]d:B%[1]d")
		merge("C%[1]d:F%[1]d")
		t.AddH(rcptH(kv[1], rcptSpan(3, 6)), layout.S(st.Label, kv[0]), layout.S(st.Label, ""),
			layout.S(st.Wrap, kv[1]), layout.E(st.Wrap), layout.E(st.Wrap), layout.E(st.Wrap))
	}
	t.AddH(8)
	verdict := st.VerdictBad
	switch {
	case d.accepted:
		verdict = st.VerdictOK
	case d.verdict == string(StatusSuperseded), d.verdict == string(StatusDuplicate):
		verdict = st.VerdictInfo
	}
	merge("A%[1]d:B%[1]d")
	merge("C%[1]d:F%[1]d")
	t.AddH(40, layout.S(st.Label, "校验结果"), layout.S(st.Label, ""), layout.S(verdict, d.verdict),
		layout.E(verdict), layout.E(verdict), layout.E(verdict))
	if d.note != "" {
		merge("A%[1]d:F%[1]d")
		t.AddH(rcptH("说明："+d.note, rcptSpan(1, 6)), layout.S(st.Wrap, "说明："+d.note))
	}

	section := func(s string) {
		t.AddH(8)
		merge("A%[1]d:F%[1]d")
		t.AddH(24, layout.S(st.Section, s))
	}
	if d.result {
		section("核定分")
		t.AddH(22, layout.S(st.Header, "序号"), layout.S(st.Header, "考核内容"), layout.S(st.Header, "自评分"),
			layout.S(st.Header, "核定分"), layout.S(st.Header, "差值"), layout.S(st.Header, "评分依据"))
		for _, it := range d.items {
			self, diff := layout.E(st.Score), layout.S(st.Diff, rcptNoSelf)
			if it.selfSet {
				self, diff = layout.F(st.Score, it.self.Float()), layout.F(st.Diff, it.diff.Float())
			}
			t.AddH(rcptH(it.title, rcptWidths[1], it.basis, rcptWidths[5]),
				layout.I(st.Center, int64(it.no)), layout.S(st.Wrap, it.title), self,
				layout.F(st.Score, it.points.Float()), diff, layout.S(st.Wrap, it.basis))
		}
		sum := fmt.Sprintf("分值合计 %s 分", d.max)
		t.Add(layout.S(st.SumText, ""), layout.S(st.SumText, "合计"), layout.F(st.SumScore, d.self.Float()),
			layout.F(st.SumScore, d.total.Float()), layout.F(st.SumDiff, (d.self-d.total).Float()), layout.S(st.SumText, sum))
		if d.elig != "" {
			style := st.Red
			if d.eligible {
				style = st.Wrap
			}
			merge("A%[1]d:B%[1]d")
			merge("C%[1]d:F%[1]d")
			t.AddH(rcptH(d.elig, rcptSpan(3, 6)), layout.S(st.Label, "评优资格"), layout.S(st.Label, ""),
				layout.S(style, d.elig), layout.E(style), layout.E(style), layout.E(style))
		}
		rcptReviewRows(t, d, st, section, merge)
	}
	issues := func(title string, list []Issue, style int) {
		section(title)
		merge("C%[1]d:D%[1]d")
		t.AddH(22, layout.S(st.Header, "序号"), layout.S(st.Header, "位置"), layout.S(st.Header, "字段"),
			layout.S(st.Header, ""), layout.S(st.Header, "值"), layout.S(st.Header, "说明"))
		for i, is := range list {
			label := is.Label
			if label == "" {
				label = is.Field
			}
			merge("C%[1]d:D%[1]d")
			t.AddH(rcptH(is.Place(), rcptWidths[1], label, rcptSpan(3, 4), is.Value, rcptWidths[4], is.Message, rcptWidths[5]),
				layout.I(st.Center, int64(i+1)), layout.S(st.Wrap, is.Place()), layout.S(st.Wrap, label), layout.E(st.Wrap),
				layout.S(st.Wrap, is.Value), layout.S(style, is.Message))
		}
	}
	if len(d.errors) > 0 {
		issues(rcptErrorsTitle(len(d.errors)), d.errors, st.Red)
	}
	if d.advice != "" {
		t.AddH(8)
		merge("A%[1]d:F%[1]d")
		t.AddH(rcptH(d.advice, rcptSpan(1, 6)*0.9), layout.S(st.Section, d.advice))
	}
	if len(d.warnings) > 0 {
		issues(rcptWarningsTitle(len(d.warnings)), d.warnings, st.Wrap)
	}
	t.AddH(8)
	if d.source != "" {
		merge("A%[1]d:F%[1]d")
		t.Add(layout.S(st.Note, "评分标准："+d.source))
	}
	merge("A%[1]d:F%[1]d")
	t.Add(layout.S(st.Note, "本回执由 kaohe 自动生成。"))
	return t
}

// ReceiptText is the receipt as plain text, for the command line (kaohe
// check) and logs. Control and formatting characters from the submission
// are shown escaped (\t, \u202e), so the text cannot steer a terminal.
func ReceiptText(rc *Receipt) string {
	if rc == nil {
		return ""
	}
	d := rcptBuild(rc)
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("%s", d.title)
	line("%s", strings.Repeat("=", 40))
	for _, kv := range d.info {
		line("%s：%s", kv[0], rcptClean(kv[1]))
	}
	line("")
	line("校验结果：%s", d.verdict)
	if d.note != "" {
		line("说明：%s", rcptClean(d.note))
	}
	if d.result {
		line("")
		line("核定分：")
		for _, it := range d.items {
			if it.selfSet {
				line("  %d. %s：自评 %s，核定 %s，差值 %s", it.no, it.title, it.self, it.points, rcptSigned(it.diff))
			} else {
				line("  %d. %s：%s，核定 %s", it.no, it.title, rcptNoSelf, it.points)
			}
			line("     评分依据：%s", rcptClean(it.basis))
		}
		line("  合计：自评 %s，核定 %s，差值 %s（分值合计 %s）", d.self, d.total, rcptSigned(d.self-d.total), d.max)
		if d.elig != "" {
			line("评优资格：%s", rcptClean(d.elig))
		}
		rcptReviewText(d, line)
	}
	list := func(title string, issues []Issue) {
		line("")
		line("%s：", title)
		for i, is := range issues {
			var parts []string
			if p := is.Place(); p != "" {
				parts = append(parts, "位置 "+rcptClean(p))
			}
			label := is.Label
			if label == "" {
				label = is.Field
			}
			if label != "" {
				parts = append(parts, "字段「"+rcptClean(label)+"」")
			}
			if is.Value != "" {
				parts = append(parts, "值「"+rcptClean(is.Value)+"」")
			}
			head := strings.Join(parts, "，")
			if head != "" {
				head += "："
			}
			line("  %d. %s%s", i+1, head, rcptClean(is.Message))
		}
	}
	if len(d.errors) > 0 {
		list(rcptErrorsTitle(len(d.errors)), d.errors)
	}
	if d.advice != "" {
		line("")
		line("%s", d.advice)
	}
	if len(d.warnings) > 0 {
		list(rcptWarningsTitle(len(d.warnings)), d.warnings)
	}
	if d.source != "" {
		line("")
		line("评分标准：%s", d.source)
	}
	return b.String()
}

func rcptErrorsTitle(n int) string { return fmt.Sprintf("错误（共 %d 处）", n) }

func rcptWarningsTitle(n int) string {
	return fmt.Sprintf("提醒（共 %d 处，不影响校验结果）", n)
}

// rcptSigned is a difference with its sign, 0.00 without one.
func rcptSigned(p templates.Points) string {
	if p == 0 {
		return p.String()
	}
	return p.Signed()
}

// rcptClean escapes control and invisible formatting characters for text
// output: a tab is \t, a newline \n, others \uXXXX.
func rcptClean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
