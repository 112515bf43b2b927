package check

// Scanning: before excelize parses a workbook, kaohe reads the XML parts a
// submission relies on itself, each through a bounded inflater and a strict
// tokenizer, and refuses the file when one of them is not what Excel, WPS
// or LibreOffice write:
//
//   - any DTD (<!DOCTYPE>): Go's XML decoder does not expand entities, and
//     excelize then reads such a sheet as empty; no office program writes one;
//   - XML that is not well-formed: excelize may return part of the cells
//     with no error;
//   - a part larger, once inflated, than UnzipXMLSizeLimit, or whose zip
//     data does not match its declared size (a lying header);
//   - in a sheet holding a field: a row number past Excel's 1,048,576
//     (<row r="2147483647">), rows out of order or repeated, a cell without
//     its reference, out of its row or repeated, more than MaxRows rows or
//     MaxCells cells as excelize would allocate them (it fills every row up
//     to the last one and every cell up to a row's last column: one row at
//     1,048,576 costs hundreds of MB);
//   - a field's text longer than an Excel cell can hold (32,767 UTF-16
//     units), or a field referring to a shared string that does not exist;
//   - what two programs would read differently: a field cell with two
//     values (<v>, <f> or <is> twice), a defined name of workbook scope
//     defined twice;
//   - more than MaxSheets sheets or MaxStrings shared strings.
//
// The parts scanned are those excelize decodes for the reader: the content
// types, the package and workbook relationships, the workbook, the shared
// strings and the sheets the fields' defined names point at. Every other
// XML part is only bounded in size. The scan resolves parts and names the
// way excelize does, so that both see the same cells.

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/ooxml"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// scanCell is a field's cell as found in its sheet's XML.
type scanCell struct {
	field *templates.Field
	sheet string
	cell  string
	found bool
	typ   string // the t attribute
	units int    // its longest text (v, f, or the inline string), in UTF-16 units
	sst   string // the v of a shared-string cell: the index
}

// Scan scans the parts of p the reader relies on. It returns the
// refusals of the file (none when excelize may open it).
func Scan(p *ooxml.Package, lim Limits) []Refusal {
	s := &scanner{p: p, lim: lim}
	err := s.run()
	var r *Refusal
	if errors.As(err, &r) {
		return []Refusal{*r}
	}
	if err != nil {
		return []Refusal{{Message: "文件已损坏，无法读取；" + Repair, Cause: err.Error()}}
	}
	return s.refusals
}

type scanner struct {
	p        *ooxml.Package
	lim      Limits
	cells    []*scanCell
	refusals []Refusal
	sst      int         // shared strings
	long     map[int]int // shared strings longer than a cell holds: index -> units
}

func (s *scanner) run() error {
	if r := Parts(s.p, s.lim); r != nil { // every XML part excelize may decode is bounded in size
		return r
	}
	if err := s.contentTypes(); err != nil {
		return err
	}
	wbPath, err := s.workbookPath()
	if err != nil {
		return err
	}
	sheets, names, err := s.workbook(wbPath)
	if err != nil {
		return err
	}
	rels, err := s.rels(wbRelsPath(wbPath))
	if err != nil {
		return err
	}
	// The sheets the fields point at, resolved as book.Resolve and excelize do.
	bySheet := map[string]string{} // lower-case name -> name
	for _, sh := range sheets {
		bySheet[strings.ToLower(sh.name)] = sh.name
	}
	rid := map[string]string{}
	for _, sh := range sheets {
		rid[sh.name] = sh.rid
	}
	parts := map[string]map[string]*scanCell{} // part -> cell -> field cell
	partSheet := map[string]string{}
	seen := map[string]bool{}
	for _, dn := range names {
		k := book.Key(dn.name)
		if dn.scoped || seen[k] {
			continue
		}
		seen[k] = true
		fd, ok := templates.FieldByName(k)
		if !ok {
			continue
		}
		at, err := book.ParseRef(dn.refersTo)
		if err != nil {
			continue // the reader says why
		}
		sheet, ok := bySheet[strings.ToLower(at.Sheet)]
		if !ok {
			continue
		}
		target, ok := rels[rid[sheet]]
		if !ok {
			return refuse("文件已损坏：工作表「"+text.Clip(sheet)+"」在工作簿中找不到它的数据；"+Repair,
				fmt.Sprintf("sheet %q: relationship %q not in %s", sheet, rid[sheet], wbRelsPath(wbPath)))
		}
		part := wsPath(wbPath, target)
		if strings.HasPrefix(part, "xl/chartsheets") || strings.HasPrefix(part, "xl/dialogsheet") || strings.HasPrefix(part, "xl/macrosheet") {
			continue // excelize refuses to read cells there: the reader says it cannot read the cell
		}
		if s.p.Part(part) == nil {
			return SheetMissing(sheet, fmt.Sprintf("sheet %q: part %q missing", sheet, part))
		}
		if parts[part] == nil {
			parts[part] = map[string]*scanCell{}
			partSheet[part] = sheet
		}
		c := &scanCell{field: &fd, sheet: sheet, cell: at.Cell}
		if _, ok := parts[part][at.Cell]; !ok { // another name on the same cell gets its content below
			parts[part][at.Cell] = c
		}
		s.cells = append(s.cells, c)
	}
	if f := s.p.Part("xl/sharedStrings.xml"); f != nil {
		if err := s.sharedStrings(f); err != nil {
			return err
		}
	}
	order := make([]string, 0, len(parts))
	for part := range parts {
		order = append(order, part)
	}
	sort.Strings(order)
	for _, part := range order {
		if err := s.sheet(part, partSheet[part], parts[part]); err != nil {
			return err
		}
	}
	// Two names on one cell: give every one of them what the cell holds.
	byPlace := map[string]*scanCell{}
	for _, c := range s.cells {
		k := c.sheet + "!" + c.cell
		if c.found {
			byPlace[k] = c
		}
	}
	for _, c := range s.cells {
		if f, ok := byPlace[c.sheet+"!"+c.cell]; ok && !c.found {
			field := c.field
			*c = *f
			c.field = field
		}
	}
	s.fieldChecks()
	return nil
}

