package layout

import (
	"math"
	"strings"
	"testing"
	"unicode"
)

// TestCellWide: every code point is as wide as the plain definition says
// (the fast path for narrow text changes no answer).
func TestCellWide(t *testing.T) {
	plain := func(r rune) bool {
		return unicode.Is(unicode.Han, r) ||
			(r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF) ||
			(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
			(r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
			(r >= 0xFFE0 && r <= 0xFFE6) || r >= 0x1F300
	}
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got := wide(r); got != plain(r) {
			t.Fatalf("wide(%U) = %t", r, got)
		}
		if plain(r) {
			n++
		}
	}
	if n < 20000 {
		t.Fatalf("only %d wide code points: the test reads nothing", n)
	}
}

// TestCellLines: lines are counted per line break, each wrapped at the
// column's width.
func TestCellLines(t *testing.T) {
	for _, c := range []struct {
		s     string
		width float64
		want  int
	}{
		{"", 10, 1},
		{"abc", 10, 1},
		{"a\n", 10, 2},
		{"a\r\nb\rc", 10, 3},
		{strings.Repeat("x", 17), 10, 2}, // 17 / 8.5 units
		{strings.Repeat("鉴", 9) + "\n\nab", 10, 5}, // 18 / 8.5 → 3, then 1 and 1
	} {
		got := Lines(c.s, c.width)
		want := 0
		for _, line := range strings.Split(newlines(c.s), "\n") {
			want += max(1, int(math.Ceil(Width(line)/max(c.width-1.5, 1))))
		}
		if got != c.want || got != want {
			t.Errorf("Lines(%q, %g) = %d, want %d (by splitting: %d)", c.s, c.width, got, c.want, want)
		}
	}
}
