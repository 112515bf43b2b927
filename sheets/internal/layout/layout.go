// Package layout lays out and writes the sheets of the workbooks kaohe
// writes (汇总排名表, 回执): tables of cells, their styles, widths, heights
// and page breaks, streamed through excelize.
//
// Every sheet is first built in memory as a Table, then streamed with
// excelize's StreamWriter. Two rules hold for every cell written here:
//
//   - Text is always a text cell (an inline string), never a formula, even
//     when it begins with = + - @, a tab or a CR: the stream writer only
//     writes a formula for an excelize.Cell with Formula set, which nothing
//     here ever does. The text styles also carry quotePrefix, so Excel keeps
//     such a cell text even when someone edits it and presses Enter.
//   - Text longer than an Excel cell can hold is an error (ErrTooLong),
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
package layout

import (
	"errors"
	"fmt"
	"kaohe/sheets/internal/text"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// ErrTooLong is returned, wrapped with the sheet and cell, when a text is
// longer than one Excel cell can hold (32,767 UTF-16 code units). The
// writers never truncate a text silently.
var ErrTooLong = errors.New("text too long for one Excel cell")

// MaxChars is Excel's limit on a cell's text, in UTF-16 code units.
const MaxChars = excelize.TotalCellChars

// Font is the workbooks' default font: present on every Chinese Windows
// and WPS installation; LibreOffice substitutes a CJK font elsewhere.
const Font = "宋体"

// Clean returns s as it is stored in a cell: runes that XML 1.0 cannot
// carry (control characters other than tab, LF and CR; U+FFFE, U+FFFF) and
// invalid UTF-8 become U+FFFD. excelize would do the same while encoding; doing
// it here makes what is read back equal to what was meant to be written.
func Clean(s string) string {
	ok := true
	for _, r := range s {
		if !xmlRune(r) || r == unicode.ReplacementChar {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s { // invalid UTF-8 ranges as U+FFFD
		if !xmlRune(r) {
			r = unicode.ReplacementChar
		}
		b.WriteRune(r)
	}
	return b.String()
}

func xmlRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return true
}

// Check returns s cleaned for a cell, or ErrTooLong naming the place.
func Check(sheet, ref, s string) (string, error) {
	s = Clean(s)
	if n := text.Units(s); n > MaxChars {
		return "", fmt.Errorf("%w: %s!%s would hold %d characters (UTF-16 units), Excel allows %d; the text begins %q",
			ErrTooLong, sheet, ref, n, MaxChars, Prefix(s, 40))
	}
	return s, nil
}

func Prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// Width is the display width of s's longest line in column-width units:
// 2 for a wide (CJK) character, 1 for others. LF, CR and CRLF end a line
// (Excel and LibreOffice break the line at a CR too).
func Width(s string) float64 {
	best, cur := 0.0, 0.0
	for _, r := range newlines(s) {
		switch {
		case r == '\n':
			best, cur = max(best, cur), 0
		case wide(r):
			cur += 2
		default:
			cur++
		}
	}
	return max(best, cur)
}

// wide reports whether r takes two columns (CJK and fullwidth forms).
func wide(r rune) bool {
	if r < 0x1100 {
		return false // nothing below is wide, Han included: most text asks only this
	}
	return (r >= 0x2E80 && r <= 0xA4CF) || unicode.Is(unicode.Han, r) ||
		(r >= 0x1100 && r <= 0x115F) ||
		(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
		(r >= 0xFFE0 && r <= 0xFFE6) || r >= 0x1F300
}

// Lines estimates how many lines s takes when wrapped in a column of
// the given width.
func Lines(s string, width float64) int {
	usable := max(width-1.5, 1)
	n := 0
	for rest, more := newlines(s), true; more; {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		n += max(1, int(math.Ceil(Width(line)/usable)))
	}
	return n
}

// newlines turns CRLF and CR into LF, for measuring.
func newlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// lineHeight is the height in points of one line of 11-point text, and
// padding the room above and below it.
const (
	lineHeight = 14.5
	padding    = 2
)

// HeightFor is the row height in points for n lines of text.
func HeightFor(n int) float64 {
	return math.Min(float64(max(n, 1))*lineHeight+padding, 409) // 409 points is Excel's maximum
}

// Styles are the style ids of a workbook.
type Styles struct {
	Header      int // bold, filled, bordered, centred, wrapped
	Text        int // bordered text
	Wrap        int // bordered text, wrapped
	Center      int // bordered text, centred
	Red         int // bordered text, wrapped, dark red (取消评优资格, 错误)
	RedCenter   int // bordered text, centred, dark red (a status other than 已接受)
	Integer     int // bordered, #,##0
	Score       int // bordered, 0.00
	Diff        int // bordered, +0.00;-0.00;0.00
	Pct         int // bordered, 0.0%
	SumText     int // total rows: bold, grey
	SumInt      int
	SumScore    int
	SumDiff     int
	SumPct      int
	Section     int // a section heading: bold, 12 pt
	Note        int // a note under a table: grey, not bordered
	Title       int // a workbook title: bold, 16 pt, centred
	Label       int // the label of a label/value pair: bold, grey, bordered
	VerdictOK   int // 已接受: large, green
	VerdictBad  int // 未通过校验: large, red
	VerdictInfo int // 被替代 and others: large, grey
	Highlight   int // conditional format below target: light red
}

// newStyles sets the default font and creates the styles of a workbook.
func newStyles(f *excelize.File) (*Styles, error) {
	if err := f.SetDefaultFont(Font); err != nil {
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
	st := &Styles{}
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.Header, excelize.Style{Border: border, Fill: fill("DDEBF7"), Font: &excelize.Font{Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.Text, excelize.Style{Border: border, Alignment: vcenter}},
		{&st.Wrap, excelize.Style{Border: border, Alignment: vwrap}},
		{&st.Center, excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.Red, excelize.Style{Border: border, Alignment: vwrap, Font: &excelize.Font{Color: "9C0006"}}},
		{&st.RedCenter, excelize.Style{Border: border, Font: &excelize.Font{Color: "9C0006"},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.Integer, excelize.Style{Border: border, Alignment: vcenter, NumFmt: 3}},
		{&st.Score, excelize.Style{Border: border, Alignment: vcenter, NumFmt: 2}},
		{&st.Diff, excelize.Style{Border: border, Alignment: vcenter, CustomNumFmt: &diffFmt}},
		{&st.Pct, excelize.Style{Border: border, Alignment: vcenter, CustomNumFmt: &pctFmt}},
		{&st.SumText, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vwrap}},
		{&st.SumInt, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, NumFmt: 3}},
		{&st.SumScore, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, NumFmt: 2}},
		{&st.SumDiff, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, CustomNumFmt: &diffFmt}},
		{&st.SumPct, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter, CustomNumFmt: &pctFmt}},
		{&st.Section, excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}, Alignment: vcenter}},
		{&st.Note, excelize.Style{Font: &excelize.Font{Color: "595959"}, Alignment: vcenter}},
		{&st.Title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.Label, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true}, Alignment: vcenter}},
		{&st.VerdictOK, excelize.Style{Border: border, Fill: fill("C6EFCE"), Font: &excelize.Font{Bold: true, Size: 20, Color: "006100"}, Alignment: vcenter}},
		{&st.VerdictBad, excelize.Style{Border: border, Fill: fill("FFC7CE"), Font: &excelize.Font{Bold: true, Size: 20, Color: "9C0006"}, Alignment: vcenter}},
		{&st.VerdictInfo, excelize.Style{Border: border, Fill: grey, Font: &excelize.Font{Bold: true, Size: 20, Color: "404040"}, Alignment: vcenter}},
	} {
		if *s.id, err = f.NewStyle(&s.style); err != nil {
			return nil, err
		}
	}
	if st.Highlight, err = f.NewConditionalStyle(&excelize.Style{Fill: fill("FFC7CE"), Font: &excelize.Font{Color: "9C0006"}}); err != nil {
		return nil, err
	}
	quotePrefix(f, st.Text, st.Wrap, st.Center, st.Red, st.RedCenter, st.SumText, st.Note, st.Label)
	return st, nil
}

