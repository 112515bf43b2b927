package pipeline

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/sheets"
)

func TestParseLocation(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     Location // zero Scheme and Path "": compare Path only
		str      string   // String()
		err      string   // part of the error
	}{
		{"folder", "inbox", Location{Path: "inbox"}, "inbox", ""},
		{"absolute folder", "/srv/kaohe/inbox", Location{Path: "/srv/kaohe/inbox"}, "/srv/kaohe/inbox", ""},
		{"ftp", "ftp://kaohe@10.0.0.5:2121/inbox", Location{Scheme: "ftp", Host: "10.0.0.5:2121", User: "kaohe", Path: "/inbox"}, "ftp://kaohe@10.0.0.5:2121/inbox", ""},
		{"default port", "ftp://kaohe@ftp.example.cn/inbox", Location{Scheme: "ftp", Host: "ftp.example.cn:21", User: "kaohe", Path: "/inbox"}, "ftp://kaohe@ftp.example.cn:21/inbox", ""},
		{"ftps upper case", "FTPS://kaohe@host/out", Location{Scheme: "ftps", Host: "host:21", User: "kaohe", Path: "/out"}, "ftps://kaohe@host:21/out", ""},
		{"anonymous", "ftp://host/pub", Location{Scheme: "ftp", Host: "host:21", User: "anonymous", Path: "/pub"}, "ftp://anonymous@host:21/pub", ""},
		{"login folder", "ftp://kaohe@host", Location{Scheme: "ftp", Host: "host:21", User: "kaohe", Path: ""}, "ftp://kaohe@host:21", ""},
		{"absolute server path", "ftp://kaohe@host//srv/ftp/inbox", Location{Scheme: "ftp", Host: "host:21", User: "kaohe", Path: "//srv/ftp/inbox"}, "ftp://kaohe@host:21//srv/ftp/inbox", ""},
		{"Chinese path", "ftp://kaohe@host/%E6%94%B6%E4%BB%B6", Location{Scheme: "ftp", Host: "host:21", User: "kaohe", Path: "/收件"}, "ftp://kaohe@host:21/收件", ""},
		{"IPv6", "ftp://kaohe@[::1]:2121/in", Location{Scheme: "ftp", Host: "[::1]:2121", User: "kaohe", Path: "/in"}, "ftp://kaohe@[::1]:2121/in", ""},
		{"password refused", "ftp://kaohe:s3cret@host/inbox", Location{}, "", "不能写密码"},
		{"empty password refused", "ftp://kaohe:@host/inbox", Location{}, "", "不能写密码"},
		{"no host", "ftp:///inbox", Location{}, "", "缺少主机名"},
		{"bad port", "ftp://kaohe@host:99999/inbox", Location{}, "", "端口"},
		{"dot dot", "ftp://kaohe@host/inbox/../etc", Location{}, "", "不安全"},
		{"backslash", "ftp://kaohe@host/in%5Cbox", Location{}, "", "不安全"},
		{"CR", "ftp://kaohe@host/in%0Dbox", Location{}, "", "不安全"},
		{"query", "ftp://kaohe@host/inbox?type=i", Location{}, "", "?"},
		{"other scheme", "sftp://kaohe@host/inbox", Location{}, "", "只支持"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseLocation(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("ParseLocation(%q) = %+v, %v; want an error with %q", c.in, l, err, c.err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l.defaultPort = false
			if l != c.want {
				t.Errorf("ParseLocation(%q) = %+v, want %+v", c.in, l, c.want)
			}
			if l.String() != c.str {
				t.Errorf("String() = %q, want %q", l.String(), c.str)
			}
		})
	}
}

