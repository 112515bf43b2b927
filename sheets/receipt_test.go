package sheets

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"kaohe/templates"
	"kaohe/templates/score"
)

func rcptStd(t testing.TB) *templates.Standard {
	t.Helper()
	std, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	return std
}

// rcptAcceptedFixture is 常武 of the spec's worked examples: accepted, 91.80,
// disqualified for arrears, with one warning.
func rcptAcceptedFixture(t testing.TB) *Receipt {
	t.Helper()
	std := rcptStd(t)
	in, ok := std.Institution("常武国家职业技能鉴定所")
	if !ok {
		t.Fatal("常武 not in the 2013 allocation")
	}
	facts := score.Facts{Institution: in.Name, Year: 2013, Values: map[string]int64{
		"actual_appraised": 4100, "actual_certified": 150, "actual_unified_exam": 200, "actual_high_skill": 4800,
		"actual_passed": 150, "i3_responsibility_violations": 1, "i6_declaration_errors": 2,
		"i6_material_irregularities": 1, "i7_arrears_yuan": 25000, "i6_online_pilot": 1,
	}, Self: map[int]templates.Points{1: 3000, 2: 1000, 3: 1000, 4: 1500, 5: 1000, 6: 1000, 7: 500, 8: 500}}
	res := score.Score(std, in, facts)
	file := "常武-自评表.xlsx"
	return &Receipt{
		Standard: std,
		Upload: Upload{File: file, Institution: in.Name, Received: repTime(31, 17, 42), Hash: repHash(file),
			Status: StatusAccepted, Warnings: 1},
		Submission: &Submission{File: file, Institution: in, Facts: facts, Issues: []Issue{
			{Severity: Warning, File: file, Sheet: "自评", Cell: "C12", Field: "self_9", Label: "自评分 第9项",
				Message: "自评分空白，按 0 分计"},
		}},
		Result: &res,
		Issued: repTime(31, 18, 5),
	}
}

// rcptRejectedFixture is a rejected file with formula-looking values.
func rcptRejectedFixture(t *testing.T) *Receipt {
	t.Helper()
	std := rcptStd(t)
	in := std.Institutions[20]
	file := "=1+2.xlsx"
	sub := &Submission{File: file, Institution: in}
	for k, val := range repTrickyValues[:5] {
		sub.Issues = append(sub.Issues, Issue{Severity: Error, File: file, Sheet: "完成情况", Cell: "C" + string(rune('5'+k)),
			Field: "actual_certified", Label: "职业资格取证人数 实际完成", Value: val, Message: "「" + val + "」不是非负整数"})
	}
	sub.Issues = append(sub.Issues, Issue{Severity: Warning, File: file, Message: "联系电话未填"})
	return &Receipt{
		Standard:   std,
		Upload:     Upload{File: file, Institution: in.Name, Received: repTime(30, 9, 1), Hash: repHash(file), Status: StatusRejected, Errors: 5, Warnings: 1},
		Submission: sub,
		Issued:     repTime(31, 18, 5),
	}
}

func rcptWrite(t *testing.T, rc *Receipt) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteReceipt(&buf, rc); err != nil {
		t.Fatalf("WriteReceipt: %v", err)
	}
	f := repOpen(t, buf.Bytes())
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "回执" {
		t.Fatalf("sheets = %v, want [回执]", got)
	}
	return repDump(t, f)
}

