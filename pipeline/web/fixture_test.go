package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"kaohe/pipeline"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// The centre user of the tests.
const (
	testUser     = "zhongxin"
	testPassword = "correct horse battery staple"
)

var (
	testHashOnce sync.Once
	testHash     string
)

func passwordHash(t testing.TB) string {
	testHashOnce.Do(func() {
		b, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		testHash = string(b)
	})
	return testHash
}

// fixture is a portal on a temp folder, its links issued, served by an
// httptest server.
type fixture struct {
	t      testing.TB
	dir    string
	cfg    pipeline.Config
	std    *templates.Standard
	srv    *Server
	http   *httptest.Server
	tokens map[string]string // institution -> token
	mu     sync.Mutex
	now    time.Time // the portal's clock; zero: time.Now
}

// newFixture makes a portal; edit changes the configuration first.
func newFixture(t testing.TB, edit func(*pipeline.Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg := pipeline.DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State = filepath.Join(dir, "inbox"), filepath.Join(dir, "out"), filepath.Join(dir, "state")
	cfg.MinAge, cfg.Settle = 0, 0
	cfg.Web.Listen, cfg.Web.BaseURL = "127.0.0.1:0", "http://127.0.0.1"
	cfg.Web.Users = []pipeline.WebUser{{Name: testUser, PasswordHash: passwordHash(t)}}
	if err := os.MkdirAll(cfg.Inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, cfg: cfg, tokens: map[string]string{}}
	var err error
	if f.std, _, err = cfg.LoadStandard(); err != nil {
		t.Fatal(err)
	}
	if f.srv, err = New(Options{Config: cfg, Now: f.clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Close() })
	var names []string
	for _, in := range f.std.Institutions {
		names = append(names, in.Name)
	}
	var tokens []string
	err = OpenLinks(cfg.StateDir()).Issue(names, time.Now(), func(t []string) error { tokens = t; return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		f.tokens[n] = tokens[i]
	}
	f.http = httptest.NewServer(f.srv)
	t.Cleanup(f.http.Close)
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now.IsZero() {
		return time.Now()
	}
	return f.now
}

func (f *fixture) setNow(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// link is an institution's page, by a part of its name.
func (f *fixture) link(part string) string {
	in, err := pipeline.FindInstitution(f.std, part)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.http.URL + "/i/" + f.tokens[in.Name]
}

// goodValues fill a workbook that is accepted.
func goodValues() map[string]any {
	return map[string]any{"actual_appraised": "1200", "actual_certified": "1000", "actual_unified_exam": "0", "actual_high_skill": "100",
		"actual_passed": "960", "i6_online_pilot": "是", "self_1": "30", "self_2": "10", "self_3": "10", "self_4": "15", "self_5": "10",
		"self_6": "10", "self_7": "5", "self_8": "5", "self_9": "5"}
}

// workbook is the template of the institution named (a part of it is
// enough) filled with values, changed by the extra ones.
func (f *fixture) workbook(part string, extra map[string]any) []byte {
	f.t.Helper()
	in, err := pipeline.FindInstitution(f.std, part)
	if err != nil {
		f.t.Fatal(err)
	}
	var tmpl, out bytes.Buffer
	if err := pipeline.WriteTemplateFor(&tmpl, &f.cfg, f.std, in); err != nil {
		f.t.Fatal(err)
	}
	values := goodValues()
	for k, v := range extra {
		values[k] = v
	}
	if err := sheets.Fill(bytes.NewReader(tmpl.Bytes()), &out, values); err != nil {
		f.t.Fatal(err)
	}
	return out.Bytes()
}

// uploadRequest is a POST of a file to an institution's page.
func uploadRequest(t testing.TB, link, file string, data []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, err := mw.CreateFormFile("file", file)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", link+"/upload", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// do sends a request and returns the status and body.
func do(t testing.TB, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	if c == nil {
		c = noRedirects()
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// upload posts a workbook to an institution's page.
func (f *fixture) upload(part, file string, data []byte) (int, string) {
	return do(f.t, nil, uploadRequest(f.t, f.link(part), file, data))
}

// login returns a client logged in as the centre user.
func (f *fixture) login() *http.Client {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := noRedirects()
	c.Jar = jar
	code, body := f.postLogin(c, testUser, testPassword)
	if code != http.StatusSeeOther {
		f.t.Fatalf("login: %d\n%s", code, body)
	}
	return c
}

func (f *fixture) postLogin(c *http.Client, user, pass string) (int, string) {
	form := url.Values{"user": {user}, "password": {pass}}
	req, _ := http.NewRequest("POST", f.http.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(f.t, c, req)
}

func (f *fixture) get(c *http.Client, path string) (int, string) {
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	return do(f.t, c, req)
}

// inboxFiles lists the files under the inbox, relative to it.
func (f *fixture) inboxFiles() []string {
	var out []string
	filepath.WalkDir(f.cfg.Inbox, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(f.cfg.Inbox, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// writeReview writes a 核查表 with the findings to path.
func (f *fixture) writeReview(t testing.TB, path string, findings ...score.Finding) {
	t.Helper()
	var b bytes.Buffer
	if err := sheets.WriteReview(&b, f.std, findings); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
