//go:build !linux

package main

// evict does nothing where the page cache cannot be advised (see
// evict_linux.go).
func evict(string) {}
