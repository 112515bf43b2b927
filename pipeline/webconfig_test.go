package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestWebConfigExample: config.example.toml's [web] table states the
// defaults (no portal).
func TestWebConfigExample(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Web, DefaultConfig().Web) {
		t.Errorf("[web] in config.example.toml = %+v, defaults %+v", cfg.Web, DefaultConfig().Web)
	}
}

// TestWebConfigErrors: a bad [web] value names the file, line and key.
func TestWebConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	os.WriteFile(cert, []byte("x"), 0o644)
	const hash = `"$2a$12$abcdefghijklmnopqrstuu5y1Ks0ZJ6N3f5p8pQ2i4S7L1dq0c9uS"`
	for name, c := range map[string]struct{ src, want string }{
		"listen":        {"[web]\nlisten = \"localhost\"\nbase_url = \"http://x\"\n", `第 2 行: web.listen = "localhost"`},
		"listen host":   {"[web]\nlisten = \"example.cn:80\"\nbase_url = \"http://x\"\n", `第 2 行: web.listen = "example.cn:80": 主机应为 IP 地址`},
		"no base_url":   {"[web]\nlisten = \"127.0.0.1:8080\"\n", `web.base_url = "": 设置了 listen 时必填`},
		"base_url":      {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"kaohe.example.cn\"\n", `第 3 行: web.base_url = "kaohe.example.cn": 应为 http:// 或 https://`},
		"base_url user": {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://a:b@kaohe.example.cn\"\n", `web.base_url`},
		"tls half":      {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://x\"\ntls_cert = \"" + cert + "\"\n", `第 4 行: web.tls_cert = "` + cert + `": tls_cert 和 tls_key 要一起设置`},
		"tls missing":   {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://x\"\ntls_cert = \"" + cert + "\"\ntls_key = \"/nonexistent/key.pem\"\n", `第 5 行: web.tls_key = "/nonexistent/key.pem": 文件无法读取`},
		"ttl":           {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://x\"\nsession_ttl = \"1s\"\n", `第 4 行: web.session_ttl = "1s"`},
		"user name":     {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://x\"\n[[web.users]]\nname = \" a\"\npassword_hash = " + hash + "\n", `第 5 行: web.users[1].name = " a"`},
		"duplicate":     {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://x\"\n[[web.users]]\nname = \"a\"\npassword_hash = " + hash + "\n[[web.users]]\nname = \"a\"\npassword_hash = " + hash + "\n", `第 8 行: web.users[2].name = "a": 用户名重复`},
		"hash":          {"[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://x\"\n[[web.users]]\nname = \"a\"\npassword_hash = \"secret123\"\n", `第 6 行: web.users[1].password_hash = "secret1…": 不是 bcrypt 哈希`},
		"unknown":       {"[web]\nlisten = \"127.0.0.1:8080\"\nusers = 3\n", `第 3 行`},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".toml")
			os.WriteFile(p, []byte(c.src), 0o644)
			_, err := LoadConfig(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant …%s…", err, c.want)
			}
		})
	}
	// A good one.
	p := filepath.Join(dir, "good.toml")
	os.WriteFile(p, []byte("[web]\nlisten = \":8443\"\nbase_url = \"https://example.cn/kaohe\"\n[[web.users]]\nname = \"a\"\npassword_hash = "+hash+"\n"), 0o644)
	cfg, err := LoadConfig(p)
	if err != nil || !cfg.Web.Enabled() || len(cfg.Web.Users) != 1 {
		t.Errorf("good config: %+v, %v", cfg.Web, err)
	}
}
