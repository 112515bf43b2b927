package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store/ftp"
	"kaohe/sheets"
	"kaohe/sheets/officetest"
	"kaohe/templates"
	"kaohe/templates/score"
)

// The outside writers of these tests: Debian's python3 with openpyxl fills
// the submissions (sheets/writers/fill.py, by defined name) and the 核查表
// (sheets/testdata/fill_review.py, by header word); LibreOffice re-saves.

// revRunPython runs fill.py (officetest.FillScript) or a script of
// sheets/testdata with --batch on jobs.
func revRunPython(t testing.TB, script string, jobs any) {
	t.Helper()
	path := filepath.Join("..", "sheets", "testdata", script)
	if script == "fill.py" {
		path = officetest.FillScript(t)
	}
	officetest.OpenPyXL(t, path, jobs)
}

// revJSON is a value as JSON carries it to openpyxl: points as numbers.
func revJSON(v any) any {
	if p, ok := v.(templates.Points); ok {
		return p.Float()
	}
	return v
}

// uploadOutside fills every institution's template with openpyxl and drops
// the workbooks into the inbox, an hour old.
func (w *world) uploadOutside(subs map[string]SynthSubmission) {
	w.t.Helper()
	dir := w.t.TempDir()
	type job struct {
		In     string         `json:"in"`
		Out    string         `json:"out"`
		Values map[string]any `json:"values"`
	}
	var jobs []job
	for i, in := range w.std.Institutions {
		s, ok := subs[in.Name]
		if !ok {
			continue
		}
		tmpl := filepath.Join(dir, fmt.Sprintf("t%02d.xlsx", i))
		if err := os.WriteFile(tmpl, w.tmpl[in.Name], 0o644); err != nil {
			w.t.Fatal(err)
		}
		vals := map[string]any{}
		for k, v := range s.Values {
			vals[k] = revJSON(v)
		}
		jobs = append(jobs, job{In: tmpl, Out: filepath.Join(dir, fmt.Sprintf("inst%02d.xlsx", i)), Values: vals})
	}
	revRunPython(w.t, "fill.py", jobs)
	for _, j := range jobs {
		b, err := os.ReadFile(j.Out)
		if err != nil {
			w.t.Fatal(err)
		}
		w.drop(filepath.Base(j.Out), b)
	}
}

// revJob is a 核查表 for fill_review.py: rows of 核定数据 and of 查实事项 by
// header word.
type revJob struct {
	In      string           `json:"in"`
	Out     string           `json:"out"`
	Actuals []map[string]any `json:"actuals,omitempty"`
	Facts   []map[string]any `json:"facts,omitempty"`
}

