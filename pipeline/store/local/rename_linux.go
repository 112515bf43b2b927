package local

import "golang.org/x/sys/unix"

// renameNoReplace renames from to to, atomically, refusing to overwrite
// (renameat2(2) with RENAME_NOREPLACE; EINVAL where the file system lacks it).
func renameNoReplace(from, to string) error {
	return unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
}
