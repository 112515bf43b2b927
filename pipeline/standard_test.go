package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets"
	"kaohe/sheets/officetest"
	"kaohe/templates"
)

// stdSeed is the seed's 附件2 typed as the seed shows it (made by the
// generator in sheets/allocation_test.go): the title on rows 1–2, the
// header on rows 3–4, 全市目标数 on row 5, 常柴 … 常工院 on rows 6–37.
const stdSeed = "../sheets/testdata/allocation-2013.xlsx"

// stdWorkbook writes a copy of the seed workbook changed by edit into dir.
func stdWorkbook(t *testing.T, dir string, edit func(f *excelize.File)) string {
	t.Helper()
	f, err := excelize.OpenFile(stdSeed)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if edit != nil {
		edit(f)
	}
	p := filepath.Join(dir, "附件2.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func set(cells ...string) func(f *excelize.File) {
	return func(f *excelize.File) {
		for i := 0; i < len(cells); i += 2 {
			f.SetCellStr("附件2", cells[i], cells[i+1])
		}
	}
}

// TestNewStandardBadInput: each bad input gives its message in Chinese,
// naming the cell, and nothing is written.
func TestNewStandardBadInput(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(f *excelize.File)
		place string // the cell the error names ("" for none)
		want  string // the error as people see it (Issue.String)
	}{
		{"empty institution name", set("A9", ""), "附件2!A9",
			"附件2!A9「鉴定机构」: 鉴定机构名称为空；请填写名称，或删去这一行"},
		{"duplicate institution name", set("A14", "常柴国家职业技能鉴定所"), "附件2!A14",
			"附件2!A14「鉴定机构」: 鉴定机构「常柴国家职业技能鉴定所」与附件2!A6重复；每个鉴定机构只能有一行"},
		{"a name duplicated after spaces and a line break", set("A14", " 常柴国家职业\n技能鉴定所 "), "附件2!A14",
			"鉴定机构「常柴国家职业技能鉴定所」与附件2!A6重复"},
		{"not a number", set("C9", "一千六"), "附件2!C9",
			"附件2!C9「职业资格取证人数」: 「一千六」不是数字；应填写人数，如 1200，没有请留空"},
		{"a number with its unit", set("B9", "1800人"), "附件2!B9",
			"附件2!B9「职业技能鉴定人数」: 「1800人」不是数字；应填写人数，如 1200，没有请留空"},
		{"negative number", set("E9", "-300"), "附件2!E9",
			"附件2!E9「新增高技能人才取证数」: 「-300」是负数；目标人数不能为负"},
		{"negative number stored as a number", func(f *excelize.File) { f.SetCellInt("附件2", "D9", -80) }, "附件2!D9",
			"附件2!D9「全国(省)统考人数」: 「-80」是负数；目标人数不能为负"},
		{"a fraction", func(f *excelize.File) { f.SetCellFloat("附件2", "D11", 12.5, -1, 64) }, "附件2!D11",
			"附件2!D11「全国(省)统考人数」: 「12.5」不是整数；目标人数应为整数，如 1200"},
		{"bad 全市目标数", set("B5", "七万五"), "附件2!B5",
			"附件2!B5「全市目标数 职业技能鉴定人数」: 「七万五」不是数字"},
		{"a column not found", set("D3", "其他", "D4", "备注"), "附件2!A3",
			"附件2!A3: 表头（第 3–4 行）中找不到「全国(省)统考人数」列；表头中有：A「鉴定机构」、B「日常职业技能鉴定 / 职业技能鉴定人数」、C「日常职业技能鉴定 / 职业资格取证人数」、E「新增高技能人才取证数（不含统考）」、D「其他 / 备注」。请让表头写明这些列"},
		{"two columns alike", set("F3", "职业技能鉴定人数（上年）"), "附件2!F4",
			"B 列和 F 列都像是「职业技能鉴定人数」列；请只留一列，或把表头写清楚"},
		{"a blank row inside the table", func(f *excelize.File) { f.InsertRows("附件2", 20, 1) }, "附件2!A20",
			"附件2!A20: 第 20 行是空行，表在这里就结束了，但下面第 21 行还有鉴定机构（「常溧国家职业技能鉴定所」）；请删去空行后重试"},
		{"two 全市目标数 rows", set("A38", "全市目标数", "B38", "1"), "附件2!A38",
			"又一个「全市目标数」行（第一个在 附件2!A5）；请只留一行"},
		{"no institutions", func(f *excelize.File) {
			for range 32 {
				f.RemoveRow("附件2", 6)
			}
		}, "附件2!A5", "表头（第 3–4 行）下面没有鉴定机构"},
		{"no header", set("A3", "单位"), "", "没有找到附件2的表头"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "标准2014")
			res, err := NewStandard(NewStandardOptions{Year: 2014, Allocation: stdWorkbook(t, dir, c.edit), Out: out})
			if !errors.Is(err, ErrAllocation) || !strings.Contains(err.Error(), "什么都没有写出") {
				t.Fatalf("err = %v, want ErrAllocation", err)
			}
			var found *sheets.Issue
			for i, is := range res.Issues {
				if is.Severity == sheets.Error && strings.Contains(is.String(), c.want) {
					found = &res.Issues[i]
				}
			}
			if found == nil {
				t.Fatalf("issues %q, want an error containing %q", res.Issues, c.want)
			}
			if found.Place() != c.place || found.File != "附件2.xlsx" {
				t.Errorf("the error is at %q in %q, want %q", found.Place(), found.File, c.place)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was made: %v", out, err)
			}
		})
	}
}

