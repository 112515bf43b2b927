package book

import (
	"fmt"
	"kaohe/sheets/internal/text"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Place is the one cell a workbook-scope defined name points at.
type Place struct {
	Sheet string // sheet name, unquoted
	Cell  string // cell reference without $, e.g. C5
}

// WorkbookScope is how excelize reports a workbook-scope defined name.
const WorkbookScope = "Workbook"

// ParseRef reads a defined name's RefersTo as one cell: `'完成情况'!$C$5`,
// `完成情况!C5`, with or without a leading =, with quotes doubled inside a
// quoted sheet name. It rejects ranges, several areas, #REF!, external
// references and references without a sheet; the error text is Chinese and
// says what was found.
func ParseRef(refersTo string) (Place, error) {
	s := strings.TrimSpace(refersTo)
	s = strings.TrimSpace(strings.TrimPrefix(s, "="))
	bad := func(why string) (Place, error) {
		return Place{}, fmt.Errorf("指向「%s」，%s", text.Clip(refersTo), why)
	}
	if s == "" {
		return bad("没有引用任何单元格")
	}
	if strings.Contains(s, "#") && strings.Contains(strings.ToUpper(s), "#REF!") {
		return bad("引用已失效（#REF!），可能是所在的行、列或工作表被删除了")
	}
	if outsideQuotes(s, ",;~()") {
		return bad("包含多个区域或公式，应指向一个单元格")
	}
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "'[") {
		return bad("引用了其他工作簿")
	}
	var sheet, rest string
	if q := strings.IndexByte(s[1:], '\'') + 1; s[0] == '\'' && q > 0 && (q+1 == len(s) || s[q+1] != '\'') {
		// 'Sheet'!C5 without a doubled quote: the name as it stands
		if q+1 >= len(s) || s[q+1] != '!' {
			return bad("无法识别的引用")
		}
		sheet, rest = s[1:q], s[q+2:]
	} else if s[0] == '\'' {
		var b strings.Builder
		i := 1
		closed := false
		for i < len(s) {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				closed = true
				i++
				break
			}
			b.WriteByte(s[i])
			i++
		}
		if !closed || i >= len(s) || s[i] != '!' {
			return bad("无法识别的引用")
		}
		sheet, rest = b.String(), s[i+1:]
	} else {
		var ok bool
		sheet, rest, ok = strings.Cut(s, "!")
		if !ok {
			return bad("没有指明工作表")
		}
		if strings.ContainsAny(sheet, "'\"()[], +-*/&=<>:") {
			return bad("应指向一个单元格")
		}
	}
	if sheet == "" {
		return bad("没有指明工作表")
	}
	if strings.Contains(rest, ":") {
		return bad("是一个区域，应指向一个单元格")
	}
	if strings.ContainsAny(rest, ",;!'()") {
		return bad("包含多个区域，应指向一个单元格")
	}
	cell := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(rest), "$", ""))
	col, row, err := excelize.CellNameToCoordinates(cell)
	if err != nil || !isCellRef(rest) {
		return bad("应指向一个单元格")
	}
	cell, _ = excelize.CoordinatesToCellName(col, row)
	return Place{Sheet: sheet, Cell: cell}, nil
}

// outsideQuotes reports whether s holds any of chars outside '…' quotes.
func outsideQuotes(s, chars string) bool {
	quoted := false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted // a doubled '' toggles twice
		case !quoted && strings.ContainsRune(chars, r):
			return true
		}
	}
	return false
}

// isCellRef reports whether s is a plain A1 reference with optional $.
func isCellRef(s string) bool {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && s[i] == '$' {
		i++
	}
	letters := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		i++
		letters++
	}
	if letters == 0 || letters > 3 {
		return false
	}
	if i < len(s) && s[i] == '$' {
		i++
	}
	nums := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		nums++
	}
	return nums > 0 && i == len(s)
}

// QuoteSheet quotes a sheet name for a RefersTo: '完成情况'.
func QuoteSheet(sheet string) string {
	return "'" + strings.ReplaceAll(sheet, "'", "''") + "'"
}

