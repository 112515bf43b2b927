package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestLedgerCommit: a committed ledger reads back record for record, one
// record to a line; an empty one too.
func TestLedgerCommit(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	if back, err := OpenLedger(dir); err != nil || len(back.Records) != 0 {
		t.Fatalf("empty ledger read back as %v, %v", back, err)
	}
	at := time.Date(2013, 12, 20, 9, 30, 0, 0, time.UTC)
	for i := range 1001 {
		l.Add(Record{Hash: fmt.Sprintf("%064x", i), Name: fmt.Sprintf("机构%d/自评表\n\"%d\".xlsx", i, i), Size: int64(i), Received: at.Add(time.Duration(i) * time.Second),
			Institution: fmt.Sprintf("鉴定所%d", i), Outcome: OutcomeAccepted, Late: i%7 == 0, Errors: i % 3, Run: "20131231-020000", Copy: "files/x.zip", Receipt: "回执/r.xlsx"})
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != len(l.Records)+2 {
		t.Fatalf("%d lines for %d records", len(lines), len(l.Records))
	}
	for i, line := range lines[1 : len(lines)-1] {
		var r Record
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte(",")), &r); err != nil || r.Hash != l.Records[i].Hash {
			t.Fatalf("line %d is not record %d: %s (%v)", i+2, i, line, err)
		}
	}
	back, err := OpenLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Records, l.Records) {
		t.Error("the ledger read back differs from the one committed")
	}
	if r, ok := back.Lookup(l.Records[500].Hash); !ok || r.Name != l.Records[500].Name {
		t.Error("a record read back is not found by its hash")
	}
}
