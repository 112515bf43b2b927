package state

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadLastRunCorrupt(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, lastRunFile), []byte("{"), 0o644)
	if _, err := ReadLastRun(dir); err == nil {
		t.Error("no error for a corrupt last-run.json")
	}
}

// TestLastRunRoundTrip: what WriteLastRun writes, ReadLastRun reads; no
// file is no run and no error.
func TestLastRunRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if lr, err := ReadLastRun(dir); lr != nil || err != nil {
		t.Fatalf("no file: %+v, %v", lr, err)
	}
	at := time.Date(2014, 1, 5, 2, 0, 0, 0, time.FixedZone("CST", 8*3600))
	want := LastRun{Run: "20140105-020000", Start: at, End: at.Add(time.Second), OK: true, New: 3, Accepted: 2, Rejected: 1, Report: "/srv/out/汇总排名表-2013.xlsx", LastSuccess: at}
	if err := WriteLastRun(dir, &want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLastRun(dir)
	if err != nil || got == nil || !got.Start.Equal(want.Start) || got.Report != want.Report || got.Accepted != 2 || !got.LastSuccess.Equal(at) {
		t.Errorf("read back %+v, %v; want %+v", got, err, want)
	}
}
