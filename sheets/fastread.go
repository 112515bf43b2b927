package sheets

// The fast path of Read.
//
// Read refuses what the bytes are not (sniff.go), bounds and checks the XML
// parts the fields rely on (scan.go), then lets excelize open the workbook:
// excelize unmarshals the workbook, its styles and theme, then every
// worksheet read from, whole, into its object model. That is about 3 ms a
// submission, most of it in encoding/xml, for about 45 cells.
//
// The fast path does all three in one pass over the bytes: it unzips only
// the parts the reader needs, straight from the upload's bytes, and scans
// their XML with a strict tokenizer that allocates next to nothing, keeping
// just the field cells: about 0.35 ms. What a template writes the same
// into every copy (the workbook part with its defined names, a sheet's data
// validations) is read once and then known by its exact bytes (ooxml.Memo).
//
// It is an optimisation, never a second reader. It answers only when
//
//   - sniff finds a workbook (it is called: cheap, the zip's directory);
//   - the scan would refuse nothing: the same limits (sizes, sheets, shared
//     strings, rows and cells of the sheets holding fields, text lengths),
//     no macros, every part it reads well-formed and whole (size and CRC-32
//     checked as archive/zip checks them), rows and cells with their
//     references and in order, a sheet part for every field;
//   - and excelize would read the fields exactly as the fast path does: the
//     same sheets and defined names and, for each field cell, the same type,
//     raw value and formula (no formula, no merged field cell but at its top
//     left, no Strict OOXML, no DTD, CDATA, comment or non-UTF-8 encoding,
//     parts excelize parses when opening well-formed with the roots it
//     expects, and the attribute types of the elements read: rows, cells,
//     sheets, defined names).
//
// Anything else goes the slow way (fastOpen returns nil): sniff, scan and
// excelize say what they always said. A change to what the scan refuses
// must be mirrored here (the fast path must refuse as much or more);
// TestFastOpenMatchesExcelize runs both over the hostile uploads of
// testdata/hostile and FuzzFastPart compares them on mutated XML.
//
// Two differences remain, both for workbooks no spreadsheet program writes:
// the types of attributes of elements the fast path skips (a style's
// numFmtId, a column's width) are not checked, where excelize refuses to
// open a workbook whose numbers there are not numbers; and styles, theme and
// calculation chain found well-formed once are known by their CRC-32 and
// size (fastChecked), where excelize reads the bytes whatever the directory
// says. Such a workbook's fields are read here where excelize would refuse
// it.

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/ooxml"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// fastBook is a workbook read by the fast path.
type fastBook struct {
	sheets []string
	names  []excelize.DefinedName
	table  *book.Names
	cells  map[book.Place]fastCell
	missed bool // the reader asked for a cell not read ahead: ask excelize
}

// fastCell is one field cell: what excelize's GetCellFormula, GetCellType
// and GetCellValue (raw) return for it.
type fastCell struct {
	c   book.Cell
	err error
}

// errFastCell is a cell excelize cannot read (a bad shared string index,
// a sheet without its part): the reader reports it as unreadable.
var errFastCell = errors.New("cell not readable")

func (b *fastBook) Names() *book.Names { return b.table }

// Cell returns a field Cell read ahead; a Cell not read ahead (never, as
// fastOpen reads every Cell a name points at) sets missed.
func (b *fastBook) Cell(at book.Place) (book.Cell, error) {
	c, ok := b.cells[at]
	if !ok {
		b.missed = true
		return book.Cell{}, errFastCell
	}
	return c.c, c.err
}

// fastDisabled sends every workbook to excelize (tests compare both paths).
var fastDisabled bool

var fastArenas = sync.Pool{New: func() any { return &ooxml.Arena{} }}

// fastChecked remembers parts found well-formed (styles, theme, calculation
// chain) by their zip directory's CRC-32 and size: the uploads of one
// template share them, so each is checked once. (A part whose directory
// lies about its CRC is not read by excelize either: it ignores the
// mismatch and reads what is there.)
var fastChecked sync.Map // fastPartKey → true

