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
// validations) is read once and then known by its exact bytes (fastMemo).
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
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/maphash"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// The namespaces of the roots excelize checks when it decodes a part.
const (
	fastNSMain     = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	fastNSRels     = "http://schemas.openxmlformats.org/package/2006/relationships"
	fastNSTypes    = "http://schemas.openxmlformats.org/package/2006/content-types"
	fastNSDrawing  = "http://schemas.openxmlformats.org/drawingml/2006/main"
	fastNSOfficeR  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	fastRelOfficeD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)

// readBook is what the reader asks of a workbook.
type readBook interface {
	// nameTable resolves the workbook's defined names (nameResolve).
	nameTable() *nameTable
	// cell is a field cell as excelize's GetCellFormula, GetCellType and
	// GetCellValue (raw) return it; an error when excelize cannot read it.
	cell(at nameCell) (readCell, error)
}

// excelBook is a workbook opened by excelize.
type excelBook struct{ f *excelize.File }

func (b excelBook) nameTable() *nameTable { return nameResolve(b.f) }

func (b excelBook) cell(at nameCell) (readCell, error) {
	var c readCell
	var err error
	if c.formula, err = b.f.GetCellFormula(at.Sheet, at.Cell); err != nil {
		return c, err
	}
	if c.typ, err = b.f.GetCellType(at.Sheet, at.Cell); err != nil {
		return c, err
	}
	c.raw, err = b.f.GetCellValue(at.Sheet, at.Cell, excelize.Options{RawCellValue: true})
	return c, err
}

// fastBook is a workbook read by the fast path.
type fastBook struct {
	sheets []string
	names  []excelize.DefinedName
	table  *nameTable
	cells  map[nameCell]fastCell
	missed bool // the reader asked for a cell not read ahead: ask excelize
}

// fastCell is one field cell: what excelize's GetCellFormula, GetCellType
// and GetCellValue (raw) return for it.
type fastCell struct {
	c   readCell
	err error
}

// errFastCell is a cell excelize cannot read (a bad shared string index,
// a sheet without its part): the reader reports it as unreadable.
var errFastCell = errors.New("cell not readable")

func (b *fastBook) nameTable() *nameTable { return b.table }

// cell returns a field cell read ahead; a cell not read ahead (never, as
// fastOpen reads every cell a name points at) sets missed.
func (b *fastBook) cell(at nameCell) (readCell, error) {
	c, ok := b.cells[at]
	if !ok {
		b.missed = true
		return readCell{}, errFastCell
	}
	return c.c, c.err
}

// fastDisabled sends every workbook to excelize (tests compare both paths).
var fastDisabled bool

// fastArena is the memory one workbook's parts are unzipped into, reused.
type fastArena struct {
	buf  []byte
	used int
}

var fastArenas = sync.Pool{New: func() any { return &fastArena{} }}

// take returns n bytes of the arena (valid until the next fastOpen with it).
func (a *fastArena) take(n int) []byte {
	if a.used+n > len(a.buf) {
		if n > 1<<20 {
			return make([]byte, n) // a rare large part: not kept
		}
		a.buf, a.used = make([]byte, max(256<<10, 2*n)), 0 // parts taken before stay valid
	}
	b := a.buf[a.used : a.used+n : a.used+n]
	a.used += n
	return b
}

// fastInflaters are reused deflate readers (flate.Resetter).
var fastInflaters sync.Pool

