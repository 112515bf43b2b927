// Package fast reads the field cells of a workbook straight from its zip:
// the reader's fast path, ten times faster than opening it with excelize,
// answering only where it reads exactly what excelize would.
//
// The slow path scans the XML parts the fields rely on (check.Scan), then
// lets excelize open the workbook: excelize unmarshals the workbook, its
// styles and theme, then every worksheet read from, whole, into its object
// model. That is about 3 ms a submission, most of it in encoding/xml, for
// about 45 cells.
//
// The fast path does both in one pass over the bytes: it unzips only the
// parts the reader needs, straight from the upload's bytes, and scans their
// XML with a strict, namespace-aware tokenizer (ooxml.Tokenizer) that
// allocates next to nothing, keeping just the field cells: about 0.35 ms.
// What a template writes the same into every copy (the workbook part with
// its defined names, a sheet's data validations) is read once and then
// known by its exact bytes (ooxml.Memo).
//
// It is an optimisation, never a second reader. It answers only when
//
//   - the package was sniffed (check.Sniff) and no rule of the scan refuses
//     it: the fast path asks the same rules (check.Parts, check.XMLPart,
//     check.ContentType, check.Sheets, check.Rels, check.LocalSheetID,
//     check.Names, check.Strings, check.Rows, check.Once,
//     check.SharedString, check.FieldText) on
//     the same values, and leaves the workbook to the slow path at the
//     first refusal, which the scan then gives; it codes none of them;
//   - every part it reads is whole (size and CRC-32 checked as archive/zip
//     checks them) and in the subset of XML its tokenizer reads;
//   - and excelize would read the fields exactly as the fast path does: the
//     same sheets and defined names and, for each field cell, the same type,
//     raw value and formula (no formula, no merged field cell but at its top
//     left, no Strict OOXML, no DTD, CDATA, comment or non-UTF-8 encoding,
//     parts excelize parses when opening well-formed with the roots it
//     expects, attributes matched as encoding/xml matches them, by local
//     name or, for r:id, by namespace, and of the types its fields take).
//
// Anything else goes the slow way (Open returns nil): the scan and excelize
// say what they always said. The tests of this package compare both over
// the hostile uploads of sheets/testdata/hostile, workbooks written by every
// writer at hand (sheets/testdata/writers) and mutated XML.
//
// Two differences remain, both for workbooks no spreadsheet program writes:
// the types of attributes of elements the fast path skips (a style's
// numFmtId, a column's width) are not checked, where excelize refuses to
// open a workbook whose numbers there are not numbers; and styles, theme and
// calculation chain found well-formed once are known by their CRC-32 and
// size (checked), where excelize reads the bytes whatever the directory
// says. Such a workbook's fields are read here where excelize would refuse
// it.
package fast

import (
	"bytes"
	"errors"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/check"
	"kaohe/sheets/internal/ooxml"
	"kaohe/templates"
)

// Book is a workbook read by the fast path.
type Book struct {
	sheets []string
	states []string // of the sheets, as written
	names  []excelize.DefinedName
	table  *book.Names
	cells  map[book.Place]fieldCell
	missed bool // the reader asked for a cell not read ahead: ask excelize
}

var _ book.Book = (*Book)(nil)

// fieldCell is one field cell: what excelize's GetCellFormula, GetCellType
// and GetCellValue (raw) return for it.
type fieldCell struct {
	c   book.Cell
	err error
}

// errCell is a cell excelize cannot read (a sheet name excelize refuses):
// the reader reports it as unreadable.
var errCell = errors.New("cell not readable")

// State implements book.Book.
func (b *Book) State(sheet string) string {
	for i, s := range b.sheets {
		if s == sheet {
			return b.states[i]
		}
	}
	return ""
}

// Names implements book.Book.
func (b *Book) Names() *book.Names { return b.table }

// Cell implements book.Book: a field cell read ahead. A cell not read ahead
// (never, as Open reads every cell a name points at) is an error, and
// Missed then reports it.
func (b *Book) Cell(at book.Place) (book.Cell, error) {
	c, ok := b.cells[at]
	if !ok {
		b.missed = true
		return book.Cell{}, errCell
	}
	return c.c, c.err
}

// Missed reports whether the reader asked for a cell Open did not read:
// the workbook must then be read the slow way.
func (b *Book) Missed() bool { return b.missed }

var arenas = sync.Pool{New: func() any { return &ooxml.Arena{} }}

// checked remembers parts found well-formed (styles, theme, calculation
// chain) by their zip directory's CRC-32 and size: the uploads of one
// template share them, so each is checked once. (A part whose directory
// lies about its CRC is not read by excelize either: it ignores the
// mismatch and reads what is there.)
var checked sync.Map // partKey → true

type partKey struct {
	name string
	crc  uint32
	size uint64
}

// checkedCap bounds checked.
const checkedCap = 256

var checkedN atomic.Int64