type fastPartKey struct {
	name string
	crc  uint32
	size uint64
}

// fastCheckedCap bounds fastChecked.
const fastCheckedCap = 256

var fastCheckedN atomic.Int64

// fastOpen reads data as excelize would open it with lim, or returns nil
// when the workbook is not one the fast path answers for.
func fastOpen(data []byte, lim Limits) (fb *fastBook) {
	defer func() {
		if recover() != nil {
			fb = nil // never: but a bug here must not change what Read says
		}
	}()
	if fastDisabled {
		return nil
	}
	zr, is := sniff(data, lim) // what the file is: cheap, the zip's directory only
	if is != nil {
		return nil
	}
	// The sizes, as excelize's ReadZipReader and the scan count them, and
	// the parts by name.
	parts := make(map[string]*zip.File, len(zr.File))
	var total int64
	for _, zf := range zr.File {
		size := int64(zf.UncompressedSize64)
		total += size
		if size < 0 || size > lim.UnzipSizeLimit || total > lim.UnzipSizeLimit {
			return nil
		}
		name := zf.Name
		if strings.ContainsRune(name, '\\') {
			return nil
		}
		lower := strings.ToLower(name)
		switch {
		case lower == "[content_types].xml":
			name = "[Content_Types].xml"
		case lower == "xl/sharedstrings.xml":
			name = "xl/sharedStrings.xml"
		}
		if (strings.HasSuffix(lower, ".xml") || strings.HasSuffix(lower, ".rels") || strings.HasSuffix(lower, ".vml")) && size > lim.UnzipXMLSizeLimit {
			return nil
		}
		if _, dup := parts[name]; dup {
			return nil
		}
		parts[name] = zf
	}
	arena := fastArenas.Get().(*ooxml.Arena)
	defer fastArenas.Put(arena)
	arena.Reset()
	// read unzips a part; missing is (nil, true), unreadable (nil, false).
	read := func(name string) ([]byte, bool) {
		zf, ok := parts[name]
		if !ok {
			return nil, true
		}
		b, ok := ooxml.Unzip(data, zf, arena)
		if !ok || bytes.Contains(b, []byte("purl.oclc.org")) {
			return nil, false // damaged, or Strict OOXML: excelize rewrites its namespaces
		}
		return b, true
	}

	// The content types: no macros (the scan refuses them).
	ct, ok := read("[Content_Types].xml")
	if !ok || ct == nil || !ooxml.WellFormed(ct, ooxml.NSTypes, "Types", true) {
		return nil
	}
	lct := bytes.ToLower(ct)
	for _, macro := range []string{"macroenabled", "vbaproject", "macrosheet"} {
		if bytes.Contains(lct, []byte(macro)) {
			return nil
		}
	}
	// Parts excelize decodes when opening, read here only to be sure they
	// are well-formed with the root excelize expects.
	for _, p := range []struct{ name, ns, root string }{
		{"xl/styles.xml", ooxml.NSMain, "styleSheet"},
		{"xl/theme/theme1.xml", ooxml.NSDrawing, "theme"},
		{"xl/calcChain.xml", ooxml.NSMain, "calcChain"},
	} {
		zf, ok := parts[p.name]
		if !ok {
			continue
		}
		key := fastPartKey{p.name, zf.CRC32, zf.UncompressedSize64}
		if _, ok := fastChecked.Load(key); ok {
			continue
		}
		b, ok := read(p.name)
		if !ok || !ooxml.WellFormed(b, p.ns, p.root, false) {
			return nil
		}
		if fastCheckedN.Add(1) <= fastCheckedCap {
			fastChecked.Store(key, true)
		}
	}

	// The workbook: _rels/.rels names it; excelize needs it at xl/workbook.xml.
	rootRels, ok := read("_rels/.rels")
	if !ok || rootRels == nil {
		return nil
	}
	rels, ok := ooxml.ReadRels(rootRels)
	if !ok {
		return nil
	}
	wbPath := ""
	for _, r := range rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			if wbPath != "" || r.Type != ooxml.RelOfficeDocument {
				return nil // excelize and the scan might pick different ones
			}
			wbPath = strings.TrimPrefix(r.Target, "/")
		}
	}
	if wbPath != "xl/workbook.xml" {
		return nil
	}
	wbXML, ok := read(wbPath)
	if !ok || wbXML == nil {
		return nil
	}
	wr, h, ok := fastWorkbooks.Get(wbXML)
	if !ok {
		wr = fastReadWorkbook(wbXML)
		fastWorkbooks.Put(h, wbXML, wr)
	}
	if wr == nil || len(wr.sheets) > lim.MaxSheets {
		return nil
	}
	wbRelsXML, ok := read("xl/_rels/workbook.xml.rels")
	if !ok || wbRelsXML == nil {
		return nil
	}
	wbRels, ok := ooxml.ReadRels(wbRelsXML)
	if !ok {
		return nil
	}
	byID := map[string]ooxml.Rel{}
	for _, r := range wbRels {
		if _, dup := byID[r.ID]; dup {
			return nil
		}
		byID[r.ID] = r
	}

	fb = &fastBook{cells: make(map[book.Place]fastCell, len(templates.Fields)), sheets: wr.sheets, names: wr.names, table: wr.table}
	sheetPart := map[string]string{} // sheet name → part, as excelize's getSheetMap
	for i, s := range wr.wb.Sheets {
		if r, ok := byID[s.RID]; ok {
			p := strings.TrimPrefix(path.Clean("xl/"+r.Target), "/")
			if strings.HasPrefix(r.Target, "/") {
				p = strings.TrimPrefix(path.Clean(r.Target), "/")
			}
			if _, ok := parts[p]; ok {
				sheetPart[wr.sheets[i]] = p
			}
		}
	}
	want := wr.want
	sst, ok := fastSharedStrings(nil)
	if sb, ok := read("xl/sharedStrings.xml"); !ok {
		return nil
	} else if sb != nil {
		// excelize reads (and may refuse) them on every GetCellValue, the
		// scan counts them.
		if sst, ok = fastSharedStrings(sb); !ok || len(sst.items) > lim.MaxStrings {
			return nil
		}
	}
	for sheet, cells := range want {
		p, ok := sheetPart[sheet]
		if !ok || !strings.HasPrefix(p, "xl/worksheets/") {
			return nil // the scan refuses a sheet without its part
		}
		if fastSheetNameError(sheet) != nil {
			for cell := range cells {
				fb.cells[book.Place{Sheet: sheet, Cell: cell}] = fastCell{err: errFastCell}
			}
			continue
		}
		b, ok := read(p)
		if !ok || b == nil {
			return nil
		}
		found, ok := fastSheet(b, cells, lim)
		if !ok {
			return nil
		}
		for cell := range cells {
			fc, ok := found[cell]
			if !ok {
				fb.cells[book.Place{Sheet: sheet, Cell: cell}] = fastCell{} // empty, as excelize reads a missing cell
				continue
			}
			rc, err, ok := fc.resolve(sst)
			if !ok || err != nil || text.Units(fc.v) > lim.MaxTextChars || text.Units(rc.Raw) > lim.MaxTextChars {
				return nil // the scan refuses a bad shared string index or an overlong text
			}
			fb.cells[book.Place{Sheet: sheet, Cell: cell}] = fastCell{c: rc}
		}
	}
	return fb
}

