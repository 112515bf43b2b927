// Package ftptest starts a real FTP server for a test: vsftpd in the
// foreground on free loopback ports (plain, explicit or implicit TLS with
// a self-signed certificate), its user chrooted to a temp folder. The FTP
// store's tests and the pipeline's runs over FTP use it.
package ftptest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kaohe/pipeline/store/ftp"
)

// Server is a real FTP server for one test: vsftpd in the foreground on
// free loopback ports, its user chrooted to Root, stopped by its PID (the
// whole process group, sessions included) when the test ends.
type Server struct {
	t      *testing.T
	Root   string // the FTP user's folder on disk
	Port   int
	Mode   ftp.TLSMode
	CAFile string // the self-signed certificate, for [ftp] ca_file
	conf   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan struct{}
}

// The local user the servers log in, created once if missing.
const (
	User     = "kaohe-ftp"
	Password = "kaohe-test-Pw1"
)

var (
	userOnce sync.Once
	userErr  error
	uid      int
	gid      int
)

// vsftpdPath finds vsftpd, or skips the test; with CI set it fails instead.
func vsftpdPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("vsftpd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/vsftpd"); err2 == nil {
			p, err = "/usr/sbin/vsftpd", nil
		}
	}
	why := ""
	switch {
	case err != nil:
		why = "vsftpd is not installed (apt-get install vsftpd; .ci/run does it)"
	case os.Geteuid() != 0:
		why = "vsftpd tests need root (a local user, chroot)"
	}
	if why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI is set, so this fails instead of skipping", why)
		}
		t.Skip(why)
	}
	return p
}

// ensureUser creates the test's FTP user with a shell from /etc/shells.
func ensureUser() error {
	userOnce.Do(func() {
		if _, err := user.Lookup(User); err != nil {
			// vsftpd enters the home folder before local_root: it must exist.
			out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/",
				"--shell", "/bin/sh", User).CombinedOutput()
			if _, lerr := user.Lookup(User); lerr != nil { // another test binary may have made it meanwhile
				userErr = fmt.Errorf("useradd %s: %v: %s", User, err, out)
				return
			}
		}
		cmd := exec.Command("chpasswd")
		cmd.Stdin = strings.NewReader(User + ":" + Password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			userErr = fmt.Errorf("chpasswd: %v: %s", err, out)
			return
		}
		u, err := user.Lookup(User)
		if err != nil {
			userErr = err
			return
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	})
	return userErr
}

var (
	certOnce        sync.Once
	certPEM, keyPEM []byte
	certErr         error
	wrongCertPEM    []byte
)

// Cert is a self-signed certificate for 127.0.0.1 (made once per test
// binary) in PEM, its key, and a second, unrelated certificate for the
// wrong-CA case.
func Cert() (cert, key, wrong []byte, err error) {
	certOnce.Do(func() {
		mk := func() ([]byte, []byte, error) {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, nil, err
			}
			tmpl := &x509.Certificate{
				SerialNumber:          big.NewInt(mrand.Int64()),
				Subject:               pkix.Name{CommonName: "kaohe test FTP server"},
				NotBefore:             time.Now().Add(-time.Hour),
				NotAfter:              time.Now().Add(24 * time.Hour),
				IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
				DNSNames:              []string{"localhost"},
				KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
				ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
				BasicConstraintsValid: true,
				IsCA:                  true,
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
			if err != nil {
				return nil, nil, err
			}
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
				pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
		}
		if certPEM, keyPEM, certErr = mk(); certErr == nil {
			wrongCertPEM, _, certErr = mk()
		}
	})
	return certPEM, keyPEM, wrongCertPEM, certErr
}

// freePorts finds n consecutive free loopback ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 200; try++ {
		base := 20000 + mrand.IntN(40000)
		var ls []net.Listener
		ok := true
		for i := 0; i < n; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

