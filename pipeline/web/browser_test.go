package web

// The portal in a real browser: headless Chromium (Debian's chromium)
// driven by chromedp. Without Chromium these tests skip, and fail under CI
// (.ci/run installs it). Screenshots of each page go to the test's
// artifact folder (go test -artifacts); -update also writes the tops of
// the pages the README shows into screenshots/ (go test ./pipeline/web
// -run TestBrowser -update).

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"kaohe/pipeline"
	"kaohe/templates/score"
)

var update = flag.Bool("update", false, "write the README's screenshots into screenshots/")

// chromiumPath finds Chromium; without it the test skips, or fails under CI.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: .ci/run installs Debian's chromium")
	}
	t.Skip("chromium not found (apt-get install chromium)")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile; the flags keep
// it off the network (on a closed network it hangs on connections otherwise).
func newBrowser(t *testing.T) context.Context {
	exe := chromiumPath(t)
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.UserDataDir(profile),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"), chromedp.Env("LANGUAGE=zh_CN"), chromedp.WindowSize(1100, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// shot saves a screenshot of the whole page as name (.png) among the test's
// artifacts and, with -update and readme set, into screenshots/.
func shot(t *testing.T, ctx context.Context, name string, readme bool) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if *update && readme { // the top of the page in a smaller window: a small file
		step(t, ctx, "README window", chromedp.EmulateViewport(960, 960))
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join("screenshots", name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "wide window", chromedp.EmulateViewport(1100, 900))
	}
}

// step runs actions with a time limit (the browser lives on).
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// submit clicks a form's button and waits for the page it loads.
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		t.Fatalf("submitting %s: %v", sel, err)
	}
}

// TestBrowser: an institution opens its link, uploads a filled workbook
// through the file input and sees 已接受 with the score of every item,
// uploads a broken one and sees the cell named; the centre logs in, sees
// it submitted, runs a consolidation, downloads the report and it opens
// with excelize; after the deadline the form is closed.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	// The deadline: 18:00 Beijing time ten days from now.
	cst := time.FixedZone("CST", 8*3600)
	y, m, d := time.Now().In(cst).AddDate(0, 0, 10).Date()
	closing := time.Date(y, m, d, 18, 0, 0, 0, cst)
	closingText := closing.Format("2006年1月2日 15:04")
	dir := t.TempDir()
	review := filepath.Join(dir, "核查表.xlsx") // written once the standard is loaded
	f := newFixture(t, func(c *pipeline.Config) {
		c.Deadline, c.Late, c.Review = closing.Format(time.RFC3339), "refuse", review
	})
	f.writeReview(t, review, score.Finding{Institution: "常柴国家职业技能鉴定所", Field: "actual_certified", Value: 900,
		Basis: "鉴定记录（常人社鉴〔2013〕12号）", Checker: "张三", Date: "2013-12-20"})
	good, bad := filepath.Join(dir, "常柴-自评表.xlsx"), filepath.Join(dir, "常柴-自评表-有错.xlsx")
	os.WriteFile(good, f.workbook("常柴", nil), 0o644)
	os.WriteFile(bad, f.workbook("常柴", map[string]any{"actual_certified": "一千二"}), 0o644)
	link := f.link("常柴")

	step(t, ctx, "opening the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("form")))
	page := text(t, ctx, "main")
	for _, want := range []string{"常柴国家职业技能鉴定所", closingText, "下载本机构的自评表", "上传自评表", "职业资格取证人数"} {
		if !strings.Contains(page, want) {
			t.Errorf("institution page lacks %q:\n%s", want, page)
		}
	}
	shot(t, ctx, "institution", true)

	step(t, ctx, "choosing the good file", chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{good}))
	submit(t, ctx, `form button[type=submit]`)
	res := text(t, ctx, "#result")
	for _, want := range []string{"已接受", "核定分", "评分依据", "合计", "市中心核查", "核查人 张三", "下载回执"} {
		if !strings.Contains(res, want) {
			t.Errorf("accepted answer lacks %q:\n%s", want, res)
		}
	}
	shot(t, ctx, "institution-accepted", true)
	step(t, ctx, "narrow window", chromedp.EmulateViewport(390, 844))
	shot(t, ctx, "institution-accepted-narrow", false)
	step(t, ctx, "wide window", chromedp.EmulateViewport(1100, 900))

	step(t, ctx, "choosing the broken file", chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{bad}))
	submit(t, ctx, `form button[type=submit]`)
	res = text(t, ctx, "#result")
	for _, want := range []string{"未通过校验", "完成情况!", "职业资格取证人数 实际完成", "一千二", "请按上述说明修改后重新上传"} {
		if !strings.Contains(res, want) {
			t.Errorf("refused answer lacks %q:\n%s", want, res)
		}
	}
	shot(t, ctx, "institution-refused", true)

	// The centre.
	step(t, ctx, "opening the dashboard", chromedp.Navigate(f.http.URL+"/centre"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)))
	shot(t, ctx, "login", false)
	step(t, ctx, "typing", chromedp.SendKeys(chromedp.CSS(`input[name=user]`), testUser), chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword))
	submit(t, ctx, `form button[type=submit]`)
	dash := text(t, ctx, "main")
	if !strings.Contains(dash, "常柴国家职业技能鉴定所\t已接受") && !strings.Contains(dash, "常柴国家职业技能鉴定所 已接受") {
		t.Errorf("dashboard does not show 常柴 as 已接受:\n%s", dash)
	}
	if !strings.Contains(dash, "未提交（31 家）") {
		t.Errorf("dashboard does not count 31 missing:\n%s", dash)
	}
	submit(t, ctx, `form[action$="/centre/run"] button`)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(text(t, ctx, "main"), "下载最新汇总排名表") {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish:\n%s", text(t, ctx, "main"))
		}
		time.Sleep(200 * time.Millisecond)
		step(t, ctx, "reloading", chromedp.Reload())
	}
	dash = text(t, ctx, "main")
	if !strings.Contains(dash, "成功") || strings.Contains(dash, "待汇总") {
		t.Errorf("dashboard after the run:\n%s", dash)
	}
	shot(t, ctx, "centre", true)
	step(t, ctx, "narrow dashboard", chromedp.EmulateViewport(390, 844))
	shot(t, ctx, "centre-narrow", false)
	step(t, ctx, "wide window", chromedp.EmulateViewport(1100, 900))

	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "downloading the report", chromedp.Click(chromedp.CSS(`a[href$="/centre/report"]`)))
	report := filepath.Join(downloads, pipeline.ReportName(f.std))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(report); err == nil {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("no %s downloaded; the folder has %v", report, entries)
		}
	}
	x, err := excelize.OpenFile(report)
	if err != nil {
		t.Fatalf("opening the downloaded report: %v", err)
	}
	rows, err := x.GetRows("排名")
	x.Close()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows {
		if len(row) > 2 && row[0] == "1" && row[1] == "常柴国家职业技能鉴定所" {
			found = true
		}
	}
	if !found {
		t.Errorf("the report does not rank 常柴 first: %q", rows)
	}

	// After the deadline (late = "refuse") the form is closed.
	f.setNow(closing.Add(time.Minute))
	step(t, ctx, "opening the link after the deadline", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(".closed")))
	if got := text(t, ctx, "main"); !strings.Contains(got, "上传已于 "+closingText+" 截止") || strings.Contains(got, "上传并校验") {
		t.Errorf("closed page:\n%s", got)
	}
	shot(t, ctx, "institution-closed", false)
}
