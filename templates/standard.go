// Package templates holds each year's assessment standard as data: the
// target allocation (附件2, allocation.csv), the scoring rules (附件1,
// rules.toml) and the self-assessment workbook's field table (fields.csv).
// The 2013 standard is embedded; another year loads from a folder with the
// same two files, without recompiling. Nothing here reads Excel or the network.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

//go:embed 2013
var embedded embed.FS

// The two files of a year's standard.
const (
	AllocationFile = "allocation.csv"
	RulesFile      = "rules.toml"
)

// DefaultYear is the year of the embedded standard used when none is named.
const DefaultYear = 2013

// The years a standard may be for (rules.toml's year, kaohe standard new
// --year): anything else is a typing mistake.
const (
	FirstYear = 1990
	LastYear  = 2200
)

// CheckYear returns nil for a year a standard may be for, else why not.
func CheckYear(y int) error {
	if y < FirstYear || y > LastYear {
		return fmt.Errorf("%d 不是有效年度（应在 %d–%d 之间）", y, FirstYear, LastYear)
	}
	return nil
}

// Errors of this package; messages wrapping them say where and what.
var (
	// ErrInvalid marks a standard that failed validation.
	ErrInvalid = errors.New("评分标准无效")
	// ErrExists marks a standard's file that is there already and was not
	// to be replaced (Draft.Write).
	ErrExists = errors.New("文件已存在")
)

// Targets are the four target (or actual) counts of 附件2.
type Targets struct {
	Appraised   int64 `toml:"appraised"`    // 职业技能鉴定人数
	Certified   int64 `toml:"certified"`    // 职业资格取证人数
	UnifiedExam int64 `toml:"unified_exam"` // 全国(省)统考人数
	HighSkill   int64 `toml:"high_skill"`   // 新增高技能人才取证数
}

// Add returns the sum of t and u.
func (t Targets) Add(u Targets) Targets {
	return Targets{t.Appraised + u.Appraised, t.Certified + u.Certified, t.UnifiedExam + u.UnifiedExam, t.HighSkill + u.HighSkill}
}

// Institution is one row of 附件2.
type Institution struct {
	Name    string
	Targets Targets
	Order   int // 0-based position in 附件2
}

// Condition holds when Measure ≥ AtLeast. Reason may use {value}.
type Condition struct {
	Measure string `toml:"measure"`
	AtLeast int64  `toml:"at_least"`
	Reason  string `toml:"reason"`
}

// Term is a deduction or a bonus: floor(max(0, Measure−Above) / Per) units
// of Points each. Label may use {value}.
type Term struct {
	Measure string `toml:"measure"`
	Above   int64  `toml:"above"`
	Per     int64  `toml:"per"`
	Points  Points `toml:"points"`
	Label   string `toml:"label"`
}

// Item is one of the nine items of 附件1 with its rule.
type Item struct {
	No           int         `toml:"no"`
	Title        string      `toml:"title"`    // short name, e.g. 证书管理
	Content      string      `toml:"content"`  // 考核内容
	Max          Points      `toml:"max"`      // 分值
	Criteria     string      `toml:"criteria"` // 评分说明
	Base         Points      `toml:"base"`
	ZeroIf       []Condition `toml:"zero_if"`
	Deduct       []Term      `toml:"deduct"`
	Bonus        []Term      `toml:"bonus"`
	DisqualifyIf []Condition `toml:"disqualify_if"`
}

// Standard is one year's assessment standard.
type Standard struct {
	Year                     int     `toml:"year"`
	Title                    string  `toml:"title"`
	MinCertifiedRatioPercent int64   `toml:"min_certified_ratio_percent"`
	CityTargets              Targets `toml:"city_targets"`
	Items                    []Item  `toml:"items"`

	Institutions []Institution `toml:"-"` // 附件2, in its order
	Source       string        `toml:"-"` // where it was loaded from, for messages

	// byName indexes Institutions by name, as loaded: a hint only, checked
	// on use, so a Standard copied or changed afterwards stays right.
	byName map[string]int
	// called indexes them by what people call them (names), as loaded:
	// checked on use like byName.
	called *names
}

// Institution returns the allocation row named name.
func (s *Standard) Institution(name string) (Institution, bool) {
	if i, ok := s.byName[name]; ok && i < len(s.Institutions) && s.Institutions[i].Name == name {
		return s.Institutions[i], true
	}
	for _, in := range s.Institutions { // not loaded by Load, or changed since
		if in.Name == name {
			return in, true
		}
	}
	return Institution{}, false
}

// AllocatedTotal is the sum of all institutions' targets.
func (s *Standard) AllocatedTotal() Targets {
	var t Targets
	for _, in := range s.Institutions {
		t = t.Add(in.Targets)
	}
	return t
}

