package sheets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"regexp"
	"slices"
	"testing"

	"kaohe/sheets/internal/layout"
	"kaohe/sheets/internal/ooxml"
	"kaohe/templates"
	"kaohe/templates/score"
)

// repTestParts unzips a workbook: part name → content. The content types'
// elements are sorted: excelize writes them in map order.
func repTestParts(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		x, err := ooxml.ReadPart(zf)
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if zf.Name == "[Content_Types].xml" {
			tags := regexp.MustCompile(`<[^>]+>`).FindAllString(string(x), -1)
			slices.Sort(tags)
			x = []byte(fmt.Sprint(tags))
		}
		out[zf.Name] = string(x)
	}
	return out
}

// repTestLarge is a report of n institutions: the 2013 ones and branches
// of them, all ranked, so 评分明细 has more blocks than Excel has page breaks.
func repTestLarge(t testing.TB, n int) *Report {
	t.Helper()
	base, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	std := *base
	std.Institutions = nil
	for i := range n {
		in := base.Institutions[i%len(base.Institutions)]
		in.Order = i
		if i >= len(base.Institutions) {
			in.Name = fmt.Sprintf("%s第%d分所", in.Name, i/len(base.Institutions)+1)
		}
		std.Institutions = append(std.Institutions, in)
	}
	rep := &Report{Standard: &std, AsOf: repTime(31, 18, 5)}
	var results []score.Result
	for i, in := range std.Institutions {
		results = append(results, score.Score(&std, in, repFacts(&std, i, in)))
		rep.Uploads = append(rep.Uploads, Upload{File: in.Name + ".xlsx", Institution: in.Name, Received: repTime(20, 9, i%60), Hash: repHash(in.Name), Status: StatusAccepted})
	}
	for _, r := range score.Rank(results, score.Dense) {
		r := r
		rep.Standings = append(rep.Standings, Standing{Institution: r.Institution, Status: StatusAccepted, Ranked: &r, Upload: &rep.Uploads[r.Institution.Order]})
	}
	return rep
}

func TestReportFastMatchesExcelize(t *testing.T) {
	for _, c := range []struct {
		name string
		rep  *Report
	}{
		{"fixture", repFixture(t).rep},
		{"with a 核查表", repReviewFixture(t).rep},
		{"1,200 institutions", repTestLarge(t, 1200)},
	} {
		t.Run(c.name, func(t *testing.T) {
			fast, ok, err := repWriteFast(c.rep)
			if err != nil || !ok {
				t.Fatalf("the fast path did not write the report: ok %t, %v", ok, err)
			}
			var slow bytes.Buffer
			if err := writeReport(&slow, c.rep, false); err != nil {
				t.Fatal(err)
			}
			got, want := repTestParts(t, fast), repTestParts(t, slow.Bytes())
			for name, w := range want {
				if g, ok := got[name]; !ok {
					t.Errorf("%s: missing", name)
				} else if g != w {
					t.Errorf("%s differs: %d bytes, want %d", name, len(g), len(w))
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d parts, want %d", len(got), len(want))
			}
			if n := bytes.Count([]byte(got["xl/worksheets/sheet2.xml"]), []byte("<brk ")); n > layout.MaxBreaks {
				t.Errorf("评分明细 has %d page breaks, Excel allows %d", n, layout.MaxBreaks)
			}
		})
	}
}

func TestCRC32Combine(t *testing.T) {
	a, b := []byte("汇总排名表 <sheetData>"), bytes.Repeat([]byte("<row r=\"1\"></row>"), 1000)
	for _, split := range []int{0, 1, 7, len(a)} {
		x, y := append(append([]byte{}, a...), b...)[:split], append(append([]byte{}, a...), b...)[split:]
		want := crc32.ChecksumIEEE(append(append([]byte{}, x...), y...))
		if got := ooxml.CRC32Combine(crc32.ChecksumIEEE(x), crc32.ChecksumIEEE(y), int64(len(y))); got != want {
			t.Errorf("split %d: %08x, want %08x", split, got, want)
		}
	}
}

// BenchmarkWriteReport writes the report of 10,000 ranked institutions
// (about 110,000 rows): go test ./sheets -run '^$' -bench WriteReport.
func BenchmarkWriteReport(b *testing.B) {
	rep := repTestLarge(b, 10000)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteReport(&buf, rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB")
}
