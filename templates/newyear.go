package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Draft is a new year's standard before it is written: another year's
// rules.toml with its year, title and city targets changed, and a new
// allocation.csv; Standard is both as kaohe will load them.
type Draft struct {
	Rules      []byte // rules.toml
	Allocation []byte // allocation.csv
	Standard   *Standard
	// Notes say what was kept or could not be changed in rules.toml that
	// someone should look at (a title without the year, item texts quoting
	// last year's city targets), in Chinese.
	Notes []string
}

// NewYear makes year's standard from the rules of from (read from fromFS,
// its folder or embedded files) and the allocation a. The city targets
// come from a's 全市目标数 row, or stay from's when a has none (a note says
// so). source names the folder the draft will be written to, in messages.
// The draft is loaded back as kaohe loads a folder; an error wraps
// ErrInvalid.
func NewYear(fromFS fs.FS, from *Standard, year int, a *Allocation, source string) (*Draft, error) {
	rules, err := fs.ReadFile(fromFS, RulesFile)
	if err != nil {
		return nil, fmt.Errorf("%w: 读取 %s/%s: %v", ErrInvalid, from.Source, RulesFile, err)
	}
	d := &Draft{Allocation: FormatAllocation(a.Institutions)}
	city := from.CityTargets
	if a.HasCity {
		city = a.City
	} else {
		d.Notes = append(d.Notes, fmt.Sprintf("附件2 中没有「全市目标数」行，全市目标数沿用 %d 年的（%s）；如有新的全市目标数，请在附件2中加上这一行后重新生成",
			from.Year, targetsText(city)))
	}
	var notes []string
	d.Rules, notes = editRules(rules, from.Year, year, city)
	d.Notes = append(d.Notes, notes...)
	d.Notes = append(d.Notes, quotedCityTargets(from, city, source)...)
	std, _, err := load(d.Rules, d.Allocation, source)
	if err != nil {
		return nil, err
	}
	if std.Year != year || std.CityTargets != city {
		return nil, fmt.Errorf("%w: %s/%s: 无法改写其中的 year 或 [city_targets]（写法与内置标准不同）；请照 templates/%d/rules.toml 的写法修改后重试",
			ErrInvalid, from.Source, RulesFile, DefaultYear)
	}
	d.Standard = std
	return d, nil
}

var (
	tomlTable = regexp.MustCompile(`^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?`)
	tomlKey   = regexp.MustCompile(`^\s*([A-Za-z0-9_]+)\s*=`)
)

// cityKeys are the keys of [city_targets], in the order of Targets.fields.
var cityKeys = [4]string{"appraised", "certified", "unified_exam", "high_skill"}

// editRules sets year, the year inside title and the comments above the
// first key, and [city_targets] in a rules.toml, keeping everything else
// (comments, layout) as it is.
func editRules(src []byte, fromYear, year int, city Targets) ([]byte, []string) {
	var notes []string
	old, now := strconv.Itoa(fromYear), strconv.Itoa(year)
	lines := strings.Split(string(src), "\n")
	var out []string
	table, seenKey, seenCity := "", false, false
	for _, line := range lines { // a [city_targets] further down is kept, not added again
		if m := tomlTable.FindStringSubmatch(line); m != nil && m[1] == "city_targets" {
			seenCity = true
		}
	}
	done := map[string]bool{}
	cityLines := func() []string {
		var ls []string
		for k, key := range cityKeys {
			if !done[key] {
				ls = append(ls, fmt.Sprintf("%s = %d", key, city.Get(k)))
			}
		}
		return ls
	}
	for _, line := range lines {
		if m := tomlTable.FindStringSubmatch(line); m != nil {
			if table == "city_targets" {
				out = appendBeforeBlank(out, cityLines())
			}
			if !seenCity && table == "" && m[1] != "city_targets" {
				out = append(out, "[city_targets]")
				out = append(out, cityLines()...)
				out = append(out, "")
				seenCity = true
			}
			table = m[1]
			out = append(out, line)
			continue
		}
		m := tomlKey.FindStringSubmatch(line)
		switch {
		case m == nil && !seenKey && table == "" && strings.HasPrefix(strings.TrimSpace(line), "#"):
			line = strings.ReplaceAll(line, old+"年", now+"年")
		case m == nil:
		case table == "" && m[1] == "year":
			line = "year = " + now
		case table == "" && m[1] == "title":
			if strings.Contains(line, old) {
				line = strings.ReplaceAll(line, old, now)
			} else if fromYear != year {
				notes = append(notes, fmt.Sprintf("rules.toml 的 title 中没有年度 %s，未改动（%s）；如需要请修改", old, strings.TrimSpace(line)))
			}
		case table == "city_targets":
			for k, key := range cityKeys {
				if m[1] == key {
					line = fmt.Sprintf("%s = %d", key, city.Get(k))
					done[key] = true
				}
			}
		}
		if m != nil {
			seenKey = true
		}
		out = append(out, line)
	}
	if table == "city_targets" {
		out = appendBeforeBlank(out, cityLines())
	} else if !seenCity {
		out = append(out, "", "[city_targets]")
		out = append(out, cityLines()...)
	}
	return []byte(strings.Join(out, "\n")), notes
}

