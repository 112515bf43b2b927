// Package ftp is the store on a folder of an FTP server (jlaffaye/ftp
// underneath): plain, explicit or implicit TLS, every step under a
// timeout, transient failures retried, reply codes turned into the store's
// errors where they enter, and its own [ftp] table of the configuration.
package ftp

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
	"io/fs"
	"log/slog"
	"net"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goftp "github.com/jlaffaye/ftp"

	"kaohe/pipeline/store"
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

// Options configure an FTP store.
type Options struct {
	Password    string         // never logged
	PasswordEnv string         // the variable it came from, named in the login error
	TLS         TLSMode        //
	RootCAs     *x509.CertPool // nil: the system roots
	Timeout     time.Duration  // each network step (connect, greeting, reply, no progress in a transfer); 0: 30s
	Retries     int            // transient failures (421, 425, 426, a reset connection) are retried this many times
	Backoff     time.Duration  // first pause before a retry, doubled each time; 0: 1s
	MaxBytes    int64          // Open reads at most MaxBytes+1 bytes of a larger file; 0: no cap
	Log         *slog.Logger   // nil: discard

	// Test hooks, nil in production: OnRead is called after each read of
	// a download with the bytes read (a test stops the server mid-file),
	// OnRetry before each retry with the error retried.
	OnRead  func(n int)
	OnRetry func(err error)
}

// Store is a store.Store on a folder of an FTP server. It keeps one control
// connection, opened on first use and reopened after a failure; calls are
// serialised, so it is safe for concurrent use. Open reads the whole file
// (up to MaxBytes+1) and checks it against the server's SIZE before it
// returns; Put uploads under a hidden temporary name, checks the size on
// the server and renames. Reply codes become the package's errors where
// they enter: 550 → store.ErrNotFound, 530 → ErrLogin, timeouts → ErrTimeout.
type Store struct {
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
	conn *goftp.ServerConn
	root string          // absolute folder of the store on the server, known after login
	made map[string]bool // folders known to exist
	ctx  context.Context // the current attempt's, for dialling data connections

	live    sync.Mutex
	conns   map[*deadlineConn]struct{} // open sockets, to interrupt on cancel
	halted  atomic.Bool                // the current attempt was interrupted
	onRead  func(n int)                // Options.OnRead
	onRetry func(err error)            // Options.OnRetry
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Stater  = (*Store)(nil)
	_ store.Remover = (*Store)(nil)
	_ store.Cleaner = (*Store)(nil)
)

// secret is a string that never prints.
type secret string

func (secret) String() string   { return "*****" }
func (secret) GoString() string { return `"*****"` }

