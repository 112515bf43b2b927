// Package officetest runs, for tests, the office programs people save
// workbooks with: a test that needs one fails under CI when it is missing
// (CI installs it) and is skipped elsewhere, or with -short.
package officetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