// fastWBRead is what fastOpen makes of a workbook part: its sheets, its
// defined names as excelize lists them and as the reader resolves them,
// and the cells the reader will ask for, by sheet. Shared (fastWorkbooks):
// never changed once made.
type fastWBRead struct {
	wb     *ooxml.Workbook
	sheets []string
	names  []excelize.DefinedName
	table  *book.Names
	want   map[string]map[string]bool
}

// fastWorkbooks holds workbook parts read before (ooxml.Memo); nil for one
// fastOpen leaves to excelize.
var fastWorkbooks = ooxml.NewMemo[*fastWBRead]()

// fastReadWorkbook reads xl/workbook.xml; nil when the workbook is left to
// excelize.
func fastReadWorkbook(b []byte) *fastWBRead {
	wb, ok := ooxml.ReadWorkbook(b)
	if !ok {
		return nil
	}
	wr := &fastWBRead{wb: wb, names: make([]excelize.DefinedName, 0, len(wb.Names))}
	for i, s := range wb.Sheets {
		wr.sheets = append(wr.sheets, s.Name)
		for _, t := range wr.sheets[:i] {
			if strings.EqualFold(t, s.Name) || strings.ToLower(t) == strings.ToLower(s.Name) {
				return nil // excelize would pick one of them at random; the scan refuses
			}
		}
	}
	for _, dn := range wb.Names {
		scope := "Workbook"
		if dn.Local != nil && *dn.Local >= 0 {
			scope = ""
			if *dn.Local < len(wr.sheets) {
				scope = wr.sheets[*dn.Local]
			}
		}
		wr.names = append(wr.names, excelize.DefinedName{Name: dn.Name, RefersTo: dn.RefersTo, Scope: scope}) // the comment is never read
	}
	// The cells the reader will ask for: the fields' names, resolved as
	// the reader resolves them.
	wr.table = book.ResolveList(wr.sheets, wr.names)
	wr.want = map[string]map[string]bool{} // sheet → cells
	for _, fd := range templates.Fields {
		c, _, ok := wr.table.Lookup(fd.Name)
		if !ok {
			continue
		}
		if wr.want[c.Sheet] == nil {
			wr.want[c.Sheet] = make(map[string]bool, len(templates.Fields))
		}
		wr.want[c.Sheet][c.Cell] = true
	}
	return wr
}