// New returns a store on the folder loc names. With implicit TLS and no
// port written in loc, it connects to port 990. It does not connect yet:
// the first call does.
func New(loc Location, o Options) *Store {
	if o.TLS == ImplicitTLS && loc.defaultPort {
		h, _, _ := net.SplitHostPort(loc.Host)
		loc.Host = net.JoinHostPort(h, "990")
	}
	f := &Store{loc: loc, password: secret(o.Password), passEnv: o.PasswordEnv, mode: o.TLS,
		timeout: o.Timeout, retries: o.Retries, backoff: o.Backoff, maxBytes: o.MaxBytes, log: o.Log,
		made: map[string]bool{}, conns: map[*deadlineConn]struct{}{}, onRead: o.OnRead, onRetry: o.OnRetry}
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
func (f *Store) String() string { return f.loc.String() }

// GoString keeps %#v from printing the password.
func (f *Store) GoString() string { return "ftp.Store(" + f.loc.String() + ")" }

// Close ends the control connection.
func (f *Store) Close() error {
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
func (f *Store) abs(name string) string {
	if name == "" {
		return f.root
	}
	return path.Join(f.root, name)
}

// OddName is the Odd of an entry whose name store.CheckName refuses (or
// that holds a slash): listed so that a run can name it, never used.
const OddName = "文件名不安全"

// List implements store.Store. Names that store.CheckName refuses are
// returned with Odd set to OddName and nothing else: never to be opened,
// moved or listed into. Without MLSD (vsftpd), each file's time comes
// from MDTM, to the second, rather than from LIST, to the minute.
func (f *Store) List(ctx context.Context, dir string) ([]store.Entry, error) {
	if dir != "" {
		if err := store.CheckName(dir); err != nil {
			return nil, err
		}
	}
	var out []store.Entry
	err := f.do(ctx, "列出 "+f.describe(dir), func(c *goftp.ServerConn, _ int) error {
		out = nil
		p := f.abs(dir)
		if err := c.ChangeDir(p); err != nil {
			if replyCode(err) == goftp.StatusFileUnavailable {
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
				f.log.Warn("ftp: an unsafe remote name, never used", "store", f.String(), "dir", dir, "name", e.Name)
				out = append(out, store.Entry{Name: store.Join(dir, e.Name), Odd: OddName}) // named, so that someone is told
				continue
			}
			en := store.Entry{Name: store.Join(dir, e.Name), Size: int64(e.Size), ModTime: e.Time, Dir: e.Type == goftp.EntryTypeFolder}
			switch {
			case e.Type == goftp.EntryTypeLink:
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

// Open implements store.Store: it downloads the whole file, at most
// MaxBytes+1 bytes of it, and checks the bytes against the server's SIZE.
func (f *Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := store.CheckName(name); err != nil {
		return nil, err
	}
	var data []byte
	err := f.do(ctx, "下载 "+name, func(c *goftp.ServerConn, _ int) error {
		data = nil
		p := f.abs(name)
		size, err := c.FileSize(p)
		if err != nil {
			if replyCode(err) == goftp.StatusFileUnavailable {
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
			if replyCode(err) == goftp.StatusFileUnavailable { // it has a size, yet may not be read: its permissions
				return fmt.Errorf("opening %s: %w: %w", name, err, fs.ErrPermission)
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

// Put implements store.Store: STOR under a hidden temporary name in the
// same folder, SIZE to check every byte arrived, then RNFR/RNTO over the
// name.
// A temporary file left by a connection lost mid-upload stays hidden.
func (f *Store) Put(ctx context.Context, name string, r io.Reader) error {
	if err := store.CheckName(name); err != nil {
		return err
	}
	data, err := io.ReadAll(r) // kept for a retry
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return f.do(ctx, "上传 "+name, func(c *goftp.ServerConn, _ int) error {
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
func (f *Store) Move(ctx context.Context, from, to string) error {
	if err := store.CheckName(from); err != nil {
		return err
	}
	if err := store.CheckName(to); err != nil {
		return err
	}
	return f.do(ctx, "移动 "+from, func(c *goftp.ServerConn, attempt int) error {
		pf, pt := f.abs(from), f.abs(to)
		_, errTo := c.FileSize(pt)
		if errTo != nil && replyCode(errTo) < 500 {
			return errTo
		}
		if _, err := c.FileSize(pf); err != nil {
			if replyCode(err) != goftp.StatusFileUnavailable {
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

// Stat implements store.Stater: SIZE and MDTM of one file (an FTP server
// tells no more: the entry has no ID nor Change).
func (f *Store) Stat(ctx context.Context, name string) (store.Entry, error) {
	if err := store.CheckName(name); err != nil {
		return store.Entry{}, err
	}
	var e store.Entry
	err := f.do(ctx, "查看 "+name, func(c *goftp.ServerConn, _ int) error {
		p := f.abs(name)
		size, err := c.FileSize(p)
		if err != nil {
			if replyCode(err) == goftp.StatusFileUnavailable {
				return fmt.Errorf("looking at %s: %w", name, store.ErrNotFound)
			}
			return err
		}
		e = store.Entry{Name: name, Size: size}
		if c.IsGetTimeSupported() {
			t, err := c.GetTime(p)
			switch {
			case err == nil:
				e.ModTime = t
			case replyCode(err) == goftp.StatusFileUnavailable:
				return fmt.Errorf("looking at %s: %w", name, store.ErrNotFound)
			default:
				return err
			}
		}
		return nil
	})
	return e, err
}

// Remove implements store.Remover: DELE.
func (f *Store) Remove(ctx context.Context, name string) error {
	if err := store.CheckName(name); err != nil {
		return err
	}
	return f.do(ctx, "删除 "+name, func(c *goftp.ServerConn, attempt int) error {
		err := c.Delete(f.abs(name))
		if replyCode(err) == goftp.StatusFileUnavailable {
			if attempt > 0 {
				return nil // the earlier try removed it but lost the reply
			}
			return fmt.Errorf("removing %s: %w", name, store.ErrNotFound)
		}
		return err
	})
}

// Clean implements store.Cleaner: it removes the temporary files a Put cut
// short left in dir (a connection lost before the rename, or a process
// killed), best effort.
func (f *Store) Clean(dir string) {
	if dir != "" && store.CheckName(dir) != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*f.timeout)
	defer cancel()
	var stale []string
	err := f.do(ctx, "清理 "+f.describe(dir), func(c *goftp.ServerConn, _ int) error {
		stale = nil
		if err := c.ChangeDir(f.abs(dir)); err != nil {
			if replyCode(err) == goftp.StatusFileUnavailable {
				return nil // no such folder: nothing to clean
			}
			return err
		}
		ents, err := c.List("-a") // the temporary names are hidden: vsftpd lists them only with -a
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Type == goftp.EntryTypeFile && strings.HasPrefix(e.Name, store.TempPrefix) && store.CheckName(e.Name) == nil && !strings.Contains(e.Name, "/") {
				stale = append(stale, store.Join(dir, e.Name))
			}
		}
		return nil
	})
	if err != nil {
		f.log.Warn("ftp: looking for stale temporary files", "store", f.String(), "dir", dir, "err", err)
		return
	}
	for _, name := range stale {
		if err := f.Remove(ctx, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			f.log.Warn("ftp: removing a stale temporary file", "store", f.String(), "file", name, "err", err)
		}
	}
}

// mkdirAll makes dir and its parents; a folder that exists costs one CWD.
func (f *Store) mkdirAll(c *goftp.ServerConn, dir string) error {
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
func (f *Store) remove(c *goftp.ServerConn, name string, err error) {
	var se *shortError
	if (replyCode(err) != 0 || errors.As(err, &se)) && !f.halted.Load() && !errors.Is(err, io.EOF) {
		c.Delete(name)
	}
}

// describe names a folder of the store for messages.
func (f *Store) describe(dir string) string {
	if dir == "" {
		return f.String()
	}
	return dir
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
