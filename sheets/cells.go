package sheets

// Shared cell writing for the workbooks kaohe writes (汇总排名表, 回执).
//
// Every sheet is first built in memory as a cellTable, then streamed with
// excelize's StreamWriter. Two rules hold for every cell written here:
//
//   - Text is always a text cell (an inline string), never a formula, even
//     when it begins with = + - @, a tab or a CR: the stream writer only
//     writes a formula for an excelize.Cell with Formula set, which nothing
//     here ever does. The text styles also carry quotePrefix, so Excel keeps
//     such a cell text even when someone edits it and presses Enter.
//   - Text longer than an Excel cell can hold is an error (ErrCellTooLong),
//     never silently truncated (excelize would truncate).
//
// Excel's limit of 32,767 characters counts UTF-16 code units (LEN("😀") is
// 2 in Excel), and excelize truncates by the same count, so the check counts
// UTF-16 units too: a text that passes is never cut by excelize or Excel.
//
// The StreamWriter writes parts of the worksheet XML at different moments:
// sheetPr when the stream is created, sheetViews and cols at the first row,
// and the rest (autoFilter, conditionalFormatting, pageSetup, headerFooter,
// rowBreaks, drawing) at Flush, from the worksheet in memory. So all of the
// sheet's settings are made before the stream is created, and nothing is
// changed on a streamed sheet after Flush.

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// ErrCellTooLong is returned, wrapped with the sheet and cell, when a text is
// longer than one Excel cell can hold (32,767 UTF-16 code units). The
// writers never truncate a text silently.
var ErrCellTooLong = errors.New("text too long for one Excel cell")

// cellMaxChars is Excel's limit on a cell's text, in UTF-16 code units.
const cellMaxChars = excelize.TotalCellChars

// cellFont is the workbooks' default font: present on every Chinese Windows
// and WPS installation; LibreOffice substitutes a CJK font elsewhere.
const cellFont = "宋体"