// Open reads the field cells of the sniffed package p as excelize would
// open it with lim, or returns nil when the workbook is not one the fast
// path answers for (see the package comment).
func Open(p *ooxml.Package, lim check.Limits) (fb *Book) {
	defer func() {
		if recover() != nil {
			fb = nil // never: but a bug here must not change what Read says
		}
	}()
	if check.Parts(p, lim) != nil {
		return nil
	}
	arena := arenas.Get().(*ooxml.Arena)
	defer arenas.Put(arena)
	arena.Reset()
	// read unzips a part; missing is (nil, true), unreadable (nil, false).
	read := func(name string) ([]byte, bool) {
		zf := p.Part(name)
		if zf == nil {
			return nil, true
		}
		b, ok := ooxml.Unzip(p.Data, zf, arena)
		// Strict OOXML: excelize rewrites its namespaces, purl.oclc.org's,
		// wherever they are. Looked for from the dot, a byte rare in XML
		// (bytes.Index skips to the first byte of what it looks for), not
		// from the p of every preserve.
		if !ok || bytes.Contains(b, []byte(".oclc.org")) {
			return nil, false // damaged, or Strict OOXML
		}
		return b, true
	}

	if ct, ok := read("[Content_Types].xml"); !ok || ct == nil || !contentTypes(ct) {
		return nil
	}
	// Parts excelize decodes when opening, read here only to be sure they
	// are well-formed with the root excelize expects.
	for _, part := range []struct{ name, ns, root string }{
		{"xl/styles.xml", ooxml.NSMain, "styleSheet"},
		{"xl/theme/theme1.xml", ooxml.NSDrawing, "theme"},
		{"xl/calcChain.xml", ooxml.NSMain, "calcChain"},
	} {
		zf := p.Part(part.name)
		if zf == nil {
			continue
		}
		key := partKey{part.name, zf.CRC32, zf.UncompressedSize64}
		if _, ok := checked.Load(key); ok {
			continue
		}
		b, ok := read(part.name)
		if !ok || !ooxml.WellFormed(b, part.ns, part.root, false) {
			return nil
		}
		if checkedN.Add(1) <= checkedCap {
			checked.Store(key, true)
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
	key := revisionKey(wbXML, arena)
	wr, h, ok := workbooks.Get(key)
	if !ok {
		wr = readWorkbook(wbXML)
		workbooks.Keep(h, key, func() *wbRead { return wr })
	}
	if wr == nil {
		return nil
	}
	list := check.NewSheets(lim)
	for _, s := range wr.sheets {
		if list.Add(s) != nil {
			return nil
		}
	}
	const wbRelsPath = "xl/_rels/workbook.xml.rels"
	wbRelsXML, ok := read(wbRelsPath)
	if !ok || wbRelsXML == nil {
		return nil
	}
	wbRels, ok := ooxml.ReadRels(wbRelsXML)
	if !ok {
		return nil
	}
	ids := check.NewRels(wbRelsPath)
	byID := make(map[string]ooxml.Rel, len(wbRels))
	for _, r := range wbRels {
		if ids.Add(r.ID) != nil {
			return nil
		}
		byID[r.ID] = r
	}

	fb = &Book{cells: make(map[book.Place]fieldCell, len(templates.Fields)), sheets: wr.sheets, states: wr.states, names: wr.names, table: wr.table}
	sheetPart := map[string]string{} // sheet name → part, as excelize's getSheetMap
	for i, s := range wr.wb.Sheets {
		if r, ok := byID[s.RID]; ok {
			part := strings.TrimPrefix(path.Clean("xl/"+r.Target), "/")
			if strings.HasPrefix(r.Target, "/") {
				part = strings.TrimPrefix(path.Clean(r.Target), "/")
			}
			if p.Part(part) != nil {
				sheetPart[wr.sheets[i]] = part
			}
		}
	}
	strs, _ := sharedStrings(nil)
	if sb, ok := read("xl/sharedStrings.xml"); !ok {
		return nil
	} else if sb != nil {
		// excelize reads (and may refuse) them on every GetCellValue, the
		// scan counts them.
		if strs, ok = sharedStrings(sb); !ok || check.Strings(len(strs.items), lim) != nil {
			return nil
		}
	}
	for sheet, cells := range wr.want {
		part, ok := sheetPart[sheet]
		if !ok || !strings.HasPrefix(part, "xl/worksheets/") {
			return nil // the scan refuses a sheet without its part
		}
		if sheetNameError(sheet) != nil {
			for c := range cells {
				fb.cells[book.Place{Sheet: sheet, Cell: c}] = fieldCell{err: errCell}
			}
			continue
		}
		if check.XMLPart(p.Part(part), sheet, lim) != nil {
			return nil
		}
		b, ok := read(part)
		if !ok || b == nil {
			return nil
		}
		found, ok := readSheet(b, part, sheet, cells, lim)
		if !ok {
			return nil
		}
		for c, fd := range cells {
			at := book.Place{Sheet: sheet, Cell: c}
			rc, ok := found[c]
			if !ok {
				fb.cells[at] = fieldCell{} // empty, as excelize reads a missing cell
				continue
			}
			bc, ok := rc.resolve(check.Field{Field: fd, Sheet: sheet, Cell: c}, strs, lim)
			if !ok {
				return nil
			}
			fb.cells[at] = fieldCell{c: bc}
		}
	}
	return fb
}

// contentTypes reads [Content_Types].xml: well-formed, with the root
// excelize expects, and no content type the scan refuses (macros).
func contentTypes(b []byte) bool {
	t := &ooxml.Tokenizer{B: b}
	if !t.Root(ooxml.NSTypes, "Types") {
		return false
	}
	for k := t.Kind; k != ooxml.EOF; k = t.Next() {
		if k != ooxml.StartElement {
			continue
		}
		if ct, ok := ooxml.Attr(t.Attrs, "ContentType"); ok && check.ContentType(ct) != nil {
			return false
		}
	}
	return !t.Bad
}

// wbRead is what Open makes of a workbook part: its sheets, its defined
// names as excelize lists them and as the reader resolves them, and the
// cells the reader will ask for, by sheet. Shared (workbooks): never
// changed once made.
type wbRead struct {
	wb     *ooxml.Workbook
	sheets []string
	states []string
	names  []excelize.DefinedName
	table  *book.Names
	want   map[string]map[string]*templates.Field // sheet → cell → the field there (the first by the fields' order)
}

// workbooks holds workbook parts read before (ooxml.Memo); nil for one
// Open leaves to excelize.
var workbooks = ooxml.NewMemo[*wbRead]()

// revisionKey is the workbook part b as workbooks knows it. Excel stamps
// every save with an id of its own, <xr:revisionPtr documentId="…"/>,
// which neither excelize nor the fast path reads: with the values of that
// element's attributes left out, when they hold only letters, digits and
// _{}:-, the copies of a template saved by Excel are one workbook to the
// memo. Such values are valid wherever they are, and nothing else of the
// element is left out (its attributes' names, any namespace they declare):
// two parts with one key read the same.
func revisionKey(b []byte, arena *ooxml.Arena) []byte {
	i := bytes.Index(b, []byte("<xr:revisionPtr "))
	if i < 0 {
		return b
	}
	n := bytes.Index(b[i:], []byte("/>"))
	if n < 0 {
		return b
	}
	el := b[i : i+n]
	if bytes.ContainsAny(el[1:], "<>'") {
		return b
	}
	key := arena.Take(len(b))[:0]
	key = append(key, b[:i]...)
	quoted := false
	for _, c := range el {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted:
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("_{}:-", c) >= 0:
			continue // a value's: left out
		default:
			return b
		}
		key = append(key, c)
	}
	if quoted {
		return b
	}
	return append(key, b[i+n:]...)
}

// readWorkbook reads xl/workbook.xml; nil when the workbook is left to
// excelize.
func readWorkbook(b []byte) *wbRead {
	wb, ok := ooxml.ReadWorkbook(b)
	if !ok {
		return nil
	}
	wr := &wbRead{wb: wb, names: make([]excelize.DefinedName, 0, len(wb.Names))}
	for _, s := range wb.Sheets {
		wr.sheets = append(wr.sheets, s.Name)
		wr.states = append(wr.states, s.State)
	}
	dnames := check.NewNames()
	for _, dn := range wb.Names {
		scope := book.WorkbookScope
		scoped := false
		if dn.HasLocal {
			var no *check.Refusal
			if scoped, no = check.LocalSheetID(dn.Name, dn.LocalSheetID); no != nil {
				return nil
			}
			if scoped { // as excelize names the scope: the sheet, or "" past the last
				scope = ""
				if id, _ := strconv.Atoi(strings.TrimSpace(dn.LocalSheetID)); id < len(wr.sheets) {
					scope = wr.sheets[id]
				}
			}
		}
		if dnames.Add(dn.Name, scoped) != nil {
			return nil // the scan refuses it
		}
		wr.names = append(wr.names, excelize.DefinedName{Name: dn.Name, RefersTo: dn.RefersTo, Scope: scope}) // the comment is never read
	}
	// The cells the reader will ask for: the fields' names, resolved as
	// the reader resolves them.
	wr.table = book.ResolveList(wr.sheets, wr.names)
	wr.want = map[string]map[string]*templates.Field{}
	for i := range templates.Fields {
		fd := &templates.Fields[i]
		c, _, ok := wr.table.Lookup(fd.Name)
		if !ok {
			continue
		}
		if wr.want[c.Sheet] == nil {
			wr.want[c.Sheet] = make(map[string]*templates.Field, len(templates.Fields))
		}
		if wr.want[c.Sheet][c.Cell] == nil {
			wr.want[c.Sheet][c.Cell] = fd
		}
	}
	return wr
}

// sheetNameError is excelize's checkSheetName.
func sheetNameError(name string) error {
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
