package web

// The centre's pages, behind a login: the dashboard (every institution's
// status, who has not submitted, the last and next run, a run now, the
// downloads, the ranking).

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"kaohe/pipeline"
	"kaohe/pipeline/state"
	"kaohe/sheets"
)

// cookieName is the session cookie's name; under HTTPS it carries the
// __Host- prefix (Secure, Path=/, no Domain).
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-kaohe_session"
	}
	return "kaohe_session"
}

// centre wraps a page for logged-in centre users; others go to the login.
func (s *Server) centre(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(s.cookieName())
		if err == nil {
			if user, ok := s.sess.user(c.Value, s.now()); ok {
				h(w, r, user)
				return
			}
		}
		if r.Method != http.MethodGet {
			s.fail(w, r, http.StatusForbidden, "请先登录", "登录已过期，请重新登录。")
			return
		}
		s.redirect(w, r, "/login")
	}
}

type loginView struct {
	Base, User, Error string
	Status            int
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login.html", loginView{Base: s.base})
}

// PasswordCost is the bcrypt cost of the hashes kaohe passwd makes.
const PasswordCost = 12

// dummyCost is the cost of the hash a login compares with when the user
// is unknown: the highest of the configured users' hashes (PasswordCost
// when there are none), so that an unknown name takes as long as a wrong
// password.
func dummyCost(users []pipeline.WebUser) int {
	cost := 0
	for _, u := range users {
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil {
			cost = max(cost, c)
		}
	}
	if cost == 0 {
		return PasswordCost
	}
	return cost
}

// newDummyHash makes, on its first call and only then, the hash a login
// compares with when the user is unknown, at dummyCost.
func newDummyHash(users []pipeline.WebUser) func() []byte {
	cost := dummyCost(users)
	return sync.OnceValue(func() []byte {
		h, err := bcrypt.GenerateFromPassword([]byte("kaohe: no such user"), cost)
		if err != nil { // only for a cost out of range, which Resolve refuses
			h, _ = bcrypt.GenerateFromPassword([]byte("kaohe: no such user"), PasswordCost)
		}
		return h
	})
}

// login checks a centre user's password, at most 5 wrong ones per address
// and per user name in 15 minutes.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	user, pass := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password")
	addr, now := s.addr(r), s.now()
	if len(user) > 200 {
		user = user[:200]
	}
	for _, key := range []string{"addr:" + addr, "user:" + user} {
		if until, blocked := s.logins.blocked(key, now); blocked {
			s.record(r, "未登录", "login-failed", fmt.Sprintf("user %q: rate limited", sheets.PlainText(user)))
			s.render(w, http.StatusTooManyRequests, "login.html", loginView{Base: s.base, User: user,
				Error: fmt.Sprintf("密码错误次数过多，请于 %s 之后再试。", until.In(s.cfg.Location()).Format("15:04"))})
			return
		}
	}
	hash := s.dummyHash()
	known := false
	for _, u := range s.cfg.Web.Users {
		if subtle.ConstantTimeCompare([]byte(u.Name), []byte(user)) == 1 {
			hash, known = []byte(u.PasswordHash), true
		}
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(pass)); err != nil || !known {
		s.logins.fail("addr:"+addr, now)
		s.logins.fail("user:"+user, now)
		s.record(r, "未登录", "login-failed", fmt.Sprintf("user %q", sheets.PlainText(user)))
		s.render(w, http.StatusUnauthorized, "login.html", loginView{Base: s.base, User: user, Error: "用户名或密码错误。"})
		return
	}
	token := s.sess.start(user, now)
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(time.Duration(s.cfg.Web.SessionTTL).Seconds())})
	s.record(r, "中心:"+user, "login", "")
	s.redirect(w, r, "/centre")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookieName()); err == nil {
		if user, ok := s.sess.user(c.Value, s.now()); ok {
			s.record(r, "中心:"+user, "logout", "")
		}
		s.sess.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.redirect(w, r, "/login")
}

