package templates

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// AllocationColumns are the columns of 附件2 and of allocation.csv, in
// order: the institution, then the four targets.
var AllocationColumns = [5]string{"鉴定机构", "职业技能鉴定人数", "职业资格取证人数", "全国(省)统考人数", "新增高技能人才取证数"}

// Allocation is 附件2 as read from a table (allocation.csv, or the centre's
// workbook): the institutions in order, the 全市目标数 row, and where each
// value was read, for messages.
type Allocation struct {
	Institutions []Institution
	City         Targets // the 全市目标数 row
	HasCity      bool    // whether the table had one
	// Places[i][c] is where Institutions[i]'s column c (an index into
	// AllocationColumns) was read, e.g. 附件2!C17; CityPlaces the same for
	// the 全市目标数 row.
	Places     [][5]string
	CityPlaces [5]string
}

// Place returns where row (−1: the 全市目标数 row) and col were read, or "".
func (a *Allocation) Place(row, col int) string {
	switch {
	case row == -1:
		return a.CityPlaces[col]
	case row >= 0 && row < len(a.Places):
		return a.Places[row][col]
	}
	return ""
}

// Total is the sum of the institutions' targets.
func (a *Allocation) Total() Targets {
	var t Targets
	for _, in := range a.Institutions {
		t = t.Add(in.Targets)
	}
	return t
}

// Problem is a cell of 附件2 that cannot be used: the allocation is not
// written or loaded while there is one.
type Problem struct {
	Row, Col int    // index into the rows given, and into AllocationColumns
	Value    string // the cell as typed ("" when empty)
	Message  string // what is wrong and what to do, in Chinese, without the place
}

// ParseRows turns 附件2's rows as typed (the name, then the four targets)
// into institutions, or says which cells are wrong: an empty or duplicate
// name, a target that is not a whole number or is negative. A blank target
// is 0. Targets may be typed with thousands separators or full-width digits
// (1,200, １２０). place names another row's cell inside a message (the
// first of two duplicates).
func ParseRows(rows [][5]string, place func(row, col int) string) ([]Institution, []Problem) {
	var out []Institution
	var problems []Problem
	seen := map[string]int{}
	for r, row := range rows {
		in := Institution{Name: CleanName(row[0]), Order: r}
		switch first, dup := seen[in.Name]; {
		case in.Name == "":
			problems = append(problems, Problem{r, 0, "", "鉴定机构名称为空；请填写名称，或删去这一行"})
		case dup:
			problems = append(problems, Problem{r, 0, in.Name, fmt.Sprintf("鉴定机构「%s」与%s重复；每个鉴定机构只能有一行", in.Name, place(first, 0))})
		default:
			seen[in.Name] = r
		}
		for k, dst := range in.Targets.fields() {
			v, msg := ParseCount(row[k+1])
			if msg != "" {
				problems = append(problems, Problem{r, k + 1, strings.TrimSpace(row[k+1]), msg})
			}
			*dst = v
		}
		out = append(out, in)
	}
	return out, problems
}

// fields lists the four targets in the order of AllocationColumns[1:].
func (t *Targets) fields() [4]*int64 {
	return [4]*int64{&t.Appraised, &t.Certified, &t.UnifiedExam, &t.HighSkill}
}

// Get returns target k: 0 职业技能鉴定人数 … 3 新增高技能人才取证数.
func (t Targets) Get(k int) int64 { return *t.fields()[k] }

// CleanName is an institution's name as kaohe keeps it: line breaks inside
// the cell dropped (a narrow column wraps the name), spaces around it
// trimmed, runs of spaces inside it made one.
func CleanName(s string) string {
	s = strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(s)
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\u200b' || r == '\ufeff'
}

// ParseCount reads a count (a target, a number of people) as people type it: 1200, 1,200, 1，200, １２０,
// 1200.0; blank is 0. It returns the Chinese reason when it is none of these.
func ParseCount(s string) (int64, string) {
	s = strings.TrimFunc(strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width forms: １２０，－
			return r - 0xFEE0
		case r == '\u2212': // minus sign
			return '-'
		}
		return r
	}, s), isSpace)
	if s == "" {
		return 0, ""
	}
	shown := s
	neg := strings.HasPrefix(s, "-")
	num := strings.TrimPrefix(s, "-")
	if whole, frac, ok := strings.Cut(num, "."); ok && whole != "" && frac != "" && digits(frac) {
		if strings.Trim(frac, "0") != "" {
			return 0, fmt.Sprintf("「%s」不是整数；目标人数应为整数，如 1200", shown)
		}
		num = whole
	}
	if strings.Contains(num, ",") {
		groups := strings.Split(num, ",")
		ok := len(groups[0]) >= 1 && len(groups[0]) <= 3
		for _, g := range groups[1:] {
			ok = ok && len(g) == 3
		}
		if !ok {
			return 0, fmt.Sprintf("「%s」不是数字；应填写人数，如 1200 或 1,200，没有请留空", shown)
		}
		num = strings.Join(groups, "")
	}
	if num == "" || len(num) > 15 || !digits(num) {
		return 0, fmt.Sprintf("「%s」不是数字；应填写人数，如 1200，没有请留空", shown)
	}
	v, _ := strconv.ParseInt(num, 10, 64)
	if neg && v != 0 {
		return 0, fmt.Sprintf("「%s」是负数；目标人数不能为负", shown)
	}
	return v, ""
}

