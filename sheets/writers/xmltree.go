package writers

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is one element of a part, names and attributes kept as written
// (prefix:local), never resolved: the rewrites change how a part is
// spelled, so they work on the spelling.
type node struct {
	name  string
	attrs []attr
	kids  []any // *node or text (string, unescaped)
}

type attr struct{ name, value string } // value unescaped

// parseXML reads a part into its root element; the declaration, comments
// and processing instructions are dropped.
func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: qname(t.Name)}
			for _, a := range t.Attr {
				n.attrs = append(n.attrs, attr{qname(a.Name), a.Value})
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root == nil {
				root = n
			} else {
				return nil, errors.New("two root elements")
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != qname(t.Name) {
				return nil, fmt.Errorf("unexpected </%s>", qname(t.Name))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, string(t))
			}
		}
	}
	if root == nil || len(stack) > 0 {
		return nil, errors.New("no root element, or one not closed")
	}
	return root, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// get returns an attribute's value.
func (n *node) get(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

// set sets an attribute, appending it when new.
func (n *node) set(name, value string) {
	for i, a := range n.attrs {
		if a.name == name {
			n.attrs[i].value = value
			return
		}
	}
	n.attrs = append(n.attrs, attr{name, value})
}

// del removes an attribute.
func (n *node) del(name string) {
	for i, a := range n.attrs {
		if a.name == name {
			n.attrs = append(n.attrs[:i], n.attrs[i+1:]...)
			return
		}
	}
}

// order puts the named attributes first, in that order; the others follow
// as they were.
func (n *node) order(names ...string) {
	var out []attr
	for _, name := range names {
		if v, ok := n.get(name); ok {
			out = append(out, attr{name, v})
		}
	}
	for _, a := range n.attrs {
		if !contains(names, a.name) {
			out = append(out, a)
		}
	}
	n.attrs = out
}

// elems returns the child elements.
func (n *node) elems() []*node {
	var out []*node
	for _, k := range n.kids {
		if c, ok := k.(*node); ok {
			out = append(out, c)
		}
	}
	return out
}

// child returns the first child element of that name.
func (n *node) child(name string) *node {
	for _, c := range n.elems() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// text is the concatenated text of the element's own text children.
func (n *node) text() string {
	var b strings.Builder
	for _, k := range n.kids {
		if s, ok := k.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// dropSpace removes the whitespace-only text between elements (pretty
// printing), recursively, except inside text elements.
func (n *node) dropSpace() {
	if n.name == "t" || strings.HasSuffix(n.name, ":t") || n.name == "v" || n.name == "f" || n.name == "definedName" || n.name == "formula1" || n.name == "formula2" {
		return
	}
	if len(n.elems()) == 0 {
		return // a text-only element keeps its text
	}
	var kids []any
	for _, k := range n.kids {
		switch c := k.(type) {
		case string:
			if strings.TrimSpace(c) != "" {
				kids = append(kids, c)
			}
		case *node:
			c.dropSpace()
			kids = append(kids, c)
		}
	}
	n.kids = kids
}

// walk calls f on n and every element inside it, depth first.
func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.elems() {
		c.walk(f)
	}
}

// insertBefore inserts c before the first child element whose name is in
// names, or at the end when there is none.
func (n *node) insertBefore(c *node, names ...string) {
	for i, k := range n.kids {
		if e, ok := k.(*node); ok && contains(names, e.name) {
			n.kids = append(n.kids[:i], append([]any{c}, n.kids[i:]...)...)
			return
		}
	}
	n.kids = append(n.kids, c)
}

// xmlStyle is how a program spells what it writes.
type xmlStyle struct {
	decl        string // the declaration, with what follows it ("\r\n")
	selfClose   bool   // <x/> for an empty element, not <x></x>
	escapeGT    bool   // > as &gt; in text
	attrNewline string // how a newline in an attribute value is written
}

// write serialises the part.
func (s xmlStyle) write(root *node) []byte {
	var b bytes.Buffer
	b.WriteString(s.decl)
	s.writeNode(&b, root)
	return b.Bytes()
}

func (s xmlStyle) writeNode(b *bytes.Buffer, n *node) {
	b.WriteByte('<')
	b.WriteString(n.name)
	for _, a := range n.attrs {
		b.WriteByte(' ')
		b.WriteString(a.name)
		b.WriteString(`="`)
		s.escape(b, a.value, true)
		b.WriteByte('"')
	}
	if len(n.kids) == 0 && s.selfClose {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, k := range n.kids {
		switch c := k.(type) {
		case string:
			s.escape(b, c, false)
		case *node:
			s.writeNode(b, c)
		}
	}
	b.WriteString("</")
	b.WriteString(n.name)
	b.WriteByte('>')
}

func (s xmlStyle) escape(b *bytes.Buffer, v string, inAttr bool) {
	for _, r := range v {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>' && (s.escapeGT || inAttr):
			b.WriteString("&gt;")
		case r == '"' && inAttr:
			b.WriteString("&quot;")
		case r == '\n' && inAttr:
			b.WriteString(s.attrNewline)
		case r == '\t' && inAttr:
			b.WriteString("&#9;")
		case r == '\r':
			b.WriteString("&#13;")
		default:
			b.WriteRune(r)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