// appendBeforeBlank adds lines to a table before the blank lines that
// end it.
func appendBeforeBlank(out, lines []string) []string {
	i := len(out)
	for i > 0 && strings.TrimSpace(out[i-1]) == "" {
		i--
	}
	tail := append([]string(nil), out[i:]...)
	return append(append(out[:i], lines...), tail...)
}

// quotedCityTargets finds last year's city targets quoted in the items'
// texts (2013's item 1: 「全市鉴定人数7.5万、发证6万」) where they change.
func quotedCityTargets(from *Standard, city Targets, source string) []string {
	var notes []string
	for _, it := range from.Items {
		text := it.Content + "\n" + it.Criteria
		var found []string
		for k := range 4 {
			o, n := from.CityTargets.Get(k), city.Get(k)
			if o == n || o <= 0 {
				continue
			}
			for _, form := range numberForms(o) {
				if strings.Contains(text, form) {
					found = append(found, fmt.Sprintf("「%s」（%d 年的全市%s目标数，新的是 %d）", form, from.Year, shortColumn[k], n))
					break
				}
			}
		}
		if len(found) > 0 {
			notes = append(notes, fmt.Sprintf("第 %d 项「%s」的考核内容或评分说明中写着%s；这些文字照原样复制了，如需要请修改 %s/%s",
				it.No, it.Title, strings.Join(found, "、"), source, RulesFile))
		}
	}
	return notes
}

// shortColumn names the four targets briefly, as the document does.
var shortColumn = [4]string{"鉴定", "取证", "统考", "新增高技能人才"}

// numberForms are the ways a document writes n: 75000, 75,000, 7.5万.
func numberForms(n int64) []string {
	forms := []string{strconv.FormatInt(n, 10), thousands(n)}
	if n >= 10000 && n%1000 == 0 {
		w := strconv.FormatInt(n/10000, 10)
		if r := n % 10000 / 1000; r != 0 {
			w += "." + strconv.FormatInt(r, 10)
		}
		forms = append(forms, w+"万")
	}
	return forms
}

// thousands formats n with thousands separators: 75,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// targetsText is a Targets for people: 鉴定 75000、取证 60000、…
func targetsText(t Targets) string {
	var parts []string
	for k := range 4 {
		parts = append(parts, fmt.Sprintf("%s %d", shortColumn[k], t.Get(k)))
	}
	return strings.Join(parts, "、")
}

// Write puts the draft's two files into dir (made if missing). Each file
// is written to a temporary file in dir, synced, then renamed over its
// name, so a reader never sees half a file. Unless replace is set, an
// existing file is an error wrapping ErrExists and nothing is written.
// It returns the paths written.
func (d *Draft) Write(dir string, replace bool) ([]string, error) {
	files := []struct {
		name string
		data []byte
	}{{AllocationFile, d.Allocation}, {RulesFile, d.Rules}}
	if !replace {
		for _, f := range files {
			p := filepath.Join(dir, f.name)
			if _, err := os.Lstat(p); err == nil {
				return nil, fmt.Errorf("%w: %s", ErrExists, p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("checking %s: %w", p, err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making %s: %w", dir, err)
	}
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t) // after a failure; gone already after the renames
		}
	}()
	for _, f := range files {
		t, err := writeTemp(dir, f.data)
		if err != nil {
			return nil, err
		}
		temps = append(temps, t)
	}
	var paths []string
	for i, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.Rename(temps[i], p); err != nil {
			return paths, fmt.Errorf("renaming %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	if df, err := os.Open(dir); err == nil {
		df.Sync() // the renames, durable
		df.Close()
	}
	return paths, nil
}

func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".kaohe-tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing in %s: %w", dir, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