// parseAllocation reads allocation.csv: a header line, then one line per
// institution in the order of AllocationColumns.
func parseAllocation(b []byte, file string) ([]Institution, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a BOM from Excel's "CSV UTF-8"
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = len(AllocationColumns)
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, file, err)
	}
	header := strings.Join(AllocationColumns[:], ",")
	if len(records) == 0 || strings.Join(records[0], ",") != header {
		return nil, fmt.Errorf("%w: %s 第 1 行: 表头应为「%s」", ErrInvalid, file, header)
	}
	rows := make([][5]string, len(records)-1)
	for i, rec := range records[1:] {
		copy(rows[i][:], rec)
	}
	line := func(row, _ int) string { return fmt.Sprintf("第 %d 行", row+2) }
	out, problems := ParseRows(rows, line)
	var msgs []string
	for _, p := range problems {
		where := line(p.Row, p.Col)
		if p.Col > 0 {
			where += "「" + AllocationColumns[p.Col] + "」"
		}
		msgs = append(msgs, where+": "+p.Message)
	}
	if len(out) == 0 {
		msgs = append(msgs, "没有任何鉴定机构")
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalid, file, strings.Join(msgs, "；"))
	}
	return out, nil
}

// FormatAllocation writes institutions as allocation.csv: the header, then
// one line each, a target of 0 left blank as in 附件2.
func FormatAllocation(ins []Institution) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(AllocationColumns[:])
	for _, in := range ins {
		rec := []string{in.Name}
		for k := range 4 {
			v := ""
			if n := in.Targets.Get(k); n != 0 {
				v = strconv.FormatInt(n, 10)
			}
			rec = append(rec, v)
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// Notice is something in an allocation worth a look before it is used; it
// does not stop anything.
type Notice struct {
	Row, Col int    // index into the institutions (−1: the 全市目标数 row) and into AllocationColumns
	Message  string // in Chinese, without the place
}

// RatioNotices lists the institutions whose 取证 target is below
// minPercent of their 鉴定 target (常武 in 2013: 400 of 4600).
func RatioNotices(ins []Institution, minPercent int64) []Notice {
	var ns []Notice
	for i, in := range ins {
		t := in.Targets
		if t.Appraised > 0 && t.Certified*100 < t.Appraised*minPercent {
			ns = append(ns, Notice{i, 2, fmt.Sprintf("「%s」取证目标 %d 不到鉴定目标 %d 的 %d%%，请核对分配表",
				in.Name, t.Certified, t.Appraised, minPercent)})
		}
	}
	return ns
}

// CityNotices compares what the institutions add up to with the 全市目标数
// row, one notice per target that differs (2013: 鉴定 54840 of 75000).
func CityNotices(ins []Institution, city Targets) []Notice {
	sum := (&Allocation{Institutions: ins}).Total()
	var ns []Notice
	for k := range 4 {
		s, c := sum.Get(k), city.Get(k)
		switch {
		case s < c:
			ns = append(ns, Notice{-1, k + 1, fmt.Sprintf("各鉴定机构合计 %d，比全市目标数 %d 少 %d（分到机构的占 %s）；请核对是否漏了机构或目标",
				s, c, c-s, percent(s, c))})
		case s > c:
			ns = append(ns, Notice{-1, k + 1, fmt.Sprintf("各鉴定机构合计 %d，比全市目标数 %d 多 %d；请核对各机构的目标或全市目标数", s, c, s-c)})
		}
	}
	return ns
}

// percent formats part/whole with one decimal, exactly: 54840/75000 is 73.1%.
func percent(part, whole int64) string {
	if whole <= 0 {
		return ""
	}
	tenths := (part*1000 + whole/2) / whole
	return fmt.Sprintf("%d.%d%%", tenths/10, tenths%10)
}
