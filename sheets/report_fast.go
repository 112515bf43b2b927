package sheets

// The fast path of WriteReport.
//
// For 10,000 institutions the 汇总排名表 has about 150,000 rows. Streamed
// through excelize, each cell becomes an excelize object on the way to the
// XML, every sheet under 16 MB is held in memory until the end, and the whole
// is compressed at the default level: seconds, and a hundred MB.
//
// So the report is built in two layers. excelize builds the workbook as
// before, every setting of every sheet included (styles, panes, column
// widths, auto-filters, conditional formats, charts, defined names, merged
// cells, page breaks), but each sheet's stream gets no rows: a skeleton.
// The rows are written here, exactly as excelize's StreamWriter writes them
// (streamRow, shared with the receipts), and compressed as they are written,
// one sheet at a time, so a sheet's cells and XML are never all in memory.
// The workbook is then the skeleton with each sheet's rows spliced in
// between its <sheetData> and </sheetData>: the deflate segments are
// concatenated (a sync flush ends all but the last) and their CRC-32s
// combined. A row the fast path does not write as excelize would makes the
// whole report go through excelize instead; tests compare both, part by
// part.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"kaohe/sheets/internal/layout"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

// repFastDisabled sends every report through excelize (tests compare both).
var repFastDisabled bool

// repRows is one sheet's rows as XML compressed ahead: a deflate segment
// ending with a sync flush, and the CRC-32 and length of the XML.
type repRows struct {
	data []byte
	crc  uint32
	n    int64
}

// repWriteFast builds the report as described above; ok is false when the
// report needs excelize. An error is the one excelize would give.
func repWriteFast(rep *Report) (out []byte, ok bool, err error) {
	f, st, err := layout.NewFile(repSheets...)
	if err != nil {
		return nil, false, nil
	}
	defer f.Close()
	b := &repBuilder{rep: rep, st: st, std: rep.Standard}
	b.split()
	f.SetActiveSheet(0)
	rows := map[string]repRows{}
	for _, s := range repPrepare([]func() *layout.Table{b.ranking, b.details, b.targets, b.uploads, b.issues, b.charts}) {
		if s.err != nil {
			return nil, true, fmt.Errorf("writing report sheet %s: %w", s.t.Name, s.err)
		}
		if err := layout.WritePrepared(f, s.t, s.widths, s.heights, s.breaks, false); err != nil {
			return nil, true, fmt.Errorf("writing report sheet %s: %w", s.t.Name, err)
		}
		if !s.ok {
			return nil, false, nil
		}
		rows[s.t.Name] = s.rows
	}
	std := rep.Standard
	if err := layout.SetProps(f,
		fmt.Sprintf("%d年度鉴定机构考核 汇总排名表", std.Year), std.Title,
		"生成时间 "+FormatTime(rep.Generated), rep.Generated); err != nil {
		return nil, true, fmt.Errorf("writing report: %w", err)
	}
	var skel bytes.Buffer
	if err := f.Write(&skel); err != nil {
		return nil, true, fmt.Errorf("writing report: %w", err)
	}
	return repSplice(skel.Bytes(), rows)
}

// repSheet is one sheet of the report, made apart from the workbook: its
// table, measured (layout.Prepare), and its rows compressed; ok is false when
// a row needs excelize.
type repSheet struct {
	t               *layout.Table
	widths, heights []float64
	breaks          []int
	rows            repRows
	ok              bool
	err             error
}

