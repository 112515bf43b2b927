package local

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncMany makes the given files and the entries of the given folders
// durable with one syncfs(2) per file system they live on: the kernel
// writes back everything dirty there at once, which costs about what one
// fsync does, not one per file.
func syncMany(files, dirs []string) error {
	done := map[uint64]bool{} // file systems synced
	seen := map[string]bool{} // folders looked at: a file lives on its folder's file system
	for _, d := range dirs {
		seen[d] = true
	}
	for _, f := range files {
		if d := filepath.Dir(f); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	for _, p := range dirs {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("syncing %s: %w", p, err)
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err != nil || done[st.Dev] {
			f.Close()
			if err != nil {
				return fmt.Errorf("syncing %s: %w", p, err)
			}
			continue
		}
		done[st.Dev] = true
		err = unix.Syncfs(int(f.Fd()))
		f.Close()
		if err != nil {
			return fmt.Errorf("syncing the file system of %s: %w", p, err)
		}
	}
	return nil
}
