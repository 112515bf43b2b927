package fast

import (
	"bytes"
	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/check"
	"kaohe/sheets/internal/ooxml"
	"kaohe/sheets/internal/text"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The strings of the field cells: shared strings and inline strings, decoded
// as excelize decodes them.

// sst is the shared strings: each item's raw element, decoded on use.
type sst struct {
	items [][]byte // the <si> elements, whole
}

// sharedStrings reads the shared strings part.
func sharedStrings(b []byte) (*sst, bool) {
	if b == nil {
		return &sst{}, true
	}
	t := &ooxml.Tokenizer{B: b}
	if !t.Root(ooxml.NSMain, "sst") {
		return nil, false
	}
	if !ooxml.Attrs(t.Attrs, func(name, raw []byte) bool {
		switch string(ooxml.Local(name)) {
		case "count", "uniqueCount":
			return ooxml.Int(raw)
		}
		return true
	}) {
		return nil, false
	}
	strs := &sst{items: make([][]byte, 0, 64)}
	if t.Self {
		t.Next()
		return strs, !t.Bad
	}
	for {
		// The usual item, <si><t>text</t></si>, taken at once.
		if rest := t.B[t.I:]; bytes.HasPrefix(rest, []byte("<si><t>")) {
			if end := bytes.IndexByte(rest[7:], '<'); end >= 0 && bytes.HasPrefix(rest[7+end:], []byte("</t></si>")) && ooxml.ValidText(rest[7:7+end]) {
				n := 7 + end + len("</t></si>")
				strs.items = append(strs.items, rest[:n])
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
			t.SkipSeen() // a template's rich text, the same in every copy, is checked once
			strs.items = append(strs.items, t.B[from:t.I])
		case ooxml.EndElement:
			t.Next()
			return strs, !t.Bad
		case ooxml.CharData:
		case ooxml.EOF:
			return nil, false
		}
	}
}

// str decodes one <si> or <is> element as excelize's xlsxSI.String:
// its <t>, then the <t> of each <r> run; phonetic runs are not text.
func str(b []byte) (string, bool) {
	t := &ooxml.Tokenizer{B: b}
	if t.Next() != ooxml.StartElement {
		return "", false
	}
	var sb strings.Builder // the runs' text
	direct, seenT := "", false
	ok := t.Children(func() bool {
		switch string(ooxml.Local(t.Name)) {
		case "t":
			if seenT {
				return false // encoding/xml keeps the last: not worth following
			}
			seenT = true
			s, ok := t.TextOnly()
			direct = s // String() puts it before the runs, wherever it is
			return ok
		case "r":
			runT := false
			return t.Children(func() bool {
				switch string(ooxml.Local(t.Name)) {
				case "t":
					if runT {
						return false
					}
					runT = true
					s, ok := t.TextOnly()
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

// cellTypes are the cell types by their t attribute, as excelize reads them.
var cellTypes = map[string]excelize.CellType{
	"b": excelize.CellTypeBool, "d": excelize.CellTypeDate, "n": excelize.CellTypeNumber,
	"e": excelize.CellTypeError, "s": excelize.CellTypeSharedString, "str": excelize.CellTypeFormula,
	"inlineStr": excelize.CellTypeInlineString,
}

// resolve is what excelize returns for the cell c, holding the field at;
// ok is false when the fast path does not follow excelize there, or when a
// rule of the scan refuses the cell.
func (c rawCell) resolve(at check.Field, strs *sst, lim check.Limits) (cell book.Cell, ok bool) {
	if check.FieldText(at, text.Units(c.v), lim) != nil {
		return cell, false
	}
	cell = book.Cell{Type: cellTypes[c.t], Raw: c.v}
	switch c.t {
	case "s":
		i, no := check.SharedString(at, c.v, len(strs.items))
		if no != nil {
			return cell, false
		}
		cell.Raw, ok = str(strs.items[i])
	case "inlineStr":
		if c.is == nil {
			return cell, true
		}
		cell.Raw, ok = str(c.is)
	default:
		return cell, true
	}
	return cell, ok && check.FieldText(at, text.Units(cell.Raw), lim) == nil
}
