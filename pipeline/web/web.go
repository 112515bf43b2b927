// Package web is kaohe's portal: each institution's private page, where it
// uploads its workbook and sees at once what a run will make of it, and the
// centre's dashboard behind a login. It checks with the pipeline's own code
// and puts uploads into the inbox for the run; it never scores on its own.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
	"kaohe/templates"
)

//go:embed pages/*.html pages/style.css
var files embed.FS

// Options are the portal's inputs besides the configuration.
type Options struct {
	Config pipeline.Config
	Log    *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now
	Inbox  store.Store      // nil: the configured inbox
	Out    store.Store      // nil: the configured outbox
	// Run is a consolidation started from the dashboard; nil: pipeline.Run
	// with the configuration (the same lock as every run).
	Run func(ctx context.Context) (*pipeline.Summary, error)
}

// Server is the portal: an http.Handler.
type Server struct {
	cfg     pipeline.Config
	std     *templates.Standard
	log     *slog.Logger
	now     func() time.Time
	inbox   store.Store
	out     store.Store
	runJob  func(ctx context.Context) (*pipeline.Summary, error)
	dir     string // the portal's folder in the state folder
	base    string // base_url's path, "" or "/kaohe"
	secure  bool   // cookies only over HTTPS
	links   *Links
	journal *Journal
	audit   *Audit
	sess    *sessions
	logins  *limiter // wrong passwords, per address and per user
	// dummyHash is compared with when the user is unknown (newDummyHash).
	dummyHash func() []byte
	guesses   *limiter // unknown links, per address
	pages     *template.Template
	css       []byte
	handler   http.Handler
	maxBody   int64

	viewMu sync.Mutex
	view   *view

	reviewMu      sync.Mutex
	review        *sheets.ReviewFile // the 核查表 as last read without errors (review.go)
	reviewErr     error              // the error of the last reading, nil when it was good
	reviewKey     string
	reviewReading chan struct{} // closed when the reading under way ends; nil when none is

	ledgerMu   sync.Mutex
	ledgerRead *state.Ledger // the ledger as last read, never changed here
	ledgerKey  string
	reads      pipeline.Reads // the uploads the standings read again from their copies

	runMu   sync.Mutex
	running bool
	runs    sync.WaitGroup
	runCtx  context.Context
	stopRun context.CancelFunc
	lastRun string // the outcome of the last run started here, for the dashboard
}

// New makes the portal of a configuration with [web] listen set. It
// returns an error for a bad configuration or a state folder it cannot
// write.
func New(o Options) (*Server, error) {
	cfg := o.Config
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	if !cfg.Web.Enabled() {
		return nil, fmt.Errorf("%w: [web] listen 未设置", pipeline.ErrConfig)
	}
	std, _, err := cfg.LoadStandard()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, std: std, log: o.Log, now: o.Now, inbox: o.Inbox, out: o.Out, runJob: o.Run,
		dir: filepath.Join(cfg.StateDir(), Dir), sess: newSessions(time.Duration(cfg.Web.SessionTTL)),
		logins: newLimiter(5, 15*time.Minute), guesses: newLimiter(20, 15*time.Minute), dummyHash: newDummyHash(cfg.Web.Users),
		maxBody: cfg.MaxFileMB<<20 + 64<<10}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	u, _ := url.Parse(cfg.Web.BaseURL) // valid: Resolve checked it
	s.base = strings.TrimSuffix(u.Path, "/")
	s.secure = cfg.Web.TLS() || u.Scheme == "https"
	if err := state.Create(cfg.StateDir()); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", s.dir, err)
	}
	for _, st := range []struct {
		s   *store.Store
		key string
		loc string
	}{{&s.inbox, "inbox", cfg.Inbox}, {&s.out, "out", cfg.Out}} {
		if *st.s == nil {
			if *st.s, err = pipeline.OpenStore(st.key, st.loc, &cfg, s.log); err != nil {
				return nil, err
			}
		}
	}
	if s.runJob == nil {
		s.runJob = func(ctx context.Context) (*pipeline.Summary, error) {
			return pipeline.Run(ctx, pipeline.Options{Config: cfg, Log: s.log})
		}
	}
	s.runCtx, s.stopRun = context.WithCancel(context.Background())
	s.links = OpenLinks(cfg.StateDir())
	s.links.broken = func(err error) { s.log.Error("reading the links: every link fails until it is fixed", "err", err) }
	if s.journal, err = OpenJournal(s.dir); err != nil {
		return nil, err
	}
	if s.audit, err = OpenAudit(s.dir); err != nil {
		return nil, err
	}
	if s.pages, err = template.New("").Funcs(funcs).ParseFS(files, "pages/*.html"); err != nil {
		return nil, err
	}
	if s.css, err = files.ReadFile("pages/style.css"); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	if ft := store.FeaturesOf(s.inbox); ft.Clean != nil && ft.Path != nil { // a local inbox: no server to wait for
		for _, in := range std.Institutions { // temp files of deposits cut short when kaohe serve last stopped
			clean := ft.Clean
			clean(in.Name)
		}
	}
	if len(cfg.Web.Users) == 0 {
		s.log.Warn("no centre users: nobody can log into the dashboard; add [[web.users]] (kaohe passwd)")
	}
	return s, nil
}

