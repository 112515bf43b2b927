package pipeline

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kaohe/pipeline/state"
)

// TestPackCopies: a run keeps every upload it consumed, byte for byte, in
// one pack named in its records; a later run with nothing new reads them
// back for the same report; a state folder of the layout before packs
// (files/<hash>.xlsx, records without copy) is read the same; a copy that
// is not its upload any more is named as such, not read.
func TestPackCopies(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 7)
	var inputs [][]byte
	for _, in := range w.std.Institutions[:5] {
		w.upload(in.Name+".xlsx", in.Name, set[in.Name])
		b, err := os.ReadFile(filepath.Join(w.inbox, in.Name+".xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	w.drop("损坏.xlsx", []byte("not a workbook"))
	inputs = append(inputs, []byte("not a workbook"))
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(w.out, "汇总排名表-2013.xlsx")
	first := dump(t, report)

	l, err := state.OpenLedger(w.state)
	if err != nil {
		t.Fatal(err)
	}
	packs := files(t, filepath.Join(w.state, state.FilesDir))
	if len(packs) != 1 || len(l.Records) != len(inputs) {
		t.Fatalf("packs %q for %d records", packs, len(l.Records))
	}
	zr, err := zip.OpenReader(filepath.Join(w.state, state.FilesDir, packs[0]))
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		kept[strings.TrimSuffix(zf.Name, ".xlsx")] = b
	}
	zr.Close()
	for _, b := range inputs {
		sum := sha256.Sum256(b)
		if got, ok := kept[hex.EncodeToString(sum[:])]; !ok || !bytes.Equal(got, b) {
			t.Errorf("an upload of %d bytes is not in the pack as it came", len(b))
		}
	}
	for _, r := range l.Records {
		if r.Copy != state.FilesDir+"/"+packs[0] {
			t.Errorf("%s: copy %q, want %q", r.Name, r.Copy, state.FilesDir+"/"+packs[0])
		}
	}

	// Nothing new: the report is made again from the pack.
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if !equalCells(first, dump(t, report)) {
		t.Error("the report made again from the pack differs")
	}
	if got := files(t, filepath.Join(w.state, state.FilesDir)); len(got) != 1 {
		t.Errorf("a run with nothing new left %q", got)
	}

	// The layout before packs.
	os.Remove(filepath.Join(w.state, state.FilesDir, packs[0]))
	for hash, b := range kept {
		if err := os.WriteFile(filepath.Join(w.state, state.FilesDir, hash+".xlsx"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lb, err := os.ReadFile(filepath.Join(w.state, state.LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string][]map[string]any
	if err := json.Unmarshal(lb, &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw["records"] {
		delete(r, "copy")
	}
	if lb, err = json.Marshal(raw); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.state, state.LedgerFile), lb, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	if !equalCells(first, dump(t, report)) {
		t.Error("the report made from copies of the layout before packs differs")
	}

	// A copy changed since: not read, and said so.
	var victim string
	for _, r := range l.Records {
		if r.Outcome == state.OutcomeAccepted {
			victim = r.Institution
			b := bytes.Clone(kept[r.Hash])
			b[len(b)/2] ^= 0xff
			if err := os.WriteFile(filepath.Join(w.state, state.FilesDir, r.Hash+".xlsx"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	cells := dump(t, report)
	var said bool
	for _, row := range cells["校验问题"] {
		if strings.Contains(strings.Join(row, " "), "存档副本缺失或已损坏") {
			said = true
		}
	}
	if !said {
		t.Errorf("校验问题 does not say the copy of %s is damaged: %q", victim, cells["校验问题"])
	}
	for _, row := range cells["排名"] {
		if len(row) > 1 && row[1] == victim && row[0] != "" {
			t.Errorf("%s is still ranked from a damaged copy: %q", victim, row)
		}
	}
}

// TestPackFullDisk: when the copies cannot be kept (the state folder's disk
// is full), the run fails, no input moves and the ledger stays as it was;
// once there is room, the next run takes them all.
func TestPackFullDisk(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(w.state, state.FilesDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root and CAP_SYS_ADMIN): %v %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20-16<<10), 0o644); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	set := demoSet(w.std, 5)
	for _, in := range w.std.Institutions[:4] {
		w.upload(in.Name+".xlsx", in.Name, set[in.Name])
	}
	inputs := files(t, w.inbox)
	_, err := w.run()
	if err == nil || !strings.Contains(err.Error(), "keeping copies of the uploads") {
		t.Fatalf("run with no room for the copies: err = %v", err)
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(inputs, ",") {
		t.Errorf("inputs moved by a failed run: %q", got)
	}
	if l, err := state.OpenLedger(w.state); err != nil || len(l.Records) != 0 {
		t.Errorf("ledger after the failed run: %d records, %v", len(l.Records), err)
	}
	if got := files(t, dir); len(got) != 1 {
		t.Errorf("left in %s: %q", dir, got)
	}

	os.Remove(filler)
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.New != len(inputs) || len(files(t, w.inbox)) != len(inputs) { // all in archive/ now
		t.Errorf("next run: new %d of %d; inbox %q", s.New, len(inputs), files(t, w.inbox))
	}
	if got := files(t, dir); len(got) != 1 || !strings.HasSuffix(got[0], ".zip") {
		t.Errorf("copies after the next run: %q", got)
	}
}
