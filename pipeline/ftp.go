package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jlaffaye/ftp"

	"kaohe/pipeline/store"
)

// Errors of the FTP store. The messages a person sees name the server, the
// user and the step; these sentinels are for errors.Is.
var (
	// ErrTimeout: one network step took longer than [ftp] timeout. It also
	// wraps store.ErrUnavailable.
	ErrTimeout = errors.New("FTP 操作超时")
	// ErrLogin: the server refused the user name or the password. It also
	// wraps store.ErrUnavailable.
	ErrLogin = errors.New("FTP 登录失败")
)

// TLSMode is how an FTP store protects its connections.
type TLSMode int

// The TLS modes: none (ftp://), explicit AUTH TLS (ftps://, the default)
// and implicit TLS from the first byte (ftps:// with [ftp] implicit_tls).
const (
	NoTLS TLSMode = iota
	ExplicitTLS
	ImplicitTLS
)

// FTPOptions configure an FTP store.
type FTPOptions struct {
	Password    string         // never logged
	PasswordEnv string         // the variable it came from, named in the login error
	TLS         TLSMode        //
	RootCAs     *x509.CertPool // nil: the system roots
	Timeout     time.Duration  // each network step (connect, greeting, reply, no progress in a transfer); 0: 30s
	Retries     int            // transient failures (421, 425, 426, a reset connection) are retried this many times
	Backoff     time.Duration  // first pause before a retry, doubled each time; 0: 1s
	MaxBytes    int64          // Open reads at most MaxBytes+1 bytes of a larger file; 0: no cap
	Log         *slog.Logger   // nil: discard
}

// FTP is a store.Store on a folder of an FTP server. It keeps one control
// connection, opened on first use and reopened after a failure; calls are
// serialised, so it is safe for concurrent use. Open reads the whole file
// (up to MaxBytes+1) and checks it against the server's SIZE before it
// returns; Put uploads under a hidden temporary name, checks the size on
// the server and renames. Reply codes become the package's errors where
// they enter: 550 → store.ErrNotFound, 530 → ErrLogin, timeouts → ErrTimeout.
type FTP struct {
	loc      Location
	password secret
	passEnv  string
	mode     TLSMode
	tlsConf  *tls.Config
	timeout  time.Duration
	retries  int
	backoff  time.Duration
	maxBytes int64
	log      *slog.Logger

	mu   sync.Mutex // one operation at a time on conn
	conn *ftp.ServerConn
	root string          // absolute folder of the store on the server, known after login
	made map[string]bool // folders known to exist
	ctx  context.Context // the current attempt's, for dialling data connections

	live    sync.Mutex
	conns   map[*deadlineConn]struct{} // open sockets, to interrupt on cancel
	halted  atomic.Bool                // the current attempt was interrupted
	onRead  func(n int)                // test hook: after each read of a download
	onRetry func(err error)            // test hook: before each retry
}

var _ store.Store = (*FTP)(nil)

// secret is a string that never prints.
type secret string

func (secret) String() string   { return "*****" }
func (secret) GoString() string { return `"*****"` }

// NewFTP returns a store on the folder loc names (an ftp:// or ftps://
// location). It does not connect: the first call does.
func NewFTP(loc Location, o FTPOptions) *FTP {
	f := &FTP{loc: loc, password: secret(o.Password), passEnv: o.PasswordEnv, mode: o.TLS,
		timeout: o.Timeout, retries: o.Retries, backoff: o.Backoff, maxBytes: o.MaxBytes, log: o.Log,
		made: map[string]bool{}, conns: map[*deadlineConn]struct{}{}}
	if f.timeout <= 0 {
		f.timeout = 30 * time.Second
	}
	if f.backoff <= 0 {
		f.backoff = time.Second
	}
	if f.log == nil {
		f.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if f.mode != NoTLS {
		host, _, _ := net.SplitHostPort(loc.Host)
		// vsftpd refuses data connections that do not resume the control
		// connection's TLS session (522), hence the cache; with TLS 1.3 it
		// truncates uploads of 1 MB and more (426), hence 1.2 at most.
		f.tlsConf = &tls.Config{
			ServerName:         host,
			RootCAs:            o.RootCAs,
			MinVersion:         tls.VersionTLS12,
			MaxVersion:         tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(16),
		}
	}
	return f
}

// String is the location without a password: ftp://user@host:21/path.
func (f *FTP) String() string { return f.loc.String() }

// GoString keeps %#v from printing the password.
func (f *FTP) GoString() string { return "pipeline.FTP(" + f.loc.String() + ")" }

// Close ends the control connection.
func (f *FTP) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Quit()
		f.conn = nil
	}
	f.closeAll()
	return nil
}

