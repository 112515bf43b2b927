package fast

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"kaohe/sheets/internal/check"
	"kaohe/sheets/internal/ooxml"
)

// TestRevisionKey: workbooks that differ only in the values of Excel's
// revision pointer have one key; any other difference, or a value with
// other characters, keeps the bytes apart.
func TestRevisionKey(t *testing.T) {
	wb := func(id, rest string) []byte {
		return []byte(`<workbook xmlns:xr="r"><workbookPr/><xr:revisionPtr revIDLastSave="0" documentId="` + id + `" xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/>` + rest + `</workbook>`)
	}
	key := func(b []byte) string { return string(revisionKey(b, &ooxml.Arena{})) }
	a, b := wb("13_ncr:1_{5A1B2C3D-0000-4000-8000-000000000000}", "<sheets/>"), wb("8_{0F00BA11-1111-4000-8000-00000000AAAA}", "<sheets/>")
	if key(a) != key(b) {
		t.Errorf("two documentIds, two keys:\n%s\n%s", key(a), key(b))
	}
	if strings.Contains(key(a), "5A1B2C3D") || !strings.Contains(key(a), `documentId=""`) || !strings.Contains(key(a), "<sheets/>") {
		t.Errorf("key %s", key(a))
	}
	for _, other := range [][]byte{
		wb("8_{0F00BA11-1111-4000-8000-00000000AAAA}", "<sheets><sheet/></sheets>"), // the rest differs
		wb("x&amp;y", "<sheets/>"),  // an entity
		wb("x y", "<sheets/>"),      // a space
		wb("{\u4e2d}", "<sheets/>"), // not ASCII
		bytes.Replace(a, []byte(`documentId="`), []byte(`documentId2="`), 1), // another attribute
		bytes.Replace(a, []byte(`revIDLastSave="0"`), []byte(`revIDLastSave='0'`), 1),
	} {
		if key(other) == key(a) {
			t.Errorf("the key of %s is the key of %s", other, a)
		}
	}
	for _, kept := range [][]byte{wb("x&amp;y", ""), wb("x y", ""), []byte(`<workbook><xr:revisionPtr documentId="1">`)} {
		if key(kept) != string(kept) {
			t.Errorf("%s: key %s, want the bytes themselves", kept, key(kept))
		}
	}
}

// rezip is data with the part name's bytes replaced.
func rezip(t *testing.T, data []byte, name string, part []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		b, err := ooxml.ReadPart(zf)
		if err != nil {
			t.Fatal(err)
		}
		if zf.Name == name {
			b = part
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// open is Open of data, sniffed.
func open(t *testing.T, data []byte) *Book {
	t.Helper()
	lim := check.DefaultLimits().WithDefaults()
	p, no := check.Sniff(data, "x.xlsx", lim)
	if no != nil {
		t.Fatalf("sniff: %s", no.Cause)
	}
	return Open(p, lim)
}

// TestRowsSeen: a row without field cells, known by its bytes once read
// twice, is still asked of the scan's rules where it is: the same row twice,
// or out of order, leaves the workbook to the slow path.
func TestRowsSeen(t *testing.T) {
	for _, file := range []string{"libreoffice-changtan.xlsx", "openpyxl-shengchangji.xlsx"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "writers", file))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if open(t, data) == nil {
					t.Fatal("the fast path does not answer for it")
				}
			}
			const sheet = "xl/worksheets/sheet2.xml"
			zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			var x []byte
			for _, zf := range zr.File {
				if zf.Name == sheet {
					x, _ = ooxml.ReadPart(zf)
				}
			}
			var known []int // the rows' starts and ends
			for _, m := range regexp.MustCompile(`<row [^>]*[^/]>.*?</row>`).FindAllIndex(x, -1) {
				if _, _, ok := rowsSeen.Get(x[m[0]:m[1]]); ok && known == nil {
					known = m
				}
			}
			if known == nil {
				t.Fatalf("no row of %s known by its bytes after two readings", sheet)
			}
			row := x[known[0]:known[1]]
			twice := slices.Concat(x[:known[1]], row, x[known[1]:])
			if open(t, rezip(t, data, sheet, twice)) != nil {
				t.Errorf("a row known by its bytes, written twice: the fast path answered")
			}
			last := bytes.LastIndex(x, []byte("</sheetData>"))
			moved := slices.Concat(x[:known[0]], x[known[1]:last], row, x[last:])
			if open(t, rezip(t, data, sheet, moved)) != nil {
				t.Errorf("a row known by its bytes, moved after the last: the fast path answered")
			}
		})
	}
}

func TestRowNumber(t *testing.T) {
	for attrs, want := range map[string]int{
		` r="12" spans="1:5"`: 12, `r="1"`: 1, "\n r=\"7\"": 7,
		` spans="1:5" r="12"`: 0, ` r="1a"`: 0, ` r=""`: 0, ` r="12345678"`: 0, ` r="12`: 0, ``: 0,
	} {
		if got := rowNumber([]byte(attrs)); got != want {
			t.Errorf("rowNumber(%q) = %d, want %d", attrs, got, want)
		}
	}
}

// TestQuickCell: the shapes read at once, white space between their
// elements included; anything else is left to the long way (n = 0).
func TestQuickCell(t *testing.T) {
	for _, c := range []struct {
		cell         string
		v            string
		hasV, inline bool
		taken        bool
	}{
		{`<c r="A1"/>`, "", false, false, true},
		{`<c r="A1" s="2" t="s"><v>12</v></c>`, "12", true, false, true},
		{"<c r=\"C4\" s=\"9\">\n        <v>2013</v>\n      </c>", "2013", true, false, true},
		{"<c r=\"B1\" s=\"2\">\n  </c>", "", false, false, true},
		{"\n      <c r=\"A1\" s=\"2\"/>", "", false, false, true},
		{`<c r="A1" t="inlineStr"><is><t>&#24207;&#21495;</t></is></c>`, "", false, true, true},
		{"<c r=\"B4\" s=\"8\" t=\"inlineStr\">\n <is>\n  <t xml:space=\"preserve\">考核 年度</t>\n </is>\n</c>", "", false, true, true},
		{`<c r="A1"><v>1</v><v>2</v></c>`, "", false, false, false},
		{`<c r="A1"><is><r><t>a</t></r></is></c>`, "", false, false, false},
		{`<c r="A1"><is><t>a&b</t></is></c>`, "", false, false, false},
		{"<c r=\"A1\">\r\n<v>1</v></c>", "", false, false, false},
		{`<c r="A1"><f>1+1</f><v>2</v></c>`, "", false, false, false},
		{`<c r="A1"><v>1</v></c `, "", false, false, false},
	} {
		ref, _, v, hasV, inline, n := quickCell([]byte(c.cell + "<c r=\"Z9\"/>"))
		if taken := n > 0; taken != c.taken || taken && (n != len(c.cell) || string(ref) != "A1" && !strings.HasPrefix(c.cell, "<c r=\""+string(ref)) || string(v) != c.v || hasV != c.hasV || inline != c.inline) {
			t.Errorf("%q: took %d bytes, v %q (%t), inline %t", c.cell, n, v, hasV, inline)
		}
	}
}
