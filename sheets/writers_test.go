package sheets

// The writers corpus (testdata/writers): valid filled self-assessment
// workbooks as each program an institution may use saves them (excelize,
// openpyxl, LibreOffice, Gnumeric, and Excel and WPS as modelled by package
// writers). TestWritersCorpus reads each with and without the fast path
// and checks both say the same and the right thing, and which files the
// fast path answers for. TestWritersRegenerate remakes the corpus and its
// README.md (KAOHE_REGEN_WRITERS=1 go test ./sheets -run
// TestWritersRegenerate; it needs python3-openpyxl, soffice and ssconvert).

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/check"
	fastreader "kaohe/sheets/internal/fast"
	"kaohe/sheets/writers"
	"kaohe/templates"
)

// writersDir holds the corpus.
const writersDir = "testdata/writers"

// writersSecret signs the tokens of the corpus's templates.
const writersSecret = "kaohe writers corpus"

// writersCase is one file of the corpus: readTestExamples[ex] filled and
// saved by writer.
type writersCase struct {
	file   string
	writer writers.Writer
	ex     int  // the example (readTestExamples) filled in
	token  bool // the template carries a token (TemplateOptions.Token)
	// inLO: filled in LibreOffice itself (writers.FillWithLibreOffice),
	// not re-saved.
	inLO bool
}

var writersCases = []writersCase{
	{file: "excelize-changchai.xlsx", writer: writers.Excelize, ex: 0},
	{file: "excelize-shengchangji-token.xlsx", writer: writers.Excelize, ex: 1, token: true},
	{file: "openpyxl-shengchangji.xlsx", writer: writers.OpenPyXL, ex: 1},
	{file: "openpyxl-changwu-token.xlsx", writer: writers.OpenPyXL, ex: 2, token: true},
	{file: "libreoffice-shengchangji-token.xlsx", writer: writers.LibreOffice, ex: 1, token: true},
	{file: "libreoffice-changtan.xlsx", writer: writers.LibreOffice, ex: 3},
	{file: "libreoffice-filled-changchai.xlsx", writer: writers.LibreOffice, ex: 0, inLO: true},
	{file: "gnumeric-shengchangji-token.xlsx", writer: writers.Gnumeric, ex: 1, token: true},
	{file: "gnumeric-changwu.xlsx", writer: writers.Gnumeric, ex: 2},
	{file: "excel-shengchangji-token.xlsx", writer: writers.Excel, ex: 1, token: true},
	{file: "excel-changtan.xlsx", writer: writers.Excel, ex: 3},
	{file: "wps-changwu-token.xlsx", writer: writers.WPS, ex: 2, token: true},
}

// fastFallsBack lists the corpus files the fast reader gives to excelize,
// and why; it is empty: the fast reader reads what every writer writes.
// (Before it knew namespaces and the CR LF Excel and WPS write after the
// XML declaration, it gave openpyxl's, Excel's and WPS's to excelize.)
var fastFallsBack = map[string]string{}

// writersRead reads data with the fast reader and without it, and reports
// whether the fast reader answered.
func writersRead(std *templates.Standard, data []byte, file string) (fast, slow *Submission, answered bool) {
	lim := DefaultLimits().WithDefaults()
	if pkg, no := check.Sniff(data, file, lim); no == nil {
		answered = fastreader.Open(pkg, lim) != nil
	}
	fast = (&Reader{Standard: std}).ReadBytes(data, file)
	slow = (&Reader{Standard: std, Slow: true}).ReadBytes(data, file)
	return fast, slow, answered
}

func TestWritersCorpus(t *testing.T) {
	std := tmplTestStd(t)
	seen := map[string]bool{}
	for _, c := range writersCases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(writersDir, c.file))
			if err != nil {
				t.Fatalf("%v (KAOHE_REGEN_WRITERS=1 go test ./sheets -run TestWritersRegenerate remakes the corpus)", err)
			}
			ex := readTestExamples[c.ex]
			fast, slow, answered := writersRead(std, b, c.file)
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("Read differs with the fast path:\n fast %+v\n slow %+v", fast, slow)
			}
			readTestCheckExample(t, std, ex, b, c.file) // accepted, with the example's facts and scores
			want := ""
			if c.token {
				want = Token([]byte(writersSecret), std.Year, tmplTestInst(t, std, ex.short).Name)
			}
			if fast.Token != want {
				t.Errorf("token %q, want %q", fast.Token, want)
			}
			why, fallsBack := fastFallsBack[c.file]
			switch {
			case answered && fallsBack:
				t.Errorf("the fast path now answers for this %s workbook: take it off fastFallsBack (%s)", c.writer, why)
			case !answered && !fallsBack:
				t.Errorf("the fast path gives this %s workbook to excelize", c.writer)
			}
			t.Logf("%s (%s): fast path answers: %v", c.file, c.writer, answered)
		})
	}
	des, _ := os.ReadDir(writersDir)
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".xlsx") && !seen[de.Name()] {
			t.Errorf("%s/%s has no case in writersCases", writersDir, de.Name())
		}
	}
	for file := range fastFallsBack {
		if !seen[file] {
			t.Errorf("fastFallsBack lists %s, not in the corpus", file)
		}
	}
	// Every writer is in the corpus.
	for _, w := range writers.All {
		if !slices.ContainsFunc(writersCases, func(c writersCase) bool { return c.writer == w }) {
			t.Errorf("no %s workbook in the corpus", w)
		}
	}
}

