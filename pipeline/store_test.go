package pipeline

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"kaohe/pipeline/store/storetest"
)

// The conformance suite (storetest) on a real vsftpd, plain, explicit TLS
// and implicit TLS.
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
