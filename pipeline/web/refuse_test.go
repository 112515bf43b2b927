package web

// Every refusal of the portal, over HTTP (httptest): a wrong link, another
// institution's workbook, an oversize upload, a cross-site POST, a wrong
// password and the rate limit, a path in a download request, an upload
// after the deadline; and what every answer carries (security headers,
// cookies), and what never reaches a log (tokens, passwords).

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kaohe/pipeline"
)

func TestWrongLink(t *testing.T) {
	f := newFixture(t, nil)
	for name, path := range map[string]string{
		"random token": "/i/" + newToken(),
		"short":        "/i/abc",
		"revoked-like": "/i/" + strings.Repeat("A", tokenLen),
		"template":     "/i/" + newToken() + "/template",
		"receipt":      "/i/" + newToken() + "/receipt/p1",
	} {
		t.Run(name, func(t *testing.T) {
			code, body := f.get(nil, path)
			if code != http.StatusNotFound || !strings.Contains(body, "链接无效") {
				t.Errorf("%s: %d\n%s", path, code, body)
			}
		})
	}
	code, body := do(t, nil, uploadRequest(t, f.http.URL+"/i/"+newToken(), "x.xlsx", f.workbook("常柴", nil)))
	if code != http.StatusNotFound || len(f.inboxFiles()) != 0 {
		t.Errorf("upload through a wrong link: %d, inbox %q\n%s", code, f.inboxFiles(), body)
	}
	// Guessing is limited per address; the right link still works.
	for range 20 {
		f.get(nil, "/i/"+newToken())
	}
	if code, _ := f.get(nil, "/i/"+newToken()); code != http.StatusTooManyRequests {
		t.Errorf("after 20 wrong links: %d, want 429", code)
	}
	if code, _ := f.get(nil, strings.TrimPrefix(f.link("常柴"), f.http.URL)); code != http.StatusOK {
		t.Errorf("the right link after wrong ones: %d", code)
	}
	// A link issued again revokes the old one.
	old := f.link("常柴")
	var tokens []string
	err := OpenLinks(f.cfg.StateDir()).Issue([]string{"常柴国家职业技能鉴定所"}, time.Now(), func(t []string) error { tokens = t; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := f.get(nil, strings.TrimPrefix(old, f.http.URL)); code != http.StatusTooManyRequests && code != http.StatusNotFound {
		t.Errorf("a revoked link: %d", code)
	}
	if code, _ := f.get(nil, "/i/"+tokens[0]); code != http.StatusOK {
		t.Errorf("the new link: %d", code)
	}
	b, _ := os.ReadFile(filepath.Join(f.cfg.StateDir(), Dir, linksFile))
	if bytes.Contains(b, []byte(tokens[0])) || !bytes.Contains(b, []byte(hashToken(tokens[0]))) {
		t.Errorf("links.json should hold the token's hash only:\n%s", b)
	}
}

func TestForeignWorkbook(t *testing.T) {
	f := newFixture(t, nil)
	code, body := f.upload("常柴", "自评表.xlsx", f.workbook("常武国家", nil))
	if code != 200 {
		t.Fatalf("%d\n%s", code, body)
	}
	for _, want := range []string{"未通过校验", "上传的文件夹是「常柴国家职业技能鉴定所」，自评表却是「常武国家职业技能鉴定所」的", "不是本机构的自评表，未收取"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	if files := f.inboxFiles(); len(files) != 0 {
		t.Errorf("a foreign workbook went into the inbox: %q", files)
	}
	// Nothing of it shows on 常武's page.
	_, other := f.get(nil, strings.TrimPrefix(f.link("常武国家"), f.http.URL))
	if !strings.Contains(other, "还没有上传记录") {
		t.Errorf("常武's page shows an upload it did not make")
	}
	// Nor 常柴's receipts through 常武's link.
	if code, _ := f.get(nil, strings.TrimPrefix(f.link("常武国家"), f.http.URL)+"/receipt/p1"); code != http.StatusNotFound {
		t.Errorf("another institution's receipt: %d", code)
	}
}

func TestOversize(t *testing.T) {
	f := newFixture(t, func(c *pipeline.Config) { c.MaxFileMB = 1 })
	big := bytes.Repeat([]byte("x"), 2<<20)
	// With a Content-Length: refused before the body is read.
	code, body := f.upload("常柴", "big.xlsx", big)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "文件超过 1 MB，未读取") {
		t.Errorf("with Content-Length: %d\n%s", code, body)
	}
	// Streamed without one: cut off at the limit.
	req := uploadRequest(t, f.link("常柴"), "big.xlsx", big)
	req.ContentLength, req.Body = -1, io.NopCloser(io.MultiReader(req.Body))
	code, body = do(t, nil, req)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "文件超过 1 MB") {
		t.Errorf("chunked: %d\n%s", code, body)
	}
	if files := f.inboxFiles(); len(files) != 0 {
		t.Errorf("an oversize upload went into the inbox: %q", files)
	}
}

func TestCrossSitePost(t *testing.T) {
	f := newFixture(t, nil)
	c := f.login()
	cases := map[string]func(*http.Request){
		"Sec-Fetch-Site": func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"Origin":         func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			req := uploadRequest(t, f.link("常柴"), "x.xlsx", f.workbook("常柴", nil))
			set(req)
			if code, body := do(t, nil, req); code != http.StatusForbidden || !strings.Contains(body, "来自其他网站") {
				t.Errorf("upload: %d\n%s", code, body)
			}
			req, _ = http.NewRequest("POST", f.http.URL+"/centre/run", nil)
			set(req)
			if code, _ := do(t, c, req); code != http.StatusForbidden {
				t.Errorf("run: %d", code)
			}
			form := url.Values{"user": {testUser}, "password": {testPassword}}
			req, _ = http.NewRequest("POST", f.http.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			set(req)
			if code, _ := do(t, nil, req); code != http.StatusForbidden {
				t.Errorf("login: %d", code)
			}
		})
	}
	if files := f.inboxFiles(); len(files) != 0 {
		t.Errorf("a cross-site upload went into the inbox: %q", files)
	}
	if _, err := os.Stat(filepath.Join(f.cfg.StateDir(), "last-run.json")); err == nil {
		t.Errorf("a cross-site POST started a run")
	}
	// The same POSTs from the portal's own pages go through.
	req := uploadRequest(t, f.link("常柴"), "x.xlsx", f.workbook("常柴", nil))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if code, _ := do(t, nil, req); code != http.StatusOK {
		t.Errorf("same-origin upload: %d", code)
	}
}