func TestReceiptAccepted(t *testing.T) {
	rc := rcptAcceptedFixture(t)
	if rc.Result.Total != 9180 {
		t.Fatalf("fixture: 常武 scores %s, want 91.80", rc.Result.Total)
	}
	dump := rcptWrite(t, rc)
	for _, want := range []string{
		`A1 "2013年度鉴定机构考核 自评表回执"`,
		`"常武国家职业技能鉴定所"`, `"常武-自评表.xlsx"`, `"2013-12-31 17:42"`, `"` + rc.Upload.Hash + `"`,
		`"校验结果"`, `"已接受"`,
		`"完成鉴定、发证目标任务"`, `"29.80"`, `"+0.20"`, `"费用结算"`, `"3.00"`, `"+2.00"`,
		`"91.80"`, `"取消评优资格（第7项：`,
		`"提醒（共 1 处，不影响校验结果）"`, `"自评!C12"`, `"自评分空白，按 0 分计"`,
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("the accepted receipt lacks %s:\n%s", want, dump)
		}
	}
	// Item 9's self-score was left blank: no difference against 0.
	if !strings.Contains(dump, `E21 "未自评"`) || strings.Contains(dump, `E21 "-5.00"`) {
		t.Errorf("the accepted receipt shows a 差值 for item 9, whose self-score is blank:\n%s", dump)
	}
	if v := ViewReceipt(rc); v.Items[8].DiffText() != "未自评" || v.Items[0].DiffText() != "+0.20" {
		t.Errorf("view: 差值 %q (blank self-score), %q", v.Items[8].DiffText(), v.Items[0].DiffText())
	}
	for _, is := range rc.Result.Items {
		if !strings.Contains(dump, `"`+is.Basis+`"`) {
			t.Errorf("the accepted receipt lacks the basis of item %d: %s", is.No, is.Basis)
		}
	}
	if strings.Contains(dump, rcptAgain) {
		t.Error("an accepted receipt asks for a new upload")
	}

	text := ReceiptText(rc)
	for _, want := range []string{"校验结果：已接受", "1. 完成鉴定、发证目标任务：自评 30.00，核定 29.80，差值 +0.20",
		"9. 鉴定所管理：未自评，核定 5.00\n", "合计：自评 95.00，核定 91.80", "评优资格：取消评优资格（第7项：",
		"位置 自评!C12，字段「自评分 第9项」：自评分空白，按 0 分计"} {
		if !strings.Contains(text, want) {
			t.Errorf("ReceiptText lacks %q:\n%s", want, text)
		}
	}
}

