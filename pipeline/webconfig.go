package pipeline

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"kaohe/pipeline/store"
)

// WebConfig is the [web] table: the portal kaohe serve runs beside its
// schedule (pipeline/web). Without listen there is no portal.
type WebConfig struct {
	Listen     string         `toml:"listen"`      // host:port, e.g. 127.0.0.1:8080; "": no portal
	BaseURL    string         `toml:"base_url"`    // the address people use, for links: https://kaohe.example.cn
	TLSCert    string         `toml:"tls_cert"`    // PEM certificate chain; with tls_key, the portal speaks HTTPS
	TLSKey     string         `toml:"tls_key"`     // PEM private key
	TrustProxy bool           `toml:"trust_proxy"` // the client's address is the last of X-Forwarded-For
	SessionTTL store.Duration `toml:"session_ttl"` // a centre user's login lasts this long
	Users      []WebUser      `toml:"users"`       // centre users ([[web.users]])
}

// WebUser is one centre user of the dashboard.
type WebUser struct {
	Name         string `toml:"name"`
	PasswordHash string `toml:"password_hash"` // bcrypt, from kaohe passwd
}

// DefaultWebConfig is the [web] table when it is absent: no portal.
func DefaultWebConfig() WebConfig {
	return WebConfig{SessionTTL: store.Duration(12 * time.Hour)}
}

// Enabled reports whether the portal is served.
func (w *WebConfig) Enabled() bool { return w.Listen != "" }

// TLS reports whether the portal speaks HTTPS itself.
func (w *WebConfig) TLS() bool { return w.TLSCert != "" }

// resolve checks the [web] table (from Config.resolve).
func (w *WebConfig) resolve() error {
	if w.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(w.Listen)
	if err != nil || port == "" {
		return &keyError{"web.listen", w.Listen, "应写成 主机:端口，如 \"127.0.0.1:8080\"（只在本机，由反向代理转发）或 \":8443\""}
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return &keyError{"web.listen", w.Listen, "主机应为 IP 地址或 localhost，如 \"127.0.0.1:8080\""}
	}
	u, err := url.Parse(w.BaseURL)
	switch {
	case w.BaseURL == "":
		return &keyError{"web.base_url", w.BaseURL, "设置了 listen 时必填：机构和中心用的地址，如 \"https://kaohe.example.cn\"（链接按它生成）"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return &keyError{"web.base_url", w.BaseURL, "应为 http:// 或 https:// 开头的地址，如 \"https://kaohe.example.cn\" 或 \"https://example.cn/kaohe\""}
	}
	if (w.TLSCert == "") != (w.TLSKey == "") {
		return &keyError{"web.tls_cert", w.TLSCert, "tls_cert 和 tls_key 要一起设置（或都不设，由反向代理提供 HTTPS）"}
	}
	for _, f := range []struct{ key, val string }{{"web.tls_cert", w.TLSCert}, {"web.tls_key", w.TLSKey}} {
		if f.val == "" {
			continue
		}
		if _, err := os.Stat(f.val); err != nil {
			return &keyError{f.key, f.val, "文件无法读取: " + err.Error()}
		}
	}
	if w.SessionTTL < store.Duration(time.Minute) || w.SessionTTL > store.Duration(30*24*time.Hour) {
		return &keyError{"web.session_ttl", time.Duration(w.SessionTTL).String(), "应在 1m 到 720h 之间，如 \"12h\""}
	}
	seen := map[string]bool{}
	for i, u := range w.Users {
		key := fmt.Sprintf("web.users[%d]", i+1)
		switch {
		case strings.TrimSpace(u.Name) == "" || u.Name != strings.TrimSpace(u.Name) || strings.ContainsAny(u.Name, "\x00\r\n\t"):
			return &keyError{key + ".name", u.Name, "用户名不能为空，前后不能有空格"}
		case seen[u.Name]:
			return &keyError{key + ".name", u.Name, "用户名重复"}
		}
		seen[u.Name] = true
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			shown := u.PasswordHash
			if len(shown) > 7 {
				shown = shown[:7] + "…"
			}
			return &keyError{key + ".password_hash", shown, "不是 bcrypt 哈希；用 kaohe passwd 生成（输入密码，输出 $2a$… 一行）"}
		}
	}
	return nil
}