// quotePrefix marks text styles with quotePrefix (Excel's leading
// apostrophe): the cell stays text even after someone edits it in Excel.
// excelize has no option for it, so it is set on the style records directly.
func quotePrefix(f *excelize.File, ids ...int) {
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

// S is a text cell. Every string goes through Check when written.
func S(style int, s string) excelize.Cell { return excelize.Cell{StyleID: style, Value: s} }

// F is a number cell (points are written with Points.Float()).
func F(style int, v float64) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }

// I is an integer cell.
func I(style int, v int64) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }

// E is an empty cell that keeps its style (borders).
func E(style int) excelize.Cell { return excelize.Cell{StyleID: style} }

// Row is one row of a Table.
type Row struct {
	Cells  []excelize.Cell
	Height float64 // points; 0 estimates it from the wrapped columns, < 0 leaves the default
}

// Col is a column of a Table. Its width is Width when set, else the
// widest text in the column (see Width) plus a margin, within Min and Max.
type Col struct {
	Width, Min, Max float64
	Wrap            bool // text wraps: row heights are estimated from it
}

// Table is one worksheet, built in memory, then streamed by Write.
type Table struct {
	Name      string
	Cols      []Col
	Rows      []Row
	Freeze    int      // header rows frozen on screen and repeated on every printed page
	Filter    string   // auto-filter range, e.g. A1:I33; "" for none
	Merges    []string // merged ranges, e.g. A1:F1
	Breaks    []int    // rows that start a new printed page
	Portrait  bool     // A4 portrait; landscape otherwise
	Header    string   // printed page header (centre); plain text
	Footer    string   // printed page footer (left); page numbers are added on the right
	PrintArea string   // printed range, e.g. A1:P64; "" prints what is used
	OnePage   bool     // printed on one page: fitted to the page's width and height
	// Before adds what needs the sheet in memory (conditional formats,
	// charts); it runs before the stream is created.
	Before func(f *excelize.File, sheet string) error
	// lazy rows are made when needed, not kept: a sheet of 100,000 rows is
	// written without holding its cells (see lazy).
	lazy []lazyRun
}

