package state

import (
	"encoding/json"
	"time"
)

// Published is one run that wrote a report: which report, and the 核查表
// it applied, so that every published number can be traced to its inputs
// (the uploads are the records consumed by this run or before it).
type Published struct {
	Run    string    `json:"run"`
	At     time.Time `json:"at"`
	Report string    `json:"report"`           // its dated copy in the outbox
	Review *Review   `json:"review,omitempty"` // nil: no 核查表 configured
}

// Review is the 核查表 a run read.
type Review struct {
	Source   string    `json:"source"` // a path or a URL, never a password
	Found    bool      `json:"found"`  // false: none there yet, nothing verified
	Modified time.Time `json:"modified,omitzero"`
	SHA256   string    `json:"sha256,omitempty"`
	Findings int       `json:"findings"`
}

// AddPublished records a run that wrote a report; it is written with the
// records at the next Commit.
func (l *Ledger) AddPublished(p Published) { l.Published = append(l.Published, p) }

// LastPublished is the newest run that wrote a report, nil when none did.
func (l *Ledger) LastPublished() *Published {
	if len(l.Published) == 0 {
		return nil
	}
	return &l.Published[len(l.Published)-1]
}

// appendPublished ends the ledger's JSON with the runs that published, one
// to a line, after the records' list (Commit).
func (l *Ledger) appendPublished(buf []byte) ([]byte, error) {
	if len(l.Published) == 0 {
		return buf, nil
	}
	buf = append(buf, ",\n\"published\": ["...)
	for i := range l.Published {
		b, err := json.Marshal(&l.Published[i])
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		buf = append(buf, b...)
	}
	return append(buf, "\n]"...), nil
}
