package ooxml

// Writing deflate segments that are joined into one zip entry: a sheet's
// rows compressed apart from the rest of its part.

import (
	"archive/zip"
	"bytes"
	"cmp"
	"hash/crc32"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Segment is a deflate segment on its own: data compressed without
// what came before, ending on a byte (a sync flush) or, last, final; with
// the CRC-32 and length of what it holds. Segments one after the other are
// one deflate stream (as the report's sheets are made, report_fast.go).
type Segment struct {
	Data []byte
	CRC  uint32
	N    int64
}

// Compress compresses b as a segment, the final one when last.
// (Its CRC-32 is computed here; a receipt's body, compressed for each
// receipt, needs only the head's carried on over it: crc32.Update.)
func Compress(b []byte, last bool) Segment { return CompressInto(new(bytes.Buffer), b, last) }

// CompressInto is Compress into out (a buffer to reuse): the segment's
// Data is out's bytes.
func CompressInto(out *bytes.Buffer, b []byte, last bool) Segment {
	out.Grow(len(b)/3 + 64)
	fw := Flaters.Get().(*flate.Writer)
	defer Flaters.Put(fw)
	fw.Reset(out)
	fw.Write(b) // into a bytes.Buffer: no error
	if last {
		fw.Close()
	} else {
		fw.Flush()
	}
	return Segment{Data: out.Bytes(), CRC: crc32.ChecksumIEEE(b), N: int64(len(b))}
}

// Flaters are deflate writers at BestSpeed, reused.
var Flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

const contentTypes = "[Content_Types].xml"

// typesChild is one child of [Content_Types].xml's root.
var typesChild = regexp.MustCompile(`<(?:Default|Override)\b[^>]*?(?:/>|></(?:Default|Override)>)`)

// sortedTypes is [Content_Types].xml with its children in a fixed order
// (excelize adds some in the order of a map); the same when they are not
// all of the usual shape.
func sortedTypes(b []byte) []byte {
	open := bytes.Index(b, []byte("<Types"))
	end := bytes.LastIndex(b, []byte("</Types>"))
	if open < 0 || end < 0 {
		return b
	}
	start := bytes.IndexByte(b[open:], '>') + open + 1
	if start <= open || start > end {
		return b
	}
	body := b[start:end]
	kids := typesChild.FindAll(body, -1)
	if len(bytes.Join(kids, nil)) != len(body) {
		return b // something else inside: left as it is
	}
	slices.SortStableFunc(kids, func(x, y []byte) int {
		return cmp.Or(cmp.Compare(x[1], y[1]), bytes.Compare(x, y)) // Defaults (D) before Overrides (O)
	})
	out := append(append([]byte{}, b[:start]...), bytes.Join(kids, nil)...)
	return append(out, b[end:]...)
}

// writeDeflated writes one part compressed.
func writeDeflated(zw *zip.Writer, name string, data []byte) error {
	seg := Compress(data, true)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: seg.CRC,
		CompressedSize64: uint64(len(seg.Data)), UncompressedSize64: uint64(seg.N)})
	if err != nil {
		return err
	}
	_, err = w.Write(seg.Data)
	return err
}

