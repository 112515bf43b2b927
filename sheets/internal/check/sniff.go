package check

// Sniffing: what an upload really is, whatever its name says, decided from
// its bytes before excelize sees them. Each kind of file that is not a
// workbook kaohe can read gets one Chinese message that says what the file
// is and what to do, and an English cause for the log:
//
//   - an empty file, a half-uploaded or truncated zip;
//   - CSV, text, HTML, XML Spreadsheet 2003, PDF, pictures and archives
//     renamed .xlsx;
//   - an OLE compound file: a legacy .xls (or .et), a password-protected
//     workbook (EncryptionInfo and EncryptedPackage streams: excelize only
//     says "zip: not a valid zip file"), another legacy Office file;
//   - a zip that is no workbook: OpenDocument (.ods), Word, PowerPoint, a
//     binary workbook (.xlsb), any other zip;
//   - a workbook with macros (.xlsm, vbaProject.bin, Excel 4.0 macro
//     sheets), refused: macros are not accepted;
//   - a zip whose directory promises more than the limits (a zip bomb), with
//     too many parts, duplicate or encrypted parts, or forged sizes.
//
// Only the zip's central directory and, for an OpenDocument file, its
// 100-byte mimetype part are looked at here; scan.go then reads the XML
// parts the reader relies on, each through a bounded inflater.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"kaohe/sheets/internal/ooxml"
	"kaohe/sheets/internal/text"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"
)

// Magic numbers.
var (
	sniffOLE  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	sniffPK   = []byte("PK")
	sniffPDF  = []byte("%PDF-")
	sniffPNG  = []byte("\x89PNG\r\n\x1a\n")
	sniffJPEG = []byte{0xFF, 0xD8, 0xFF}
	sniffGIF  = []byte("GIF8")
	sniffRAR  = []byte("Rar!\x1a\x07")
	sniff7z   = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}
	sniffGzip = []byte{0x1F, 0x8B}
)

// sniffMaxRatio is the largest compression ratio deflate can reach (about
// 1032:1) with a margin: a directory entry claiming more is forged.
const sniffMaxRatio = 1100

// sniffBombRatio is the ratio above which a workbook too large when
// unzipped is called a zip bomb rather than merely too large.
const sniffBombRatio = 100

// Messages shared by several kinds.
const (
	Resave  = "请用 Excel、WPS 或 LibreOffice 打开后另存为 .xlsx（Excel 工作簿）格式再上传"
	useOurs = "请在市中心下发的 .xlsx 自评表中填写，保存后上传工作簿文件本身"
)

// Refusal is why an upload is refused: Message for people (Chinese, with
// what to do), Cause for the log (English); the place when there is one.
type Refusal struct {
	Sheet, Cell  string // e.g. 完成情况, C5
	Field, Label string // the field's defined name and label
	Message      string
	Cause        string
}

// Error is the cause, for the log.
func (r *Refusal) Error() string { return r.Cause }

// sniffer knows the uploaded file's extension (lower case, with its dot).
type sniffer struct{ ext string }

// named is what a message adds when the file's extension is none of its
// kind's (real): "，只是扩展名为 .xlsx".
func (s sniffer) named(real ...string) string {
	if s.ext == "" || slices.Contains(real, s.ext) {
		return ""
	}
	return "，只是扩展名为 " + s.ext
}

// refuse is a refusal of the whole file: msg for people, cause for the log.
func refuse(msg, cause string) *Refusal {
	return &Refusal{Message: msg, Cause: cause}
}

