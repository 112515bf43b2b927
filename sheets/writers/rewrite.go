package writers

// Excel and WPS are not on this machine: a workbook "saved by" them is the
// excelize-filled workbook with every part spelled the way they spell it,
// modelled on workbooks they saved (see README.md in
// sheets/testdata/writers for the sources):
//
//   - Excel 2016+/365 (16.0300; files saved by Windows and Mac Excel in
//     tealeg/xlsx testdocs/file_with_hyperlinks.xlsx, color_stylesheet.xlsx
//     and xuri/excelize test/SharedStrings.xlsx): a standalone declaration
//     followed by CR LF in every part; the mc/x14ac/xr/xr2/xr3 namespaces
//     with mc:Ignorable on worksheets and x15/xr/xr6/xr10/xr2 on the
//     workbook; xr:uid on worksheets, data validations and the workbook
//     view; x14ac:dyDescent and spans on rows; <mc:AlternateContent> with
//     x15ac:absPath and <xr:revisionPtr> in the workbook; an <extLst> in
//     the workbook and styles; x14ac:knownFonts; booleans as 1/0; empty
//     elements self-closed; defined names sorted, their sheet unquoted;
//     phonetic properties (<phoneticPr>, an East Asian install) in the
//     sheets and shared strings; parts in Excel's zip order, dated
//     1980-01-01, without data descriptors.
//   - WPS Office (real: tealeg/xlsx testdocs/wpsBlankLineTest.xlsx, WPS
//     Office 个人版 9.1, 2014; newer versions modelled on published code
//     that imitates WPS 12.1): a standalone declaration and CR LF; the
//     worksheet root declaring xdr, x14, mc and etc (WPS's
//     etCustomData); <sheetPr/>; the workbook with fileVersion
//     lastEdited="3" lowestEdited="5" and the calcFeatures extension;
//     docProps/custom.xml with KSOProductBuildVer and ICV.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The namespaces of what Excel and WPS add.
const (
	nsMain   = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsR      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsMC     = "http://schemas.openxmlformats.org/markup-compatibility/2006"
	nsX14ac  = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
	nsX14    = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
	nsX15    = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"
	nsX15ac  = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"
	nsXR     = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
	nsXR2    = "http://schemas.microsoft.com/office/spreadsheetml/2015/revision2"
	nsXR3    = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"
	nsXR6    = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision6"
	nsXR10   = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision10"
	nsX16r2  = "http://schemas.microsoft.com/office/spreadsheetml/2015/02/main"
	nsXcalcf = "http://schemas.microsoft.com/office/spreadsheetml/2018/calcfeatures"
	nsXDR    = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
	nsETC    = "http://www.wps.cn/officeDocument/2017/etCustomData"
	nsVT     = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
)

// excelXML is how Excel spells a part.
var excelXML = xmlStyle{decl: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n", selfClose: true, escapeGT: true, attrNewline: "&#10;"}

// wpsXML is how WPS spells one.
var wpsXML = xmlStyle{decl: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n", selfClose: true, escapeGT: true, attrNewline: "&#10;"}

// pkg is a workbook's parts.
type pkg struct {
	names []string
	parts map[string][]byte
}

func readPkg(data []byte) (*pkg, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	p := &pkg{parts: map[string][]byte{}}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", zf.Name, err)
		}
		p.names = append(p.names, zf.Name)
		p.parts[zf.Name] = b
	}
	return p, nil
}

// set replaces or adds a part.
func (p *pkg) set(name string, b []byte) {
	if _, ok := p.parts[name]; !ok {
		p.names = append(p.names, name)
	}
	p.parts[name] = b
}

