// Package local is the store on a folder of this machine: files written
// through a synced temporary file and renamed, moves that never overwrite,
// and the batch that makes thousands of files durable with a few syncs.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"kaohe/pipeline/store"
)

// Store is a store.Store on a local folder. Beyond Store it can stage a
// Put, write a batch, move lazily, clean stale temporary files, name a
// file's path and make Puts in parallel (see store.Features).
type Store struct {
	Root string
}

var (
	_ store.Store          = (*Store)(nil)
	_ store.Stager         = (*Store)(nil)
	_ store.Batcher        = (*Store)(nil)
	_ store.LazyMover      = (*Store)(nil)
	_ store.Cleaner        = (*Store)(nil)
	_ store.Stater         = (*Store)(nil)
	_ store.Remover        = (*Store)(nil)
	_ store.Privater       = (*Store)(nil)
	_ store.Pather         = (*Store)(nil)
	_ store.ParallelPutter = (*Store)(nil)
)

func (s *Store) String() string { return s.Root }

// resolve is a checked name's path.
func (s *Store) resolve(name string) (string, error) {
	if err := store.CheckName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.Root, filepath.FromSlash(name)), nil
}

// folder is the path of a folder of the store ("" is the root).
func (s *Store) folder(dir string) (string, error) {
	if dir == "" {
		return s.Root, nil
	}
	return s.resolve(dir)
}

// List implements store.Store. Symlinks, hard-linked and special files are
// listed with Odd set and never followed.
func (s *Store) List(ctx context.Context, dir string) ([]store.Entry, error) {
	p, err := s.folder(dir)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("listing %s: %w", p, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", p, err)
	}
	var out []store.Entry
	for _, de := range des {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fi, err := os.Lstat(filepath.Join(p, de.Name()))
		if err != nil {
			continue // gone since ReadDir
		}
		out = append(out, entry(store.Join(dir, de.Name()), fi))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// entry is the entry of the file name, from its Lstat: its ID is its
// device and inode, its Change its ctime.
func entry(name string, fi fs.FileInfo) store.Entry {
	e := store.Entry{Name: name, Size: fi.Size(), ModTime: fi.ModTime(), Dir: fi.IsDir(), Odd: oddity(fi)}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.ID = fmt.Sprintf("%d:%d", st.Dev, st.Ino)
		e.Change = time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
	}
	return e
}

// Stat implements store.Stater: the entry of name, from its Lstat.
func (s *Store) Stat(ctx context.Context, name string) (store.Entry, error) {
	p, err := s.resolve(name)
	if err != nil {
		return store.Entry{}, err
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return store.Entry{}, fmt.Errorf("looking at %s: %w", p, store.ErrNotFound)
	}
	if err != nil {
		return store.Entry{}, fmt.Errorf("looking at %s: %w", p, err)
	}
	return entry(name, fi), nil
}

// MakePrivate implements store.Privater: the folder, mode 0700.
func (s *Store) MakePrivate(ctx context.Context, dir string) error {
	p, err := s.resolve(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p, 0o700); err != nil {
		return fmt.Errorf("making %s: %w", p, err)
	}
	if err := os.Chmod(p, 0o700); err != nil {
		return fmt.Errorf("restricting %s: %w", p, err)
	}
	return nil
}

// Remove implements store.Remover.
func (s *Store) Remove(ctx context.Context, name string) error {
	p, err := s.resolve(name)
	if err != nil {
		return err
	}
	err = os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", p, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("removing %s: %w", p, err)
	}
	return nil
}

// oddity says why a file is never read, or "" for a plain file or folder.
func oddity(fi fs.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "符号链接"
	case fi.IsDir():
		return ""
	case !fi.Mode().IsRegular():
		return "特殊文件"
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		return "硬链接"
	}
	return ""
}

// Open implements store.Store: it opens without following links and checks
// the open handle, so a file swapped for a link after listing is refused.
// The file it returns is an *os.File.
func (s *Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	p, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("opening %s: %w", p, store.ErrNotFound)
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("opening %s: 符号链接: %w", p, store.ErrNotRegular)
	case err != nil:
		return nil, fmt.Errorf("opening %s: %w", p, err)
	}
	fi, err := f.Stat()
	if err == nil && oddity(fi) != "" {
		err = fmt.Errorf("%s: %w", oddity(fi), store.ErrNotRegular)
	} else if err == nil && fi.IsDir() {
		err = fmt.Errorf("文件夹: %w", store.ErrNotRegular)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening %s: %w", p, err)
	}
	return f, nil
}

// Put implements store.Store: temp file in the same folder, fsync, rename,
// fsync the folder.
func (s *Store) Put(ctx context.Context, name string, r io.Reader) error {
	commit, err := s.Stage(ctx, name, r)
	if err != nil {
		return err
	}
	return commit()
}