func TestConfigFTP(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	cert, _, _, err := testCert()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(ca, cert, 0o644)
	for _, c := range []struct {
		name, toml string
		err        []string // parts of the error; none: valid
	}{
		{"defaults", ``, nil},
		{"urls", "inbox = \"ftp://kaohe@127.0.0.1:2121/inbox\"\nout = \"ftps://kaohe@127.0.0.1:2121/out\"\n[ftp]\npassword_env = \"CENTRE_FTP_PW\"\nca_file = \"" + ca + "\"\ntimeout = \"10s\"\nretries = 2\n", nil},
		{"password in the url", "inbox = \"ftp://kaohe:s3cret@host/inbox\"\n", []string{"第 1 行", "inbox", "ftp://kaohe:*****@host/inbox", "不能写密码"}},
		{"implicit with ftp://", "out = \"ftp://kaohe@host/out\"\n[ftp]\nimplicit_tls = true\n", []string{"第 3 行", "ftp.implicit_tls", "out", "ftps://"}},
		{"zero timeout", "[ftp]\ntimeout = \"0s\"\n", []string{"第 2 行", "ftp.timeout"}},
		{"retries", "[ftp]\nretries = 99\n", []string{"ftp.retries", "0 到 10"}},
		{"missing ca file", "inbox = \"ftps://kaohe@host/inbox\"\n[ftp]\nca_file = \"" + filepath.Join(dir, "nope.pem") + "\"\n", []string{"第 3 行", "ftp.ca_file", "无法读取"}},
		{"not a certificate", "inbox = \"ftps://kaohe@host/inbox\"\n[ftp]\nca_file = \"" + filepath.Join(dir, "x.toml") + "\"\n", []string{"ftp.ca_file", "PEM"}},
		{"same inbox and out", "inbox = \"ftp://kaohe@host/x\"\nout = \"ftp://kaohe@host/x\"\n", []string{"out", "inbox"}},
		{"unknown key", "[ftp]\npassword = \"s3cret\"\n", []string{"ftp.password"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "x.toml")
			os.WriteFile(p, []byte(c.toml), 0o644)
			_, err := LoadConfig(p)
			if c.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want a config error", err)
			}
			for _, part := range c.err {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestStateDirBesideConfigWhenOutIsRemote(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "kaohe.toml")
	os.WriteFile(p, []byte("out = \"ftp://kaohe@host/out\"\n"), 0o644)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.StateDir(); got != filepath.Join(dir, "kaohe-state") {
		t.Errorf("StateDir = %q, want beside the config", got)
	}
	cfg = DefaultConfig()
	cfg.Out = "ftp://kaohe@host/out"
	if got := cfg.StateDir(); got != "kaohe-state" {
		t.Errorf("StateDir without a config file = %q, want kaohe-state in the current folder", got)
	}
}

func TestOpenStoreNeedsThePassword(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FTP.PasswordEnv = "KAOHE_TEST_NO_SUCH_VAR"
	os.Unsetenv("KAOHE_TEST_NO_SUCH_VAR")
	_, err := OpenStore("inbox", "ftp://kaohe@127.0.0.1:2121/inbox", &cfg, nil)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "KAOHE_TEST_NO_SUCH_VAR") {
		t.Errorf("err = %v, want a config error naming the variable", err)
	}
}

func TestFTPWrongPassword(t *testing.T) {
	srv := startVsftpd(t, NoTLS)
	var retries atomic.Int32
	s := srv.Store("", FTPOptions{Password: "wrong", PasswordEnv: DefaultPasswordEnv, Retries: 3})
	s.onRetry = func(error) { retries.Add(1) }
	_, err := s.List(context.Background(), "")
	want := fmt.Sprintf("FTP 登录失败：%s 用户 %s（530 Login incorrect.）；请检查用户名和 KAOHE_FTP_PASSWORD", srv.Addr(), ftpTestUser)
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
	if !errors.Is(err, ErrLogin) || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("err is not ErrLogin and store.ErrUnavailable: %v", err)
	}
	if retries.Load() != 0 {
		t.Errorf("a 530 was retried %d times", retries.Load())
	}
}