func TestWrongPassword(t *testing.T) {
	f := newFixture(t, func(c *pipeline.Config) { c.Web.TrustProxy = true })
	from := func(addr string) *http.Client {
		c := noRedirects()
		c.Transport = headerTransport{"X-Forwarded-For", addr}
		return c
	}
	if code, body := f.postLogin(from("10.0.0.1"), testUser, "wrong"); code != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") {
		t.Errorf("wrong password: %d\n%s", code, body)
	}
	if code, _ := f.postLogin(from("10.0.0.1"), "nobody", testPassword); code != http.StatusUnauthorized {
		t.Errorf("unknown user: %d", code)
	}
	for range 3 {
		f.postLogin(from("10.0.0.1"), testUser, "wrong")
	}
	// 5 failures from this address: even the right password waits.
	if code, body := f.postLogin(from("10.0.0.1"), testUser, testPassword); code != http.StatusTooManyRequests || !strings.Contains(body, "密码错误次数过多") {
		t.Errorf("after 5 failures: %d\n%s", code, body)
	}
	// 4 of them were for this user: one more from elsewhere locks it too.
	f.postLogin(from("10.0.0.2"), testUser, "wrong")
	if code, _ := f.postLogin(from("10.0.0.3"), testUser, testPassword); code != http.StatusTooManyRequests {
		t.Errorf("a user with 5 failures from another address: %d", code)
	}
	// The window ends.
	f.setNow(time.Now().Add(16 * time.Minute))
	if code, _ := f.postLogin(from("10.0.0.1"), testUser, testPassword); code != http.StatusSeeOther {
		t.Errorf("after the window: %d", code)
	}
	// Without a session, the dashboard is the login.
	if code, _ := f.get(nil, "/centre"); code != http.StatusSeeOther {
		t.Errorf("dashboard without login: %d", code)
	}
	audit, _ := os.ReadFile(filepath.Join(f.cfg.StateDir(), Dir, auditFile))
	if n := strings.Count(string(audit), `"login-failed"`); n < 6 || !strings.Contains(string(audit), `"addr":"10.0.0.2"`) {
		t.Errorf("audit log has %d failed logins:\n%s", n, audit)
	}
	if strings.Contains(string(audit), testPassword) || strings.Contains(string(audit), "wrong\"") {
		t.Errorf("a password in the audit log:\n%s", audit)
	}
}

type headerTransport struct{ key, value string }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.key, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// TestDownloadPaths: no request names a file on disk; paths in a download
// request find nothing.
func TestDownloadPaths(t *testing.T) {
	f := newFixture(t, nil)
	f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
	c := f.login()
	link := strings.TrimPrefix(f.link("常柴"), f.http.URL)
	os.WriteFile(filepath.Join(f.dir, "secret.xlsx"), []byte("secret"), 0o644)
	for _, path := range []string{
		"/centre/report/..%2F..%2Fstate%2Fledger.json",
		"/centre/report/..%2f..%2fsecret.xlsx",
		"/centre/report/20131231-020000%2F..%2F..%2Fsecret",
		"/centre/receipt/..%2F..%2Fsecret.xlsx",
		"/centre/receipt/p1%2F..%2F..%2Fsecret.xlsx",
		"/centre/receipt/r0123456789abcdef",
		"/centre/receipt/p01",
		"/centre/receipt/p-1",
		link + "/receipt/..%2F..%2Fportal%2Freceipts%2F1.xlsx",
		link + "/receipt/p1%2F..",
	} {
		code, body := f.get(c, path)
		if code != http.StatusNotFound || strings.Contains(body, "secret") {
			t.Errorf("%s: %d\n%.200s", path, code, body)
		}
	}
	// Dot segments are cleaned into another path by the mux, never followed.
	if code, _ := f.get(c, "/centre/report/../../secret.xlsx"); code == http.StatusOK {
		t.Errorf("dot segments: %d", code)
	}
	// What is listed can be had.
	if code, _ := f.get(c, "/centre/receipt/p1"); code != http.StatusOK {
		t.Errorf("a listed receipt: %d", code)
	}
	if code, _ := f.get(nil, link+"/receipt/p1"); code != http.StatusOK {
		t.Errorf("its own receipt: %d", code)
	}
}