// lazyRun is a run of rows made on demand, before Rows[At:].
type lazyRun struct {
	At, N int
	// Row makes the i-th row of the run (0-based); it is called several
	// times per row and must return the same cells each time, in new slices.
	Row func(i int) Row
}

// AddLazy makes the next n rows be those row makes on demand.
func (t *Table) AddLazy(n int, row func(i int) Row) {
	if n > 0 {
		t.lazy = append(t.lazy, lazyRun{At: len(t.Rows), N: n, Row: row})
	}
}

// AddLazyRows makes the next n rows, row i holding the cells row(i) makes.
func (t *Table) AddLazyRows(n int, row func(i int) []excelize.Cell) {
	t.AddLazy(n, func(i int) Row { return Row{Cells: row(i)} })
}

// RowCount is the number of rows, lazy ones included.
func (t *Table) RowCount() int {
	n := len(t.Rows)
	for _, l := range t.lazy {
		n += l.N
	}
	return n
}

// RowAt is row r (0-based) for writing. A lazy row is made anew, its texts
// cleaned (Clean) as Prepare cleans the others.
func (t *Table) RowAt(r int) Row { return t.row0(r, true) }

// RowMeasured is row r for measuring: a lazy row's texts are not cleaned,
// which changes neither their widths nor their lengths (Clean puts one
// U+FFFD for each rune or byte it replaces).
func (t *Table) RowMeasured(r int) Row { return t.row0(r, false) }