// Sniff tells what data, uploaded as name, is. It returns the refusal, or
// the package of a file that looks like an Office Open XML workbook (its
// parts are checked by Scan, or by the fast reader asking the same rules).
// A refusal says what the file is, and that only its name says .xlsx when
// its extension is not the one its kind has.
func Sniff(data []byte, name string, lim Limits) (*ooxml.Package, *Refusal) {
	s := sniffer{ext: strings.ToLower(path.Ext(name))}
	switch {
	case len(data) == 0:
		return nil, refuse("文件是空的（0 字节），可能上传没有完成；请重新上传填好的自评表", "empty file")
	case bytes.HasPrefix(data, sniffOLE):
		return nil, s.compound(data)
	case bytes.HasPrefix(data, sniffPDF):
		return nil, refuse("这是 PDF 文件"+s.named(".pdf")+"，不是 Excel 工作簿；请上传填好的 .xlsx 自评表本身，不要上传打印或导出的 PDF",
			"PDF document")
	case bytes.HasPrefix(data, sniffPNG), bytes.HasPrefix(data, sniffJPEG), bytes.HasPrefix(data, sniffGIF):
		return nil, refuse("这是图片，不是 Excel 工作簿；请上传填好的 .xlsx 自评表本身，不要上传截图或照片", "image file")
	case bytes.HasPrefix(data, sniffRAR), bytes.HasPrefix(data, sniff7z), bytes.HasPrefix(data, sniffGzip):
		return nil, refuse("这是压缩包（RAR、7z 或 gzip），不是 Excel 工作簿；请直接上传 .xlsx 自评表，不要压缩", "RAR, 7z or gzip archive")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if bytes.HasPrefix(data, sniffPK) {
			return nil, refuse("文件不完整或已损坏（像是没有上传完的 .xlsx）；请重新上传。上传前可先用 Excel 或 WPS 打开确认文件正常",
				fmt.Sprintf("truncated or corrupt zip (%d bytes): %v", len(data), err))
		}
		if is := s.text(data); is != nil {
			return nil, is
		}
		return nil, refuse("无法识别的文件格式，不是 Excel 工作簿（.xlsx）；"+Resave,
			fmt.Sprintf("unknown format, first bytes %q", data[:min(len(data), 16)]))
	}
	p := ooxml.NewPackage(data, zr)
	if r := s.zip(p, lim); r != nil {
		return nil, r
	}
	return p, nil
}

// sniffCompound names an OLE compound file by its streams.
func (s sniffer) compound(data []byte) *Refusal {
	doc, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return refuse("这是旧版 Office 格式的文件，但已损坏，无法读取；"+Resave, fmt.Sprintf("corrupt OLE compound file: %v", err))
	}
	streams := map[string]bool{}
	for i := 0; i < 10000; i++ {
		e, err := doc.Next()
		if err != nil {
			break
		}
		streams[strings.ToLower(e.Name)] = true
	}
	switch {
	case streams["encryptioninfo"] || streams["encryptedpackage"]:
		return refuse("工作簿设置了打开密码（文件已加密），无法读取；请在 Excel 或 WPS 中取消打开密码"+
			"（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码；WPS：文件 → 文档加密 → 密码加密，清空密码）后保存再上传。"+
			"工作表保护不影响读取，不必取消",
			"OLE compound file with EncryptionInfo/EncryptedPackage streams: a password-protected workbook")
	case streams["workbook"] || streams["book"]:
		return refuse("这是旧版 Excel 97-2003 工作簿（.xls 格式）"+s.named(".xls", ".et")+"；请用 Excel 或 WPS 打开后「另存为」Excel 工作簿（.xlsx）再上传",
			"OLE compound file with a Workbook stream: legacy .xls (BIFF)")
	case streams["worddocument"]:
		return refuse("这是旧版 Word 文档（.doc），不是 Excel 工作簿；"+useOurs, "OLE compound file with a WordDocument stream: legacy .doc")
	}
	return refuse("这是旧版 Office 格式的文件（OLE 复合文档），不是 .xlsx 工作簿；"+Resave,
		fmt.Sprintf("OLE compound file without a workbook stream (%d streams)", len(streams)))
}

