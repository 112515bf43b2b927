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
// (layout.StreamRow, shared with the receipts), and compressed as they are written,
// one sheet at a time, so a sheet's cells and XML are never all in memory.
// The workbook is then the skeleton with each sheet's rows spliced in
// between its <sheetData> and </sheetData>: the deflate segments are
// concatenated (a sync flush ends all but the last) and their CRC-32s
// combined. A row the fast path does not write as excelize would makes the
// whole report go through excelize instead; tests compare both, part by
// part.

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"kaohe/sheets/internal/layout"
	"kaohe/sheets/internal/ooxml"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

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
	rows := map[string]ooxml.Segment{}
	for _, s := range repPrepare(b.tables()) {
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
		"数据截至 "+FormatTime(rep.AsOf), rep.AsOf); err != nil {
		return nil, true, fmt.Errorf("writing report: %w", err)
	}
	var skel bytes.Buffer
	if err := f.Write(&skel); err != nil {
		return nil, true, fmt.Errorf("writing report: %w", err)
	}
	return ooxml.Splice(skel.Bytes(), rows)
}

// repSheet is one sheet of the report, made apart from the workbook: its
// table, measured (layout.Prepare), and its rows compressed; ok is false when
// a row needs excelize.
type repSheet struct {
	t               *layout.Table
	widths, heights []float64
	breaks          []int
	rows            ooxml.Segment
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
					s.breaks = layout.Breaks(s.t)
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
func repCompressRows(t *layout.Table, widths []float64) (ooxml.Segment, []float64, bool) {
	var out, chunk, scratch bytes.Buffer
	fw := ooxml.Flaters.Get().(*flate.Writer)
	defer ooxml.Flaters.Put(fw)
	fw.Reset(&out)
	r := ooxml.Segment{}
	flush := func() {
		r.CRC = crc32.Update(r.CRC, crc32.IEEETable, chunk.Bytes())
		r.N += int64(chunk.Len())
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
		if !layout.StreamRow(&chunk, &scratch, i+1, row, heights[i]) {
			return ooxml.Segment{}, nil, false
		}
		if chunk.Len() >= 64<<10 {
			flush()
		}
	}
	flush()
	if err := fw.Flush(); err != nil { // a sync flush: the segment ends on a byte, not final
		return ooxml.Segment{}, nil, false
	}
	r.Data = out.Bytes()
	return r, heights, true
}
