package web

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"kaohe/pipeline"
)

// dashRow is an institution's status on the dashboard: its tag's class
// and text.
func dashRow(t *testing.T, dash, name string) (class, status string) {
	t.Helper()
	m := regexp.MustCompile(`<tr><td>` + regexp.QuoteMeta(name) + `</td><td><span class="tag ([a-z ]+)">([^<]+)</span>`).FindStringSubmatch(dash)
	if m == nil {
		t.Fatalf("the dashboard has no row for %s", name)
	}
	return m[1], m[2]
}

// dashCounts are the dashboard's tiles, label -> number.
func dashCounts(dash string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<div class="count [a-z]+"><span class="n">([0-9]+)</span><span>([^<]+)</span></div>`).FindAllStringSubmatch(dash, -1) {
		out[m[2]] = m[1]
	}
	return out
}

// TestLateLabels: a late upload is labelled as the report and its receipt
// word it, on the dashboard (tiles, status table, uploads) and on the
// institution's page: 已接受（逾期） with late = "flag", 逾期，不予受理
// with late = "refuse"; a late upload that fails its checks is 未通过校验.
func TestLateLabels(t *testing.T) {
	const deadline = "2013-12-31T18:00:00+08:00"
	after := time.Date(2014, 1, 1, 9, 0, 0, 0, time.UTC)

	t.Run("flag", func(t *testing.T) {
		f := newFixture(t, func(c *pipeline.Config) { c.Deadline, c.Late = deadline, "flag" })
		f.setNow(time.Date(2013, 12, 20, 9, 0, 0, 0, time.UTC))
		f.upload("天宁", "a.xlsx", f.workbook("天宁", nil)) // on time
		f.setNow(after)
		code, page := f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
		if code != 200 {
			t.Fatalf("late upload: %d\n%s", code, page)
		}
		for _, want := range []string{`<span class="verdict">已接受（逾期）</span>`, "逾期"} {
			if !strings.Contains(page, want) {
				t.Errorf("the answer to a late upload lacks %q", want)
			}
		}
		if strings.Contains(page, `<span class="tag ok">已接受</span>`) {
			t.Error("the history shows the late upload as 已接受 without 逾期")
		}
		f.upload("常武国家职业技能鉴定所", "b.xlsx", f.workbook("常武国家职业技能鉴定所", map[string]any{"actual_certified": "一千"})) // late and wrong
		_, dash := f.get(f.login(), "/centre")
		if class, status := dashRow(t, dash, "常柴国家职业技能鉴定所"); status != "已接受（逾期）" || class != "late" {
			t.Errorf("常柴: %s %q, want late 已接受（逾期）", class, status)
		}
		if class, status := dashRow(t, dash, "常武国家职业技能鉴定所"); status != "未通过校验" || class != "bad" {
			t.Errorf("常武: %s %q, want bad 未通过校验", class, status)
		}
		if _, status := dashRow(t, dash, "常天宁国家职业技能鉴定所"); status != "已接受" {
			t.Errorf("天宁: %q, want 已接受", status)
		}
		counts := dashCounts(dash)
		for label, want := range map[string]string{"已接受": "1", "已接受（逾期）": "1", "未通过校验": "1", "未提交": "29"} {
			if counts[label] != want {
				t.Errorf("tile %s: %q, want %s (tiles %v)", label, counts[label], want, counts)
			}
		}
		if _, ok := counts["逾期"]; ok {
			t.Errorf("a tile 逾期 that mixes accepted and refused uploads: %v", counts)
		}
	})

	t.Run("refuse", func(t *testing.T) {
		f := newFixture(t, func(c *pipeline.Config) { c.Deadline, c.Late = deadline, "refuse" })
		// A file dropped into the inbox after the deadline (not through the
		// portal, whose form is closed by then).
		p := filepath.Join(f.cfg.Inbox, "常柴国家职业技能鉴定所", "late.xlsx")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, f.workbook("常柴", nil), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, after, after)
		at := func() time.Time { return after.Add(time.Hour) }
		if err := pipeline.Look(context.Background(), pipeline.Options{Config: f.cfg, Now: func() time.Time { return after }}); err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: f.cfg, Now: at}); err != nil {
			t.Fatal(err)
		}
		f.setNow(at())
		_, dash := f.get(f.login(), "/centre")
		if class, status := dashRow(t, dash, "常柴国家职业技能鉴定所"); status != "逾期，不予受理" || class != "late" {
			t.Errorf("常柴: %s %q, want late 逾期，不予受理", class, status)
		}
		counts := dashCounts(dash)
		if counts["逾期，不予受理"] != "1" || counts["未提交"] != "31" {
			t.Errorf("tiles %v, want 逾期，不予受理 1 and 未提交 31", counts)
		}
		if !strings.Contains(dash, `<span class="tag late">逾期，不予受理</span>`) {
			t.Error("the uploads table does not show the late file as 逾期，不予受理")
		}
		_, page := f.get(nil, strings.TrimPrefix(f.link("常柴"), f.http.URL))
		if !strings.Contains(page, "逾期，不予受理") {
			t.Errorf("the institution's history does not say 逾期，不予受理")
		}
	})
}
