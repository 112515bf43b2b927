package ooxml

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// Knowing bytes seen before: what a template writes the same into every copy
// is read once.

// Memo remembers what was made of byte ranges seen before, by their
// exact bytes: a template writes some parts and elements the same into
// every copy (a sheet's data validations, half of its XML; the workbook
// with its defined names, unless a token was written in), and a
// spreadsheet program that saves copies of it writes them the same again;
// such bytes need no second reading. A range is taken only when equal,
// byte for byte, to one seen before (the hash, with a seed of this process,
// only finds it); ranges of min (by default memoMin) to memoMax bytes are
// kept, at most memoCap bytes in all, what is made of them counted by
// weigh (a process that runs for years, kaohe serve, keeps what it saw
// first). What is kept is shared: never changed once kept.
type Memo[V any] struct {
	mu    sync.RWMutex
	seed  maphash.Seed
	m     map[uint64]memoEntry[V]
	size  int // bytes kept
	min   int
	weigh func(V) int     // the bytes a value holds besides its range; nil: none
	once  map[uint64]bool // ranges seen once (Keep)
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

func NewMemo[V any]() *Memo[V] { return newMemo[V](memoMin, nil) }

func newMemo[V any](min int, weigh func(V) int) *Memo[V] {
	return &Memo[V]{seed: maphash.MakeSeed(), m: map[uint64]memoEntry[V]{}, min: min, weigh: weigh, once: map[uint64]bool{}}
}

// onceCap bounds the ranges Keep remembers as seen once; past it, they
// are forgotten and seen once again.
const onceCap = 1 << 14

// Get returns what was kept for b, and b's hash for Keep.
func (c *Memo[V]) Get(b []byte) (v V, h uint64, ok bool) {
	if len(b) < c.min || len(b) > memoMax {
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

// Keep keeps what value makes of b, whose hash Get gave, the second time
// b is seen, when there is room: the first time, it may be one upload's
// own (a sheet with its values, a workbook Excel stamps with an id of its
// own), never seen again, and what is made of it (the workbook's names,
// indexed) would only fill the memo and the collector's work. value is
// called only when what it makes is kept.
func (c *Memo[V]) Keep(h uint64, b []byte, value func() V) {
	if len(b) < c.min || len(b) > memoMax {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[h]; ok || c.size+len(b) > memoCap {
		return
	}
	if !c.once[h] {
		if len(c.once) >= onceCap {
			clear(c.once)
		}
		c.once[h] = true
		return
	}
	delete(c.once, h)
	v := value()
	n := len(b)
	if c.weigh != nil {
		n += c.weigh(v)
	}
	if c.size+n <= memoCap {
		c.m[h] = memoEntry[V]{bytes.Clone(b), v}
		c.size += n
	}
}

// seen holds elements skip found valid: from 128 bytes, a cell's label
// (written as character references by openpyxl, indented by Gnumeric) is
// looked up faster than read (from 64, no faster).
var seen = newMemo[struct{}](128, nil)

// Element returns the bytes of the element just started, from its start
// tag through the first end tag of its name: the element's own, unless it
// nests its like (a caller that knows the bytes as valid, seen before, has
// read that element whole); nil when there is none, or when the element
// is empty (<x/>).
func (t *Tokenizer) Element() []byte {
	if t.Bad || t.Self || t.Kind != StartElement {
		return nil
	}
	j := bytes.Index(t.B[t.I:], append(append([]byte("</"), t.Name...), '>'))
	if j < 0 {
		return nil
	}
	return t.B[t.At : t.I+j+len(t.Name)+3]
}

// Past moves t past elem, the element Element returned, known valid: to
// where Skip would end, on its end tag.
func (t *Tokenizer) Past(elem []byte) {
	n := len(t.Name)
	end := t.At + len(elem) - n - 3
	t.At, t.Kind, t.Name = end, EndElement, t.B[end+2:end+2+n]
	t.I = end + n + 3
	t.pop()
}

// Skipped reports whether Skip, just called on the element Element gave
// as elem, read exactly it, and found it valid: then it may be known by
// its bytes.
func (t *Tokenizer) Skipped(elem []byte, from int) bool {
	return !t.Bad && t.Kind == EndElement && t.I == from+len(elem)
}

// SkipSeen is Skip, for an element that may have been validated before
// (seen).
func (t *Tokenizer) SkipSeen() {
	elem, from := t.Element(), t.At
	if elem == nil {
		t.Skip()
		return
	}
	_, h, ok := seen.Get(elem)
	if ok {
		t.Past(elem)
		return
	}
	t.Skip()
	if t.Skipped(elem, from) {
		seen.Keep(h, elem, func() struct{} { return struct{}{} })
	}
}
