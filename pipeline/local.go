package pipeline

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

	"kaohe/pipeline/store"
)

// Local is a store.Store on a local folder.
type Local struct {
	Root string
}

var _ store.Store = (*Local)(nil)

func (l *Local) String() string { return l.Root }

func (l *Local) path(name string) (string, error) {
	if err := store.CheckName(name); err != nil {
		return "", err
	}
	return filepath.Join(l.Root, filepath.FromSlash(name)), nil
}

// List implements store.Store. Symlinks, hard-linked and special files are
// listed with Odd set and never followed.
func (l *Local) List(ctx context.Context, dir string) ([]store.Entry, error) {
	p := l.Root
	if dir != "" {
		var err error
		if p, err = l.path(dir); err != nil {
			return nil, err
		}
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
		e := store.Entry{Name: store.Join(dir, de.Name()), Size: fi.Size(), ModTime: fi.ModTime(), Dir: fi.IsDir(), Odd: oddity(fi)}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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

// Open implements store.Store: it opens without following links and checks the
// open handle, so a file swapped for a link after listing is refused.
func (l *Local) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	p, err := l.path(name)
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

// Put implements store.Store: temp file in the same folder, fsync, rename, fsync
// the folder.
func (l *Local) Put(ctx context.Context, name string, r io.Reader) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	hooks, _ := ctx.Value(putHooksKey{}).(putHooks)
	return writeAtomicHooks(p, func(w io.Writer) error { _, err := io.Copy(w, r); return err }, hooks)
}

// putHooks are test hooks of one Put, for the kill points of a run
// (KAOHE_CRASH_AT, see crash): afterTemp runs once the temp file is
// written, synced and closed, before the rename; afterRename once it is
// renamed into place. A Put finds them in its context (withPutHooks); the
// FTP store ignores them.
type putHooks struct {
	afterTemp, afterRename func()
}

type putHooksKey struct{}

// withPutHooks returns ctx carrying h for the Puts made with it.
func withPutHooks(ctx context.Context, h putHooks) context.Context {
	return context.WithValue(ctx, putHooksKey{}, h)
}

// writeAtomic writes a file through a temp file in the same folder, synced
// and renamed into place; on any failure the old file is untouched.
func writeAtomic(path string, write func(io.Writer) error) error {
	return writeAtomicHooks(path, write, putHooks{})
}

func writeAtomicHooks(path string, write func(io.Writer) error, hooks putHooks) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, store.TempPrefix+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if hooks.afterTemp != nil {
		hooks.afterTemp()
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	if hooks.afterRename != nil {
		hooks.afterRename()
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
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
func (l *Local) Move(ctx context.Context, from, to string) error {
	dir, err := l.move(from, to)
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// move is Move without syncing the target folder, which it returns: a run
// moving thousands of files syncs each folder once (moveLazy).
func (l *Local) move(from, to string) (string, error) {
	pf, err := l.path(from)
	if err != nil {
		return "", err
	}
	pt, err := l.path(to)
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

// cleanTemps removes kaohe's temporary files left in dir by a run that died.
func cleanTemps(dir string) {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), store.TempPrefix) {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}