// zip writes the parts in order, each deflated, with its sizes and CRC-32
// in the local header (no data descriptor), dated when and made by the
// given zip version, as Excel and WPS write them.
func (p *pkg) zip(order []string, when time.Time, creator uint16) ([]byte, error) {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	done := map[string]bool{}
	write := func(name string) error {
		b := p.parts[name]
		var packed bytes.Buffer
		fw, _ := flate.NewWriter(&packed, flate.DefaultCompression)
		fw.Write(b)
		fw.Close()
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(b),
			CompressedSize64: uint64(packed.Len()), UncompressedSize64: uint64(len(b)), CreatorVersion: creator}
		h.ModifiedDate = uint16((when.Year()-1980)<<9 | int(when.Month())<<5 | when.Day())
		h.ModifiedTime = uint16(when.Hour()<<11 | when.Minute()<<5 | when.Second()/2)
		w, err := zw.CreateRaw(h)
		if err != nil {
			return err
		}
		_, err = w.Write(packed.Bytes())
		return err
	}
	for _, name := range order {
		if _, ok := p.parts[name]; ok && !done[name] {
			done[name] = true
			if err := write(name); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range p.names {
		if !done[name] {
			done[name] = true
			if err := write(name); err != nil {
				return nil, err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// guids makes the {8-4-4-4-12} identifiers Excel writes, the same for the
// same workbook every time.
type guids struct {
	seed [32]byte
	n    int
}

func newGUIDs(data []byte) *guids { return &guids{seed: sha256.Sum256(data)} }

func (g *guids) next() string {
	g.n++
	h := sha256.Sum256(append(g.seed[:], strconv.Itoa(g.n)...))
	x := fmt.Sprintf("%X", h[:16])
	return "{" + x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32] + "}"
}

// book is what a rewrite needs to know of the workbook.
type book struct {
	p      *pkg
	sheets []string // sheet names, in order
	parts  []string // their parts, in order
	names  []string // visible workbook-scope defined names
}

// readBook finds the sheets and their parts.
func readBook(p *pkg) (*book, *node, error) {
	wb, err := parseXML(p.parts["xl/workbook.xml"])
	if err != nil {
		return nil, nil, fmt.Errorf("xl/workbook.xml: %w", err)
	}
	rels, err := parseXML(p.parts["xl/_rels/workbook.xml.rels"])
	if err != nil {
		return nil, nil, fmt.Errorf("xl/_rels/workbook.xml.rels: %w", err)
	}
	target := map[string]string{}
	for _, r := range rels.elems() {
		id, _ := r.get("Id")
		t, _ := r.get("Target")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		target[id] = t
	}
	b := &book{p: p}
	if s := wb.child("sheets"); s != nil {
		for _, sh := range s.elems() {
			name, _ := sh.get("name")
			id, _ := sh.get("r:id")
			b.sheets = append(b.sheets, name)
			b.parts = append(b.parts, target[id])
		}
	}
	if dn := wb.child("definedNames"); dn != nil {
		for _, d := range dn.elems() {
			name, _ := d.get("name")
			_, local := d.get("localSheetId")
			hidden, _ := d.get("hidden")
			if !local && hidden != "1" && hidden != "true" && !strings.HasPrefix(name, "_xlnm.") {
				b.names = append(b.names, name)
			}
		}
	}
	return b, wb, nil
}

// boolAttrs writes booleans as Excel does: 1 and 0.
func boolAttrs(root *node) {
	root.walk(func(n *node) {
		for i, a := range n.attrs {
			switch a.value {
			case "true":
				n.attrs[i].value = "1"
			case "false":
				n.attrs[i].value = "0"
			}
		}
	})
}

// rootNS replaces the root's namespace declarations (and mc:Ignorable)
// with decls, keeping any other declaration a prefix in the part uses.
func rootNS(root *node, decls []attr) {
	used := map[string]bool{}
	root.walk(func(n *node) {
		if i := strings.IndexByte(n.name, ':'); i > 0 {
			used[n.name[:i]] = true
		}
		for _, a := range n.attrs {
			if n == root && a.name == "mc:Ignorable" {
				continue // replaced
			}
			if i := strings.IndexByte(a.name, ':'); i > 0 && a.name[:i] != "xmlns" {
				used[a.name[:i]] = true
			}
		}
	})
	declared := map[string]bool{}
	for _, d := range decls {
		declared[d.name] = true
	}
	var keep []attr
	for _, a := range root.attrs {
		switch {
		case a.name == "xmlns" || a.name == "mc:Ignorable":
		case strings.HasPrefix(a.name, "xmlns:"):
			if used[strings.TrimPrefix(a.name, "xmlns:")] && !declared[a.name] {
				keep = append(keep, a)
			}
		default:
			keep = append(keep, a)
		}
	}
	root.attrs = append(append([]attr{}, decls...), keep...)
}

// el makes an element.
func el(name string, attrs ...string) *node {
	n := &node{name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.attrs = append(n.attrs, attr{attrs[i], attrs[i+1]})
	}
	return n
}

func (n *node) add(kids ...any) *node {
	n.kids = append(n.kids, kids...)
	return n
}

// unquoteRef writes a defined name's '完成情况'!$C$5 as Excel does when
// the sheet's name needs no quotes: 完成情况!$C$5 (a name of Chinese
// letters; any other is left as it is).
func unquoteRef(ref string) string {
	end := strings.Index(ref, "'!")
	if !strings.HasPrefix(ref, "'") || end < 2 {
		return ref
	}
	sheet := ref[1:end]
	for _, r := range sheet {
		if r < 0x80 || !unicode.IsLetter(r) {
			return ref
		}
	}
	return sheet + ref[end+1:]
}

// measure sets a worksheet's <dimension> to the used range of its rows and
// each row's spans, as Excel and WPS write them, and returns the rows
// (none without sheetData).
func measure(ws *node) []*node {
	sd := ws.child("sheetData")
	if sd == nil {
		return nil
	}
	dim, spans := cellRange(sd)
	if d := ws.child("dimension"); d != nil {
		d.set("ref", dim)
	}
	rows := sd.elems()
	for _, row := range rows {
		if s, ok := spans[row]; ok {
			row.set("spans", s)
		}
	}
	return rows
}

// cellRange is the used range of a worksheet's rows, for <dimension>, and
// the span of each row.
func cellRange(sheetData *node) (string, map[*node]string) {
	minC, maxC, minR, maxR := 0, 0, 0, 0
	spans := map[*node]string{}
	for _, row := range sheetData.elems() {
		rmin, rmax := 0, 0
		r, _ := strconv.Atoi(attrOr(row, "r", "0"))
		for _, c := range row.elems() {
			ref, _ := c.get("r")
			col := 0
			for _, ch := range ref {
				if ch < 'A' || ch > 'Z' {
					break
				}
				col = col*26 + int(ch-'A'+1)
			}
			if col == 0 {
				continue
			}
			if rmin == 0 || col < rmin {
				rmin = col
			}
			rmax = max(rmax, col)
		}
		if rmin > 0 {
			spans[row] = fmt.Sprintf("%d:%d", rmin, rmax)
			if minC == 0 || rmin < minC {
				minC = rmin
			}
			maxC = max(maxC, rmax)
			if minR == 0 || r < minR {
				minR = r
			}
			maxR = max(maxR, r)
		}
	}
	if minC == 0 {
		return "A1", spans
	}
	from, to := colName(minC)+strconv.Itoa(minR), colName(maxC)+strconv.Itoa(maxR)
	if from == to {
		return from, spans
	}
	return from + ":" + to, spans
}

func attrOr(n *node, name, def string) string {
	if v, ok := n.get(name); ok {
		return v
	}
	return def
}

func colName(c int) string {
	s := ""
	for c > 0 {
		c--
		s = string(rune('A'+c%26)) + s
		c /= 26
	}
	return s
}

// hasCJK reports whether s holds a Han character.
func hasCJK(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// saveAsExcel is the workbook as Excel 2016+/365 writes it.
func saveAsExcel(data []byte) ([]byte, error) {
	p, err := readPkg(data)
	if err != nil {
		return nil, err
	}
	g := newGUIDs(data)
	b, wb, err := readBook(p)
	if err != nil {
		return nil, err
	}
	// The worksheets.
	sharedRefs := 0
	for i, part := range b.parts {
		ws, err := parseXML(p.parts[part])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", part, err)
		}
		ws.dropSpace()
		boolAttrs(ws)
		rootNS(ws, []attr{{"xmlns", nsMain}, {"xmlns:r", nsR}, {"xmlns:mc", nsMC}, {"mc:Ignorable", "x14ac xr xr2 xr3"},
			{"xmlns:x14ac", nsX14ac}, {"xmlns:xr", nsXR}, {"xmlns:xr2", nsXR2}, {"xmlns:xr3", nsXR3}})
		ws.set("xr:uid", fmt.Sprintf("{00000000-0001-0000-%04X-000000000000}", i))
		for _, row := range measure(ws) {
			row.set("x14ac:dyDescent", "0.25")
			row.order("r", "spans", "s", "customFormat", "ht", "hidden", "customHeight", "outlineLevel", "collapsed", "thickTop", "thickBot", "x14ac:dyDescent")
			for _, c := range row.elems() {
				if t, _ := c.get("t"); t == "s" {
					sharedRefs++
				}
				c.order("r", "s", "t", "cm", "vm", "ph")
			}
		}
		if f := ws.child("sheetFormatPr"); f != nil {
			f.set("x14ac:dyDescent", "0.25")
		}
		if cols := ws.child("cols"); cols != nil {
			for _, c := range cols.elems() {
				c.order("min", "max", "width", "style", "hidden", "bestFit", "customWidth")
			}
		}
		if sv := ws.child("sheetViews"); sv != nil {
			for _, v := range sv.elems() {
				if v.child("selection") == nil {
					v.add(el("selection", "activeCell", "A1", "sqref", "A1"))
				}
			}
		}
		if dvs := ws.child("dataValidations"); dvs != nil {
			for _, dv := range dvs.elems() {
				dv.set("xr:uid", g.next())
				dv.order("type", "errorStyle", "operator", "allowBlank", "showDropDown", "showInputMessage", "showErrorMessage",
					"errorTitle", "error", "promptTitle", "prompt", "sqref", "xr:uid")
			}
		}
		ws.insertBefore(el("phoneticPr", "fontId", "1", "type", "noConversion"),
			"conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "extLst")
		p.parts[part] = excelXML.write(ws)
	}

	// The workbook.
	boolAttrs(wb)
	rootNS(wb, []attr{{"xmlns", nsMain}, {"xmlns:r", nsR}, {"xmlns:mc", nsMC}, {"mc:Ignorable", "x15 xr xr6 xr10 xr2"},
		{"xmlns:x15", nsX15}, {"xmlns:xr", nsXR}, {"xmlns:xr6", nsXR6}, {"xmlns:xr10", nsXR10}, {"xmlns:xr2", nsXR2}})
	var kids []any
	kids = append(kids, el("fileVersion", "appName", "xl", "lastEdited", "7", "lowestEdited", "7", "rupBuild", "27928"))
	wp := wb.child("workbookPr")
	if wp == nil {
		wp = el("workbookPr")
	}
	wp.set("defaultThemeVersion", "166925")
	kids = append(kids, wp,
		el("mc:AlternateContent", "xmlns:mc", nsMC).add(el("mc:Choice", "Requires", "x15").add(
			el("x15ac:absPath", "url", `C:\Users\jianding\Desktop\2013考核\`, "xmlns:x15ac", nsX15ac))),
		el("xr:revisionPtr", "revIDLastSave", "0", "documentId", "13_ncr:1_"+g.next(), "xr6:coauthVersionLast", "47",
			"xr6:coauthVersionMax", "47", "xr10:uidLastSave", "{00000000-0000-0000-0000-000000000000}"))
	if bv := wb.child("bookViews"); bv != nil {
		for _, v := range bv.elems() {
			v.attrs = nil
			v.set("xWindow", "-108")
			v.set("yWindow", "-108")
			v.set("windowWidth", "23256")
			v.set("windowHeight", "12456")
			v.set("activeTab", "1")
			v.set("xr2:uid", "{00000000-000D-0000-FFFF-FFFF00000000}")
		}
		kids = append(kids, bv)
	}
	if s := wb.child("sheets"); s != nil {
		kids = append(kids, s)
	}
	if dn := wb.child("definedNames"); dn != nil {
		ds := dn.elems()
		sort.SliceStable(ds, func(i, j int) bool {
			a, _ := ds[i].get("name")
			c, _ := ds[j].get("name")
			return strings.ToLower(a) < strings.ToLower(c)
		})
		dn.kids = nil
		for _, d := range ds {
			d.order("name", "comment", "localSheetId", "hidden")
			d.kids = []any{unquoteRef(d.text())}
			dn.add(d)
		}
		kids = append(kids, dn)
	}
	kids = append(kids, el("calcPr", "calcId", "191029"),
		el("extLst").add(
			el("ext", "uri", "{140A7094-0E35-4892-8432-C4D2E57EDEB5}", "xmlns:x15", nsX15).add(el("x15:workbookPr", "chartTrackingRefBase", "1")),
			el("ext", "uri", "{B58B0392-4F1F-4190-BB64-5DF3571DCE5F}", "xmlns:xcalcf", nsXcalcf).add(el("xcalcf:calcFeatures").add(
				el("xcalcf:feature", "name", "microsoft.com:RD"), el("xcalcf:feature", "name", "microsoft.com:Single"),
				el("xcalcf:feature", "name", "microsoft.com:FV"), el("xcalcf:feature", "name", "microsoft.com:CNMTM"),
				el("xcalcf:feature", "name", "microsoft.com:LET_WF"), el("xcalcf:feature", "name", "microsoft.com:LAMBDA_WF"),
				el("xcalcf:feature", "name", "microsoft.com:ARRAYTEXT_WF")))))
	wb.kids = kids
	p.parts["xl/workbook.xml"] = excelXML.write(wb)

	// The shared strings: phonetic properties on Chinese text, the counts.
	if sb, ok := p.parts["xl/sharedStrings.xml"]; ok {
		sst, err := parseXML(sb)
		if err != nil {
			return nil, fmt.Errorf("xl/sharedStrings.xml: %w", err)
		}
		items := sst.elems()
		for _, si := range items {
			var text strings.Builder
			si.walk(func(n *node) {
				if n.name == "t" {
					text.WriteString(n.text())
				}
			})
			if hasCJK(text.String()) && si.child("phoneticPr") == nil {
				si.add(el("phoneticPr", "fontId", "1", "type", "noConversion"))
			}
		}
		sst.set("count", strconv.Itoa(sharedRefs))
		sst.set("uniqueCount", strconv.Itoa(len(items)))
		sst.order("xmlns", "count", "uniqueCount")
		p.parts["xl/sharedStrings.xml"] = excelXML.write(sst)
	}

	// The styles.
	if sb, ok := p.parts["xl/styles.xml"]; ok {
		st, err := parseXML(sb)
		if err != nil {
			return nil, fmt.Errorf("xl/styles.xml: %w", err)
		}
		st.dropSpace()
		boolAttrs(st)
		rootNS(st, []attr{{"xmlns", nsMain}, {"xmlns:mc", nsMC}, {"mc:Ignorable", "x14ac x16r2 xr"},
			{"xmlns:x14ac", nsX14ac}, {"xmlns:x16r2", nsX16r2}, {"xmlns:xr", nsXR}})
		if f := st.child("fonts"); f != nil {
			f.set("x14ac:knownFonts", "1")
		}
		if st.child("extLst") == nil {
			st.add(el("extLst").add(
				el("ext", "uri", "{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}", "xmlns:x14", nsX14).add(el("x14:slicerStyles", "defaultSlicerStyle", "SlicerStyleLight1")),
				el("ext", "uri", "{9260A510-F301-46a8-8635-F512D64BE5F5}", "xmlns:x15", nsX15).add(el("x15:timelineStyles", "defaultTimelineStyle", "TimeSlicerStyleLight1"))))
		}
		p.parts["xl/styles.xml"] = excelXML.write(st)
	}

	// The document properties, as Excel writes them for this workbook.
	app := el("Properties", "xmlns", "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties", "xmlns:vt", nsVT)
	heading := el("vt:vector", "size", "4", "baseType", "variant").add(
		el("vt:variant").add(el("vt:lpstr").add("工作表")), el("vt:variant").add(el("vt:i4").add(strconv.Itoa(len(b.sheets)))),
		el("vt:variant").add(el("vt:lpstr").add("命名范围")), el("vt:variant").add(el("vt:i4").add(strconv.Itoa(len(b.names)))))
	titles := el("vt:vector", "size", strconv.Itoa(len(b.sheets)+len(b.names)), "baseType", "lpstr")
	for _, s := range b.sheets {
		titles.add(el("vt:lpstr").add(s))
	}
	names := append([]string{}, b.names...)
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for _, n := range names {
		titles.add(el("vt:lpstr").add(n))
	}
	app.add(el("Application").add("Microsoft Excel"), el("DocSecurity").add("0"), el("ScaleCrop").add("false"),
		el("HeadingPairs").add(heading), el("TitlesOfParts").add(titles), el("Company"), el("LinksUpToDate").add("false"),
		el("SharedDoc").add("false"), el("HyperlinksChanged").add("false"), el("AppVersion").add("16.0300"))
	p.set("docProps/app.xml", excelXML.write(app))
	if cb, ok := p.parts["docProps/core.xml"]; ok {
		core, err := parseXML(cb)
		if err != nil {
			return nil, fmt.Errorf("docProps/core.xml: %w", err)
		}
		core.name = "cp:coreProperties"
		core.del("xmlns")
		core.attrs = append([]attr{{"xmlns:cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}}, core.attrs...)
		for _, c := range core.elems() {
			if !strings.Contains(c.name, ":") {
				c.name = "cp:" + c.name
			}
			if c.name == "dcterms:modified" {
				c.kids = []any{"2014-01-10T02:31:07Z"}
			}
		}
		if core.child("cp:lastModifiedBy") != nil {
			core.child("cp:lastModifiedBy").kids = []any{"张伟"}
		}
		p.parts["docProps/core.xml"] = excelXML.write(core)
	}

	// The rest: spelled by Excel, as they were.
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/theme/theme1.xml"} {
		if pb, ok := p.parts[name]; ok {
			n, err := parseXML(pb)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if strings.HasSuffix(name, ".rels") {
				for _, r := range n.elems() {
					r.order("Id", "Type", "Target")
					if t, _ := r.get("Target"); strings.HasPrefix(t, "/xl/") && name == "xl/_rels/workbook.xml.rels" {
						r.set("Target", strings.TrimPrefix(t, "/xl/"))
					}
				}
			}
			p.parts[name] = excelXML.write(n)
		}
	}
	order := []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}
	order = append(order, b.parts...)
	order = append(order, "xl/theme/theme1.xml", "xl/styles.xml", "xl/sharedStrings.xml", "docProps/core.xml", "docProps/app.xml")
	return p.zip(order, time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 45)
}

// saveAsWPS is the workbook as WPS Office writes it (modelled).
func saveAsWPS(data []byte) ([]byte, error) {
	p, err := readPkg(data)
	if err != nil {
		return nil, err
	}
	b, wb, err := readBook(p)
	if err != nil {
		return nil, err
	}
	for _, part := range b.parts {
		ws, err := parseXML(p.parts[part])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", part, err)
		}
		ws.dropSpace()
		boolAttrs(ws)
		rootNS(ws, []attr{{"xmlns", nsMain}, {"xmlns:r", nsR}, {"xmlns:xdr", nsXDR}, {"xmlns:x14", nsX14},
			{"xmlns:mc", nsMC}, {"xmlns:etc", nsETC}})
		if ws.child("sheetPr") == nil {
			ws.insertBefore(el("sheetPr"), "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData")
		}
		for _, row := range measure(ws) {
			row.order("r", "spans", "s", "customFormat", "ht", "hidden", "customHeight")
		}
		if f := ws.child("sheetFormatPr"); f != nil {
			f.set("defaultColWidth", "9")
			f.order("defaultColWidth", "defaultRowHeight")
		}
		p.parts[part] = wpsXML.write(ws)
	}
	boolAttrs(wb)
	rootNS(wb, []attr{{"xmlns", nsMain}, {"xmlns:r", nsR}})
	var kids []any
	kids = append(kids, el("fileVersion", "appName", "xl", "lastEdited", "3", "lowestEdited", "5", "rupBuild", "9302"), el("workbookPr"),
		el("bookViews").add(el("workbookView", "windowWidth", "28800", "windowHeight", "12540", "activeTab", "1")))
	for _, name := range []string{"sheets", "definedNames"} {
		if c := wb.child(name); c != nil {
			for _, d := range c.elems() {
				d.order("name", "comment", "localSheetId", "hidden")
			}
			kids = append(kids, c)
		}
	}
	kids = append(kids, el("calcPr", "calcId", "191029"), el("extLst").add(
		el("ext", "uri", "{B58B0392-4F1F-4190-BB64-5DF3571DCE5F}", "xmlns:xcalcf", nsXcalcf).add(el("xcalcf:calcFeatures").add(
			el("xcalcf:feature", "name", "microsoft.com:RD"), el("xcalcf:feature", "name", "microsoft.com:Single"),
			el("xcalcf:feature", "name", "microsoft.com:FV"), el("xcalcf:feature", "name", "microsoft.com:CNMTM"),
			el("xcalcf:feature", "name", "microsoft.com:LET_WF"), el("xcalcf:feature", "name", "microsoft.com:LAMBDA_WF"),
			el("xcalcf:feature", "name", "microsoft.com:ARRAYTEXT_WF")))))
	wb.kids = kids
	p.parts["xl/workbook.xml"] = wpsXML.write(wb)
	for _, name := range []string{"xl/sharedStrings.xml", "xl/styles.xml", "xl/theme/theme1.xml", "_rels/.rels", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "docProps/core.xml"} {
		pb, ok := p.parts[name]
		if !ok {
			continue
		}
		n, err := parseXML(pb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		boolAttrs(n)
		switch name {
		case "xl/sharedStrings.xml":
			n.del("uniqueCount") // WPS 9 writes the count only
		case "_rels/.rels":
			n.add(el("Relationship", "Id", "rId4", "Type", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties", "Target", "docProps/custom.xml"))
		case "[Content_Types].xml":
			n.add(el("Override", "PartName", "/docProps/custom.xml", "ContentType", "application/vnd.openxmlformats-officedocument.custom-properties+xml"))
		case "docProps/core.xml":
			for _, c := range n.elems() {
				if c.name == "dcterms:modified" {
					c.kids = []any{"2014-01-10T02:31:07Z"}
				}
			}
		}
		p.parts[name] = wpsXML.write(n)
	}
	app := el("Properties", "xmlns", "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties", "xmlns:vt", nsVT)
	titles := el("vt:vector", "size", strconv.Itoa(len(b.sheets)), "baseType", "lpstr")
	for _, s := range b.sheets {
		titles.add(el("vt:lpstr").add(s))
	}
	app.add(el("Application").add("WPS 表格"), el("HeadingPairs").add(el("vt:vector", "size", "2", "baseType", "variant").add(
		el("vt:variant").add(el("vt:lpstr").add("工作表")), el("vt:variant").add(el("vt:i4").add(strconv.Itoa(len(b.sheets)))))),
		el("TitlesOfParts").add(titles))
	p.set("docProps/app.xml", wpsXML.write(app))
	custom := el("Properties", "xmlns", "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties", "xmlns:vt", nsVT).add(
		el("property", "fmtid", "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}", "pid", "2", "name", "KSOProductBuildVer").add(el("vt:lpwstr").add("2052-12.1.0.17827")),
		el("property", "fmtid", "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}", "pid", "3", "name", "ICV").add(el("vt:lpwstr").add(strings.ReplaceAll(strings.Trim(newGUIDs(data).next(), "{}"), "-", "")+"_13")))
	p.set("docProps/custom.xml", wpsXML.write(custom))
	order := append([]string{"docProps/app.xml", "docProps/core.xml", "docProps/custom.xml"}, b.parts...)
	order = append(order, "xl/theme/theme1.xml", "xl/styles.xml", "xl/sharedStrings.xml", "xl/workbook.xml", "_rels/.rels", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
	return p.zip(order, time.Date(2014, 1, 10, 10, 31, 6, 0, time.UTC), 0)
}
