package sheets

// The fast path of WriteReceipt.
//
// A run writes one receipt per consumed file: with thousands of uploads,
// building each with excelize (a new workbook, its 23 styles, then
// marshalling and compressing every part) costs more than reading the
// uploads. But receipts of one standard differ only in their sheet's rows
// and merged ranges and in the document's subject and time: every other part
// (styles, theme, workbook, content types, the sheet's settings) is the
// same. So the first receipt of a kind is built by excelize, as before, and
// kept as a shape: its parts compressed as they are, and its sheet's XML
// around the rows and merges. Every later receipt writes only its rows and
// merges, exactly as excelize's StreamWriter writes them, into that shape.
//
// The fast path checks itself: a shape is used only once the fast path has
// rebuilt the very receipt that excelize built, part for part, byte for
// byte; and a receipt with anything the fast path does not write as
// excelize would (a page break, a value of another type, a subject that
// needs escaping) is built by excelize.

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"kaohe/sheets/internal/layout"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// rcptShapes holds a shape per kind of receipt (rcptKey).
var rcptShapes sync.Map

// rcptFastDisabled sends every receipt to excelize (tests compare both).
var rcptFastDisabled bool

// rcptKey is what makes receipts share a shape: the title (in the footer
// and the properties), the source and whether the receipt has a time.
func rcptKey(rc *Receipt, d *rcptDoc) string {
	return fmt.Sprintf("%s\x00%s\x00%t", d.title, d.source, rc.Issued.IsZero())
}

// rcptShape is the part of a kind of receipt that never changes.
type rcptShape struct {
	mu    sync.Mutex
	tried bool // captured, or found not to rebuild excelize's receipt
	ok    bool
	st    *layout.Styles
	parts []rcptPart
	// the sheet's XML: head, rows, mid, merges, tail; head and tail also
	// compressed once (rcptSegment), for every receipt
	sheetHead, sheetMid, sheetTail []byte
	headZ, tailZ                   rcptSegment
	// docProps/core.xml cut where the subject and the time go: the subject
	// goes after core[i] where coreSubject[i], the time elsewhere
	core        []string
	coreSubject []bool
}

// rcptPart is one zip entry of the shape; data is compressed, except for
// the sheet and the core properties (nil), which every receipt writes.
type rcptPart struct {
	hdr  zip.FileHeader
	data []byte
}

const (
	rcptSheetPart = "xl/worksheets/sheet1.xml"
	rcptCorePart  = "docProps/core.xml"
)

// rcptBytes builds the receipt's workbook: through its shape when it can,
// else with excelize.
func rcptBytes(rc *Receipt, d *rcptDoc) ([]byte, error) {
	if rcptFastDisabled {
		b, _, err := rcptExcelize(rc, d)
		return b, err
	}
	v, _ := rcptShapes.LoadOrStore(rcptKey(rc, d), &rcptShape{})
	s := v.(*rcptShape)
	s.mu.Lock()
	if !s.tried {
		s.capture(rc, d)
	}
	s.mu.Unlock()
	if s.ok {
		if b, ok, err := s.build(rc, d); ok || err != nil {
			return b, err
		}
	}
	b, _, err := rcptExcelize(rc, d)
	return b, err
}