// sniffText names a text file: CSV, HTML, XML, plain text; nil when data
// does not look like text.
func (s sniffer) text(data []byte) *Refusal {
	head := data[:min(len(data), 8192)]
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		head = head[3:]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return refuse("这是 Unicode 文本文件（如“另存为 Unicode 文本”得到的）"+s.named(".txt")+"，不是 Excel 工作簿；"+useOurs,
			"UTF-16 text")
	}
	bad := 0
	for _, b := range head {
		if b == 0 || (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f') {
			bad++
		}
	}
	if len(head) == 0 || bad*50 > len(head) {
		return nil
	}
	low := strings.ToLower(strings.TrimSpace(string(head)))
	switch {
	case strings.Contains(low, "urn:schemas-microsoft-com:office:spreadsheet"):
		return refuse("这是「XML 电子表格 2003」格式的文件"+s.named(".xml")+"；"+Resave, "XML Spreadsheet 2003")
	case strings.HasPrefix(low, "<!doctype html") || strings.Contains(low, "<html") || strings.Contains(low, "<table"):
		return refuse("这是网页文件（HTML，常见于业务系统“导出 Excel”）"+s.named(".html", ".htm")+"，不是 Excel 工作簿；"+useOurs, "HTML")
	case strings.HasPrefix(low, "<"):
		return refuse("这是 XML 文本文件"+s.named(".xml")+"，不是 Excel 工作簿；"+useOurs, "XML text")
	}
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	sep := 0
	for _, l := range lines {
		if strings.ContainsAny(l, ",\t;") {
			sep++
		}
	}
	if sep*2 >= len(lines) && sep > 0 {
		return refuse("这是 CSV 文本文件（逗号或制表符分隔）"+s.named(".csv", ".txt")+"，不是 Excel 工作簿；"+useOurs+"，不要另存为 CSV",
			"CSV text renamed .xlsx")
	}
	what := "这是文本文件"
	if !utf8.Valid(head) {
		what = "这是文本文件（非 UTF-8 编码）"
	}
	return refuse(what+s.named(".txt")+"，不是 Excel 工作簿；"+useOurs, "plain text")
}

// sniffZip checks a zip's directory: what kind of package it is, then its
// sizes, before anything is inflated.
func (s sniffer) zip(p *ooxml.Package, lim Limits) *Refusal {
	zr := p.Zip
	if len(zr.File) == 0 {
		return refuse("这是一个空的 ZIP 压缩包，不是 Excel 工作簿；"+useOurs, "empty zip")
	}
	if len(zr.File) > lim.MaxParts {
		return refuse(fmt.Sprintf("文件中有 %d 个部件，超过上限 %d，不像是自评表（正常约 12 个）；%s", len(zr.File), lim.MaxParts, useOurs),
			fmt.Sprintf("zip with %d entries, limit %d", len(zr.File), lim.MaxParts))
	}
	seen := map[string]bool{}
	for _, f := range zr.File {
		n := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		if seen[n] {
			return refuse("文件已损坏：其中的部件「"+text.Clip(f.Name)+"」出现了两次；"+Resave,
				fmt.Sprintf("duplicate zip entry %q", f.Name))
		}
		seen[n] = true
	}
	if is := s.kind(p); is != nil {
		return is
	}
	var total uint64
	var ratio uint64
	for _, f := range zr.File {
		if f.Flags&0x1 != 0 {
			return refuse("文件中的内容被加密（ZIP 密码），无法读取；请上传没有加密的 .xlsx 自评表",
				fmt.Sprintf("zip entry %q is encrypted", f.Name))
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return refuse("文件使用了不支持的压缩方式，不是 Excel 正常保存的工作簿；"+Resave,
				fmt.Sprintf("zip entry %q uses compression method %d", f.Name, f.Method))
		}
		size, packed := f.UncompressedSize64, f.CompressedSize64
		r := size / max(packed, 1)
		ratio = max(ratio, r)
		if f.Method == zip.Deflate && size > 1<<20 && r > sniffMaxRatio {
			return refuse(fmt.Sprintf("文件已损坏或被篡改：其中的部件声称解压后 %s MB、压缩比 %d 倍，超出正常范围（可能是“压缩炸弹”），未读取；%s",
				text.MB(int64(min(size, 1<<62))), r, useOurs),
				fmt.Sprintf("zip entry %q claims %d bytes from %d (ratio %d > %d): forged header", f.Name, size, packed, r, sniffMaxRatio))
		}
		total += size
		if size > uint64(lim.UnzipSizeLimit) || total > uint64(lim.UnzipSizeLimit) {
			if ratio > sniffBombRatio {
				return refuse(fmt.Sprintf("文件解压后超过 %s MB（压缩比达 %d 倍，像是“压缩炸弹”），不是正常的自评表（正常不到 1 MB），未读取；%s",
					text.MB(lim.UnzipSizeLimit), ratio, useOurs),
					fmt.Sprintf("zip bomb: entries declare more than %d bytes unzipped (entry %q: %d bytes from %d)", lim.UnzipSizeLimit, f.Name, size, packed))
			}
			return refuse(fmt.Sprintf("工作簿解压后超过 %s MB，不像是自评表（正常不到 1 MB）；请删除多余的图片或内容，或使用市中心下发的模板重新填写后上传", text.MB(lim.UnzipSizeLimit)),
				fmt.Sprintf("entries declare more than %d bytes unzipped (entry %q: %d bytes)", lim.UnzipSizeLimit, f.Name, size))
		}
	}
	return nil
}