// cellUnits counts s in UTF-16 code units, as Excel counts a cell's length.
func cellUnits(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cellClean returns s as it is stored in a cell: runes that XML 1.0 cannot
// carry (control characters other than tab, LF and CR; U+FFFE, U+FFFF) and
// invalid UTF-8 become U+FFFD. excelize would do the same while encoding; doing
// it here makes what is read back equal to what was meant to be written.
func cellClean(s string) string {
	ok := true
	for _, r := range s {
		if !cellXMLRune(r) || r == unicode.ReplacementChar {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s { // invalid UTF-8 ranges as U+FFFD
		if !cellXMLRune(r) {
			r = unicode.ReplacementChar
		}
		b.WriteRune(r)
	}
	return b.String()
}

func cellXMLRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return true
}

// cellCheck returns s cleaned for a cell, or ErrCellTooLong naming the place.
func cellCheck(sheet, ref, s string) (string, error) {
	s = cellClean(s)
	if n := cellUnits(s); n > cellMaxChars {
		return "", fmt.Errorf("%w: %s!%s would hold %d characters (UTF-16 units), Excel allows %d; the text begins %q",
			ErrCellTooLong, sheet, ref, n, cellMaxChars, cellPrefix(s, 40))
	}
	return s, nil
}

func cellPrefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// cellWidth is the display width of s's longest line in column-width units:
// 2 for a wide (CJK) character, 1 for others. LF, CR and CRLF end a line
// (Excel and LibreOffice break the line at a CR too).
func cellWidth(s string) float64 {
	best, cur := 0.0, 0.0
	for _, r := range cellNewlines(s) {
		switch {
		case r == '\n':
			best, cur = max(best, cur), 0
		case cellWide(r):
			cur += 2
		default:
			cur++
		}
	}
	return max(best, cur)
}

// cellWide reports whether r takes two columns (CJK and fullwidth forms).
func cellWide(r rune) bool {
	if r < 0x1100 {
		return false // nothing below is wide, Han included: most text asks only this
	}
	return (r >= 0x2E80 && r <= 0xA4CF) || unicode.Is(unicode.Han, r) ||
		(r >= 0x1100 && r <= 0x115F) ||
		(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
		(r >= 0xFFE0 && r <= 0xFFE6) || r >= 0x1F300
}

// cellLines estimates how many lines s takes when wrapped in a column of
// the given width.
func cellLines(s string, width float64) int {
	usable := max(width-1.5, 1)
	n := 0
	for rest, more := cellNewlines(s), true; more; {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		n += max(1, int(math.Ceil(cellWidth(line)/usable)))
	}
	return n
}

// cellNewlines turns CRLF and CR into LF, for measuring.
func cellNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// cellLineHeight is the height in points of one line of 11-point text, and
// cellPadding the room above and below it.
const (
	cellLineHeight = 14.5
	cellPadding    = 2
)

// cellHeightFor is the row height in points for n lines of text.
func cellHeightFor(n int) float64 {
	return math.Min(float64(max(n, 1))*cellLineHeight+cellPadding, 409) // 409 points is Excel's maximum
}

// cellStyles are the style ids of a workbook.
type cellStyles struct {
	header      int // bold, filled, bordered, centred, wrapped
	text        int // bordered text
	wrap        int // bordered text, wrapped
	center      int // bordered text, centred
	red         int // bordered text, wrapped, dark red (取消评优资格, 错误)
	redCenter   int // bordered text, centred, dark red (a status other than 已接受)
	integer     int // bordered, #,##0
	score       int // bordered, 0.00
	diff        int // bordered, +0.00;-0.00;0.00
	pct         int // bordered, 0.0%
	sumText     int // total rows: bold, grey
	sumInt      int
	sumScore    int
	sumDiff     int
	sumPct      int
	section     int // a section heading: bold, 12 pt
	note        int // a note under a table: grey, not bordered
	title       int // a workbook title: bold, 16 pt, centred
	label       int // the label of a label/value pair: bold, grey, bordered
	verdictOK   int // 已接受: large, green
	verdictBad  int // 未通过校验: large, red
	verdictInfo int // 被替代 and others: large, grey
	highlight   int // conditional format below target: light red
}

// cellNewStyles sets the default font and creates the styles of a workbook.
func cellNewStyles(f *excelize.File) (*cellStyles, error) {
	if err := f.SetDefaultFont(cellFont); err != nil {
		return nil, err
	}
	border := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1},
		{Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	fill := func(c string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Color: []string{c}, Pattern: 1}
	}
	grey := fill("F2F2F2")
	vcenter := &excelize.Alignment{Vertical: "center"}
	vwrap := &excelize.Alignment{Vertical: "center", WrapText: true}
	diffFmt, pctFmt := "+0.00;-0.00;0.00", "0.0%"
	var err error
	st := &cellStyles{}
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.header, excelize.Style{Border: border, Fill: fill("DDEBF7"), Font: &excelize.Font{Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.text, excelize.Style{Border: border, Alignment: vcenter}},
		{&st.wrap, excelize.Style{Border: border, Alignment: vwrap}},
		{&st.center, excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.red, excelize.Style{Border: border, Alignment: vwrap, Font: &excelize.Font{Color: "9C0006"}}},
		{&st.redCenter, excelize.Style{Border: border, Font: &excelize.Font{Color: "9C0006"},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.integer, excelize.Style{Border: border, Alignment: vcenter, NumFmt: 3}},
		{&st.score, excelize.Style{Border: border, Alignment: vcenter, NumFmt: 2}},
		{&st.diff, excelize.Style{Border: border, Alignment: vcenter, CustomNumFmt: &diffFmt}},
		{&st.pct, excelize.Style{Border: border, Alignment: vcenter, CustomNumFmt: &pctFmt}},
		{&st.sumText, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vwrap}},
		{&st.sumInt, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, NumFmt: 3}},
		{&st.sumScore, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, NumFmt: 2}},
		{&st.sumDiff, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, CustomNumFmt: &diffFmt}},
		{&st.sumPct, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, CustomNumFmt: &pctFmt}},
		{&st.section, excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}, Alignment: vcenter}},
		{&st.note, excelize.Style{Font: &excelize.Font{Color: "595959"}, Alignment: vcenter}},
		{&st.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.label, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter}},
		{&st.verdictOK, excelize.Style{Border: border, Fill: fill("C6EFCE"), Font: &excelize.Font{Bold: true, Size: 20, Color: "006100"}, Alignment: vcenter}},
		{&st.verdictBad, excelize.Style{Border: border, Fill: fill("FFC7CE"), Font: &excelize.Font{Bold: true, Size: 20, Color: "9C0006"}, Alignment: vcenter}},
		{&st.verdictInfo, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true, Size: 20, Color: "404040"}, Alignment: vcenter}},
	} {
		if *s.id, err = f.NewStyle(&s.style); err != nil {
			return nil, err
		}
	}
	if st.highlight, err = f.NewConditionalStyle(&excelize.Style{Fill: fill("FFC7CE"), Font: &excelize.Font{Color: "9C0006"}}); err != nil {
		return nil, err
	}
	cellQuotePrefix(f, st.text, st.wrap, st.center, st.red, st.redCenter, st.sumText, st.note, st.label)
	return st, nil
}

