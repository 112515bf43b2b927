package ooxml

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strings"
)

// Arena is the memory one workbook's parts are unzipped into, reused.
type Arena struct {
	buf  []byte
	used int
}

// Reset makes the whole arena free again: the bytes taken before must no
// longer be used.
func (a *Arena) Reset() { a.used = 0 }

// Take returns n bytes of the arena (valid until the arena is Reset).
func (a *Arena) Take(n int) []byte {
	if a.used+n > len(a.buf) {
		if n > 1<<20 {
			return make([]byte, n) // a rare large part: not kept
		}
		a.buf, a.used = make([]byte, max(256<<10, 2*n)), 0 // parts taken before stay valid
	}
	b := a.buf[a.used : a.used+n : a.used+n]
	a.used += n
	return b
}

// inflated remembers parts unzipped before by their compressed bytes: a
// template's parts that every copy holds the same (the workbook with its
// defined names, the relationships, often a sheet), compressed the same
// by the program that saved the copy, are unzipped once. Deflate is
// decoded one way: the same compressed bytes hold the same part. Small
// streams are kept too: building a stream's Huffman tables costs more
// than looking it up.
var inflated = newMemo(64, func(b []byte) int { return len(b) })

// inflate inflates raw, a deflate stream of n bytes, into the arena
// (inflateInto), or gives the part kept for the same stream (inflated).
func inflate(raw []byte, n int, arena *Arena) ([]byte, bool) {
	part, h, ok := inflated.Get(raw)
	if ok {
		return part, len(part) == n // the same stream, another size in the directory: damaged
	}
	out := arena.Take(n)
	if !inflateInto(out, raw) {
		return nil, false // shorter, longer or corrupt
	}
	inflated.Keep(h, raw, func() []byte { return bytes.Clone(out) })
	return out, true
}

// Unzip unzips one part of data, read straight from the zip's bytes,
// checking its size and CRC-32 as strictly as archive/zip (or more); ok is
// false for a part archive/zip would not read whole.
func Unzip(data []byte, zf *zip.File, arena *Arena) ([]byte, bool) {
	off, err := zf.DataOffset()
	end := off + int64(zf.CompressedSize64)
	if err != nil || off < 0 || end < off || end > int64(len(data)) || zf.UncompressedSize64 > 1<<30 || zf.Flags&0x1 != 0 {
		return nil, false
	}
	raw := data[off:end]
	n := int(zf.UncompressedSize64)
	var out []byte
	switch zf.Method {
	case zip.Store:
		if len(raw) != n {
			return nil, false
		}
		out = raw
	case zip.Deflate:
		var ok bool
		if out, ok = inflate(raw, n, arena); !ok {
			return nil, false
		}
	default:
		return nil, false
	}
	sum := crc32.ChecksumIEEE(out)
	if sum != zf.CRC32 {
		return nil, false // archive/zip skips a zero CRC without a data descriptor; stricter is safe
	}
	if zf.Flags&0x8 != 0 { // a data descriptor follows: archive/zip checks its CRC too
		d := data[end:]
		if len(d) >= 4 && binary.LittleEndian.Uint32(d) == 0x08074b50 {
			d = d[4:]
		}
		if len(d) < 4 || binary.LittleEndian.Uint32(d) != zf.CRC32 {
			return nil, false
		}
	}
	return out, true
}

func ReadPart(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// SameParts reports whether two workbooks have the same parts in the
// same order with the same contents.
func SameParts(a, b []byte) bool {
	za, err1 := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	zb, err2 := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err1 != nil || err2 != nil || len(za.File) != len(zb.File) {
		return false
	}
	for i := range za.File {
		if za.File[i].Name != zb.File[i].Name {
			return false
		}
		x, err1 := ReadPart(za.File[i])
		y, err2 := ReadPart(zb.File[i])
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// Package indexes a zip's parts by the names excelize gives them:
// backslashes as slashes; [Content_Types].xml and xl/sharedStrings.xml
// found in any case.
type Package struct {
	Data  []byte      // the whole file (Unzip reads parts from it)
	Zip   *zip.Reader // its directory
	files map[string]*zip.File
	lower map[string]*zip.File
}

// NewPackage indexes the parts of zr, the zip of data.
func NewPackage(data []byte, zr *zip.Reader) *Package {
	p := &Package{Data: data, Zip: zr, files: make(map[string]*zip.File, len(zr.File)), lower: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		n := strings.ReplaceAll(f.Name, `\`, "/")
		p.files[n] = f
		p.lower[strings.ToLower(n)] = f
	}
	return p
}

// Part returns the named part; the two excelize finds in any case are
// found in any case here too.
func (p *Package) Part(name string) *zip.File {
	if f, ok := p.files[name]; ok {
		return f
	}
	switch l := strings.ToLower(name); l {
	case "[content_types].xml", "xl/sharedstrings.xml":
		return p.lower[l]
	}
	return nil
}

// Has reports whether a part's name (lower case) satisfies pred.
func (p *Package) Has(pred func(lower string) bool) bool {
	for l := range p.lower {
		if pred(l) {
			return true
		}
	}
	return false
}

// Exact returns the part of exactly that name (backslashes as slashes).
func (p *Package) Exact(name string) *zip.File { return p.files[name] }
