// Package ooxml is the zip and XML mechanics of the workbooks sheets reads
// and writes: a zip's parts found as excelize finds them, unzipped within
// bounds, a strict namespace-aware XML tokenizer, and deflate segments
// spliced into a zip entry.
package ooxml

import (
	"bytes"
	"unicode/utf8"
)

// Tokenizer is a strict XML tokenizer over one part. It accepts a subset of
// XML that encoding/xml also accepts and reads the same way, and sets Bad
// on anything else; the caller then gives the workbook to excelize. It
// stops after the root element, as encoding/xml's Decode does.
//
// It knows namespaces as XML defines them, not as text: a prefix means
// whatever the nearest declaration in scope binds it to (xmlns:p on the
// element itself or on any enclosing one; xmlns for unprefixed elements),
// so Space and Resolve answer as encoding/xml translates names, whatever
// prefixes a writer chose and wherever it declared them.
type Tokenizer struct {
	B     []byte // the part
	I     int    // where the next token starts
	Bad   bool   // the part is not one the tokenizer reads; Next returns EOF
	stack []open
	ns    []decl // the namespace declarations in scope, innermost last
	// the current token
	At    int    // where it starts
	Kind  int    // EOF, StartElement, EndElement or CharData
	Name  []byte // start and end: the qualified name
	Attrs []byte // start: the raw attributes, validated
	Data  []byte // text: raw, validated
	Self  bool   // start: <x/>, its end comes next
}

// open is an element started and not yet ended: its qualified name, and
// how many declarations were in scope before its own.
type open struct {
	name []byte
	ns   int
}

// decl binds a prefix ("" for the default namespace) to a namespace.
type decl struct{ prefix, space []byte }

// The kinds of token.
const (
	EOF = iota
	StartElement
	EndElement
	CharData
)

// NSXML is the namespace the prefix xml is bound to without a declaration.
const NSXML = "http://www.w3.org/XML/1998/namespace"

// pop ends the innermost element: its declarations go out of scope. After
// the root nothing more is read.
func (t *Tokenizer) pop() {
	top := t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
	t.ns = t.ns[:top.ns]
	if len(t.stack) == 0 {
		t.I = len(t.B)
	}
}

// Resolve returns the namespace prefix is bound to where the tokenizer is
// (for a start tag, with its own declarations); ok is false for a prefix
// bound nowhere. The empty prefix gives the default namespace, "" when
// none is declared.
func (t *Tokenizer) Resolve(prefix []byte) (space []byte, ok bool) {
	for i := len(t.ns) - 1; i >= 0; i-- {
		if bytes.Equal(t.ns[i].prefix, prefix) {
			return t.ns[i].space, true
		}
	}
	switch string(prefix) {
	case "":
		return nil, true
	case "xml":
		return []byte(NSXML), true
	}
	return nil, false
}

// Space is the namespace of the current start or end element's name, as
// encoding/xml translates it; ok is false when its prefix is bound nowhere.
func (t *Tokenizer) Space() (space []byte, ok bool) {
	prefix := []byte(nil)
	if i := bytes.IndexByte(t.Name, ':'); i >= 0 {
		prefix = t.Name[:i]
	}
	return t.Resolve(prefix)
}

// AttrSpace is the namespace of an attribute of the current start tag by
// its qualified name: none for an unprefixed name (attributes do not take
// the default namespace), the bound one for a prefixed name; ok is false
// when the prefix is bound nowhere. Declarations (xmlns, xmlns:p) are in
// no namespace here; Attr's callers see their names.
func (t *Tokenizer) AttrSpace(name []byte) (space []byte, ok bool) {
	i := bytes.IndexByte(name, ':')
	if i < 0 || string(name[:i]) == "xmlns" {
		return nil, true
	}
	return t.Resolve(name[:i])
}

