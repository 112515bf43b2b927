package main

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// evict drops the files under dir from the page cache, once synced: the
// next run starts without the pages the previous one wrote. Left there, a
// run's half a gigabyte of pack, receipts and report made each later run of
// the same invocation 15–20% slower, all of it in the kernel (its system
// time doubled, 0.9 s to 2.0 s for 10,000 on the 2-core machine of the
// README): an artefact of the bench's own runs, which -keep made grow over
// invocations.
func evict(dir string) {
	syncAll()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if f, err := os.Open(p); err == nil {
			unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
			f.Close()
		}
		return nil
	})
}