// repPrepare makes the sheets, in their order, on a pool of workers: the
// work that needs no workbook, most of a report's, goes on as many cores
// as there are (评分明细 alone is two thirds of a large report's rows, so
// the others are made beside it). Rows are made on demand from the report
// (see layout.Table.lazy), which is only read meanwhile.
func repPrepare(builds []func() *layout.Table) []repSheet {
	out := make([]repSheet, len(builds))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(builds)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(builds); i = int(next.Add(1)) - 1 {
				s := &out[i]
				s.t = builds[i]()
				if s.widths, s.err = layout.Measure(s.t); s.err == nil {
					s.rows, s.heights, s.ok = repCompressRows(s.t, s.widths)
					s.breaks = layout.Breaks(s.t, s.widths, s.heights)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// repCompressRows writes t's rows as excelize's StreamWriter would, with
// the heights layout.Heights gives them (returned, measured on the way: one
// pass over rows made on demand instead of two), and compresses them;
// false for a row it does not write the same way.
func repCompressRows(t *layout.Table, widths []float64) (repRows, []float64, bool) {
	var out, chunk, scratch bytes.Buffer
	fw := rcptFlaters.Get().(*flate.Writer)
	defer rcptFlaters.Put(fw)
	fw.Reset(&out)
	r := repRows{}
	flush := func() {
		r.crc = crc32.Update(r.crc, crc32.IEEETable, chunk.Bytes())
		r.n += int64(chunk.Len())
		fw.Write(chunk.Bytes())
		chunk.Reset()
	}
	heights := make([]float64, t.RowCount())
	out.Grow(len(heights) * 64) // about what a row takes compressed: grown by doubling, it cost as much as the compression
	chunk.Grow(72 << 10)
	for i := range heights {
		row := t.RowMeasured(i)
		heights[i] = layout.RowHeight(t, row, widths)
		for c, cell := range row.Cells { // as rowAt makes it (cleaning a clean text changes nothing)
			if s, ok := cell.Value.(string); ok {
				row.Cells[c].Value = layout.Clean(s)
			}
		}
		if !streamRow(&chunk, &scratch, i+1, row, heights[i]) {
			return repRows{}, nil, false
		}
		if chunk.Len() >= 64<<10 {
			flush()
		}
	}
	flush()
	if err := fw.Flush(); err != nil { // a sync flush: the segment ends on a byte, not final
		return repRows{}, nil, false
	}
	r.data = out.Bytes()
	return r, heights, true
}

// repSplice writes the skeleton workbook with each sheet's rows put in.
func repSplice(skel []byte, rows map[string]repRows) ([]byte, bool, error) {
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
		b, err := rcptUnzip(zf)
		if err != nil {
			return nil
		}
		return b
	}
	wb, ok1 := fastWorkbook(read("xl/workbook.xml"))
	rels, ok2 := fastRels(read("xl/_rels/workbook.xml.rels"))
	if !ok1 || !ok2 {
		return nil, false, nil
	}
	partRows := map[string]repRows{} // part → the rows of its sheet
	for _, s := range wb.sheets {
		for _, r := range rels {
			if r.id == s.rid {
				if rr, ok := rows[s.name]; ok {
					p := "xl/" + r.target
					if strings.HasPrefix(r.target, "/") {
						p = r.target[1:]
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
		size += len(rr.data)
	}
	out.Grow(size + 64<<10)
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
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
		xml, err := rcptUnzip(zf)
		const empty = "<sheetData></sheetData>"
		i := bytes.Index(xml, []byte(empty))
		if err != nil || i < 0 || bytes.Count(xml, []byte("<sheetData")) != 1 {
			return nil, false, nil
		}
		head, tail := xml[:i+len("<sheetData>")], xml[i+len("<sheetData>"):]
		var data bytes.Buffer
		fw := rcptFlaters.Get().(*flate.Writer)
		fw.Reset(&data)
		fw.Write(head)
		fw.Flush()
		data.Write(rr.data)
		fw.Reset(&data)
		fw.Write(tail)
		err = fw.Close()
		rcptFlaters.Put(fw)
		if err != nil {
			return nil, true, err
		}
		crc := crc32Combine(crc32.ChecksumIEEE(head), rr.crc, rr.n)
		crc = crc32Combine(crc, crc32.ChecksumIEEE(tail), int64(len(tail)))
		hdr := &zip.FileHeader{Name: zf.Name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(data.Len()), UncompressedSize64: uint64(int64(len(head)) + rr.n + int64(len(tail)))}
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

// crc32Combine is the CRC-32 (IEEE) of A‖B from the CRC-32s of A and B and
// the length of B (zlib's crc32_combine).
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
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
	crc32Square(&even, &odd) // two zero bits
	crc32Square(&odd, &even) // four
	for {
		crc32Square(&even, &odd) // apply len2 zero bytes to crcA
		if lenB&1 != 0 {
			crcA = crc32Times(&even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		crc32Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = crc32Times(&odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func crc32Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func crc32Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = crc32Times(mat, mat[n])
	}
}