func TestReceiptRejected(t *testing.T) {
	rc := rcptRejectedFixture(t)
	dump := rcptWrite(t, rc)
	for _, want := range []string{`"未通过校验"`, `"错误（共 5 处）"`, `"位置"`, `"字段"`, `"值"`, `"说明"`,
		`"完成情况!C5"`, `"完成情况!C9"`, `"职业资格取证人数 实际完成"`, `"` + rcptAgain + `"`, `"联系电话未填"`, `"=1+2.xlsx"`} {
		if !strings.Contains(dump, want) {
			t.Errorf("the rejected receipt lacks %s:\n%s", want, dump)
		}
	}
	for _, v := range repTrickyValues[:5] {
		if !strings.Contains(dump, strings.TrimSuffix(strings.TrimPrefix(quote(v), `"`), `"`)) {
			t.Errorf("the rejected receipt lacks the value %q", v)
		}
	}
	if strings.Contains(dump, "formula=") {
		t.Errorf("the rejected receipt holds a formula:\n%s", dump)
	}
	if strings.Contains(dump, "核定分") {
		t.Error("a rejected receipt shows scores")
	}
	text := ReceiptText(rc)
	for _, want := range []string{"校验结果：未通过校验", "错误（共 5 处）：",
		`1. 位置 完成情况!C5，字段「职业资格取证人数 实际完成」，值「=HYPERLINK("http://x","y")」：`,
		`值「\tx」`, rcptAgain, "提醒（共 1 处，不影响校验结果）：", "联系电话未填"} {
		if !strings.Contains(text, want) {
			t.Errorf("ReceiptText lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(strings.ReplaceAll(text, "\n", ""), "\t\r") {
		t.Error("ReceiptText passes a control character through")
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteString(`"`)
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`"`)
	return b.String()
}

// TestReceiptAcceptedLate: an upload taken after the deadline (late =
// "flag") is 已接受（逾期） on its receipt, as on the report and the portal,
// not a plain 已接受 with the lateness only beside its time.
func TestReceiptAcceptedLate(t *testing.T) {
	rc := *rcptAcceptedFixture(t)
	rc.Upload.Late = true
	text := ReceiptText(&rc)
	if !strings.Contains(text, "校验结果：已接受（逾期）\n") {
		t.Errorf("the receipt of a late upload taken does not say 已接受（逾期）:\n%s", text)
	}
	rc.Upload.Late = false
	if text := ReceiptText(&rc); !strings.Contains(text, "校验结果：已接受\n") {
		t.Errorf("the receipt of an upload on time does not say 已接受:\n%s", text)
	}
}

func TestReceiptUnreadable(t *testing.T) {
	rc := &Receipt{Upload: Upload{File: "scan.pdf", Received: repTime(30, 9, 0), Status: StatusRejected}, Issued: repTime(31, 18, 5)}
	dump := rcptWrite(t, rc)
	if !strings.Contains(dump, "文件无法读取") || !strings.Contains(dump, rcptAgain) {
		t.Errorf("an unreadable file's receipt does not say what happened:\n%s", dump)
	}
	if text := ReceiptText(rc); !strings.Contains(text, "（未能识别）") {
		t.Errorf("ReceiptText:\n%s", text)
	}
}

func TestReceiptTooLong(t *testing.T) {
	rc := rcptRejectedFixture(t)
	rc.Submission.Issues[0].Value = strings.Repeat("x", 40000)
	var buf bytes.Buffer
	if err := WriteReceipt(&buf, rc); !errors.Is(err, ErrCellTooLong) || buf.Len() != 0 {
		t.Fatalf("WriteReceipt = %v (%d bytes), want ErrCellTooLong and nothing written", err, buf.Len())
	}
}

func TestReceiptFileName(t *testing.T) {
	issued := time.Date(2013, 12, 31, 18, 5, 0, 0, repCST)
	hash := repHash("x")
	for _, tc := range []struct {
		name string
		u    Upload
		want string
	}{
		{"accepted", Upload{Institution: "常柴国家职业技能鉴定所", File: "a.xlsx", Status: StatusAccepted, Hash: hash},
			"回执-常柴国家职业技能鉴定所-20131231-1805-已接受.xlsx"},
		{"late", Upload{Institution: "常柴国家职业技能鉴定所", Status: StatusRejected, Late: true},
			"回执-常柴国家职业技能鉴定所-20131231-1805-未通过校验-逾期.xlsx"},
		{"unknown institution: the file name", Upload{File: `..\..\C:\evil/../自评表 (2).xlsx`, Status: StatusRejected},
			"回执-自评表_(2)-20131231-1805-未通过校验.xlsx"},
		{"odd characters", Upload{Institution: "=cmd|'/c calc'!A1\u202e\x00常柴", Status: StatusRejected},
			"回执-cmd_c_calc_A1_常柴-20131231-1805-未通过校验.xlsx"},
		{"nothing usable", Upload{File: "../.xlsx", Hash: "not hex at all"}, "回执-未知机构-20131231-1805.xlsx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReceiptFileName(tc.u, issued)
			if got != tc.want {
				t.Errorf("ReceiptFileName = %q, want %q", got, tc.want)
			}
			if strings.ContainsAny(got, `/\:*?"<>|`) || strings.Contains(got, "..") {
				t.Errorf("%q holds a path or reserved character", got)
			}
		})
	}
	long := ReceiptFileName(Upload{Institution: strings.Repeat("鉴", 100)}, issued)
	if n := len(long); n > 200 {
		t.Errorf("a long institution gives a name of %d bytes", n)
	}
}

func TestReceiptSuperseded(t *testing.T) {
	rc := rcptAcceptedFixture(t)
	rc.Upload.Status = StatusSuperseded
	rc.Upload.Note = "已被 2013-12-31 17:50 上传的文件替代"
	rc.Result = nil
	dump := rcptWrite(t, rc)
	for _, want := range []string{`"被替代"`, `"说明：已被 2013-12-31 17:50 上传的文件替代"`} {
		if !strings.Contains(dump, want) {
			t.Errorf("the superseded receipt lacks %s:\n%s", want, dump)
		}
	}
	if strings.Contains(dump, rcptAgain) || strings.Contains(dump, "核定分") {
		t.Errorf("a superseded receipt asks for a new upload or shows scores:\n%s", dump)
	}
	if text := ReceiptText(rc); !strings.Contains(text, "校验结果：被替代") || !strings.Contains(text, "说明：已被") {
		t.Errorf("ReceiptText:\n%s", text)
	}
}
