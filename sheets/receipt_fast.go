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
	"fmt"
	"hash/crc32"
	"io"
	"kaohe/sheets/internal/layout"
	"kaohe/sheets/internal/ooxml"
	"strconv"
	"strings"
	"sync"
)

// rcptShapes holds a shape per kind of receipt (rcptKey).
var rcptShapes sync.Map

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
	// compressed once (ooxml.Segment), for every receipt
	sheetHead, sheetMid, sheetTail []byte
	headZ, tailZ                   ooxml.Segment
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

// rcptBufs are buffers for a receipt's sheet, reused.
var rcptBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const (
	rcptSheetPart = "xl/worksheets/sheet1.xml"
	rcptCorePart  = "docProps/core.xml"
)

// rcptBytes builds the receipt's workbook: through its shape when it can,
// else with excelize.
func rcptBytes(buf []byte, rc *Receipt, d *rcptDoc) ([]byte, error) {
	v, _ := rcptShapes.LoadOrStore(rcptKey(rc, d), &rcptShape{})
	s := v.(*rcptShape)
	s.mu.Lock()
	if !s.tried {
		s.capture(rc, d)
	}
	s.mu.Unlock()
	if s.ok {
		if b, ok, err := s.build(buf, rc, d); ok || err != nil {
			return b, err
		}
	}
	b, _, err := rcptExcelize(rc, d)
	return b, err // its own bytes: excelize writes them
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
			b, err := ooxml.ReadPart(zf)
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
	s.headZ, s.tailZ = ooxml.Compress(s.sheetHead, false), ooxml.Compress(s.sheetTail, true)
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
	fast, ok, err := s.build(nil, rc, rcptBuild(rc))
	if !ok || err != nil {
		s.tried, s.ok, s.st, s.parts, s.core, s.coreSubject = false, false, nil, nil, nil, nil // this receipt needs excelize: the next one tries
		s.sheetHead, s.sheetMid, s.sheetTail = nil, nil, nil
		return
	}
	s.ok = ooxml.SameParts(ref, fast)
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
func (s *rcptShape) build(buf []byte, rc *Receipt, d *rcptDoc) (b []byte, ok bool, err error) {
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
		if !layout.StreamRow(sheet, &scratch, r+1, row, heights[r]) {
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
	bodyBuf := rcptBufs.Get().(*bytes.Buffer)
	defer rcptBufs.Put(bodyBuf)
	bodyBuf.Reset()
	body := ooxml.CompressInto(bodyBuf, sheet.Bytes(), false)
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

	size := len(s.headZ.Data) + len(body.Data) + len(s.tailZ.Data) + len(core) + 2<<10 // sheet, headers and directory
	for _, p := range s.parts {
		size += len(p.data)
	}
	out := bytes.NewBuffer(buf[:0])
	out.Grow(size)
	zw := zip.NewWriter(out)
	for _, p := range s.parts {
		var data []byte
		switch p.hdr.Name {
		case rcptSheetPart: // head, body and tail, each compressed on its own
			crc := crc32.Update(s.headZ.CRC, crc32.IEEETable, sheet.Bytes()) // the head's, carried on
			hdr := &zip.FileHeader{Name: p.hdr.Name, Method: zip.Deflate,
				CRC32:              crc32.Update(crc, crc32.IEEETable, s.sheetTail),
				CompressedSize64:   uint64(len(s.headZ.Data) + len(body.Data) + len(s.tailZ.Data)),
				UncompressedSize64: uint64(s.headZ.N + body.N + s.tailZ.N)}
			w, err := zw.CreateRaw(hdr)
			if err != nil {
				return nil, true, err
			}
			for _, seg := range [][]byte{s.headZ.Data, body.Data, s.tailZ.Data} {
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