// dashView is the dashboard.
type dashView struct {
	Base, User    string
	Year          int
	Deadline      string
	Counts        []count
	Rows          []instRow
	Missing       []string
	MissingText   string
	Ranking       []rankRow
	LastRun       string
	LastRunOK     bool
	LastRunError  string
	NextRun       string
	Running       bool
	Flash         string
	Report        bool // the latest report exists
	ReportName    string
	Dated         []string // run ids of the dated copies, newest first
	Uploads       []uploadRow
	PendingUpload int
	Review        string   // which 核查表 the standings apply; "" when none is configured
	ReviewProblem string   // the 核查表 cannot be read or has errors: what that means
	ReviewErrors  []string // its errors, each with its cell
}

type count struct {
	Label string
	N     int
	Class string
}

type instRow struct {
	Name, Status, Class, Last, Total, Rank string
	Pending                                bool
}

type rankRow struct {
	Rank                    int
	Name, Total, Self, Elig string
	Eligible, Pending       bool
}

type uploadRow struct {
	Time, Institution, File, Outcome, Receipt string
	Class                                     string // the outcome's tag: ok, late, bad
	Pending                                   bool
}

var flashes = map[string]string{
	"started": "汇总已开始，完成后本页显示结果。",
	"busy":    "已有一次汇总正在进行，请等它结束。",
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, user string) {
	cv, err := s.current(0)
	if err != nil {
		s.log.Error("reading the standings", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "无法读取台账", "状态文件夹中的台账无法读取："+err.Error())
		return
	}
	loc := s.cfg.Location()
	v := &dashView{Base: s.base, User: user, Year: s.std.Year, Flash: flashes[r.URL.Query().Get("msg")], ReportName: pipeline.ReportName(s.std)}
	if d := s.cfg.DeadlineTime(); !d.IsZero() {
		v.Deadline = d.In(loc).Format("2006年1月2日 15:04")
	}
	last := map[string]time.Time{} // newest upload of each institution, by any way
	for _, rec := range cv.ledger.Records {
		if rec.Received.After(last[rec.Institution]) {
			last[rec.Institution] = rec.Received
		}
	}
	uploads := s.journal.Uploads()
	for _, u := range uploads {
		if u.Time.After(last[u.Institution]) {
			last[u.Institution] = u.Time
		}
	}
	byName := map[string]sheets.Standing{}
	for _, st := range cv.report.Standings {
		byName[st.Institution.Name] = st
	}
	n := map[string]int{} // by status as shown
	for _, in := range s.std.Institutions {
		st := byName[in.Name]
		row := instRow{Name: in.Name}
		row.Status, row.Class = standingLabel(st)
		if st.Status == sheets.StatusAccepted && st.Ranked != nil {
			row.Total, row.Rank = st.Ranked.Total.String(), fmt.Sprint(st.Ranked.Rank)
		}
		if st.Upload != nil {
			row.Pending = cv.pending[st.Upload.Hash]
		}
		if t, ok := last[in.Name]; ok {
			row.Last = t.In(loc).Format("2006-01-02 15:04")
		}
		if row.Status == string(sheets.StatusMissing) {
			v.Missing = append(v.Missing, in.Name)
		}
		n[row.Status]++
		v.Rows = append(v.Rows, row)
	}
	v.MissingText = strings.Join(v.Missing, "\n")
	// One tile for each status the table shows, in the same words; the
	// late ones only where the deadline can give them.
	deadline := !s.cfg.DeadlineTime().IsZero()
	lateKind := string(sheets.StatusAcceptedLate) // the late status this configuration gives
	if s.cfg.LateRefused() {
		lateKind = string(sheets.StatusLateRefused)
	}
	for _, c := range []struct {
		status, class string
		late          bool
	}{
		{string(sheets.StatusAccepted), "ok", false},
		{string(sheets.StatusAcceptedLate), "late", true},
		{string(sheets.StatusLateRefused), "late", true},
		{string(sheets.StatusRejected), "bad", false},
		{string(sheets.StatusMissing), "missing", false},
	} {
		if !c.late || n[c.status] > 0 || deadline && c.status == lateKind {
			v.Counts = append(v.Counts, count{c.status, n[c.status], c.class})
		}
	}
	for _, st := range cv.report.Standings {
		if st.Ranked == nil {
			continue
		}
		rr := rankRow{Rank: st.Ranked.Rank, Name: st.Institution.Name, Total: st.Ranked.Total.String(), Self: st.Ranked.SelfTotal.String(),
			Elig: st.Ranked.Eligibility(), Eligible: len(st.Ranked.Disqualified) == 0}
		if st.Upload != nil {
			rr.Pending = cv.pending[st.Upload.Hash]
		}
		v.Ranking = append(v.Ranking, rr)
	}
	if st, err := pipeline.ReadStatus(s.cfg, s.now()); err == nil {
		if l := st.Last; l != nil {
			v.LastRun, v.LastRunOK, v.LastRunError = l.End.In(loc).Format("2006-01-02 15:04:05"), l.OK, l.Error
		}
		if !st.Next.IsZero() {
			v.NextRun = st.Next.In(loc).Format("2006-01-02 15:04")
		}
	}
	s.runMu.Lock()
	v.Running = s.running
	if !v.Running && v.Flash != "" && r.URL.Query().Get("msg") == "started" {
		v.Flash = s.lastRun // the run has ended: what it did
	}
	s.runMu.Unlock()
	if s.cfg.Review != "" {
		rv, err := s.reviewState()
		v.ReviewProblem, v.ReviewErrors = reviewProblem(err)
		if rv != nil || err == nil {
			v.Review = rv.Describe()
		}
	}
	v.Report = s.exists(r.Context(), pipeline.ReportName(s.std))
	v.Dated = s.datedReports(r.Context())
	v.Uploads = s.uploadRows(cv, uploads)
	for _, u := range v.Uploads {
		if u.Pending {
			v.PendingUpload++
		}
	}
	s.render(w, http.StatusOK, "centre.html", v)
}

