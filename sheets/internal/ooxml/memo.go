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
	once  map[uint64]bool // ranges seen once (Again)
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

// onceCap bounds the ranges Again remembers as seen once; past it, they
// are forgotten and seen once again.
const onceCap = 1 << 14

// Again reports whether a range of b's length, whose hash Get gave, was
// seen before without being kept, and whether n more bytes would be kept
// now: a caller keeps what it made of the bytes only then, the second
// time, and makes nothing to keep otherwise. It remembers the first time.
func (c *Memo[V]) Again(h uint64, b []byte, n int) bool {
	if len(b) < c.min || len(b) > memoMax {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+len(b)+n > memoCap {
		return false
	}
	if c.once[h] {
		return true
	}
	if len(c.once) >= onceCap {
		clear(c.once)
	}
	c.once[h] = true
	return false
}

// Get returns what was kept for b, and b's hash for put.
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

// Put keeps v for b, whose hash get gave.
func (c *Memo[V]) Put(h uint64, b []byte, v V) {
	if len(b) < c.min || len(b) > memoMax {
		return
	}
	n := len(b)
	if c.weigh != nil {
		n += c.weigh(v)
	}
	c.mu.Lock()
	if _, ok := c.m[h]; !ok && c.size+n <= memoCap {
		c.m[h] = memoEntry[V]{bytes.Clone(b), v}
		c.size += n
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
