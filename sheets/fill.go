package sheets

import (
	"fmt"
	"io"
	"sort"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/layout"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// Fill copies the workbook read from r to w with each named field's cell
// set to its value: a string becomes a text cell, an integer or
// templates.Points a number, a bool a boolean, nil an empty cell. Fields are
// found by their workbook-scope defined names, as the reader finds them.
// A string is always a text cell, never a formula, whatever it begins with.
// It returns an error wrapping ErrUnknownName for a name the workbook does
// not define, ErrCellTooLong for a string longer than a cell holds (nothing
// is written then), and an error for an unsupported value type or when
// reading or writing fails.
func Fill(r io.Reader, w io.Writer, values map[string]any) error {
	f, err := excelize.OpenReader(r, excelize.Options{
		UnzipSizeLimit:    DefaultLimits().UnzipSizeLimit,
		UnzipXMLSizeLimit: DefaultLimits().UnzipXMLSizeLimit,
	})
	if f != nil {
		defer f.Close()
	}
	if err != nil {
		return fmt.Errorf("filling: opening the workbook: %w", err)
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	table := book.Resolve(f)
	for _, n := range names {
		at, why, ok := table.Lookup(n)
		if !ok {
			return fmt.Errorf("filling %q: %w (%s)", n, ErrUnknownName, why)
		}
		if err := nameSetCell(f, at, values[n]); err != nil {
			return fmt.Errorf("filling %q: %w", n, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("filling: writing the workbook: %w", err)
	}
	return nil
}

// nameSetCell writes v into the cell at.
func nameSetCell(f *excelize.File, at book.Place, v any) error {
	switch x := v.(type) {
	case nil:
		return f.SetCellValue(at.Sheet, at.Cell, nil)
	case string:
		if n := text.Units(x); n > layout.MaxChars { // excelize would cut it silently
			return fmt.Errorf("%w: %s!%s would hold %d characters (UTF-16 units), Excel allows %d", ErrCellTooLong, at.Sheet, at.Cell, n, layout.MaxChars)
		}
		return f.SetCellStr(at.Sheet, at.Cell, x)
	case int:
		return f.SetCellInt(at.Sheet, at.Cell, int64(x))
	case int64:
		return f.SetCellInt(at.Sheet, at.Cell, x)
	case int32:
		return f.SetCellInt(at.Sheet, at.Cell, int64(x))
	case templates.Points:
		return f.SetCellFloat(at.Sheet, at.Cell, x.Float(), -1, 64)
	case float64:
		return f.SetCellFloat(at.Sheet, at.Cell, x, -1, 64)
	case bool:
		return f.SetCellBool(at.Sheet, at.Cell, x)
	}
	return fmt.Errorf("unsupported value type %T", v)
}
