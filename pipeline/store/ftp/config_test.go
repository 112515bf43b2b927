package ftp

import (
	"strings"
	"testing"
)

// TestParseLocation: what an ftp:// or ftps:// location holds, how it
// prints, and the errors that never repeat a password.
func TestParseLocation(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     Location
		str      string // String()
		err      string // part of the error
	}{
		{"ftp", "ftp://kaohe@10.0.0.5:2121/inbox", Location{Scheme: "ftp", Host: "10.0.0.5:2121", User: "kaohe", Path: "/inbox"}, "ftp://kaohe@10.0.0.5:2121/inbox", ""},
		{"default port", "ftp://kaohe@ftp.example.cn/inbox", Location{Scheme: "ftp", Host: "ftp.example.cn:21", User: "kaohe", Path: "/inbox"}, "ftp://kaohe@ftp.example.cn:21/inbox", ""},
		{"ftps upper case", "FTPS://kaohe@host/out", Location{Scheme: "ftps", Host: "host:21", User: "kaohe", Path: "/out"}, "ftps://kaohe@host:21/out", ""},
		{"anonymous", "ftp://host/pub", Location{Scheme: "ftp", Host: "host:21", User: "anonymous", Path: "/pub"}, "ftp://anonymous@host:21/pub", ""},
		{"login folder", "ftp://kaohe@host", Location{Scheme: "ftp", Host: "host:21", User: "kaohe", Path: ""}, "ftp://kaohe@host:21", ""},
		{"absolute server path", "ftp://kaohe@host//srv/ftp/inbox", Location{Scheme: "ftp", Host: "host:21", User: "kaohe", Path: "//srv/ftp/inbox"}, "ftp://kaohe@host:21//srv/ftp/inbox", ""},
		{"Chinese path", "ftp://kaohe@host/%E6%94%B6%E4%BB%B6", Location{Scheme: "ftp", Host: "host:21", User: "kaohe", Path: "/收件"}, "ftp://kaohe@host:21/收件", ""},
		{"IPv6", "ftp://kaohe@[::1]:2121/in", Location{Scheme: "ftp", Host: "[::1]:2121", User: "kaohe", Path: "/in"}, "ftp://kaohe@[::1]:2121/in", ""},
		{"password refused", "ftp://kaohe:s3cret@host/inbox", Location{}, "", "不能写密码"},
		{"empty password refused", "ftp://kaohe:@host/inbox", Location{}, "", "不能写密码"},
		{"no host", "ftp:///inbox", Location{}, "", "缺少主机名"},
		{"bad port", "ftp://kaohe@host:99999/inbox", Location{}, "", "端口"},
		{"dot dot", "ftp://kaohe@host/inbox/../etc", Location{}, "", "不安全"},
		{"backslash", "ftp://kaohe@host/in%5Cbox", Location{}, "", "不安全"},
		{"CR", "ftp://kaohe@host/in%0Dbox", Location{}, "", "不安全"},
		{"query", "ftp://kaohe@host/inbox?type=i", Location{}, "", "?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseLocation(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("ParseLocation(%q) = %+v, %v; want an error with %q", c.in, l, err, c.err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l.defaultPort = false
			if l != c.want {
				t.Errorf("ParseLocation(%q) = %+v, want %+v", c.in, l, c.want)
			}
			if l.String() != c.str {
				t.Errorf("String() = %q, want %q", l.String(), c.str)
			}
		})
	}
}