// Stage implements store.Stager: Put up to the rename, which commit does.
func (s *Store) Stage(ctx context.Context, name string, r io.Reader) (commit func() error, err error) {
	p, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return stage(p, func(w io.Writer) error { _, err := io.Copy(w, r); return err })
}

// WriteFile writes a file through a temp file in the same folder, synced
// and renamed into place; on any failure the old file is untouched. The
// folder must exist.
func WriteFile(path string, write func(io.Writer) error) error {
	return WriteFileMode(path, 0o644, write)
}

// WriteFileMode is WriteFile giving the file the permissions perm (0o600
// for one only its owner may read), from the moment it is created.
func WriteFileMode(path string, perm os.FileMode, write func(io.Writer) error) error {
	commit, err := stageMode(path, perm, write)
	if err != nil {
		return err
	}
	return commit()
}

// stage is WriteFile up to the rename, which commit does.
func stage(path string, write func(io.Writer) error) (commit func() error, err error) {
	return stageMode(path, 0o644, write)
}

func stageMode(path string, perm os.FileMode, write func(io.Writer) error) (commit func() error, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, store.TempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("syncing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return func() error {
		if err := os.Rename(f.Name(), path); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("renaming into %s: %w", path, err)
		}
		return SyncDir(dir)
	}, nil
}

// SyncDir makes the entries of the folder dir durable (a folder that
// cannot be synced, EINVAL, is no error).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// Move implements store.Store; it never overwrites.
func (s *Store) Move(ctx context.Context, from, to string) error {
	dir, err := s.move(from, to)
	if err != nil {
		return err
	}
	return SyncDir(dir)
}

// MoveLazy implements store.LazyMover: Move without syncing the target
// folder, which it returns.
func (s *Store) MoveLazy(ctx context.Context, from, to string) (dir string, err error) {
	return s.move(from, to)
}

// SyncDirs implements store.LazyMover: one syncfs per file system on
// Linux, an fsync of each folder elsewhere.
func (s *Store) SyncDirs(dirs []string) error { return syncDirs(dirs) }

// move is Move without syncing the target folder, which it returns: a run
// moving thousands of files syncs each folder once (MoveLazy).
func (s *Store) move(from, to string) (string, error) {
	pf, err := s.resolve(from)
	if err != nil {
		return "", err
	}
	pt, err := s.resolve(to)
	if err != nil {
		return "", err
	}
	// renameat2(RENAME_NOREPLACE) is atomic and refuses to overwrite; where
	// the file system lacks it, link+remove does the same in two steps. The
	// target's folder is made when the move finds it missing (with 10,000
	// moves into one folder, looking first cost more than the moves).
	ready := func() error { // the source there, the target's folder made
		if _, err := os.Lstat(pf); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("moving %s: %w", pf, store.ErrNotFound)
		}
		if err := os.MkdirAll(filepath.Dir(pt), 0o755); err != nil {
			return fmt.Errorf("moving %s: %w", pf, err)
		}
		return nil
	}
	err = renameNoReplace(pf, pt) // rename_linux.go
	if errors.Is(err, fs.ErrNotExist) {
		if err := ready(); err != nil {
			return "", err
		}
		err = renameNoReplace(pf, pt)
	}
	switch {
	case err == nil:
		return filepath.Dir(pt), nil
	case errors.Is(err, fs.ErrExist):
		return "", fmt.Errorf("moving %s to %s: %w", pf, pt, store.ErrExists)
	case !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOSYS):
		return "", fmt.Errorf("moving %s to %s: %w", pf, pt, err)
	}
	if err := ready(); err != nil {
		return "", err
	}
	if err := os.Link(pf, pt); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("moving %s to %s: %w", pf, pt, store.ErrExists)
		}
		return "", fmt.Errorf("moving %s to %s: %w", pf, pt, err)
	}
	if err := os.Remove(pf); err != nil {
		os.Remove(pt)
		return "", fmt.Errorf("moving %s: %w", pf, err)
	}
	return filepath.Dir(pt), nil
}

// Clean implements store.Cleaner.
func (s *Store) Clean(dir string) {
	if p, err := s.folder(dir); err == nil {
		CleanTemps(p)
	}
}

// CleanTemps removes kaohe's temporary files left in dir by a run that died.
func CleanTemps(dir string) {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), store.TempPrefix) {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}

// Path implements store.Pather: the absolute path of name.
func (s *Store) Path(name string) string {
	root := s.Root
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return filepath.Join(root, filepath.FromSlash(name))
}

// ParallelPut implements store.ParallelPutter: each Put waits for its own
// sync to disk, so two at once take about the time of one.
func (s *Store) ParallelPut() bool { return true }