// TestWritersGnumericNames pins down what ssconvert does to the defined
// names (the evidence kept in testdata/writers/README.md): it keeps every
// workbook-scope name and the hidden token but drops the names' comments,
// and writes the print titles as an ordinary sheet-scope name Print_Titles
// and a print area of #REF! for each sheet. None of that touches the
// template contract (the fields' workbook-scope names).
func TestWritersGnumericNames(t *testing.T) {
	for _, c := range writersCases {
		if c.writer != writers.Gnumeric {
			continue
		}
		t.Run(c.file, func(t *testing.T) {
			f := tmplTestOpen(t, readTestMust(os.ReadFile(filepath.Join(writersDir, c.file))))
			var scoped []string
			for _, dn := range f.GetDefinedName() {
				if dn.Comment != "" {
					t.Errorf("%s keeps its comment %q", dn.Name, dn.Comment)
				}
				if dn.Scope != book.WorkbookScope {
					scoped = append(scoped, dn.Name+"="+dn.RefersTo)
				}
			}
			sort.Strings(scoped)
			want := []string{"Print_Titles=自评分!$3:$3", "_xlnm.Print_Area=#REF!", "_xlnm.Print_Area=#REF!", "_xlnm.Print_Area=#REF!",
				`_xlnm.Sheet_Title="填表说明"`, `_xlnm.Sheet_Title="完成情况"`, `_xlnm.Sheet_Title="自评分"`}
			if !slices.Equal(scoped, want) {
				t.Errorf("sheet-scope names\n %q\nwant\n %q", scoped, want)
			}
		})
	}
}