// fastSheetNameError is excelize's checkSheetName.
func fastSheetNameError(name string) error {
	switch {
	case name == "":
		return excelize.ErrSheetNameBlank
	case len(utf16.Encode([]rune(name))) > excelize.MaxSheetNameLength:
		return excelize.ErrSheetNameLength
	case strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'"):
		return excelize.ErrSheetNameSingleQuote
	case strings.ContainsAny(name, ":\\/?*[]"):
		return excelize.ErrSheetNameInvalid
	}
	return nil
}

// --- the tokenizer ---------------------------------------------------------

// --- the parts ---------------------------------------------------------------

// fastQuickCell reads the usual shape of a cell at the start of b:
// <c r="REF"[ s="DIGITS"][ t="LETTERS"]> then />, ></c> or ><v>text</v></c>;
// n is the bytes it takes, 0 when b starts otherwise.
func fastQuickCell(b []byte) (ref, typ, v []byte, hasV bool, n int) {
	// attr reads name="value" at b[at:] with value's bytes all ok: absent
	// is (nil, at), malformed (nil, -1).
	attr := func(at int, name string, max int, ok func(c byte) bool) ([]byte, int) {
		if !bytes.HasPrefix(b[at:], []byte(name)) {
			return nil, at
		}
		i := at + len(name)
		j := i
		for j < len(b) && j-i <= max && ok(b[j]) {
			j++
		}
		if j == i || j-i > max || j >= len(b) || b[j] != '"' {
			return nil, -1
		}
		return b[i:j], j + 1
	}
	ref, i := attr(0, `<c r="`, 10, func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' })
	if ref == nil {
		return nil, nil, nil, false, 0
	}
	if _, i = attr(i, ` s="`, 18, func(c byte) bool { return c >= '0' && c <= '9' }); i < 0 {
		return nil, nil, nil, false, 0
	}
	if typ, i = attr(i, ` t="`, 9, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }); i < 0 {
		return nil, nil, nil, false, 0
	}
	rest := b[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("/>")):
		return ref, typ, nil, false, i + 2
	case bytes.HasPrefix(rest, []byte("></c>")):
		return ref, typ, nil, false, i + 5
	case bytes.HasPrefix(rest, []byte("><v>")):
		k := bytes.IndexByte(rest[4:], '<')
		if k < 0 || !bytes.HasPrefix(rest[4+k:], []byte("</v></c>")) || !ooxml.ValidText(rest[4:4+k]) {
			return nil, nil, nil, false, 0
		}
		return ref, typ, rest[4 : 4+k], true, i + 4 + k + len("</v></c>")
	}
	return nil, nil, nil, false, 0
}