// Start starts a server in the given mode, with extra vsftpd.conf lines;
// it stops when the test ends. It skips the test where vsftpd is missing
// or the test is not root (fails instead when CI is set).
func Start(t *testing.T, mode ftp.TLSMode, extra ...string) *Server {
	t.Helper()
	bin := vsftpdPath(t)
	if err := ensureUser(); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "kaohe-vsftpd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the session enters Root as the FTP user
		t.Fatal(err)
	}
	s := &Server{t: t, Root: filepath.Join(dir, "home"), Mode: mode}
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(s.Root, uid, gid); err != nil {
		t.Fatal(err)
	}
	base := freePorts(t, 11)
	s.Port = base
	conf := []string{
		"listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", fmt.Sprintf("listen_port=%d", base),
		"background=NO", "seccomp_sandbox=NO", "anonymous_enable=NO", "local_enable=YES", "write_enable=YES",
		"local_umask=022", "chroot_local_user=YES", "allow_writeable_chroot=YES", "local_root=" + s.Root,
		"pasv_enable=YES", "pasv_address=127.0.0.1", fmt.Sprintf("pasv_min_port=%d", base+1),
		fmt.Sprintf("pasv_max_port=%d", base+10), "connect_from_port_20=NO", "pam_service_name=vsftpd",
		"secure_chroot_dir=/var/run/vsftpd/empty", "userlist_enable=NO", "use_localtime=NO",
		"xferlog_enable=NO", "delay_failed_login=0", "delay_successful_login=0", "dirmessage_enable=NO",
	}
	if mode != ftp.NoTLS {
		c, k, _, err := Cert()
		if err != nil {
			t.Fatal(err)
		}
		s.CAFile = filepath.Join(dir, "cert.pem")
		keyFile := filepath.Join(dir, "key.pem")
		if err := os.WriteFile(s.CAFile, c, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, k, 0o600); err != nil {
			t.Fatal(err)
		}
		conf = append(conf, "ssl_enable=YES", "rsa_cert_file="+s.CAFile, "rsa_private_key_file="+keyFile,
			"force_local_logins_ssl=YES", "force_local_data_ssl=YES", "ssl_ciphers=HIGH", "require_ssl_reuse=YES",
			"ssl_tlsv1=YES", "ssl_sslv2=NO", "ssl_sslv3=NO")
		if mode == ftp.ImplicitTLS {
			conf = append(conf, "implicit_ssl=YES")
		}
	}
	conf = append(conf, extra...)
	s.conf = filepath.Join(dir, "vsftpd.conf")
	if err := os.WriteFile(s.conf, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start(bin)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(bin string) {
	s.t.Helper()
	s.stderr = &bytes.Buffer{}
	s.cmd = exec.Command(bin, s.conf)
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, s.stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not the test's group: a signal to it is not ours
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting vsftpd: %v", err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s.greets() {
			return
		}
		select {
		case <-s.done:
			s.t.Fatalf("vsftpd exited: %s", s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("vsftpd did not start: %s", s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// greets says whether the server answers with 220 (a plain greeting; with
// implicit TLS, an accepted connection is enough).
func (s *Server) greets() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	if s.Mode == ftp.ImplicitTLS {
		return true
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "220")
}

// Stop kills the server by its PID, and its sessions: vsftpd forks one
// per connection and each calls setsid, so they are found as the
// listener's descendants (and their sessions) in /proc.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	for _, p := range sessionsOf(pid) {
		syscall.Kill(p, syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// sessionsOf returns the descendants of pid and every process in their
// sessions (a session's helper may have outlived its parent).
func sessionsOf(pid int) []int {
	type proc struct{ ppid, sid int }
	procs := map[int]proc{}
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		p, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + de.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp session ...
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 4 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		sid, _ := strconv.Atoi(f[3])
		procs[p] = proc{pp, sid}
	}
	in := map[int]bool{}
	for changed := true; changed; {
		changed = false
		for p, pr := range procs {
			if !in[p] && (pr.ppid == pid || in[pr.ppid]) {
				in[p], changed = true, true
			}
		}
	}
	sids := map[int]bool{}
	for p := range in {
		sids[procs[p].sid] = true
	}
	var out []int
	for p, pr := range procs {
		if p != pid && (in[p] || sids[pr.sid] && pr.sid != procs[pid].sid) {
			out = append(out, p)
		}
	}
	return out
}

// Restart starts the server again with the same ports and folder.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start(vsftpdPath(s.t))
}

// Addr is the control address.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is the location of a folder of the server.
func (s *Server) URL(dir string) string {
	scheme := "ftp"
	if s.Mode != ftp.NoTLS {
		scheme = "ftps"
	}
	return fmt.Sprintf("%s://%s@%s/%s", scheme, User, s.Addr(), dir)
}

// Store is an FTP store on a folder of the server, with quick retries.
func (s *Server) Store(dir string, o ftp.Options) *ftp.Store {
	s.t.Helper()
	loc, err := ftp.ParseLocation(s.URL(dir))
	if err != nil {
		s.t.Fatal(err)
	}
	if o.Password == "" {
		o.Password = Password
	}
	o.TLS = s.Mode
	if s.Mode != ftp.NoTLS && o.RootCAs == nil {
		pool := x509.NewCertPool()
		c, _, _, _ := Cert()
		pool.AppendCertsFromPEM(c)
		o.RootCAs = pool
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Backoff == 0 {
		o.Backoff = 20 * time.Millisecond
	}
	f := ftp.New(loc, o)
	s.t.Cleanup(func() { f.Close() })
	return f
}

// Write puts a file straight into the server's folder, owned by its user.
func (s *Server) Write(name string, b []byte, mtime time.Time) {
	s.t.Helper()
	p := filepath.Join(s.Root, filepath.FromSlash(name))
	s.Mkdir(filepath.Dir(p))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		s.t.Fatal(err)
	}
	os.Lchown(p, uid, gid)
	if !mtime.IsZero() {
		os.Chtimes(p, mtime, mtime)
	}
}

// Mkdir makes a folder on disk (an absolute path under Root), owned by the FTP user.
func (s *Server) Mkdir(p string) {
	s.t.Helper()
	if p == s.Root || !strings.HasPrefix(p, s.Root) {
		return
	}
	s.Mkdir(filepath.Dir(p))
	if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
		s.t.Fatal(err)
	}
	os.Chown(p, uid, gid)
}

// Silent listens on a loopback port, accepts every connection and never
// says anything, until the test ends; it returns the address.
func Silent(t *testing.T) string {
	t.Helper()
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
	return l.Addr().String()
}
