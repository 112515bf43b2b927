package ftp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"syscall"

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

// serverError is what the store returns for a failure of the server or the
// network: one message for people, sentinels for errors.Is.
type serverError struct {
	msg  string
	errs []error
}

func (e *serverError) Error() string   { return e.msg }
func (e *serverError) Unwrap() []error { return e.errs }

// explain turns a failed operation's last error into the package's terms.
func (f *Store) explain(ctx context.Context, what string, err, first error, tries int) error {
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
		return &serverError{fmt.Sprintf("FTP 登录失败：%s 用户 %s（%s）；请检查用户名和 %s", host, user, replyText(err), f.passEnvName()),
			[]error{ErrLogin, store.ErrUnavailable, err}}
	case isTimeout(err):
		return &serverError{fmt.Sprintf("FTP 服务器 %s 在 %s 内没有响应（%s）", host, f.timeout, what),
			[]error{ErrTimeout, store.ErrUnavailable, err}}
	case errors.As(err, &cv), errors.As(err, &ue), errors.As(err, &he):
		return &serverError{fmt.Sprintf("FTP 服务器 %s 的证书校验失败：%v；自签名或内部 CA 签发的证书请用 [ftp] ca_file 指定", host, err),
			[]error{store.ErrUnavailable, err}}
	case errors.As(err, &ce) && replyCode(err) >= 500:
		return &serverError{fmt.Sprintf("FTP 服务器 %s 拒绝连接（用户 %s，%s）：%s", host, user, what, replyText(err)),
			[]error{store.ErrUnavailable, err}}
	case replyCode(err) >= 500:
		return &serverError{fmt.Sprintf("FTP 服务器 %s 拒绝%s（%s）", host, what, replyText(err)), []error{err}}
	}
	return &serverError{fmt.Sprintf("FTP 服务器 %s 连接失败（%s%s）：%s", host, what, again, replyText(err)),
		[]error{store.ErrUnavailable, err}}
}

func (f *Store) passEnvName() string {
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
