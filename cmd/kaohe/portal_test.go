package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"kaohe/pipeline"
	"kaohe/sheets"
)

// TestServePortal: kaohe serve with [web] serves the portal beside its
// schedule: a link from kaohe portal links takes an upload and answers
// 已接受; the centre logs in, runs a consolidation from the dashboard and
// downloads the report; SIGTERM stops both, exit code 0.
func TestServePortal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "inbox"), 0o755)
	hash, err := bcrypt.GenerateFromPassword([]byte("a long password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, dir, `min_age = "0s"`, "", "[web]", `listen = "127.0.0.1:0"`, `base_url = "http://kaohe.example.cn"`,
		"[[web.users]]", `name = "zhongxin"`, `password_hash = "`+string(hash)+`"`)

	links := exec.Command("kaohe", "portal", "links", "--config", cfg, "--out", "links.xlsx")
	links.Dir = dir
	if out, err := links.CombinedOutput(); err != nil {
		t.Fatalf("portal links: %v\n%s", err, out)
	}
	x, err := excelize.OpenFile(filepath.Join(dir, "links.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("上传链接")
	x.Close()
	path := ""
	for _, r := range rows {
		if len(r) == 2 && r[0] == "常柴国家职业技能鉴定所" {
			path = strings.TrimPrefix(r[1], "http://kaohe.example.cn")
		}
	}
	if !strings.HasPrefix(path, "/i/") {
		t.Fatalf("no link for 常柴 in %q", rows)
	}

	p := startKaohe(t, dir, nil, "serve", "--config", cfg, "--schedule", "0 0 1 1 *")
	p.waitFor("portal listening")
	m := regexp.MustCompile(`addr=(127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(p.stderr())
	if m == nil {
		t.Fatalf("no address in:\n%s", p.stderr())
	}
	base := "http://" + m[1]
	p.waitFor("run done") // the catch-up at start: no run recorded yet

	// An upload through the link.
	pcfg := pipeline.DefaultConfig()
	std, _, _ := pcfg.LoadStandard()
	in, _ := pipeline.FindInstitution(std, "常柴")
	var tmpl, filled, body bytes.Buffer
	if err := pipeline.WriteTemplateFor(&tmpl, &pcfg, std, in); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"actual_appraised": "120", "actual_certified": "100", "actual_unified_exam": "0", "actual_high_skill": "100", "actual_passed": "96"}
	if err := sheets.Fill(&tmpl, &filled, values); err != nil {
		t.Fatal(err)
	}
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "自评表.xlsx")
	fw.Write(filled.Bytes())
	mw.Close()
	resp, err := http.Post(base+path+"/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "已接受") {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, page)
	}

	// The centre: log in, run, download.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err = c.PostForm(base+"/login", url.Values{"user": {"zhongxin"}, "password": {"a long password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasSuffix(resp.Request.URL.Path, "/centre") {
		t.Fatalf("login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	resp, err = c.Post(base+"/centre/run", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for deadline := time.Now().Add(testTimeout); !exists(filepath.Join(dir, "inbox", "archive")); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run from the dashboard did not take the upload:\n%s", p.stderr())
		}
	}
	for deadline := time.Now().Add(testTimeout); ; time.Sleep(50 * time.Millisecond) {
		resp, err = c.Get(base + "/centre/report")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && bytes.HasPrefix(b, []byte("PK")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report:\n%s", p.stderr())
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, p.stderr())
	}
	if log := p.stderr(); strings.Contains(log, strings.TrimPrefix(path, "/i/")) || !strings.Contains(log, "portal stopped") {
		t.Errorf("the log shows a token, or the portal did not stop:\n%s", log)
	}
}