// fastUnzip unzips one part of data, read straight from the zip's bytes,
// checking its size and CRC-32 as strictly as archive/zip (or more); ok is
// false for a part archive/zip would not read whole.
func fastUnzip(data []byte, zf *zip.File, arena *fastArena) ([]byte, bool) {
	off, err := zf.DataOffset()
	end := off + int64(zf.CompressedSize64)
	if err != nil || off < 0 || end < off || end > int64(len(data)) || zf.UncompressedSize64 > 1<<30 || zf.Flags&0x1 != 0 {
		return nil, false
	}
	raw := data[off:end]
	n := int(zf.UncompressedSize64)
	var out []byte
	switch zf.Method {
	case zip.Store:
		if len(raw) != n {
			return nil, false
		}
		out = raw
	case zip.Deflate:
		buf := arena.take(n + 1) // one more: a longer part is seen
		fr, _ := fastInflaters.Get().(io.ReadCloser)
		if fr == nil {
			fr = flate.NewReader(bytes.NewReader(raw))
		} else if err := fr.(flate.Resetter).Reset(bytes.NewReader(raw), nil); err != nil {
			return nil, false
		}
		got, err := io.ReadFull(fr, buf)
		fastInflaters.Put(fr)
		if got != n || !(err == io.ErrUnexpectedEOF || (n == 0 && err == io.EOF)) {
			return nil, false // shorter, longer or corrupt
		}
		out = buf[:n]
	default:
		return nil, false
	}
	sum := crc32.ChecksumIEEE(out)
	if sum != zf.CRC32 {
		return nil, false // archive/zip skips a zero CRC without a data descriptor; stricter is safe
	}
	if zf.Flags&0x8 != 0 { // a data descriptor follows: archive/zip checks its CRC too
		d := data[end:]
		if len(d) >= 4 && binary.LittleEndian.Uint32(d) == 0x08074b50 {
			d = d[4:]
		}
		if len(d) < 4 || binary.LittleEndian.Uint32(d) != zf.CRC32 {
			return nil, false
		}
	}
	return out, true
}

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
func fastOpen(data []byte, lim Limits) (book *fastBook) {
	defer func() {
		if recover() != nil {
			book = nil // never: but a bug here must not change what Read says
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
	arena := fastArenas.Get().(*fastArena)
	defer fastArenas.Put(arena)
	arena.used = 0
	// read unzips a part; missing is (nil, true), unreadable (nil, false).
	read := func(name string) ([]byte, bool) {
		zf, ok := parts[name]
		if !ok {
			return nil, true
		}
		b, ok := fastUnzip(data, zf, arena)
		if !ok || bytes.Contains(b, []byte("purl.oclc.org")) {
			return nil, false // damaged, or Strict OOXML: excelize rewrites its namespaces
		}
		return b, true
	}

	// The content types: no macros (the scan refuses them).
	ct, ok := read("[Content_Types].xml")
	if !ok || ct == nil || !fastWellFormed(ct, fastNSTypes, "Types", true) {
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
		{"xl/styles.xml", fastNSMain, "styleSheet"},
		{"xl/theme/theme1.xml", fastNSDrawing, "theme"},
		{"xl/calcChain.xml", fastNSMain, "calcChain"},
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
		if !ok || !fastWellFormed(b, p.ns, p.root, false) {
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
	rels, ok := fastRels(rootRels)
	if !ok {
		return nil
	}
	wbPath := ""
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/officeDocument") {
			if wbPath != "" || r.typ != fastRelOfficeD {
				return nil // excelize and the scan might pick different ones
			}
			wbPath = strings.TrimPrefix(r.target, "/")
		}
	}
	if wbPath != "xl/workbook.xml" {
		return nil
	}
	wbXML, ok := read(wbPath)
	if !ok || wbXML == nil {
		return nil
	}
	wr, h, ok := fastWorkbooks.get(wbXML)
	if !ok {
		wr = fastReadWorkbook(wbXML)
		fastWorkbooks.put(h, wbXML, wr)
	}
	if wr == nil || len(wr.sheets) > lim.MaxSheets {
		return nil
	}
	wbRelsXML, ok := read("xl/_rels/workbook.xml.rels")
	if !ok || wbRelsXML == nil {
		return nil
	}
	wbRels, ok := fastRels(wbRelsXML)
	if !ok {
		return nil
	}
	byID := map[string]fastRel{}
	for _, r := range wbRels {
		if _, dup := byID[r.id]; dup {
			return nil
		}
		byID[r.id] = r
	}

	book = &fastBook{cells: make(map[nameCell]fastCell, len(templates.Fields)), sheets: wr.sheets, names: wr.names, table: wr.table}
	sheetPart := map[string]string{} // sheet name → part, as excelize's getSheetMap
	for i, s := range wr.wb.sheets {
		if r, ok := byID[s.rid]; ok {
			p := strings.TrimPrefix(path.Clean("xl/"+r.target), "/")
			if strings.HasPrefix(r.target, "/") {
				p = strings.TrimPrefix(path.Clean(r.target), "/")
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
				book.cells[nameCell{sheet, cell}] = fastCell{err: errFastCell}
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
				book.cells[nameCell{sheet, cell}] = fastCell{} // empty, as excelize reads a missing cell
				continue
			}
			rc, err, ok := fc.resolve(sst)
			if !ok || err != nil || text.Units(fc.v) > lim.MaxTextChars || text.Units(rc.raw) > lim.MaxTextChars {
				return nil // the scan refuses a bad shared string index or an overlong text
			}
			book.cells[nameCell{sheet, cell}] = fastCell{c: rc}
		}
	}
	return book
}

// fastWBRead is what fastOpen makes of a workbook part: its sheets, its
// defined names as excelize lists them and as the reader resolves them,
// and the cells the reader will ask for, by sheet. Shared (fastWorkbooks):
// never changed once made.
type fastWBRead struct {
	wb     *fastWB
	sheets []string
	names  []excelize.DefinedName
	table  *nameTable
	want   map[string]map[string]bool
}

// fastWorkbooks holds workbook parts read before (fastMemo); nil for one
// fastOpen leaves to excelize.
var fastWorkbooks = newFastMemo[*fastWBRead]()

// fastReadWorkbook reads xl/workbook.xml; nil when the workbook is left to
// excelize.
func fastReadWorkbook(b []byte) *fastWBRead {
	wb, ok := fastWorkbook(b)
	if !ok {
		return nil
	}
	wr := &fastWBRead{wb: wb, names: make([]excelize.DefinedName, 0, len(wb.names))}
	for i, s := range wb.sheets {
		wr.sheets = append(wr.sheets, s.name)
		for _, t := range wr.sheets[:i] {
			if strings.EqualFold(t, s.name) || strings.ToLower(t) == strings.ToLower(s.name) {
				return nil // excelize would pick one of them at random; the scan refuses
			}
		}
	}
	for _, dn := range wb.names {
		scope := "Workbook"
		if dn.local != nil && *dn.local >= 0 {
			scope = ""
			if *dn.local < len(wr.sheets) {
				scope = wr.sheets[*dn.local]
			}
		}
		wr.names = append(wr.names, excelize.DefinedName{Name: dn.name, RefersTo: dn.refersTo, Scope: scope}) // the comment is never read
	}
	// The cells the reader will ask for: the fields' names, resolved as
	// the reader resolves them.
	wr.table = nameResolveList(wr.sheets, wr.names)
	wr.want = map[string]map[string]bool{} // sheet → cells
	for _, fd := range templates.Fields {
		c, ok := wr.table.cells[nameKey(fd.Name)]
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

// fastTok is a strict XML tokenizer over one part. It accepts a subset of
// XML that encoding/xml also accepts and reads the same way, and sets bad
// on anything else; the caller then gives the workbook to excelize. It
// stops after the root element, as encoding/xml's Decode does.
type fastTok struct {
	b     []byte
	i     int
	bad   bool
	stack [][]byte
	// the current token
	at    int // where it starts
	kind  int
	name  []byte // start and end: the qualified name
	attrs []byte // start: the raw attributes, validated
	text  []byte // text: raw, validated
	self  bool   // start: <x/>, its end comes next
}

const (
	fastEOF = iota
	fastStart
	fastEnd
	fastText
)

// next advances to the next token; fastEOF at the end or when bad.
func (t *fastTok) next() int {
	if t.bad {
		return t.fail()
	}
	t.at = t.i
	if t.kind == fastStart && t.self {
		t.self = false
		t.kind = fastEnd
		t.stack = t.stack[:len(t.stack)-1]
		if len(t.stack) == 0 {
			t.i = len(t.b) // after the root: nothing more is read
		}
		return t.kind
	}
	if t.i >= len(t.b) {
		if len(t.stack) > 0 {
			return t.fail()
		}
		t.kind = fastEOF
		return t.kind
	}
	if t.b[t.i] != '<' {
		j := bytes.IndexByte(t.b[t.i:], '<')
		if j < 0 {
			j = len(t.b) - t.i
		}
		txt := t.b[t.i : t.i+j]
		if !fastValidText(txt) {
			return t.fail()
		}
		t.i += j
		if len(t.stack) == 0 {
			if len(bytes.TrimLeft(txt, " \t\n")) > 0 {
				return t.fail() // text outside the root
			}
			t.kind = fastText // not a start with a pending end
			return t.next()
		}
		t.kind, t.text = fastText, txt
		return t.kind
	}
	rest := t.b[t.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<?")):
		if t.i != 0 || !bytes.HasPrefix(rest, []byte("<?xml ")) {
			return t.fail()
		}
		end := bytes.Index(rest, []byte("?>"))
		if end < 0 || !fastXMLDecl(rest[6:end]) {
			return t.fail()
		}
		t.i += end + 2
		t.kind = fastText
		return t.next()
	case bytes.HasPrefix(rest, []byte("<!")):
		return t.fail() // comments, CDATA, DTDs
	case bytes.HasPrefix(rest, []byte("</")):
		n := fastNameLen(rest[2:])
		if n == 0 || len(t.stack) == 0 || !bytes.Equal(rest[2:2+n], t.stack[len(t.stack)-1]) {
			return t.fail()
		}
		k := 2 + n
		for k < len(rest) && fastSpace(rest[k]) {
			k++
		}
		if k >= len(rest) || rest[k] != '>' {
			return t.fail()
		}
		t.kind, t.name = fastEnd, rest[2:2+n]
		t.stack = t.stack[:len(t.stack)-1]
		t.i += k + 1
		if len(t.stack) == 0 {
			t.i = len(t.b)
		}
		return t.kind
	}
	n := fastNameLen(rest[1:])
	if n == 0 {
		return t.fail()
	}
	name := rest[1 : 1+n]
	k := 1 + n
	start := k
	for {
		sp := k
		for k < len(rest) && fastSpace(rest[k]) {
			k++
		}
		if k >= len(rest) {
			return t.fail()
		}
		if rest[k] == '>' || (rest[k] == '/' && k+1 < len(rest) && rest[k+1] == '>') {
			break
		}
		if k == sp {
			return t.fail() // attributes need a space before them
		}
		an := fastNameLen(rest[k:])
		if an == 0 {
			return t.fail()
		}
		k += an
		for k < len(rest) && fastSpace(rest[k]) {
			k++
		}
		if k >= len(rest) || rest[k] != '=' {
			return t.fail()
		}
		k++
		for k < len(rest) && fastSpace(rest[k]) {
			k++
		}
		if k >= len(rest) || (rest[k] != '"' && rest[k] != '\'') {
			return t.fail()
		}
		// The value, checked on the way to its closing quote.
		q := rest[k]
		k++
		plain := true // ASCII without & (most values)
		v := k
		for ; k < len(rest) && rest[k] != q; k++ {
			if c := rest[k]; c < 0x20 || c >= utf8.RuneSelf || c == '&' || c == '<' {
				plain = false
			}
		}
		if k >= len(rest) || !plain && !fastValidText(rest[v:k]) {
			return t.fail()
		}
		k++
	}
	t.kind, t.name, t.attrs, t.self = fastStart, name, rest[start:k], rest[k] == '/'
	t.stack = append(t.stack, name)
	if t.self {
		k++
	}
	t.i += k + 1
	return t.kind
}

func (t *fastTok) fail() int {
	t.bad = true
	t.kind = fastEOF
	return t.kind
}

// skip skips the element just started, validating it.
func (t *fastTok) skip() {
	depth := 1
	for depth > 0 {
		switch t.next() {
		case fastStart:
			depth++
		case fastEnd:
			depth--
		case fastEOF:
			t.bad = true
			return
		}
	}
}

// fastMemo remembers what was made of byte ranges seen before, by their
// exact bytes: a template writes some parts and elements the same into
// every copy (a sheet's data validations, half of its XML; the workbook
// with its defined names, unless a token was written in), and a
// spreadsheet program that saves copies of it writes them the same again;
// such bytes need no second reading. A range is taken only when equal,
// byte for byte, to one seen before (the hash, with a seed of this process,
// only finds it); ranges of fastMemoMin to fastMemoMax bytes are kept, at
// most fastMemoCap bytes in all (a process that runs for years, kaohe
// serve, keeps what it saw first). What is kept is shared: never changed
// once kept.
type fastMemo[V any] struct {
	mu   sync.RWMutex
	seed maphash.Seed
	m    map[uint64]fastMemoEntry[V]
	size int // bytes kept
}

type fastMemoEntry[V any] struct {
	b []byte
	v V
}

const (
	fastMemoMin = 256 // shorter ranges are read again as fast as they are looked up
	fastMemoMax = 64 << 10
	fastMemoCap = 4 << 20
)

func newFastMemo[V any]() *fastMemo[V] {
	return &fastMemo[V]{seed: maphash.MakeSeed(), m: map[uint64]fastMemoEntry[V]{}}
}

// get returns what was kept for b, and b's hash for put.
func (c *fastMemo[V]) get(b []byte) (v V, h uint64, ok bool) {
	if len(b) < fastMemoMin || len(b) > fastMemoMax {
		return v, 0, false
	}
	h = maphash.Bytes(c.seed, b)
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.b, b) {
		return v, h, false
	}
	return e.v, h, true
}

// put keeps v for b, whose hash get gave.
func (c *fastMemo[V]) put(h uint64, b []byte, v V) {
	if len(b) < fastMemoMin || len(b) > fastMemoMax {
		return
	}
	c.mu.Lock()
	if _, ok := c.m[h]; !ok && c.size+len(b) <= fastMemoCap {
		c.m[h] = fastMemoEntry[V]{bytes.Clone(b), v}
		c.size += len(b)
	}
	c.mu.Unlock()
}

// fastSeen holds elements skip found valid.
var fastSeen = newFastMemo[struct{}]()

// skipSeen is skip, for an element that may have been validated before
// (fastSeen).
func (t *fastTok) skipSeen() {
	if t.bad || t.self || t.kind != fastStart {
		t.skip()
		return
	}
	name, from := t.name, t.at
	j := bytes.Index(t.b[t.i:], append(append([]byte("</"), name...), '>'))
	if j < 0 {
		t.skip()
		return
	}
	end := t.i + j // the first end tag of that name: the element's, unless it nests its like
	r := t.b[from : end+len(name)+3]
	_, h, ok := fastSeen.get(r)
	if ok { // where skip would stop: right after the end tag
		t.at, t.kind, t.name = end, fastEnd, t.b[end+2:end+2+len(name)]
		t.i = end + len(name) + 3
		t.stack = t.stack[:len(t.stack)-1]
		if len(t.stack) == 0 {
			t.i = len(t.b) // after the root, as next stops
		}
		return
	}
	t.skip()
	if t.bad || t.at != end || t.i != end+len(name)+3 {
		return // not the element's end tag, or not valid: nothing to remember
	}
	fastSeen.put(h, r, struct{}{})
}

// local is the local part of a qualified name.
func fastLocal(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// attr returns the decoded value of the attribute with the given
// qualified name in a start tag's raw attributes.
func fastAttr(attrs []byte, name string) (v string, ok bool) {
	fastAttrs(attrs, func(an, raw []byte) bool {
		if string(an) == name {
			v, ok = fastUnescape(raw), true
			return false
		}
		return true
	})
	return v, ok
}

// fastAttrs calls f with every attribute's qualified name and raw value.
func fastAttrs(attrs []byte, f func(name, raw []byte) bool) bool {
	k := 0
	for k < len(attrs) {
		for k < len(attrs) && fastSpace(attrs[k]) {
			k++
		}
		if k >= len(attrs) {
			break
		}
		n := fastNameLen(attrs[k:])
		an := attrs[k : k+n]
		k += n
		for attrs[k] != '"' && attrs[k] != '\'' {
			k++
		}
		q := attrs[k]
		end := bytes.IndexByte(attrs[k+1:], q)
		if !f(an, attrs[k+1:k+1+end]) {
			return false
		}
		k += end + 2
	}
	return true
}

func fastSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// fastNameLen is the length of the XML name at the start of b: ASCII
// letters, digits, _ . - and at most one colon inside; 0 when none.
func fastNameLen(b []byte) int {
	if len(b) == 0 || fastNameChar[b[0]] != fastNameStart {
		return 0
	}
	n, colon := 1, false
	for n < len(b) {
		switch fastNameChar[b[n]] {
		case fastNameStart, fastNameMore:
		case fastNameColon:
			if colon || n+1 >= len(b) || fastNameChar[b[n+1]] != fastNameStart {
				return 0 // a second colon, or none after it
			}
			colon = true
		default:
			return n
		}
		n++
	}
	return n
}

// The bytes of names: letters and _ start one, digits . - continue it.
const (
	fastNameNone = iota
	fastNameStart
	fastNameMore
	fastNameColon
)

var fastNameChar = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			t[c] = fastNameStart
		case c >= '0' && c <= '9', c == '.', c == '-':
			t[c] = fastNameMore
		case c == ':':
			t[c] = fastNameColon
		}
	}
	return t
}()

// fastXMLDecl accepts version="1.0" with an optional UTF-8 encoding and standalone.
func fastXMLDecl(b []byte) bool {
	ok := true
	seen := false
	if !fastAttrsValid(b) {
		return false
	}
	fastAttrs(b, func(name, raw []byte) bool {
		switch string(name) {
		case "version":
			seen = true
			ok = ok && string(raw) == "1.0"
		case "encoding":
			ok = ok && strings.EqualFold(string(raw), "utf-8")
		case "standalone":
			ok = ok && (string(raw) == "yes" || string(raw) == "no")
		default:
			ok = false
		}
		return ok
	})
	return ok && seen
}

// fastAttrsValid checks the syntax of raw attributes (as in a declaration).
func fastAttrsValid(b []byte) bool {
	k := 0
	for {
		for k < len(b) && fastSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return true
		}
		n := fastNameLen(b[k:])
		if n == 0 {
			return false
		}
		k += n
		if k >= len(b) || b[k] != '=' {
			return false
		}
		k++
		if k >= len(b) || (b[k] != '"' && b[k] != '\'') {
			return false
		}
		end := bytes.IndexByte(b[k+1:], b[k])
		if end < 0 {
			return false
		}
		k += end + 2
		if k < len(b) && !fastSpace(b[k]) {
			return false
		}
	}
}