func (t *Table) row0(r int, clean bool) Row {
	made := 0 // lazy rows before the run looked at
	for _, l := range t.lazy {
		start := l.At + made
		if r < start {
			break
		}
		if r < start+l.N {
			row := l.Row(r - start)
			for c, cell := range row.Cells {
				if s, ok := cell.Value.(string); ok && clean {
					row.Cells[c].Value = Clean(s)
				}
			}
			return row
		}
		made += l.N
	}
	return t.Rows[r-made]
}

// Add appends a row.
func (t *Table) Add(cells ...excelize.Cell) { t.Rows = append(t.Rows, Row{Cells: cells}) }

// AddH appends a row of a given height in points.
func (t *Table) AddH(height float64, cells ...excelize.Cell) {
	t.Rows = append(t.Rows, Row{Cells: cells, Height: height})
}

// NextRow is the 1-based number the next added NextRow gets.
func (t *Table) NextRow() int { return t.RowCount() + 1 }

// Abs makes a cell reference absolute: P64 is $P$64.
func Abs(ref string) string {
	col, row, err := excelize.SplitCellName(ref)
	if err != nil {
		return ref
	}
	return fmt.Sprintf("$%s$%d", col, row)
}

// HF escapes text for a printed header or footer (& starts a code).
func HF(s string) string { return strings.ReplaceAll(Clean(s), "&", "&&") }

// Write writes t to its sheet, which must exist in f.
func Write(f *excelize.File, t *Table) error {
	_, err := WriteSheet(f, t, true)
	return err
}

// WriteSheet writes t to its sheet: its settings and, when rows is
// set, its rows; without them, the caller writes the rows into the sheet's
// XML itself (report_fast.go), at the row heights returned.
func WriteSheet(f *excelize.File, t *Table, rows bool) ([]float64, error) {
	widths, heights, breaks, err := Prepare(t)
	if err != nil {
		return nil, err
	}
	return heights, WritePrepared(f, t, widths, heights, breaks, rows)
}