// capture builds rc with excelize and keeps its shape when the fast path
// rebuilds it exactly. A receipt excelize refuses, or one the fast path
// leaves to excelize, says nothing about the shape: the next one tries.
func (s *rcptShape) capture(rc *Receipt, d *rcptDoc) {
	if _, ok := rcptSubject(rc, d); !ok {
		return
	}
	ref, st, err := rcptExcelize(rc, rcptBuild(rc)) // rcptTable changes the texts it writes
	if err != nil {
		return
	}
	s.tried = true
	zr, err := zip.NewReader(bytes.NewReader(ref), int64(len(ref)))
	if err != nil {
		return
	}
	s.st = st
	var sheet, core string
	for _, zf := range zr.File {
		p := rcptPart{hdr: zf.FileHeader}
		switch zf.Name {
		case rcptSheetPart, rcptCorePart:
			b, err := rcptUnzip(zf)
			if err != nil {
				return
			}
			if zf.Name == rcptSheetPart {
				sheet = string(b)
			} else {
				core = string(b)
			}
		default:
			r, err := zf.OpenRaw()
			if err != nil {
				return
			}
			if p.data, err = io.ReadAll(r); err != nil {
				return
			}
		}
		s.parts = append(s.parts, p)
	}
	// The sheet: <sheetData> rows </sheetData> … <mergeCells …>…</mergeCells> …
	i := strings.Index(sheet, "<sheetData>")
	j := strings.Index(sheet, "</sheetData>")
	k := strings.Index(sheet, `<mergeCells count="`)
	l := strings.Index(sheet, "</mergeCells>")
	if i < 0 || j < i || k < j || l < k {
		return
	}
	s.sheetHead = []byte(sheet[:i+len("<sheetData>")])
	s.sheetMid = []byte(sheet[j:k])
	s.sheetTail = []byte(sheet[l+len("</mergeCells>"):])
	s.headZ, s.tailZ = rcptCompress(s.sheetHead, false), rcptCompress(s.sheetTail, true)
	// The core properties, around this receipt's subject and time.
	subject, ok := rcptSubject(rc, d)
	stamp := rcptStamp(rc)
	if !ok || strings.Count(core, ">"+subject+"<") != 1 || (stamp != "" && strings.Count(core, ">"+stamp+"<") != 2) {
		return
	}
	core = strings.Replace(core, ">"+subject+"<", ">\x00<", 1)
	if stamp != "" {
		core = strings.ReplaceAll(core, ">"+stamp+"<", ">\x01<")
	}
	s.core, s.coreSubject = nil, nil
	for {
		i := strings.IndexAny(core, "\x00\x01")
		if i < 0 {
			s.core = append(s.core, core)
			break
		}
		s.core = append(s.core, core[:i])
		s.coreSubject = append(s.coreSubject, core[i] == 0)
		core = core[i+1:]
	}
	// Used only if it rebuilds this receipt exactly.
	s.ok = true
	fast, ok, err := s.build(rc, rcptBuild(rc))
	if !ok || err != nil {
		s.tried, s.ok, s.st, s.parts, s.core, s.coreSubject = false, false, nil, nil, nil, nil // this receipt needs excelize: the next one tries
		s.sheetHead, s.sheetMid, s.sheetTail = nil, nil, nil
		return
	}
	s.ok = rcptSameParts(ref, fast)
}

// rcptSubject is the document's subject, as written in core.xml; ok is
// false when it holds a character XML escapes (then excelize writes it).
func rcptSubject(rc *Receipt, d *rcptDoc) (string, bool) {
	s := layout.Clean(d.verdict + " " + rc.Upload.File)
	return s, !strings.ContainsAny(s, "&<>\"'\t\n\r")
}

// rcptStamp is the document's time as layout.SetProps writes it.
func rcptStamp(rc *Receipt) string {
	if rc.Issued.IsZero() {
		return ""
	}
	return rc.Issued.UTC().Format("2006-01-02T15:04:05Z")
}

