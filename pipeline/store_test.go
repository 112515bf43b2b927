package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaohe/pipeline/store/storetest"
)

// The conformance suite (storetest) on a temp folder (Local) and on a real
// vsftpd, plain, explicit TLS and implicit TLS.

func TestStoreLocal(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, &Local{Root: dir}, func(name string) {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStoreFTP(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode TLSMode
	}{{"plain", NoTLS}, {"explicit-tls", ExplicitTLS}, {"implicit-tls", ImplicitTLS}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := startVsftpd(t, mode.mode)
			srv.Mkdir(filepath.Join(srv.Root, "store"))
			s := srv.Store("store", FTPOptions{})
			storetest.Run(t, s, func(name string) { srv.Mkdir(filepath.Join(srv.Root, "store", filepath.FromSlash(name))) })
			if strings.Contains(fmt.Sprintf("%v %+v %#v %s", s, s, s, s), ftpTestPassword) {
				t.Error("the password shows in a formatted store")
			}
		})
	}
}
