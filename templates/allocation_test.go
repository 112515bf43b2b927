package templates

import (
	"strings"
	"testing"
)

// TestParseCount: targets as people type them.
func TestParseCount(t *testing.T) {
	for in, want := range map[string]int64{"": 0, " ": 0, "1200": 1200, "1,200": 1200, "1，200": 1200, "１２００": 1200, "1200.0": 1200, "0": 0, "-0": 0, "\u3000120\u3000": 120} {
		if got, msg := ParseCount(in); msg != "" || got != want {
			t.Errorf("ParseCount(%q) = %d, %q", in, got, msg)
		}
	}
	for in, want := range map[string]string{"一百": "不是数字", "12,00": "不是数字", "1.5": "不是整数", "-5": "是负数", "－５": "是负数", "120人": "不是数字", "1e3": "不是数字"} {
		if _, msg := ParseCount(in); !strings.Contains(msg, want) {
			t.Errorf("ParseCount(%q): %q, want %q", in, msg, want)
		}
	}
}

// TestCityNotices: the 2013 allocation adds up to less than the city
// targets in all four.
func TestCityNotices(t *testing.T) {
	a := seedAllocation(t)
	ns := CityNotices(a.Institutions, a.City)
	if len(ns) != 4 || ns[0].Row != -1 || ns[0].Col != 1 || ns[0].Message != "各鉴定机构合计 54840，比全市目标数 75000 少 20160（分到机构的占 73.1%）；请核对是否漏了机构或目标" {
		t.Errorf("%+v", ns)
	}
	if ns := CityNotices(a.Institutions, Targets{50000, 43770, 4210, 14900}); len(ns) != 1 || !strings.Contains(ns[0].Message, "比全市目标数 50000 多 4840") {
		t.Errorf("%+v", ns)
	}
}