// fastSST is the shared strings: each item's raw element, decoded on use.
type fastSST struct {
	items [][]byte // the <si> elements, whole
}

// fastSharedStrings reads the shared strings part.
func fastSharedStrings(b []byte) (*fastSST, bool) {
	if b == nil {
		return &fastSST{}, true
	}
	t := &ooxml.Tokenizer{B: b}
	if !t.Root(ooxml.NSMain, "sst") {
		return nil, false
	}
	if !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
		switch string(name) {
		case "count", "uniqueCount":
			return ooxml.Int(raw)
		}
		return true
	}) {
		return nil, false
	}
	sst := &fastSST{items: make([][]byte, 0, bytes.Count(b, []byte("<si>")))}
	if t.Self {
		t.Next()
		return sst, !t.Bad
	}
	for {
		// The usual item, <si><t>text</t></si>, taken at once.
		if rest := t.B[t.I:]; bytes.HasPrefix(rest, []byte("<si><t>")) {
			if end := bytes.IndexByte(rest[7:], '<'); end >= 0 && bytes.HasPrefix(rest[7+end:], []byte("</t></si>")) && ooxml.ValidText(rest[7:7+end]) {
				n := 7 + end + len("</t></si>")
				sst.items = append(sst.items, rest[:n])
				t.I += n
				continue
			}
		}
		switch t.Next() {
		case ooxml.StartElement:
			if string(ooxml.Local(t.Name)) != "si" {
				t.Skip()
				continue
			}
			from := t.At
			t.Skip()
			sst.items = append(sst.items, t.B[from:t.I])
		case ooxml.EndElement:
			t.Next()
			return sst, !t.Bad
		case ooxml.CharData:
		case ooxml.EOF:
			return nil, false
		}
	}
}

// fastString decodes one <si> or <is> element as excelize's xlsxSI.String:
// its <t>, then the <t> of each <r> run; phonetic runs are not text.
func fastString(b []byte) (string, bool) {
	t := &ooxml.Tokenizer{B: b}
	if t.Next() != ooxml.StartElement {
		return "", false
	}
	var sb strings.Builder // the runs' text
	direct, seenT := "", false
	ok := ooxml.Children(t, func() bool {
		switch string(ooxml.Local(t.Name)) {
		case "t":
			if seenT {
				return false // encoding/xml keeps the last: not worth following
			}
			seenT = true
			s, ok := ooxml.TextOnly(t)
			direct = s // String() puts it before the runs, wherever it is
			return ok
		case "r":
			runT := false
			return ooxml.Children(t, func() bool {
				switch string(ooxml.Local(t.Name)) {
				case "t":
					if runT {
						return false
					}
					runT = true
					s, ok := ooxml.TextOnly(t)
					sb.WriteString(s)
					return ok
				}
				t.Skip()
				return !t.Bad
			})
		}
		t.Skip()
		return !t.Bad
	})
	if !ok || t.Bad {
		return "", false
	}
	s := direct + sb.String()
	if strings.Contains(s, "_x") {
		return "", false // excelize unescapes _x000D_
	}
	return s, true
}

// fastRawCell is a field cell as found in the sheet.
type fastRawCell struct {
	t, v string
	is   []byte // the <is> element, whole
}

// fastCellTypes are the cell types by their t attribute, as excelize reads them.
var fastCellTypes = map[string]excelize.CellType{
	"b": excelize.CellTypeBool, "d": excelize.CellTypeDate, "n": excelize.CellTypeNumber,
	"e": excelize.CellTypeError, "s": excelize.CellTypeSharedString, "str": excelize.CellTypeFormula,
	"inlineStr": excelize.CellTypeInlineString,
}