// standingLabel is an institution's status as the report words it
// (已接受, 已接受（逾期）, 逾期，不予受理, 未通过校验, 未提交) and the class
// of its tag.
func standingLabel(st sheets.Standing) (status, class string) {
	switch {
	case st.Status == sheets.StatusAccepted && st.Upload != nil && st.Upload.Late:
		return string(sheets.StatusAcceptedLate), "late"
	case st.Status == sheets.StatusAccepted:
		return string(sheets.StatusAccepted), "ok"
	case st.Status == sheets.StatusRejected:
		return string(sheets.StatusRejected), "bad"
	case st.Status == sheets.StatusLateRefused:
		return string(sheets.StatusLateRefused), "late"
	}
	return string(sheets.StatusMissing), "missing"
}

// uploadRows are every upload, newest first: the ledger's, and those
// through the portal it does not have yet.
func (s *Server) uploadRows(cv *view, uploads []Upload) []uploadRow {
	loc := s.cfg.Location()
	type row struct {
		uploadRow
		t time.Time
	}
	var rows []row
	in := map[string]bool{}
	for i := range cv.ledger.Records {
		rec := &cv.ledger.Records[i]
		in[rec.Hash] = true
		r := row{uploadRow{Time: rec.Received.In(loc).Format("2006-01-02 15:04:05"), Institution: rec.Institution, File: sheets.PlainText(lastPart(rec.Name))}, rec.Received}
		r.Outcome, r.Class = outcome(rec.Outcome, rec.Late)
		if rec.Receipt != "" {
			r.Receipt = "r" + rec.Hash[:16]
		}
		rows = append(rows, r)
	}
	for _, u := range uploads {
		if in[u.Hash] && u.Refused == "" {
			continue
		}
		r := row{uploadRow{Time: u.Time.In(loc).Format("2006-01-02 15:04:05"), Institution: u.Institution, File: sheets.PlainText(u.File),
			Pending: u.Refused == "" && cv.pending[u.Hash], Receipt: fmt.Sprintf("p%d", u.Seq)}, u.Time}
		r.Outcome, r.Class = outcome(u.Outcome, u.Late)
		if u.Refused != "" {
			r.Outcome, r.Class = "未收取："+refusedNote(u.Refused), "bad"
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.After(rows[j].t) })
	out := make([]uploadRow, len(rows))
	for i, r := range rows {
		out[i] = r.uploadRow
	}
	return out
}

