package sheets

import (
	"bytes"
	"encoding/json"
	"io"
	"kaohe/templates"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A fresh, unfilled template reads with exactly the errors of its blank
// required fields and the warnings of its blank self-scores.
func TestReadBlankTemplate(t *testing.T) {
	std := tmplTestStd(t)
	sub := readTest(bytes.NewReader(tmplTestWrite(t, std, tmplTestInst(t, std, "常柴"))), "blank.xlsx", std, DefaultLimits())
	if len(sub.Issues) != 1 || sub.Accepted() || !strings.HasPrefix(sub.Issues[0].Message, "这是一份还没有填写的自评表") ||
		sub.Institution.Name != "常柴国家职业技能鉴定所" {
		t.Fatalf("institution %q, issues:\n%s", sub.Institution.Name, hostileIssues(sub))
	}
	// One field filled: every blank required field is an error again.
	var buf bytes.Buffer
	if err := Fill(bytes.NewReader(tmplTestWrite(t, std, tmplTestInst(t, std, "常柴"))), &buf, map[string]any{"actual_appraised": 120}); err != nil {
		t.Fatal(err)
	}
	sub = readTest(bytes.NewReader(buf.Bytes()), "one.xlsx", std, DefaultLimits())
	var errs []string
	for _, is := range sub.Issues {
		if is.Severity == Error {
			errs = append(errs, is.Field)
		}
	}
	if got := strings.Join(errs, " "); got != "actual_certified actual_unified_exam actual_high_skill actual_passed" {
		t.Errorf("errors on %s", got)
	}
}

// TestReadBytesIsRead: the pipeline's ReadBytes says what Read says, for
// valid workbooks and for every file of the hostile corpus, and leaves the
// bytes as they were.
func TestReadBytesIsRead(t *testing.T) {
	std := tmplTestStd(t)
	files := []string{readTestLibreOffice, readTestRowInserted}
	hostile, err := filepath.Glob("testdata/hostile/*")
	if err != nil || len(hostile) == 0 {
		t.Fatalf("no hostile corpus: %v", err)
	}
	files = append(files, hostile...)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		orig := bytes.Clone(b)
		base := filepath.Base(file)
		want := readTest(bytes.NewReader(b), base, std, Limits{})
		got := (&Reader{Standard: std}).ReadBytes(b, base)
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) {
			t.Errorf("%s: ReadBytes gave\n%s\nRead gave\n%s", base, gj, wj)
		}
		if !bytes.Equal(b, orig) {
			t.Errorf("%s: ReadBytes changed the bytes it read", base)
		}
	}
}

// readTest reads an upload as the pipeline does, with the fast reader.
func readTest(r io.Reader, file string, std *templates.Standard, lim Limits) *Submission {
	return (&Reader{Standard: std, Limits: lim}).Read(r, file)
}

// BenchmarkReadBytes reads one filled workbook (the pipeline's way, from
// memory) with the fast reader, and with Slow set: go test ./sheets -run '^$'
// -bench ReadBytes.
func BenchmarkReadBytes(b *testing.B) {
	std := tmplTestStd(b)
	template := tmplTestWrite(b, std, tmplTestInst(b, std, "省常技"))
	var buf bytes.Buffer
	if err := Fill(bytes.NewReader(template), &buf, readTestBase()); err != nil {
		b.Fatal(err)
	}
	for _, slow := range []bool{false, true} {
		name := "fast"
		if slow {
			name = "slow"
		}
		b.Run(name, func(b *testing.B) {
			rd := &Reader{Standard: std, Slow: slow}
			for b.Loop() {
				if sub := rd.ReadBytes(buf.Bytes(), "x.xlsx"); !sub.Accepted() {
					b.Fatal(sub.Issues)
				}
			}
		})
	}
}