// build writes rc into the shape; ok is false when this receipt needs
// excelize. An error is the one excelize would give (a text too long).
func (s *rcptShape) build(rc *Receipt, d *rcptDoc) (b []byte, ok bool, err error) {
	subject, ok := rcptSubject(rc, d)
	if !ok {
		return nil, false, nil
	}
	t := rcptTable(d, s.st)
	_, heights, breaks, err := layout.Prepare(t)
	if err != nil {
		return nil, true, fmt.Errorf("writing receipt: %w", err)
	}
	if len(breaks) > 0 {
		return nil, false, nil
	}
	sheet := rcptBufs.Get().(*bytes.Buffer) // between head and tail
	defer rcptBufs.Put(sheet)
	sheet.Reset()
	var scratch bytes.Buffer
	for r, row := range t.Rows {
		if !streamRow(sheet, &scratch, r+1, row, heights[r]) {
			return nil, false, nil
		}
	}
	sheet.Write(s.sheetMid)
	if len(t.Merges) == 0 {
		return nil, false, nil // the shape has merges where excelize would write none
	}
	sheet.WriteString(`<mergeCells count="`)
	sheet.WriteString(strconv.Itoa(len(t.Merges)))
	sheet.WriteString(`">`)
	for _, m := range t.Merges {
		from, to, _ := strings.Cut(m, ":")
		sheet.WriteString(`<mergeCell ref="`)
		sheet.WriteString(from)
		sheet.WriteByte(':')
		sheet.WriteString(to)
		sheet.WriteString(`"/>`)
	}
	sheet.WriteString(`</mergeCells>`)
	body := rcptCompress(sheet.Bytes(), false)
	var core []byte
	stamp := rcptStamp(rc)
	for i, part := range s.core {
		core = append(core, part...)
		if i < len(s.coreSubject) {
			if s.coreSubject[i] {
				core = append(core, subject...)
			} else {
				core = append(core, stamp...)
			}
		}
	}

	size := len(s.headZ.data) + len(body.data) + len(s.tailZ.data) + len(core) + 2<<10 // sheet, headers and directory
	for _, p := range s.parts {
		size += len(p.data)
	}
	var out bytes.Buffer
	out.Grow(size)
	zw := zip.NewWriter(&out)
	for _, p := range s.parts {
		var data []byte
		switch p.hdr.Name {
		case rcptSheetPart: // head, body and tail, each compressed on its own
			crc := crc32.Update(s.headZ.crc, crc32.IEEETable, sheet.Bytes()) // the head's, carried on
			hdr := &zip.FileHeader{Name: p.hdr.Name, Method: zip.Deflate,
				CRC32:              crc32.Update(crc, crc32.IEEETable, s.sheetTail),
				CompressedSize64:   uint64(len(s.headZ.data) + len(body.data) + len(s.tailZ.data)),
				UncompressedSize64: uint64(s.headZ.n + body.n + s.tailZ.n)}
			w, err := zw.CreateRaw(hdr)
			if err != nil {
				return nil, true, err
			}
			for _, seg := range [][]byte{s.headZ.data, body.data, s.tailZ.data} {
				if _, err := w.Write(seg); err != nil {
					return nil, true, err
				}
			}
			continue
		case rcptCorePart:
			data = core
		default:
			hdr := p.hdr
			w, err := zw.CreateRaw(&hdr)
			if err != nil {
				return nil, true, err
			}
			if _, err := w.Write(p.data); err != nil {
				return nil, true, err
			}
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.hdr.Name, Method: zip.Store}) // the core properties: under 1 KB, not worth a Huffman table
		if err != nil {
			return nil, true, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, true, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, true, err
	}
	return out.Bytes(), true, nil
}

// rcptSegment is a deflate segment on its own: data compressed without
// what came before, ending on a byte (a sync flush) or, last, final; with
// the CRC-32 and length of what it holds. Segments one after the other are
// one deflate stream (as the report's sheets are made, report_fast.go).
type rcptSegment struct {
	data []byte
	crc  uint32
	n    int64
}

// rcptCompress compresses b as a segment, the final one when last.
// (Its CRC-32 is computed here; a receipt's body, compressed for each
// receipt, needs only the head's carried on over it: crc32.Update.)
func rcptCompress(b []byte, last bool) rcptSegment {
	var out bytes.Buffer
	out.Grow(len(b)/3 + 64)
	fw := rcptFlaters.Get().(*flate.Writer)
	defer rcptFlaters.Put(fw)
	fw.Reset(&out)
	fw.Write(b) // into a bytes.Buffer: no error
	if last {
		fw.Close()
	} else {
		fw.Flush()
	}
	return rcptSegment{data: out.Bytes(), crc: crc32.ChecksumIEEE(b), n: int64(len(b))}
}

var (
	rcptBufs    = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	rcptFlaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
		return w
	}}
)

