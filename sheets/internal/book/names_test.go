package book

import (
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestNameParseRef(t *testing.T) {
	cases := []struct {
		name, refersTo string
		want           Place
		err            string // part of the error, "" for none
	}{
		{"quoted absolute", `'完成情况'!$C$5`, Place{Sheet: "完成情况", Cell: "C5"}, ""},
		{"unquoted absolute", `完成情况!$C$5`, Place{Sheet: "完成情况", Cell: "C5"}, ""},
		{"relative", `完成情况!C5`, Place{Sheet: "完成情况", Cell: "C5"}, ""},
		{"leading equals", `='完成情况'!$D$12`, Place{Sheet: "完成情况", Cell: "D12"}, ""},
		{"mixed", `Sheet1!$c5`, Place{Sheet: "Sheet1", Cell: "C5"}, ""},
		{"doubled quote", `'It''s a sheet'!$B$2`, Place{Sheet: "It's a sheet", Cell: "B2"}, ""},
		{"bang in quoted name", `'A!B'!$B$2`, Place{Sheet: "A!B", Cell: "B2"}, ""},
		{"range", `'完成情况'!$C$5:$D$6`, Place{}, "是一个区域"},
		{"column range", `完成情况!$C:$C`, Place{}, "是一个区域"},
		{"two areas", `'完成情况'!$C$5,'完成情况'!$C$6`, Place{}, "多个区域"},
		{"parenthesised areas", `('完成情况'!$C$5,'完成情况'!$C$6)`, Place{}, "多个区域"},
		{"ref error", `#REF!`, Place{}, "#REF!"},
		{"ref error in sheet", `'完成情况'!#REF!`, Place{}, "#REF!"},
		{"no sheet", `$C$5`, Place{}, "没有指明工作表"},
		{"constant", `2013`, Place{}, "没有指明工作表"},
		{"external", `[1]完成情况!$C$5`, Place{}, "其他工作簿"},
		{"formula", `完成情况!$C$5+1`, Place{}, "应指向一个单元格"},
		{"bad cell", `完成情况!$C$0`, Place{}, "应指向一个单元格"},
		{"unterminated quote", `'完成情况!$C$5`, Place{}, "无法识别"},
		{"quoted name alone", `'完成情况'`, Place{}, "无法识别"},
		{"quoted name, no bang", `'完成情况'$C$5`, Place{}, "无法识别"},
		{"empty quoted name", `''!$C$5`, Place{}, "没有指明工作表"},
		{"lower-case ref error", `'完成情况'!#ref!`, Place{}, "#REF!"},
		{"empty", ``, Place{}, "没有引用"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseRef(c.refersTo)
			if c.err == "" {
				if err != nil || got != c.want {
					t.Errorf("ParseRef(%q) = %v, %v; want %v", c.refersTo, got, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRef(%q) error = %v, want one containing %q", c.refersTo, err, c.err)
			}
		})
	}
}

// Sheet-scoped names never shadow workbook ones; broken names say why.
func TestNameResolveScope(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("数据 表"); err != nil {
		t.Fatal(err)
	}
	for _, dn := range []excelize.DefinedName{
		{Name: "local_first", RefersTo: "Sheet1!$A$1", Scope: "Sheet1"},
		{Name: "local_first", RefersTo: "'数据 表'!$B$2"},
		{Name: "only_local", RefersTo: "Sheet1!$A$1", Scope: "Sheet1"},
		{Name: "a_range", RefersTo: "Sheet1!$A$1:$B$2"},
		{Name: "gone", RefersTo: "Sheet1!#REF!"},
		{Name: "no_sheet", RefersTo: "'没有'!$A$1"},
		{Name: "Mixed_Case", RefersTo: "sheet1!$C$3"},
	} {
		if err := f.SetDefinedName(&dn); err != nil {
			t.Fatal(err)
		}
	}
	names := Resolve(f)
	cases := []struct {
		name string
		want Place
		err  string
	}{
		{"local_first", Place{Sheet: "数据 表", Cell: "B2"}, ""},
		{"only_local", Place{}, "定义名称 only_local 只定义在工作表「Sheet1」范围内，应为工作簿范围"},
		{"a_range", Place{}, "定义名称 a_range 指向「Sheet1!$A$1:$B$2」，是一个区域，应指向一个单元格"},
		{"gone", Place{}, "#REF!"},
		{"no_sheet", Place{}, "工作簿中没有工作表「没有」"},
		{"mixed_case", Place{Sheet: "Sheet1", Cell: "C3"}, ""},
		{"missing", Place{}, "找不到定义名称 missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why, ok := names.Lookup(c.name)
			if c.err == "" {
				if !ok || got != c.want {
					t.Errorf("lookup = %v, %q, %v; want %v", got, why, ok, c.want)
				}
				return
			}
			if ok || !strings.Contains(why, c.err) {
				t.Errorf("lookup = %v, %q; want an error containing %q", got, why, c.err)
			}
		})
	}
}
