package ftp

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"kaohe/pipeline/store"
)

// Location is a folder of an FTP server, written
// ftp://user@host:port/path (ftps:// for TLS). A location never holds a
// password.
type Location struct {
	Scheme string // "ftp" or "ftps"
	Host   string // host:port
	User   string
	// Path is the folder on the server: relative to the login folder
	// ("/inbox"), or absolute when it starts with two slashes
	// ("//srv/ftp/inbox").
	Path string

	defaultPort bool // no port was written: 21, or 990 for implicit TLS (New)
}

// String is ftp://user@host:port/path: never a password.
func (l Location) String() string {
	return l.Scheme + "://" + l.User + "@" + l.Host + l.Path
}

// IsURL says whether s is written as an FTP location (ftp:// or ftps://,
// in any case), valid or not.
func IsURL(s string) bool {
	low := strings.ToLower(s)
	return strings.HasPrefix(low, "ftp://") || strings.HasPrefix(low, "ftps://")
}

// ParseLocation reads an ftp:// or ftps:// URL. The error is a Chinese
// sentence that says what is wrong without repeating a password.
func ParseLocation(s string) (Location, error) {
	if !IsURL(s) {
		return Location{}, fmt.Errorf("不是 ftp:// 或 ftps:// 地址")
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

// Config is the [ftp] table of kaohe's configuration, for an inbox or an
// outbox on an FTP server.
type Config struct {
	PasswordEnv string         `toml:"password_env"` // the environment variable holding the password
	ImplicitTLS bool           `toml:"implicit_tls"` // ftps:// is TLS from the first byte (port 990) rather than AUTH TLS
	CAFile      string         `toml:"ca_file"`      // PEM certificates to trust instead of the system roots
	Timeout     store.Duration `toml:"timeout"`      // each network step
	Retries     int            `toml:"retries"`      // tries after a transient failure
}

// DefaultPasswordEnv is where the FTP password is read from by default.
const DefaultPasswordEnv = "KAOHE_FTP_PASSWORD"

// DefaultConfig is the table's defaults.
func DefaultConfig() Config {
	return Config{PasswordEnv: DefaultPasswordEnv, Timeout: store.Duration(30 * time.Second), Retries: 3}
}

// A KeyError is a bad value of one key of the table.
type KeyError struct {
	Key, Value, Msg string // Key as written in the table: "timeout"
}

func (e *KeyError) Error() string { return fmt.Sprintf("%s = %q: %s", e.Key, e.Value, e.Msg) }

// Check validates the table, and ca_file too when remote says that a
// location is on an FTP server. It returns a *KeyError.
func (c Config) Check(remote bool) error {
	if c.Timeout <= 0 {
		return &KeyError{"timeout", time.Duration(c.Timeout).String(), "应大于 0，例如 \"30s\""}
	}
	if c.Retries < 0 || c.Retries > 10 {
		return &KeyError{"retries", fmt.Sprint(c.Retries), "应在 0 到 10 之间"}
	}
	if c.PasswordEnv == "" || strings.ContainsAny(c.PasswordEnv, "= \x00") {
		return &KeyError{"password_env", c.PasswordEnv, "应为环境变量的名称，例如 KAOHE_FTP_PASSWORD"}
	}
	if remote && c.CAFile != "" {
		if _, err := c.RootCAs(); err != nil {
			return &KeyError{"ca_file", c.CAFile, err.Error()}
		}
	}
	return nil
}

// RootCAs reads ca_file, or returns nil for the system roots. Its error
// is a Chinese sentence saying what is wrong with the file.
func (c Config) RootCAs() (*x509.CertPool, error) {
	if c.CAFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("无法读取：%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("其中没有 PEM 格式的证书")
	}
	return pool, nil
}
