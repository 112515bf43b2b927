package check

import (
	"kaohe/templates"
	"strings"
	"testing"
)

// TestRows: the rules of a sheet's rows and cells, as both readers ask
// them, step by step; each case is the steps and the refusal's words.
func TestRows(t *testing.T) {
	lim := DefaultLimits().WithDefaults()
	lim.MaxRows, lim.MaxCells = 100, 12
	type step struct {
		op, arg string // row (r attribute; "-" for none), cell, end, merge
	}
	cases := []struct {
		name  string
		steps []step
		want  string // part of the refusal's message; "" for none
	}{
		{"in order", []step{{"row", "1"}, {"cell", "A1"}, {"cell", "C1"}, {"end", ""}, {"row", "3"}, {"cell", "B3"}, {"end", ""}}, ""},
		{"numbered by its cell", []step{{"row", "-"}, {"cell", "B4"}, {"end", ""}, {"row", "5"}, {"end", ""}}, ""},
		{"numbered after the last", []step{{"row", "2"}, {"end", ""}, {"row", "-"}, {"end", ""}, {"row", "3"}}, "第 3 行出现了两次或顺序错乱"},
		{"spaces around the number", []step{{"row", " 7 "}, {"cell", "A7"}, {"end", ""}}, ""},
		{"rows out of order", []step{{"row", "5"}, {"end", ""}, {"row", "4"}}, "第 4 行出现了两次或顺序错乱"},
		{"row repeated", []step{{"row", "5"}, {"end", ""}, {"row", "5"}}, "第 5 行出现了两次或顺序错乱"},
		{"row number not a number", []step{{"row", "x"}}, "行号「x」无效"},
		{"row past Excel", []step{{"row", "2147483647"}}, "超出 Excel 的最大行号"},
		{"row past the limit", []step{{"row", "101"}}, "第 101 行仍有内容或格式"},
		{"cell without its reference", []step{{"row", "1"}, {"cell", ""}}, "缺少或写错了位置"},
		{"cell in lower case", []step{{"row", "1"}, {"cell", "a1"}}, "缺少或写错了位置"},
		{"cell with $", []step{{"row", "1"}, {"cell", "$A$1"}}, "缺少或写错了位置"},
		{"cell with a leading zero", []step{{"row", "1"}, {"cell", "A01"}}, "缺少或写错了位置"},
		{"cell out of its row", []step{{"row", "1"}, {"cell", "A2"}}, "不在它所在的第 1 行"},
		{"cells out of order", []step{{"row", "1"}, {"cell", "C1"}, {"cell", "B1"}}, "B1 出现了两次或顺序错乱"},
		{"too many cells", []step{{"row", "1"}, {"cell", "J1"}, {"end", ""}, {"row", "2"}, {"cell", "C2"}, {"end", ""}}, "单元格超过 12 个"},
		{"a good merge", []step{{"merge", "A1:C2"}, {"merge", "D4"}}, ""},
		{"a bad merge", []step{{"merge", "A1:B2:C3"}}, "合并单元格「A1:B2:C3」无效"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := NewRows("xl/worksheets/sheet2.xml", "完成情况", lim)
			var got *Refusal
			for _, s := range c.steps {
				switch s.op {
				case "row":
					got = rows.Row([]byte(s.arg), s.arg != "-")
				case "cell":
					_, got = rows.Cell([]byte(s.arg))
				case "end":
					got = rows.EndRow()
				case "merge":
					got = rows.Merge(s.arg)
				}
				if got != nil {
					break
				}
			}
			switch {
			case c.want == "" && got != nil:
				t.Errorf("refused: %s", got.Message)
			case c.want != "" && (got == nil || !strings.Contains(got.Message, c.want)):
				t.Errorf("got %v, want a refusal saying %q", got, c.want)
			case got != nil && (!strings.Contains(got.Message, "完成情况") || got.Cause == ""):
				t.Errorf("a refusal that names no sheet or has no cause: %+v", got)
			}
		})
	}
}

// TestWorkbookRules: the rules of the workbook's lists and of one cell.
func TestWorkbookRules(t *testing.T) {
	lim := DefaultLimits().WithDefaults()
	lim.MaxSheets, lim.MaxStrings, lim.MaxTextChars = 2, 3, 5
	s := NewSheets(lim)
	if s.Add("完成情况") != nil || s.Add("自评分") != nil {
		t.Fatal("two sheets refused")
	}
	if r := NewSheets(lim); r.Add("A") != nil || r.Add("a") == nil {
		t.Error("two sheets differing only in case taken")
	}
	if r := s.Add("第三张"); r == nil || !strings.Contains(r.Message, "超过 2 个") {
		t.Errorf("a third sheet: %v", r)
	}
	rels := NewRels("xl/_rels/workbook.xml.rels")
	if rels.Add("rId1") != nil || rels.Add("rId1") == nil {
		t.Error("a relationship id twice taken")
	}
	if Strings(3, lim) != nil || Strings(4, lim) == nil {
		t.Error("the shared strings' limit")
	}
	if ContentType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml") != nil ||
		ContentType("application/vnd.ms-excel.sheet.macroEnabled.main+xml") == nil {
		t.Error("content types")
	}
	for v, want := range map[string]string{"0": "scoped", " 2 ": "scoped", "-1": "workbook", "x": "refused", "": "refused"} {
		scoped, r := LocalSheetID("n", v)
		got := map[bool]string{true: "scoped", false: "workbook"}[scoped]
		if r != nil {
			got = "refused"
		}
		if got != want {
			t.Errorf("localSheetId %q: %s, want %s", v, got, want)
		}
	}
	if FieldText(Field{Field: &fieldForTest, Sheet: "完成情况", Cell: "D9"}, 5, lim) != nil {
		t.Error("five units refused")
	}
	if r := FieldText(Field{Field: &fieldForTest, Sheet: "完成情况", Cell: "D9"}, 6, lim); r == nil || r.Cell != "D9" || r.Field != fieldForTest.Name {
		t.Errorf("six units: %+v", r)
	}
	for v, ok := range map[string]bool{"0": true, " 2 ": true, "3": false, "-1": false, "": false, "x": false} {
		if _, r := SharedString(Field{Field: &fieldForTest, Sheet: "完成情况", Cell: "D9"}, v, 3); (r == nil) != ok {
			t.Errorf("shared string %q of 3: %v", v, r)
		}
	}
}

// fieldForTest is a field of the template.
var fieldForTest = func() templates.Field {
	fd, _ := templates.FieldByName(templates.FieldActualCertified)
	return fd
}()