// MaxTotal is the nominal maximum, the sum of the items' 分值 (100 in 2013).
func (s *Standard) MaxTotal() Points {
	var p Points
	for _, it := range s.Items {
		p += it.Max
	}
	return p
}

// Years lists the embedded years.
func Years() []int {
	entries, _ := embedded.ReadDir(".")
	var ys []int
	for _, e := range entries {
		if y, err := strconv.Atoi(e.Name()); err == nil {
			ys = append(ys, y)
		}
	}
	sort.Ints(ys)
	return ys
}

// Load returns the embedded standard of year, with load warnings.
func Load(year int) (*Standard, []string, error) {
	sub, err := FS(year)
	if err != nil {
		return nil, nil, err
	}
	return LoadFS(sub, fmt.Sprintf("内置 %d 年标准", year))
}

// FS returns the embedded files of year's standard (allocation.csv and
// rules.toml), e.g. to start another year's folder from them. The error
// wraps ErrInvalid when year is not embedded.
func FS(year int) (fs.FS, error) {
	sub, err := fs.Sub(embedded, strconv.Itoa(year))
	if err == nil {
		_, err = fs.Stat(sub, RulesFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: 没有内置 %d 年的评分标准（内置年度：%v）", ErrInvalid, year, Years())
	}
	return sub, nil
}

// LoadDir loads a standard from a folder holding allocation.csv and rules.toml.
func LoadDir(dir string) (*Standard, []string, error) {
	return LoadFS(os.DirFS(dir), dir)
}

// LoadFS loads and validates a standard; source names it in messages.
// Errors wrap ErrInvalid; warnings do not stop loading.
func LoadFS(fsys fs.FS, source string) (*Standard, []string, error) {
	rules, err := fs.ReadFile(fsys, RulesFile)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: 读取 %s/%s: %v", ErrInvalid, source, RulesFile, err)
	}
	alloc, err := fs.ReadFile(fsys, AllocationFile)
	if err != nil {
		if _, err := parseRules(rules, source+"/"+RulesFile); err != nil {
			return nil, nil, err // the rules' problems first, as they are read first
		}
		return nil, nil, fmt.Errorf("%w: 读取 %s/%s: %v", ErrInvalid, source, AllocationFile, err)
	}
	return load(rules, alloc, source)
}

// load parses and validates the two files of a standard.
func load(rules, alloc []byte, source string) (*Standard, []string, error) {
	std, err := parseRules(rules, source+"/"+RulesFile)
	if err != nil {
		return nil, nil, err
	}
	std.Institutions, err = parseAllocation(alloc, source+"/"+AllocationFile)
	if err != nil {
		return nil, nil, err
	}
	std.Source = source
	std.byName = make(map[string]int, len(std.Institutions))
	for i, in := range std.Institutions {
		std.byName[in.Name] = i
	}
	std.called = indexNames(std.Institutions)
	return std, std.warnings(), nil
}