// sniffKind tells an OpenDocument file, a Word or PowerPoint document, a
// binary workbook, a workbook with macros and a zip that is no workbook.
func (s sniffer) kind(p *ooxml.Package) *Refusal {
	if f := p.Exact("mimetype"); f != nil {
		mime := ""
		if rc, err := f.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 100))
			rc.Close()
			mime = strings.TrimSpace(string(b))
		}
		switch {
		case strings.HasPrefix(mime, "application/vnd.oasis.opendocument.spreadsheet"):
			return refuse("这是 OpenDocument 电子表格（.ods 格式）"+s.named(".ods")+"；请在 LibreOffice 或 WPS 中「另存为」Excel 2007-365 工作簿（.xlsx）后上传",
				"OpenDocument spreadsheet (mimetype "+mime+")")
		case strings.HasPrefix(mime, "application/vnd.oasis.opendocument."):
			return refuse("这是 OpenDocument 文档（"+text.Clip(mime)+"），不是 Excel 工作簿；"+useOurs, "OpenDocument file (mimetype "+mime+")")
		}
	}
	macro := p.Has(func(l string) bool {
		return path.Base(l) == "vbaproject.bin" || strings.HasPrefix(l, "xl/macrosheets/")
	})
	if macro {
		return refuse("工作簿中含有宏（VBA 或 Excel 4.0 宏），为安全起见不予接受；请在 Excel 中「另存为」Excel 工作簿（*.xlsx，不含宏）后上传；自评表本身不需要宏",
			"workbook with macros (vbaProject.bin or xl/macrosheets/)")
	}
	switch {
	case p.Exact("xl/workbook.bin") != nil:
		return refuse("这是 Excel 二进制工作簿（.xlsb 格式）"+s.named(".xlsb")+"；请用 Excel 打开后「另存为」Excel 工作簿（.xlsx）再上传", "binary workbook (.xlsb)")
	case p.Has(func(l string) bool { return strings.HasPrefix(l, "word/") }):
		return refuse("这是 Word 文档（.docx），不是 Excel 工作簿；"+useOurs, "Word document (word/ parts)")
	case p.Has(func(l string) bool { return strings.HasPrefix(l, "ppt/") }):
		return refuse("这是 PowerPoint 演示文稿，不是 Excel 工作簿；"+useOurs, "PowerPoint presentation (ppt/ parts)")
	case p.Part("[Content_Types].xml") == nil || p.Exact("_rels/.rels") == nil:
		return refuse("这是一个 ZIP 压缩包，不是 Excel 工作簿；请直接上传 .xlsx 自评表，不要压缩打包", "zip without [Content_Types].xml or _rels/.rels: not an OOXML package")
	}
	return nil
}
