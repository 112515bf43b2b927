package sheets

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// Link is one institution's private upload link for the centre to send.
type Link struct {
	Institution string
	URL         string
}

// WriteLinks writes the workbook of upload links the centre sends out: one
// sheet 上传链接, columns 鉴定机构 and 上传链接, one row per link, every
// value a text cell (a link is never turned into a formula or a hyperlink
// that hides it).
func WriteLinks(w io.Writer, links []Link) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "上传链接"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE7F3"}}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 34); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 90); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: head, Value: "鉴定机构"}, excelize.Cell{StyleID: head, Value: "上传链接"}}); err != nil {
		return err
	}
	for i, l := range links {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{excelize.Cell{StyleID: text, Value: l.Institution}, excelize.Cell{StyleID: text, Value: l.URL}}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	f.SetDocProps(&excelize.DocProperties{Title: "鉴定机构考核 上传链接", Creator: "kaohe"})
	_, err = f.WriteTo(w)
	return err
}