// cellQuotePrefix marks text styles with quotePrefix (Excel's leading
// apostrophe): the cell stays text even after someone edits it in Excel.
// excelize has no option for it, so it is set on the style records directly.
func cellQuotePrefix(f *excelize.File, ids ...int) {
	if f.Styles == nil || f.Styles.CellXfs == nil {
		return
	}
	yes := true
	for _, id := range ids {
		if id > 0 && id < len(f.Styles.CellXfs.Xf) {
			f.Styles.CellXfs.Xf[id].QuotePrefix = &yes
		}
	}
}

// cellS is a text cell. Every string goes through cellCheck when written.
func cellS(style int, s string) excelize.Cell { return excelize.Cell{StyleID: style, Value: s} }

// cellF is a number cell (points are written with Points.Float()).
func cellF(style int, v float64) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }

// cellI is an integer cell.
func cellI(style int, v int64) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }

// cellE is an empty cell that keeps its style (borders).
func cellE(style int) excelize.Cell { return excelize.Cell{StyleID: style} }

// cellRow is one row of a cellTable.
type cellRow struct {
	cells  []excelize.Cell
	height float64 // points; 0 estimates it from the wrapped columns, < 0 leaves the default
}

// cellCol is a column of a cellTable. Its width is Width when set, else the
// widest text in the column (see cellWidth) plus a margin, within Min and Max.
type cellCol struct {
	Width, Min, Max float64
	Wrap            bool // text wraps: row heights are estimated from it
}

// cellTable is one worksheet, built in memory, then streamed by cellWrite.
type cellTable struct {
	Name      string
	Cols      []cellCol
	Rows      []cellRow
	Freeze    int      // header rows frozen on screen and repeated on every printed page
	Filter    string   // auto-filter range, e.g. A1:I33; "" for none
	Merges    []string // merged ranges, e.g. A1:F1
	Breaks    []int    // rows that start a new printed page
	Blocks    []int    // rows that start a block kept on one printed page where it fits
	Portrait  bool     // A4 portrait; landscape otherwise
	Header    string   // printed page header (centre); plain text
	Footer    string   // printed page footer (left); page numbers are added on the right
	PrintArea string   // printed range, e.g. A1:P64; "" prints what is used
	// Before adds what needs the sheet in memory (conditional formats,
	// charts); it runs before the stream is created.
	Before func(f *excelize.File, sheet string) error
	// Lazy rows are made when needed, not kept: a sheet of 100,000 rows is
	// written without holding its cells (see lazy).
	Lazy []cellLazy
}

// cellLazy is a run of rows made on demand, before Rows[At:].
type cellLazy struct {
	At, N int
	// Row makes the i-th row of the run (0-based); it is called several
	// times per row and must return the same cells each time, in new slices.
	Row func(i int) cellRow
}

// lazy makes the next n rows be those row makes on demand.
func (t *cellTable) lazy(n int, row func(i int) cellRow) {
	if n > 0 {
		t.Lazy = append(t.Lazy, cellLazy{At: len(t.Rows), N: n, Row: row})
	}
}

// lazyRows makes the next n rows, row i holding the cells row(i) makes.
func (t *cellTable) lazyRows(n int, row func(i int) []excelize.Cell) {
	t.lazy(n, func(i int) cellRow { return cellRow{cells: row(i)} })
}

// rowCount is the number of rows, lazy ones included.
func (t *cellTable) rowCount() int {
	n := len(t.Rows)
	for _, l := range t.Lazy {
		n += l.N
	}
	return n
}

// rowAt is row r (0-based) for writing. A lazy row is made anew, its texts
// cleaned (cellClean) as cellPrepare cleans the others.
func (t *cellTable) rowAt(r int) cellRow { return t.row0(r, true) }

// rowMeasured is row r for measuring: a lazy row's texts are not cleaned,
// which changes neither their widths nor their lengths (cellClean puts one
// U+FFFD for each rune or byte it replaces).
func (t *cellTable) rowMeasured(r int) cellRow { return t.row0(r, false) }

