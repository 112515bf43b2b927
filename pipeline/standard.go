package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"kaohe/sheets"
	"kaohe/templates"
)

// NewStandardOptions say how to make a new year's standard folder
// (kaohe standard new).
type NewStandardOptions struct {
	Year       int    // the new year
	Allocation string // the centre's 附件2 workbook (.xlsx)
	Out        string // the folder to write allocation.csv and rules.toml into
	// From is the standard the rules are copied from and the allocation is
	// compared with: a standard folder, or the year of an embedded one
	// ("2013"); "" for the newest embedded year.
	From    string
	Replace bool // replace the two files when Out has them already
}

// NewStandardResult is what NewStandard found and did, for people.
type NewStandardResult struct {
	Table  *sheets.AllocationTable // nil when the workbook could not be read
	Issues []sheets.Issue          // the workbook's errors and warnings, each naming its cell
	// Notices are warnings about the allocation (a 取证 target far below
	// the 鉴定 target, institutions not adding up to the 全市目标数 row),
	// each naming its cell.
	Notices []string
	From    *templates.Standard // the standard copied and compared with
	Changes templates.Changes   // from From's allocation to the new one
	Draft   *templates.Draft    // the new standard, as written
	Written []string            // the files written
}

// NewStandard makes a year's standard folder from the centre's 附件2
// workbook and another year's rules: it reads and checks the workbook,
// compares it with From's allocation, and writes Out/allocation.csv and
// Out/rules.toml (copied from From, with the year, title and city targets
// changed), each atomically. Nothing is written when the workbook has an
// error (the error wraps ErrAllocation, the result's Issues say where), or
// when Out has the files already and Replace is not set
// (templates.ErrExists). The result says what was found even then.
func NewStandard(opt NewStandardOptions) (*NewStandardResult, error) {
	res := &NewStandardResult{}
	if err := templates.CheckYear(opt.Year); err != nil {
		return res, fmt.Errorf("%w: 年度 %v", ErrConfig, err)
	}
	fromFS, from, err := openStandard(opt.From)
	if err != nil {
		return res, err
	}
	res.From = from
	f, err := os.Open(opt.Allocation)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("找不到附件2工作簿 %s", opt.Allocation)
		}
		return res, fmt.Errorf("读取附件2 %s: %w", opt.Allocation, err)
	}
	defer f.Close()
	name := filepath.Base(opt.Allocation)
	res.Table, res.Issues = sheets.ReadAllocation(f, name)
	errs := 0
	for _, i := range res.Issues {
		if i.Severity == sheets.Error {
			errs++
		}
	}
	if errs > 0 {
		return res, fmt.Errorf("%w: %s 有 %d 处错误，什么都没有写出", ErrAllocation, name, errs)
	}
	a := &res.Table.Allocation
	notices := templates.RatioNotices(a.Institutions, from.MinCertifiedRatioPercent)
	if a.HasCity {
		notices = append(notices, templates.CityNotices(a.Institutions, a.City)...)
	}
	for _, n := range notices {
		res.Notices = append(res.Notices, fmt.Sprintf("%s「%s」: %s", a.Place(n.Row, n.Col), templates.AllocationColumns[n.Col], n.Message))
	}
	res.Changes = templates.Compare(from, a.Institutions, opt.Year)
	if res.Draft, err = templates.NewYear(fromFS, from, opt.Year, a, opt.Out); err != nil {
		return res, err
	}
	res.Written, err = res.Draft.Write(opt.Out, opt.Replace)
	return res, err
}

// openStandard opens the standard named by from: a folder, the year of an
// embedded standard, or "" for the newest embedded one.
func openStandard(from string) (fs.FS, *templates.Standard, error) {
	if from == "" {
		ys := templates.Years()
		from = strconv.Itoa(ys[len(ys)-1])
	}
	var fsys fs.FS
	source := from
	if y, err := strconv.Atoi(from); err == nil {
		if fsys, err = templates.FS(y); err != nil {
			return nil, nil, err
		}
		source = fmt.Sprintf("内置 %d 年标准", y)
	} else {
		fsys = os.DirFS(from)
	}
	std, _, err := templates.LoadFS(fsys, source)
	return fsys, std, err
}