// fastValidText accepts UTF-8 text of XML characters without CR or <,
// whose & start only the five named entities or character references.
func fastValidText(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	ascii := true
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// A byte below 0x20, or an & or a <, anywhere in the word: look closer.
		ctl := (x - 0x20*ones) & ^x & highs
		amp, lt := x^(0x26*ones), x^(0x3C*ones)
		if ctl|(amp-ones)&^amp&highs|(lt-ones)&^lt&highs != 0 {
			break
		}
		if x&highs != 0 {
			ascii = false
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' {
			continue
		}
		switch {
		case c >= utf8.RuneSelf:
			ascii = false // checked at once below
		case c == '&':
			n := fastEntityLen(b[i:])
			if n == 0 {
				return false
			}
			i += n - 1
		case c == '\t' || c == '\n':
		default:
			return false // CR (encoding/xml turns CR LF into LF), <, other controls
		}
	}
	// Among valid UTF-8, XML 1.0 refuses only U+FFFE and U+FFFF (and the
	// controls above); surrogates are not valid UTF-8.
	return ascii || utf8.Valid(b) && !bytes.Contains(b, []byte("\xef\xbf\xbe")) && !bytes.Contains(b, []byte("\xef\xbf\xbf"))
}

func fastXMLRune(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// fastEntityLen is the length of the entity or character reference at the
// start of b, or 0 when it is not one encoding/xml reads.
func fastEntityLen(b []byte) int {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return 0
	}
	ref := string(b[1:end])
	switch ref {
	case "lt", "gt", "amp", "apos", "quot":
		return end + 1
	}
	if _, ok := fastCharRef(ref); ok {
		return end + 1
	}
	return 0
}

