package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"kaohe/pipeline/store"
	"kaohe/pipeline/store/ftp"
	"kaohe/pipeline/store/local"
)

// Where the inbox and the outbox are: a local folder, or a folder of an
// FTP server written ftp://user@host:port/path (ftps:// for TLS). A
// location never holds a password.

// parseLocation reads a location: nil for a local folder, else the FTP
// server's folder. The error says what is wrong without repeating a
// password.
func parseLocation(s string) (*ftp.Location, error) {
	if !ftp.IsURL(s) {
		if strings.Contains(s, "://") {
			return nil, errors.New("只支持本地文件夹、ftp:// 和 ftps://")
		}
		return nil, nil
	}
	l, err := ftp.ParseLocation(s)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// maskURL hides the password of a URL written into the config, for
// messages: ftp://user:*****@host/path.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	u.User = url.UserPassword(u.User.Username(), "*****")
	if m, err := url.PathUnescape(u.String()); err == nil {
		return m
	}
	return u.String()
}

// checkLocations validates inbox, out and the [ftp] table (from resolve).
func (c *Config) checkLocations() error {
	var remote *ftp.Location
	for _, k := range []struct{ key, val string }{{"inbox", c.Inbox}, {"out", c.Out}} {
		l, err := parseLocation(k.val)
		if err != nil {
			return &keyError{k.key, maskURL(k.val), err.Error()}
		}
		if l != nil {
			remote = l
			if c.FTP.ImplicitTLS && l.Scheme != "ftps" {
				return &keyError{"ftp.implicit_tls", "true", fmt.Sprintf("与 %s = %q 冲突：隐式 TLS 要用 ftps:// 地址", k.key, l.String())}
			}
		}
	}
	if ib, ob := c.Inbox, c.Out; samePlace(ib, ob) {
		return &keyError{"out", maskURL(ob), "不能与 inbox 相同：回执和汇总表会被当作上传的文件"}
	}
	if c.State != "" && samePlace(c.State, c.Inbox) {
		return &keyError{"state", c.State, "不能与 inbox 相同：台账和副本会被当作上传的文件"}
	}
	// Inside the inbox, a folder is read as an institution's subfolder.
	if ib, ob := c.Inbox, c.Out; inside(ob, ib) {
		return &keyError{"out", maskURL(ob), "不能放在 inbox 里面：汇总表和回执会被当作上传的文件；请放在收件文件夹之外"}
	}
	if c.State != "" && inside(c.State, c.Inbox) {
		return &keyError{"state", c.State, "不能放在 inbox 里面：上传的机构能看到台账和副本，运行也会把它当作一个机构的文件夹；请放在收件文件夹之外"}
	}
	if err := c.FTP.Check(remote != nil); err != nil {
		var ke *ftp.KeyError
		if errors.As(err, &ke) {
			return &keyError{"ftp." + ke.Key, ke.Value, ke.Msg}
		}
		return err
	}
	return nil
}

// samePlace reports whether two locations are one folder, however they
// are written: local folders as absolute, cleaned paths (./inbox, inbox/
// and /srv/kaohe/inbox are one), FTP folders by server, user and cleaned
// path.
func samePlace(a, b string) bool {
	la, errA := parseLocation(a)
	lb, errB := parseLocation(b)
	switch {
	case errA != nil || errB != nil:
		return a == b
	case la == nil && lb == nil:
		return absPath(a) == absPath(b)
	case la != nil && lb != nil:
		return la.Host == lb.Host && la.User == lb.User && cleanFTPPath(la.Path) == cleanFTPPath(lb.Path)
	}
	return false
}

// inside reports whether the local folder a is below the local folder b
// (inbox/out below inbox). FTP locations are compared by samePlace only.
func inside(a, b string) bool {
	la, errA := parseLocation(a)
	lb, errB := parseLocation(b)
	if errA != nil || errB != nil || la != nil || lb != nil {
		return false
	}
	rel, err := filepath.Rel(absPath(b), absPath(a))
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// absPath is the local path p absolute and cleaned.
func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return abs
}

// cleanFTPPath is an FTP location's path cleaned, an absolute one
// ("//srv/ftp/inbox") kept apart from one relative to the login folder.
func cleanFTPPath(p string) string {
	if strings.HasPrefix(p, "//") {
		return "/" + path.Clean(p)
	}
	return path.Clean("/" + p)
}

// OpenStore returns the store at a location (the value of key, "inbox" or
// "out"): a local.Store on a folder, or an ftp.Store. A local inbox must
// exist; a local outbox is created. An FTP store connects on first use;
// its password comes from the environment variable [ftp] password_env
// names.
func OpenStore(key, loc string, cfg *Config, log *slog.Logger) (store.Store, error) {
	l, err := parseLocation(loc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, &keyError{key, maskURL(loc), err.Error()})
	}
	if l == nil {
		if key == "inbox" {
			if fi, err := os.Stat(loc); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("%w: 收件文件夹 %s 不存在或不是文件夹", ErrConfig, loc)
			}
		} else if err := os.MkdirAll(loc, 0o755); err != nil {
			return nil, fmt.Errorf("creating output folder: %w", err)
		}
		return &local.Store{Root: loc}, nil
	}
	env := cfg.FTP.PasswordEnv
	if env == "" {
		env = ftp.DefaultPasswordEnv
	}
	pass, ok := os.LookupEnv(env)
	if !ok && l.User != "anonymous" {
		return nil, fmt.Errorf("%w: 环境变量 %s 未设置：%s 需要用户 %s 的密码", ErrConfig, env, l, l.User)
	}
	if !ok {
		pass = "anonymous"
	}
	pool, err := cfg.FTP.RootCAs()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, &keyError{"ftp.ca_file", cfg.FTP.CAFile, err.Error()})
	}
	mode := ftp.NoTLS
	switch {
	case l.Scheme == "ftps" && cfg.FTP.ImplicitTLS:
		mode = ftp.ImplicitTLS // port 990 unless one is written
	case l.Scheme == "ftps":
		mode = ftp.ExplicitTLS
	}
	timeout := time.Duration(cfg.FTP.Timeout)
	return ftp.New(*l, ftp.Options{Password: pass, PasswordEnv: env, TLS: mode, RootCAs: pool, Timeout: timeout,
		Retries: cfg.FTP.Retries, MaxBytes: cfg.MaxFileMB << 20, Log: log}), nil
}
