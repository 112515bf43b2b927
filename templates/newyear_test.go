package templates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func seedAllocation(t *testing.T) *Allocation {
	t.Helper()
	std, _, err := Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	return &Allocation{Institutions: std.Institutions, City: std.CityTargets, HasCity: true}
}

// TestNewYear: the rules are copied with the year, the title's year, the
// comments' year and the city targets changed, and nothing else.
func TestNewYear(t *testing.T) {
	fsys, _ := FS(2013)
	from, _, _ := Load(2013)
	a := seedAllocation(t)
	a.City.Appraised = 80000
	d, err := NewYear(fsys, from, 2014, a, "标准2014")
	if err != nil {
		t.Fatal(err)
	}
	old, _ := fsys.(interface{ ReadFile(string) ([]byte, error) }).ReadFile(RulesFile)
	oldLines, newLines := strings.Split(string(old), "\n"), strings.Split(string(d.Rules), "\n")
	if len(oldLines) != len(newLines) {
		t.Fatalf("%d lines, want %d", len(newLines), len(oldLines))
	}
	var changed []string
	for i := range oldLines {
		if oldLines[i] != newLines[i] {
			changed = append(changed, newLines[i])
		}
	}
	want := []string{
		"# 2014年全市职业技能鉴定工作鉴定机构考核评分标准（附件1），写成规则参数。",
		"year = 2014",
		`title = "2014年全市职业技能鉴定工作鉴定机构考核评分标准"`,
		"appraised = 80000",
	}
	if strings.Join(changed, "\n") != strings.Join(want, "\n") {
		t.Errorf("changed lines:\n%s\nwant\n%s", strings.Join(changed, "\n"), strings.Join(want, "\n"))
	}
	if d.Standard.Year != 2014 || d.Standard.CityTargets.Appraised != 80000 || string(d.Allocation) != string(FormatAllocation(from.Institutions)) {
		t.Errorf("draft standard %d %+v", d.Standard.Year, d.Standard.CityTargets)
	}
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "第 1 项「完成鉴定、发证目标任务」") || !strings.Contains(d.Notes[0], "「7.5万」（2013 年的全市鉴定目标数，新的是 80000）") {
		t.Errorf("notes %q", d.Notes)
	}
}

// TestEditRulesLayouts: rules written otherwise than the built-in ones.
func TestEditRulesLayouts(t *testing.T) {
	city := Targets{100, 90, 0, 5}
	cases := []struct {
		name, rules string
		note        string // a note expected, "" for none
	}{
		{"no [city_targets]", strings.Replace(goodRules, "[city_targets]\nappraised = 1\n", "", 1), ""},
		{"[city_targets] with one key", goodRules, ""},
		{"[city_targets] after the items", strings.Replace(goodRules, "[city_targets]\nappraised = 1\n", "", 1) + "\n[city_targets]\ncertified = 3\n", ""},
		{"a title without the year", goodRules, "title 中没有年度 2014"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{RulesFile: {Data: []byte(c.rules)}, AllocationFile: {Data: []byte(goodAllocation)}}
			from, _, err := LoadFS(fsys, "from")
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewYear(fsys, from, 2015, &Allocation{Institutions: from.Institutions, City: city, HasCity: true}, "out")
			if err != nil {
				t.Fatal(err)
			}
			if d.Standard.Year != 2015 || d.Standard.CityTargets != city {
				t.Errorf("year %d, city %+v\n%s", d.Standard.Year, d.Standard.CityTargets, d.Rules)
			}
			if c.note != "" && (len(d.Notes) != 1 || !strings.Contains(d.Notes[0], c.note)) {
				t.Errorf("notes %q, want %q", d.Notes, c.note)
			}
		})
	}
}

// TestNewYearWithoutCityRow: without a 全市目标数 row the city targets stay
// the year before's, and a note says so.
func TestNewYearWithoutCityRow(t *testing.T) {
	fsys, _ := FS(2013)
	from, _, _ := Load(2013)
	a := seedAllocation(t)
	a.HasCity, a.City = false, Targets{}
	d, err := NewYear(fsys, from, 2014, a, "标准2014")
	if err != nil {
		t.Fatal(err)
	}
	if d.Standard.CityTargets != from.CityTargets || len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "全市目标数沿用 2013 年的（鉴定 75000、取证 60000、统考 6400、新增高技能人才 15000）") {
		t.Errorf("city %+v, notes %q", d.Standard.CityTargets, d.Notes)
	}
}

// TestDraftWrite: both files land atomically; existing files are kept
// unless replace is set.
func TestDraftWrite(t *testing.T) {
	fsys, _ := FS(2013)
	from, _, _ := Load(2013)
	d, err := NewYear(fsys, from, 2014, seedAllocation(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "a", "标准2014")
	if _, err := d.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write(dir, false); !errors.Is(err, ErrExists) {
		t.Errorf("second write: %v", err)
	}
	if _, err := d.Write(dir, true); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries", len(entries))
	}
	std, _, err := LoadDir(dir)
	if err != nil || std.Year != 2014 {
		t.Fatalf("%v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, AllocationFile))
	want, _ := fsys.(interface{ ReadFile(string) ([]byte, error) }).ReadFile(AllocationFile)
	if string(b) != string(want) {
		t.Errorf("allocation.csv differs from the built-in one:\n%s", b)
	}
}
