// Package officetest runs, for tests, the office programs people save
// workbooks with: a test that needs one fails under CI when it is missing
// (CI installs it) and is skipped elsewhere, or with -short.
package officetest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"kaohe/sheets/writers"
)

// Need returns the path of program (soffice, ssconvert, …), what being
// what it is for people: a missing program fails t under CI, skips it
// elsewhere; -short skips it too.
func Need(t testing.TB, program, what string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	switch {
	case err != nil && os.Getenv("CI") != "":
		t.Fatalf("%s (%s) is not installed", program, what)
	case err != nil:
		t.Skipf("%s (%s) is not installed", program, what)
	case testing.Short():
		t.Skipf("runs %s", what)
	}
	return p
}

// LibreOffice returns data, a workbook named name (its extension says
// what it is), as LibreOffice saves it again as .xlsx (soffice --headless
// --convert-to xlsx, with a profile of its own).
func LibreOffice(t testing.TB, data []byte, name string) []byte {
	t.Helper()
	soffice := Need(t, "soffice", "LibreOffice")
	dir := t.TempDir()
	in := filepath.Join(dir, name)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "lo")
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--convert-to", "xlsx", "--outdir", out, in)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, o)
	}
	saved, err := os.ReadFile(filepath.Join(out, name[:len(name)-len(filepath.Ext(name))]+".xlsx"))
	if err != nil {
		t.Fatalf("soffice wrote nothing for %s: %v", name, err)
	}
	return saved
}

// Python is Debian's python3, which python3-openpyxl extends (a python3
// earlier on PATH may lack openpyxl).
const Python = "/usr/bin/python3"

// OpenPyXL runs script (a path) with --batch and a file of jobs, as JSON:
// the scripts of sheets/testdata and fill.py (FillScript) fill workbooks
// with openpyxl, a writer other than excelize. A missing openpyxl fails t
// under CI and skips it elsewhere.
func OpenPyXL(t testing.TB, script string, jobs any) {
	t.Helper()
	if out, err := exec.Command(Python, "-c", "import openpyxl").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("%s with openpyxl is needed to fill workbooks (apt-get install python3-openpyxl): %v %s", Python, err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(spec, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(Python, script, "--batch", spec).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(script), err, out)
	}
}

// FillScript returns the path of a copy of fill.py (writers.FillScript),
// which fills workbooks by their defined names as an institution's own
// script would; its jobs are {"in", "out", "values"}.
func FillScript(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fill.py")
	if err := os.WriteFile(p, writers.FillScript(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
