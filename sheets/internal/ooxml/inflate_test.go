package ooxml

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// stdInflate is compress/flate's reading of src: what it gives and
// whether the stream ended cleanly.
func stdInflate(src []byte) ([]byte, bool) {
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(src)))
	return out, err == nil
}

// sampleTexts are what parts hold: the XML of the workbooks of
// testdata, and made-up data of every kind a compressor meets.
func sampleTexts(t testing.TB) [][]byte {
	var texts [][]byte
	files, _ := filepath.Glob("../../testdata/*/*.xlsx")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			continue // hostile ones
		}
		for _, zf := range zr.File {
			if part, err := ReadPart(zf); err == nil {
				texts = append(texts, part)
			}
		}
	}
	if len(texts) < 50 {
		t.Fatalf("only %d parts found in sheets/testdata", len(texts))
	}
	spread := make([][]byte, 50) // of as many workbooks as there are
	for i := range spread {
		spread[i] = texts[i*len(texts)/len(spread)]
	}
	texts = spread
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(r.IntN(256))
	}
	skewed := make([]byte, 300_000) // long distances, every length
	for i := range skewed {
		if i > 40_000 && r.IntN(4) > 0 {
			skewed[i] = skewed[i-1-r.IntN(32_000)]
		} else {
			skewed[i] = "abcdefgh <>/\"="[r.IntN(14)]
		}
	}
	texts = append(texts, nil, []byte("a"), bytes.Repeat([]byte("a"), 70_000), bytes.Repeat([]byte("<c r=\"A1\"/>"), 9_000), random, skewed)
	return texts
}

// TestInflate: every stream compress/flate and klauspost's write, at every
// level, is inflated here to the bytes compressed.
func TestInflate(t *testing.T) {
	var streams [][]byte
	for _, text := range sampleTexts(t) {
		for level := -2; level <= 9; level++ {
			var buf bytes.Buffer
			w, _ := flate.NewWriter(&buf, level)
			w.Write(text)
			w.Close()
			streams = append(streams, bytes.Clone(buf.Bytes()))
			buf.Reset()
			kw, _ := kflate.NewWriter(&buf, level)
			if len(text) > 1000 {
				kw.Write(text[:len(text)/3])
				kw.Flush() // an empty stored block in the middle
			}
			kw.Write(text[len(text)/3:])
			kw.Close()
			streams = append(streams, bytes.Clone(buf.Bytes()))
		}
	}
	for i, s := range streams {
		want, ok := stdInflate(s)
		if !ok {
			t.Fatalf("stream %d: compress/flate cannot read it", i)
		}
		out := make([]byte, len(want))
		if !inflateInto(out, s) || !bytes.Equal(out, want) {
			t.Fatalf("stream %d (%d bytes, %d inflated): not inflated as compress/flate inflates it", i, len(s), len(want))
		}
		if len(want) > 0 && inflateInto(out[:len(want)-1], s) {
			t.Errorf("stream %d: inflated into one byte less than it holds", i)
		}
		if inflateInto(make([]byte, len(want)+1), s) {
			t.Errorf("stream %d: inflated into one byte more than it holds", i)
		}
		if len(s) > 2 && inflateInto(make([]byte, len(want)), s[:len(s)-2]) {
			t.Errorf("stream %d: inflated without its last two bytes", i)
		}
	}
}

// FuzzInflate: a stream read here is read the same by compress/flate.
func FuzzInflate(f *testing.F) {
	for _, text := range sampleTexts(f)[:40] {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestSpeed)
		w.Write(text[:min(len(text), 2000)])
		w.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		want, ok := stdInflate(s)
		for _, n := range []int{len(want), len(want) + 1, 100} {
			out := make([]byte, n)
			if inflateInto(out, s) && (!ok || !bytes.Equal(out, want)) {
				t.Fatalf("inflated to %d bytes; compress/flate: %d bytes, clean end %v", n, len(want), ok)
			}
		}
	})
}

// BenchmarkInflate compares inflateInto with klauspost's streaming
// decoder (what Unzip used before) on the parts of sheets/testdata:
//
//	go test ./sheets/internal/ooxml -run '^$' -bench Inflate
func BenchmarkInflate(b *testing.B) {
	var streams, texts [][]byte
	total := 0
	for _, text := range sampleTexts(b)[:50] {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
		w.Write(text)
		w.Close()
		streams, texts = append(streams, buf.Bytes()), append(texts, text)
		total += len(text)
	}
	out := make([]byte, 1<<20)
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(total))
		for b.Loop() {
			for i, s := range streams {
				if !inflateInto(out[:len(texts[i])], s) {
					b.Fatal("not inflated")
				}
			}
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(total))
		fr := kflate.NewReader(nil)
		for b.Loop() {
			for i, s := range streams {
				fr.(kflate.Resetter).Reset(bytes.NewReader(s), nil)
				if _, err := io.ReadFull(fr, out[:len(texts[i])]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
