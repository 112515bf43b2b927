package ooxml

import (
	"bytes"
	"strconv"
	"strings"
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

type Workbook struct {
	Sheets []SheetRef
	Names  []DefinedName
}

// SheetRef is one sheet of the workbook: its name and relationship id.
type SheetRef struct{ Name, RID string }

type DefinedName struct {
	Name, RefersTo string
	Local          *int
}

// ReadWorkbook reads the sheets and defined names of workbook.xml.
func ReadWorkbook(b []byte) (*Workbook, bool) {
	t := &Tokenizer{B: b}
	if !t.Root(NSMain, "workbook") {
		return nil, false
	}
	if rns, ok := Attr(t.Attrs, "xmlns:r"); !ok || rns != NSOfficeR {
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
				if seenSheets || !Children(t, func() bool {
					if string(Local(t.Name)) != "sheet" {
						t.Skip()
						return !t.Bad
					}
					ok := Attrs(t.Attrs, func(name, raw []byte) bool {
						switch string(name) {
						case "sheetId":
							return Int(raw)
						case "r:id":
							return true
						}
						return !bytes.HasPrefix(name, []byte("xmlns")) && string(Local(name)) != "id"
					})
					name, _ := Attr(t.Attrs, "name")
					rid, hasRID := Attr(t.Attrs, "r:id")
					if !ok || !hasRID {
						return false
					}
					wb.Sheets = append(wb.Sheets, SheetRef{name, rid})
					return NoChildren(t)
				}) {
					return nil, false
				}
				seenSheets = true
			case "definedNames":
				if seenNames || !Children(t, func() bool {
					if string(Local(t.Name)) != "definedName" {
						t.Skip()
						return !t.Bad
					}
					var dn DefinedName
					ok := Attrs(t.Attrs, func(name, raw []byte) bool {
						switch string(name) {
						case "localSheetId":
							if !Int(raw) {
								return false
							}
							v, err := strconv.Atoi(strings.TrimSpace(Unescape(raw)))
							if err != nil {
								return false // empty: encoding/xml sets 0 through the pointer; not worth following
							}
							dn.Local = &v
						case "functionGroupId":
							return Int(raw)
						case "function", "hidden", "publishToServer", "vbProcedure", "workbookParameter", "xml":
							return Bool(raw)
						case "name":
							dn.Name = Unescape(raw)
						}
						return !bytes.HasPrefix(name, []byte("xmlns"))
					})
					if !ok {
						return false
					}
					s, ok := TextOnly(t)
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
