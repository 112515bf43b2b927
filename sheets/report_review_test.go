package sheets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kaohe/templates"
	"kaohe/templates/score"
)

// repReviewFixture is repFixture with a 核查表: a number of 核定数据 that
// lowers 省常技's 取证, a verified leak of 常武 (disqualified), a count of
// 常公交 changed, a number of 常交技 confirmed, and a finding for 常旅游,
// which has no submission.
func repReviewFixture(t *testing.T) repFixtureData {
	t.Helper()
	fx := repFixture(t)
	std := fx.rep.Standard
	name := func(i int) string { return std.Institutions[i].Name }
	claimed7 := repFacts(std, 7, std.Institutions[7]).Values[templates.FieldActualHighSkill]
	findings := []score.Finding{
		{Institution: name(6), Field: templates.FieldActualCertified, Value: 5000, Basis: "鉴定管理系统2013年度统计", Place: "核定数据!C8"},
		{Institution: name(7), Field: templates.FieldActualHighSkill, Value: claimed7, Basis: "鉴定管理系统2013年度统计", Place: "核定数据!E9"},
		{Institution: name(11), Field: "i4_leaks", Value: 1, Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20", Place: "查实事项!C2"},
		{Institution: name(1), Field: "i8_dispatch_violations", Value: 2, Basis: "考评人员派遣记录", Checker: "李四", Place: "查实事项!C3"},
		{Institution: name(5), Field: "i7_arrears_yuan", Value: 10000, Basis: "财务对账单", Place: "查实事项!C4"},
	}
	var results []score.Result
	for _, s := range fx.rep.Standings {
		if s.Ranked == nil {
			continue
		}
		in := s.Institution
		results = append(results, score.ScoreVerified(std, in, repFacts(std, in.Order, in), findings))
	}
	ranked := score.Rank(results, score.Dense)
	uploads := map[string]*Upload{}
	var rest []Standing
	for _, s := range fx.rep.Standings {
		if s.Ranked != nil {
			uploads[s.Institution.Name] = s.Upload
		} else {
			rest = append(rest, s)
		}
	}
	fx.rep.Standings = nil
	for i := range ranked {
		r := ranked[i]
		fx.rep.Standings = append(fx.rep.Standings, Standing{Institution: r.Institution, Status: StatusAccepted, Ranked: &r, Upload: uploads[r.Institution.Name]})
	}
	fx.rep.Standings = append(fx.rep.Standings, rest...)
	fx.rep.Review = &ReviewFile{Source: "/srv/kaohe/2013-核查表.xlsx", Found: true, ModTime: time.Date(2013, 12, 30, 16, 45, 0, 0, repCST),
		Hash: repHash("核查表"), Findings: findings}
	fx.ranked = ranked
	return fx
}

func repRankedOf(t *testing.T, fx repFixtureData, name string) score.Ranked {
	t.Helper()
	for _, r := range fx.ranked {
		if r.Institution.Name == name {
			return r
		}
	}
	t.Fatalf("%s is not ranked", name)
	return score.Ranked{}
}

func TestReportReview(t *testing.T) {
	fx := repReviewFixture(t)
	std := fx.rep.Standard
	f := repOpen(t, repWrite(t, fx.rep))

	// 排名: the verified totals, and 核查 where a fact was changed.
	rows, err := f.GetRows("排名")
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]string{std.Institutions[6].Name: "1", std.Institutions[11].Name: "1", std.Institutions[1].Name: "1"}
	for i, r := range fx.ranked {
		row := repPad(rows[i+1], 10)
		if row[1] != r.Institution.Name || row[2] != r.Total.String() || row[9] != changes[r.Institution.Name] || row[5] != r.Eligibility() {
			t.Errorf("排名 row %d = %q, want %s %s, 核查 %q, %s", i+2, row, r.Institution.Name, r.Total, changes[r.Institution.Name], r.Eligibility())
		}
	}
	changwu := repRankedOf(t, fx, std.Institutions[11].Name)
	if !strings.Contains(changwu.Eligibility(), "第4项：经核查，试题泄密1次，不得参加评优，依据 常人社鉴〔2013〕12号") {
		t.Errorf("常武's eligibility = %q", changwu.Eligibility())
	}
	var under []string
	for _, row := range rows[len(fx.ranked)+1:] {
		under = append(under, strings.Join(row, ""))
	}
	wantNote := "核查表：/srv/kaohe/2013-核查表.xlsx，修改时间 2013-12-30 16:45，SHA-256 前 12 位 " + repHash("核查表")[:12] + "，核查结果 5 条。"
	if !strings.Contains(strings.Join(under, "\n"), wantNote) {
		t.Errorf("排名's notes lack %q:\n%s", wantNote, strings.Join(under, "\n"))
	}

	// 评分明细: 按自报计算 beside 核定分 for 省常技, whose 取证 the centre lowered.
	changchai := repRankedOf(t, fx, std.Institutions[6].Name)
	details, _ := f.GetRows("评分明细")
	found := false
	for _, row := range details {
		if len(row) > 8 && row[0] == changchai.Institution.Name && row[1] == "1" {
			found = true
			claimed, verified := changchai.Claimed.Items[0].Points.String(), changchai.Items[0].Points.String()
			if claimed == verified || row[5] != claimed || row[6] != verified || !strings.Contains(row[8], "经核查，取证低于目标") {
				t.Errorf("评分明细 省常技 item 1 = %q, want 按自报计算 %s, 核定分 %s, 评分依据 saying 经核查", row, claimed, verified)
			}
		}
	}
	if !found {
		t.Error("评分明细 has no row for 省常技's item 1")
	}

	// 核查记录: every finding, in 附件2's order, with its claim and effect.
	rec, err := f.GetRows("核查记录")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec[0], ","); got != "序号,鉴定机构,事项,自报值,核定值,对总分的影响,依据,核查人,日期,核查表位置,说明" {
		t.Errorf("核查记录 header = %s", got)
	}
	pad := func(r []string) []string { return repPad(r, 11) }
	wantRows := [][]string{
		{"1", std.Institutions[1].Name, "未按要求派遣使用考评人员次数", "0", "2", "-2.00", "考评人员派遣记录", "李四", "", "查实事项!C3", ""},
		{"2", std.Institutions[5].Name, "拖欠费用（元）", "", "10000", "", "财务对账单", "", "", "查实事项!C4", "尚无合格提交（未提交），提交后适用"},
		{"3", std.Institutions[6].Name, "职业资格取证人数 实际完成", fmt.Sprint(repFacts(std, 6, std.Institutions[6]).Values[templates.FieldActualCertified]), "5000",
			(changchai.Total - changchai.Claimed.Total).Signed(), "鉴定管理系统2013年度统计", "", "", "核定数据!C8", ""},
		{"4", std.Institutions[7].Name, "新增高技能人才取证数 实际完成", "", "", "+0.00", "鉴定管理系统2013年度统计", "", "", "核定数据!E9", "与自报值相同"},
		{"5", std.Institutions[11].Name, "试题泄密次数", "0", "1", "-15.00", "常人社鉴〔2013〕12号", "张三", "2013-12-20", "查实事项!C2", "取消评优资格"},
	}
	claimed7 := fmt.Sprint(repFacts(std, 7, std.Institutions[7]).Values[templates.FieldActualHighSkill])
	wantRows[3][3], wantRows[3][4] = claimed7, claimed7
	wantRows[2][5] = strings.Replace(wantRows[2][5], "−", "-", 1)
	for i, want := range wantRows {
		if got := pad(rec[i+1]); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("核查记录 row %d =\n %q\nwant\n %q", i+2, got, want)
		}
	}
	var recNotes []string
	for _, row := range rec[len(wantRows)+1:] {
		recNotes = append(recNotes, strings.Join(row, ""))
	}
	for _, want := range []string{wantNote, "共 5 条核查结果；已采用并改变自报值的 3 条，涉及 3 个鉴定机构。"} {
		if !strings.Contains(strings.Join(recNotes, "\n"), want) {
			t.Errorf("核查记录's notes lack %q:\n%s", want, strings.Join(recNotes, "\n"))
		}
	}
}

