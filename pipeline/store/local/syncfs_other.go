//go:build !linux

package local

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// syncMany makes the given files and the entries of the given folders
// durable, one fsync each (syncfs(2) is Linux's).
func syncMany(files, dirs []string) error {
	for _, p := range append(append([]string{}, files...), dirs...) {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("syncing %s: %w", p, err)
		}
		err = f.Sync()
		f.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("syncing %s: %w", p, err)
		}
	}
	return nil
}
