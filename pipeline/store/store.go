// Package store is the small interface behind which kaohe keeps its
// folders of files (the drop folder, the outbox, an FTP server), with the
// errors they share and the optional capabilities a kind of store may have.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors of the stores, wrapped with %w where they arise.
var (
	// ErrBadName: a name that could escape the store (.., absolute, backslash, control characters).
	ErrBadName = errors.New("名称不安全")
	// ErrNotFound: the named file does not exist.
	ErrNotFound = errors.New("文件不存在")
	// ErrExists: Move would overwrite an existing file.
	ErrExists = errors.New("目标文件已存在")
	// ErrNotRegular: a symlink, hard-linked, or special file that is never read.
	ErrNotRegular = errors.New("不是普通文件")
	// ErrUnavailable: the store's server could not be reached, dropped the
	// connection, refused the login or its certificate, or did not answer
	// in time. A run that meets it stops and moves nothing.
	ErrUnavailable = errors.New("FTP 服务器不可用")
)

// TempPrefix starts the names of the temporary files a store writes before
// it renames them into place; a process that dies leaves them, and the
// next run removes them (Cleaner).
const TempPrefix = ".kaohe-tmp-"

// Entry is one item of a store's folder.
type Entry struct {
	Name    string // slash-separated, relative to the store's root
	Size    int64
	ModTime time.Time
	Dir     bool
	// Odd is non-empty for entries that are never read: "符号链接",
	// "硬链接", "特殊文件".
	Odd string
	// ID is the file itself where the store can tell it (a local file:
	// its device and inode), "" where it cannot (FTP); Change is when the
	// file's content or metadata last changed by any means, which nobody
	// can set (a local file's ctime), zero where the store cannot tell.
	// An uploader controls ModTime; a file replaced or rewritten under
	// the same name has another ID or Change.
	ID     string
	Change time.Time
}

// Same reports whether e and o, two looks at one name, saw the same file
// as far as the store can tell: the same size and modification time, and
// the same ID and change time where the store has them.
func (e Entry) Same(o Entry) bool {
	return e.Size == o.Size && e.ModTime.Equal(o.ModTime) && e.ID == o.ID && e.Change.Equal(o.Change) && e.Odd == o.Odd
}

// Store is a folder of files: the drop folder, the outbox, or an FTP
// server. Names are slash-separated and relative to the store's root.
// Every method returns ErrBadName for a name CheckName refuses, and an
// error wrapping ErrUnavailable when the store's server is out of reach.
type Store interface {
	// List returns the entries directly in dir ("" is the root), sorted by
	// name. It returns ErrNotFound when dir does not exist.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Open opens a regular file for reading. It returns ErrNotFound when it
	// does not exist and ErrNotRegular for links and special files.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Put writes r to name under a temporary name and renames it, so a
	// reader never sees half a file; it creates missing folders. It
	// returns the error of reading r or of writing, and then the previous
	// file of that name is intact.
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

// Join joins a folder and a name in a store ("" is the root).
func Join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Duration is a time.Duration written in the configuration as "90s" or
// "2m": the type of the duration keys of kaohe's configuration and of each
// kind of store's table in it. (A bare number, min_age = 60, would be read
// as nanoseconds: the configuration's loader refuses it.)
type Duration time.Duration

// UnmarshalText reads Go's duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil || v < 0 {
		return fmt.Errorf("「%s」不是有效的时长，应写成 \"90s\"、\"2m\"、\"1h\" 这样的形式", b)
	}
	*d = Duration(v)
	return nil
}
