// Package sheets is everything excelize: it builds the self-assessment
// workbook (自评表), reads a submission by its defined names, and writes the
// ranking workbook (汇总排名表) and the receipts (回执). It takes io.Reader and
// io.Writer, never paths or network connections, and holds no scoring logic.
package sheets

import (
	"errors"
	"time"

	"kaohe/sheets/internal/layout"
	"kaohe/templates"
	"kaohe/templates/score"
)

// ErrCellTooLong is returned, wrapped with the sheet and cell, when a text is
// longer than one Excel cell can hold (32,767 UTF-16 code units). The
// writers never truncate a text silently.
var ErrCellTooLong = layout.ErrTooLong

// Severity says whether an issue rejects a submission.
type Severity string

// The two severities.
const (
	Error   Severity = "错误" // the submission is rejected
	Warning Severity = "提醒" // accepted, but someone should look
)

// Issue is one problem found in a submission. Every field but Message may be
// empty when it does not apply (a file that is not a workbook has no cell).
type Issue struct {
	Severity Severity
	File     string // the uploaded file's name
	Sheet    string // e.g. 完成情况
	Cell     string // e.g. C5
	Field    string // defined name, e.g. actual_certified
	Label    string // the field's Chinese label
	Value    string // the value found, as text
	Message  string // what is wrong and what was expected, in Chinese
	// Cause is the technical cause in English, for the log, when there is
	// one (a file refused before its fields are read: not a zip, a zip
	// bomb, malformed XML); people see Message.
	Cause string
}

// Place is "sheet!cell", or "" when the issue has no cell.
func (i Issue) Place() string {
	if i.Sheet == "" && i.Cell == "" {
		return ""
	}
	return i.Sheet + "!" + i.Cell
}

// String is the one-line form people read, e.g.
// `完成情况!C5「职业资格取证人数 实际完成」: 「一千二」不是非负整数`.
func (i Issue) String() string {
	s := i.Place()
	if i.Label != "" {
		s += "「" + i.Label + "」"
	}
	if s != "" {
		s += ": "
	}
	return s + i.Message
}

// Submission is one workbook as read: its facts and everything found wrong.
type Submission struct {
	File         string
	Institution  templates.Institution // resolved against the allocation; zero when unknown
	Facts        score.Facts
	ContactName  string
	ContactPhone string
	// Token is the workbook's template token (the defined name kaohe_token,
	// see TokenName), "" when it has none; the pipeline checks it when a
	// token secret is configured.
	Token  string
	Issues []Issue
}

// Accepted reports whether the submission has no errors (warnings allowed).
func (s *Submission) Accepted() bool { return s.Errors() == 0 }

// Errors counts the issues of severity Error.
func (s *Submission) Errors() int {
	n := 0
	for _, i := range s.Issues {
		if i.Severity == Error {
			n++
		}
	}
	return n
}

// Status is an institution's standing in a report.
type Status string

// The statuses of institutions (排名, 提交情况) and of uploads (提交情况,
// receipts).
const (
	StatusAccepted    Status = "已接受"
	StatusRejected    Status = "未通过校验"
	StatusMissing     Status = "未提交"
	StatusSuperseded  Status = "被替代"
	StatusLateRefused Status = "逾期，不予受理" // received after the deadline with late = "refuse"
	StatusDuplicate   Status = "重复，已收过"  // the same bytes as an upload received before
	// StatusLate is not a status of its own: it marks an upload received
	// after the deadline and taken anyway (late = "flag"), beside its status.
	StatusLate Status = "逾期"
	// StatusAcceptedLate is how the report, the receipt and the portal
	// show an upload received after the deadline and taken (late = "flag").
	StatusAcceptedLate = StatusAccepted + "（" + StatusLate + "）"
)

// Upload is one consumed file as the report and receipts show it.
type Upload struct {
	File        string    // the name it was uploaded under
	Institution string    // as resolved, or as written in the workbook when unknown
	Received    time.Time // upload (modification) time
	Hash        string    // hex SHA-256
	Status      Status    // 已接受, 未通过校验, 被替代, 逾期，不予受理, 重复，已收过
	Late        bool      // 逾期: received after the deadline and taken (late = "flag")
	Errors      int
	Warnings    int
	Note        string // e.g. why it was superseded or refused
}

// ShortHash is the first 12 hex digits of the hash.
func (u Upload) ShortHash() string {
	if len(u.Hash) > 12 {
		return u.Hash[:12]
	}
	return u.Hash
}

// Standing is one institution's line in the report: its ranked result when
// it has an accepted submission, else why not.
type Standing struct {
	Institution templates.Institution
	Status      Status        // 已接受, 未通过校验, 逾期，不予受理 or 未提交
	Ranked      *score.Ranked // nil unless accepted
	Upload      *Upload       // the submission that counts (or the latest rejected one); nil when 未提交
}

// Report is everything the 汇总排名表 shows.
type Report struct {
	Standard *templates.Standard
	// AsOf is when the newest upload counted was received: the data are as
	// of then (数据截至). It is not when the report was written, so a run
	// with nothing new writes the same cells.
	AsOf time.Time
	// Standings lists every institution: the ranked ones in rank order, then
	// the others in allocation order.
	Standings []Standing
	Uploads   []Upload // every file consumed so far, newest first
	Issues    []Issue  // every error and warning of the uploads that count
	// Review is the 核查表 the scores were verified with (核查记录,
	// report_review.go); nil when none is configured.
	Review *ReviewFile
}

// Receipt (回执) answers one consumed file.
type Receipt struct {
	Standard   *templates.Standard
	Upload     Upload
	Submission *Submission   // as read; nil when the file could not be read at all
	Result     *score.Result // verified scores when accepted
	Issued     time.Time     // when the receipt was written
	Deadline   time.Time     // the deadline for uploads; zero when none is set
	// Review is the 核查表 the result was verified with, when one is
	// configured: the receipt says what the centre verified by then.
	Review *ReviewFile
}

// FormatTime is how times appear in workbooks: 2013-12-31 18:05.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04")
}

// ErrUnknownName marks a field name that is not a workbook-scope defined
// name of the workbook (or does not point at one cell).
var ErrUnknownName = errors.New("no such defined name")
