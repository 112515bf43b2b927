package pipeline

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"kaohe/pipeline/store"
	"kaohe/pipeline/store/local"
)

// Location is where the inbox or the outbox is: a local folder, or a
// folder of an FTP server written ftp://user@host:port/path (ftps:// for
// TLS). A location never holds a password.
type Location struct {
	Scheme string // "" for a local folder, "ftp" or "ftps"
	Host   string // host:port
	User   string
	// Path is the local folder, or the folder on the server: relative to
	// the login folder ("/inbox"), or absolute when it starts with two
	// slashes ("//srv/ftp/inbox").
	Path string

	defaultPort bool // no port was written: 21, or 990 for implicit TLS
}

// Remote says whether the location is on an FTP server.
func (l Location) Remote() bool { return l.Scheme != "" }

// String is the folder, or ftp://user@host:port/path: never a password.
func (l Location) String() string {
	if !l.Remote() {
		return l.Path
	}
	return l.Scheme + "://" + l.User + "@" + l.Host + l.Path
}

// FTPConfig is the [ftp] table of the configuration.
type FTPConfig struct {
	PasswordEnv string         `toml:"password_env"` // the environment variable holding the password
	ImplicitTLS bool           `toml:"implicit_tls"` // ftps:// is TLS from the first byte (port 990) rather than AUTH TLS
	CAFile      string         `toml:"ca_file"`      // PEM certificates to trust instead of the system roots
	Timeout     store.Duration `toml:"timeout"`      // each network step
	Retries     int            `toml:"retries"`      // tries after a transient failure
}

// DefaultPasswordEnv is where the FTP password is read from by default.
const DefaultPasswordEnv = "KAOHE_FTP_PASSWORD"

func defaultFTPConfig() FTPConfig {
	return FTPConfig{PasswordEnv: DefaultPasswordEnv, Timeout: store.Duration(30 * time.Second), Retries: 3}
}

// ParseLocation reads a local folder or an ftp:// / ftps:// URL. The
// error says what is wrong without repeating a password.
func ParseLocation(s string) (Location, error) {
	low := strings.ToLower(s)
	if !strings.HasPrefix(low, "ftp://") && !strings.HasPrefix(low, "ftps://") {
		if strings.Contains(s, "://") {
			return Location{}, fmt.Errorf("只支持本地文件夹、ftp:// 和 ftps://")
		}
		return Location{Path: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("不是有效的 FTP 地址，应写成 ftp://用户名@主机:端口/路径")
	}
	if _, has := u.User.Password(); has {
		return Location{}, fmt.Errorf("地址里不能写密码；密码放在环境变量 %s（或 [ftp] password_env 指定的变量）中", DefaultPasswordEnv)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Location{}, fmt.Errorf("FTP 地址不能带 ? 或 #")
	}
	if u.Hostname() == "" {
		return Location{}, fmt.Errorf("FTP 地址缺少主机名，应写成 ftp://用户名@主机:端口/路径")
	}
	l := Location{Scheme: strings.ToLower(u.Scheme), User: "anonymous", Path: u.Path}
	if u.User != nil && u.User.Username() != "" {
		l.User = u.User.Username()
	}
	if strings.ContainsAny(l.User, "\x00\r\n") {
		return Location{}, fmt.Errorf("用户名含有控制字符")
	}
	port := u.Port()
	if port == "" {
		port = "21"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Location{}, fmt.Errorf("端口 %q 无效", port)
	}
	l.Host = net.JoinHostPort(u.Hostname(), port)
	if p := strings.Trim(l.Path, "/"); p != "" {
		if err := store.CheckName(p); err != nil {
			return Location{}, fmt.Errorf("路径 %q 不安全（不能含 ..、反斜杠或控制字符）", l.Path)
		}
	}
	l.defaultPort = u.Port() == ""
	return l, nil
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
	var remote *Location
	for _, k := range []struct{ key, val string }{{"inbox", c.Inbox}, {"out", c.Out}} {
		l, err := ParseLocation(k.val)
		if err != nil {
			return &keyError{k.key, maskURL(k.val), err.Error()}
		}
		if l.Remote() {
			remote = &l
			if c.FTP.ImplicitTLS && l.Scheme != "ftps" {
				return &keyError{"ftp.implicit_tls", "true", fmt.Sprintf("与 %s = %q 冲突：隐式 TLS 要用 ftps:// 地址", k.key, l.String())}
			}
		}
	}
	if ib, ob := c.Inbox, c.Out; ib == ob {
		return &keyError{"out", maskURL(ob), "不能与 inbox 相同：回执和汇总表会被当作上传的文件"}
	}
	if c.FTP.Timeout <= 0 {
		return &keyError{"ftp.timeout", time.Duration(c.FTP.Timeout).String(), "应大于 0，例如 \"30s\""}
	}
	if c.FTP.Retries < 0 || c.FTP.Retries > 10 {
		return &keyError{"ftp.retries", fmt.Sprint(c.FTP.Retries), "应在 0 到 10 之间"}
	}
	if c.FTP.PasswordEnv == "" || strings.ContainsAny(c.FTP.PasswordEnv, "= \x00") {
		return &keyError{"ftp.password_env", c.FTP.PasswordEnv, "应为环境变量的名称，例如 KAOHE_FTP_PASSWORD"}
	}
	if remote != nil && c.FTP.CAFile != "" {
		if _, err := c.rootCAs(); err != nil {
			return &keyError{"ftp.ca_file", c.FTP.CAFile, err.Error()}
		}
	}
	return nil
}

// rootCAs reads ca_file, or returns nil for the system roots.
func (c *Config) rootCAs() (*x509.CertPool, error) {
	if c.FTP.CAFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.FTP.CAFile)
	if err != nil {
		return nil, fmt.Errorf("无法读取：%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("其中没有 PEM 格式的证书")
	}
	return pool, nil
}

// OpenStore returns the store at a location (the value of key, "inbox" or
// "out"): a local.Store on a folder, or an FTP store. A local inbox must exist;
// a local outbox is created. An FTP store connects on first use; its
// password comes from the environment variable [ftp] password_env names.
func OpenStore(key, loc string, cfg *Config, log *slog.Logger) (store.Store, error) {
	l, err := ParseLocation(loc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, &keyError{key, maskURL(loc), err.Error()})
	}
	if !l.Remote() {
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
		env = DefaultPasswordEnv
	}
	pass, ok := os.LookupEnv(env)
	if !ok && l.User != "anonymous" {
		return nil, fmt.Errorf("%w: 环境变量 %s 未设置：%s 需要用户 %s 的密码", ErrConfig, env, l, l.User)
	}
	if !ok {
		pass = "anonymous"
	}
	pool, err := cfg.rootCAs()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, &keyError{"ftp.ca_file", cfg.FTP.CAFile, err.Error()})
	}
	mode := NoTLS
	switch {
	case l.Scheme == "ftps" && cfg.FTP.ImplicitTLS:
		mode = ImplicitTLS
		if l.defaultPort {
			h, _, _ := net.SplitHostPort(l.Host)
			l.Host = net.JoinHostPort(h, "990")
		}
	case l.Scheme == "ftps":
		mode = ExplicitTLS
	}
	timeout := time.Duration(cfg.FTP.Timeout)
	return NewFTP(l, FTPOptions{Password: pass, PasswordEnv: env, TLS: mode, RootCAs: pool, Timeout: timeout,
		Retries: cfg.FTP.Retries, MaxBytes: cfg.MaxFileMB << 20, Log: log}), nil
}
