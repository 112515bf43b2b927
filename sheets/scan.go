package sheets

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
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// scanRepair is what to do with a workbook whose parts are damaged.
const scanRepair = "请用 Excel、WPS 或 LibreOffice 打开（如提示修复，请核对修复后的内容）后另存为 .xlsx 再上传，或在市中心下发的自评表中重新填写"

// scanFail stops a scan with the issue that refuses the file.
type scanFail struct{ is Issue }

func (e *scanFail) Error() string { return e.is.Cause }

func scanRefuse(msg, cause string) *scanFail {
	return &scanFail{Issue{Severity: Error, Message: msg, Cause: cause}}
}

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

// scanResult is what the scan found out.
type scanResult struct {
	cells []*scanCell
}

// scanWorkbook scans the parts of p the reader relies on. It returns the
// issues that refuse the file (none when it may be opened).
func scanWorkbook(p *zipPkg, lim Limits) (res *scanResult, issues []Issue) {
	s := &scanner{p: p, lim: lim}
	err := s.run()
	var sf *scanFail
	if errors.As(err, &sf) {
		return nil, []Issue{sf.is}
	}
	if err != nil {
		return nil, []Issue{{Severity: Error, Message: "文件已损坏，无法读取；" + scanRepair, Cause: err.Error()}}
	}
	return &scanResult{cells: s.cells}, s.issues
}

type scanner struct {
	p      *zipPkg
	lim    Limits
	cells  []*scanCell
	issues []Issue
	sst    int         // shared strings
	long   map[int]int // shared strings longer than a cell holds: index -> units
}

// scanWhat names a part for people: 工作表「完成情况」 or the part's name.
func scanWhat(part, sheet string) string {
	if sheet != "" {
		return "工作表「" + text.Clip(sheet) + "」"
	}
	return "工作簿的「" + text.Clip(part) + "」部件"
}

