package web

import (
	"path/filepath"
	"strings"
	"testing"

	"kaohe/pipeline"
	"kaohe/templates/score"
)

// TestUploadAccepted: a filled workbook uploaded through its institution's
// link is answered 已接受 with the verified score of every item, put into
// the inbox under the institution's folder, and listed in its history.
func TestUploadAccepted(t *testing.T) {
	f := newFixture(t, nil)
	code, body := f.upload("常柴", "常柴 自评表.xlsx", f.workbook("常柴", nil))
	if code != 200 {
		t.Fatalf("status %d\n%s", code, body)
	}
	for _, want := range []string{"校验结果：<span class=\"verdict\">已接受</span>", "核定分", "评分依据", "1. ", "9. ", "下载回执", "✔ 计入排名", "待汇总"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	files := f.inboxFiles()
	if len(files) != 1 || !strings.HasPrefix(files[0], "常柴国家职业技能鉴定所/") || !strings.HasSuffix(files[0], "-常柴_自评表.xlsx") {
		t.Errorf("inbox: %q", files)
	}
}

// TestRestart: after kaohe serve restarts, the uploads through the portal
// that no run has consumed yet are checked again from the inbox: the
// dashboard and the history still show them, and their receipts are the
// same.
func TestRestart(t *testing.T) {
	f := newFixture(t, nil)
	f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
	c := f.login()
	_, before := f.get(c, "/centre/receipt/p1")
	f.srv.Close()
	srv, err := New(Options{Config: f.cfg, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.http.Config.Handler = srv
	c = f.login()
	_, dash := f.get(c, "/centre")
	if !strings.Contains(dash, "1 份网上提交等待汇总") || !strings.Contains(dash, "100.30") {
		t.Errorf("after a restart the dashboard lost the pending upload:\n%s", dash)
	}
	_, page := f.get(nil, strings.TrimPrefix(f.link("常柴"), f.http.URL))
	if !strings.Contains(page, "✔ 计入排名") {
		t.Errorf("after a restart the history lost the upload")
	}
	if _, after := f.get(c, "/centre/receipt/p1"); after != before {
		t.Errorf("the receipt made again differs")
	}
}

// TestNameDoesNotDecide: what an upload is is told by its bytes: a
// workbook sent without .xlsx is accepted and goes in as .xlsx; a PDF
// named .xlsx is refused as the run refuses it, and goes in for the run
// to record under its institution.
func TestNameDoesNotDecide(t *testing.T) {
	f := newFixture(t, nil)
	if code, body := f.upload("常柴", "自评表", f.workbook("常柴", nil)); code != 200 || !strings.Contains(body, `<span class="verdict">已接受</span>`) {
		t.Errorf("a workbook without an extension: %d", code)
	}
	code, body := f.upload("常柴", "scan.xlsx", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"))
	if code != 200 || !strings.Contains(body, `<span class="verdict">未通过校验</span>`) || !strings.Contains(body, "PDF") {
		t.Errorf("a PDF: %d\n%s", code, body)
	}
	files := f.inboxFiles()
	if len(files) != 2 || !strings.HasSuffix(files[0], "-scan.xlsx") && !strings.HasSuffix(files[1], "-scan.xlsx") ||
		!strings.HasSuffix(files[0], "-自评表.xlsx") && !strings.HasSuffix(files[1], "-自评表.xlsx") {
		t.Errorf("inbox: %q", files)
	}
}

// TestReviewApplied: the centre's 核查表 is applied at once, as a run
// applies it: the verified fact replaces the claimed one in the answer's
// 核定分, and the dashboard's ranking; a new 核查表 is read when its file
// changes.
func TestReviewApplied(t *testing.T) {
	review := filepath.Join(t.TempDir(), "2013-核查表.xlsx")
	f := newFixture(t, func(c *pipeline.Config) { c.Review = review })
	_, before := f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
	if !strings.Contains(before, "<strong>30.30</strong>") || !strings.Contains(before, "市中心尚未核查（核查表尚不存在）") {
		t.Fatalf("without a 核查表, item 1 should be 30.30:\n%s", before)
	}
	finding := score.Finding{Institution: "常柴国家职业技能鉴定所", Field: "actual_certified", Value: 100,
		Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20"}
	f.writeReview(t, review, finding)
	_, after := f.upload("常柴", "b.xlsx", f.workbook("常柴", map[string]any{"contact_phone": "1"}))
	if strings.Contains(after, "<strong>30.30</strong>") || !strings.Contains(after, "市中心核定了本机构的 1 项事实") {
		t.Errorf("the 核查表 was not applied to the answer:\n%s", after)
	}
	c := f.login()
	_, dash := f.get(c, "/centre")
	if strings.Contains(dash, "100.30") || !strings.Contains(dash, "核查表：") {
		t.Errorf("the dashboard ranks by the claimed facts, or does not say which 核查表:\n%s", dash)
	}
}