// Close stops a run started from the dashboard, waits for it, and closes
// the portal's files.
func (s *Server) Close() error {
	s.stopRun()
	s.runs.Wait()
	return errors.Join(s.journal.Close(), s.audit.Close())
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// ListenAndServe serves the portal on [web] listen (HTTPS with tls_cert
// and tls_key) until ctx is done, then stops taking requests, lets those
// under way finish (up to 30 s) and waits up to grace for a run started
// from the dashboard. ready, when not nil, is called with the address once
// listening.
func (s *Server) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Web.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Web.Listen, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.log.Info("portal listening", "addr", ln.Addr().String(), "base_url", s.cfg.Web.BaseURL, "tls", s.cfg.Web.TLS())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.Web.TLS() {
			errc <- hs.ServeTLS(ln, s.cfg.Web.TLSCert, s.cfg.Web.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serving the portal: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	done := make(chan struct{})
	go func() { s.runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Duration(s.cfg.Grace)):
		s.stopRun()
		<-done
	}
	s.log.Info("portal stopped")
	return err
}

// receivedAt is when kaohe received an upload: now, once its body has been
// read. It is the one place the portal's upload time comes from: the
// deadline rule, the name in the inbox, the file's time there, the journal
// and the receipt all take it from here.
func (s *Server) receivedAt() time.Time { return s.now().In(s.cfg.Location()) }

// routes are the portal's pages. Only safe methods read; every POST goes
// through cross-origin protection.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { s.redirect(w, r, "/centre") })
	mux.HandleFunc("GET /style.css", s.style)
	mux.HandleFunc("GET /i/{token}", s.instPage)
	mux.HandleFunc("POST /i/{token}/upload", s.instUpload)
	mux.HandleFunc("GET /i/{token}/template", s.instTemplate)
	mux.HandleFunc("GET /i/{token}/receipt/{id}", s.instReceipt)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /centre", s.centre(s.dashboard))
	mux.HandleFunc("POST /centre/run", s.centre(s.runNow))
	mux.HandleFunc("GET /centre/report", s.centre(s.reportLatest))
	mux.HandleFunc("GET /centre/report/{run}", s.centre(s.reportDated))
	mux.HandleFunc("GET /centre/receipt/{id}", s.centre(s.centreReceipt))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "页面不存在", "请检查地址。")
	})
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.Web.BaseURL); err == nil {
		cop.AddTrustedOrigin(u.Scheme + "://" + u.Host) // behind a proxy that does not pass Host on
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r, "未登录", "denied", "cross-origin "+r.Method+" refused")
		s.fail(w, r, http.StatusForbidden, "请求被拒绝", "这个请求来自其他网站，已拒绝。请直接在本网站的页面上操作。")
	}))
	return s.headers(cop.Handler(mux))
}

