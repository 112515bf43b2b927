package ftp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kaohe/pipeline/store"
	"kaohe/pipeline/store/ftp"
	"kaohe/pipeline/store/ftp/ftptest"
	"kaohe/pipeline/store/storetest"
)

// The conformance suite (storetest) on a real vsftpd, plain, explicit TLS
// and implicit TLS.
func TestStore(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode ftp.TLSMode
	}{{"plain", ftp.NoTLS}, {"explicit-tls", ftp.ExplicitTLS}, {"implicit-tls", ftp.ImplicitTLS}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := ftptest.Start(t, mode.mode)
			srv.Mkdir(filepath.Join(srv.Root, "store"))
			s := srv.Store("store", ftp.Options{})
			storetest.Run(t, s, func(name string) { srv.Mkdir(filepath.Join(srv.Root, "store", filepath.FromSlash(name))) })
			if strings.Contains(fmt.Sprintf("%v %+v %#v %s", s, s, s, s), ftptest.Password) {
				t.Error("the password shows in a formatted store")
			}
			// Only looking at, removing and cleaning: a run puts, writes
			// receipts and moves through Store alone, in order.
			if f := store.FeaturesOf(s); f.Stage != nil || f.Batch != nil || f.MoveLazy != nil || f.Path != nil || f.ParallelPut ||
				f.Stat == nil || f.Remove == nil || f.Clean == nil {
				t.Errorf("features of an FTP store: %+v", f)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	srv := ftptest.Start(t, ftp.NoTLS)
	var retries atomic.Int32
	s := srv.Store("", ftp.Options{Password: "wrong", PasswordEnv: ftp.DefaultPasswordEnv, Retries: 3, OnRetry: func(error) { retries.Add(1) }})
	_, err := s.List(context.Background(), "")
	want := fmt.Sprintf("FTP 登录失败：%s 用户 %s（530 Login incorrect.）；请检查用户名和 KAOHE_FTP_PASSWORD", srv.Addr(), ftptest.User)
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
	if !errors.Is(err, ftp.ErrLogin) || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("err is not ftp.ErrLogin and store.ErrUnavailable: %v", err)
	}
	if retries.Load() != 0 {
		t.Errorf("a 530 was retried %d times", retries.Load())
	}
}

// A server that accepts TCP and never greets: every call fails with a
// timeout error, in every TLS mode (the pipeline's TestRunFTPNeverGreets:
// a run fails too).
func TestNeverGreets(t *testing.T) {
	addr := ftptest.Silent(t)
	loc, err := ftp.ParseLocation("ftp://kaohe@" + addr + "/inbox")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []ftp.TLSMode{ftp.NoTLS, ftp.ExplicitTLS, ftp.ImplicitTLS} {
		s := ftp.New(loc, ftp.Options{Password: "x", TLS: mode, Timeout: 300 * time.Millisecond, Retries: 3, Backoff: 10 * time.Millisecond})
		done := make(chan error, 1)
		go func() { _, err := s.List(context.Background(), ""); done <- err }()
		select {
		case err = <-done:
		case <-time.After(30 * time.Second): // a generous bound: "returned at all"
			t.Fatal("still waiting for a server that never greets")
		}
		if !errors.Is(err, ftp.ErrTimeout) || !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("TLS mode %d: err = %v, want ErrTimeout", mode, err)
		}
		if err != nil && !strings.Contains(err.Error(), addr) {
			t.Errorf("the error does not name the server: %v", err)
		}
		s.Close()
	}
}