// abs is a checked name's path on the server.
func (f *FTP) abs(name string) string {
	if name == "" {
		return f.root
	}
	return path.Join(f.root, name)
}

// List implements store.Store. Names that store.CheckName refuses are skipped with a
// log line, never returned. Without MLSD (vsftpd), each file's time comes
// from MDTM, to the second, rather than from LIST, to the minute.
func (f *FTP) List(ctx context.Context, dir string) ([]store.Entry, error) {
	if dir != "" {
		if err := store.CheckName(dir); err != nil {
			return nil, err
		}
	}
	var out []store.Entry
	err := f.do(ctx, "列出 "+f.describe(dir), func(c *ftp.ServerConn, _ int) error {
		out = nil
		p := f.abs(dir)
		if err := c.ChangeDir(p); err != nil {
			if replyCode(err) == ftp.StatusFileUnavailable {
				return fmt.Errorf("listing %s: %w", f.describe(dir), store.ErrNotFound)
			}
			return err
		}
		ents, err := c.List("")
		if err != nil {
			return err
		}
		seen, warned := map[string]bool{}, false
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." || seen[e.Name] {
				continue // a name with a line feed can fake a line of LIST
			}
			seen[e.Name] = true
			if strings.Contains(e.Name, "/") || store.CheckName(e.Name) != nil {
				f.log.Warn("ftp: skipping an unsafe remote name", "store", f.String(), "dir", dir, "name", e.Name)
				continue
			}
			en := store.Entry{Name: store.Join(dir, e.Name), Size: int64(e.Size), ModTime: e.Time, Dir: e.Type == ftp.EntryTypeFolder}
			switch {
			case e.Type == ftp.EntryTypeLink:
				en.Odd = "符号链接"
			case !en.Dir && !c.IsTimePreciseInList() && c.IsGetTimeSupported():
				t, err := c.GetTime(path.Join(p, e.Name))
				switch {
				case err == nil:
					en.ModTime = t
				case replyCode(err) >= 500:
					// gone since LIST, or no MDTM for it: keep the listed time
				default:
					return err
				}
			}
			if en.ModTime.After(time.Now().Add(10*time.Minute)) && !warned {
				warned = true
				f.log.Warn("ftp: file times are in the future: the server's clock is off, or it reports local time "+
					"(vsftpd: set use_localtime=NO)", "store", f.String(), "file", en.Name, "time", en.ModTime)
			}
			out = append(out, en)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Open implements store.Store: it downloads the whole file, at most MaxBytes+1
// bytes of it, and checks the bytes against the server's SIZE.
func (f *FTP) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := store.CheckName(name); err != nil {
		return nil, err
	}
	var data []byte
	err := f.do(ctx, "下载 "+name, func(c *ftp.ServerConn, _ int) error {
		data = nil
		p := f.abs(name)
		size, err := c.FileSize(p)
		if err != nil {
			if replyCode(err) == ftp.StatusFileUnavailable {
				if c.ChangeDir(p) == nil {
					return fmt.Errorf("opening %s: 文件夹: %w", name, store.ErrNotRegular)
				}
				return fmt.Errorf("opening %s: %w", name, store.ErrNotFound)
			}
			return err
		}
		want, capped := size, false
		if f.maxBytes > 0 && size > f.maxBytes {
			want, capped = f.maxBytes+1, true
		}
		r, err := c.Retr(p)
		if err != nil {
			if replyCode(err) == ftp.StatusFileUnavailable {
				return fmt.Errorf("opening %s: %w", name, store.ErrNotFound)
			}
			return err
		}
		lim := want + 1 // one byte more than SIZE said tells a file that grew meanwhile
		if capped {
			lim = want
		}
		var buf bytes.Buffer
		buf.Grow(int(min(lim, 64<<20)))
		n, rerr := io.Copy(&buf, &hookReader{r: io.LimitReader(r, lim), hook: f.onRead})
		cerr := r.Close() // reads the transfer's final reply; must come before the next command
		if capped {
			f.drop() // the transfer was cut short on purpose; start afresh
			if n < want {
				return &shortError{name, n, size}
			}
			data = buf.Bytes()
			return nil
		}
		if rerr != nil {
			return rerr
		}
		if cerr != nil {
			return cerr
		}
		if n != size {
			return &shortError{name, n, size}
		}
		data = buf.Bytes()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Put implements store.Store: STOR under a hidden temporary name in the same
// folder, SIZE to check every byte arrived, then RNFR/RNTO over the name.
// A temporary file left by a connection lost mid-upload stays hidden.
func (f *FTP) Put(ctx context.Context, name string, r io.Reader) error {
	if err := store.CheckName(name); err != nil {
		return err
	}
	data, err := io.ReadAll(r) // kept for a retry
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return f.do(ctx, "上传 "+name, func(c *ftp.ServerConn, _ int) error {
		p := f.abs(name)
		if err := f.mkdirAll(c, path.Dir(p)); err != nil {
			return err
		}
		tmp := path.Join(path.Dir(p), store.TempPrefix+randomHex())
		if err := c.Stor(tmp, bytes.NewReader(data)); err != nil {
			f.remove(c, tmp, err)
			return err
		}
		switch size, err := c.FileSize(tmp); {
		case err != nil && replyCode(err) < 500:
			return err
		case err == nil && size != int64(len(data)):
			err := &shortError{name, size, int64(len(data))}
			f.remove(c, tmp, err)
			return err
		}
		if err := c.Rename(tmp, p); err != nil {
			f.remove(c, tmp, err)
			return err
		}
		return nil
	})
}

// Move implements store.Store: RNFR/RNTO after SIZE found nothing at to.
func (f *FTP) Move(ctx context.Context, from, to string) error {
	if err := store.CheckName(from); err != nil {
		return err
	}
	if err := store.CheckName(to); err != nil {
		return err
	}
	return f.do(ctx, "移动 "+from, func(c *ftp.ServerConn, attempt int) error {
		pf, pt := f.abs(from), f.abs(to)
		_, errTo := c.FileSize(pt)
		if errTo != nil && replyCode(errTo) < 500 {
			return errTo
		}
		if _, err := c.FileSize(pf); err != nil {
			if replyCode(err) != ftp.StatusFileUnavailable {
				return err
			}
			if attempt > 0 && errTo == nil {
				return nil // the earlier try moved it but lost the reply
			}
			return fmt.Errorf("moving %s: %w", from, store.ErrNotFound)
		}
		if errTo == nil {
			return fmt.Errorf("moving %s to %s: %w", from, to, store.ErrExists)
		}
		if err := f.mkdirAll(c, path.Dir(pt)); err != nil {
			return err
		}
		return c.Rename(pf, pt)
	})
}

// mkdirAll makes dir and its parents; a folder that exists costs one CWD.
func (f *FTP) mkdirAll(c *ftp.ServerConn, dir string) error {
	if f.made[dir] || dir == "/" || dir == "." || dir == "" {
		return nil
	}
	if err := c.ChangeDir(dir); err == nil {
		f.made[dir] = true
		return nil
	} else if replyCode(err) < 500 {
		return err
	}
	if err := f.mkdirAll(c, path.Dir(dir)); err != nil {
		return err
	}
	if err := c.MakeDir(dir); err != nil {
		if replyCode(err) < 500 || c.ChangeDir(dir) != nil {
			return err
		}
	}
	f.made[dir] = true
	return nil
}

// remove deletes a temporary file, best effort, when the server's last
// reply (to err) shows the control connection still answers.
func (f *FTP) remove(c *ftp.ServerConn, name string, err error) {
	var se *shortError
	if (replyCode(err) != 0 || errors.As(err, &se)) && !f.halted.Load() && !errors.Is(err, io.EOF) {
		c.Delete(name)
	}
}

// describe names a folder of the store for messages.
func (f *FTP) describe(dir string) string {
	if dir == "" {
		return f.String()
	}
	return dir
}

// do runs op on a logged-in connection under the per-step and per-attempt
// deadlines, retrying transient failures with backoff, and turns what goes
// wrong into the package's errors.
func (f *FTP) do(ctx context.Context, what string, op func(c *ftp.ServerConn, attempt int) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var err, first error
	tries := 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			f.log.Warn("ftp: retrying", "store", f.String(), "op", what, "attempt", attempt+1, "err", err)
			if f.onRetry != nil {
				f.onRetry(err)
			}
			select {
			case <-time.After(f.backoff << (attempt - 1)):
			case <-ctx.Done():
				return fmt.Errorf("%s: %w", what, ctx.Err())
			}
		}
		tries++
		err = f.attempt(ctx, op, attempt)
		if first == nil {
			first = err
		}
		if err == nil || ctx.Err() != nil || attempt >= f.retries || !transient(err) {
			break
		}
	}
	if err == nil {
		return nil
	}
	return f.explain(ctx, what, err, first, tries)
}

// attempt runs op once. Every socket read and write has a deadline of
// timeout (deadlineConn); the whole attempt has one of 10×timeout, after
// which, or when ctx ends, its sockets are interrupted.
func (f *FTP) attempt(ctx context.Context, op func(c *ftp.ServerConn, attempt int) error, attempt int) (err error) {
	actx, cancel := context.WithTimeout(ctx, 10*f.timeout)
	defer cancel()
	f.ctx = actx
	f.halted.Store(false)
	stop := context.AfterFunc(actx, f.interrupt)
	defer func() {
		stop()
		if err != nil && (f.halted.Load() || !keepConn(err)) {
			f.drop()
		}
		if err != nil && actx.Err() != nil && ctx.Err() == nil {
			err = &timeoutError{err} // the attempt's overall deadline
		}
	}()
	if f.conn == nil {
		if err := f.connect(); err != nil {
			return &connectError{err}
		}
	}
	return op(f.conn, attempt)
}

// connect dials, logs in and finds the store's folder. Every socket goes
// through dialFunc, so each read and write has a deadline: a server that
// accepts and never greets fails after timeout.
func (f *FTP) connect() error {
	control := true
	dial := func(network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: f.timeout}
		raw, err := d.DialContext(f.ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := f.track(raw)
		first := control
		control = false
		// The library wraps the control connection for AUTH TLS itself,
		// but not implicit TLS nor data connections when it is given a
		// dial function.
		if f.mode == ImplicitTLS && first || f.mode != NoTLS && !first {
			return tls.Client(c, f.tlsConf), nil
		}
		return c, nil
	}
	opts := []ftp.DialOption{ftp.DialWithDialFunc(dial), ftp.DialWithLocation(time.UTC)}
	switch f.mode {
	case ExplicitTLS:
		opts = append(opts, ftp.DialWithExplicitTLS(f.tlsConf))
	case ImplicitTLS:
		opts = append(opts, ftp.DialWithTLS(f.tlsConf))
	}
	c, err := ftp.Dial(f.loc.Host, opts...)
	if err != nil {
		f.closeAll()
		return err
	}
	if err := c.Login(f.loc.User, string(f.password)); err != nil {
		c.Quit()
		f.closeAll()
		if code := replyCode(err); code == 530 || code == 331 || code == 332 {
			return &loginError{err}
		}
		return err
	}
	root := strings.TrimPrefix(f.loc.Path, "/")
	if !strings.HasPrefix(root, "/") { // relative to the login folder
		home, err := c.CurrentDir()
		if err != nil {
			c.Quit()
			f.closeAll()
			return err
		}
		root = path.Join(home, root)
	}
	f.conn, f.root = c, path.Clean(root)
	return nil
}

// drop abandons the connection after a failure; the next call reconnects.
func (f *FTP) drop() {
	f.conn = nil
	f.closeAll()
}

// deadlineConn is a socket whose every read and write must make progress
// within the store's timeout.
type deadlineConn struct {
	net.Conn
	f *FTP
}

func (f *FTP) track(c net.Conn) *deadlineConn {
	dc := &deadlineConn{Conn: c, f: f}
	f.live.Lock()
	f.conns[dc] = struct{}{}
	f.live.Unlock()
	return dc
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if c.f.halted.Load() {
		return 0, os.ErrDeadlineExceeded
	}
	c.Conn.SetReadDeadline(time.Now().Add(c.f.timeout))
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if c.f.halted.Load() {
		return 0, os.ErrDeadlineExceeded
	}
	c.Conn.SetWriteDeadline(time.Now().Add(c.f.timeout))
	return c.Conn.Write(b)
}

func (c *deadlineConn) Close() error {
	c.f.live.Lock()
	delete(c.f.conns, c)
	c.f.live.Unlock()
	return c.Conn.Close()
}

// interrupt makes every pending read and write of the current attempt fail.
func (f *FTP) interrupt() {
	f.halted.Store(true)
	f.live.Lock()
	defer f.live.Unlock()
	for c := range f.conns {
		c.Conn.SetDeadline(time.Unix(1, 0))
	}
}

// closeAll closes every socket of the store.
func (f *FTP) closeAll() {
	f.live.Lock()
	cs := make([]*deadlineConn, 0, len(f.conns))
	for c := range f.conns {
		cs = append(cs, c)
	}
	f.live.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

// hookReader calls hook after each read (a test hook for slow transfers).
type hookReader struct {
	r    io.Reader
	hook func(int)
}

func (h *hookReader) Read(b []byte) (int, error) {
	n, err := h.r.Read(b)
	if h.hook != nil && n > 0 {
		h.hook(n)
	}
	return n, err
}

// shortError: a transfer moved fewer or more bytes than the server's size.
type shortError struct {
	name      string
	got, want int64
}

func (e *shortError) Error() string {
	return fmt.Sprintf("%s 传输不完整：%d 字节，应为 %d 字节", e.name, e.got, e.want)
}

// connectError: dialling, the greeting, TLS or the login failed.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

type loginError struct{ err error }

func (e *loginError) Error() string { return e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }

type timeoutError struct{ err error }

func (e *timeoutError) Error() string { return e.err.Error() }
func (e *timeoutError) Unwrap() error { return e.err }

// ftpError is what the store returns for a failure of the server or the
// network: one message for people, sentinels for errors.Is.
type ftpError struct {
	msg  string
	errs []error
}

func (e *ftpError) Error() string   { return e.msg }
func (e *ftpError) Unwrap() []error { return e.errs }

// explain turns a failed operation's last error into the package's terms.
func (f *FTP) explain(ctx context.Context, what string, err, first error, tries int) error {
	host, user := f.loc.Host, f.loc.User
	again := ""
	if tries > 1 {
		again = fmt.Sprintf("，已试 %d 次", tries)
		if replyText(first) != replyText(err) {
			again += "，第一次的错误：" + replyText(first)
		}
	}
	var le *loginError
	var ce *connectError
	var cv *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrNotRegular):
		return err
	case errors.As(err, &le):
		return &ftpError{fmt.Sprintf("FTP 登录失败：%s 用户 %s（%s）；请检查用户名和 %s", host, user, replyText(err), f.passEnvName()),
			[]error{ErrLogin, store.ErrUnavailable, err}}
	case isTimeout(err):
		return &ftpError{fmt.Sprintf("FTP 服务器 %s 在 %s 内没有响应（%s）", host, f.timeout, what),
			[]error{ErrTimeout, store.ErrUnavailable, err}}
	case errors.As(err, &cv), errors.As(err, &ue), errors.As(err, &he):
		return &ftpError{fmt.Sprintf("FTP 服务器 %s 的证书校验失败：%v；自签名或内部 CA 签发的证书请用 [ftp] ca_file 指定", host, err),
			[]error{store.ErrUnavailable, err}}
	case errors.As(err, &ce) && replyCode(err) >= 500:
		return &ftpError{fmt.Sprintf("FTP 服务器 %s 拒绝连接（用户 %s，%s）：%s", host, user, what, replyText(err)),
			[]error{store.ErrUnavailable, err}}
	case replyCode(err) >= 500:
		return &ftpError{fmt.Sprintf("FTP 服务器 %s 拒绝%s（%s）", host, what, replyText(err)), []error{err}}
	}
	return &ftpError{fmt.Sprintf("FTP 服务器 %s 连接失败（%s%s）：%s", host, what, again, replyText(err)),
		[]error{store.ErrUnavailable, err}}
}

func (f *FTP) passEnvName() string {
	if f.passEnv != "" {
		return f.passEnv
	}
	return "密码"
}

// replyCode is the FTP reply code inside err, or 0.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// replyText is "530 Login incorrect." for a reply, else the error's text.
func replyText(err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%d %s", te.Code, strings.TrimSpace(te.Msg))
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var te *timeoutError
	var ne net.Error
	return errors.As(err, &te) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

// transient says whether trying again may help: 421, 425, 426, 450, 451,
// a reset, refused or closed connection, a short transfer. Timeouts are
// not retried: a run fails within its timeout. 530, 550 and the other
// permanent replies are not retried either.
func transient(err error) bool {
	var se *shortError
	var le *loginError
	switch {
	case errors.As(err, &le), isTimeout(err):
		return false
	case errors.As(err, &se):
		return true
	}
	switch replyCode(err) {
	case 421, 425, 426, 450, 451:
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}

// keepConn says whether the control connection is still in step after err:
// only after a complete permanent reply.
func keepConn(err error) bool {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotRegular) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return false
	}
	code := replyCode(err)
	return code >= 500 && code != 421
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
