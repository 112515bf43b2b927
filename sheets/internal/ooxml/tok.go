package ooxml

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
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
		if !ValidText(txt) {
			return t.fail()
		}
		t.I += j
		if len(t.stack) == 0 {
			if len(bytes.TrimLeft(txt, " \t\n")) > 0 {
				return t.fail() // text outside the root
			}
			t.Kind = CharData // not a start with a pending end
			return t.Next()
		}
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

// Memo remembers what was made of byte ranges seen before, by their
// exact bytes: a template writes some parts and elements the same into
// every copy (a sheet's data validations, half of its XML; the workbook
// with its defined names, unless a token was written in), and a
// spreadsheet program that saves copies of it writes them the same again;
// such bytes need no second reading. A range is taken only when equal,
// byte for byte, to one seen before (the hash, with a seed of this process,
// only finds it); ranges of memoMin to memoMax bytes are kept, at
// most memoCap bytes in all (a process that runs for years, kaohe
// serve, keeps what it saw first). What is kept is shared: never changed
// once kept.
type Memo[V any] struct {
	mu   sync.RWMutex
	seed maphash.Seed
	m    map[uint64]memoEntry[V]
	size int // bytes kept
}

type memoEntry[V any] struct {
	b []byte
	v V
}

const (
	memoMin = 256 // shorter ranges are read again as fast as they are looked up
	memoMax = 64 << 10
	memoCap = 4 << 20
)

func NewMemo[V any]() *Memo[V] {
	return &Memo[V]{seed: maphash.MakeSeed(), m: map[uint64]memoEntry[V]{}}
}

// Get returns what was kept for b, and b's hash for put.
func (c *Memo[V]) Get(b []byte) (v V, h uint64, ok bool) {
	if len(b) < memoMin || len(b) > memoMax {
		return v, 0, false
	}
	h = maphash.Bytes(c.seed, b)
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.b, b) {
		return v, h, false
	}
	return e.v, h, true
}

// Put keeps v for b, whose hash get gave.
func (c *Memo[V]) Put(h uint64, b []byte, v V) {
	if len(b) < memoMin || len(b) > memoMax {
		return
	}
	c.mu.Lock()
	if _, ok := c.m[h]; !ok && c.size+len(b) <= memoCap {
		c.m[h] = memoEntry[V]{bytes.Clone(b), v}
		c.size += len(b)
	}
	c.mu.Unlock()
}

// seen holds elements skip found valid.
var seen = NewMemo[struct{}]()

// SkipSeen is skip, for an element that may have been validated before
// (seen).
func (t *Tokenizer) SkipSeen() {
	if t.Bad || t.Self || t.Kind != StartElement {
		t.Skip()
		return
	}
	name, from := t.Name, t.At
	j := bytes.Index(t.B[t.I:], append(append([]byte("</"), name...), '>'))
	if j < 0 {
		t.Skip()
		return
	}
	end := t.I + j // the first end tag of that name: the element's, unless it nests its like
	r := t.B[from : end+len(name)+3]
	_, h, ok := seen.Get(r)
	if ok { // where skip would stop: right after the end tag
		t.At, t.Kind, t.Name = end, EndElement, t.B[end+2:end+2+len(name)]
		t.I = end + len(name) + 3
		t.pop()
		return
	}
	t.Skip()
	if t.Bad || t.At != end || t.I != end+len(name)+3 {
		return // not the element's end tag, or not valid: nothing to remember
	}
	seen.Put(h, r, struct{}{})
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

// charRef reads #123 or #x7B as a rune that XML allows, except CR.
func charRef(ref string) (rune, bool) {
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
