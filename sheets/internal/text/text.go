// Package text holds the small text rules every part of sheets shares:
// lengths as Excel counts them and values shortened for messages.
package text

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Units counts s in UTF-16 code units, as Excel counts a cell's length.
func Units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// MB writes a size in MB with at most two decimals: 20, 0.5.
func MB(n int64) string {
	return strconv.FormatFloat(math.Round(float64(n)*100/(1<<20))/100, 'f', -1, 64)
}

// ClipAt is how long a value may be in a message before it is shown
// shortened (with its full length): an Excel cell holds 32,767 characters
// and a message quotes values, so a long value must not make the report or
// a receipt impossible to write.
const ClipAt = 200

// Clip is s for a message: as is, or its first characters followed by
// "…（共 N 个字符）".
func Clip(s string) string {
	if len(s) <= ClipAt {
		return s
	}
	n := utf8.RuneCountInString(s)
	if n <= ClipAt {
		return s
	}
	cut := s
	k := 0
	for i := range s {
		if k == ClipAt/2 {
			cut = s[:i]
			break
		}
		k++
	}
	return fmt.Sprintf("%s…（共 %s 个字符）", cut, Thousands(n))
}

// Thousands writes n with thousands separators: 32,767.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
