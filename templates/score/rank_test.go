package score

import (
	"fmt"
	"strings"
	"testing"

	"kaohe/templates"
)

func TestRank(t *testing.T) {
	mk := func(name string, total, certified int64, order int) Result {
		return Result{Institution: templates.Institution{Name: name, Order: order, Targets: templates.Targets{Certified: certified}}, Total: templates.Points(total)}
	}
	results := []Result{
		mk("A", 9000, 100, 0),
		mk("B", 10420, 7500, 1),
		mk("C", 9000, 500, 2),
		mk("D", 8000, 90, 3),
		mk("E", 9000, 500, 4),
		mk("F", 10420, 100, 5),
	}
	cases := []struct {
		style Style
		want  string
	}{
		{Dense, "1 B,1 F,2 C,2 E,2 A,3 D"},
		{Standard, "1 B,1 F,3 C,3 E,3 A,6 D"},
	}
	for _, c := range cases {
		t.Run(string(c.style), func(t *testing.T) {
			var got []string
			for _, r := range Rank(results, c.style) {
				got = append(got, fmt.Sprintf("%d %s", r.Rank, r.Institution.Name))
			}
			if strings.Join(got, ",") != c.want {
				t.Errorf("got %s, want %s", strings.Join(got, ","), c.want)
			}
		})
	}
}

func TestParseStyle(t *testing.T) {
	for in, want := range map[string]Style{"": Dense, "dense": Dense, "standard": Standard} {
		if got, err := ParseStyle(in); err != nil || got != want {
			t.Errorf("ParseStyle(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseStyle("olympic"); err == nil || !strings.Contains(err.Error(), "olympic") {
		t.Errorf("bad style: %v", err)
	}
}
