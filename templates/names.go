package templates

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// A Called is an institution named in a text: by its name or its short
// name (ShortName), whichever is longer of those the text holds.
type Called struct {
	Institution string // its name in the allocation
	As          string // the name the text holds
}

// Called returns the institutions the text names by their full or short
// name (two characters at least), in the allocation's order: those in a
// file name such as 2013-常柴国家职业技能鉴定所-自评表 or 常柴.
func (s *Standard) Called(text string) []Called {
	if s.called == nil || !s.called.fits(s.Institutions) {
		return calledIn(s.Institutions, text) // not loaded by Load, or changed since
	}
	return s.called.in(s.Institutions, text)
}

// ByShortName returns the institutions whose short name is exactly name,
// in the allocation's order.
func (s *Standard) ByShortName(name string) []Institution {
	var out []Institution
	if s.called == nil || !s.called.fits(s.Institutions) {
		for _, in := range s.Institutions {
			if ShortName(in.Name) == name {
				out = append(out, in)
			}
		}
		return out
	}
	for _, k := range s.called.by[name] {
		if k.short && s.Institutions[k.i].Name == k.name {
			out = append(out, s.Institutions[k.i])
		}
	}
	return out
}

// names indexes institutions by their names and short names.
type names struct {
	by    map[string][]nameKey
	of    []Institution // the slice indexed: fits checks it is the one in use
	width int           // the longest name, in bytes
}

type nameKey struct {
	i     int    // position in the allocation
	name  string // the institution's name, checked on use
	short bool   // the key is its short name, not its full one
}

func indexNames(ins []Institution) *names {
	n := &names{by: make(map[string][]nameKey, 2*len(ins)), of: ins}
	for i, in := range ins {
		for _, short := range []bool{false, true} {
			name := in.Name
			if short {
				name = ShortName(in.Name)
			}
			if utf8.RuneCountInString(name) < 2 || (short && name == in.Name) {
				continue
			}
			n.by[name] = append(n.by[name], nameKey{i, in.Name, short})
			n.width = max(n.width, len(name))
		}
	}
	return n
}

// fits says whether ins is the slice indexed; each hit is checked too.
func (n *names) fits(ins []Institution) bool {
	return len(ins) == len(n.of) && (len(ins) == 0 || &ins[0] == &n.of[0])
}

// in looks up every piece of text up to the longest name: a file name is
// short, an allocation can be long.
func (n *names) in(ins []Institution, text string) []Called {
	best := map[int]string{}
	for i := 0; i < len(text); {
		for j := i + 1; j <= len(text) && j-i <= n.width; j++ {
			if j < len(text) && !utf8.RuneStart(text[j]) {
				continue
			}
			for _, k := range n.by[text[i:j]] {
				if ins[k.i].Name == k.name && len(text[i:j]) > len(best[k.i]) {
					best[k.i] = text[i:j]
				}
			}
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return calledList(ins, best)
}

// calledIn is what in finds, without an index.
func calledIn(ins []Institution, text string) []Called {
	best := map[int]string{}
	for i, in := range ins {
		for _, name := range []string{in.Name, ShortName(in.Name)} {
			if utf8.RuneCountInString(name) >= 2 && len(name) > len(best[i]) && strings.Contains(text, name) {
				best[i] = name
			}
		}
	}
	return calledList(ins, best)
}

// calledList is best (position → the name held) in the allocation's order.
func calledList(ins []Institution, best map[int]string) []Called {
	at := make([]int, 0, len(best))
	for i := range best {
		at = append(at, i)
	}
	sort.Ints(at)
	out := make([]Called, len(at))
	for n, i := range at {
		out[n] = Called{ins[i].Name, best[i]}
	}
	return out
}
