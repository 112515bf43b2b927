package templates

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the README's field table")

func TestLoad2013(t *testing.T) {
	s, warns, err := Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Institutions) != 32 || s.Institutions[0].Name != "常柴国家职业技能鉴定所" || s.Institutions[31].Name != "常工院国家职业技能鉴定所" {
		t.Errorf("allocation: %d rows, first %v", len(s.Institutions), s.Institutions[0])
	}
	if got := s.AllocatedTotal(); got != (Targets{54840, 43770, 4210, 14900}) {
		t.Errorf("allocated total = %v", got)
	}
	if s.CityTargets != (Targets{75000, 60000, 6400, 15000}) {
		t.Errorf("city targets = %v", s.CityTargets)
	}
	if len(s.Items) != 9 || s.MaxTotal() != 10000 {
		t.Errorf("%d items, max %s", len(s.Items), s.MaxTotal())
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "常武") || !strings.Contains(warns[0], "400") {
		t.Errorf("warnings = %q, want one about 常武", warns)
	}
}

const goodRules = `year = 2014
title = "t"
min_certified_ratio_percent = 50
[city_targets]
appraised = 1
[[items]]
no = 1
title = "a"
content = "b"
criteria = "c"
max = "10"
base = "10"
  [[items.deduct]]
  measure = "i8_dispatch_violations"
  points = "1"
  label = "x{value}"
`