// Splice writes the skeleton workbook with each sheet's rows put in, its
// parts in a fixed order: the same workbook is the same bytes.
func Splice(skel []byte, rows map[string]Segment) ([]byte, bool, error) {
	zr, err := zip.NewReader(bytes.NewReader(skel), int64(len(skel)))
	if err != nil {
		return nil, false, nil
	}
	files := map[string]*zip.File{}
	for _, zf := range zr.File {
		files[zf.Name] = zf
	}
	read := func(name string) []byte {
		zf, ok := files[name]
		if !ok {
			return nil
		}
		b, err := ReadPart(zf)
		if err != nil {
			return nil
		}
		return b
	}
	wb, ok1 := ReadWorkbook(read("xl/workbook.xml"))
	rels, ok2 := ReadRels(read("xl/_rels/workbook.xml.rels"))
	if !ok1 || !ok2 {
		return nil, false, nil
	}
	partRows := map[string]Segment{} // part → the rows of its sheet
	for _, s := range wb.Sheets {
		for _, r := range rels {
			if r.ID == s.RID {
				if rr, ok := rows[s.Name]; ok {
					p := "xl/" + r.Target
					if strings.HasPrefix(r.Target, "/") {
						p = r.Target[1:]
					}
					partRows[p] = rr
				}
			}
		}
	}
	if len(partRows) != len(rows) {
		return nil, false, nil
	}
	var out bytes.Buffer
	size := len(skel)
	for _, rr := range partRows {
		size += len(rr.Data)
	}
	out.Grow(size + 64<<10)
	zw := zip.NewWriter(&out)
	// The parts in a fixed order, the content types first: excelize writes
	// them in the order of a map, and the same workbook should be the same
	// bytes (a run with nothing new writes no new copy).
	order := slices.Clone(zr.File)
	slices.SortFunc(order, func(a, b *zip.File) int {
		first := func(f *zip.File) int { // the content types before all
			if f.Name == contentTypes {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(first(a), first(b)), cmp.Compare(a.Name, b.Name))
	})
	for _, zf := range order {
		if zf.Name == contentTypes {
			b, err := ReadPart(zf)
			if err != nil {
				return nil, false, nil
			}
			if err := writeDeflated(zw, zf.Name, sortedTypes(b)); err != nil {
				return nil, true, err
			}
			continue
		}
		rr, ok := partRows[zf.Name]
		if !ok {
			hdr := zf.FileHeader
			raw, err := zf.OpenRaw()
			if err != nil {
				return nil, false, nil
			}
			w, err := zw.CreateRaw(&hdr)
			if err != nil {
				return nil, true, err
			}
			if _, err := io.Copy(w, raw); err != nil {
				return nil, true, err
			}
			continue
		}
		xml, err := ReadPart(zf)
		const empty = "<sheetData></sheetData>"
		i := bytes.Index(xml, []byte(empty))
		if err != nil || i < 0 || bytes.Count(xml, []byte("<sheetData")) != 1 {
			return nil, false, nil
		}
		head, tail := xml[:i+len("<sheetData>")], xml[i+len("<sheetData>"):]
		var data bytes.Buffer
		fw := Flaters.Get().(*flate.Writer)
		fw.Reset(&data)
		fw.Write(head)
		fw.Flush()
		data.Write(rr.Data)
		fw.Reset(&data)
		fw.Write(tail)
		err = fw.Close()
		Flaters.Put(fw)
		if err != nil {
			return nil, true, err
		}
		crc := CRC32Combine(crc32.ChecksumIEEE(head), rr.CRC, rr.N)
		crc = CRC32Combine(crc, crc32.ChecksumIEEE(tail), int64(len(tail)))
		hdr := &zip.FileHeader{Name: zf.Name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(data.Len()), UncompressedSize64: uint64(int64(len(head)) + rr.N + int64(len(tail)))}
		w, err := zw.CreateRaw(hdr)
		if err != nil {
			return nil, true, err
		}
		if _, err := w.Write(data.Bytes()); err != nil {
			return nil, true, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, true, err
	}
	return out.Bytes(), true, nil
}

// CRC32Combine is the CRC-32 (IEEE) of A‖B from the CRC-32s of A and B and
// the length of B (zlib's crc32_combine).
func CRC32Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = 0xedb88320 // the reversed polynomial: the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	crcSquare(&even, &odd) // two zero bits
	crcSquare(&odd, &even) // four
	for {
		crcSquare(&even, &odd) // apply len2 zero bytes to crcA
		if lenB&1 != 0 {
			crcA = crcTimes(&even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		crcSquare(&odd, &even)
		if lenB&1 != 0 {
			crcA = crcTimes(&odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func crcTimes(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func crcSquare(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = crcTimes(mat, mat[n])
	}
}
