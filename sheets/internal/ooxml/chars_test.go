package ooxml

import (
	"strconv"
	"strings"
	"testing"
)

// parsedRef is charRef as it was written with strconv before the reader
// met openpyxl's workbooks (every non-ASCII character a reference): the
// hand-written one must answer as it did for every reference.
func parsedRef(ref string) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	var v uint64
	var err error
	if ref[1] == 'x' {
		if len(ref) < 3 {
			return 0, false
		}
		v, err = strconv.ParseUint(ref[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(ref[1:], 10, 32)
	}
	if err != nil || !xmlRune(rune(v)) || strings.ContainsAny(ref[1:], "+-") {
		return 0, false
	}
	return rune(v), true
}

func TestCharRef(t *testing.T) {
	refs := []string{"", "#", "#x", "#X41", "#41", "#x41", "#xFFFE", "#xfffd", "#65533", "#0", "#9", "#13", "#x0D",
		"#00000065", "#x0000041", "#1114111", "#1114112", "#x10FFFF", "#x110000", "#xD800", "#55296", "#4294967295",
		"#4294967296", "#99999999999", "#+65", "#-65", "#x+41", "#6_5", "#x4_1", "#x4g", "#65a", "#x", "# 65", "#25968", "amp", "x41"}
	for r := rune(0); r < 0x11000; r += 7 {
		refs = append(refs, "#"+strconv.Itoa(int(r)), "#x"+strconv.FormatInt(int64(r), 16), "#x"+strings.ToUpper(strconv.FormatInt(int64(r), 16)))
	}
	for _, ref := range refs {
		gr, gok := charRef(ref)
		wr, wok := parsedRef(ref)
		if gr != wr || gok != wok {
			t.Errorf("charRef(%q) = %d, %v; want %d, %v", ref, gr, gok, wr, wok)
		}
	}
}

func FuzzCharRef(f *testing.F) {
	for _, s := range []string{"#65", "#x41", "#x10FFFF", "#00000065"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		gr, gok := charRef(ref)
		wr, wok := parsedRef(ref)
		if gr != wr || gok != wok {
			t.Errorf("charRef(%q) = %d, %v; want %d, %v", ref, gr, gok, wr, wok)
		}
	})
}
