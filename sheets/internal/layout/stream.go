package layout

import (
	"bytes"
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Writing rows as excelize's StreamWriter writes them, for the writers that
// put rows into a sheet themselves (the report's and the receipts' fast paths).

// StreamRow writes one row as excelize's StreamWriter.SetRow writes
// Write's row (RowOpts{Height: h}, no row style); false for anything
// it does not write the same way.
func StreamRow(b, scratch *bytes.Buffer, r int, row Row, h float64) bool {
	if h == DefaultHeight {
		h = 0
	}
	if h > excelize.MaxRowHeight {
		return false
	}
	var num [20]byte
	rowNum := strconv.AppendInt(num[:0], int64(r), 10)
	b.WriteString(`<row r="`)
	b.Write(rowNum)
	b.WriteByte('"')
	if h > 0 {
		b.WriteString(` ht="`)
		b.WriteString(strconv.FormatFloat(h, 'f', -1, 64))
		b.WriteString(`" customHeight="1"`)
	}
	b.WriteByte('>')
	for i, c := range row.Cells {
		if c.StyleID == 0 && c.Value == nil {
			continue // not written at all
		}
		if c.Formula != "" || c.StyleID < 0 {
			return false
		}
		if i >= len(streamCols) {
			return false
		}
		b.WriteString(`<c r="`)
		b.WriteString(streamCols[i])
		b.Write(rowNum)
		b.WriteByte('"')
		if c.StyleID > 0 {
			b.WriteString(` s="`)
			b.WriteString(strconv.Itoa(c.StyleID))
			b.WriteByte('"')
		}
		switch v := c.Value.(type) {
		case nil:
			b.WriteString(`></c>`)
		case string:
			b.WriteString(` t="inlineStr"><is><t`)
			if v != "" && (strings.IndexByte("\t\n\r ", v[0]) >= 0 || strings.IndexByte("\t\n\r ", v[len(v)-1]) >= 0) {
				b.WriteString(` xml:space="preserve"`)
			}
			b.WriteByte('>')
			scratch.Reset()
			if err := xml.EscapeText(scratch, []byte(v)); err != nil {
				return false
			}
			esc := scratch.Bytes()
			if bytes.Contains(esc, []byte("&#xA;")) {
				esc = bytes.ReplaceAll(esc, []byte("&#xA;"), []byte("\n"))
			}
			if bytes.Contains(esc, []byte("_x")) {
				b.WriteString(streamBstr(string(esc)))
			} else {
				b.Write(esc)
			}
			b.WriteString(`</t></is></c>`)
		case int64:
			b.WriteString(`><v>`)
			b.WriteString(strconv.FormatInt(v, 10))
			b.WriteString(`</v></c>`)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
			b.WriteString(`><v>`)
			b.WriteString(streamFloat(v))
			b.WriteString(`</v></c>`)
		default:
			return false
		}
	}
	b.WriteString(`</row>`)
	return true
}

// streamFloat is excelize's formatCellFloat(v, -1, 64): the shortest
// decimal, cut to 15 significant digits as Excel keeps them.
func streamFloat(value float64) string {
	str := strconv.FormatFloat(value, 'f', -1, 64)
	if math.Abs(value) == math.MaxFloat64 {
		return str
	}
	const maxPrec = 15
	decimal := strings.IndexByte(str, '.')
	significant := 0
	for idx := range str {
		if str[idx] < '0' || str[idx] > '9' || significant == 0 && str[idx] == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			return strings.TrimSuffix(str[:idx], ".")
		}
		if decimal < 0 {
			decimal = len(str)
		}
		truncated := []byte(str[:decimal])
		for ; idx < len(truncated); idx++ {
			truncated[idx] = '0'
		}
		return string(truncated)
	}
	return str
}

var (
	streamBstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	streamBstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// streamBstr is excelize's bstrMarshal, which escapes text that reads as
// an _xHHHH_ escape; kept as it is, quirks included.
func streamBstr(s string) (result string) {
	matches, l, cursor := streamBstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && streamBstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if streamBstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// streamCols are the column letters of the first 702 columns (A to ZZ),
// as excelize's CoordinatesToCellName writes them.
var streamCols = func() []string {
	var out []string
	for c := 1; c <= 702; c++ {
		name, _ := excelize.ColumnNumberToName(c)
		out = append(out, name)
	}
	return out
}()
