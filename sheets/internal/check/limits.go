// Package check is the one list of refusals: what an upload really is
// (sniff.go), what the XML parts the reader relies on may hold (scan.go),
// and the limits both apply. The fast reader asks these rules; it never
// codes one of its own.
package check

import (
	"time"

	"github.com/xuri/excelize/v2"
)

// Limits bound what reading one upload may cost. A zero field takes its
// default (DefaultLimits). Whatever passes a limit is refused with a
// Chinese message, never cut short silently.
type Limits struct {
	MaxFileBytes      int64 // the upload itself
	UnzipSizeLimit    int64 // all parts of the workbook, unzipped (as the zip directory declares them)
	UnzipXMLSizeLimit int64 // one XML part that is parsed (a sheet, the shared strings), unzipped
	MaxParts          int   // parts in the zip
	MaxSheets         int   // sheets in the workbook
	MaxRows           int   // the last row of a sheet holding a field
	MaxCells          int   // cells excelize would allocate for such a sheet (each row up to its last cell)
	MaxStrings        int   // shared strings
	MaxTextChars      int   // one field's text, in UTF-16 units: Excel's 32,767 per cell
	// Timeout bounds the whole read of one file; a file not read by then is
	// rejected as unreadable (see Read).
	Timeout time.Duration
}

// DefaultLimits: 20 MB per file, 64 MB unzipped, 16 MB per XML part, 1,000
// parts, 255 sheets, 10,000 rows and 200,000 cells in a sheet holding a
// field, 100,000 shared strings, 32,767 characters per field, 20 seconds per
// file. A self-assessment workbook is about 20 KB with about 60 rows and a
// few hundred cells. (excelize's own default unzip limit is 16 GB.)
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 20 << 20, UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20,
		MaxParts: 1000, MaxSheets: 255, MaxRows: 10_000, MaxCells: 200_000, MaxStrings: 100_000,
		MaxTextChars: excelize.TotalCellChars, Timeout: 20 * time.Second}
}

// WithDefaults replaces zero or negative limits by the defaults.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.UnzipSizeLimit <= 0 {
		l.UnzipSizeLimit = d.UnzipSizeLimit
	}
	if l.UnzipXMLSizeLimit <= 0 {
		l.UnzipXMLSizeLimit = min(d.UnzipXMLSizeLimit, l.UnzipSizeLimit)
	}
	l.UnzipXMLSizeLimit = min(l.UnzipXMLSizeLimit, l.UnzipSizeLimit)
	for _, v := range []struct {
		p *int
		d int
	}{
		{&l.MaxParts, d.MaxParts}, {&l.MaxSheets, d.MaxSheets}, {&l.MaxRows, d.MaxRows},
		{&l.MaxCells, d.MaxCells}, {&l.MaxStrings, d.MaxStrings}, {&l.MaxTextChars, d.MaxTextChars},
	} {
		if *v.p <= 0 {
			*v.p = v.d
		}
	}
	l.MaxTextChars = min(l.MaxTextChars, excelize.TotalCellChars)
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}
