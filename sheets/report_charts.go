package sheets

// The report's two charts, each on a sheet of its own printed on one page
// of A4 landscape: horizontal bars, one per institution, named by the
// short names people use (常武, 常武技, 常武交), the first at the top. The
// data of each chart stands beside it, outside the printed range.

import (
	"fmt"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
)

// The chart sheets' layout: the chart over columns A–N and the rows
// printed, its data in columns P–R.
const (
	repChartCols   = 14  // A–N: the chart, printed
	repChartRows   = 40  // rows printed: more than the chart takes wherever a row is 18 to 20 pixels
	repChartWidth  = 860 // pixels: narrower than A–N wherever a column unit is 6 to 8 pixels (LibreOffice, Excel)
	repChartHeight = 660
)

// repChartNames are the names on a chart's axis: each institution's short
// name (templates.ShortName), or its full name where two short names would
// read alike.
func repChartNames(names []string) []string {
	out := make([]string, len(names))
	seen := map[string]int{}
	for i, n := range names {
		out[i] = templates.ShortName(n)
		seen[out[i]]++
	}
	for i, n := range names {
		if seen[out[i]] > 1 {
			out[i] = n
		}
	}
	return out
}

// repChart is one chart sheet's content.
type repChart struct {
	sheet, title string // the sheet's name, the chart's title
	head         string // the values' column heading
	names        []string
	values       []excelize.Cell // one per name; an empty cell draws no bar
	axisFmt      string          // the value axis's number format
	labelFmt     string          // the bars' labels' number format
	color        string
}

// scoresChart is 核定总分图: every ranked institution's 核定总分, by rank.
func (b *repBuilder) scoresChart() *layout.Table {
	c := repChart{sheet: repSheetScores, title: fmt.Sprintf("%d年度鉴定机构核定总分（按名次）", b.std.Year),
		head: "核定总分", axisFmt: "0", labelFmt: "0.00", color: "4472C4"}
	names := make([]string, len(b.ranked))
	for i, s := range b.ranked {
		names[i] = s.Institution.Name
		c.values = append(c.values, layout.F(b.st.Score, s.Ranked.Total.Float()))
	}
	c.names = repChartNames(names)
	return b.chart(c)
}

// ratesChart is 取证完成率图: every institution's 取证完成率 (actual
// against target), in 附件2's order; none for one without a ranked
// submission or a target.
func (b *repBuilder) ratesChart() *layout.Table {
	c := repChart{sheet: repSheetRates, title: fmt.Sprintf("%d年度鉴定机构取证完成率（按目标分解表顺序）", b.std.Year),
		head: "取证完成率", axisFmt: "0%", labelFmt: "0.0%", color: "70AD47"}
	names := make([]string, len(b.std.Institutions))
	for i, in := range b.std.Institutions {
		names[i] = in.Name
		rate := layout.E(b.st.Pct)
		if s, ok := b.byName[in.Name]; ok && s.Ranked != nil && in.Targets.Certified > 0 {
			rate = layout.F(b.st.Pct, float64(s.Ranked.Actuals.Certified)/float64(in.Targets.Certified))
		}
		c.values = append(c.values, rate)
	}
	c.names = repChartNames(names)
	return b.chart(c)
}

// chart is the sheet of one chart: the chart drawn over A–N, its data in
// P–R (序号, 鉴定机构, the value), printed on one page.
func (b *repBuilder) chart(c repChart) *layout.Table {
	st := b.st
	t := &layout.Table{Name: c.sheet, Header: b.header(c.sheet), Footer: b.footer(), OnePage: true,
		PrintArea: fmt.Sprintf("A1:N%d", repChartRows)}
	for range repChartCols {
		t.Cols = append(t.Cols, layout.Col{Width: 10})
	}
	t.Cols = append(t.Cols, layout.Col{Width: 3}, layout.Col{Width: 6}, layout.Col{Min: 8, Max: 30}, layout.Col{Width: 11})
	lead := make([]excelize.Cell, repChartCols+1) // A–O stay empty
	row := func(cells ...excelize.Cell) []excelize.Cell {
		return append(append([]excelize.Cell{}, lead...), cells...)
	}
	t.AddH(22, row(layout.S(st.Header, "序号"), layout.S(st.Header, "鉴定机构"), layout.S(st.Header, c.head))...)
	t.AddLazyRows(len(c.names), func(i int) []excelize.Cell {
		return row(layout.I(st.Center, int64(i+1)), layout.S(st.Text, c.names[i]), c.values[i])
	})
	if len(c.names) > 0 {
		t.Before = func(f *excelize.File, sheet string) error { return b.addChart(f, sheet, c) }
	}
	return t
}

// addChart draws c over A–N of its sheet.
func (b *repBuilder) addChart(f *excelize.File, sheet string, c repChart) error {
	noVary := false
	axisFont := excelize.Font{Size: 10, Color: "000000"}
	q := "'" + sheet + "'"
	n := len(c.names)
	return f.AddChart(sheet, "A1", &excelize.Chart{
		Type:       excelize.Bar,
		VaryColors: &noVary,
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.title, Font: &excelize.Font{Bold: true, Size: 14, Color: "262626"}}}},
		Dimension:  excelize.ChartDimension{Width: repChartWidth, Height: repChartHeight},
		Legend:     excelize.ChartLegend{Position: "none"},
		Series: []excelize.ChartSeries{{
			Name:       q + "!$R$1",
			Categories: fmt.Sprintf("%s!$Q$2:$Q$%d", q, n+1),
			Values:     fmt.Sprintf("%s!$R$2:$R$%d", q, n+1),
			Fill:       excelize.Fill{Type: "pattern", Color: []string{c.color}, Pattern: 1},
		}},
		PlotArea: excelize.ChartPlotArea{ShowVal: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: c.labelFmt}},
		XAxis:    excelize.ChartAxis{Font: axisFont, ReverseOrder: true}, // the first at the top
		YAxis:    excelize.ChartAxis{Font: axisFont, MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: c.axisFmt}},
		Format:   excelize.GraphicOptions{AltText: c.title},
	})
}
