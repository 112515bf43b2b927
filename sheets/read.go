package sheets

import (
	"bytes"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/sheets/internal/book"
	"kaohe/sheets/internal/check"
	"kaohe/sheets/internal/fast"
	"kaohe/sheets/internal/text"
	"kaohe/templates"
)

// Limits bound what reading one upload may cost; a zero field takes its
// default (DefaultLimits). Whatever passes a limit is refused with a
// Chinese message, never cut short silently.
type Limits = check.Limits

// DefaultLimits: 20 MB per file, 64 MB unzipped, 16 MB per XML part, 1,000
// parts, 255 sheets, 10,000 rows and 200,000 cells in a sheet holding a
// field, 100,000 shared strings, 32,767 characters per field, 20 seconds per
// file. A self-assessment workbook is about 20 KB with about 60 rows and a
// few hundred cells. (excelize's own default unzip limit is 16 GB.)
func DefaultLimits() Limits { return check.DefaultLimits() }

// Reader reads uploaded self-assessment workbooks against one year's
// standard. Fields are found by their workbook-scope defined names only
// (spec/template.md). A Reader is safe for concurrent use.
//
// Every upload is sniffed first, once (check.Sniff: what the file really
// is, from its bytes). Then the fast reader (internal/fast) reads the
// field cells straight from the zip, asking the same rules the scan applies
// (internal/check); when it cannot answer for a workbook exactly as
// excelize would read it, the scan (check.Scan: sizes, well-formedness, no
// DTD, rows and cells within the limits) bounds what excelize then opens.
// Both paths give the same Submission.
type Reader struct {
	Standard *templates.Standard
	Limits   Limits
	// Slow reads every workbook through the scan and excelize, never the
	// fast reader: the same answers, about ten times slower. Tests and
	// benchmarks compare the two.
	Slow bool

	hold func() // test hook: runs first in the reading goroutine
}

// Read reads one uploaded workbook (file is its name, for messages), at
// most Limits.MaxFileBytes of it. It never panics and never returns nil:
// whatever is wrong with the file, its fields or their values becomes an
// Issue, and the submission is accepted when no issue is an Error. The
// read runs in a goroutine; when it takes longer than Limits.Timeout, Read
// returns a submission rejected as unreadable and the goroutine is left to
// finish on its own (it holds only this file's memory; the checks bound it).
func (r *Reader) Read(in io.Reader, file string) *Submission {
	return r.within(file, func(sub *Submission, lim Limits, refused func(*Issue)) {
		data, err := readUpload(in, lim.MaxFileBytes+1)
		if err != nil {
			refused(refuse("读取文件失败，请重新上传", "reading the upload: "+err.Error()))
			return
		}
		r.read(sub, data, lim, refused)
	})
}

// ReadBytes is Read of a workbook already in memory, without copying it:
// data must not change while ReadBytes runs, nor after it has returned on
// a timeout (the read then goes on in its goroutine).
func (r *Reader) ReadBytes(data []byte, file string) *Submission {
	return r.within(file, func(sub *Submission, lim Limits, refused func(*Issue)) {
		r.read(sub, data, lim, refused)
	})
}

// refuse is an Error about the whole file: msg for people, cause for the log.
func refuse(msg, cause string) *Issue {
	return &Issue{Severity: Error, Message: msg, Cause: cause}
}

// refusal is the issue of a check's refusal.
func refusal(r *check.Refusal) *Issue {
	return &Issue{Severity: Error, Sheet: r.Sheet, Cell: r.Cell, Field: r.Field, Label: r.Label, Message: r.Message, Cause: r.Cause}
}

// within runs read in a goroutine, with the limits' defaults filled in,
// and returns its submission, or one rejected as unreadable once
// Limits.Timeout has passed (see Read).
func (r *Reader) within(file string, read func(sub *Submission, lim Limits, refused func(*Issue))) *Submission {
	lim := r.Limits.WithDefaults()
	done := make(chan *Submission, 1)
	go func() {
		sub := &Submission{File: file}
		defer func() {
			if p := recover(); p != nil {
				sub.Issues = append(sub.Issues, Issue{Severity: Error, File: file,
					Message: "工作簿内容异常，无法读取；" + check.Resave,
					Cause:   fmt.Sprintf("panic: %v\n%s", p, debug.Stack())})
			}
			done <- sub
		}()
		if r.hold != nil {
			r.hold()
		}
		read(sub, lim, func(is *Issue) {
			is.File = sub.File
			sub.Issues = append(sub.Issues, *is)
		})
	}()
	timer := time.NewTimer(lim.Timeout)
	defer timer.Stop()
	select {
	case sub := <-done:
		return sub
	case <-timer.C:
		return &Submission{File: file, Issues: []Issue{{Severity: Error, File: file,
			Message: fmt.Sprintf("读取超时：%s 内没有读完，文件可能已损坏或内容异常，未读取；%s", lim.Timeout, check.Resave),
			Cause:   fmt.Sprintf("read deadline of %s passed", lim.Timeout)}}}
	}
}

// read reads the workbook data into sub; refused records an issue.
func (r *Reader) read(sub *Submission, data []byte, lim Limits, refused func(*Issue)) {
	fr := &fieldReader{sub: sub, std: r.Standard, lim: lim}
	if r.Standard == nil {
		fr.issue(Error, nil, book.Place{}, "", "没有可用的考核评分标准，无法校验")
		return
	}
	if int64(len(data)) > lim.MaxFileBytes {
		refused(refuse(fmt.Sprintf("文件超过 %s MB，不像是自评表（正常约 20 KB）；请使用市中心下发的模板填写后重新上传", text.MB(lim.MaxFileBytes)),
			fmt.Sprintf("file larger than %d bytes", lim.MaxFileBytes)))
		return
	}
	pkg, no := check.Sniff(data, sub.File, lim)
	if no != nil {
		refused(refusal(no))
		return
	}
	if !r.Slow {
		if b := fast.Open(pkg, lim); b != nil { // what the scan and excelize would find, in a tenth of the time
			fr.book = b
			fr.read()
			if !b.Missed() {
				return
			}
			*sub = Submission{File: sub.File}
			*fr = fieldReader{sub: sub, std: r.Standard, lim: lim}
		}
	}
	if nos := check.Scan(pkg, lim); len(nos) > 0 {
		for i := range nos {
			refused(refusal(&nos[i]))
		}
		return
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    lim.UnzipSizeLimit,
		UnzipXMLSizeLimit: lim.UnzipXMLSizeLimit,
	})
	if f != nil {
		defer f.Close()
	}
	if err != nil {
		msg := "不是可读取的 .xlsx 工作簿；" + check.Resave
		if strings.Contains(err.Error(), "unzip size exceeds") {
			msg = fmt.Sprintf("工作簿解压后超过 %s MB，不像是自评表；请使用市中心下发的模板填写后重新上传", text.MB(lim.UnzipSizeLimit))
		}
		refused(refuse(msg, "excelize: "+err.Error()))
		return
	}
	fr.book = book.Excel{File: f}
	fr.read()
}

// readUpload is io.ReadAll(io.LimitReader(r, limit)), in one allocation of
// the right size when r is a bytes.Reader (as the pipeline's uploads are).
func readUpload(r io.Reader, limit int64) ([]byte, error) {
	if br, ok := r.(*bytes.Reader); ok && int64(br.Len()) < limit {
		b := make([]byte, br.Len())
		n, err := io.ReadFull(br, b)
		if err == io.EOF {
			err = nil // nothing to read
		}
		return b[:n], err
	}
	return io.ReadAll(io.LimitReader(r, limit))
}