// Without a 核查表 configured, or with one not there yet, the report says so.
func TestReportNoReview(t *testing.T) {
	fx := repFixture(t)
	for _, c := range []struct {
		review *ReviewFile
		want   string
	}{
		{nil, "核查表：未配置核查表（配置项 review 或 --review），核定分按鉴定机构自报的事实计算。"},
		{&ReviewFile{Source: "/srv/kaohe/2013-核查表.xlsx"}, "核查表：/srv/kaohe/2013-核查表.xlsx 尚不存在：市中心尚未核查，核定分按鉴定机构自报的事实计算。"},
	} {
		fx.rep.Review = c.review
		f := repOpen(t, repWrite(t, fx.rep))
		for _, sheet := range []string{"排名", "核查记录"} {
			rows, _ := f.GetRows(sheet)
			var all []string
			for _, r := range rows {
				all = append(all, strings.Join(r, ""))
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("%s lacks %q", sheet, c.want)
			}
		}
	}
}

// The report with a 核查表: its cells pinned (-update rewrites the file).
func TestReportReviewGolden(t *testing.T) {
	d := repDump(t, repOpen(t, repWrite(t, repReviewFixture(t).rep)))
	golden := filepath.Join("testdata", "report_review_golden.txt")
	if repUpdate() {
		if err := os.WriteFile(golden, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./sheets -run Golden -update)", err)
	}
	if d != string(want) {
		t.Errorf("the report's cells differ from %s (run with -update if the change is meant):\n%s", golden, repDiff(string(want), d))
	}
}