func TestUnsafeRemoteNames(t *testing.T) {
	srv := ftptest.Start(t, ftp.NoTLS)
	for _, name := range []string{"good.xlsx", "back\\slash.xlsx", "cr\rname.xlsx", "lf\nname.xlsx", "tab\tname.xlsx"} {
		srv.Write("in/"+name, []byte("x"), time.Time{})
	}
	es, err := srv.Store("in", ftp.Options{}).List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got, odd []string
	for _, e := range es {
		if e.Odd == ftp.OddName {
			odd = append(odd, e.Name)
			if e.Dir || e.Size != 0 {
				t.Errorf("an unsafe name is listed as more than a name: %+v", e)
			}
			continue
		}
		if store.CheckName(e.Name) != nil {
			t.Errorf("List returned an unsafe name %q without Odd", e.Name)
		}
		got = append(got, e.Name)
	}
	if !strings.Contains(strings.Join(got, "|"), "good.xlsx") || strings.Contains(strings.Join(got, "|"), "slash") ||
		!strings.Contains(strings.Join(odd, "|"), "back\\slash.xlsx") {
		t.Errorf("List = %q and, unsafe, %q; want good.xlsx, and the backslash name unsafe", got, odd)
	}
	t.Logf("listed: %q", got)
}

// vsftpd's max_per_ip answers a second connection with 421: a transient
// reply, retried with backoff until the first connection goes away. A 550
// is not retried.
func TestTransientRetried(t *testing.T) {
	srv := ftptest.Start(t, ftp.NoTLS, "max_per_ip=1")
	var retries []error
	var s *ftp.Store
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
		s = srv.Store("", ftp.Options{Retries: 6, Backoff: 50 * time.Millisecond, OnRetry: func(err error) {
			retries = append(retries, err)
			hog.Close()
		}})
		if _, err := s.List(context.Background(), ""); err != nil {
			t.Fatalf("List after a 421: %v", err)
		}
		if len(retries) == 0 {
			s.Close()
			hog.Close()
			time.Sleep(50 * time.Millisecond)
		}
	}
	if te := (*textproto.Error)(nil); !errors.As(retries[0], &te) || te.Code != 421 {
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

func TestCertificateChecked(t *testing.T) {
	srv := ftptest.Start(t, ftp.ExplicitTLS)
	_, _, wrong, _ := ftptest.Cert()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(wrong)
	for name, o := range map[string]ftp.Options{
		"another CA": {RootCAs: pool, Retries: 3},
	} {
		t.Run(name, func(t *testing.T) {
			var retries atomic.Int32
			o.OnRetry = func(error) { retries.Add(1) }
			s := srv.Store("", o)
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
		loc, _ := ftp.ParseLocation(srv.URL(""))
		s := ftp.New(loc, ftp.Options{Password: ftptest.Password, TLS: ftp.ExplicitTLS, Timeout: 10 * time.Second})
		defer s.Close()
		if _, err := s.List(context.Background(), ""); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "证书") {
			t.Errorf("a self-signed server passed the system roots: %v", err)
		}
	})
}

func TestSizeCap(t *testing.T) {
	srv := ftptest.Start(t, ftp.NoTLS)
	s := srv.Store("", ftp.Options{MaxBytes: 1000})
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
func TestSFiveMegabytes(t *testing.T) {
	srv := ftptest.Start(t, ftp.ExplicitTLS)
	s := srv.Store("out", ftp.Options{})
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

// A Put cut short (the connection lost before the rename, a process
// killed) leaves a hidden temporary file on the server; Clean removes it,
// and nothing else.
func TestCleanRemovesStaleTemporaryFiles(t *testing.T) {
	srv := ftptest.Start(t, ftp.NoTLS)
	srv.Mkdir(filepath.Join(srv.Root, "out"))
	s := srv.Store("out", ftp.Options{})
	for _, name := range []string{"out/" + store.TempPrefix + "0123", "out/回执/" + store.TempPrefix + "4567", "out/回执/a.xlsx", "out/.hidden", "out/keep.xlsx"} {
		srv.Write(name, []byte("x"), time.Time{})
	}
	s.Clean("")
	s.Clean("回执")
	s.Clean("nothere")
	var left []string
	filepath.WalkDir(filepath.Join(srv.Root, "out"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(srv.Root, p)
			left = append(left, filepath.ToSlash(rel))
		}
		return nil
	})
	if got, want := strings.Join(left, " "), "out/.hidden out/keep.xlsx out/回执/a.xlsx"; got != want {
		t.Errorf("left on the server: %q, want %q", got, want)
	}
}
