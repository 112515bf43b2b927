// Package book is a workbook as the reader sees it: its defined names
// resolved to cells, and a field cell's type, stored value and formula,
// whether excelize or the fast reader opened it.
package book

import "github.com/xuri/excelize/v2"

// Book is what the reader asks of a workbook.
type Book interface {
	// Names resolves the workbook's defined names (Resolve).
	Names() *Names
	// Cell is a field cell as excelize's GetCellFormula, GetCellType and
	// GetCellValue (raw) return it; an error when excelize cannot read it.
	Cell(at Place) (Cell, error)
	// State is a sheet's state as written in the workbook: "" or visible,
	// hidden, veryHidden (shown only by a macro), or another word.
	State(sheet string) string
}

// Excel is a workbook opened by excelize.
type Excel struct{ File *excelize.File }

// Names implements Book.
func (b Excel) Names() *Names { return Resolve(b.File) }

// State implements Book.
func (b Excel) State(sheet string) string {
	if wb := b.File.WorkBook; wb != nil { // excelize has no getter that tells hidden from veryHidden
		for _, s := range wb.Sheets.Sheet {
			if s.Name == sheet {
				return s.State
			}
		}
	}
	return ""
}

// Cell implements Book.
func (b Excel) Cell(at Place) (Cell, error) {
	var c Cell
	var err error
	if c.Formula, err = b.File.GetCellFormula(at.Sheet, at.Cell); err != nil {
		return c, err
	}
	if c.Type, err = b.File.GetCellType(at.Sheet, at.Cell); err != nil {
		return c, err
	}
	c.Raw, err = b.File.GetCellValue(at.Sheet, at.Cell, excelize.Options{RawCellValue: true})
	return c, err
}

// Cell is one field cell as stored.
type Cell struct {
	Type    excelize.CellType
	Raw     string // the stored value: a number as written in the file, or the text
	Formula string
}