func (s *scanner) run() error {
	// Every XML part excelize may decode is bounded in size; a sheet no
	// field points at is never decoded, excelize keeps a large one in a
	// temporary file.
	for _, f := range s.p.zr.File {
		n := strings.ToLower(f.Name)
		if strings.HasPrefix(n, "xl/worksheets/") || !(strings.HasSuffix(n, ".xml") || strings.HasSuffix(n, ".rels") || strings.HasSuffix(n, ".vml")) {
			continue
		}
		if err := s.checkSize(f, ""); err != nil {
			return err
		}
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
			return scanRefuse("文件已损坏：工作表「"+text.Clip(sheet)+"」在工作簿中找不到它的数据；"+scanRepair,
				fmt.Sprintf("sheet %q: relationship %q not in %s", sheet, rid[sheet], wbRelsPath(wbPath)))
		}
		part := wsPath(wbPath, target)
		if strings.HasPrefix(part, "xl/chartsheets") || strings.HasPrefix(part, "xl/dialogsheet") || strings.HasPrefix(part, "xl/macrosheet") {
			continue // excelize refuses to read cells there: the reader says it cannot read the cell
		}
		if s.p.part(part) == nil {
			return scanRefuse("文件已损坏：工作表「"+text.Clip(sheet)+"」的数据缺失；"+scanRepair,
				fmt.Sprintf("sheet %q: part %q missing", sheet, part))
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
	if f := s.p.part("xl/sharedStrings.xml"); f != nil {
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
		units := c.units
		if c.typ == "s" {
			i, err := strconv.Atoi(strings.TrimSpace(c.sst))
			if err != nil || i < 0 || i >= s.sst {
				s.issues = append(s.issues, Issue{Severity: Error, Field: c.field.Name, Label: c.field.Label, Sheet: c.sheet, Cell: c.cell,
					Message: "文件已损坏：单元格引用了不存在的文字（共享字符串 " + text.Clip(c.sst) + "）；" + scanRepair,
					Cause:   fmt.Sprintf("cell %s!%s: shared string index %q, %d shared strings", c.sheet, c.cell, c.sst, s.sst)})
				continue
			}
			units = max(units, s.long[i])
		}
		if units > s.lim.MaxTextChars {
			s.issues = append(s.issues, Issue{Severity: Error, Field: c.field.Name, Label: c.field.Label, Sheet: c.sheet, Cell: c.cell,
				Message: fmt.Sprintf("内容长 %s 个字符，超过 Excel 单元格的上限 %s 个字符，未读取；请改短后重新上传", text.Thousands(units), text.Thousands(s.lim.MaxTextChars)),
				Cause:   fmt.Sprintf("cell %s!%s holds %d UTF-16 units, limit %d", c.sheet, c.cell, units, s.lim.MaxTextChars)})
		}
	}
}

// checkSize refuses a part larger than one XML part may be.
func (s *scanner) checkSize(f *zip.File, sheet string) error {
	if f.UncompressedSize64 > uint64(s.lim.UnzipXMLSizeLimit) {
		return scanRefuse(fmt.Sprintf("%s解压后 %s MB，超过 %s MB 的上限，不像是自评表；请删除多余的内容，或在市中心下发的自评表中重新填写后上传",
			scanWhat(f.Name, sheet), text.MB(int64(min(f.UncompressedSize64, 1<<62))), text.MB(s.lim.UnzipXMLSizeLimit)),
			fmt.Sprintf("part %q declares %d bytes, XML limit %d", f.Name, f.UncompressedSize64, s.lim.UnzipXMLSizeLimit))
	}
	return nil
}

// xmlVisit sees every token of a part with the local names of the open
// elements (the innermost last).
type xmlVisit func(tok xml.Token, stack []string) error

// scanXML tokenizes one part strictly, through an inflater bounded by the
// XML limit, and refuses a DTD, malformed XML and damaged zip data.
func (s *scanner) scanXML(f *zip.File, sheet string, visit xmlVisit) error {
	if err := s.checkSize(f, sheet); err != nil {
		return err
	}
	what := scanWhat(f.Name, sheet)
	rc, err := f.Open()
	if err != nil {
		return scanRefuse("文件已损坏："+what+"无法解压；"+scanRepair, fmt.Sprintf("opening part %q: %v", f.Name, err))
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
				return scanRefuse(fmt.Sprintf("%s解压后超过 %s MB 的上限（与文件中声明的大小不符），未读取；%s", what, text.MB(s.lim.UnzipXMLSizeLimit), scanRepair),
					fmt.Sprintf("part %q inflates past %d bytes", f.Name, s.lim.UnzipXMLSizeLimit))
			case errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF) && !isSyntax(err):
				return scanRefuse("文件已损坏："+what+"的压缩数据不完整或与声明的大小不符（可能上传中断或文件被篡改）；请重新上传，"+scanRepair,
					fmt.Sprintf("inflating part %q: %v", f.Name, err))
			}
			return scanRefuse(fmt.Sprintf("文件已损坏：%s的 XML 格式错误（第 %d 行附近），其中的数据无法可靠读取；%s", what, line, scanRepair),
				fmt.Sprintf("part %q: malformed XML at line %d: %v", f.Name, line, err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			if d := strings.ToUpper(strings.TrimSpace(string(t))); strings.HasPrefix(d, "DOCTYPE") || strings.HasPrefix(d, "ENTITY") {
				return scanRefuse(what+"包含 DTD 声明（<!DOCTYPE>），Excel、WPS 和 LibreOffice 保存的工作簿不会有，为安全起见不予读取；"+scanRepair,
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
		return scanRefuse("文件已损坏："+what+"是空的；"+scanRepair, fmt.Sprintf("part %q has no root element", f.Name))
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
	f := s.p.part("[Content_Types].xml")
	return s.scanXML(f, "", func(tok xml.Token, stack []string) error {
		t, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		ct, _ := attr(t, "ContentType")
		if l := strings.ToLower(ct); strings.Contains(l, "macroenabled") || strings.Contains(l, "vbaproject") || strings.Contains(l, "macrosheet") {
			return scanRefuse("这是启用宏的工作簿（.xlsm），为安全起见不予接受；请在 Excel 中「另存为」Excel 工作簿（*.xlsx，不含宏）后上传；自评表本身不需要宏",
				"macro-enabled content type "+ct)
		}
		return nil
	})
}

// workbookPath is the workbook part named by the package relationships.
func (s *scanner) workbookPath() (string, error) {
	var target string
	err := s.scanXML(s.p.files["_rels/.rels"], "", func(tok xml.Token, stack []string) error {
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
	if p == "" || s.p.part(p) == nil {
		return "", scanRefuse("这不是 Excel 工作簿（文件中没有工作簿部件）；"+sniffUseOurs,
			fmt.Sprintf("no officeDocument part (target %q)", target))
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
	lower := map[string]bool{}
	err := s.scanXML(s.p.part(wbPath), "", func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case len(stack) == 3 && t.Name.Local == "sheet" && parent(stack, 1) == "sheets":
				name, _ := attr(t, "name")
				rid, _ := attr(t, "id")
				if lower[strings.ToLower(name)] {
					return scanRefuse("文件已损坏：有两个工作表都叫「"+text.Clip(name)+"」；"+scanRepair, fmt.Sprintf("duplicate sheet name %q", name))
				}
				lower[strings.ToLower(name)] = true
				sheets = append(sheets, scanSheet{name: name, rid: rid})
				if len(sheets) > s.lim.MaxSheets {
					return scanRefuse(fmt.Sprintf("工作簿的工作表超过 %d 个，不像是自评表（只有 3 个工作表）；%s", s.lim.MaxSheets, sniffUseOurs),
						fmt.Sprintf("more than %d sheets", s.lim.MaxSheets))
				}
			case len(stack) == 3 && t.Name.Local == "definedName" && parent(stack, 1) == "definedNames":
				n := scanName{}
				n.name, _ = attr(t, "name")
				if v, ok := attr(t, "localSheetId"); ok {
					id, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil {
						return scanRefuse("文件已损坏：定义名称「"+text.Clip(n.name)+"」的范围无效；"+scanRepair,
							fmt.Sprintf("defined name %q: localSheetId %q", n.name, v))
					}
					n.scoped = id >= 0
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
	f := s.p.part(name)
	if f == nil {
		return out, nil
	}
	err := s.scanXML(f, "", func(tok xml.Token, stack []string) error {
		if t, ok := tok.(xml.StartElement); ok && len(stack) == 2 && t.Name.Local == "Relationship" {
			id, _ := attr(t, "Id")
			target, _ := attr(t, "Target")
			if _, dup := out[id]; dup {
				return scanRefuse("文件已损坏：「"+text.Clip(name)+"」中的关系「"+text.Clip(id)+"」出现了两次；"+scanRepair,
					fmt.Sprintf("duplicate relationship id %q in %s", id, name))
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
				if s.sst > s.lim.MaxStrings {
					return scanRefuse(fmt.Sprintf("工作簿中的文字超过 %s 段，不像是自评表；请删除多余的内容，或在市中心下发的自评表中重新填写后上传", text.Thousands(s.lim.MaxStrings)),
						fmt.Sprintf("more than %d shared strings", s.lim.MaxStrings))
				}
			}
		}
		return nil
	})
}

// sheet scans one sheet holding fields (see the file comment).
func (s *scanner) sheet(part, name string, fields map[string]*scanCell) error {
	what := scanWhat(part, name)
	corrupt := func(detail, cause string) error {
		return scanRefuse("文件已损坏："+what+detail+"，其中的数据无法可靠读取；"+scanRepair, fmt.Sprintf("sheet %q (%s): %s", name, part, cause))
	}
	tooMany := func(row int) error {
		return scanRefuse(fmt.Sprintf("%s第 %s 行仍有内容或格式，自评表只需要约 60 行，最多读取 %s 行；请删除多余的行（选中多余的行 → 右键 → 删除）后保存再上传",
			what, text.Thousands(row), text.Thousands(s.lim.MaxRows)),
			fmt.Sprintf("sheet %q (%s): row %d past the limit of %d rows", name, part, row, s.lim.MaxRows))
	}
	var (
		prevRow, row, prevCol, cells int
		inRow                        bool
		cur                          *scanCell
		open                         *int // the counter of the text element open, or nil
		v, f, is                     int
		sst                          strings.Builder
	)
	start := func(n int) error { // a row's number is known
		switch {
		case n <= prevRow:
			return corrupt(fmt.Sprintf("的第 %d 行出现了两次或顺序错乱", n), fmt.Sprintf("row %d after row %d", n, prevRow))
		case n > s.lim.MaxRows:
			return tooMany(n)
		}
		row = n
		return nil
	}
	return s.scanXML(s.p.part(part), name, func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				if len(stack) != 3 || parent(stack, 1) != "sheetData" {
					return nil
				}
				inRow, row, prevCol = true, 0, 0
				r, ok := attr(t, "r")
				if !ok || strings.TrimSpace(r) == "" {
					return nil // numbered by its cells, or the one after the last
				}
				n, err := strconv.Atoi(strings.TrimSpace(r))
				switch {
				case err != nil || n < 0:
					return corrupt("的行号「"+text.Clip(r)+"」无效", fmt.Sprintf("row r=%q", r))
				case n > excelize.TotalRows:
					return corrupt(fmt.Sprintf("中有行号 %s，超出 Excel 的最大行号 %s", text.Clip(r), text.Thousands(excelize.TotalRows)), fmt.Sprintf("row r=%q past %d", r, excelize.TotalRows))
				case n > 0:
					return start(n)
				}
			case "c":
				if len(stack) != 4 || parent(stack, 1) != "row" || !inRow {
					return nil
				}
				ref, _ := attr(t, "r")
				col, r, err := excelize.CellNameToCoordinates(ref)
				canon := ""
				if err == nil {
					canon, err = excelize.CoordinatesToCellName(col, r)
				}
				if err != nil || canon != ref {
					return corrupt("中有单元格缺少或写错了位置（「"+text.Clip(ref)+"」）", fmt.Sprintf("cell r=%q", ref))
				}
				if row == 0 {
					if err := start(r); err != nil {
						return err
					}
				}
				if r != row {
					return corrupt(fmt.Sprintf("的单元格 %s 不在它所在的第 %d 行", ref, row), fmt.Sprintf("cell %s in row %d", ref, row))
				}
				if col <= prevCol {
					return corrupt(fmt.Sprintf("的单元格 %s 出现了两次或顺序错乱", ref), fmt.Sprintf("cell %s after column %d", ref, prevCol))
				}
				prevCol = col
				cur = fields[ref]
				if cur != nil {
					cur.found = true
					cur.typ, _ = attr(t, "t")
				}
				v, f, is = 0, 0, 0
				sst.Reset()
			case "v":
				if len(stack) == 5 && parent(stack, 1) == "c" {
					open = &v
				}
			case "f":
				if len(stack) == 5 && parent(stack, 1) == "c" {
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
				a, b, _ := strings.Cut(ref, ":")
				if b == "" {
					b = a
				}
				_, _, err1 := excelize.CellNameToCoordinates(a)
				_, _, err2 := excelize.CellNameToCoordinates(b)
				if err1 != nil || err2 != nil || strings.Count(ref, ":") > 1 {
					return corrupt("的合并单元格「"+text.Clip(ref)+"」无效", fmt.Sprintf("mergeCell ref=%q", ref))
				}
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
				if row == 0 {
					if err := start(prevRow + 1); err != nil {
						return err
					}
				}
				prevRow, inRow = row, false
				cells += prevCol // excelize fills each row up to its last cell
				if cells > s.lim.MaxCells {
					return scanRefuse(fmt.Sprintf("%s的单元格超过 %s 个（到第 %s 行为止），不像是自评表；请删除多余的行和列后保存再上传",
						what, text.Thousands(s.lim.MaxCells), text.Thousands(row)),
						fmt.Sprintf("sheet %q (%s): more than %d cells by row %d", name, part, s.lim.MaxCells, row))
				}
			}
		}
		return nil
	})
}
