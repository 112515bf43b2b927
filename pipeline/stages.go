package pipeline

import "time"

// Stages is how long each step of a run took; the benchmark
// (cmd/kaohe-bench) prints them. Steps that did not happen are 0.
type Stages struct {
	List     time.Duration // listing the inbox, both looks and the settle pause
	Read     time.Duration // fetching, hashing, keeping a copy of and reading every new file
	Score    time.Duration // picking the uploads that count, scoring and ranking them
	Report   time.Duration // writing the ranking workbook and putting it into the outbox
	Receipts time.Duration // writing the receipts and putting them into the outbox
	Ledger   time.Duration // committing the ledger (before and after the moves)
	Archive  time.Duration // moving the inputs to archive/ and rejected/, copying receipts back
}

// stageClock measures consecutive steps.
type stageClock struct{ last time.Time }

func newStageClock() *stageClock { return &stageClock{last: time.Now()} }

// lap adds the time since the previous lap to *d.
func (c *stageClock) lap(d *time.Duration) {
	now := time.Now()
	*d += now.Sub(c.last)
	c.last = now
}