// Next advances to the Next token; EOF at the end or when bad.
func (t *Tokenizer) Next() int {
	if t.Bad {
		return t.fail()
	}
	t.At = t.I
	if t.Kind == StartElement && t.Self {
		t.Self = false
		t.Kind = EndElement
		t.pop()
		return t.Kind
	}
	if t.I >= len(t.B) {
		if len(t.stack) > 0 {
			return t.fail()
		}
		t.Kind = EOF
		return t.Kind
	}
	if t.B[t.I] != '<' {
		j := bytes.IndexByte(t.B[t.I:], '<')
		if j < 0 {
			j = len(t.B) - t.I
		}
		txt := t.B[t.I : t.I+j]
		if len(t.stack) == 0 { // outside the root: white space only, CR too (Excel and WPS write CR LF after the declaration)
			if len(bytes.TrimLeft(txt, " \t\r\n")) > 0 {
				return t.fail()
			}
			t.I += j
			t.Kind = CharData // not a start with a pending end
			return t.Next()
		}
		if !ValidText(txt) {
			return t.fail()
		}
		t.I += j
		t.Kind, t.Data = CharData, txt
		return t.Kind
	}
	rest := t.B[t.I:]
	switch {
	case bytes.HasPrefix(rest, []byte("<?")):
		if t.I != 0 || !bytes.HasPrefix(rest, []byte("<?xml ")) {
			return t.fail()
		}
		end := bytes.Index(rest, []byte("?>"))
		if end < 0 || !xmlDecl(rest[6:end]) {
			return t.fail()
		}
		t.I += end + 2
		t.Kind = CharData
		return t.Next()
	case bytes.HasPrefix(rest, []byte("<!")):
		return t.fail() // comments, CDATA, DTDs
	case bytes.HasPrefix(rest, []byte("</")):
		n := nameLen(rest[2:])
		if n == 0 || len(t.stack) == 0 || !bytes.Equal(rest[2:2+n], t.stack[len(t.stack)-1].name) {
			return t.fail()
		}
		k := 2 + n
		for k < len(rest) && isSpace(rest[k]) {
			k++
		}
		if k >= len(rest) || rest[k] != '>' {
			return t.fail()
		}
		t.Kind, t.Name = EndElement, rest[2:2+n]
		t.I += k + 1
		t.pop()
		return t.Kind
	}
	n := nameLen(rest[1:])
	if n == 0 {
		return t.fail()
	}
	name := rest[1 : 1+n]
	k := 1 + n
	start := k
	mark := len(t.ns)
	for {
		sp := k
		for k < len(rest) && isSpace(rest[k]) {
			k++
		}
		if k >= len(rest) {
			return t.fail()
		}
		if rest[k] == '>' || (rest[k] == '/' && k+1 < len(rest) && rest[k+1] == '>') {
			break
		}
		if k == sp {
			return t.fail() // attributes need a space before them
		}
		an := nameLen(rest[k:])
		if an == 0 {
			return t.fail()
		}
		aname := rest[k : k+an]
		k += an
		for k < len(rest) && isSpace(rest[k]) {
			k++
		}
		if k >= len(rest) || rest[k] != '=' {
			return t.fail()
		}
		k++
		for k < len(rest) && isSpace(rest[k]) {
			k++
		}
		if k >= len(rest) || (rest[k] != '"' && rest[k] != '\'') {
			return t.fail()
		}
		// The value, checked on the way to its closing quote.
		q := rest[k]
		k++
		plain := true // ASCII without & (most values)
		v := k
		for ; k < len(rest) && rest[k] != q; k++ {
			if c := rest[k]; c < 0x20 || c >= utf8.RuneSelf || c == '&' || c == '<' {
				plain = false
			}
		}
		if k >= len(rest) || !plain && !ValidText(rest[v:k]) {
			return t.fail()
		}
		if bytes.HasPrefix(aname, []byte("xmlns")) && (len(aname) == 5 || aname[5] == ':') { // a declaration
			space := rest[v:k]
			if !plain {
				space = []byte(Unescape(space))
			}
			t.ns = append(t.ns, decl{prefix: aname[min(len(aname), 6):], space: space})
		}
		k++
	}
	t.Kind, t.Name, t.Attrs, t.Self = StartElement, name, rest[start:k], rest[k] == '/'
	t.stack = append(t.stack, open{name: name, ns: mark})
	if t.Self {
		k++
	}
	t.I += k + 1
	return t.Kind
}