func TestClosedAfterDeadline(t *testing.T) {
	f := newFixture(t, func(c *pipeline.Config) { c.Deadline, c.Late = "2013-12-31T18:00:00+08:00", "refuse" })
	f.setNow(time.Date(2014, 1, 1, 9, 0, 0, 0, time.UTC))
	code, body := f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
	if code != http.StatusForbidden || !strings.Contains(body, "上传已于 2013年12月31日 18:00 截止") {
		t.Errorf("%d\n%s", code, body)
	}
	if files := f.inboxFiles(); len(files) != 0 {
		t.Errorf("a late upload went into the inbox: %q", files)
	}
	_, page := f.get(nil, strings.TrimPrefix(f.link("常柴"), f.http.URL))
	if !strings.Contains(page, "上传已截止，表单已关闭") || strings.Contains(page, `type="file"`) {
		t.Errorf("the page after the deadline still has the form")
	}
}

// TestHeaders: every answer forbids scripts, framing and referrers; the
// session cookie is HttpOnly and SameSite, and Secure behind HTTPS.
func TestHeaders(t *testing.T) {
	f := newFixture(t, func(c *pipeline.Config) { c.Web.BaseURL = "https://kaohe.example.cn" })
	for _, path := range []string{"/login", strings.TrimPrefix(f.link("常柴"), f.http.URL), "/i/nope"} {
		resp, err := http.Get(f.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	form := url.Values{"user": {testUser}, "password": {testPassword}}
	resp, err := noRedirects().PostForm(f.http.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	ck := cookies[0]
	if ck.Name != "__Host-kaohe_session" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("session cookie: %+v", ck)
	}
}

// TestNothingSecretLogged: links' tokens and passwords reach neither the
// log nor the audit log.
func TestNothingSecretLogged(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, nil)
	f.srv.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.upload("常柴", "a.xlsx", f.workbook("常柴", nil))
	f.get(nil, strings.TrimPrefix(f.link("常柴"), f.http.URL)+"/template")
	f.postLogin(noRedirects(), testUser, "a wrong one")
	c := f.login()
	f.get(c, "/centre")
	audit, _ := os.ReadFile(filepath.Join(f.cfg.StateDir(), Dir, auditFile))
	all := logs.String() + string(audit)
	for name, token := range f.tokens {
		if strings.Contains(all, token) {
			t.Errorf("the token of %s is logged", name)
		}
	}
	for _, pw := range []string{testPassword, "a wrong one"} {
		if strings.Contains(all, pw) {
			t.Errorf("a password is logged")
		}
	}
	for _, want := range []string{`"action":"upload"`, `"action":"download"`, `"action":"login"`, `"who":"机构:常柴国家职业技能鉴定所"`, `"who":"中心:zhongxin"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit log lacks %s:\n%s", want, audit)
		}
	}
}

// TestHostileFileName: the name an upload is sent under never becomes a
// path: the file lands in its institution's folder under a name kaohe
// made, and the page shows the name escaped.
func TestHostileFileName(t *testing.T) {
	f := newFixture(t, nil)
	for _, name := range []string{"../../../state/ledger.xlsx", `..\..\evil.xlsx`, "/etc/passwd.xlsx", "a\u202egnp.xlsx", "<script>alert(1)</script>.xlsx", ".hidden.xlsx", "~$lock.xlsx"} {
		code, body := f.upload("常柴", name, f.workbook("常柴", map[string]any{"contact_name": name}))
		if code != 200 || strings.Contains(body, "<script>alert") || strings.Contains(body, "\u202e") {
			t.Errorf("%q: %d, or the page shows it raw", name, code)
		}
	}
	for _, p := range f.inboxFiles() {
		dir, base, _ := strings.Cut(p, "/")
		if dir != "常柴国家职业技能鉴定所" || strings.Contains(base, "/") || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~") || strings.ContainsRune(base, '\u202e') {
			t.Errorf("inbox file %q", p)
		}
	}
	if n := len(f.inboxFiles()); n != 7 {
		t.Errorf("%d files in the inbox, want 7: %q", n, f.inboxFiles())
	}
}
