package web

// An institution's page, behind its private link: its name, targets and
// deadline, its own template, the upload form, the answer the moment a
// file is uploaded, and its own upload history.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/state"
	"kaohe/sheets"
	"kaohe/templates"
)

// institution returns the institution whose link the request carries, or
// answers 404 (429 once an address has guessed too often).
func (s *Server) institution(w http.ResponseWriter, r *http.Request) (templates.Institution, bool) {
	name, ok := s.links.Lookup(r.PathValue("token"))
	if in, known := s.std.Institution(name); ok && known {
		return in, true // a valid link always works, whoever guessed wrong from the same address
	}
	addr, now := s.addr(r), s.now()
	if until, blocked := s.guesses.blocked("link:"+addr, now); blocked {
		s.fail(w, r, http.StatusTooManyRequests, "尝试次数过多", fmt.Sprintf("请于 %s 之后再试。", until.In(s.cfg.Location()).Format("15:04")))
		return templates.Institution{}, false
	}
	s.guesses.fail("link:"+addr, now)
	s.record(r, "未登录", "denied", "unknown link")
	s.fail(w, r, http.StatusNotFound, "链接无效", "这个上传链接无效或已被更换。请使用市职业技能鉴定指导中心最近发给本机构的链接。")
	return templates.Institution{}, false
}

// instView is an institution's page.
type instView struct {
	Base, Link    string // Link: the page's own path, with its token
	Year          int
	Institution   templates.Institution
	Targets       [][2]string
	Deadline      string // "" when none
	Zone          string
	Closed, Late  bool // after the deadline: refused, or marked 逾期
	MaxMB         int64
	Result        *sheets.ReceiptView
	ResultReceipt string // the link to the answer's receipt
	ResultNote    string // what became of the file: put into the inbox, or why not
	History       []histRow
}

// histRow is one upload in an institution's history.
type histRow struct {
	Time     string
	File     string
	Outcome  string
	Good     bool
	Class    string // the outcome's tag: ok, late, bad
	Total    string
	Counts   bool   // the upload that counts in the report
	Pending  bool   // not yet consumed by a run
	Note     string // why it was not kept
	Receipt  string // the id of its receipt, "" when none
	sortTime time.Time
}

func (s *Server) instView(r *http.Request, in templates.Institution) *instView {
	v := &instView{Base: s.base, Link: s.base + "/i/" + r.PathValue("token"), Year: s.std.Year, Institution: in,
		MaxMB: s.cfg.MaxFileMB, Zone: s.cfg.Location().String()}
	t := in.Targets
	v.Targets = [][2]string{{"职业技能鉴定人数", fmt.Sprint(t.Appraised)}, {"职业资格取证人数", fmt.Sprint(t.Certified)},
		{"全国(省)统考人数", fmt.Sprint(t.UnifiedExam)}, {"新增高技能人才取证数", fmt.Sprint(t.HighSkill)}}
	if d := s.cfg.DeadlineTime(); !d.IsZero() {
		v.Deadline = d.In(s.cfg.Location()).Format("2006年1月2日 15:04")
		now := s.now()
		v.Closed = s.cfg.Closed(now)
		v.Late = !v.Closed && now.After(d)
	}
	return v
}

// history is an institution's uploads, newest first: through the portal
// (the journal) and by any other way (the ledger), with the run's outcome
// where a run has consumed them and the one that counts marked.
func (s *Server) history(name string, cv *view) []histRow {
	counts := ""
	for _, st := range cv.report.Standings {
		if st.Institution.Name == name && st.Status == sheets.StatusAccepted && st.Upload != nil {
			counts = st.Upload.Hash
		}
	}
	loc := s.cfg.Location()
	var rows []histRow
	shown := map[string]bool{}
	for _, u := range s.journal.Uploads() {
		if u.Institution != name {
			continue
		}
		row := histRow{sortTime: u.Time, Time: u.Time.In(loc).Format("2006-01-02 15:04:05"), File: sheets.PlainText(u.File),
			Receipt: "p" + strconv.Itoa(u.Seq)}
		rec, consumed := cv.ledger.Lookup(u.Hash)
		switch {
		case u.Refused != "":
			row.Outcome, row.Note, row.Class = "未通过校验", refusedNote(u.Refused), "bad"
			if u.Refused == refusedDuplicate {
				row.Outcome, row.Good = string(sheets.StatusDuplicate), u.Accepted()
				if row.Good {
					row.Class = "ok"
				}
			}
		case consumed:
			row.Good = rec.Outcome == state.OutcomeAccepted
			row.Outcome, row.Class = outcome(rec.Outcome, rec.Late)
			if rec.Receipt != "" {
				row.Receipt = "r" + rec.Hash[:16]
			}
		default:
			row.Good, row.Pending = u.Accepted(), cv.pending[u.Hash]
			row.Outcome, row.Class = outcome(u.Outcome, u.Late)
		}
		if u.Refused == "" {
			if row.Good {
				row.Total = templates.Points(u.Total).String()
			}
			row.Counts = u.Hash == counts
			shown[u.Hash] = true
		}
		rows = append(rows, row)
	}
	for i := range cv.ledger.Records { // uploads by other ways (a drop folder, FTP)
		rec := &cv.ledger.Records[i]
		if rec.Institution != name || shown[rec.Hash] {
			continue
		}
		row := histRow{sortTime: rec.Received, Time: rec.Received.In(loc).Format("2006-01-02 15:04:05"), File: sheets.PlainText(lastPart(rec.Name)),
			Good: rec.Outcome == state.OutcomeAccepted, Counts: rec.Hash == counts}
		row.Outcome, row.Class = outcome(rec.Outcome, rec.Late)
		if rec.Receipt != "" {
			row.Receipt = "r" + rec.Hash[:16]
		}
		if row.Counts {
			for _, st := range cv.report.Standings {
				if st.Institution.Name == name && st.Ranked != nil {
					row.Total = st.Ranked.Total.String()
				}
			}
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].sortTime.After(rows[j].sortTime) })
	return rows
}

