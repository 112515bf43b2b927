package sheets

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/layout"
	"kaohe/sheets/officetest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestHostileZipBomb: a zip bomb is refused from its directory, before
// anything is inflated: in a few milliseconds and a few hundred KB.
func TestHostileZipBomb(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(hostileDir, "zip-bomb.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if len(b) > 1<<20 || declared < 256<<20 {
		t.Fatalf("zip-bomb.xlsx: %d bytes inflating to %d: not a bomb", len(b), declared)
	}
	std := tmplTestStd(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	sub := readTest(bytes.NewReader(b), "zip-bomb.xlsx", std, Limits{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if sub.Accepted() || !strings.Contains(sub.Issues[0].Message, "压缩炸弹") {
		t.Fatalf("not refused as a zip bomb: %s", hostileIssues(sub))
	}
	// Allocation, not time, is asserted: the file itself is read once.
	if limit := uint64(len(b))*3 + 4<<20; alloc > limit {
		t.Errorf("refusing a %d-byte zip bomb allocated %d bytes (limit %d)", len(b), alloc, limit)
	}
	t.Logf("zip bomb: %d KB declaring %d MB, refused in %s after allocating %d KB", len(b)>>10, declared>>20, took, alloc>>10)
}

// TestReadTimeout: a read that does not finish in time is rejected as
// unreadable and Read returns; the read itself finishes later on its own.
func TestReadTimeout(t *testing.T) {
	h := hostileNewBase(t)
	release := make(chan struct{})
	finished := make(chan struct{})
	rd := &Reader{Standard: h.std, Limits: Limits{Timeout: time.Millisecond}, hold: func() { <-release; close(finished) }}
	sub := rd.Read(bytes.NewReader(h.filled), "slow.xlsx")
	close(release)
	<-finished
	if sub.Accepted() || len(sub.Issues) != 1 || !strings.Contains(sub.Issues[0].Message, "读取超时：1ms 内没有读完") || sub.Issues[0].File != "slow.xlsx" {
		t.Fatalf("issues:\n%s", hostileIssues(sub))
	}
	// The same file read in time is accepted.
	if sub := readTest(bytes.NewReader(h.filled), "slow.xlsx", h.std, Limits{}); !sub.Accepted() {
		t.Fatalf("issues:\n%s", hostileIssues(sub))
	}
}

// TestHostileOutputsKeepText: text from a submission that looks like a
// formula stays text in the receipt, and Fill writes such text as text and
// refuses a text longer than a cell rather than cut it.
func TestHostileOutputsKeepText(t *testing.T) {
	h := hostileNewBase(t)
	texts := []string{"=1+1", "+1", "-1", "@SUM(A1)", "\t=2", "\r=3", `=HYPERLINK("http://example.com","x")`}
	// Fill: each text goes into a text field and comes back as text.
	for _, s := range texts {
		b := h.filledWith(t, map[string]any{"contact_name": s})
		f := tmplTestOpen(t, b)
		at, _, _ := book.Resolve(f).Lookup("contact_name")
		if formula, _ := f.GetCellFormula(at.Sheet, at.Cell); formula != "" {
			t.Errorf("Fill(%q) wrote a formula %q", s, formula)
		}
		if v, _ := f.GetCellValue(at.Sheet, at.Cell); v != s {
			t.Errorf("Fill(%q) wrote %q", s, v)
		}
	}
	var buf bytes.Buffer
	template := tmplTestWrite(t, h.std, tmplTestInst(t, h.std, "省常技"))
	err := Fill(bytes.NewReader(template), &buf, map[string]any{"contact_name": strings.Repeat("x", layout.MaxChars+1)})
	if !errors.Is(err, ErrCellTooLong) || buf.Len() != 0 {
		t.Errorf("Fill of an over-long text: err %v, %d bytes written", err, buf.Len())
	}
	// Receipts: the values of the issues found in a file full of such text.
	b, err := os.ReadFile(filepath.Join(hostileDir, "formula-text-in-counts.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	sub := readTest(bytes.NewReader(b), "formula-text-in-counts.xlsx", h.std, Limits{})
	var out bytes.Buffer
	if err := WriteReceipt(&out, &Receipt{Standard: h.std, Upload: Upload{File: "=cmd|' /C calc'!A0.xlsx", Status: StatusRejected}, Submission: sub}); err != nil {
		t.Fatal(err)
	}
	f := tmplTestOpen(t, out.Bytes())
	found := map[string]bool{}
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for r, row := range rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula(sh, ref); formula != "" {
					t.Errorf("receipt %s!%s is a formula %q", sh, ref, formula)
				}
				for _, s := range append(texts, "=cmd|' /C calc'!A0.xlsx") {
					if strings.Contains(v, s) || strings.Contains(v, strings.TrimLeft(s, "\t\r")) {
						found[strings.TrimLeft(s, "\t\r")] = true
					}
				}
			}
		}
	}
	for _, s := range []string{"=1+1", "+1", "-1", "@A1", "=2", "=3", "=cmd|' /C calc'!A0.xlsx"} {
		if !found[s] && !found[s+".xlsx"] {
			if s == "@A1" { // "@A1" is the value of i4_dev_projects
				continue
			}
			t.Errorf("receipt does not show %q as text", s)
		}
	}
}

// TestSniffOLE: OLE files other than a workbook, built by hand.
func TestSniffOLE(t *testing.T) {
	std := tmplTestStd(t)
	for _, c := range []struct {
		stream, want string
	}{
		{"Workbook", "这是旧版 Excel 97-2003 工作簿（.xls 格式）"},
		{"EncryptionInfo", "工作簿设置了打开密码"},
		{"WordDocument", "这是旧版 Word 文档（.doc）"},
		{"Other", "这是旧版 Office 格式的文件（OLE 复合文档）"},
	} {
		sub := readTest(bytes.NewReader(oleFile(c.stream)), "x.xlsx", std, Limits{})
		if len(sub.Issues) != 1 || !strings.Contains(sub.Issues[0].Message, c.want) {
			t.Errorf("OLE with %s:\n%s", c.stream, hostileIssues(sub))
		}
	}
	broken := oleFile("Workbook")[:600]
	if sub := readTest(bytes.NewReader(broken), "x.xlsx", std, Limits{}); !strings.Contains(sub.Issues[0].Message, "已损坏") {
		t.Errorf("broken OLE:\n%s", hostileIssues(sub))
	}
}

// oleFile is a minimal compound file (512-byte sectors) holding one
// 4096-byte stream of the given name.
func oleFile(stream string) []byte {
	const sec = 512
	le := binary.LittleEndian
	const free, end, fatSect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
	b := make([]byte, sec*(1+1+1+8)) // header, FAT, directory, stream
	h := b[:sec]
	copy(h, oleMagic)
	le.PutUint16(h[0x18:], 0x3E)
	le.PutUint16(h[0x1A:], 3)
	le.PutUint16(h[0x1C:], 0xFFFE)
	le.PutUint16(h[0x1E:], 9) // 512-byte sectors
	le.PutUint16(h[0x20:], 6)
	le.PutUint32(h[0x2C:], 1)    // FAT sectors
	le.PutUint32(h[0x30:], 1)    // first directory sector
	le.PutUint32(h[0x38:], 4096) // mini stream cutoff
	le.PutUint32(h[0x3C:], end)  // no mini FAT
	le.PutUint32(h[0x44:], end)  // no DIFAT sectors
	le.PutUint32(h[0x4C:], 0)    // DIFAT[0]: the FAT is sector 0
	for i := 1; i < 109; i++ {
		le.PutUint32(h[0x4C+4*i:], free)
	}
	fat := b[sec : 2*sec]
	for i := 0; i < sec/4; i++ {
		le.PutUint32(fat[4*i:], free)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], end) // directory
	for i := 2; i < 10; i++ {
		next := uint32(i + 1)
		if i == 9 {
			next = end
		}
		le.PutUint32(fat[4*i:], next)
	}
	dir := b[2*sec : 3*sec]
	entry := func(i int, name string, typ byte, child uint32, start uint32, size uint64) {
		e := dir[128*i : 128*(i+1)]
		u := []rune(name)
		for k, r := range u {
			le.PutUint16(e[2*k:], uint16(r))
		}
		le.PutUint16(e[0x40:], uint16(2*(len(u)+1)))
		e[0x42] = typ
		e[0x43] = 1 // black
		le.PutUint32(e[0x44:], free)
		le.PutUint32(e[0x48:], free)
		le.PutUint32(e[0x4C:], child)
		le.PutUint32(e[0x74:], start)
		le.PutUint64(e[0x78:], size)
	}
	entry(0, "Root Entry", 5, 1, end, 0)
	entry(1, stream, 2, free, 2, 4096)
	for i := 2; i < 4; i++ {
		e := dir[128*i : 128*(i+1)]
		le.PutUint32(e[0x44:], free)
		le.PutUint32(e[0x48:], free)
		le.PutUint32(e[0x4C:], free)
	}
	return b
}

// TestTokenSurvivesLibreOffice: a template's token (a hidden name holding a
// string) is still there, and still read, after LibreOffice saves the
// workbook; Excel and WPS keep hidden names too.
func TestTokenSurvivesLibreOffice(t *testing.T) {
	std := tmplTestStd(t)
	inst := tmplTestInst(t, std, "常柴")
	token := Token([]byte("a secret of the centre"), std.Year, inst.Name)
	var b bytes.Buffer
	if err := WriteTemplateWith(&b, std, inst, TemplateOptions{Token: token}); err != nil {
		t.Fatal(err)
	}
	if sub := readTest(bytes.NewReader(b.Bytes()), "t.xlsx", std, Limits{}); sub.Token != token {
		t.Fatalf("token read back %q, want %q", sub.Token, token)
	}
	filled := readTestFillGo(t, b.Bytes(), readTestBase())
	saved := officetest.LibreOffice(t, filled, "filled.xlsx")
	sub := readTest(bytes.NewReader(saved), "filled.xlsx", std, Limits{})
	if sub.Token != token || !TokenMatches([]byte("a secret of the centre"), std.Year, inst.Name, sub.Token) {
		t.Errorf("after LibreOffice the token is %q, want %q", sub.Token, token)
	}
	if TokenMatches([]byte("another secret"), std.Year, inst.Name, sub.Token) || TokenMatches([]byte("a secret of the centre"), std.Year, "常武国家职业技能鉴定所", sub.Token) {
		t.Error("the token matches another secret or institution")
	}
}

// TestScanSheetElsewhere: a sheet whose part is not under xl/worksheets/ is
// scanned all the same (excelize reads it as a worksheet).
func TestScanSheetElsewhere(t *testing.T) {
	h := hostileNewBase(t)
	p := h.parts.clone()
	sheet := strings.Replace(string(p.get(hostileFactsPart)), "</sheetData>", `<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>`, 1)
	delete(p.parts, hostileFactsPart)
	for i, n := range p.names {
		if n == hostileFactsPart {
			p.names = append(p.names[:i], p.names[i+1:]...)
			break
		}
	}
	p.set("xl/elsewhere/facts.xml", []byte(sheet))
	rels := strings.Replace(string(p.get("xl/_rels/workbook.xml.rels")), "worksheets/sheet2.xml", "/xl/elsewhere/facts.xml", 1)
	p.set("xl/_rels/workbook.xml.rels", []byte(rels))
	sub := readTest(bytes.NewReader(p.zip(t, flate.BestSpeed)), "elsewhere.xlsx", h.std, Limits{})
	if sub.Accepted() || !strings.Contains(sub.Issues[0].Message, "第 1,048,576 行仍有内容或格式") {
		t.Errorf("issues:\n%s", hostileIssues(sub))
	}
}

// oleMagic starts every OLE compound file (a legacy .xls, an encrypted workbook).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// TestSniffNamesTheExtension: a file is described as what it is, and as
// renamed only when its extension is not its kind's (an .xls uploaded as
// .xls is not 「只是扩展名为 .xlsx」).
func TestSniffNamesTheExtension(t *testing.T) {
	std := tmplTestStd(t)
	for _, c := range []struct {
		corpus, name, want, not string
	}{
		{"legacy-xls.xlsx", "表.xls", "这是旧版 Excel 97-2003 工作簿（.xls 格式）；请用 Excel 或 WPS 打开", "只是扩展名"},
		{"legacy-xls.xlsx", "表.xlsx", "（.xls 格式），只是扩展名为 .xlsx；", ""},
		{"legacy-xls.xlsx", "表.et", "（.xls 格式）；", "只是扩展名"},
		{"ods-renamed.xlsx", "表.ods", "这是 OpenDocument 电子表格（.ods 格式）；请在 LibreOffice", "只是扩展名"},
		{"ods-renamed.xlsx", "表.XLSX", "（.ods 格式），只是扩展名为 .xlsx；", ""},
		{"csv-renamed.xlsx", "表.csv", "这是 CSV 文本文件（逗号或制表符分隔），不是 Excel 工作簿", "只是扩展名"},
		{"html-renamed.xlsx", "导出.xls", "这是网页文件（HTML，常见于业务系统“导出 Excel”），只是扩展名为 .xls，不是", ""},
		{"pdf-renamed.xlsx", "表.pdf", "这是 PDF 文件，不是 Excel 工作簿", "只是扩展名"},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "hostile", c.corpus))
		if err != nil {
			t.Fatal(err)
		}
		sub := (&Reader{Standard: std}).ReadBytes(b, c.name)
		msg := ""
		if len(sub.Issues) > 0 {
			msg = sub.Issues[0].Message
		}
		if !strings.Contains(msg, c.want) || c.not != "" && strings.Contains(msg, c.not) {
			t.Errorf("%s as %s: %q, want %q", c.corpus, c.name, msg, c.want)
		}
	}
}