// TestNewStandardWrites: a good workbook is written, with its warnings;
// the same again does not replace it, Replace does, and a failed write
// leaves no temporary files.
func TestNewStandardWrites(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "标准2014")
	opt := NewStandardOptions{Year: 2014, Allocation: stdWorkbook(t, dir, nil), Out: out}
	res, err := NewStandard(opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(out, templates.AllocationFile), filepath.Join(out, templates.RulesFile)}
	if strings.Join(res.Written, ",") != strings.Join(want, ",") {
		t.Errorf("written %q", res.Written)
	}
	if len(res.Notices) != 5 || !strings.HasPrefix(res.Notices[0], "附件2!C17「职业资格取证人数」: 「常武国家职业技能鉴定所」取证目标 400") ||
		!strings.HasPrefix(res.Notices[1], "附件2!B5「职业技能鉴定人数」: 各鉴定机构合计 54840，比全市目标数 75000 少 20160") {
		t.Errorf("notices %q", res.Notices)
	}
	std, _, err := templates.LoadDir(out)
	if err != nil || std.Year != 2014 || len(std.Institutions) != 32 || std.CityTargets.Appraised != 75000 {
		t.Fatalf("loading what was written: %v %+v", err, std)
	}

	// Again, with the workbook changed: refused, the files as they were.
	before, _ := os.ReadFile(want[0])
	opt.Allocation = stdWorkbook(t, dir, set("B6", "130"))
	if _, err := NewStandard(opt); !errors.Is(err, templates.ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if after, _ := os.ReadFile(want[0]); string(after) != string(before) {
		t.Error("allocation.csv was replaced")
	}
	opt.Replace = true
	if _, err := NewStandard(opt); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(want[0]); !strings.Contains(string(after), "常柴国家职业技能鉴定所,130,100,,100") {
		t.Errorf("allocation.csv not replaced:\n%s", after)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("%s holds %d files, want the 2", out, len(entries))
	}
}

// TestNewStandardSeedWorkbooks: 附件2 typed as the seed shows it, and the
// same saved by LibreOffice, give the built-in 2013 allocation.csv, byte for
// byte, and rules.toml with only the year changed.
func TestNewStandardSeedWorkbooks(t *testing.T) {
	sub, err := templates.FS(2013)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fs.ReadFile(sub, templates.AllocationFile)
	check := func(t *testing.T, workbook string) {
		out := filepath.Join(t.TempDir(), "标准2014")
		res, err := NewStandard(NewStandardOptions{Year: 2014, Allocation: workbook, Out: out})
		if err != nil {
			t.Fatalf("%v: %q", err, res.Issues)
		}
		got, err := os.ReadFile(filepath.Join(out, templates.AllocationFile))
		if err != nil || string(got) != string(want) {
			t.Errorf("allocation.csv (%v):\n%s\nwant\n%s", err, got, want)
		}
		if !res.Changes.Empty() {
			t.Errorf("changes from 2013: %+v", res.Changes)
		}
	}
	t.Run("typed as the seed", func(t *testing.T) { check(t, stdSeed) })
	t.Run("saved by LibreOffice", func(t *testing.T) {
		dir := t.TempDir()
		in := stdWorkbook(t, dir, nil)
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		saved := filepath.Join(dir, "lo-"+filepath.Base(in))
		if err := os.WriteFile(saved, officetest.LibreOffice(t, b, filepath.Base(in)), 0o644); err != nil {
			t.Fatal(err)
		}
		check(t, saved)
	})
}