// fieldChecks refuses field cells whose text no Excel cell can hold and
// shared-string cells pointing past the shared strings.
func (s *scanner) fieldChecks() {
	for _, c := range s.cells {
		if !c.found {
			continue
		}
		at := Field{Field: c.field, Sheet: c.sheet, Cell: c.cell}
		units := c.units
		if c.typ == "s" {
			i, r := SharedString(at, c.sst, s.sst)
			if r != nil {
				s.refusals = append(s.refusals, *r)
				continue
			}
			units = max(units, s.long[i])
		}
		if r := FieldText(at, units, s.lim); r != nil {
			s.refusals = append(s.refusals, *r)
		}
	}
}

// xmlVisit sees every token of a part with the local names of the open
// elements (the innermost last).
type xmlVisit func(tok xml.Token, stack []string) error

// scanXML tokenizes one part strictly, through an inflater bounded by the
// XML limit, and refuses a DTD, malformed XML and damaged zip data.
func (s *scanner) scanXML(f *zip.File, sheet string, visit xmlVisit) error {
	if r := XMLPart(f, sheet, s.lim); r != nil {
		return r
	}
	what := what(f.Name, sheet)
	rc, err := f.Open()
	if err != nil {
		return refuse("文件已损坏："+what+"无法解压；"+Repair, fmt.Sprintf("opening part %q: %v", f.Name, err))
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: s.lim.UnzipXMLSizeLimit + 1}
	d := xml.NewDecoder(lr)
	d.Strict = true
	var stack []string
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			switch {
			case lr.N <= 0:
				return refuse(fmt.Sprintf("%s解压后超过 %s MB 的上限（与文件中声明的大小不符），未读取；%s", what, text.MB(s.lim.UnzipXMLSizeLimit), Repair),
					fmt.Sprintf("part %q inflates past %d bytes", f.Name, s.lim.UnzipXMLSizeLimit))
			case errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF) && !isSyntax(err):
				return refuse("文件已损坏："+what+"的压缩数据不完整或与声明的大小不符（可能上传中断或文件被篡改）；请重新上传，"+Repair,
					fmt.Sprintf("inflating part %q: %v", f.Name, err))
			}
			return refuse(fmt.Sprintf("文件已损坏：%s的 XML 格式错误（第 %d 行附近），其中的数据无法可靠读取；%s", what, line, Repair),
				fmt.Sprintf("part %q: malformed XML at line %d: %v", f.Name, line, err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			if d := strings.ToUpper(strings.TrimSpace(string(t))); strings.HasPrefix(d, "DOCTYPE") || strings.HasPrefix(d, "ENTITY") {
				return refuse(what+"包含 DTD 声明（<!DOCTYPE>），Excel、WPS 和 LibreOffice 保存的工作簿不会有，为安全起见不予读取；"+Repair,
					fmt.Sprintf("part %q has a DTD: %.60q", f.Name, string(t)))
			}
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			root = true
		}
		if err := visit(tok, stack); err != nil {
			return err
		}
		if _, ok := tok.(xml.EndElement); ok && len(stack) > 0 {
			stack = stack[:len(stack)-1]
		}
	}
	if !root {
		return refuse("文件已损坏："+what+"是空的；"+Repair, fmt.Sprintf("part %q has no root element", f.Name))
	}
	return nil
}

