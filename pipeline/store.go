package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors of the stores and the run, wrapped with %w where they arise.
var (
	// ErrBadName: a name that could escape the store (.., absolute, backslash, control characters).
	ErrBadName = errors.New("名称不安全")
	// ErrNotFound: the named file does not exist.
	ErrNotFound = errors.New("文件不存在")
	// ErrExists: Move would overwrite an existing file.
	ErrExists = errors.New("目标文件已存在")
	// ErrNotRegular: a symlink, hard-linked, or special file that is never read.
	ErrNotRegular = errors.New("不是普通文件")
	// ErrLocked: another kaohe run holds the state folder's lock.
	ErrLocked = errors.New("另一个 kaohe 运行正在进行")
	// ErrConfig: the configuration is invalid; the message names the key.
	ErrConfig = errors.New("配置错误")
	// ErrAllocation: the 附件2 workbook given to NewStandard has errors;
	// the result's issues name each cell, and nothing was written.
	ErrAllocation = errors.New("附件2 有错误")
)

// Entry is one item of a store's folder.
type Entry struct {
	Name    string // slash-separated, relative to the store's root
	Size    int64
	ModTime time.Time
	Dir     bool
	// Odd is non-empty for entries that are never read: "符号链接",
	// "硬链接", "特殊文件".
	Odd string
}

// Store is a folder of files: the drop folder, the outbox, or an FTP
// server. Names are slash-separated and relative to the store's root.
type Store interface {
	// List returns the entries directly in dir ("" is the root), sorted by
	// name. It returns ErrNotFound when dir does not exist.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Open opens a regular file for reading. It returns ErrNotFound when it
	// does not exist and ErrNotRegular for links and special files.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Put writes r to name under a temporary name and renames it, so a
	// reader never sees half a file; it creates missing folders. On failure
	// the previous file of that name is intact.
	Put(ctx context.Context, name string, r io.Reader) error
	// Move renames from to to, creating to's folder. It returns ErrExists
	// rather than overwrite, and ErrNotFound when from is gone.
	Move(ctx context.Context, from, to string) error
	// String describes the store for logs and messages, without secrets.
	String() string
}

// CheckName refuses names that could leave the store or confuse a server:
// empty, absolute, "..", backslashes, NUL, CR or LF.
func CheckName(name string) error {
	bad := name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00\r\n")
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return nil
}

// joinName joins a folder and a name in a store.
func joinName(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