const goodAllocation = "鉴定机构,职业技能鉴定人数,职业资格取证人数,全国(省)统考人数,新增高技能人才取证数\nA,10,10,,\n"

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, rules, alloc, want string
	}{
		{"good", goodRules, goodAllocation, ""},
		{"unknown key with its line", strings.Replace(goodRules, "base = \"10\"", "base = \"10\"\nbonus_cap = 3", 1), goodAllocation, "第 13 行: 未知的键 \"items.bonus_cap\""},
		{"syntax error with its line", goodRules + "\n[[items\n", goodAllocation, "第 18 行"},
		{"negative points", strings.Replace(goodRules, `points = "1"`, `points = "-1"`, 1), goodAllocation, "「-1」不是最多两位小数的非负分数"},
		{"three decimals", strings.Replace(goodRules, `points = "1"`, `points = "0.125"`, 1), goodAllocation, "0.125"},
		{"unknown measure", strings.Replace(goodRules, "i8_dispatch_violations", "i8_dispatch", 1), goodAllocation, `measure = "i8_dispatch" 不是已知的字段或派生量`},
		{"negative unit", strings.Replace(goodRules, `points = "1"`, "points = \"1\"\n  per = -5", 1), goodAllocation, "第 1 个 [[items]]（no = 1）的第 1 个 [[items.deduct]]: per = -5 不能为负数"},
		{"bare negative points", strings.Replace(goodRules, `points = "1"`, `points = -1`, 1), goodAllocation, "第 15 行 items.deduct.points: 「-1」不是最多两位小数的非负分数"},
		{"three decimals, bare", strings.Replace(goodRules, `points = "1"`, `points = 0.125`, 1), goodAllocation, "第 15 行 items.deduct.points: 「0.125」"},
		{"points as an exponent", strings.Replace(goodRules, `points = "1"`, `points = 1e1`, 1), goodAllocation, "items.deduct.points: 「1e1」不是分数"},
		{"points as a boolean", strings.Replace(goodRules, `max = "10"`, `max = true`, 1), goodAllocation, "第 11 行 items.max: 「true」不是分数"},
		{"a count as a string", strings.Replace(goodRules, `appraised = 1`, `appraised = "1"`, 1), goodAllocation, "第 5 行 city_targets.appraised: 应为整数（不加引号），写成了字符串"},
		{"base above max", strings.Replace(goodRules, `base = "10"`, `base = "12"`, 1), goodAllocation, "base = 12.00 大于 max = 10.00"},
		{"negative at_least", strings.Replace(goodRules, `label = "x{value}"`, "label = \"x{value}\"\n  [[items.zero_if]]\n  measure = \"i4_leaks\"\n  at_least = -1\n  reason = \"r\"", 1), goodAllocation, "第 1 个 [[items]]（no = 1）的第 1 个 [[items.zero_if]]: at_least 应至少为 1（写成了 -1）"},
		{"negative city target", strings.Replace(goodRules, `appraised = 1`, `appraised = -1`, 1), goodAllocation, "city_targets.appraised = -1 不能为负数"},
		{"base missing", strings.Replace(goodRules, "base = \"10\"\n", "", 1), goodAllocation, "第 1 个 [[items]]（no = 1）: 缺少 base"},
		{"a bonus-only item: base 0", strings.Replace(goodRules, `base = "10"`, `base = 0`, 1), goodAllocation, ""},
		{"base below max", strings.Replace(goodRules, `base = "10"`, `base = 5`, 1), goodAllocation, ""},
		{"points missing", strings.Replace(goodRules, "points = \"1\"\n", "", 1), goodAllocation, "[[items.deduct]]: 缺少 points"},
		{"year missing", strings.Replace(goodRules, "year = 2014\n", "", 1), goodAllocation, "缺少 year"},
		{"items out of order", strings.Replace(goodRules, "no = 1", "no = 2", 1), goodAllocation, "no 应为 1"},
		{"duplicate institution", goodRules, goodAllocation + "A,1,1,,\n", "第 3 行: 鉴定机构「A」与第 2 行重复"},
		{"negative target", goodRules, goodAllocation + "B,-1,1,,\n", "第 3 行「职业技能鉴定人数」: 「-1」是负数"},
		{"not a number", goodRules, goodAllocation + "B,一百,1,,\n", "第 3 行「职业技能鉴定人数」: 「一百」不是数字"},
		{"a fraction", goodRules, goodAllocation + "B,1,2.5,,\n", "第 3 行「职业资格取证人数」: 「2.5」不是整数"},
		{"empty name", goodRules, goodAllocation + " ,1,1,,\n", "第 3 行: 鉴定机构名称为空"},
		{"typed as people type", goodRules, goodAllocation + "B,\"1,200\",１２０,0,120.0\n", ""},
		{"wrong header", goodRules, "name,a,b,c,d\nA,1,1,1,1\n", "表头应为"},
		{"missing column", goodRules, goodAllocation + "C,1,1\n", "wrong number of fields"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{RulesFile: {Data: []byte(c.rules)}, AllocationFile: {Data: []byte(c.alloc)}}
			_, _, err := LoadFS(fsys, "test")
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// A bare number in a rules file is points, as the string is: max = 10 is
// 10.00, not 0.10.
func TestRulesBareNumbers(t *testing.T) {
	for _, c := range []struct {
		from, to    string
		max, points Points
	}{
		{`max = "10"`, `max = 10`, 1000, 100},
		{`max = "10"`, `max = 10.5`, 1050, 100},
		{`max = "10"`, `max = 1_0`, 1000, 100},
		{`points = "1"`, `points = 0.1`, 1000, 10},
		{`points = "1"`, `points = 0.25`, 1000, 25},
		{`points = "1"`, `points = '0.3'`, 1000, 30},
		{`points = "1"`, `points = "0.30"`, 1000, 30},
	} {
		rules := strings.Replace(goodRules, c.from, c.to, 1)
		fsys := fstest.MapFS{RulesFile: {Data: []byte(rules)}, AllocationFile: {Data: []byte(goodAllocation)}}
		s, _, err := LoadFS(fsys, "test")
		if err != nil {
			t.Errorf("%s: %v", c.to, err)
			continue
		}
		if it := s.Items[0]; it.Max != c.max || it.Deduct[0].Points != c.points {
			t.Errorf("%s: max %s, points %s; want %s, %s", c.to, it.Max, it.Deduct[0].Points, c.max, c.points)
		}
	}
}

func TestLoadDirAndMissingYear(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/"+RulesFile, []byte(goodRules), 0o644)
	os.WriteFile(dir+"/"+AllocationFile, []byte("\xef\xbb\xbf"+goodAllocation), 0o644)
	s, _, err := LoadDir(dir)
	if err != nil || s.Year != 2014 || s.Institutions[0].Name != "A" {
		t.Fatalf("LoadDir: %v %+v", err, s)
	}
	if _, _, err := Load(1999); err == nil || !strings.Contains(err.Error(), "没有内置 1999 年") {
		t.Errorf("Load(1999) = %v", err)
	}
}

func TestPoints(t *testing.T) {
	for in, want := range map[string]Points{"30": 3000, "0.1": 10, "0.30": 30, "17.9": 1790, " 5 ": 500, "30.000": 3000, "17.900": 1790} {
		if got, err := ParsePoints(in); err != nil || got != want {
			t.Errorf("ParsePoints(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "1.234", "1.", ".5", "1e2", "abc"} {
		if _, err := ParsePoints(bad); err == nil {
			t.Errorf("ParsePoints(%q) accepted", bad)
		}
	}
	if Points(-300).Signed() != "−3.00" || Points(30).Signed() != "+0.30" || Points(10420).String() != "104.20" {
		t.Error("formatting")
	}
}

// The README's field table is generated from fields.csv.
func TestREADMEFieldTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("<!-- fields:begin -->\n| 定义名称 | 标签 | 类型 | 填写 |\n|---|---|---|---|\n")
	kinds := map[Kind]string{KindInt: "非负整数", KindText: "文本", KindYesNo: "是 / 否", KindScore: "分数，最多两位小数"}
	roles := map[Role]string{RoleIdentity: "预填、锁定", RoleRequired: "必填", RoleOptional: "选填（空白为 0 / 否）", RoleSelf: "自评分（空白给提醒）"}
	for _, f := range Fields {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, f.Label, kinds[f.Kind], roles[f.Role])
	}
	b.WriteString("<!-- fields:end -->")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, "<!-- fields:begin -->"), strings.Index(s, "<!-- fields:end -->")
	if i < 0 || j < i {
		t.Fatal("README has no fields:begin/end markers")
	}
	current := s[i : j+len("<!-- fields:end -->")]
	if current == b.String() {
		return
	}
	if !*update {
		t.Fatal("README's field table is out of date: go test ./templates -update")
	}
	if err := os.WriteFile("../README.md", []byte(s[:i]+b.String()+s[j+len("<!-- fields:end -->"):]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInstitutionLookup: Institution finds every row of a loaded standard,
// and stays right on a copy whose rows were changed after loading.
func TestInstitutionLookup(t *testing.T) {
	std, _, err := Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range std.Institutions {
		got, ok := std.Institution(in.Name)
		if !ok || got.Order != in.Order || got.Name != in.Name {
			t.Errorf("row %d %s: got %+v, %t", i, in.Name, got, ok)
		}
	}
	if _, ok := std.Institution("不存在的鉴定所"); ok {
		t.Error("an unknown name was found")
	}
	changed := *std
	changed.Institutions = append([]Institution(nil), std.Institutions...)
	first, last := changed.Institutions[0], changed.Institutions[len(changed.Institutions)-1]
	changed.Institutions[0], changed.Institutions[len(changed.Institutions)-1] = last, first
	changed.Institutions = append(changed.Institutions, Institution{Name: "新增鉴定所", Order: 99})
	for _, in := range []Institution{first, last, {Name: "新增鉴定所", Order: 99}} {
		if got, ok := changed.Institution(in.Name); !ok || got != in {
			t.Errorf("after the change, %s: got %+v, %t; want %+v", in.Name, got, ok, in)
		}
	}
}

// TestCheckYear: one range of years, for rules.toml and kaohe standard new.
func TestCheckYear(t *testing.T) {
	for y, ok := range map[int]bool{1989: false, FirstYear: true, 2013: true, LastYear: true, 2201: false, 0: false, 20014: false} {
		if err := CheckYear(y); (err == nil) != ok {
			t.Errorf("CheckYear(%d) = %v, want ok %v", y, err, ok)
		}
	}
}