// resolve is what excelize returns for the cell; ok is false when the
// fast path does not follow excelize there.
func (c fastRawCell) resolve(sst *fastSST) (book.Cell, error, bool) {
	typ := fastCellTypes[c.t]
	rc := book.Cell{Type: typ, Raw: c.v}
	switch c.t {
	case "s":
		if c.v == "" {
			return rc, nil, true
		}
		idx, err := strconv.Atoi(strings.TrimSpace(c.v))
		if err != nil {
			return rc, nil, false // excelize reads index 0
		}
		if idx < 0 || idx >= len(sst.items) {
			return book.Cell{Type: typ}, errFastCell, true
		}
		s, ok := fastString(sst.items[idx])
		rc.Raw = s
		return rc, nil, ok
	case "inlineStr":
		if c.is != nil {
			s, ok := fastString(c.is)
			rc.Raw = s
			return rc, nil, ok
		}
	}
	return rc, nil, true
}

// fastSheet scans a worksheet for the wanted cells, checking the shape
// excelize's lookups rely on: rows and cells with their references, in
// order; no wanted cell inside a merged range but at its top left.
func fastSheet(b []byte, want map[string]bool, lim Limits) (map[string]fastRawCell, bool) {
	t := &ooxml.Tokenizer{B: b}
	if !t.Root(ooxml.NSMain, "worksheet") {
		return nil, false
	}
	found := make(map[string]fastRawCell, len(want))
	if t.Self {
		t.Next()
		return found, !t.Bad
	}
	seenData, seenMerges := false, false
	var merges []string
	for {
		switch t.Next() {
		case ooxml.StartElement:
			switch string(ooxml.Local(t.Name)) {
			case "sheetData":
				if seenData || !fastSheetData(t, want, found, lim) {
					return nil, false
				}
				seenData = true
			case "mergeCells":
				if seenMerges || !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
					return string(name) != "count" || ooxml.Int(raw)
				}) {
					return nil, false
				}
				seenMerges = true
				if !ooxml.Children(t, func() bool {
					if string(ooxml.Local(t.Name)) == "mergeCell" {
						ref, _ := ooxml.Attr(t.Attrs, "ref")
						merges = append(merges, ref)
					}
					t.Skip()
					return !t.Bad
				}) {
					return nil, false
				}
			default:
				t.SkipSeen() // data validations and the like: the same in every copy of a template
			}
		case ooxml.EndElement:
			t.Next()
			if t.Bad {
				return nil, false
			}
			type at struct {
				cell     string
				col, row int
			}
			var wanted []at // the cells asked for, read once for all the merges
			if len(merges) > 0 {
				wanted = make([]at, 0, len(want))
				for cell := range want {
					c, r, _ := fastRef(cell)
					wanted = append(wanted, at{cell, c, r})
				}
			}
			for _, m := range merges {
				if m == "" {
					continue
				}
				from, to, ok := strings.Cut(m, ":")
				if !ok || strings.Contains(to, ":") {
					return nil, false
				}
				c1, r1, err1 := fastRef(from)
				c2, r2, err2 := fastRef(to)
				if !err1 || !err2 {
					return nil, false
				}
				for _, w := range wanted {
					if w.col >= min(c1, c2) && w.col <= max(c1, c2) && w.row >= min(r1, r2) && w.row <= max(r1, r2) && w.cell != from {
						return nil, false
					}
				}
			}
			return found, true
		case ooxml.CharData:
		case ooxml.EOF:
			return nil, false
		}
	}
}

// fastRef reads a canonical cell reference (C5: upper case, no $).
func fastRef[T string | []byte](s T) (col, row int, ok bool) {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		col = col*26 + int(s[i]-'A'+1)
		i++
	}
	if i == 0 || i > 3 || i == len(s) || s[i] == '0' {
		return 0, 0, false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		row = row*10 + int(c-'0')
		if row > excelize.TotalRows {
			return 0, 0, false
		}
	}
	return col, row, col <= excelize.MaxColumns
}