// fastCharRef reads #123 or #x7B as a rune that XML allows, except CR.
func fastCharRef(ref string) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	var v uint64
	var err error
	if ref[1] == 'x' {
		if len(ref) < 3 {
			return 0, false
		}
		v, err = strconv.ParseUint(ref[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(ref[1:], 10, 32)
	}
	if err != nil || !fastXMLRune(rune(v)) || strings.ContainsAny(ref[1:], "+-") {
		return 0, false
	}
	return rune(v), true
}

// fastUnescape decodes validated text.
func fastUnescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		if b[i] != '&' {
			j := bytes.IndexByte(b[i:], '&')
			if j < 0 {
				j = len(b) - i
			}
			sb.Write(b[i : i+j])
			i += j
			continue
		}
		end := bytes.IndexByte(b[i:], ';')
		switch ref := string(b[i+1 : i+end]); ref {
		case "lt":
			sb.WriteByte('<')
		case "gt":
			sb.WriteByte('>')
		case "amp":
			sb.WriteByte('&')
		case "apos":
			sb.WriteByte('\'')
		case "quot":
			sb.WriteByte('"')
		default:
			r, _ := fastCharRef(ref)
			sb.WriteRune(r)
		}
		i += end + 1
	}
	return sb.String()
}

// root reads the root element and checks its name and namespace, as
// encoding/xml does for a struct with a namespaced XMLName.
func (t *fastTok) root(ns, local string) bool {
	return t.next() == fastStart && t.isRoot(ns, local)
}