// A server that accepts TCP and never greets: every call fails with a
// timeout error, and a run fails too.
func TestFTPNeverGreets(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // say nothing, ever
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	url := "ftp://kaohe@" + l.Addr().String() + "/inbox"

	within := func(t *testing.T, f func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second): // a generous bound: "returned at all"
			t.Fatal("still waiting for a server that never greets")
			return nil
		}
	}
	t.Run("store", func(t *testing.T) {
		loc, _ := ParseLocation(url)
		for _, mode := range []TLSMode{NoTLS, ExplicitTLS, ImplicitTLS} {
			s := NewFTP(loc, FTPOptions{Password: "x", TLS: mode, Timeout: 300 * time.Millisecond, Retries: 3, Backoff: 10 * time.Millisecond})
			err := within(t, func() error { _, err := s.List(context.Background(), ""); return err })
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("TLS mode %d: err = %v, want ErrTimeout", mode, err)
			}
			if err != nil && !strings.Contains(err.Error(), l.Addr().String()) {
				t.Errorf("the error does not name the server: %v", err)
			}
			s.Close()
		}
	})
	t.Run("run", func(t *testing.T) {
		t.Setenv(DefaultPasswordEnv, "x")
		cfg := DefaultConfig()
		cfg.Inbox, cfg.Out, cfg.State = url, t.TempDir(), t.TempDir()
		cfg.FTP.Timeout = store.Duration(300 * time.Millisecond)
		err := within(t, func() error { _, err := Run(context.Background(), Options{Config: cfg}); return err })
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("Run: %v, want ErrTimeout", err)
		}
		t.Logf("run error: %v", err)
	})
}

func TestFTPUnsafeRemoteNames(t *testing.T) {
	srv := startVsftpd(t, NoTLS)
	for _, name := range []string{"good.xlsx", "back\\slash.xlsx", "cr\rname.xlsx", "lf\nname.xlsx", "tab\tname.xlsx"} {
		srv.Write("in/"+name, []byte("x"), time.Time{})
	}
	es, err := srv.Store("in", FTPOptions{}).List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if store.CheckName(e.Name) != nil {
			t.Errorf("List returned an unsafe name %q", e.Name)
		}
		got = append(got, e.Name)
	}
	if !strings.Contains(strings.Join(got, "|"), "good.xlsx") || strings.Contains(strings.Join(got, "|"), "slash") {
		t.Errorf("List = %q, want good.xlsx and no backslash name", got)
	}
	t.Logf("listed: %q", got)
}

// vsftpd's max_per_ip answers a second connection with 421: a transient
// reply, retried with backoff until the first connection goes away. A 550
// is not retried.
func TestFTPTransientRetried(t *testing.T) {
	srv := startVsftpd(t, NoTLS, "max_per_ip=1")
	var retries []error
	var s *FTP
	// Now and then vsftpd lets the second connection in all the same (its
	// per-IP count lags the hog's greeting); try again with a new hog then.
	for try := 0; len(retries) == 0; try++ {
		if try == 20 {
			t.Fatal("vsftpd never answered 421 to a second connection")
		}
		hog, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		hog.Read(buf) // its greeting: the session is up
		s = srv.Store("", FTPOptions{Retries: 6, Backoff: 50 * time.Millisecond})
		s.onRetry = func(err error) {
			retries = append(retries, err)
			hog.Close()
		}
		if _, err := s.List(context.Background(), ""); err != nil {
			t.Fatalf("List after a 421: %v", err)
		}
		if len(retries) == 0 {
			s.Close()
			hog.Close()
			time.Sleep(50 * time.Millisecond)
		}
	}
	if replyCode(retries[0]) != 421 {
		t.Errorf("retries = %v, want a 421 first", retries)
	}
	retries = nil
	if _, err := s.Open(context.Background(), "missing.xlsx"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open missing: %v", err)
	}
	if len(retries) != 0 {
		t.Errorf("a 550 was retried: %v", retries)
	}
}

func TestFTPCertificateChecked(t *testing.T) {
	srv := startVsftpd(t, ExplicitTLS)
	_, _, wrong, _ := testCert()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(wrong)
	for name, o := range map[string]FTPOptions{
		"another CA": {RootCAs: pool, Retries: 3},
	} {
		t.Run(name, func(t *testing.T) {
			var retries atomic.Int32
			s := srv.Store("", o)
			s.onRetry = func(error) { retries.Add(1) }
			_, err := s.List(context.Background(), "")
			if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "证书") || !strings.Contains(err.Error(), "ca_file") {
				t.Errorf("err = %v, want a certificate error naming ca_file", err)
			}
			if retries.Load() != 0 {
				t.Errorf("a certificate error was retried")
			}
		})
	}
	t.Run("system roots, really", func(t *testing.T) {
		loc, _ := ParseLocation(srv.URL(""))
		s := NewFTP(loc, FTPOptions{Password: ftpTestPassword, TLS: ExplicitTLS, Timeout: 10 * time.Second})
		defer s.Close()
		if _, err := s.List(context.Background(), ""); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "证书") {
			t.Errorf("a self-signed server passed the system roots: %v", err)
		}
	})
}