// fastSheetData reads <sheetData>: rows in increasing order, each cell
// with its reference, in increasing columns of its row.
func fastSheetData(t *ooxml.Tokenizer, want map[string]bool, found map[string]fastRawCell, lim Limits) bool {
	lastRow, cells := 0, 0
	return ooxml.Children(t, func() bool {
		if string(ooxml.Local(t.Name)) != "row" {
			t.Skip()
			return !t.Bad
		}
		row := 0
		if !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
			switch string(name) {
			case "r":
				v := 0
				for _, c := range raw {
					if c < '0' || c > '9' || v > excelize.TotalRows {
						return false
					}
					v = v*10 + int(c-'0')
				}
				if v <= lastRow || v > excelize.TotalRows || v > lim.MaxRows {
					return false
				}
				row = v
			case "s":
				return ooxml.Int(raw)
			case "ht":
				return ooxml.Float(raw)
			case "outlineLevel":
				return ooxml.Uint(raw, 8)
			case "customFormat", "hidden", "customHeight", "collapsed", "thickTop", "thickBot", "ph":
				return ooxml.Bool(raw)
			}
			return true
		}) || row == 0 {
			return false
		}
		lastRow = row
		lastCol := 0
		// The usual cell, <c r="C5" s="3" t="s"><v>12</v></c> and its
		// shorter forms, is taken at once; any other goes the long way.
		quick := func() int {
			ref, typ, v, hasV, n := fastQuickCell(t.B[t.I:])
			if n == 0 {
				return 0
			}
			col, r, ok := fastRef(ref)
			if !ok || r != row || col <= lastCol {
				return -1
			}
			lastCol = col
			if want[string(ref)] {
				c := fastRawCell{t: string(typ)}
				if hasV {
					c.v = ooxml.Unescape(v)
				}
				found[string(ref)] = c
			}
			t.I += n
			return n
		}
		ok := ooxml.ChildrenQuick(t, quick, func() bool {
			if string(ooxml.Local(t.Name)) != "c" {
				t.Skip()
				return !t.Bad
			}
			var ref, typ []byte
			if !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
				switch string(name) {
				case "r":
					ref = raw
				case "t":
					typ = raw
				case "s":
					return ooxml.Int(raw)
				case "cm", "vm":
					return ooxml.Uint(raw, 64)
				case "ph":
					return ooxml.Bool(raw)
				}
				return true
			}) {
				return false
			}
			col, r, ok := fastRef(ref)
			if !ok || r != row || col <= lastCol {
				return false
			}
			lastCol = col
			if !want[string(ref)] {
				t.Skip()
				return !t.Bad
			}
			c := fastRawCell{t: ooxml.Unescape(typ)}
			seenV := false
			if !ooxml.Children(t, func() bool {
				switch string(ooxml.Local(t.Name)) {
				case "v":
					if seenV {
						return false
					}
					seenV = true
					v, ok := ooxml.TextOnly(t)
					c.v = v
					return ok
				case "f":
					return false // the reader reports formulas; excelize reads them
				case "is":
					if c.is != nil {
						return false
					}
					from := t.At
					t.Skip()
					c.is = t.B[from:t.I]
					return !t.Bad
				}
				t.Skip()
				return !t.Bad
			}) {
				return false
			}
			found[string(ref)] = c
			return true
		})
		cells += lastCol // excelize fills a row up to its last cell; the scan counts them
		return ok && cells <= lim.MaxCells
	})
}

// readSmallInt reads a number stored as 1 to 15 digits: exactly what
// readNumber's rounding to 15 significant digits gives, without it.
func readSmallInt(raw string) (int64, bool) {
	s := strings.TrimSpace(raw)
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// readUpload is io.ReadAll(io.LimitReader(r, limit)), in one allocation of
// the right size when r is a bytes.Reader (as the pipeline's uploads are).
func readUpload(r io.Reader, limit int64) ([]byte, error) {
	if br, ok := r.(*bytes.Reader); ok && int64(br.Len()) < limit {
		b := make([]byte, br.Len())
		n, err := io.ReadFull(br, b)
		if err == io.EOF {
			err = nil // nothing to read
		}
		return b[:n], err
	}
	return io.ReadAll(io.LimitReader(r, limit))
}
