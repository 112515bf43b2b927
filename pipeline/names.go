package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"kaohe/pipeline/state"
)

// displayName is how a name listed in the inbox is shown and recorded:
// the name itself when it is UTF-8; else, part by part, the GB18030 (GBK)
// reading of its bytes when they are valid as such (file names written by
// a Windows program that kept its code page, as old zip tools and some
// FTP clients do), or the name's valid characters with \xNN for each
// other byte. JSON, the report and the receipts hold only UTF-8: the
// ledger keeps the bytes themselves in state.Record.RawName.
func displayName(raw string) string {
	if utf8.ValidString(raw) {
		return raw
	}
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		if utf8.ValidString(p) {
			continue
		}
		if s, err := simplifiedchinese.GB18030.NewDecoder().String(p); err == nil && utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError) {
			parts[i] = s
			continue
		}
		var b strings.Builder
		for len(p) > 0 {
			r, n := utf8.DecodeRuneInString(p)
			if r == utf8.RuneError && n == 1 {
				fmt.Fprintf(&b, `\x%02x`, p[0])
			} else {
				b.WriteString(p[:n])
			}
			p = p[n:]
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, "/")
}

// nameRecord sets rec's Name to how the inbox name raw is shown, and its
// RawName to raw when that differs.
func nameRecord(rec *state.Record, raw string) {
	rec.Name, rec.RawName = names(raw)
}

// names are a state.Record's Name and RawName for the inbox name raw.
func names(raw string) (name, rawName string) {
	if name = displayName(raw); name != raw {
		rawName = strconv.Quote(raw)
	}
	return name, rawName
}

// inboxName is the name a record's file had in the inbox, as the store
// knows it.
func inboxName(rec *state.Record) string { return rawOf(rec.Name, rec.RawName) }

// rawOf is the inbox name of a Name and RawName (names).
func rawOf(name, rawName string) string {
	if rawName != "" {
		if s, err := strconv.Unquote(rawName); err == nil {
			return s
		}
	}
	return name
}

// shownName is a name in a message: displayName, with control characters
// written as \n, \r, \t or \xNN so that the name stays on one line and
// shows what is odd in it.
func shownName(raw string) string {
	var b strings.Builder
	for _, c := range displayName(raw) {
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
