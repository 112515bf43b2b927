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

// Keep keeps what make makes of b, whose hash Get gave, the second time
// b is seen, when there is room: the first time, it may be one upload's
// own (a sheet with its values, a workbook Excel stamps with an id of its
// own), never seen again, and what is made of it (the workbook's names,
// indexed) would only fill the memo and the collector's work. make is
// called only when its value is kept.
func (c *Memo[V]) Keep(h uint64, b []byte, make func() V) {
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
	v := make()
	n := len(b)
	if c.weigh != nil {
		n += c.weigh(v)
	}
	if c.size+n <= memoCap {
		c.m[h] = memoEntry[V]{bytes.Clone(b), v}
		c.size += n
	}
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
	seen.Keep(h, r, func() struct{} { return struct{}{} })
}
