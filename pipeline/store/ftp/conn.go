package ftp

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strings"
	"time"

	goftp "github.com/jlaffaye/ftp"
)

// do runs op on a logged-in connection under the per-step and per-attempt
// deadlines, retrying transient failures with backoff, and turns what goes
// wrong into the package's errors.
func (f *Store) do(ctx context.Context, what string, op func(c *goftp.ServerConn, attempt int) error) error {
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
func (f *Store) attempt(ctx context.Context, op func(c *goftp.ServerConn, attempt int) error, attempt int) (err error) {
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
func (f *Store) connect() error {
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
	opts := []goftp.DialOption{goftp.DialWithDialFunc(dial), goftp.DialWithLocation(time.UTC)}
	switch f.mode {
	case ExplicitTLS:
		opts = append(opts, goftp.DialWithExplicitTLS(f.tlsConf))
	case ImplicitTLS:
		opts = append(opts, goftp.DialWithTLS(f.tlsConf))
	}
	c, err := goftp.Dial(f.loc.Host, opts...)
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
func (f *Store) drop() {
	f.conn = nil
	f.closeAll()
}

// deadlineConn is a socket whose every read and write must make progress
// within the store's timeout.
type deadlineConn struct {
	net.Conn
	f *Store
}

func (f *Store) track(c net.Conn) *deadlineConn {
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
func (f *Store) interrupt() {
	f.halted.Store(true)
	f.live.Lock()
	defer f.live.Unlock()
	for c := range f.conns {
		c.Conn.SetDeadline(time.Unix(1, 0))
	}
}

// closeAll closes every socket of the store.
func (f *Store) closeAll() {
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
