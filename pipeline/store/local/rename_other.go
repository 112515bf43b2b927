//go:build !linux

package local

import "syscall"

// renameNoReplace is Linux's (rename_linux.go); elsewhere Store.move links
// and removes instead.
func renameNoReplace(from, to string) error { return syscall.ENOSYS }