// isRoot checks the start just read as root.
func (t *fastTok) isRoot(ns, local string) bool {
	name := t.name
	prefix, attr := "", "xmlns"
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		prefix = string(name[:i])
		attr = "xmlns:" + prefix
	}
	got, ok := fastAttr(t.attrs, attr)
	return ok && got == ns && string(fastLocal(name)) == local
}

// fastWellFormed checks a part that excelize decodes but the fast path
// does not read: well-formed, with the expected root (or no root at all,
// which excelize reads as empty).
func fastWellFormed(b []byte, ns, local string, needRoot bool) bool {
	t := &fastTok{b: b}
	switch t.next() {
	case fastEOF:
		return !t.bad && !needRoot
	case fastStart:
		if !t.isRoot(ns, local) {
			return false
		}
		t.skip()
		return !t.bad
	}
	return false
}

// fastInt, fastUint, fastBool and fastFloat check an attribute as
// encoding/xml converts it into a field of that type (strconv of the
// trimmed, unescaped value; empty is zero).
func fastInt(raw []byte) bool {
	if d, ok := fastDigits(raw); ok {
		return d <= 18 // fits an int64
	}
	s := strings.TrimSpace(fastUnescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func fastUint(raw []byte, bits int) bool {
	if d, ok := fastDigits(raw); ok && (bits == 64 && d <= 19 || bits == 8 && d <= 2) {
		return true
	}
	s := strings.TrimSpace(fastUnescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}

func fastBool(raw []byte) bool {
	switch string(raw) { // no allocation
	case "0", "1", "true", "false":
		return true
	}
	s := strings.TrimSpace(fastUnescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseBool(s)
	return err == nil
}

func fastFloat(raw []byte) bool {
	if _, ok := fastDigits(raw); ok {
		return true
	}
	s := strings.TrimSpace(fastUnescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// fastDigits reports whether raw is 1 to 19 ASCII digits, and how many.
func fastDigits(raw []byte) (int, bool) {
	if len(raw) == 0 || len(raw) > 19 {
		return 0, false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return len(raw), true
}

// --- the parts ---------------------------------------------------------------

type fastRel struct{ id, typ, target string }

// fastRels reads a relationships part.
func fastRels(b []byte) ([]fastRel, bool) {
	t := &fastTok{b: b}
	if !t.root(fastNSRels, "Relationships") {
		return nil, false
	}
	var out []fastRel
	if t.self {
		t.next()
		return out, !t.bad
	}
	for {
		switch t.next() {
		case fastStart:
			if string(fastLocal(t.name)) == "Relationship" {
				var r fastRel
				r.id, _ = fastAttr(t.attrs, "Id")
				r.typ, _ = fastAttr(t.attrs, "Type")
				r.target, _ = fastAttr(t.attrs, "Target")
				out = append(out, r)
			}
			t.skip()
		case fastEnd:
			t.next()
			return out, !t.bad
		case fastText:
		case fastEOF:
			return nil, false
		}
	}
}

type fastWB struct {
	sheets []struct{ name, rid string }
	names  []fastDN
}

type fastDN struct {
	name, refersTo string
	local          *int
}

// fastWorkbook reads the sheets and defined names of workbook.xml.
func fastWorkbook(b []byte) (*fastWB, bool) {
	t := &fastTok{b: b}
	if !t.root(fastNSMain, "workbook") {
		return nil, false
	}
	if rns, ok := fastAttr(t.attrs, "xmlns:r"); !ok || rns != fastNSOfficeR {
		return nil, false
	}
	wb := &fastWB{names: make([]fastDN, 0, bytes.Count(b, []byte("<definedName ")))}
	if t.self {
		t.next()
		return wb, !t.bad
	}
	seenSheets, seenNames := false, false
	for {
		switch t.next() {
		case fastStart:
			switch string(fastLocal(t.name)) {
			case "sheets":
				if seenSheets || !fastChildren(t, func() bool {
					if string(fastLocal(t.name)) != "sheet" {
						t.skip()
						return !t.bad
					}
					ok := fastAttrs(t.attrs, func(name, raw []byte) bool {
						switch string(name) {
						case "sheetId":
							return fastInt(raw)
						case "r:id":
							return true
						}
						return !bytes.HasPrefix(name, []byte("xmlns")) && string(fastLocal(name)) != "id"
					})
					name, _ := fastAttr(t.attrs, "name")
					rid, hasRID := fastAttr(t.attrs, "r:id")
					if !ok || !hasRID {
						return false
					}
					wb.sheets = append(wb.sheets, struct{ name, rid string }{name, rid})
					return fastNoChildren(t)
				}) {
					return nil, false
				}
				seenSheets = true
			case "definedNames":
				if seenNames || !fastChildren(t, func() bool {
					if string(fastLocal(t.name)) != "definedName" {
						t.skip()
						return !t.bad
					}
					var dn fastDN
					ok := fastAttrs(t.attrs, func(name, raw []byte) bool {
						switch string(name) {
						case "localSheetId":
							if !fastInt(raw) {
								return false
							}
							v, err := strconv.Atoi(strings.TrimSpace(fastUnescape(raw)))
							if err != nil {
								return false // empty: encoding/xml sets 0 through the pointer; not worth following
							}
							dn.local = &v
						case "functionGroupId":
							return fastInt(raw)
						case "function", "hidden", "publishToServer", "vbProcedure", "workbookParameter", "xml":
							return fastBool(raw)
						case "name":
							dn.name = fastUnescape(raw)
						}
						return !bytes.HasPrefix(name, []byte("xmlns"))
					})
					if !ok {
						return false
					}
					s, ok := fastTextOnly(t)
					if !ok {
						return false
					}
					dn.refersTo = s
					wb.names = append(wb.names, dn)
					return true
				}) {
					return nil, false
				}
				seenNames = true
			default:
				t.skip()
			}
		case fastEnd:
			t.next()
			return wb, !t.bad
		case fastText:
		case fastEOF:
			return nil, false
		}
	}
}

// fastChildren calls each for every child element of the element just
// started (each must consume the child through its end) and ends at its end.
func fastChildren(t *fastTok, each func() bool) bool {
	return fastChildrenQuick(t, func() int { return 0 }, each)
}

// fastChildrenQuick is fastChildren that first lets quick take the next
// child whole: quick returns the bytes it took, 0 for none, -1 for a child
// that is bad.
func fastChildrenQuick(t *fastTok, quick func() int, each func() bool) bool {
	if t.self {
		t.next()
		return !t.bad
	}
	for {
		switch quick() {
		case -1:
			return false
		case 0:
		default:
			continue
		}
		switch t.next() {
		case fastStart:
			if !each() {
				return false
			}
		case fastEnd:
			return !t.bad
		case fastText:
		case fastEOF:
			return false
		}
	}
}

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
		if k < 0 || !bytes.HasPrefix(rest[4+k:], []byte("</v></c>")) || !fastValidText(rest[4:4+k]) {
			return nil, nil, nil, false, 0
		}
		return ref, typ, rest[4 : 4+k], true, i + 4 + k + len("</v></c>")
	}
	return nil, nil, nil, false, 0
}

// fastNoChildren consumes an element that holds no elements.
func fastNoChildren(t *fastTok) bool {
	if t.self {
		t.next()
		return !t.bad
	}
	for {
		switch t.next() {
		case fastText:
		case fastEnd:
			return !t.bad
		default:
			return false
		}
	}
}

// fastTextOnly consumes an element holding only text and returns it decoded.
func fastTextOnly(t *fastTok) (string, bool) {
	if t.self {
		t.next()
		return "", !t.bad
	}
	var parts []byte
	n := 0
	for {
		switch t.next() {
		case fastText:
			if n == 0 {
				parts = t.text
			} else {
				parts = append(append([]byte{}, parts...), t.text...)
			}
			n++
		case fastEnd:
			return fastUnescape(parts), !t.bad
		default:
			return "", false
		}
	}
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
	t := &fastTok{b: b}
	if !t.root(fastNSMain, "sst") {
		return nil, false
	}
	if !fastAttrs(t.attrs, func(name, raw []byte) bool {
		switch string(name) {
		case "count", "uniqueCount":
			return fastInt(raw)
		}
		return true
	}) {
		return nil, false
	}
	sst := &fastSST{items: make([][]byte, 0, bytes.Count(b, []byte("<si>")))}
	if t.self {
		t.next()
		return sst, !t.bad
	}
	for {
		// The usual item, <si><t>text</t></si>, taken at once.
		if rest := t.b[t.i:]; bytes.HasPrefix(rest, []byte("<si><t>")) {
			if end := bytes.IndexByte(rest[7:], '<'); end >= 0 && bytes.HasPrefix(rest[7+end:], []byte("</t></si>")) && fastValidText(rest[7:7+end]) {
				n := 7 + end + len("</t></si>")
				sst.items = append(sst.items, rest[:n])
				t.i += n
				continue
			}
		}
		switch t.next() {
		case fastStart:
			if string(fastLocal(t.name)) != "si" {
				t.skip()
				continue
			}
			from := t.at
			t.skip()
			sst.items = append(sst.items, t.b[from:t.i])
		case fastEnd:
			t.next()
			return sst, !t.bad
		case fastText:
		case fastEOF:
			return nil, false
		}
	}
}

// fastString decodes one <si> or <is> element as excelize's xlsxSI.String:
// its <t>, then the <t> of each <r> run; phonetic runs are not text.
func fastString(b []byte) (string, bool) {
	t := &fastTok{b: b}
	if t.next() != fastStart {
		return "", false
	}
	var sb strings.Builder // the runs' text
	direct, seenT := "", false
	ok := fastChildren(t, func() bool {
		switch string(fastLocal(t.name)) {
		case "t":
			if seenT {
				return false // encoding/xml keeps the last: not worth following
			}
			seenT = true
			s, ok := fastTextOnly(t)
			direct = s // String() puts it before the runs, wherever it is
			return ok
		case "r":
			runT := false
			return fastChildren(t, func() bool {
				switch string(fastLocal(t.name)) {
				case "t":
					if runT {
						return false
					}
					runT = true
					s, ok := fastTextOnly(t)
					sb.WriteString(s)
					return ok
				}
				t.skip()
				return !t.bad
			})
		}
		t.skip()
		return !t.bad
	})
	if !ok || t.bad {
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
func (c fastRawCell) resolve(sst *fastSST) (readCell, error, bool) {
	typ := fastCellTypes[c.t]
	rc := readCell{typ: typ, raw: c.v}
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
			return readCell{typ: typ}, errFastCell, true
		}
		s, ok := fastString(sst.items[idx])
		rc.raw = s
		return rc, nil, ok
	case "inlineStr":
		if c.is != nil {
			s, ok := fastString(c.is)
			rc.raw = s
			return rc, nil, ok
		}
	}
	return rc, nil, true
}

// fastSheet scans a worksheet for the wanted cells, checking the shape
// excelize's lookups rely on: rows and cells with their references, in
// order; no wanted cell inside a merged range but at its top left.
func fastSheet(b []byte, want map[string]bool, lim Limits) (map[string]fastRawCell, bool) {
	t := &fastTok{b: b}
	if !t.root(fastNSMain, "worksheet") {
		return nil, false
	}
	found := make(map[string]fastRawCell, len(want))
	if t.self {
		t.next()
		return found, !t.bad
	}
	seenData, seenMerges := false, false
	var merges []string
	for {
		switch t.next() {
		case fastStart:
			switch string(fastLocal(t.name)) {
			case "sheetData":
				if seenData || !fastSheetData(t, want, found, lim) {
					return nil, false
				}
				seenData = true
			case "mergeCells":
				if seenMerges || !fastAttrs(t.attrs, func(name, raw []byte) bool {
					return string(name) != "count" || fastInt(raw)
				}) {
					return nil, false
				}
				seenMerges = true
				if !fastChildren(t, func() bool {
					if string(fastLocal(t.name)) == "mergeCell" {
						ref, _ := fastAttr(t.attrs, "ref")
						merges = append(merges, ref)
					}
					t.skip()
					return !t.bad
				}) {
					return nil, false
				}
			default:
				t.skipSeen() // data validations and the like: the same in every copy of a template
			}
		case fastEnd:
			t.next()
			if t.bad {
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
		case fastText:
		case fastEOF:
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
func fastSheetData(t *fastTok, want map[string]bool, found map[string]fastRawCell, lim Limits) bool {
	lastRow, cells := 0, 0
	return fastChildren(t, func() bool {
		if string(fastLocal(t.name)) != "row" {
			t.skip()
			return !t.bad
		}
		row := 0
		if !fastAttrs(t.attrs, func(name, raw []byte) bool {
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
				return fastInt(raw)
			case "ht":
				return fastFloat(raw)
			case "outlineLevel":
				return fastUint(raw, 8)
			case "customFormat", "hidden", "customHeight", "collapsed", "thickTop", "thickBot", "ph":
				return fastBool(raw)
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
			ref, typ, v, hasV, n := fastQuickCell(t.b[t.i:])
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
					c.v = fastUnescape(v)
				}
				found[string(ref)] = c
			}
			t.i += n
			return n
		}
		ok := fastChildrenQuick(t, quick, func() bool {
			if string(fastLocal(t.name)) != "c" {
				t.skip()
				return !t.bad
			}
			var ref, typ []byte
			if !fastAttrs(t.attrs, func(name, raw []byte) bool {
				switch string(name) {
				case "r":
					ref = raw
				case "t":
					typ = raw
				case "s":
					return fastInt(raw)
				case "cm", "vm":
					return fastUint(raw, 64)
				case "ph":
					return fastBool(raw)
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
				t.skip()
				return !t.bad
			}
			c := fastRawCell{t: fastUnescape(typ)}
			seenV := false
			if !fastChildren(t, func() bool {
				switch string(fastLocal(t.name)) {
				case "v":
					if seenV {
						return false
					}
					seenV = true
					v, ok := fastTextOnly(t)
					c.v = v
					return ok
				case "f":
					return false // the reader reports formulas; excelize reads them
				case "is":
					if c.is != nil {
						return false
					}
					from := t.at
					t.skip()
					c.is = t.b[from:t.i]
					return !t.bad
				}
				t.skip()
				return !t.bad
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
