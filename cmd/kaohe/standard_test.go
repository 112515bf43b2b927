package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestServeWithNewStandard: kaohe serve runs on a standard folder that
// kaohe standard new made (standard_dir), and its reports carry that year.
func TestServeWithNewStandard(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := os.ReadFile("../../sheets/testdata/allocation-2013.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "附件2.xlsx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("kaohe", "standard", "new", "--year", "2014", "--allocation", "附件2.xlsx", "--out", "标准2014")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kaohe standard new: %v\n%s", err, out)
	}
	drop(t, dir, "broken.xlsx")
	p := startKaohe(t, dir, nil, "serve", "--config", config(t, dir, `standard_dir = "标准2014"`), "--schedule", "0 0 1 1 *", "--run-now")
	p.waitFor(`msg="run done"`)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", code, p.stderr())
	}
	if !exists(filepath.Join(dir, "out", "汇总排名表-2014.xlsx")) {
		t.Errorf("no 汇总排名表-2014.xlsx:\n%s", p.stderr())
	}
}
