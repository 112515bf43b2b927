package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
	"kaohe/pipeline/store/ftp"
	"kaohe/pipeline/store/ftp/ftptest"
	"kaohe/sheets"
)

func TestConfigFTP(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	cert, _, _, err := ftptest.Cert()
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

// TestParseLocation: a location is a local folder or an FTP URL (whose
// parts pipeline/store/ftp's TestParseLocation checks), nothing else.
func TestParseLocation(t *testing.T) {
	for _, c := range []struct {
		in     string
		remote bool
		err    string // part of the error
	}{
		{"inbox", false, ""},
		{"/srv/kaohe/inbox", false, ""},
		{"ftp://kaohe@10.0.0.5:2121/inbox", true, ""},
		{"FTPS://kaohe@host/out", true, ""},
		{"ftp://kaohe:s3cret@host/inbox", false, "不能写密码"},
		{"sftp://kaohe@host/inbox", false, "只支持"},
	} {
		l, err := parseLocation(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "s3cret")):
			t.Errorf("parseLocation(%q) = %v, %v; want an error with %q and no password", c.in, l, err, c.err)
		case c.err == "" && (err != nil || (l != nil) != c.remote):
			t.Errorf("parseLocation(%q) = %v, %v; want remote %v", c.in, l, err, c.remote)
		}
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

// A server that accepts TCP and never greets: a run fails with a timeout
// error (pipeline/store/ftp's TestNeverGreets: so does every call).
func TestRunFTPNeverGreets(t *testing.T) {
	t.Setenv(ftp.DefaultPasswordEnv, "x")
	cfg := DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State = "ftp://kaohe@"+ftptest.Silent(t)+"/inbox", t.TempDir(), t.TempDir()
	cfg.FTP.Timeout = store.Duration(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() { _, err := Run(context.Background(), Options{Config: cfg}); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second): // a generous bound: "returned at all"
		t.Fatal("still waiting for a server that never greets")
	}
	if !errors.Is(err, ftp.ErrTimeout) {
		t.Errorf("Run: %v, want ftp.ErrTimeout", err)
	}
	t.Logf("run error: %v", err)
}

// ftpWorld is a run's world on a vsftpd: the inbox and the outbox are
// folders of the server, the state folder is local.
type ftpWorld struct {
	*world
	srv *ftptest.Server
}

func newFTPWorld(t *testing.T, mode ftp.TLSMode) *ftpWorld {
	w := &ftpWorld{world: newWorld(t), srv: ftptest.Start(t, mode)}
	w.srv.Mkdir(filepath.Join(w.srv.Root, "inbox"))
	w.now = time.Now()
	return w
}

// config is a configuration for the server: the password in the
// environment, its certificate as the CA, short timeouts.
func (w *ftpWorld) config() Config {
	w.t.Setenv(ftp.DefaultPasswordEnv, ftptest.Password)
	cfg := DefaultConfig()
	cfg.FTP.CAFile = w.srv.CAFile
	cfg.FTP.ImplicitTLS = w.srv.Mode == ftp.ImplicitTLS
	cfg.FTP.Timeout = store.Duration(10 * time.Second)
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
		mode ftp.TLSMode
	}{{"plain", ftp.NoTLS}, {"explicit-tls", ftp.ExplicitTLS}} {
		t.Run(mode.name, func(t *testing.T) {
			w := newFTPWorld(t, mode.mode)
			set := demoSet(w.std, 3)
			insts := w.std.Institutions[:3]
			w.upload("inst00.xlsx", insts[0].Name, set[insts[0].Name])
			w.upload("inst01.xlsx", insts[1].Name, set[insts[1].Name])
			w.upload("常饮服/2013-自评表.xlsx", insts[2].Name, set[insts[2].Name]) // the institution's own folder
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
			if !strings.Contains(strings.Join(arch, " "), "/常饮服/") {
				t.Errorf("the subfolder's file is not archived under its folder: %q", arch)
			}
			if len(rest) != 3 || rest[0] != "evil\\name.xlsx" || rest[1] != "uploading.xlsx.part" || !strings.HasPrefix(rest[2], "常饮服/回执/") {
				t.Errorf("left in the inbox: %q; want the unsafe name, the .part and the receipt copy in 常饮服/回执/", rest)
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
	w := newFTPWorld(t, ftp.NoTLS)
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
	stores := func(onRead func(n int)) (store.Store, store.Store) {
		in := w.srv.Store("inbox", ftp.Options{Retries: 2, MaxBytes: cfg.MaxFileMB << 20, OnRead: onRead})
		return in, w.srv.Store("out", ftp.Options{Retries: 2})
	}
	var read atomic.Int64
	var once sync.Once
	in, out := stores(func(n int) {
		if read.Add(int64(n)) > 1<<20 { // well into big.xlsx
			once.Do(w.srv.Stop)
		}
	})
	_, err := Run(context.Background(), Options{Config: cfg, Inbox: in, Out: out})
	if err == nil {
		t.Fatal("the run succeeded with the server killed")
	}
	// Files are read by a pool of workers: the error names whichever file
	// the dead server failed first.
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), w.srv.Addr()) || !strings.Contains(err.Error(), ".xlsx from ") {
		t.Errorf("err = %v, want ErrUnavailable naming the server and a file", err)
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

	in, out = stores(nil)
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
	for _, d := range []string{"常饮服", "a/b", ArchiveDir, ReceiptDir} {
		os.MkdirAll(filepath.Join(w.inbox, filepath.FromSlash(d)), 0o755)
	}
	w.upload("inst00.xlsx", a, set[a])
	w.upload("常饮服/自评表.xlsx", b, set[b])
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
		moved = moved || strings.HasPrefix(f, ArchiveDir+"/") && strings.Contains(f, "/常饮服/") && strings.HasSuffix(f, "-自评表.xlsx")
		receipt = receipt || strings.HasPrefix(f, "常饮服/"+ReceiptDir+"/回执-")
	}
	if !moved || !receipt {
		t.Errorf("inbox = %q: want 常饮服's file under archive/<day>/常饮服/ and its receipt in 常饮服/回执/", files(t, w.inbox))
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