// streamRow writes one row as excelize's StreamWriter.SetRow writes
// layout.Write's row (RowOpts{Height: h}, no row style); false for anything
// it does not write the same way.
func streamRow(b, scratch *bytes.Buffer, r int, row layout.Row, h float64) bool {
	if h == layout.DefaultHeight {
		h = 0
	}
	if h > excelize.MaxRowHeight {
		return false
	}
	var num [20]byte
	rowNum := strconv.AppendInt(num[:0], int64(r), 10)
	b.WriteString(`<row r="`)
	b.Write(rowNum)
	b.WriteByte('"')
	if h > 0 {
		b.WriteString(` ht="`)
		b.WriteString(strconv.FormatFloat(h, 'f', -1, 64))
		b.WriteString(`" customHeight="1"`)
	}
	b.WriteByte('>')
	for i, c := range row.Cells {
		if c.StyleID == 0 && c.Value == nil {
			continue // not written at all
		}
		if c.Formula != "" || c.StyleID < 0 {
			return false
		}
		if i >= len(streamCols) {
			return false
		}
		b.WriteString(`<c r="`)
		b.WriteString(streamCols[i])
		b.Write(rowNum)
		b.WriteByte('"')
		if c.StyleID > 0 {
			b.WriteString(` s="`)
			b.WriteString(strconv.Itoa(c.StyleID))
			b.WriteByte('"')
		}
		switch v := c.Value.(type) {
		case nil:
			b.WriteString(`></c>`)
		case string:
			b.WriteString(` t="inlineStr"><is><t`)
			if v != "" && (strings.IndexByte("\t\n\r ", v[0]) >= 0 || strings.IndexByte("\t\n\r ", v[len(v)-1]) >= 0) {
				b.WriteString(` xml:space="preserve"`)
			}
			b.WriteByte('>')
			scratch.Reset()
			if err := xml.EscapeText(scratch, []byte(v)); err != nil {
				return false
			}
			esc := scratch.Bytes()
			if bytes.Contains(esc, []byte("&#xA;")) {
				esc = bytes.ReplaceAll(esc, []byte("&#xA;"), []byte("\n"))
			}
			if bytes.Contains(esc, []byte("_x")) {
				b.WriteString(streamBstr(string(esc)))
			} else {
				b.Write(esc)
			}
			b.WriteString(`</t></is></c>`)
		case int64:
			b.WriteString(`><v>`)
			b.WriteString(strconv.FormatInt(v, 10))
			b.WriteString(`</v></c>`)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
			b.WriteString(`><v>`)
			b.WriteString(streamFloat(v))
			b.WriteString(`</v></c>`)
		default:
			return false
		}
	}
	b.WriteString(`</row>`)
	return true
}

func rcptUnzip(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// rcptSameParts reports whether two workbooks have the same parts in the
// same order with the same contents.
func rcptSameParts(a, b []byte) bool {
	za, err1 := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	zb, err2 := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err1 != nil || err2 != nil || len(za.File) != len(zb.File) {
		return false
	}
	for i := range za.File {
		if za.File[i].Name != zb.File[i].Name {
			return false
		}
		x, err1 := rcptUnzip(za.File[i])
		y, err2 := rcptUnzip(zb.File[i])
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// streamFloat is excelize's formatCellFloat(v, -1, 64): the shortest
// decimal, cut to 15 significant digits as Excel keeps them.
func streamFloat(value float64) string {
	str := strconv.FormatFloat(value, 'f', -1, 64)
	if math.Abs(value) == math.MaxFloat64 {
		return str
	}
	const maxPrec = 15
	decimal := strings.IndexByte(str, '.')
	significant := 0
	for idx := range str {
		if str[idx] < '0' || str[idx] > '9' || significant == 0 && str[idx] == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			return strings.TrimSuffix(str[:idx], ".")
		}
		if decimal < 0 {
			decimal = len(str)
		}
		truncated := []byte(str[:decimal])
		for ; idx < len(truncated); idx++ {
			truncated[idx] = '0'
		}
		return string(truncated)
	}
	return str
}

var (
	streamBstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	streamBstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// streamBstr is excelize's bstrMarshal, which escapes text that reads as
// an _xHHHH_ escape; kept as it is, quirks included.
func streamBstr(s string) (result string) {
	matches, l, cursor := streamBstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && streamBstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if streamBstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// streamCols are the column letters of the first 702 columns (A to ZZ),
// as excelize's CoordinatesToCellName writes them.
var streamCols = func() []string {
	var out []string
	for c := 1; c <= 702; c++ {
		name, _ := excelize.ColumnNumberToName(c)
		out = append(out, name)
	}
	return out
}()