// TestReadAmbiguities: a workbook that two programs would read differently
// is refused (a field cell with two values, a defined name of workbook
// scope defined twice), and fields on a hidden sheet are read with a
// warning, never resolved silently; the fast path and excelize's say the
// same (fastTestRead).
func TestReadAmbiguities(t *testing.T) {
	std := tmplTestStd(t)
	filled := func() []byte {
		var buf bytes.Buffer
		if err := Fill(bytes.NewReader(tmplTestWrite(t, std, tmplTestInst(t, std, "常柴"))), &buf, map[string]any{
			"actual_appraised": 1300, "actual_certified": 1100, "actual_passed": 1000, "actual_unified_exam": 0, "actual_high_skill": 120,
		}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	const sheet2 = "xl/worksheets/sheet2.xml" // 完成情况
	cell := `<c r="D9"([^>]*?)( t="[a-z]+")?>(<v>[^<]*</v>)?</c>`
	for _, c := range []struct {
		name     string
		data     []byte
		accepted bool
		want     []string // in one issue's String()
	}{
		{"two values in a field cell", fastTestEditPart(t, filled, sheet2, cell, `<c r="D9"$1><v>1</v><v>9999</v></c>`), false,
			[]string{"完成情况!D9", "两个值（<v>）", "重新填写这个单元格"}},
		{"two inline strings in a field cell", fastTestEditPart(t, filled, sheet2, cell, `<c r="D9"$1 t="inlineStr"><is><t>1</t></is><is><t>9999</t></is></c>`), false,
			[]string{"完成情况!D9", "两个值（<is>）"}},
		{"a name of workbook scope defined twice", fastTestEditPart(t, filled, "xl/workbook.xml", `</definedNames>`,
			`<definedName name="ACTUAL_APPRAISED">'完成情况'!$D$20</definedName></definedNames>`), false,
			[]string{"定义名称「ACTUAL_APPRAISED」出现了两次", "重新填写"}},
		{"a name defined again in a sheet's scope", fastTestEditPart(t, filled, "xl/workbook.xml", `</definedNames>`,
			`<definedName name="actual_appraised" localSheetId="0">'完成情况'!$D$20</definedName></definedNames>`), true, nil},
		{"fields on a very hidden sheet", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheet name="完成情况"`, `<sheet state="veryHidden" name="完成情况"`), true,
			[]string{"提醒", "工作表「完成情况」被设为“深度隐藏”（veryHidden）", "填表人看到的可能不是评分用的内容"}},
		{"fields on a hidden sheet", fastTestEditPart(t, filled, "xl/workbook.xml", `<sheet name="完成情况"`, `<sheet state="hidden" name="完成情况"`), true,
			[]string{"工作表「完成情况」是隐藏的", "取消隐藏"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fastTestRead(t, std, c.data)
			for _, slow := range []bool{false, true} {
				sub := (&Reader{Standard: std, Slow: slow}).Read(bytes.NewReader(c.data), "x.xlsx")
				if sub.Accepted() != c.accepted {
					t.Errorf("slow=%v: accepted = %v, want %v:\n%s", slow, sub.Accepted(), c.accepted, hostileIssues(sub))
				}
				if c.want == nil {
					continue
				}
				found := false
				for _, is := range sub.Issues {
					line := string(is.Severity) + " " + is.String()
					ok := true
					for _, w := range c.want {
						ok = ok && strings.Contains(line, w)
					}
					found = found || ok
				}
				if !found {
					t.Errorf("slow=%v: no issue says %q:\n%s", slow, c.want, hostileIssues(sub))
				}
			}
		})
	}
}
