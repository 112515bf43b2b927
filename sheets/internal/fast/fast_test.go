package fast

import (
	"bytes"
	"strings"
	"testing"

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