func TestFTPSizeCap(t *testing.T) {
	srv := startVsftpd(t, NoTLS)
	s := srv.Store("", FTPOptions{MaxBytes: 1000})
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789"), 5000)
	srv.Write("big.xlsx", big, time.Time{})
	srv.Write("small.xlsx", []byte("small"), time.Time{})
	rc, err := s.Open(ctx, "big.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if len(b) != 1001 || !bytes.Equal(b, big[:1001]) {
		t.Errorf("Open of a file over the cap read %d bytes, want the first 1001", len(b))
	}
	rc, err = s.Open(ctx, "small.xlsx")
	if err != nil {
		t.Fatalf("after a capped download: %v", err)
	}
	if b, _ := io.ReadAll(rc); string(b) != "small" {
		t.Errorf("small.xlsx = %q", b)
	}
}

// A 5 MB report arrives whole over FTPS (vsftpd truncated uploads of 1 MB
// and more under TLS 1.3).
func TestFTPSFiveMegabytes(t *testing.T) {
	srv := startVsftpd(t, ExplicitTLS)
	s := srv.Store("out", FTPOptions{})
	b := make([]byte, 5<<20)
	rand.NewChaCha8([32]byte{5}).Read(b)
	ctx := context.Background()
	start := time.Now()
	if err := s.Put(ctx, "汇总排名表-2013.xlsx", bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	up := time.Since(start)
	disk, err := os.ReadFile(filepath.Join(srv.Root, "out", "汇总排名表-2013.xlsx"))
	if err != nil || !bytes.Equal(disk, b) {
		t.Fatalf("on the server: %d bytes, %v; want the 5 MB identical", len(disk), err)
	}
	start = time.Now()
	rc, err := s.Open(ctx, "汇总排名表-2013.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, b) {
		t.Errorf("read back %d bytes, want the 5 MB identical", len(got))
	}
	t.Logf("5 MB over FTPS: put %v, get %v", up.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// ftpWorld is a run's world on a vsftpd: the inbox and the outbox are
// folders of the server, the state folder is local.
type ftpWorld struct {
	*world
	srv *vsftpd
}

func newFTPWorld(t *testing.T, mode TLSMode) *ftpWorld {
	w := &ftpWorld{world: newWorld(t), srv: startVsftpd(t, mode)}
	w.srv.Mkdir(filepath.Join(w.srv.Root, "inbox"))
	w.now = time.Now()
	return w
}

func (w *ftpWorld) config() Config {
	cfg := w.srv.Config(DefaultConfig())
	cfg.Inbox, cfg.Out, cfg.State = w.srv.URL("inbox"), w.srv.URL("out"), w.state
	cfg.Settle = 0
	return cfg
}

// upload puts a filled workbook into the server's inbox, an hour old.
func (w *ftpWorld) upload(name, inst string, values map[string]any) {
	w.t.Helper()
	var buf bytes.Buffer
	if err := sheets.Fill(bytes.NewReader(w.tmpl[inst]), &buf, values); err != nil {
		w.t.Fatal(err)
	}
	w.srv.Write("inbox/"+name, buf.Bytes(), time.Now().Add(-time.Hour))
}

// End to end over FTP: workbooks in the server's inbox (one in an
// institution's own folder) → a run with ftp:// locations → the report
// and receipts on the server, the inputs in archive/ and rejected/.
func TestRunOverFTP(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode TLSMode
	}{{"plain", NoTLS}, {"explicit-tls", ExplicitTLS}} {
		t.Run(mode.name, func(t *testing.T) {
			w := newFTPWorld(t, mode.mode)
			set := demoSet(w.std, 3)
			insts := w.std.Institutions[:3]
			w.upload("inst00.xlsx", insts[0].Name, set[insts[0].Name])
			w.upload("inst01.xlsx", insts[1].Name, set[insts[1].Name])
			w.upload("常柴/2013-自评表.xlsx", insts[2].Name, set[insts[2].Name]) // the institution's own folder
			w.srv.Write("inbox/broken.xlsx", []byte("not a workbook"), time.Now().Add(-time.Hour))
			w.srv.Write("inbox/uploading.xlsx.part", []byte("half"), time.Now().Add(-time.Hour))
			w.srv.Write("inbox/evil\\name.xlsx", []byte("x"), time.Now().Add(-time.Hour))

			s, err := Run(context.Background(), Options{Config: w.config()})
			if err != nil {
				t.Fatal(err)
			}
			if s.New != 4 || s.Accepted != 3 || s.Rejected != 1 || s.Ranked != 3 || len(s.MoveErrors) != 0 || strings.Contains(strings.Join(s.Warnings, " "), "回执") {
				t.Errorf("summary = %+v", s)
			}
			inbox, out := filepath.Join(w.srv.Root, "inbox"), filepath.Join(w.srv.Root, "out")
			var arch, rej, rest []string
			for _, f := range files(t, inbox) {
				switch {
				case strings.HasPrefix(f, "archive/"):
					arch = append(arch, f)
				case strings.HasPrefix(f, "rejected/"):
					rej = append(rej, f)
				default:
					rest = append(rest, f)
				}
			}
			if len(arch) != 3 || len(rej) != 1 {
				t.Errorf("archive = %q, rejected = %q", arch, rej)
			}
			if !strings.Contains(strings.Join(arch, " "), "/常柴/") {
				t.Errorf("the subfolder's file is not archived under its folder: %q", arch)
			}
			if len(rest) != 3 || rest[0] != "evil\\name.xlsx" || rest[1] != "uploading.xlsx.part" || !strings.HasPrefix(rest[2], "常柴/回执/") {
				t.Errorf("left in the inbox: %q; want the unsafe name, the .part and the receipt copy in 常柴/回执/", rest)
			}
			outs := files(t, out)
			receipts := 0
			for _, f := range outs {
				if strings.HasPrefix(f, ".") || strings.Contains(f, store.TempPrefix) {
					t.Errorf("temporary file left in the outbox: %s", f)
				}
				if strings.HasPrefix(f, ReceiptDir+"/") {
					receipts++
				}
			}
			if receipts != 4 {
				t.Errorf("outbox = %q, want 4 receipts", outs)
			}
			report := filepath.Join(out, ReportName(w.std))
			want := expectedRanking(t, w.std, map[string]map[string]any{insts[0].Name: set[insts[0].Name], insts[1].Name: set[insts[1].Name], insts[2].Name: set[insts[2].Name]})
			if got := rankingRows(t, dump(t, report)); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("ranking:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			// The next run finds nothing new and still succeeds.
			s, err = Run(context.Background(), Options{Config: w.config()})
			if err != nil {
				t.Fatal(err)
			}
			if s.New != 0 || s.Duplicates != 0 || s.Ranked != 3 {
				t.Errorf("second run: %+v", s)
			}
		})
	}
}

// The server killed while a file is being downloaded: the run fails with a
// clear message, nothing is moved or lost, and the next run succeeds.
func TestRunServerKilledMidDownload(t *testing.T) {
	w := newFTPWorld(t, NoTLS)
	set := demoSet(w.std, 4)
	for i, in := range w.std.Institutions[:3] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	big := make([]byte, 16<<20) // more than the socket buffers hold
	rand.NewChaCha8([32]byte{16}).Read(big)
	w.srv.Write("inbox/big.xlsx", big, time.Now().Add(-time.Hour))
	inbox := filepath.Join(w.srv.Root, "inbox")
	before := files(t, inbox)

	cfg := w.config()
	stores := func() (store.Store, store.Store, *FTP) {
		in := w.srv.Store("inbox", FTPOptions{Retries: 2, MaxBytes: cfg.MaxFileMB << 20})
		return in, w.srv.Store("out", FTPOptions{Retries: 2}), in
	}
	in, out, f := stores()
	var read atomic.Int64
	var once sync.Once
	f.onRead = func(n int) {
		if read.Add(int64(n)) > 1<<20 { // well into big.xlsx
			once.Do(w.srv.Stop)
		}
	}
	_, err := Run(context.Background(), Options{Config: cfg, Inbox: in, Out: out})
	if err == nil {
		t.Fatal("the run succeeded with the server killed")
	}
	// Files are read by a pool of workers: the error names whichever file
	// the dead server failed first.
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), w.srv.Addr()) || !strings.Contains(err.Error(), ".xlsx from ") {
		t.Errorf("err = %v, want store.ErrUnavailable naming the server and a file", err)
	}
	t.Logf("run error: %v", err)

	w.srv.Restart()
	if after := files(t, inbox); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("inbox changed: %q, was %q", after, before)
	}
	if got := files(t, filepath.Join(w.srv.Root, "out")); len(got) != 0 {
		t.Errorf("the failed run wrote %q", got)
	}
	if l, err := state.OpenLedger(w.state); err != nil || len(l.Records) != 0 {
		t.Errorf("the failed run committed the ledger: %v", err)
	}

	in, out, _ = stores()
	s, err := Run(context.Background(), Options{Config: cfg, Inbox: in, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 4 || s.Accepted != 3 || s.Rejected != 1 || len(s.MoveErrors) != 0 {
		t.Errorf("the next run: %+v", s)
	}
	for _, f := range files(t, inbox) {
		if !strings.HasPrefix(f, "archive/") && !strings.HasPrefix(f, "rejected/") {
			t.Errorf("left in the inbox: %s", f)
		}
	}
}

// The inbox's subfolders (an FTP server may give each institution its
// own) are read one level deep, the same on a local folder as on FTP;
// archive/, rejected/ and 回执/ are not, and a receipt copy goes back into
// the subfolder.
func TestRunInstitutionSubfolders(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 5)
	a, b := w.std.Institutions[0].Name, w.std.Institutions[2].Name
	for _, d := range []string{"常柴", "a/b", ArchiveDir, ReceiptDir} {
		os.MkdirAll(filepath.Join(w.inbox, filepath.FromSlash(d)), 0o755)
	}
	w.upload("inst00.xlsx", a, set[a])
	w.upload("常柴/自评表.xlsx", b, set[b])
	w.upload("a/b/too-deep.xlsx", b, set[b])
	w.upload(ArchiveDir+"/old.xlsx", b, set[b])
	w.upload(ReceiptDir+"/r.xlsx", b, set[b])
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 2 || s.Accepted != 2 {
		t.Errorf("summary = %+v", s)
	}
	var moved, receipt bool
	for _, f := range files(t, w.inbox) {
		moved = moved || strings.HasPrefix(f, ArchiveDir+"/") && strings.Contains(f, "/常柴/") && strings.HasSuffix(f, "-自评表.xlsx")
		receipt = receipt || strings.HasPrefix(f, "常柴/"+ReceiptDir+"/回执-")
	}
	if !moved || !receipt {
		t.Errorf("inbox = %q: want 常柴's file under archive/<day>/常柴/ and its receipt in 常柴/回执/", files(t, w.inbox))
	}
	for _, f := range []string{"a/b/too-deep.xlsx", ArchiveDir + "/old.xlsx", ReceiptDir + "/r.xlsx"} {
		if _, err := os.Stat(filepath.Join(w.inbox, filepath.FromSlash(f))); err != nil {
			t.Errorf("%s was taken: %v", f, err)
		}
	}
}

// config.example.toml loads and its [ftp] table states the defaults (a key
// added after the table would land in it and fail here).
func TestConfigExampleFTP(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FTP != DefaultConfig().FTP {
		t.Errorf("[ftp] in config.example.toml = %+v, defaults %+v", cfg.FTP, DefaultConfig().FTP)
	}
}
