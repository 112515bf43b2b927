package ooxml

import (
	"archive/zip"
	"bytes"
	"fmt"
	"testing"
	"time"
)

// zipOf is a zip holding one deflated part, name, of content.
func zipOf(t *testing.T, name string, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUnzipKept: a stream seen twice is kept (inflated), and a part whose
// compressed bytes are a kept stream's is still checked against its
// directory: another size or CRC-32 is refused, as when it is inflated.
func TestUnzipKept(t *testing.T) {
	content := []byte(fmt.Sprintf(`<?xml version="1.0"?><workbook><!-- %d -->%s</workbook>`, time.Now().UnixNano(), bytes.Repeat([]byte(`<sheet name="x"/>`), 200)))
	data := zipOf(t, "xl/workbook.xml", content)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	zf := zr.File[0]
	for i := range 3 { // inflated, inflated and kept, found kept
		got, ok := Unzip(data, zf, &Arena{})
		if !ok || !bytes.Equal(got, content) {
			t.Fatalf("unzip %d: ok %v, %d bytes, want %d", i, ok, len(got), len(content))
		}
	}
	if _, h, ok := inflated.Get(data[mustOffset(t, zf) : mustOffset(t, zf)+int64(zf.CompressedSize64)]); !ok || h == 0 {
		t.Fatal("the stream seen twice was not kept")
	}
	for _, damage := range []struct {
		what string
		f    func(*zip.File)
	}{
		{"size", func(f *zip.File) { f.UncompressedSize64++ }},
		{"size", func(f *zip.File) { f.UncompressedSize64-- }},
		{"CRC-32", func(f *zip.File) { f.CRC32 ^= 1 }},
	} {
		bad := *zf
		damage.f(&bad)
		if got, ok := Unzip(data, &bad, &Arena{}); ok {
			t.Errorf("another %s in the directory than the kept stream's: read %d bytes", damage.what, len(got))
		}
	}
}

func mustOffset(t *testing.T, zf *zip.File) int64 {
	off, err := zf.DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	return off
}
