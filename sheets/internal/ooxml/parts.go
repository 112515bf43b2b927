package ooxml

import (
	"bytes"
)

// The namespaces of the roots excelize checks when it decodes a part.
const (
	NSMain            = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	NSRels            = "http://schemas.openxmlformats.org/package/2006/relationships"
	NSTypes           = "http://schemas.openxmlformats.org/package/2006/content-types"
	NSDrawing         = "http://schemas.openxmlformats.org/drawingml/2006/main"
	NSOfficeR         = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	RelOfficeDocument = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)

// Rel is one relationship of a relationships part.
type Rel struct{ ID, Type, Target string }

// ReadRels reads a relationships part.
func ReadRels(b []byte) ([]Rel, bool) {
	t := &Tokenizer{B: b}
	if !t.Root(NSRels, "Relationships") {
		return nil, false
	}
	var out []Rel
	if t.Self {
		t.Next()
		return out, !t.Bad
	}
	for {
		switch t.Next() {
		case StartElement:
			if string(Local(t.Name)) == "Relationship" {
				var r Rel
				r.ID, _ = Attr(t.Attrs, "Id")
				r.Type, _ = Attr(t.Attrs, "Type")
				r.Target, _ = Attr(t.Attrs, "Target")
				out = append(out, r)
			}
			t.Skip()
		case EndElement:
			t.Next()
			return out, !t.Bad
		case CharData:
		case EOF:
			return nil, false
		}
	}
}

// Workbook is what the readers need of xl/workbook.xml: its sheets and its
// defined names, in order.
type Workbook struct {
	Sheets []SheetRef
	Names  []DefinedName
}

// SheetRef is one sheet of the workbook: its name, relationship id and
// state ("", visible, hidden or veryHidden, as written).
type SheetRef struct{ Name, RID, State string }

// DefinedName is one defined name as written: LocalSheetID is the
// localSheetId attribute, HasLocal whether there is one.
type DefinedName struct {
	Name, RefersTo string
	LocalSheetID   string
	HasLocal       bool
}

// ReadWorkbook reads the sheets and defined names of workbook.xml.
func ReadWorkbook(b []byte) (*Workbook, bool) {
	t := &Tokenizer{B: b}
	if !t.Root(NSMain, "workbook") {
		return nil, false
	}
	wb := &Workbook{Names: make([]DefinedName, 0, bytes.Count(b, []byte("<definedName ")))}
	if t.Self {
		t.Next()
		return wb, !t.Bad
	}
	seenSheets, seenNames := false, false
	for {
		switch t.Next() {
		case StartElement:
			switch string(Local(t.Name)) {
			case "sheets":
				if seenSheets || !t.Children(func() bool {
					if string(Local(t.Name)) != "sheet" {
						t.Skip()
						return !t.Bad
					}
					// As encoding/xml fills excelize's xlsxSheet: attributes by
					// their local name, the last one winning; the id only in
					// the relationships namespace, bound wherever the writer
					// declared it (openpyxl declares it on each sheet).
					var name, rid, state string
					hasRID := false
					ok := Attrs(t.Attrs, func(an, raw []byte) bool {
						switch string(Local(an)) {
						case "sheetId":
							return Int(raw)
						case "name":
							name = Unescape(raw)
						case "state":
							state = Unescape(raw)
						case "id":
							if space, ok := t.AttrSpace(an); ok && string(space) == NSOfficeR {
								rid, hasRID = Unescape(raw), true
							}
						}
						return true
					})
					if !ok || !hasRID {
						return false
					}
					wb.Sheets = append(wb.Sheets, SheetRef{name, rid, state})
					return t.NoChildren()
				}) {
					return nil, false
				}
				seenSheets = true
			case "definedNames":
				if seenNames || !t.Children(func() bool {
					if string(Local(t.Name)) != "definedName" {
						t.Skip()
						return !t.Bad
					}
					var dn DefinedName
					ok := Attrs(t.Attrs, func(an, raw []byte) bool {
						switch string(Local(an)) {
						case "localSheetId":
							dn.LocalSheetID, dn.HasLocal = Unescape(raw), true
						case "functionGroupId":
							return Int(raw)
						case "function", "hidden", "publishToServer", "vbProcedure", "workbookParameter", "xml":
							return Bool(raw)
						case "name":
							dn.Name = Unescape(raw)
						}
						return true
					})
					if !ok {
						return false
					}
					s, ok := t.TextOnly()
					if !ok {
						return false
					}
					dn.RefersTo = s
					wb.Names = append(wb.Names, dn)
					return true
				}) {
					return nil, false
				}
				seenNames = true
			default:
				t.Skip()
			}
		case EndElement:
			t.Next()
			return wb, !t.Bad
		case CharData:
		case EOF:
			return nil, false
		}
	}
}