// writeReviewOutside fills a blank 核查表 with openpyxl into path.
func (w *world) writeReviewOutside(path string, job revJob) {
	w.t.Helper()
	var blank bytes.Buffer
	if err := sheets.WriteReview(&blank, w.std, nil); err != nil {
		w.t.Fatal(err)
	}
	job.In = filepath.Join(w.t.TempDir(), "blank.xlsx")
	if err := os.WriteFile(job.In, blank.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
	job.Out = path
	revRunPython(w.t, "fill_review.py", []revJob{job})
}

// revLibreOffice re-saves a workbook with LibreOffice, in place; a missing
// soffice fails the test under CI.
func revLibreOffice(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, officetest.LibreOffice(t, b, filepath.Base(path)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rankFacts ranks the facts as the scoring package does, by hand: the
// verified values already in place of the claimed ones.
func rankFacts(std *templates.Standard, facts map[string]score.Facts) []string {
	var results []score.Result
	for _, in := range std.Institutions {
		if f, ok := facts[in.Name]; ok {
			results = append(results, score.Score(std, in, f))
		}
	}
	var out []string
	for _, r := range score.Rank(results, score.Dense) {
		out = append(out, fmt.Sprintf("%d %s %s", r.Rank, r.Institution.Name, r.Total))
	}
	return out
}

// withFact is f with one value changed, in a map of its own.
func withFact(f score.Facts, field string, v int64) score.Facts {
	g := f
	g.Values = map[string]int64{}
	for k, x := range f.Values {
		g.Values[k] = x
	}
	g.Values[field] = v
	return g
}

// sheetText is every row of a sheet joined, one per line.
func sheetText(cells map[string][][]string, sheet string) string {
	var lines []string
	for _, r := range cells[sheet] {
		lines = append(lines, strings.Join(r, "|"))
	}
	return strings.Join(lines, "\n")
}

// End to end on a real folder: 32 submissions and a 核查表 filled by
// openpyxl; the ranking is the one computed by hand from the verified
// facts, 核查记录 lists each finding with its effect; nothing changed
// changes nothing; the 核查表 re-saved by LibreOffice gives the same
// ranking; editing the 核查表 alone changes the ranking at the next run.
func TestRunReview(t *testing.T) {
	w := newWorld(t)
	std := w.std
	subs := map[string]SynthSubmission{}
	facts := map[string]score.Facts{}
	for _, in := range std.Institutions {
		s := SynthValues(std, in, 12, false)
		subs[in.Name], facts[in.Name] = s, s.Facts
	}
	w.uploadOutside(subs)

	// The centre's findings: a count changed (常饮服), a verified leak
	// (the first from 常工程 on that reported none), an actual number
	// replaced (省常技's 取证).
	counted := std.Institutions[2]
	leaker := std.Institutions[9]
	for _, in := range std.Institutions[9:] {
		if facts[in.Name].Values["i4_leaks"] == 0 && facts[in.Name].Values["i3_violation_events"] == 0 &&
			facts[in.Name].Values["i5_illegal_certificates"] == 0 && facts[in.Name].Values["i7_arrears_yuan"] == 0 {
			leaker = in
			break
		}
	}
	actual := std.Institutions[6]
	countWas := facts[counted.Name].Values["i8_dispatch_violations"]
	certWas := facts[actual.Name].Values[templates.FieldActualCertified]
	reviewPath := filepath.Join(w.dir, "2013-核查表.xlsx")
	job := revJob{
		Actuals: []map[string]any{{"鉴定机构": actual.Name, "职业资格取证人数": certWas - 1500, "依据": "鉴定管理系统2013年度统计"}},
		Facts: []map[string]any{
			{"鉴定机构": counted.Name, "事项": "未按要求派遣使用考评人员次数", "核定值": countWas + 2, "依据": "考评人员派遣记录", "核查人": "李四"},
			{"鉴定机构": leaker.Name, "事项": "试题泄密次数", "核定值": "１", "依据": "常人社鉴〔2013〕12号", "核查人": "张三", "日期": map[string]any{"date": "2013-12-20"}},
		},
	}
	w.writeReviewOutside(reviewPath, job)
	verified := map[string]score.Facts{}
	for k, v := range facts {
		verified[k] = v
	}
	verified[counted.Name] = withFact(facts[counted.Name], "i8_dispatch_violations", countWas+2)
	verified[leaker.Name] = withFact(facts[leaker.Name], "i4_leaks", 1)
	verified[actual.Name] = withFact(facts[actual.Name], templates.FieldActualCertified, certWas-1500)
	effect := func(name string) string { // by hand: the total with the finding minus the total without it (one finding each)
		in := must(std.Institution(name))
		return (score.Score(std, in, verified[name]).Total - score.Score(std, in, facts[name]).Total).String()
	}

	cfg := w.config()
	cfg.Review = reviewPath
	run := func() *Summary {
		t.Helper()
		now := w.now
		w.now = w.now.Add(24 * time.Hour)
		s, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := run()
	if s.Accepted != 32 || s.Ranked != 32 || !strings.Contains(s.Review, "核查结果 3 条") {
		t.Fatalf("summary = %+v", s)
	}
	report := filepath.Join(w.out, ReportName(std))
	cells := dump(t, report)
	if got, want := strings.Join(rankingRows(t, cells), "\n"), strings.Join(rankFacts(std, verified), "\n"); got != want {
		t.Errorf("ranking:\n%s\nwant (by hand, from the verified facts):\n%s", got, want)
	}
	if strings.Join(rankFacts(std, verified), "\n") == strings.Join(rankFacts(std, facts), "\n") {
		t.Error("the findings do not change the ranking: the test proves nothing")
	}
	for _, row := range cells["排名"][1:33] {
		want := ""
		if row[1] == counted.Name || row[1] == leaker.Name || row[1] == actual.Name {
			want = "1"
		}
		if row = append(row, make([]string, 10)...); row[9] != want {
			t.Errorf("排名 %s: 核查 = %q, want %q", row[1], row[9], want)
		}
		if row[1] == leaker.Name && !strings.Contains(row[5], "取消评优资格（第4项：经核查，试题泄密1次，不得参加评优，依据 常人社鉴〔2013〕12号") {
			t.Errorf("排名 %s: 评优资格 = %q", row[1], row[5])
		}
	}
	rec := sheetText(cells, "核查记录")
	for _, want := range []string{
		fmt.Sprintf("|%s|未按要求派遣使用考评人员次数|%d|%d|%s|考评人员派遣记录|李四||查实事项!C2", counted.Name, countWas, countWas+2, effect(counted.Name)),
		fmt.Sprintf("|%s|职业资格取证人数 实际完成|%d|%d|%s|鉴定管理系统2013年度统计|||核定数据!C8", actual.Name, certWas, certWas-1500, effect(actual.Name)),
		fmt.Sprintf("|%s|试题泄密次数|0|1|%s|常人社鉴〔2013〕12号|张三|2013-12-20|查实事项!C3|取消评优资格", leaker.Name, effect(leaker.Name)),
	} {
		if !strings.Contains(rec, want) {
			t.Errorf("核查记录 lacks a row with %q:\n%s", want, rec)
		}
	}
	if !strings.Contains(sheetText(cells, "排名"), "核查表："+reviewPath+"，修改时间") {
		t.Errorf("排名 does not say which 核查表 was used:\n%s", sheetText(cells, "排名"))
	}
	// The leaker's receipt says what the centre verified.
	var receipt string
	for _, r := range s.Receipts {
		if strings.Contains(r, sheetsNamePart(leaker.Name)) {
			receipt = r
		}
	}
	if text := sheetText(dump(t, filepath.Join(w.out, receipt)), "回执"); !strings.Contains(text, "市中心核查") || !strings.Contains(text, "试题泄密次数") ||
		!strings.Contains(text, "核定了本机构的 1 项事实") {
		t.Errorf("the receipt %s does not say what was verified:\n%s", receipt, text)
	}
	// The ledger keeps the 核查表 of each run that published.
	l, err := state.OpenLedger(w.state)
	if err != nil {
		t.Fatal(err)
	}
	p := l.LastPublished()
	if p == nil || p.Review == nil || !p.Review.Found || len(p.Review.SHA256) != 64 || p.Review.Findings != 3 || p.Run != s.Run {
		t.Fatalf("ledger's published runs = %+v", l.Published)
	}
	first := p.Review.SHA256
	lr, err := state.ReadLastRun(w.state)
	if err != nil || lr == nil || !strings.Contains(lr.Review, "核查结果 3 条") {
		t.Errorf("last-run.json = %+v, %v", lr, err)
	}

	// Nothing changed: nothing changes.
	before, _ := os.ReadFile(report)
	outs := files(t, w.out)
	if s := run(); !s.Unchanged {
		t.Errorf("a run with nothing new and the same 核查表 wrote the report again: %+v", s)
	}
	if after, _ := os.ReadFile(report); !bytes.Equal(before, after) || strings.Join(files(t, w.out), ",") != strings.Join(outs, ",") {
		t.Error("a run with nothing changed changed the outbox")
	}

	// The same 核查表 re-saved by LibreOffice: another file, the same findings.
	revLibreOffice(t, reviewPath)
	if s := run(); s.Unchanged {
		t.Error("a 核查表 saved again was not taken as a change")
	}
	cells2 := dump(t, report)
	if got, want := strings.Join(rankingRows(t, cells2), "\n"), strings.Join(rankFacts(std, verified), "\n"); got != want {
		t.Errorf("ranking with the 核查表 re-saved by LibreOffice:\n%s\nwant:\n%s", got, want)
	}
	if sheetText(cells2, "核查记录") == rec {
		t.Error("核查记录 does not show the new 核查表's hash")
	}

	// Editing the 核查表 alone changes the ranking at the next run: the leak
	// is withdrawn.
	job.Facts = job.Facts[:1]
	w.writeReviewOutside(reviewPath, job)
	verified[leaker.Name] = facts[leaker.Name]
	if s := run(); s.Unchanged || s.New != 0 {
		t.Errorf("after editing the 核查表: %+v", s)
	}
	cells3 := dump(t, report)
	if got, want := strings.Join(rankingRows(t, cells3), "\n"), strings.Join(rankFacts(std, verified), "\n"); got != want {
		t.Errorf("ranking after editing the 核查表:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(sheetText(cells3, "核查记录"), "试题泄密次数") {
		t.Error("核查记录 still lists the withdrawn finding")
	}
	l, _ = state.OpenLedger(w.state)
	if len(l.Published) != 3 || l.Published[2].Review.SHA256 == first || l.Published[2].Review.Findings != 2 {
		t.Errorf("ledger's published runs = %+v", l.Published)
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("not found")
	}
	return v
}

// sheetsNamePart is how a receipt's name shows an institution.
func sheetsNamePart(name string) string {
	return strings.Split(sheets.ReceiptFileName(sheets.Upload{Institution: name}, time.Time{}), "-")[1]
}

// revBad writes a 核查表 with one good finding and the cells given, set by
// excelize on 查实事项 (a whole number as a number, else text).
func revBad(t *testing.T, std *templates.Standard, path string, cells map[string]string) {
	t.Helper()
	var b bytes.Buffer
	good := []score.Finding{{Institution: std.Institutions[0].Name, Field: "i8_dispatch_violations", Value: 1, Basis: "派遣记录", Checker: "李四"}}
	if err := sheets.WriteReview(&b, std, good); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, v := range cells {
		var n int64
		if _, err := fmt.Sscanf(v, "%d", &n); err == nil && fmt.Sprint(n) == v {
			err = f.SetCellInt(sheets.ReviewSheetFindings, cell, n)
		} else {
			err = f.SetCellStr(sheets.ReviewSheetFindings, cell, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// A 核查表 not there yet is no verification; a broken one, of each kind,
// fails the run before anything is published: exit with every error and
// its cell, the previous report byte for byte, the inbox untouched, the
// ledger unchanged, and kaohe status saying why. Fixed, the next run takes
// the waiting upload and the 核查表.
func TestRunBadReview(t *testing.T) {
	w := newWorld(t)
	std := w.std
	set := demoSet(std, 4)
	for i, in := range std.Institutions[:3] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	cfg := w.config()
	cfg.Review = filepath.Join(w.dir, "核查表.xlsx")
	run := func() (*Summary, error) {
		now := w.now
		w.now = w.now.Add(24 * time.Hour)
		return Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }})
	}
	s, err := run()
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(w.out, ReportName(std))
	if !strings.Contains(sheetText(dump(t, report), "排名"), "核查表："+cfg.Review+" 尚不存在：市中心尚未核查") || !strings.Contains(s.Review, "尚不存在") {
		t.Errorf("a 核查表 not there yet: the report does not say so (summary %q)", s.Review)
	}
	w.upload("later.xlsx", std.Institutions[3].Name, set[std.Institutions[3].Name])
	good := func(row int) map[string]string {
		return map[string]string{fmt.Sprintf("A%d", row): std.Institutions[1].Name, fmt.Sprintf("B%d", row): "试题泄密次数",
			fmt.Sprintf("C%d", row): "1", fmt.Sprintf("D%d", row): "常人社鉴〔2013〕12号"}
	}
	edit := func(m map[string]string, kv ...string) map[string]string {
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		cells map[string]string
		want  string
	}{
		{"unknown institution", edit(good(3), "A3", "常州柴油机鉴定所"), "查实事项!A3「鉴定机构」: 「常州柴油机鉴定所」不是 2013 年度目标任务分解表（附件2）中的鉴定机构"},
		{"unknown 事项", edit(good(3), "B3", "试题泄露次数"), "查实事项!B3「事项」: 「试题泄露次数」不是可核查的事项；可能是：「试题泄密次数」"},
		{"bad value", edit(good(3), "C3", "一次"), "查实事项!C3「核定值」: 「一次」不是非负整数"},
		{"missing 依据", edit(good(3), "D3", ""), "查实事项!D3「依据」: 依据未填写"},
		{"two rows for one institution and 事项", edit(good(3), "A4", std.Institutions[1].Name, "B4", "i4_leaks", "C4", "2", "D4", "另一份通报"),
			"查实事项!C4「核定值」: 「" + std.Institutions[1].Name + "」的「试题泄密次数」已在 查实事项!C3 核定过"},
	}
	reportBefore, _ := os.ReadFile(report)
	ledgerBefore, _ := os.ReadFile(filepath.Join(w.state, state.LedgerFile))
	inboxBefore := files(t, w.inbox)
	outBefore := files(t, w.out)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			revBad(t, std, cfg.Review, c.cells)
			_, err := run()
			var re *ReviewError
			if err == nil || !errors.Is(err, ErrReview) || !errors.As(err, &re) {
				t.Fatalf("run = %v, want a ReviewError", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), cfg.Review) || !strings.Contains(err.Error(), "整张核查表未采用") {
				t.Errorf("error:\n%v\nwant it to name the 核查表 and say %q", err, c.want)
			}
			if b, _ := os.ReadFile(report); !bytes.Equal(b, reportBefore) {
				t.Error("the previous report changed")
			}
			if b, _ := os.ReadFile(filepath.Join(w.state, state.LedgerFile)); !bytes.Equal(b, ledgerBefore) {
				t.Error("the ledger changed")
			}
			if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(inboxBefore, ",") {
				t.Errorf("the inbox changed: %q, was %q", got, inboxBefore)
			}
			if got := files(t, w.out); strings.Join(got, ",") != strings.Join(outBefore, ",") {
				t.Errorf("the outbox changed: %q, was %q", got, outBefore)
			}
			st, err := ReadStatus(cfg, w.now)
			if err != nil || st.Last == nil || st.Last.OK || !strings.Contains(st.Last.Error, c.want) {
				t.Errorf("status = %+v, %v; want the last run failed saying %q", st.Last, err, c.want)
			}
		})
	}
	// Fixed: the waiting upload and the 核查表 are taken.
	revBad(t, std, cfg.Review, good(3))
	s, err = run()
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 1 || !strings.Contains(s.Review, "核查结果 2 条") {
		t.Errorf("after the fix: %+v", s)
	}
	if rec := sheetText(dump(t, report), "核查记录"); !strings.Contains(rec, "|试题泄密次数|") || !strings.Contains(rec, "|未按要求派遣使用考评人员次数|") {
		t.Errorf("核查记录 after the fix:\n%s", rec)
	}
}

// The 核查表 on an FTP server, read through an ftp Store: applied when it is
// there, no verification when it is not.
func TestRunReviewOverFTP(t *testing.T) {
	w := newFTPWorld(t, ftp.ExplicitTLS)
	in := w.std.Institutions[0]
	set := demoSet(w.std, 5)
	w.upload("inst00.xlsx", in.Name, set[in.Name])
	var b bytes.Buffer
	if err := sheets.WriteReview(&b, w.std, []score.Finding{{Institution: in.Name, Field: "i4_leaks", Value: 1, Basis: "常人社鉴〔2013〕12号"}}); err != nil {
		t.Fatal(err)
	}
	w.srv.Write("review/2013-核查表.xlsx", b.Bytes(), time.Now().Add(-time.Hour))
	cfg := w.config()
	cfg.Review = w.srv.URL("review/2013-核查表.xlsx")
	s, err := Run(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Review, cfg.Review+"，修改时间") || !strings.Contains(s.Review, "核查结果 1 条") {
		t.Errorf("summary's 核查表 = %q", s.Review)
	}
	report := filepath.Join(w.srv.Root, "out", ReportName(w.std))
	if r := row(dump(t, report), "排名", 1, in.Name); len(r) < 6 || !strings.Contains(r[5], "经核查，试题泄密1次") {
		t.Errorf("排名 row = %q, want the verified leak", r)
	}
	if err := os.Remove(filepath.Join(w.srv.Root, "review", "2013-核查表.xlsx")); err != nil {
		t.Fatal(err)
	}
	if s, err = Run(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Review, "尚不存在") {
		t.Errorf("summary's 核查表 = %q, want none there yet", s.Review)
	}
	if r := row(dump(t, report), "排名", 1, in.Name); len(r) < 6 || r[5] != "保留" {
		t.Errorf("排名 row = %q, want the leak gone with the 核查表", r)
	}
}