// outcome is an upload's outcome as the report words it, and the class
// of its tag: ok, late (taken late, or refused for it) or bad.
func outcome(o state.Outcome, late bool) (label, class string) {
	switch {
	case o == state.OutcomeLate:
		return string(sheets.StatusLateRefused), "late"
	case o == state.OutcomeAccepted && late:
		return string(sheets.StatusAcceptedLate), "late"
	case o == state.OutcomeAccepted:
		return string(sheets.StatusAccepted), "ok"
	}
	return string(sheets.StatusRejected), "bad"
}

func lastPart(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

func refusedNote(why string) string {
	switch why {
	case refusedForeign:
		return "不是本机构的自评表，未收取"
	case refusedTooLarge:
		return "文件过大，未读取"
	case refusedDuplicate:
		return "与此前上传的文件完全相同，已收过"
	}
	return why
}

func (s *Server) instPage(w http.ResponseWriter, r *http.Request) {
	in, ok := s.institution(w, r)
	if !ok {
		return
	}
	v := s.instView(r, in)
	cv, err := s.current(0)
	if err != nil {
		s.log.Error("reading the standings", "err", err)
	} else {
		v.History = s.history(in.Name, cv)
	}
	s.render(w, http.StatusOK, "institution.html", v)
}

func (s *Server) instTemplate(w http.ResponseWriter, r *http.Request) {
	in, ok := s.institution(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := pipeline.WriteTemplateFor(&buf, &s.cfg, s.std, in); err != nil {
		s.log.Error("writing a template", "institution", in.Name, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "内部错误", "自评表生成失败，请稍后再试。")
		return
	}
	s.record(r, "机构:"+in.Name, "download", "template")
	s.download(w, sheets.TemplateFileName(s.std, in), buf.Bytes())
}

func (s *Server) instReceipt(w http.ResponseWriter, r *http.Request) {
	in, ok := s.institution(w, r)
	if !ok {
		return
	}
	s.sendReceipt(w, r, r.PathValue("id"), in.Name, "机构:"+in.Name)
}

// sendReceipt sends the receipt id names: "p<seq>", the one issued at once
// for an upload through the portal, or "r<16 hex>", a run's receipt of the
// ledger record with that hash prefix. owner, when not "", is the only
// institution whose receipts may be sent. The id only ever finds a record:
// the file read is the one the record names.
func (s *Server) sendReceipt(w http.ResponseWriter, r *http.Request, id, owner, who string) {
	notFound := func() {
		s.record(r, who, "denied", "receipt "+sheets.PlainText(id))
		s.fail(w, r, http.StatusNotFound, "没有这份回执", "请从上传记录中的链接下载回执。")
	}
	switch {
	case strings.HasPrefix(id, "p"):
		seq, err := strconv.Atoi(id[1:])
		u, ok := s.journal.Get(seq)
		if err != nil || !ok || owner != "" && u.Institution != owner || "p"+strconv.Itoa(seq) != id {
			notFound()
			return
		}
		name, b, err := s.uploadReceipt(r.Context(), u)
		if err != nil {
			s.log.Warn("making a receipt", "seq", seq, "err", err)
			notFound()
			return
		}
		s.record(r, who, "download", fmt.Sprintf("receipt of upload %d (%s)", seq, u.Institution))
		s.download(w, name, b)
	case strings.HasPrefix(id, "r") && len(id) == 17 && isHex(id[1:]):
		cv, err := s.current(0)
		if err != nil {
			notFound()
			return
		}
		var rec *state.Record
		for i := range cv.ledger.Records {
			if strings.HasPrefix(cv.ledger.Records[i].Hash, id[1:]) && cv.ledger.Records[i].Receipt != "" {
				rec = &cv.ledger.Records[i]
			}
		}
		if rec == nil || owner != "" && rec.Institution != owner {
			notFound()
			return
		}
		b, err := s.readOut(r.Context(), rec.Receipt)
		if err != nil {
			s.log.Warn("reading a receipt", "receipt", rec.Receipt, "err", err)
			notFound()
			return
		}
		s.record(r, who, "download", "receipt "+rec.Receipt)
		s.download(w, lastPart(rec.Receipt), b)
	default:
		notFound()
	}
}

// uploadReceipt is the receipt of an upload through the portal: the run's
// once a run has consumed it; else the one issued at once, kept for an
// upload not put into the inbox, made again (the same) from its file in
// the inbox for one that is.
func (s *Server) uploadReceipt(ctx context.Context, u Upload) (string, []byte, error) {
	if u.Name == "" {
		b, err := s.journal.Receipt(u.Seq)
		return s.journal.receiptName(u, s.cfg.Location()), b, err
	}
	if ledger, _, err := s.ledger(); err == nil {
		if rec, ok := ledger.Lookup(u.Hash); ok && rec.Receipt != "" {
			b, err := s.readOut(ctx, rec.Receipt)
			return lastPart(rec.Receipt), b, err
		}
	}
	rc, err := s.inbox.Open(ctx, u.Name)
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, s.cfg.MaxFileMB<<20+1))
	if err != nil {
		return "", nil, err
	}
	ck := pipeline.CheckUpload(s.std, &s.cfg, s.reviewed(), data, u.Name, u.Time, u.Time)
	b, err := sheets.ReceiptBytes(ck.Receipt)
	return s.journal.receiptName(u, s.cfg.Location()), b, err
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// readOut reads a file of the outbox that kaohe named.
func (s *Server) readOut(ctx context.Context, name string) ([]byte, error) {
	rc, err := s.out.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 256<<20))
}