func parseRules(b []byte, file string) (*Standard, error) {
	var std Standard
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.EnableUnmarshalerInterface() // Points: bare numbers and strings
	if err := dec.Decode(&std); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, describeTOMLError(file, err))
	}
	var doc map[string]any // which keys are written at all
	if err := toml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, describeTOMLError(file, err))
	}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	lacks := func(table map[string]any, where string, keys ...string) {
		for _, k := range keys {
			if _, ok := table[k]; !ok {
				bad("%s缺少 %s", where, k)
			}
		}
	}
	lacks(doc, "", "year", "title")
	if _, ok := doc["year"]; ok {
		if err := CheckYear(std.Year); err != nil {
			bad("year = %v", err)
		}
	}
	if _, ok := doc["title"]; ok && strings.TrimSpace(std.Title) == "" {
		bad("title 不能为空")
	}
	ct := std.CityTargets
	for _, t := range []struct {
		key string
		v   int64
	}{{"appraised", ct.Appraised}, {"certified", ct.Certified}, {"unified_exam", ct.UnifiedExam}, {"high_skill", ct.HighSkill}} {
		if t.v < 0 {
			bad("city_targets.%s = %d 不能为负数", t.key, t.v)
		}
	}
	if std.MinCertifiedRatioPercent < 0 || std.MinCertifiedRatioPercent > 100 {
		bad("min_certified_ratio_percent = %d 应在 0 到 100 之间", std.MinCertifiedRatioPercent)
	}
	if len(std.Items) == 0 {
		bad("没有 [[items]]")
	}
	rawItems, _ := doc["items"].([]any)
	table := func(list []any, i int) map[string]any {
		if i < len(list) {
			m, _ := list[i].(map[string]any)
			return m
		}
		return nil
	}
	for i := range std.Items {
		it := &std.Items[i]
		raw := table(rawItems, i)
		where := fmt.Sprintf("第 %d 个 [[items]]（no = %d）", i+1, it.No)
		lacks(raw, where+": ", "no", "title", "content", "criteria", "max", "base")
		if _, ok := raw["no"]; ok && it.No != i+1 {
			bad("%s: no 应为 %d，按顺序编号", where, i+1)
		}
		for _, f := range []struct{ key, v string }{{"title", it.Title}, {"content", it.Content}, {"criteria", it.Criteria}} {
			if _, ok := raw[f.key]; ok && strings.TrimSpace(f.v) == "" {
				bad("%s: %s 不能为空", where, f.key)
			}
		}
		if _, ok := raw["max"]; ok && it.Max <= 0 {
			bad("%s: max 应大于 0", where)
		}
		// base may be 0 (an item of bonuses only) or below max (2013's
		// item 6: 5 of its 10 come as a bonus), never above it.
		if it.Base > it.Max && it.Max > 0 {
			bad("%s: base = %s 大于 max = %s；基础分不能超过该项分值", where, it.Base, it.Max)
		}
		for _, conds := range []struct {
			key  string
			list []Condition
		}{{"zero_if", it.ZeroIf}, {"disqualify_if", it.DisqualifyIf}} {
			rawList, _ := raw[conds.key].([]any)
			for k, c := range conds.list {
				cw := fmt.Sprintf("%s的第 %d 个 [[items.%s]]", where, k+1, conds.key)
				lacks(table(rawList, k), cw+": ", "measure", "at_least", "reason")
				if c.Measure != "" && !IsMeasure(c.Measure) {
					bad("%s: measure = %q 不是已知的字段或派生量", cw, c.Measure)
				}
				if c.AtLeast < 1 {
					bad("%s: at_least 应至少为 1（写成了 %d）", cw, c.AtLeast)
				}
				if strings.TrimSpace(c.Reason) == "" {
					bad("%s: reason 不能为空", cw)
				}
			}
		}
		for _, terms := range []struct {
			key  string
			list []Term
		}{{"deduct", it.Deduct}, {"bonus", it.Bonus}} {
			rawList, _ := raw[terms.key].([]any)
			for k := range terms.list {
				t := &terms.list[k]
				tw := fmt.Sprintf("%s的第 %d 个 [[items.%s]]", where, k+1, terms.key)
				lacks(table(rawList, k), tw+": ", "measure", "points", "label")
				if t.Per == 0 {
					t.Per = 1
				}
				if t.Measure != "" && !IsMeasure(t.Measure) {
					bad("%s: measure = %q 不是已知的字段或派生量", tw, t.Measure)
				}
				if t.Per < 0 {
					bad("%s: per = %d 不能为负数", tw, t.Per)
				}
				if t.Above < 0 {
					bad("%s: above = %d 不能为负数", tw, t.Above)
				}
				if _, ok := table(rawList, k)["points"]; ok && t.Points == 0 {
					bad("%s: points 应大于 0", tw)
				}
				if _, ok := table(rawList, k)["label"]; ok && strings.TrimSpace(t.Label) == "" {
					bad("%s: label 不能为空", tw)
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalid, file, strings.Join(problems, "；"))
	}
	return &std, nil
}

// tomlKinds names TOML's kinds of values for people, and goKinds what a
// key of each Go type wants.
var (
	tomlKinds = map[string]string{
		"string": "字符串", "integer": "整数", "float": "小数", "boolean": "true/false",
		"array": "数组", "table": "表", "datetime": "日期时间", "local datetime": "日期时间",
		"local date": "日期", "local time": "时间",
	}
	goKinds = map[string]string{"int64": "整数（不加引号）", "int": "整数（不加引号）", "string": "用引号括起的文字"}
)

// typeMismatch matches go-toml's message for a value of the wrong kind.
var typeMismatch = regexp.MustCompile(`cannot decode TOML ([a-z ]+) into (?:struct field \S+ of type )?(\S+)$`)

// describeTOMLError turns go-toml's errors into messages with line numbers
// and keys.
func describeTOMLError(file string, err error) string {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var parts []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			parts = append(parts, fmt.Sprintf("%s 第 %d 行: 未知的键 %q", file, row, strings.Join(e.Key(), ".")))
		}
		return strings.Join(parts, "；")
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		where := fmt.Sprintf("%s 第 %d 行", file, row)
		if k := de.Key(); len(k) > 0 {
			where += " " + strings.Join(k, ".")
		}
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeMismatch.FindStringSubmatch(msg); m != nil {
			want, ok := goKinds[m[2]]
			got, gok := tomlKinds[m[1]]
			if ok && gok {
				msg = fmt.Sprintf("应为%s，写成了%s", want, got)
			}
		}
		return where + ": " + msg
	}
	return fmt.Sprintf("%s: %v", file, err)
}

func (s *Standard) warnings() []string {
	var ws []string
	for _, n := range RatioNotices(s.Institutions, s.MinCertifiedRatioPercent) {
		ws = append(ws, s.Source+": "+n.Message)
	}
	return ws
}