func (t *Tokenizer) fail() int {
	t.Bad = true
	t.Kind = EOF
	return t.Kind
}

// Skip skips the element just started, validating it.
func (t *Tokenizer) Skip() {
	depth := 1
	for depth > 0 {
		switch t.Next() {
		case StartElement:
			depth++
		case EndElement:
			depth--
		case EOF:
			t.Bad = true
			return
		}
	}
}

// Local is the local part of a qualified name.
func Local(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Attr returns the decoded value of the last attribute whose local name is
// local, whatever its prefix: the value encoding/xml puts into a field
// tagged `xml:"local,attr"` (a field without a namespace takes any).
func Attr(attrs []byte, local string) (v string, ok bool) {
	Attrs(attrs, func(an, raw []byte) bool {
		if string(Local(an)) == local {
			v, ok = Unescape(raw), true
		}
		return true
	})
	return v, ok
}

// Attrs calls f with every attribute's qualified name and raw value.
func Attrs(attrs []byte, f func(name, raw []byte) bool) bool {
	k := 0
	for k < len(attrs) {
		for k < len(attrs) && isSpace(attrs[k]) {
			k++
		}
		if k >= len(attrs) {
			break
		}
		n := nameLen(attrs[k:])
		an := attrs[k : k+n]
		k += n
		for attrs[k] != '"' && attrs[k] != '\'' {
			k++
		}
		q := attrs[k]
		end := bytes.IndexByte(attrs[k+1:], q)
		if !f(an, attrs[k+1:k+1+end]) {
			return false
		}
		k += end + 2
	}
	return true
}

// Root reads the Root element and checks its name and namespace, as
// encoding/xml does for a struct with a namespaced XMLName.
func (t *Tokenizer) Root(ns, local string) bool {
	return t.Next() == StartElement && t.IsRoot(ns, local)
}

// IsRoot checks the start just read as root.
func (t *Tokenizer) IsRoot(ns, local string) bool {
	space, ok := t.Space()
	return ok && string(space) == ns && string(Local(t.Name)) == local
}

// WellFormed checks a part that excelize decodes but the fast path
// does not read: well-formed, with the expected root (or no root at all,
// which excelize reads as empty).
func WellFormed(b []byte, ns, local string, needRoot bool) bool {
	t := &Tokenizer{B: b}
	switch t.Next() {
	case EOF:
		return !t.Bad && !needRoot
	case StartElement:
		if !t.IsRoot(ns, local) {
			return false
		}
		t.Skip()
		return !t.Bad
	}
	return false
}

// Children calls each for every child element of the element just
// started (each must consume the child through its end) and ends at its end.
func (t *Tokenizer) Children(each func() bool) bool {
	return t.ChildrenQuick(func() int { return 0 }, each)
}

// ChildrenQuick is Children that first lets quick take the next
// child whole: quick returns the bytes it took, 0 for none, -1 for a child
// that is bad.
func (t *Tokenizer) ChildrenQuick(quick func() int, each func() bool) bool {
	if t.Self {
		t.Next()
		return !t.Bad
	}
	for {
		switch quick() {
		case -1:
			return false
		case 0:
		default:
			continue
		}
		switch t.Next() {
		case StartElement:
			if !each() {
				return false
			}
		case EndElement:
			return !t.Bad
		case CharData:
		case EOF:
			return false
		}
	}
}

// NoChildren consumes an element that holds no elements.
func (t *Tokenizer) NoChildren() bool {
	if t.Self {
		t.Next()
		return !t.Bad
	}
	for {
		switch t.Next() {
		case CharData:
		case EndElement:
			return !t.Bad
		default:
			return false
		}
	}
}

// TextOnly consumes an element holding only text and returns it decoded.
func (t *Tokenizer) TextOnly() (string, bool) {
	if t.Self {
		t.Next()
		return "", !t.Bad
	}
	var parts []byte
	n := 0
	for {
		switch t.Next() {
		case CharData:
			if n == 0 {
				parts = t.Data
			} else {
				parts = append(append([]byte{}, parts...), t.Data...)
			}
			n++
		case EndElement:
			return Unescape(parts), !t.Bad
		default:
			return "", false
		}
	}
}
