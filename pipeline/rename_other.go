//go:build !linux

package pipeline

import "syscall"

// renameNoReplace is Linux's (rename_linux.go); elsewhere Local.move links
// and removes instead.
func renameNoReplace(from, to string) error { return syscall.ENOSYS }