func (s *Server) exists(ctx context.Context, name string) bool {
	rc, err := s.out.Open(ctx, name)
	if err != nil {
		return false
	}
	rc.Close()
	return true
}

// runID is a run's id as dated reports carry it.
var runID = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}$`)

// datedReports lists the run ids of the report's dated copies, newest first.
func (s *Server) datedReports(ctx context.Context) []string {
	list, err := s.out.List(ctx, "")
	if err != nil {
		return nil
	}
	prefix := strings.TrimSuffix(pipeline.ReportName(s.std), ".xlsx") + "-"
	var ids []string
	for _, e := range list {
		if id, ok := strings.CutPrefix(e.Name, prefix); ok && !e.Dir && e.Odd == "" {
			if id, ok = strings.CutSuffix(id, ".xlsx"); ok && runID.MatchString(id) {
				ids = append(ids, id)
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids
}

func (s *Server) reportLatest(w http.ResponseWriter, r *http.Request, user string) {
	s.sendReport(w, r, user, pipeline.ReportName(s.std))
}

func (s *Server) reportDated(w http.ResponseWriter, r *http.Request, user string) {
	id := r.PathValue("run")
	if !runID.MatchString(id) {
		s.record(r, "中心:"+user, "denied", "report "+sheets.PlainText(id))
		s.fail(w, r, http.StatusNotFound, "没有这份汇总表", "请从汇总表列表中下载。")
		return
	}
	s.sendReport(w, r, user, strings.TrimSuffix(pipeline.ReportName(s.std), ".xlsx")+"-"+id+".xlsx")
}

func (s *Server) sendReport(w http.ResponseWriter, r *http.Request, user, name string) {
	b, err := s.readOut(r.Context(), name)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "还没有汇总表", "还没有做过汇总；点「立即汇总」或等下一次计划运行。")
		return
	}
	s.record(r, "中心:"+user, "download", "report "+name)
	s.download(w, name, b)
}

func (s *Server) centreReceipt(w http.ResponseWriter, r *http.Request, user string) {
	s.sendReceipt(w, r, r.PathValue("id"), "", "中心:"+user)
}

// runNow starts a consolidation in the background, one at a time (the
// run's lock also keeps it from overlapping the schedule's or another
// process's), and sends the browser back to the dashboard.
func (s *Server) runNow(w http.ResponseWriter, r *http.Request, user string) {
	s.runMu.Lock()
	if s.running {
		s.runMu.Unlock()
		s.redirect(w, r, "/centre?msg=busy")
		return
	}
	s.running = true
	s.runs.Add(1)
	s.runMu.Unlock()
	s.record(r, "中心:"+user, "run", "started")
	addr := s.addr(r)
	go func() {
		defer s.runs.Done()
		sum, err := s.runJob(s.runCtx)
		what, shown := "done", "汇总完成。"
		switch {
		case errors.Is(err, state.ErrLocked):
			what, shown = "skipped: another run holds the lock", "另一个汇总正在进行（计划运行或命令行），这次没有运行；请稍后再试。"
		case err != nil:
			what, shown = "failed: "+err.Error(), "汇总失败："+err.Error()
			s.log.Error("run from the dashboard failed", "err", err)
		case sum != nil:
			what = fmt.Sprintf("done: %d new, %d accepted, %d rejected", sum.New, sum.Accepted, sum.Rejected)
			shown = fmt.Sprintf("汇总完成：新文件 %d 份（接受 %d，退回 %d），排名 %d 家，未提交或未通过 %d 家。", sum.New, sum.Accepted, sum.Rejected, sum.Ranked, sum.Missing)
		}
		s.audit.Add(Event{Time: s.now().UTC(), Who: "中心:" + user, Action: "run", What: what, Addr: addr})
		s.runMu.Lock()
		s.running, s.lastRun = false, shown
		s.runMu.Unlock()
	}()
	s.redirect(w, r, "/centre?msg=started")
}
