package ooxml

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestFastValidText compares the tokenizer's text check with encoding/xml.
func TestFastValidText(t *testing.T) {
	for _, s := range []string{
		"", "plain", "中文文本", "a&amp;b", "&lt;&gt;&quot;&apos;", "&#20013;&#x4E2D;", "tab\tand\nnewline",
		"a&b", "&nbsp;", "&#0;", "&#xD800;", "&#xFFFE;", "a\rb", "\x01", "\uFFFE", "\uFFFF", "\xff\xfe", "a<b",
		"&#x;", "&#;", "&#X41;", "&#65", "long ascii text without anything special in it at all", "末尾&amp;",
	} {
		var got string
		ok := ValidText([]byte(s))
		if ok {
			got = Unescape([]byte(s))
		}
		d := xml.NewDecoder(strings.NewReader("<t>" + s + "</t>"))
		var want struct {
			V string `xml:",chardata"`
		}
		err := d.Decode(&want)
		if ok && (err != nil || want.V != got) {
			t.Errorf("%q: fast reads %q, encoding/xml %q (%v)", s, got, want.V, err)
		}
	}
}

// TestSkipSeen: skipSeen leaves the tokenizer where skip does, the first
// time (validating) and the next (taking the range seen), and refuses what
// skip refuses even right after an equal-length valid range was seen.
func TestSkipSeen(t *testing.T) {
	long := strings.Repeat(`<dataValidation type="whole" sqref="D10"><formula1>0</formula1></dataValidation>`, 8)
	cases := []struct {
		name, xml string
	}{
		{"valid", `<worksheet><dataValidations count="8">` + long + `</dataValidations><pageMargins left="0.5"/></worksheet>`},
		{"nested like itself", `<worksheet><x><x>` + long + `</x>` + long + `</x><y/></worksheet>`},
		{"bad entity inside", `<worksheet><dataValidations count="8">` + strings.Replace(long, "0<", "&bogus;<", 1) + `</dataValidations></worksheet>`},
		{"bad tag inside", `<worksheet><dataValidations count="8">` + strings.Replace(long, "<formula1>", "<formula1 >", 1) + `</dataValidations></worksheet>`},
		{"unbalanced inside", `<worksheet><dataValidations count="8">` + strings.Replace(long, "</formula1>", "</formula2>", 1) + `</dataValidations></worksheet>`},
		{"end tag with a space", `<worksheet><dataValidations count="8">` + long + `</dataValidations ></worksheet>`},
	}
	type state struct {
		i, at, kind, depth int
		bad                bool
		name               string
	}
	walk := func(xml string, seen bool) []state {
		tok := &Tokenizer{B: []byte(xml)}
		var out []state
		for depth := 0; ; {
			k := tok.Next()
			if k == EOF {
				break
			}
			switch k {
			case StartElement:
				depth++
				if depth == 2 {
					if seen {
						tok.SkipSeen()
					} else {
						tok.Skip()
					}
					depth--
				}
			case EndElement:
				depth--
			}
			out = append(out, state{tok.I, tok.At, tok.Kind, len(tok.stack), tok.Bad, string(tok.Name)})
		}
		return append(out, state{tok.I, tok.At, tok.Kind, len(tok.stack), tok.Bad, string(tok.Name)})
	}
	for _, c := range cases {
		want := walk(c.xml, false)
		for pass := range 2 { // the second pass finds the valid ranges seen
			if got := walk(c.xml, true); !slices.Equal(got, want) {
				t.Errorf("%s, pass %d: skipSeen went\n%v\nskip went\n%v", c.name, pass+1, got, want)
			}
		}
	}
	// A valid range seen, then one of the same length that is not valid.
	valid := `<worksheet><dataValidations count="8">` + long + `</dataValidations></worksheet>`
	bad := strings.Replace(valid, `type="whole"`, `type="whole`+"\x01"+`"`, 1)
	bad = strings.Replace(bad, `count="8"`, `count=""`, 1) // one byte longer, one shorter
	if len(bad) != len(valid) {
		t.Fatalf("lengths %d and %d", len(bad), len(valid))
	}
	walk(valid, true)
	if got := walk(bad, true); !got[len(got)-1].bad {
		t.Errorf("a control character was taken for the valid range of the same length: %v", got)
	}
}

// TestFastMemo: a range is kept the second time it is seen, and found
// only by its exact bytes; too short or too long ranges are not kept; all
// that is kept stays within memoCap.
func TestFastMemo(t *testing.T) {
	m := NewMemo[int]()
	a := bytes.Repeat([]byte("<x/>"), 100)
	for range 2 {
		if _, h, ok := m.Get(a); ok {
			t.Fatal("found before it was seen twice")
		} else {
			m.Keep(h, a, func() int { return 7 })
		}
	}
	if v, _, ok := m.Get(bytes.Clone(a)); !ok || v != 7 {
		t.Errorf("equal bytes: %d, %t", v, ok)
	}
	b := bytes.Clone(a)
	b[len(b)/2] = 'y'
	if _, _, ok := m.Get(b); ok {
		t.Error("other bytes of the same length found")
	}
	for _, n := range []int{memoMin - 1, memoMax + 1} {
		r := bytes.Repeat([]byte{'a'}, n)
		_, h, _ := m.Get(r)
		m.Keep(h, r, func() int { return 1 })
		m.Keep(h, r, func() int { return 1 })
		if _, _, ok := m.Get(r); ok {
			t.Errorf("a range of %d bytes was kept", n)
		}
	}
	for i := 0; i < 2*memoCap/memoMax; i++ {
		r := bytes.Repeat([]byte(strconv.Itoa(i)+","), memoMax/8)
		_, h, _ := m.Get(r)
		m.Keep(h, r, func() int { return i })
		m.Keep(h, r, func() int { return i })
	}
	total := 0
	for _, e := range m.m {
		total += len(e.b)
	}
	if total > memoCap || total != m.size || total < memoCap/2 {
		t.Errorf("%d bytes kept (counted %d), cap %d", total, m.size, memoCap)
	}
}