// headers sets the security headers of every answer: no scripts, no
// framing, no referrer (a link's token never leaves in one), no caching.
func (s *Server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if s.cfg.Web.TLS() {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(s.css)
}

// addr is the client's address for the audit log and the rate limits.
func (s *Server) addr(r *http.Request) string { return clientAddr(r, s.cfg.Web.TrustProxy) }

// record appends to the audit log; a log that cannot be written is logged.
func (s *Server) record(r *http.Request, who, action, what string) error {
	err := s.audit.Add(Event{Time: s.now().UTC(), Who: who, Action: action, What: what, Addr: s.addr(r)})
	if err != nil {
		s.log.Error("audit log", "err", err)
	}
	return err
}

// redirect sends the browser to a path of the portal (303: a POST's answer).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, s.base+path, http.StatusSeeOther)
}

// render writes a page, made in full first.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// messagePage is a page that only says something.
type messagePage struct {
	Base, Title, Message string
	Status               int
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	s.render(w, status, "message.html", messagePage{Base: s.base, Title: title, Message: msg, Status: status})
}

// download sends a workbook under a name kaohe made.
func (s *Server) download(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

// view is what the ledger and the journal say now: the standings a run
// would report (pipeline.CurrentReport), the ledger, and the uploads through
// the portal not yet consumed.
type view struct {
	key     string // the ledger file's time and size, and the 核查表's hash
	seq     int    // the last upload through the portal it includes
	ledger  *state.Ledger
	report  *sheets.Report
	pending map[string]bool // hashes of uploads in the inbox no run has consumed yet
}

// current returns a view that includes the portal's uploads up to number
// need (0: all so far) and the ledger as it is now, made again only when
// the one at hand does not: in a burst of uploads one making answers
// every upload made before it started. Callers wait for one making.
func (s *Server) current(need int) (*view, error) {
	rv := s.reviewed() // read outside the lock: it may be on a slow server
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	last := s.journal.Last()
	if need <= 0 || need > last {
		need = last
	}
	ledger, key, err := s.ledger()
	if err != nil {
		return nil, err
	}
	key += "|" + reviewKey(rv)
	if v := s.view; v != nil && v.key == key && v.seq >= need {
		return v, nil
	}
	consumed := func(h string) bool { _, ok := ledger.Lookup(h); return ok }
	pending := s.journal.Pending(consumed, s.recheck)
	rep, err := pipeline.CurrentReport(s.cfg, s.std, rv, pending, &s.reads)
	if err != nil {
		return nil, err
	}
	v := &view{key: key, seq: last, ledger: ledger, report: rep, pending: map[string]bool{}}
	for _, ck := range pending {
		v.pending[ck.Record.Hash] = true
	}
	s.view = v
	return v, nil
}

// ledger returns the state folder's ledger, read again only when the file
// has changed (a run replaces it), and its key (time and size). Callers
// only read it.
func (s *Server) ledger() (*state.Ledger, string, error) {
	key := ""
	if fi, err := os.Stat(filepath.Join(s.cfg.StateDir(), state.LedgerFile)); err == nil {
		key = fi.ModTime().String() + "|" + fmt.Sprint(fi.Size())
	}
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	if s.ledgerRead != nil && s.ledgerKey == key {
		return s.ledgerRead, key, nil
	}
	l, err := state.OpenLedger(s.cfg.StateDir())
	if err != nil {
		return nil, "", err
	}
	s.ledgerRead, s.ledgerKey = l, key
	return l, key, nil
}

// recheck checks again an upload in the inbox whose check is not in
// memory (kaohe serve restarted since); nil when it is gone.
func (s *Server) recheck(u Upload) *pipeline.Checked {
	rc, err := s.inbox.Open(context.Background(), u.Name)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("reading a pending upload", "file", u.Name, "err", err)
		}
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, s.cfg.MaxFileMB<<20+1))
	if err != nil {
		s.log.Warn("reading a pending upload", "file", u.Name, "err", err)
		return nil
	}
	return pipeline.CheckUpload(s.std, &s.cfg, s.reviewed(), b, u.Name, u.Time, u.Time)
}