// rcptReviewed is rc (an accepted receipt of 常武) verified by a 核查表: a
// leak found, a number of 取证 confirmed.
func rcptReviewed(t testing.TB, base *Receipt) *Receipt {
	rc := *base
	in := rc.Submission.Institution
	findings := []score.Finding{
		{Institution: in.Name, Field: "i4_leaks", Value: 1, Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20", Place: "查实事项!C2"},
		{Institution: in.Name, Field: templates.FieldActualCertified, Value: 150, Basis: "鉴定管理系统", Place: "核定数据!C13"},
	}
	res := score.ScoreVerified(rc.Standard, in, rc.Submission.Facts, findings)
	rc.Result = &res
	rc.Review = &ReviewFile{Source: "2013-核查表.xlsx", Found: true, ModTime: repTime(30, 16, 45), Hash: repHash("核查表"), Findings: findings}
	return &rc
}

// An accepted receipt says what the centre verified and the 核定分 it gives.
func TestReceiptReview(t *testing.T) {
	rc := rcptReviewed(t, rcptAcceptedFixture(t))
	std := rc.Standard
	in := rc.Submission.Institution
	dump := rcptWrite(t, rc)
	for _, want := range []string{`"市中心核查"`, `"试题泄密次数"`, `"-15.00"`, `"常人社鉴〔2013〕12号（核查人 张三，2013-12-20）"`,
		`"76.80"`, "核定了本机构的 2 项事实", "按自报的事实计算总分为 91.80 分，核定总分为 76.80 分",
		"第4项：经核查，试题泄密1次，不得参加评优，依据 常人社鉴〔2013〕12号"} {
		if !strings.Contains(dump, want) {
			t.Errorf("the receipt lacks %s:\n%s", want, dump)
		}
	}
	text := ReceiptText(rc)
	for _, want := range []string{"市中心核查：", "1. 试题泄密次数：自报 0，核定 1，对总分的影响 −15.00，依据 常人社鉴〔2013〕12号（核查人 张三，2013-12-20）",
		"2. 职业资格取证人数 实际完成：自报 150，核定 150，对总分的影响 0.00", "核定总分为 76.80 分"} {
		if !strings.Contains(text, want) {
			t.Errorf("ReceiptText lacks %q:\n%s", want, text)
		}
	}
	// No finding for the institution: the receipt says so.
	plain := score.Score(std, in, rc.Submission.Facts)
	rc.Result = &plain
	if text := ReceiptText(rc); !strings.Contains(text, "截至回执时间，市中心没有核定本机构的事实") {
		t.Errorf("ReceiptText without findings:\n%s", text)
	}
	// No 核查表 configured: no section.
	rc.Review = nil
	if text := ReceiptText(rc); strings.Contains(text, "市中心核查") {
		t.Errorf("ReceiptText without a 核查表 has a 市中心核查 section:\n%s", text)
	}
}