// WritePrepared is WriteSheet with t already prepared (Prepare):
// the part that needs the workbook.
func WritePrepared(f *excelize.File, t *Table, widths, heights []float64, breaks []int, rows bool) error {
	// Sheet settings, all before the stream exists (see the file comment).
	// AutoFilter replaces sheetPr, so it comes before SetSheetProps.
	if t.Filter != "" {
		if err := f.AutoFilter(t.Name, t.Filter, nil); err != nil {
			return err
		}
	}
	yes, one, tall := true, 1, 0 // fitted to the page's width; as many pages tall as it takes
	if t.OnePage {
		tall = 1
	}
	if err := f.SetSheetProps(t.Name, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	orientation, a4 := "landscape", 9
	if t.Portrait {
		orientation = "portrait"
	}
	if err := f.SetPageLayout(t.Name, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &orientation, FitToWidth: &one, FitToHeight: &tall,
	}); err != nil {
		return err
	}
	m, mh := 0.5, 0.3
	if err := f.SetPageMargins(t.Name, &excelize.PageLayoutMarginsOptions{
		Left: &m, Right: &m, Top: &m, Bottom: &m, Header: &mh, Footer: &mh,
	}); err != nil {
		return err
	}
	hf := &excelize.HeaderFooterOptions{OddFooter: "&L" + HF(t.Footer) + "&R第 &P 页，共 &N 页"}
	if t.Header != "" {
		hf.OddHeader = "&C" + HF(t.Header)
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
			Name: "_xlnm.Print_Area", RefersTo: fmt.Sprintf("'%s'!%s:%s", t.Name, Abs(from), Abs(to)), Scope: t.Name,
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
	for r := range t.RowCount() {
		if !rows {
			break
		}
		row := t.RowAt(r)
		h := heights[r]
		if h == DefaultHeight {
			h = 0
		}
		vals = slices.Grow(vals[:0], len(row.Cells))[:len(row.Cells)]
		for i, c := range row.Cells {
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

// Prepare checks and cleans every text of t (see Check) and works
// out its column widths, row heights and page breaks.
func Prepare(t *Table) (widths, heights []float64, breaks []int, err error) {
	if widths, err = Measure(t); err != nil {
		return nil, nil, nil, err
	}
	heights = Heights(t, widths)
	return widths, heights, Breaks(t), nil
}

// Measure checks and cleans every text of t (the widths are computed
// from it) and works out its column widths, in one pass: lazy rows are
// made once per pass.
func Measure(t *Table) ([]float64, error) {
	for r := range t.Rows {
		for c, cell := range t.Rows[r].Cells {
			if s, ok := cell.Value.(string); ok {
				t.Rows[r].Cells[c].Value = Clean(s)
			}
		}
	}
	return colWidths(t)
}

// Breaks are t's page breaks, at most as many as Excel allows.
func Breaks(t *Table) []int {
	breaks := t.Breaks
	if len(breaks) > MaxBreaks {
		breaks = breaks[:MaxBreaks] // the rest of the pages break where they fall
	}
	return breaks
}

// MaxBreaks is the most manual page breaks Excel allows in a sheet
// (1,026): a sheet with more is one Excel has to repair.
const MaxBreaks = 1026

// DefaultHeight is what a row of the default height is taken to be.
const DefaultHeight = 15

// Heights are the rows' heights in points: as set, or estimated for a
// row with cells, or DefaultHeight for an empty or default row.
func Heights(t *Table, widths []float64) []float64 {
	out := make([]float64, t.RowCount())
	for r := range out {
		out[r] = RowHeight(t, t.RowMeasured(r), widths)
	}
	return out
}

// RowHeight is the height of one row of t (see Heights).
func RowHeight(t *Table, row Row, widths []float64) float64 {
	switch {
	case row.Height > 0:
		return row.Height
	case row.Height < 0 || len(row.Cells) == 0:
		return DefaultHeight
	}
	return HeightFor(rowLines(t, row, widths))
}

// colWidths computes the column widths of t, and checks that every text
// fits in a cell (ErrTooLong names the first that does not).
func colWidths(t *Table) ([]float64, error) {
	var merged map[[2]int]bool
	for _, col := range t.Cols {
		if col.Width <= 0 { // a column sized by its texts: merged cells do not count
			merged = mergedCells(t)
			break
		}
	}
	out := make([]float64, len(t.Cols))
	for c, col := range t.Cols {
		out[c] = col.Min
	}
	for r := range t.RowCount() {
		row := t.RowMeasured(r)
		for c, cell := range row.Cells {
			s, ok := cell.Value.(string)
			if !ok {
				continue
			}
			if len(s) > MaxChars && text.Units(s) > MaxChars { // a UTF-8 byte is at most one UTF-16 unit
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				_, err := Check(t.Name, ref, s)
				return nil, err
			}
			if c < len(t.Cols) && t.Cols[c].Width <= 0 && !merged[[2]int{r, c}] {
				out[c] = max(out[c], Width(s)+2)
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

// mergedCells is the set of {row, col} (0-based) inside a merged range:
// their text spans several columns and does not size one.
func mergedCells(t *Table) map[[2]int]bool {
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

// rowLines is the number of lines the row's wrapped texts need.
func rowLines(t *Table, row Row, widths []float64) int {
	n := 1
	for c, cell := range row.Cells {
		s, ok := cell.Value.(string)
		if !ok || c >= len(widths) || (!t.Cols[c].Wrap && !strings.Contains(s, "\n")) {
			continue
		}
		n = max(n, Lines(s, widths[c]))
	}
	return n
}

// NewFile creates a workbook with the named sheets, in order, and its styles.
func NewFile(names ...string) (*excelize.File, *Styles, error) {
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
	st, err := newStyles(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// SetProps sets fixed document properties, so the same input always
// gives the same workbook: no clock is read here.
func SetProps(f *excelize.File, title, subject, description string, at time.Time) error {
	stamp := ""
	if !at.IsZero() {
		stamp = at.UTC().Format("2006-01-02T15:04:05Z")
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:          Clean(title),
		Subject:        Clean(subject),
		Description:    Clean(description),
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