// errTooLarge: an upload over max_file_mb.
var errTooLarge = errors.New("upload too large")

// readUpload reads the file of a multipart upload, at most limit bytes
// (errTooLarge beyond), and its name as given.
func readUpload(r *http.Request, limit int64) (data []byte, name string, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", err
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", errors.New("no file in the form")
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", errTooLarge
		}
		if err != nil {
			return nil, "", err
		}
		if p.FormName() != "file" {
			p.Close()
			continue
		}
		return readPart(p, limit)
	}
}

func readPart(p *multipart.Part, limit int64) ([]byte, string, error) {
	defer p.Close()
	b, err := io.ReadAll(io.LimitReader(p, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), int64(len(b)) > limit:
		return nil, p.FileName(), errTooLarge
	case err != nil:
		return nil, p.FileName(), err
	}
	return b, p.FileName(), nil
}

// instUpload takes an upload: read (capped at max_file_mb before reading),
// checked at once as a run will check it, put into the inbox for the run
// unless refused outright, recorded, and answered on the page.
func (s *Server) instUpload(w http.ResponseWriter, r *http.Request) {
	in, ok := s.institution(w, r)
	if !ok {
		return
	}
	who := "机构:" + in.Name
	v := s.instView(r, in)
	limit := s.cfg.MaxFileMB << 20
	tooLarge := func() {
		s.record(r, who, "upload", "refused: over max_file_mb, not read")
		r.Close = true
		s.fail(w, r, http.StatusRequestEntityTooLarge, "文件过大", fmt.Sprintf("文件超过 %d MB，未读取。自评表通常不到 1 MB，请删除多余的内容或图片后重新上传。", s.cfg.MaxFileMB))
	}
	if r.ContentLength > s.maxBody {
		tooLarge()
		return
	}
	if v.Closed {
		s.record(r, who, "upload", "refused: after the deadline")
		r.Close = true
		s.fail(w, r, http.StatusForbidden, "上传已截止", "上传已于 "+v.Deadline+" 截止，不再受理。如有疑问，请与市职业技能鉴定指导中心联系。")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	data, file, err := readUpload(r, limit)
	if errors.Is(err, errTooLarge) {
		tooLarge()
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "没有收到文件", "请选择自评表文件（.xlsx）后再点「上传并校验」。")
		return
	}
	received := s.receivedAt()
	u, ck, err := s.take(r.Context(), in.Name, file, data, received)
	if err != nil {
		s.log.Error("taking an upload", "institution", in.Name, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "保存失败", "文件没有保存成功，请稍后重新上传。")
		return
	}
	s.record(r, who, "upload", fmt.Sprintf("upload %d %q sha256 %s: %s", u.Seq, sheets.PlainText(u.File), u.Hash[:16], uploadOutcome(u)))
	s.log.Info("upload", "institution", in.Name, "seq", u.Seq, "outcome", u.Outcome, "errors", u.Errors, "inbox", u.Name, "refused", u.Refused)
	view := sheets.ViewReceipt(ck.Receipt)
	v.Result, v.ResultReceipt = &view, "p"+strconv.Itoa(u.Seq)
	switch {
	case u.Refused != "":
		v.ResultNote = refusedNote(u.Refused) + "。"
	case u.Outcome == state.OutcomeLate: // as the receipt says: nothing to change
		v.ResultNote = "文件在截止时间之后收到，逾期，不予受理；不需要修改或重新上传。"
	case u.Accepted() && u.Late:
		v.ResultNote = "文件在截止时间之后收到，已接受，标为逾期，将计入下一次汇总（汇总后以本机构最新一次通过校验的提交为准）。"
	case u.Accepted():
		v.ResultNote = "文件已收下，将计入下一次汇总（汇总后以本机构最新一次通过校验的提交为准）。"
	default:
		v.ResultNote = "文件已收下并记录，但未通过校验，不计入排名；请按下面的说明修改后重新上传。"
	}
	if cv, err := s.current(u.Seq); err == nil {
		v.History = s.history(in.Name, cv)
	}
	s.render(w, http.StatusOK, "institution.html", v)
}