func (t *cellTable) row0(r int, clean bool) cellRow {
	made := 0 // lazy rows before the run looked at
	for _, l := range t.Lazy {
		start := l.At + made
		if r < start {
			break
		}
		if r < start+l.N {
			row := l.Row(r - start)
			for c, cell := range row.cells {
				if s, ok := cell.Value.(string); ok && clean {
					row.cells[c].Value = cellClean(s)
				}
			}
			return row
		}
		made += l.N
	}
	return t.Rows[r-made]
}

// add appends a row.
func (t *cellTable) add(cells ...excelize.Cell) { t.Rows = append(t.Rows, cellRow{cells: cells}) }

// addH appends a row of a given height in points.
func (t *cellTable) addH(height float64, cells ...excelize.Cell) {
	t.Rows = append(t.Rows, cellRow{cells: cells, height: height})
}

// row is the 1-based number the next added row gets.
func (t *cellTable) row() int { return t.rowCount() + 1 }

// cellAbs makes a cell reference absolute: P64 is $P$64.
func cellAbs(ref string) string {
	col, row, err := excelize.SplitCellName(ref)
	if err != nil {
		return ref
	}
	return fmt.Sprintf("$%s$%d", col, row)
}

// cellHF escapes text for a printed header or footer (& starts a code).
func cellHF(s string) string { return strings.ReplaceAll(cellClean(s), "&", "&&") }

// cellWrite writes t to its sheet, which must exist in f.
func cellWrite(f *excelize.File, t *cellTable) error {
	_, err := cellWriteSheet(f, t, true)
	return err
}

// cellWriteSheet writes t to its sheet: its settings and, when rows is
// set, its rows; without them, the caller writes the rows into the sheet's
// XML itself (report_fast.go), at the row heights returned.
func cellWriteSheet(f *excelize.File, t *cellTable, rows bool) ([]float64, error) {
	widths, heights, breaks, err := cellPrepare(t)
	if err != nil {
		return nil, err
	}
	return heights, cellWritePrepared(f, t, widths, heights, breaks, rows)
}

