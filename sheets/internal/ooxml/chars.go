package ooxml

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What the tokenizer accepts of XML's characters: names, text and
// references, and the attribute values encoding/xml converts into numbers
// and booleans.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// nameLen is the length of the XML name at the start of b: ASCII
// letters, digits, _ . - and at most one colon inside; 0 when none.
func nameLen(b []byte) int {
	if len(b) == 0 || nameChar[b[0]] != nameStart {
		return 0
	}
	n, colon := 1, false
	for n < len(b) {
		switch nameChar[b[n]] {
		case nameStart, nameMore:
		case nameColon:
			if colon || n+1 >= len(b) || nameChar[b[n+1]] != nameStart {
				return 0 // a second colon, or none after it
			}
			colon = true
		default:
			return n
		}
		n++
	}
	return n
}

// The bytes of names: letters and _ start one, digits . - continue it.
const (
	nameNone = iota
	nameStart
	nameMore
	nameColon
)

var nameChar = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			t[c] = nameStart
		case c >= '0' && c <= '9', c == '.', c == '-':
			t[c] = nameMore
		case c == ':':
			t[c] = nameColon
		}
	}
	return t
}()

// xmlDecl accepts version="1.0" with an optional UTF-8 encoding and standalone.
func xmlDecl(b []byte) bool {
	ok := true
	seen := false
	if !attrsValid(b) {
		return false
	}
	Attrs(b, func(name, raw []byte) bool {
		switch string(name) {
		case "version":
			seen = true
			ok = ok && string(raw) == "1.0"
		case "encoding":
			ok = ok && strings.EqualFold(string(raw), "utf-8")
		case "standalone":
			ok = ok && (string(raw) == "yes" || string(raw) == "no")
		default:
			ok = false
		}
		return ok
	})
	return ok && seen
}

// attrsValid checks the syntax of raw attributes (as in a declaration).
func attrsValid(b []byte) bool {
	k := 0
	for {
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return true
		}
		n := nameLen(b[k:])
		if n == 0 {
			return false
		}
		k += n
		if k >= len(b) || b[k] != '=' {
			return false
		}
		k++
		if k >= len(b) || (b[k] != '"' && b[k] != '\'') {
			return false
		}
		end := bytes.IndexByte(b[k+1:], b[k])
		if end < 0 {
			return false
		}
		k += end + 2
		if k < len(b) && !isSpace(b[k]) {
			return false
		}
	}
}

// ValidText accepts UTF-8 text of XML characters without CR or <,
// whose & start only the five named entities or character references.
func ValidText(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	ascii := true
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// A byte below 0x20, or an & or a <, anywhere in the word: look closer.
		ctl := (x - 0x20*ones) & ^x & highs
		amp, lt := x^(0x26*ones), x^(0x3C*ones)
		if ctl|(amp-ones)&^amp&highs|(lt-ones)&^lt&highs != 0 {
			break
		}
		if x&highs != 0 {
			ascii = false
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' {
			continue
		}
		switch {
		case c >= utf8.RuneSelf:
			ascii = false // checked at once below
		case c == '&':
			n := entityLen(b[i:])
			if n == 0 {
				return false
			}
			i += n - 1
		case c == '\t' || c == '\n':
		default:
			return false // CR (encoding/xml turns CR LF into LF), <, other controls
		}
	}
	// Among valid UTF-8, XML 1.0 refuses only U+FFFE and U+FFFF (and the
	// controls above); surrogates are not valid UTF-8.
	return ascii || utf8.Valid(b) && !bytes.Contains(b, []byte("\xef\xbf\xbe")) && !bytes.Contains(b, []byte("\xef\xbf\xbf"))
}

func xmlRune(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// entityLen is the length of the entity or character reference at the
// start of b, or 0 when it is not one encoding/xml reads.
func entityLen(b []byte) int {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return 0
	}
	ref := string(b[1:end])
	switch ref {
	case "lt", "gt", "amp", "apos", "quot":
		return end + 1
	}
	if _, ok := charRef(ref); ok {
		return end + 1
	}
	return 0
}

// charRef reads #123 or #x7B as a rune that XML allows, except CR. It is
// on the reader's hot path: openpyxl writes every non-ASCII character of a
// sheet as a reference (&#25968;), thousands in each workbook.
func charRef(ref string) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	digits, base := ref[1:], uint32(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(digits); i++ {
		d := uint32(digits[i])
		switch {
		case d >= '0' && d <= '9':
			d -= '0'
		case base == 16 && d >= 'a' && d <= 'f':
			d -= 'a' - 10
		case base == 16 && d >= 'A' && d <= 'F':
			d -= 'A' - 10
		default:
			return 0, false
		}
		if v = v*base + d; v > unicode.MaxRune {
			return 0, false // beyond any rune (leading zeros are no harm)
		}
	}
	if !xmlRune(rune(v)) {
		return 0, false
	}
	return rune(v), true
}

// Unescape decodes validated text.
func Unescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		if b[i] != '&' {
			j := bytes.IndexByte(b[i:], '&')
			if j < 0 {
				j = len(b) - i
			}
			sb.Write(b[i : i+j])
			i += j
			continue
		}
		end := bytes.IndexByte(b[i:], ';')
		switch ref := string(b[i+1 : i+end]); ref {
		case "lt":
			sb.WriteByte('<')
		case "gt":
			sb.WriteByte('>')
		case "amp":
			sb.WriteByte('&')
		case "apos":
			sb.WriteByte('\'')
		case "quot":
			sb.WriteByte('"')
		default:
			r, _ := charRef(ref)
			sb.WriteRune(r)
		}
		i += end + 1
	}
	return sb.String()
}

// Int, Uint, Bool and Float check an attribute as
// encoding/xml converts it into a field of that type (strconv of the
// trimmed, unescaped value; empty is zero).
func Int(raw []byte) bool {
	if d, ok := digits(raw); ok {
		return d <= 18 // fits an int64
	}
	s := strings.TrimSpace(Unescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func Uint(raw []byte, bits int) bool {
	if d, ok := digits(raw); ok && (bits == 64 && d <= 19 || bits == 8 && d <= 2) {
		return true
	}
	s := strings.TrimSpace(Unescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}

func Bool(raw []byte) bool {
	switch string(raw) { // no allocation
	case "0", "1", "true", "false":
		return true
	}
	s := strings.TrimSpace(Unescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseBool(s)
	return err == nil
}

func Float(raw []byte) bool {
	if _, ok := digits(raw); ok {
		return true
	}
	s := strings.TrimSpace(Unescape(raw))
	if s == "" {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// digits reports whether raw is 1 to 19 ASCII digits, and how many.
func digits(raw []byte) (int, bool) {
	if len(raw) == 0 || len(raw) > 19 {
		return 0, false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return len(raw), true
}
