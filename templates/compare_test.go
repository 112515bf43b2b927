package templates

import (
	"strings"
	"testing"
)

// TestCompare: renames are offered by short name, abbreviation or a small
// edit distance; unrelated names are added and removed; targets that move
// by more than half are listed.
func TestCompare(t *testing.T) {
	old, _, _ := Load(2013)
	ins := append([]Institution(nil), old.Institutions...)
	rename := func(from, to string) {
		for i := range ins {
			if ins[i].Name == from {
				ins[i].Name = to
				return
			}
		}
		t.Fatalf("no %s", from)
	}
	rename("常交技国家职业技能鉴定所", "常州交通技师学院鉴定所")     // an abbreviation
	rename("常柴国家职业技能鉴定所", "常柴职业技能鉴定站")        // the same short name
	rename("常州中油国家职业技能鉴定所", "常州中石油国家职业技能鉴定所") // one character
	rename("常服装国家职业技能鉴定所", "常新北国家职业技能鉴定所")    // not a rename
	ins[11].Targets.Appraised = 1000          // 常武: 4600 → 1000
	ins[1].Targets.UnifiedExam = 30           // 常公交: 0 → 30
	ins[2].Targets.Appraised = 150            // 常饮服: 120 → 150, less than half
	c := Compare(old, ins, 2014)
	var got []string
	for _, r := range c.Renamed {
		got = append(got, r.Old.Name+"→"+r.New.Name+": "+r.Why)
	}
	want := []string{
		"常柴国家职业技能鉴定所→常柴职业技能鉴定站: 简称都是「常柴」",
		"常交技国家职业技能鉴定所→常州交通技师学院鉴定所: 原简称「常交技」像是「常州交通技师学院」的缩写",
		"常州中油国家职业技能鉴定所→常州中石油国家职业技能鉴定所: 名称只差 1 个字",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("renamed:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(c.Added) != 1 || c.Added[0].Name != "常新北国家职业技能鉴定所" || len(c.Removed) != 1 || c.Removed[0].Name != "常服装国家职业技能鉴定所" {
		t.Errorf("added %v, removed %v", c.Added, c.Removed)
	}
	if len(c.Moved) != 2 || c.Moved[0] != (Move{ins[1], 3, 0, 30}) || c.Moved[1] != (Move{ins[11], 1, 4600, 1000}) {
		t.Errorf("moved %+v", c.Moved)
	}
	lines := c.Lines(func(row, col int) string { return "" }, "标准2014")
	all := strings.Join(lines, "\n")
	for _, s := range []string{
		"可能改名：2013 年的「常交技国家职业技能鉴定所」→「常州交通技师学院鉴定所」，原简称「常交技」像是「常州交通技师学院」的缩写。",
		"往年的汇总排名表和台账中它仍叫「常交技国家职业技能鉴定所」，查它的历史请用旧名称",
		"kaohe template --standard 标准2014 --out 自评表2014 --institution 常州交通技师学院鉴定所",
		"新增：「常新北国家职业技能鉴定所」，2013 年的分配表中没有它。",
		"减少：2013 年的「常服装国家职业技能鉴定所」不在新的分配表中",
		"目标变动超过一半：「常公交国家职业技能鉴定所」全国(省)统考人数 0 → 30（新设）。",
		"目标变动超过一半：「常武国家职业技能鉴定所」职业技能鉴定人数 4600 → 1000（−78.3%）。",
	} {
		if !strings.Contains(all, s) {
			t.Errorf("no %q in\n%s", s, all)
		}
	}
	if strings.Contains(all, "本年度已收到") {
		t.Error("a new year's rename talks of this year's uploads")
	}
	// The same year again (a corrected allocation): uploads already in.
	if all := strings.Join(Compare(old, ins, 2013).Lines(func(int, int) string { return "" }, "x"), "\n"); !strings.Contains(all, "本年度已收到的它的上传记在旧名称下") {
		t.Errorf("same year:\n%s", all)
	}
	if !Compare(old, old.Institutions, 2014).Empty() {
		t.Error("no change is not empty")
	}
}

// TestAlike: names that are not renames of each other.
func TestAlike(t *testing.T) {
	for _, p := range [][2]string{
		{"常武国家职业技能鉴定所", "常坛国家职业技能鉴定所"},  // one character, but of two
		{"常工程国家职业技能鉴定所", "常州工学院鉴定所"},    // 程 is not there
		{"常交技国家职业技能鉴定所", "江苏交通技师学院鉴定所"}, // not the same first character
	} {
		if why, _, _, ok := alike(p[0], p[1]); ok {
			t.Errorf("%s and %s alike: %s", p[0], p[1], why)
		}
	}
}