// cellWritePrepared is cellWriteSheet with t already prepared (cellPrepare):
// the part that needs the workbook.
func cellWritePrepared(f *excelize.File, t *cellTable, widths, heights []float64, breaks []int, rows bool) error {
	// Sheet settings, all before the stream exists (see the file comment).
	// AutoFilter replaces sheetPr, so it comes before SetSheetProps.
	if t.Filter != "" {
		if err := f.AutoFilter(t.Name, t.Filter, nil); err != nil {
			return err
		}
	}
	yes, one, zero := true, 1, 0
	if err := f.SetSheetProps(t.Name, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	orientation, a4 := "landscape", 9
	if t.Portrait {
		orientation = "portrait"
	}
	if err := f.SetPageLayout(t.Name, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &orientation, FitToWidth: &one, FitToHeight: &zero,
	}); err != nil {
		return err
	}
	m, mh := 0.5, 0.3
	if err := f.SetPageMargins(t.Name, &excelize.PageLayoutMarginsOptions{
		Left: &m, Right: &m, Top: &m, Bottom: &m, Header: &mh, Footer: &mh,
	}); err != nil {
		return err
	}
	hf := &excelize.HeaderFooterOptions{OddFooter: "&L" + cellHF(t.Footer) + "&R第 &P 页，共 &N 页"}
	if t.Header != "" {
		hf.OddHeader = "&C" + cellHF(t.Header)
	}
	if err := f.SetHeaderFooter(t.Name, hf); err != nil {
		return err
	}
	if t.Freeze > 0 {
		if err := f.SetDefinedName(&excelize.DefinedName{
			Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$%d", t.Name, t.Freeze), Scope: t.Name,
		}); err != nil {
			return err
		}
	}
	if t.PrintArea != "" {
		from, to, _ := strings.Cut(t.PrintArea, ":")
		if err := f.SetDefinedName(&excelize.DefinedName{
			Name: "_xlnm.Print_Area", RefersTo: fmt.Sprintf("'%s'!%s:%s", t.Name, cellAbs(from), cellAbs(to)), Scope: t.Name,
		}); err != nil {
			return err
		}
	}
	if t.Before != nil {
		if err := t.Before(f, t.Name); err != nil {
			return err
		}
	}

	sw, err := f.NewStreamWriter(t.Name)
	if err != nil {
		return err
	}
	if t.Freeze > 0 {
		top, _ := excelize.CoordinatesToCellName(1, t.Freeze+1)
		if err := sw.SetPanes(&excelize.Panes{
			Freeze: true, YSplit: t.Freeze, TopLeftCell: top, ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}},
		}); err != nil {
			return err
		}
	}
	for c, w := range widths {
		if err := sw.SetColWidth(c+1, c+1, w); err != nil {
			return err
		}
	}
	var vals []any
	for r := range t.rowCount() {
		if !rows {
			break
		}
		row := t.rowAt(r)
		h := heights[r]
		if h == cellDefaultHeight {
			h = 0
		}
		vals = slices.Grow(vals[:0], len(row.cells))[:len(row.cells)]
		for i, c := range row.cells {
			vals[i] = nil
			if c.StyleID != 0 || c.Value != nil {
				vals[i] = c // an unstyled empty cell is not written at all
			}
		}
		ref, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := sw.SetRow(ref, vals, excelize.RowOpts{Height: h}); err != nil {
			return fmt.Errorf("%s!%s: %w", t.Name, ref, err)
		}
	}
	for _, rng := range t.Merges {
		from, to, _ := strings.Cut(rng, ":")
		if err := sw.MergeCell(from, to); err != nil {
			return err
		}
	}
	for _, r := range breaks {
		if err := sw.InsertPageBreak(fmt.Sprintf("A%d", r)); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// cellPrepare checks and cleans every text of t (see cellCheck) and works
// out its column widths, row heights and page breaks.
func cellPrepare(t *cellTable) (widths, heights []float64, breaks []int, err error) {
	if widths, err = cellMeasure(t); err != nil {
		return nil, nil, nil, err
	}
	heights = cellHeights(t, widths)
	return widths, heights, cellBreaks(t, widths, heights), nil
}

// cellMeasure checks and cleans every text of t (the widths are computed
// from it) and works out its column widths, in one pass: lazy rows are
// made once per pass.
func cellMeasure(t *cellTable) ([]float64, error) {
	for r := range t.Rows {
		for c, cell := range t.Rows[r].cells {
			if s, ok := cell.Value.(string); ok {
				t.Rows[r].cells[c].Value = cellClean(s)
			}
		}
	}
	return cellWidths(t)
}

// cellBreaks are t's page breaks: its own, then those keeping its blocks
// on one page, at most as many as Excel allows.
func cellBreaks(t *cellTable, widths, heights []float64) []int {
	breaks := append(append([]int{}, t.Breaks...), cellBlockBreaks(t, widths, heights)...)
	if len(breaks) > cellMaxBreaks {
		breaks = breaks[:cellMaxBreaks] // the rest of the pages break where they fall
	}
	return breaks
}

// cellMaxBreaks is the most manual page breaks Excel allows in a sheet
// (1,026): a sheet with more is one Excel has to repair.
const cellMaxBreaks = 1026

// cellDefaultHeight is what a row of the default height is taken to be.
const cellDefaultHeight = 15

// cellHeights are the rows' heights in points: as set, or estimated for a
// row with cells, or cellDefaultHeight for an empty or default row.
func cellHeights(t *cellTable, widths []float64) []float64 {
	out := make([]float64, t.rowCount())
	for r := range out {
		out[r] = cellRowHeight(t, t.rowMeasured(r), widths)
	}
	return out
}

// cellRowHeight is the height of one row of t (see cellHeights).
func cellRowHeight(t *cellTable, row cellRow, widths []float64) float64 {
	switch {
	case row.height > 0:
		return row.height
	case row.height < 0 || len(row.cells) == 0:
		return cellDefaultHeight
	}
	return cellHeightFor(cellRowLines(t, row, widths))
}

// cellBlockBreaks places page breaks so that no block of t.Blocks is split
// across printed pages when it fits on one. The page's height is that of A4
// with the margins set by cellWrite, at the scale that fits the columns to
// the page's width; column widths are converted as Excel does for an 11-point
// font (7 pixels a unit plus 5). Excel and LibreOffice still add their own
// breaks inside a block taller than a page.
func cellBlockBreaks(t *cellTable, widths, heights []float64) []int {
	if len(t.Blocks) == 0 {
		return nil
	}
	pageW, pageH := 842.0-72, 595.0-72 // A4 landscape in points, less 0.5 inch margins
	if t.Portrait {
		pageW, pageH = pageH, pageW
	}
	totalW := 0.0
	for _, w := range widths {
		totalW += (w*7 + 5) * 0.75
	}
	scale := min(1, pageW/totalW)
	avail := pageH / scale * 0.95 // with a margin of error; the page header sits in the margin
	for r := 0; r < t.Freeze && r < len(heights); r++ {
		avail -= heights[r]
	}
	if avail < 100 {
		return nil // a page too small to reason about
	}
	var out []int
	used := 0.0
	add := func(from, to int) {
		for k := from; k < to; k++ {
			used += heights[k]
			for used > avail {
				used -= avail
			}
		}
	}
	starts := slices.Compact(slices.Sorted(slices.Values(t.Blocks)))
	next := t.Freeze // 0-based: the first row not yet on a page
	for i, start := range starts {
		from := start - 1
		if from < next || from >= len(heights) {
			continue
		}
		add(next, from)
		to := len(heights)
		if i+1 < len(starts) {
			to = min(to, starts[i+1]-1)
		}
		block := 0.0
		for k := from; k < to; k++ {
			block += heights[k]
		}
		if used > 0 && used+block > avail && block <= avail {
			out = append(out, start)
			used = 0
		}
		add(from, to)
		next = to
	}
	return out
}

// cellWidths computes the column widths of t, and checks that every text
// fits in a cell (ErrCellTooLong names the first that does not).
func cellWidths(t *cellTable) ([]float64, error) {
	var merged map[[2]int]bool
	for _, col := range t.Cols {
		if col.Width <= 0 { // a column sized by its texts: merged cells do not count
			merged = cellMergedCells(t)
			break
		}
	}
	out := make([]float64, len(t.Cols))
	for c, col := range t.Cols {
		out[c] = col.Min
	}
	for r := range t.rowCount() {
		row := t.rowMeasured(r)
		for c, cell := range row.cells {
			s, ok := cell.Value.(string)
			if !ok {
				continue
			}
			if len(s) > cellMaxChars && cellUnits(s) > cellMaxChars { // a UTF-8 byte is at most one UTF-16 unit
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				_, err := cellCheck(t.Name, ref, s)
				return nil, err
			}
			if c < len(t.Cols) && t.Cols[c].Width <= 0 && !merged[[2]int{r, c}] {
				out[c] = max(out[c], cellWidth(s)+2)
			}
		}
	}
	for c, col := range t.Cols {
		if col.Width > 0 {
			out[c] = col.Width
			continue
		}
		if col.Max > 0 {
			out[c] = min(out[c], col.Max)
		}
		out[c] = max(out[c], 4)
	}
	return out, nil
}

// cellMergedCells is the set of {row, col} (0-based) inside a merged range:
// their text spans several columns and does not size one.
func cellMergedCells(t *cellTable) map[[2]int]bool {
	m := map[[2]int]bool{}
	for _, rng := range t.Merges {
		from, to, _ := strings.Cut(rng, ":")
		c1, r1, err1 := excelize.CellNameToCoordinates(from)
		c2, r2, err2 := excelize.CellNameToCoordinates(to)
		if err1 != nil || err2 != nil {
			continue
		}
		for r := r1; r <= r2; r++ {
			for c := c1; c <= c2; c++ {
				m[[2]int{r - 1, c - 1}] = true
			}
		}
	}
	return m
}

// cellRowLines is the number of lines the row's wrapped texts need.
func cellRowLines(t *cellTable, row cellRow, widths []float64) int {
	n := 1
	for c, cell := range row.cells {
		s, ok := cell.Value.(string)
		if !ok || c >= len(widths) || (!t.Cols[c].Wrap && !strings.Contains(s, "\n")) {
			continue
		}
		n = max(n, cellLines(s, widths[c]))
	}
	return n
}

// cellNewFile creates a workbook with the named sheets, in order, and its styles.
func cellNewFile(names ...string) (*excelize.File, *cellStyles, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", names[0]); err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	for _, n := range names[1:] {
		if _, err := f.NewSheet(n); err != nil {
			_ = f.Close()
			return nil, nil, err
		}
	}
	st, err := cellNewStyles(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// cellSetProps sets fixed document properties, so the same input always
// gives the same workbook: no clock is read here.
func cellSetProps(f *excelize.File, title, subject, description string, at time.Time) error {
	stamp := ""
	if !at.IsZero() {
		stamp = at.UTC().Format("2006-01-02T15:04:05Z")
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:          cellClean(title),
		Subject:        cellClean(subject),
		Description:    cellClean(description),
		Creator:        "kaohe",
		LastModifiedBy: "kaohe",
		Created:        stamp,
		Modified:       stamp,
		Language:       "zh-CN",
	}); err != nil {
		return err
	}
	return f.SetAppProps(&excelize.AppProperties{Application: "kaohe"})
}
