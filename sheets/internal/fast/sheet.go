package fast

// A worksheet holding fields: its rows and cells, read for the field cells
// while the scan's rules (check.Rows) are asked of every row and cell.

import (
	"bytes"
	"slices"
	"strings"

	"kaohe/sheets/internal/check"
	"kaohe/sheets/internal/ooxml"
	"kaohe/templates"
)

// rawCell is a field cell as found in the sheet.
type rawCell struct {
	t, v string
	is   []byte // the <is> element, whole
}

// readSheet scans a worksheet (the part named part, of the sheet named
// sheet) for the wanted cells. It asks the scan's rules of every row and
// cell and checks the shape excelize's lookups rely on: rows numbered, no
// wanted cell inside a merged range but at its top left.
func readSheet(b []byte, part, sheet string, want map[string]*templates.Field, lim check.Limits) (map[string]rawCell, bool) {
	t := &ooxml.Tokenizer{B: b}
	if !t.Root(ooxml.NSMain, "worksheet") {
		return nil, false
	}
	found := make(map[string]rawCell, len(want))
	if t.Self {
		t.Next()
		return found, !t.Bad
	}
	rows := check.NewRows(part, sheet, lim)
	seenData, seenMerges := false, false
	var merges []string
	for {
		switch t.Next() {
		case ooxml.StartElement:
			switch string(ooxml.Local(t.Name)) {
			case "sheetData":
				if seenData || !sheetData(t, rows, sheet, want, found) {
					return nil, false
				}
				seenData = true
			case "mergeCells":
				if seenMerges || !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
					return string(ooxml.Local(name)) != "count" || ooxml.Int(raw)
				}) {
					return nil, false
				}
				seenMerges = true
				if !t.Children(func() bool {
					if string(ooxml.Local(t.Name)) == "mergeCell" {
						ref, _ := ooxml.Attr(t.Attrs, "ref")
						if rows.Merge(ref) != nil {
							return false
						}
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
			if t.Bad || !mergesClear(merges, want) {
				return nil, false
			}
			return found, true
		case ooxml.CharData:
		case ooxml.EOF:
			return nil, false
		}
	}
}

// mergesClear reports whether no wanted cell is inside a merged range but
// at its top left (excelize reads such a cell as the top left one), with
// every range written as Excel writes it.
func mergesClear(merges []string, want map[string]*templates.Field) bool {
	if len(merges) == 0 {
		return true
	}
	type at struct {
		cell     string
		col, row int
	}
	wanted := make([]at, 0, len(want)) // read once for all the merges
	for cell := range want {
		c, r, _ := check.Ref(cell)
		wanted = append(wanted, at{cell, c, r})
	}
	for _, m := range merges {
		if m == "" {
			continue
		}
		from, to, ok := strings.Cut(m, ":")
		if !ok || strings.Contains(to, ":") {
			return false
		}
		c1, r1, ok1 := check.Ref(from)
		c2, r2, ok2 := check.Ref(to)
		if !ok1 || !ok2 {
			return false
		}
		for _, w := range wanted {
			if w.col >= min(c1, c2) && w.col <= max(c1, c2) && w.row >= min(r1, r2) && w.row <= max(r1, r2) && w.cell != from {
				return false
			}
		}
	}
	return true
}

// rowRead is a row without field cells, known by its bytes (rowsSeen):
// what the scan's rules ask of it, its number and its cells' references.
type rowRead struct {
	r    []byte
	refs [][]byte
}

// rowsSeen holds the rows without field cells read before: a template's
// labels, the same in every copy a program saved.
var rowsSeen = ooxml.NewMemo[*rowRead]()

// newRowRead copies what a row read holds, out of the part's bytes.
func newRowRead(r []byte, refs [][]byte) *rowRead {
	rr := &rowRead{r: bytes.Clone(r), refs: make([][]byte, len(refs))}
	for i, ref := range refs {
		rr.refs[i] = bytes.Clone(ref)
	}
	return rr
}

// replay asks rows what reading the row again would ask; handled is false,
// and nothing asked, when one of its cells is wanted (another template's
// field: it is read).
func (rr *rowRead) replay(rows *check.Rows, want map[string]*templates.Field) (handled, ok bool) {
	for _, ref := range rr.refs {
		if want[string(ref)] != nil {
			return false, false
		}
	}
	if rows.Row(rr.r, true) != nil || rows.Number() == 0 {
		return true, false
	}
	for _, ref := range rr.refs {
		if _, no := rows.Cell(ref); no != nil {
			return true, false
		}
	}
	return true, rows.EndRow() == nil
}

// sheetData reads <sheetData>, asking rows of every row and cell. A row
// without field cells seen before is known by its bytes (rowsSeen).
func sheetData(t *ooxml.Tokenizer, rows *check.Rows, sheet string, want map[string]*templates.Field, found map[string]rawCell) bool {
	var refs [][]byte                      // the cells of the row read, while it has no field cell
	fieldRows := make([]int, 0, len(want)) // a row with a field cell is never known by its bytes: not looked up
	for cell := range want {
		_, r, _ := check.Ref(cell)
		fieldRows = append(fieldRows, r)
	}
	return t.Children(func() bool {
		if string(ooxml.Local(t.Name)) != "row" {
			t.Skip()
			return !t.Bad
		}
		var elem []byte
		if n := rowNumber(t.Attrs); n == 0 || !slices.Contains(fieldRows, n) {
			elem = t.Element()
		}
		from := t.At
		known, h, seen := rowsSeen.Get(elem)
		if seen {
			if handled, ok := known.replay(rows, want); handled {
				if ok {
					t.Past(elem)
				}
				return ok
			}
		}
		refs = refs[:0]
		wanted := false
		// Attributes by their local name, the last one winning, each of
		// the type encoding/xml converts it into for excelize's xlsxRow.
		var r []byte
		hasR := false
		if !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
			switch string(ooxml.Local(name)) {
			case "r":
				r, hasR = raw, true
				return ooxml.Int(raw)
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
		}) || rows.Row(r, hasR) != nil || rows.Number() == 0 {
			return false // a row without its number: excelize numbers such rows itself
		}
		// The usual cell, <c r="C5" s="3" t="s"><v>12</v></c> and its
		// shorter forms, is taken at once; any other goes the long way.
		quick := func() int {
			ref, typ, v, hasV, inline, n := quickCell(t.B[t.I:])
			if n == 0 || inline && want[string(ref)] != nil { // a field's inline string: read the long way
				return 0
			}
			if _, no := rows.Cell(ref); no != nil {
				return -1
			}
			refs = append(refs, ref)
			if want[string(ref)] != nil {
				wanted = true
				c := rawCell{t: string(typ)}
				if hasV {
					c.v = ooxml.Unescape(v)
				}
				found[string(ref)] = c
			}
			t.I += n
			return n
		}
		ok := t.ChildrenQuick(quick, func() bool {
			if string(ooxml.Local(t.Name)) != "c" {
				t.Skip()
				return !t.Bad
			}
			var ref, typ []byte
			if !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
				switch string(ooxml.Local(name)) {
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
			if _, no := rows.Cell(ref); no != nil {
				return false
			}
			refs = append(refs, ref)
			if want[string(ref)] == nil {
				t.SkipSeen() // a label, written at length (openpyxl: as character references)
				return !t.Bad
			}
			wanted = true
			c := rawCell{t: ooxml.Unescape(typ)}
			once := check.NewOnce(check.Field{Field: want[string(ref)], Sheet: sheet, Cell: string(ref)})
			if !t.Children(func() bool {
				elem := string(ooxml.Local(t.Name))
				if once.Add(elem) != nil {
					return false // the scan refuses it
				}
				switch elem {
				case "v":
					v, ok := t.TextOnly()
					c.v = v
					return ok
				case "f":
					return false // the reader reports formulas; excelize reads them
				case "is":
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
		if !ok || rows.EndRow() != nil {
			return false
		}
		if !wanted && t.Skipped(elem, from) {
			rowsSeen.Keep(h, elem, func() *rowRead { return newRowRead(r, refs) })
		}
		return true
	})
}

// rowNumber is a row's number when its r attribute comes first, written
// in digits; 0 otherwise.
func rowNumber(attrs []byte) int {
	attrs = bytes.TrimLeft(attrs, " \t\n")
	if !bytes.HasPrefix(attrs, []byte(`r="`)) {
		return 0
	}
	n := 0
	for _, c := range attrs[3:min(len(attrs), 10)] {
		switch {
		case c == '"':
			return n
		case c < '0' || c > '9':
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return 0
}

// quickCell reads the usual shapes of a cell at the start of b:
// <c r="REF"[ s="DIGITS"][ t="LETTERS"]> then />, ></c>, ><v>text</v></c>
// or, inline (a label: openpyxl, Gnumeric), ><is><t>text</t></is></c>, with
// white space (Gnumeric indents) before the cell and between its elements,
// text excelize ignores there; n is the bytes it takes, 0 when b starts
// otherwise.
func quickCell(b []byte) (ref, typ, v []byte, hasV, inline bool, n int) {
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
	// lit is where s ends when it is at b[at:], else -1; ws skips white space.
	lit := func(at int, s string) int {
		if at < 0 || !bytes.HasPrefix(b[at:], []byte(s)) {
			return -1
		}
		return at + len(s)
	}
	ws := func(at int) int {
		for at >= 0 && at < len(b) && (b[at] == ' ' || b[at] == '\n' || b[at] == '\t') {
			at++
		}
		return at
	}
	// text is where the valid text at b[at:], up to the next <, ends.
	text := func(at int) int {
		if at < 0 {
			return -1
		}
		k := bytes.IndexByte(b[at:], '<')
		if k < 0 || !ooxml.ValidText(b[at:at+k]) {
			return -1
		}
		return at + k
	}
	ref, i := attr(ws(0), `<c r="`, 10, func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' })
	if ref == nil {
		return nil, nil, nil, false, false, 0
	}
	if _, i = attr(i, ` s="`, 18, func(c byte) bool { return c >= '0' && c <= '9' }); i < 0 {
		return nil, nil, nil, false, false, 0
	}
	if typ, i = attr(i, ` t="`, 9, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }); i < 0 {
		return nil, nil, nil, false, false, 0
	}
	if e := lit(i, "/>"); e > 0 {
		return ref, typ, nil, false, false, e
	}
	j := ws(lit(i, ">"))
	if e := lit(j, "</c>"); e > 0 {
		return ref, typ, nil, false, false, e
	}
	if k := lit(j, "<v>"); k > 0 {
		m := text(k)
		if e := lit(ws(lit(m, "</v>")), "</c>"); e > 0 {
			return ref, typ, b[k:m], true, false, e
		}
		return nil, nil, nil, false, false, 0
	}
	if k := ws(lit(j, "<is>")); k > 0 {
		t := lit(k, "<t>")
		if t < 0 {
			t = lit(k, `<t xml:space="preserve">`)
		}
		if e := lit(ws(lit(ws(lit(text(t), "</t>")), "</is>")), "</c>"); e > 0 {
			return ref, typ, nil, false, true, e
		}
	}
	return nil, nil, nil, false, false, 0
}
