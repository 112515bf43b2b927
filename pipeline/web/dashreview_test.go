package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kaohe/pipeline"
	"kaohe/templates/score"
)

// TestReviewProblemShown: a 核查表 that has errors or cannot be read is
// said on the dashboard, with each error's cell (a run will not go on
// until it is fixed); the pages go on with the last good one.
func TestReviewProblemShown(t *testing.T) {
	review := filepath.Join(t.TempDir(), "2013-核查表.xlsx")
	f := newFixture(t, func(c *pipeline.Config) { c.Review = review })
	finding := score.Finding{Institution: "常柴国家职业技能鉴定所", Field: "actual_certified", Value: 100,
		Basis: "常人社鉴〔2013〕12号", Checker: "张三", Date: "2013-12-20"}
	f.writeReview(t, review, finding)
	c := f.login()
	_, dash := f.get(c, "/centre")
	if strings.Contains(dash, "review-problem") {
		t.Fatalf("a good 核查表 shown as a problem")
	}
	if err := os.WriteFile(review, []byte("not a workbook at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, dash = f.get(c, "/centre")
	if !strings.Contains(dash, `id="review-problem"`) || !strings.Contains(dash, "整张未采用") || !strings.Contains(dash, "<li>") {
		t.Errorf("the dashboard does not show the 核查表's errors:\n%s", dash)
	}
	if !strings.Contains(dash, "核查结果 1 条") {
		t.Errorf("the dashboard does not say it goes on with the last good 核查表")
	}
}

// TestReviewReadUnlocked: reading the 核查表 holds up no other request: while
// one request waits for it (here a named pipe nobody writes to, as a slow
// server would), the pages and uploads go on with the last one read.
func TestReviewReadUnlocked(t *testing.T) {
	dir := t.TempDir()
	review := filepath.Join(dir, "2013-核查表.xlsx")
	f := newFixture(t, func(c *pipeline.Config) { c.Review = review })
	c := f.login()
	if code, _ := f.get(c, "/centre"); code != http.StatusOK { // read once: none yet
		t.Fatalf("dashboard: %d", code)
	}
	if err := syscall.Mkfifo(review, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	stuck := make(chan struct{})
	go func() { // this one reads the pipe, and waits
		defer close(stuck)
		f.get(c, "/centre")
	}()
	time.Sleep(200 * time.Millisecond)
	done := make(chan int, 2)
	go func() {
		code, _ := f.get(nil, strings.TrimPrefix(f.link("常柴"), f.http.URL))
		done <- code
	}()
	go func() {
		code, _ := f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
		done <- code
	}()
	for range 2 {
		select {
		case code := <-done:
			if code != http.StatusOK {
				t.Errorf("a request while the 核查表 is read: %d", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a request waits for the 核查表 another one is reading")
		}
	}
	// Let the reader finish: a writer that closes at once (an empty file).
	if w, err := os.OpenFile(review, os.O_WRONLY, 0); err == nil {
		w.Close()
	}
	select {
	case <-stuck:
	case <-time.After(10 * time.Second):
		t.Fatal("the reading request did not end")
	}
}