// AbsRef is the RefersTo of one cell: '完成情况'!$C$5.
func AbsRef(sheet, cell string) string {
	col, row, err := excelize.CellNameToCoordinates(cell)
	if err != nil {
		return QuoteSheet(sheet) + "!" + cell
	}
	letters, _ := excelize.ColumnNumberToName(col)
	return fmt.Sprintf("%s!$%s$%d", QuoteSheet(sheet), letters, row)
}

// Names holds a workbook's defined names resolved to cells. Names are
// matched case-insensitively, as Excel does.
type Names struct {
	cells  map[string]Place  // workbook-scope names that point at one cell
	bad    map[string]string // workbook-scope names that do not: why (Chinese)
	scoped map[string]string // names defined only with a sheet scope: the sheet
	consts map[string]string // workbook-scope names whose value is a string constant ("…")
	Count  int               // defined names of any scope in the workbook
}

func Key(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Resolve reads every defined name of f. A sheet-scoped name never
// shadows the workbook-scope one of the same name.
func Resolve(f *excelize.File) *Names {
	return ResolveList(f.GetSheetList(), f.GetDefinedName())
}

// ResolveList is Resolve of a workbook's sheet list and defined
// names, as excelize's GetSheetList and GetDefinedName return them.
func ResolveList(sheetList []string, names []excelize.DefinedName) *Names {
	t := &Names{cells: make(map[string]Place, len(names)), bad: map[string]string{}, scoped: map[string]string{}, consts: map[string]string{}}
	sheets := map[string]string{} // lower-case → actual sheet name
	for _, s := range sheetList {
		sheets[strings.ToLower(s)] = s
	}
	for _, dn := range names {
		t.Count++
		k := Key(dn.Name)
		if dn.Scope != WorkbookScope {
			if _, ok := t.scoped[k]; !ok {
				t.scoped[k] = dn.Scope
			}
			continue
		}
		if _, ok := t.cells[k]; ok {
			continue // the first workbook-scope definition wins
		}
		if _, ok := t.bad[k]; ok {
			continue
		}
		c, err := ParseRef(dn.RefersTo)
		if err != nil {
			if v, ok := stringConstant(dn.RefersTo); ok {
				t.consts[k] = v
			}
			t.bad[k] = err.Error()
			continue
		}
		actual, ok := sheets[strings.ToLower(c.Sheet)]
		if !ok {
			t.bad[k] = fmt.Sprintf("指向「%s」，但工作簿中没有工作表「%s」", text.Clip(dn.RefersTo), text.Clip(c.Sheet))
			continue
		}
		c.Sheet = actual
		t.cells[k] = c
	}
	return t
}

// Lookup returns the cell of a workbook-scope name, or why it has none (Chinese).
func (t *Names) Lookup(name string) (Place, string, bool) {
	k := Key(name)
	if c, ok := t.cells[k]; ok {
		return c, "", true
	}
	if why, ok := t.bad[k]; ok {
		return Place{}, "定义名称 " + name + " " + why, false
	}
	if sheet, ok := t.scoped[k]; ok {
		return Place{}, fmt.Sprintf("定义名称 %s 只定义在工作表「%s」范围内，应为工作簿范围", name, sheet), false
	}
	return Place{}, "找不到定义名称 " + name, false
}

// Constant returns the string value of a workbook-scope name defined as a
// string Constant (="…"), and whether there is one.
func (t *Names) Constant(name string) (string, bool) {
	v, ok := t.consts[Key(name)]
	return v, ok
}

// Has reports whether name is defined with workbook scope at all (even if
// it does not point at one cell).
func (t *Names) Has(name string) bool {
	k := Key(name)
	_, ok1 := t.cells[k]
	_, ok2 := t.bad[k]
	return ok1 || ok2
}

// Defined reports whether name is defined at all, in any scope, even if
// it does not point at one cell.
func (t *Names) Defined(name string) bool {
	k := Key(name)
	_, scoped := t.scoped[k]
	return scoped || t.Has(name)
}

// stringConstant reads a defined name's value as a string constant: "…" or
// ="…", with "" standing for one quote. ok is false for anything else.
func stringConstant(refersTo string) (string, bool) {
	s := strings.TrimSpace(refersTo)
	s = strings.TrimSpace(strings.TrimPrefix(s, "="))
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Count(inner, `"`)%2 != 0 {
		return "", false
	}
	return strings.ReplaceAll(inner, `""`, `"`), true
}
