package writers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets"
	"kaohe/templates"
)

// filled is 省常技's template filled by excelize.
func filled(t *testing.T) []byte {
	t.Helper()
	std, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	in, ok := std.Institution("省常技国家职业技能鉴定所")
	if !ok {
		t.Fatal("no 省常技")
	}
	var tmpl, out bytes.Buffer
	if err := sheets.WriteTemplateWith(&tmpl, std, in, sheets.TemplateOptions{Token: "tok\"en"}); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"actual_appraised": "9,500", "actual_certified": "８４５０", "actual_passed": 7925,
		"contact_name": " 张三 <&> ", "i6_online_pilot": "是", "self_1": templates.Points(2930)}
	if err := sheets.Fill(bytes.NewReader(tmpl.Bytes()), &out, values); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// cells is every defined name with the value of the cell it points at, as
// excelize reads them.
func cells(t *testing.T, b []byte) map[string]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		key := dn.Scope + "/" + dn.Name
		sheet, cell, ok := strings.Cut(strings.ReplaceAll(dn.RefersTo, "$", ""), "!")
		if !ok || strings.Contains(cell, ":") {
			out[key] = strings.ReplaceAll(dn.RefersTo, "'", "") // Excel unquotes sheet names
			continue
		}
		v, err := f.GetCellValue(strings.Trim(sheet, "'"), cell, excelize.Options{RawCellValue: true})
		if err != nil {
			out[key] = "error: " + err.Error() // Gnumeric's print areas of #REF!
			continue
		}
		typ, _ := f.GetCellType(strings.Trim(sheet, "'"), cell)
		out[key] = strings.Trim(sheet, "'") + "!" + cell + "=" + v + "/" + string(rune('0'+typ))
	}
	return out
}

func TestRewriteKeepsFields(t *testing.T) {
	orig := filled(t)
	want := cells(t, orig)
	if len(want) < len(templates.Fields) {
		t.Fatalf("%d names in the filled workbook", len(want))
	}
	for _, w := range []Writer{Excel, WPS} {
		t.Run(string(w), func(t *testing.T) {
			b, err := Rewrite(w, orig)
			if err != nil {
				t.Fatal(err)
			}
			got := cells(t, b)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q", k, got[k], v)
				}
			}
			again, err := Rewrite(w, orig)
			if err != nil || !bytes.Equal(again, b) {
				t.Error("rewriting the same workbook twice gives different bytes")
			}
			p, err := readPkg(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range p.names {
				if strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") {
					if !bytes.HasPrefix(p.parts[name], []byte("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<")) {
						t.Errorf("%s starts %.60q", name, p.parts[name])
					}
					if _, err := parseXML(p.parts[name]); err != nil {
						t.Errorf("%s: %v", name, err)
					}
				}
			}
		})
	}
}

func TestXMLRoundTrip(t *testing.T) {
	in := `<a xmlns="u" xmlns:x="v" x:k="1 &amp; &quot;2&quot;&#10;"><b/><c>t &lt;&amp;&gt; 中</c><x:d k="v"></x:d> <e> </e></a>`
	n, err := parseXML([]byte(`<?xml version="1.0"?>` + in))
	if err != nil {
		t.Fatal(err)
	}
	got := string(xmlStyle{selfClose: true, escapeGT: true, attrNewline: "&#10;"}.write(n))
	want := `<a xmlns="u" xmlns:x="v" x:k="1 &amp; &quot;2&quot;&#10;"><b/><c>t &lt;&amp;&gt; 中</c><x:d k="v"/> <e> </e></a>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if unquoteRef("'完成情况'!$C$5") != "完成情况!$C$5" || unquoteRef("'Sheet 1'!$A$1") != "'Sheet 1'!$A$1" || unquoteRef("'自评分'!$3:$3") != "自评分!$3:$3" {
		t.Error("unquoteRef")
	}
}

// TestWrite writes two workbooks with every writer and checks the fields
// survive (the programs must be installed: CI installs them; -short skips).
func TestWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs openpyxl, LibreOffice and Gnumeric")
	}
	orig := filled(t)
	want := cells(t, orig)
	dir := t.TempDir()
	std, _, _ := templates.Load(2013)
	in, _ := std.Institution("省常技国家职业技能鉴定所")
	var tmpl bytes.Buffer
	if err := sheets.WriteTemplateWith(&tmpl, std, in, sheets.TemplateOptions{Token: "tok\"en"}); err != nil {
		t.Fatal(err)
	}
	tp, fp := filepath.Join(dir, "template.xlsx"), filepath.Join(dir, "filled.xlsx")
	os.WriteFile(tp, tmpl.Bytes(), 0o644)
	os.WriteFile(fp, orig, 0o644)
	values := map[string]any{"actual_appraised": "9,500", "actual_certified": "８４５０", "actual_passed": 7925,
		"contact_name": " 张三 <&> ", "i6_online_pilot": "是", "self_1": templates.Points(2930)}
	need := map[Writer][]string{OpenPyXL: {"/usr/bin/python3", "-c", "import openpyxl"}, LibreOffice: {"soffice", "--version"}, Gnumeric: {"ssconvert", "--version"}}
	for _, w := range All {
		t.Run(string(w), func(t *testing.T) {
			if cmd := need[w]; cmd != nil {
				if err := exec.Command(cmd[0], cmd[1:]...).Run(); err != nil {
					if os.Getenv("CI") != "" {
						t.Fatalf("%s is needed (.ci/run installs it): %v", cmd[0], err)
					}
					t.Skipf("%s is not installed: %v", cmd[0], err)
				}
			}
			var jobs []Job
			for i := range 2 {
				jobs = append(jobs, Job{Template: tp, Filled: fp, Values: values, Out: filepath.Join(dir, fmt.Sprintf("%s-%d.xlsx", w, i))})
			}
			var last atomic.Int64
			err := Write(context.Background(), w, jobs, Options{Nice: 10, Batch: 1, Progress: func(done, total int) {
				if total != 2 {
					t.Errorf("progress total %d", total)
				}
				last.Store(int64(done))
			}})
			if err != nil {
				t.Fatal(err)
			}
			if last.Load() != 2 {
				t.Errorf("progress ended at %d", last.Load())
			}
			for _, j := range jobs {
				got := cells(t, readFile(t, j.Out))
				for _, fd := range templates.Fields {
					k := "Workbook/" + fd.Name
					g, wv := got[k], want[k]
					if w == Gnumeric || w == LibreOffice || w == OpenPyXL {
						// the cell types of text differ (inline, shared): compare the values
						g, wv = strings.Split(g, "/")[0], strings.Split(wv, "/")[0]
					}
					if g != wv && !sameNumber(g, wv) {
						t.Errorf("%s: %s %q, want %q", j.Out, k, g, wv)
					}
				}
			}
		})
	}
}

// sameNumber: Gnumeric writes 29.3 as 29.2999999999999999993 (the
// reader rounds to 15 significant digits, as Excel shows numbers).
func sameNumber(a, b string) bool {
	_, av, _ := strings.Cut(a, "=")
	_, bv, _ := strings.Cut(b, "=")
	x, err1 := strconv.ParseFloat(av, 64)
	y, err2 := strconv.ParseFloat(bv, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) < 1e-9
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	for _, w := range All {
		if got, err := Parse(" " + strings.ToUpper(string(w))); err != nil || got != w {
			t.Errorf("Parse(%s) = %q, %v", w, got, err)
		}
	}
	if _, err := Parse("lotus"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "libreoffice") {
		t.Errorf("Parse(lotus): %v", err)
	}
}