func uploadOutcome(u Upload) string {
	switch {
	case u.Refused != "":
		return "refused (" + u.Refused + ")"
	case u.Accepted():
		return "accepted, into the inbox as " + u.Name
	}
	return fmt.Sprintf("rejected (%d errors), into the inbox as %s", u.Errors, u.Name)
}

// take checks an upload, puts it into the inbox unless it is refused
// outright (another institution's workbook, over max_file_mb, the same
// bytes as a file received before) and records it in the journal. What
// it is is told by its bytes, never its name: a workbook sent without
// .xlsx goes in as .xlsx, a PDF is refused by the run as by the check.
func (s *Server) take(ctx context.Context, inst, file string, data []byte, received time.Time) (Upload, *pipeline.Checked, error) {
	name := pipeline.InboxName(&s.cfg, inst, file, received)
	ck := pipeline.CheckUpload(s.std, &s.cfg, s.reviewed(), data, name, received, s.now())
	u := Upload{Time: received, Institution: inst, File: lastPart(strings.ReplaceAll(file, `\`, "/")), Hash: ck.Record.Hash,
		Size: int64(len(data)), Outcome: ck.Record.Outcome, Late: ck.Record.Late, Errors: ck.Record.Errors, Warnings: ck.Record.Warnings}
	if ck.Result != nil {
		u.Total = int64(ck.Result.Total)
	}
	switch {
	case int64(len(data)) > s.cfg.MaxFileMB<<20:
		u.Refused = refusedTooLarge
	case ck.Foreign != "":
		u.Refused = refusedForeign
	case s.seen(ck.Record.Hash):
		u.Refused = refusedDuplicate
	}
	if u.Refused == "" {
		var err error
		if u.Name, err = pipeline.Deposit(ctx, s.inbox, &s.cfg, name, data, received); err != nil {
			return u, ck, err
		}
		ck.Record.Name = u.Name
		ck.Receipt.Upload.File = lastPart(u.Name)
	} else if u.Refused == refusedDuplicate {
		ck.Receipt.Upload.Status = sheets.StatusDuplicate
	}
	var kept []byte // the receipt of an upload not in the inbox; one in it is made again from its file
	if u.Name == "" {
		var err error
		if kept, err = sheets.ReceiptBytes(ck.Receipt); err != nil {
			return u, ck, err
		}
	}
	u, err := s.journal.Add(u, kept, ck)
	return u, ck, err
}

// seen reports whether a file of these bytes was received before: by a run
// (the ledger) or through the portal into the inbox.
func (s *Server) seen(hash string) bool {
	for _, u := range s.journal.Uploads() {
		if u.Hash == hash && u.Name != "" {
			return true
		}
	}
	ledger, _, err := s.ledger()
	if err != nil {
		return false
	}
	_, ok := ledger.Lookup(hash)
	return ok
}