func isSyntax(err error) bool {
	var se *xml.SyntaxError
	return errors.As(err, &se)
}

// attr is an attribute by its local name in any namespace, the last one
// when repeated: as encoding/xml fills excelize's structs.
func attr(t xml.StartElement, local string) (v string, ok bool) {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			v, ok = a.Value, true
		}
	}
	return v, ok
}

// parent is the local name of the element enclosing the innermost one.
func parent(stack []string, up int) string {
	if i := len(stack) - 1 - up; i >= 0 {
		return stack[i]
	}
	return ""
}

// contentTypes refuses a macro-enabled workbook.
func (s *scanner) contentTypes() error {
	f := s.p.Part("[Content_Types].xml")
	return s.scanXML(f, "", func(tok xml.Token, stack []string) error {
		t, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		ct, _ := attr(t, "ContentType")
		if r := ContentType(ct); r != nil {
			return r
		}
		return nil
	})
}

// workbookPath is the workbook part named by the package relationships.
func (s *scanner) workbookPath() (string, error) {
	var target string
	err := s.scanXML(s.p.Exact("_rels/.rels"), "", func(tok xml.Token, stack []string) error {
		t, ok := tok.(xml.StartElement)
		if !ok || len(stack) != 2 || t.Name.Local != "Relationship" || target != "" {
			return nil
		}
		if typ, _ := attr(t, "Type"); strings.HasSuffix(typ, "/officeDocument") {
			target, _ = attr(t, "Target")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	p := strings.TrimPrefix(target, "/")
	if p == "" || s.p.Part(p) == nil {
		return "", NoWorkbook(target)
	}
	return p, nil
}

// wbRelsPath is the workbook's relationships part, as excelize finds it.
func wbRelsPath(wb string) string {
	dir := path.Dir(wb)
	if dir == "." {
		return "_rels/" + path.Base(wb) + ".rels"
	}
	return strings.TrimPrefix(dir+"/_rels/"+path.Base(wb)+".rels", "/")
}

// wsPath is a worksheet's part from its relationship target, as excelize
// resolves it.
func wsPath(wb, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(strings.ReplaceAll(path.Clean(target), `\`, "/"), "/")
	}
	return strings.TrimPrefix(strings.ReplaceAll(path.Clean(path.Dir(wb)+"/"+target), `\`, "/"), "/")
}

type scanSheet struct{ name, rid string }

type scanName struct {
	name, refersTo string
	scoped         bool
}

// workbook reads the sheets and the defined names.
func (s *scanner) workbook(wbPath string) ([]scanSheet, []scanName, error) {
	var sheets []scanSheet
	var names []scanName
	var cur *scanName
	var refers strings.Builder
	list := NewSheets(s.lim)
	dnames := NewNames()
	err := s.scanXML(s.p.Part(wbPath), "", func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case len(stack) == 3 && t.Name.Local == "sheet" && parent(stack, 1) == "sheets":
				name, _ := attr(t, "name")
				rid, _ := attr(t, "id")
				if r := list.Add(name); r != nil {
					return r
				}
				sheets = append(sheets, scanSheet{name: name, rid: rid})
			case len(stack) == 3 && t.Name.Local == "definedName" && parent(stack, 1) == "definedNames":
				n := scanName{}
				n.name, _ = attr(t, "name")
				if v, ok := attr(t, "localSheetId"); ok {
					var r *Refusal
					if n.scoped, r = LocalSheetID(n.name, v); r != nil {
						return r
					}
				}
				if r := dnames.Add(n.name, n.scoped); r != nil {
					return r
				}
				names = append(names, n)
				cur = &names[len(names)-1]
				refers.Reset()
			}
		case xml.CharData:
			if cur != nil && refers.Len() < 1<<16 {
				refers.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 3 && t.Name.Local == "definedName" && cur != nil {
				cur.refersTo = refers.String()
				cur = nil
			}
		}
		return nil
	})
	return sheets, names, err
}

// rels reads a relationships part: Id -> Target.
func (s *scanner) rels(name string) (map[string]string, error) {
	out := map[string]string{}
	f := s.p.Part(name)
	if f == nil {
		return out, nil
	}
	ids := NewRels(name)
	err := s.scanXML(f, "", func(tok xml.Token, stack []string) error {
		if t, ok := tok.(xml.StartElement); ok && len(stack) == 2 && t.Name.Local == "Relationship" {
			id, _ := attr(t, "Id")
			target, _ := attr(t, "Target")
			if r := ids.Add(id); r != nil {
				return r
			}
			out[id] = target
		}
		return nil
	})
	return out, err
}

// sharedStrings counts the shared strings and notes those too long for a cell.
func (s *scanner) sharedStrings(f *zip.File) error {
	s.long = map[int]int{}
	units, inText := 0, false
	return s.scanXML(f, "", func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case len(stack) == 2 && t.Name.Local == "si":
				units = 0
			case len(stack) == 3 && t.Name.Local == "t" && parent(stack, 1) == "si",
				len(stack) == 4 && t.Name.Local == "t" && parent(stack, 1) == "r" && parent(stack, 2) == "si":
				inText = true
			}
		case xml.CharData:
			if inText {
				units += text.Units(string(t))
			}
		case xml.EndElement:
			switch {
			case t.Name.Local == "t":
				inText = false
			case len(stack) == 2 && t.Name.Local == "si":
				if units > s.lim.MaxTextChars {
					s.long[s.sst] = units
				}
				s.sst++
				if r := Strings(s.sst, s.lim); r != nil {
					return r
				}
			}
		}
		return nil
	})
}

// sheet scans one sheet holding fields (see the file comment).
func (s *scanner) sheet(part, name string, fields map[string]*scanCell) error {
	rows := NewRows(part, name, s.lim)
	var (
		inRow    bool
		cur      *scanCell
		open     *int // the counter of the text element open, or nil
		v, f, is int
		once     Once // the v, f and is elements of the field cell open
		sst      strings.Builder
	)
	// nilIfNone turns a nil refusal into a nil error (a nil *Refusal is a
	// non-nil error).
	nilIfNone := func(r *Refusal) error {
		if r == nil {
			return nil
		}
		return r
	}
	return s.scanXML(s.p.Part(part), name, func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				if len(stack) != 3 || parent(stack, 1) != "sheetData" {
					return nil
				}
				inRow = true
				r, ok := attr(t, "r")
				return nilIfNone(rows.Row([]byte(r), ok))
			case "c":
				if len(stack) != 4 || parent(stack, 1) != "row" || !inRow {
					return nil
				}
				ref, _ := attr(t, "r")
				if _, r := rows.Cell([]byte(ref)); r != nil {
					return r
				}
				cur = fields[ref]
				if cur != nil {
					cur.found = true
					cur.typ, _ = attr(t, "t")
				}
				v, f, is = 0, 0, 0
				if cur != nil {
					once = NewOnce(Field{Field: cur.field, Sheet: cur.sheet, Cell: cur.cell})
				}
				sst.Reset()
			case "v", "f", "is":
				if len(stack) != 5 || parent(stack, 1) != "c" {
					return nil
				}
				if cur != nil {
					if r := once.Add(t.Name.Local); r != nil {
						return r
					}
				}
				switch t.Name.Local {
				case "v":
					open = &v
				case "f":
					open = &f
				}
			case "t":
				if len(stack) == 6 && parent(stack, 1) == "is" || len(stack) == 7 && parent(stack, 1) == "r" && parent(stack, 2) == "is" {
					open = &is
				}
			case "mergeCell":
				if len(stack) != 3 || parent(stack, 1) != "mergeCells" {
					return nil
				}
				ref, _ := attr(t, "ref")
				return nilIfNone(rows.Merge(ref))
			}
		case xml.CharData:
			if open != nil {
				*open += text.Units(string(t))
				if open == &v && cur != nil && sst.Len() < 32 {
					sst.Write(t)
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "f", "t":
				open = nil
			case "c":
				if cur != nil && len(stack) == 4 {
					cur.units = max(v, f, is)
					cur.sst = sst.String()
				}
				cur = nil
			case "row":
				if len(stack) != 3 || !inRow {
					return nil
				}
				inRow = false
				return nilIfNone(rows.EndRow())
			}
		}
		return nil
	})
}