// TestWritersRegenerate remakes testdata/writers when KAOHE_REGEN_WRITERS=1.
func TestWritersRegenerate(t *testing.T) {
	if os.Getenv("KAOHE_REGEN_WRITERS") == "" {
		t.Skip("set KAOHE_REGEN_WRITERS=1 to regenerate testdata/writers")
	}
	std := tmplTestStd(t)
	dir := t.TempDir()
	ctx := context.Background()
	opt := writers.Options{Nice: 10, Workers: runtime.GOMAXPROCS(0)}
	jobs := map[writers.Writer][]writers.Job{}
	for _, c := range writersCases {
		ex := readTestExamples[c.ex]
		inst := tmplTestInst(t, std, ex.short)
		var tmpl bytes.Buffer
		var to TemplateOptions
		if c.token {
			to.Token = Token([]byte(writersSecret), std.Year, inst.Name)
		}
		if err := WriteTemplateWith(&tmpl, std, inst, to); err != nil {
			t.Fatal(err)
		}
		j := writers.Job{
			Template: filepath.Join(dir, c.file+".template.xlsx"),
			Filled:   filepath.Join(dir, c.file+".filled.xlsx"),
			Values:   ex.values,
			Out:      filepath.Join(dir, c.file),
		}
		if err := os.WriteFile(j.Template, tmpl.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(j.Filled, readTestFillGo(t, tmpl.Bytes(), ex.values), 0o644); err != nil {
			t.Fatal(err)
		}
		if c.inLO {
			if err := writers.FillWithLibreOffice(ctx, j.Template, j.Out, ex.values, opt); err != nil {
				t.Fatal(err)
			}
			continue
		}
		jobs[c.writer] = append(jobs[c.writer], j)
	}
	for _, w := range writers.All {
		if err := writers.Write(ctx, w, jobs[w], opt); err != nil {
			t.Fatalf("%s: %v", w, err)
		}
	}
	if err := os.MkdirAll(writersDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(writersDir, "*.xlsx"))
	for _, p := range old {
		os.Remove(p)
	}
	var rows strings.Builder
	for _, c := range writersCases {
		b := readTestMust(os.ReadFile(filepath.Join(dir, c.file)))
		if err := os.WriteFile(filepath.Join(writersDir, c.file), b, 0o644); err != nil {
			t.Fatal(err)
		}
		how := map[writers.Writer]string{
			writers.Excelize:    "`sheets.Fill` on the template",
			writers.OpenPyXL:    "`sheets/writers/fill.py` (openpyxl) fills the template by its defined names",
			writers.LibreOffice: "`soffice --headless --convert-to xlsx` of the excelize-filled workbook",
			writers.Gnumeric:    "`ssconvert` of the excelize-filled workbook",
			writers.Excel:       "the excelize-filled workbook as Excel 2016+/365 spells it (`writers.Rewrite`)",
			writers.WPS:         "the excelize-filled workbook as WPS spells it (`writers.Rewrite`)",
		}[c.writer]
		if c.inLO {
			how = "filled in LibreOffice itself: a Basic macro (`sheets/writers/fill.xba`) types the values into the named cells and saves"
		}
		token := ""
		if c.token {
			token = "yes"
		}
		fmt.Fprintf(&rows, "| `%s` | %s | %s | %s | %s | %.1f KB |\n", c.file, writers.Version(ctx, c.writer, opt), how,
			readTestExamples[c.ex].short, token, float64(len(b))/1000)
	}
	readme := strings.Replace(writersReadme, "<!-- files -->\n", rows.String(), 1)
	if err := os.WriteFile(filepath.Join(writersDir, "README.md"), []byte(readme), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writersReadme is testdata/writers/README.md; the table of files is made
// by TestWritersRegenerate.
const writersReadme = "# The writers corpus\n\n" +
	"Valid, filled self-assessment workbooks (自评表) as the programs an institution may use save them. " +
	"Each is one of the worked examples of `readTestExamples` (sheets/fields_test.go: full-width digits, " +
	"`4,800` and `25，000` as text, 是/否 as Y/yes/true/no, blank optional counts, a fractional self-score) " +
	"typed into its institution's template; `sheets/writers_test.go` reads each with and without the fast path " +
	"(the same Submission, accepted, with the example's facts and scores, the template's token kept) and lists " +
	"those the fast path gives to excelize (`fastFallsBack`; none: the fast reader reads what every one of them writes).\n\n" +
	"Remake it (python3-openpyxl, LibreOffice and Gnumeric's ssconvert installed) with\n\n" +
	"    KAOHE_REGEN_WRITERS=1 go test ./sheets -run TestWritersRegenerate\n\n" +
	"| file | written by | how | example | token | size |\n|---|---|---|---|---|---:|\n" +
	"<!-- files -->\n" +
	"\n## Excel and WPS are modelled\n\n" +
	"Neither runs on this machine. `excel-*` and `wps-*` are the excelize-filled workbook with every part " +
	"rewritten the way those programs write it (package `kaohe/sheets/writers`, `rewrite.go`), copied from " +
	"workbooks they saved:\n\n" +
	"- Excel 2016+/365 (AppVersion 16.0300): `testdocs/file_with_hyperlinks.xlsx` and `testdocs/color_stylesheet.xlsx` " +
	"(Windows Excel) of github.com/tealeg/xlsx, `test/SharedStrings.xlsx` (Mac Excel) of github.com/xuri/excelize; " +
	"the workbook's calcFeatures extension as published Excel 365 output shows it. What they write and excelize does " +
	"not: `standalone=\"yes\"` and CR LF after every declaration; `xmlns:mc`, `mc:Ignorable=\"x14ac xr xr2 xr3\"`, " +
	"`xmlns:x14ac`, `xmlns:xr…` and `xr:uid` on worksheets; `mc:Ignorable=\"x15 xr xr6 xr10 xr2\"` on the workbook with " +
	"`<mc:AlternateContent>`/`x15ac:absPath`, `<xr:revisionPtr>`, `xr2:uid` on the workbook view and an `<extLst>`; " +
	"`spans` and `x14ac:dyDescent` on rows; `xr:uid` on data validations; `<phoneticPr>` in sheets and shared strings " +
	"(an East Asian install); `x14ac:knownFonts` and an `<extLst>` in the styles; booleans as 1/0; self-closed empty " +
	"elements; defined names sorted, their Chinese sheet names unquoted; parts in Excel's zip order, dated 1980-01-01, " +
	"without data descriptors. The XlsxWriter comparison files (github.com/jmcnamara/XlsxWriter, " +
	"`xlsxwriter/test/comparison/xlsx_files`) were looked at first: all 988 were saved by Excel 2007 " +
	"(`lastEdited=\"4\"`), without any of the 2010+ extensions.\n" +
	"- WPS Office: `testdocs/wpsBlankLineTest.xlsx` of github.com/tealeg/xlsx (WPS Office 个人版 9.1.0.4468, 2014) " +
	"and published code that imitates WPS 12.1 output (KSOProductBuildVer 2052-12.1.0.x): CR LF after the " +
	"declaration, `xmlns:xdr`, `xmlns:x14`, `xmlns:mc` and `xmlns:etc` (WPS's etCustomData) on worksheets, " +
	"`<sheetPr/>`, `fileVersion lastEdited=\"3\" lowestEdited=\"5\"`, the calcFeatures extension, " +
	"`docProps/custom.xml` with KSOProductBuildVer and ICV, parts in WPS's zip order.\n" +
	"\n## Gnumeric and the template contract\n\n" +
	"ssconvert keeps every workbook-scope defined name and the hidden token name, so the contract holds. It does " +
	"change other names (pinned down by `TestWritersGnumericNames`): it drops every name's comment (the field " +
	"labels kaohe writes there), writes the print titles `_xlnm.Print_Titles` as an ordinary sheet-scope name " +
	"`Print_Titles`, adds `_xlnm.Print_Area` = `#REF!` and `_xlnm.Sheet_Title` for each sheet, and writes the " +
	"workbook's sheet protection with fewer options. Cells' text becomes inline strings, numbers are written with 21 significant digits (29.3 as `29.2999999999999999993`; the reader rounds to 15, as Excel shows them) and the XML is indented.\n"
