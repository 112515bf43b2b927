package local

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"kaohe/pipeline/store"
)

// A batch writes many files durably with a few syncs in all instead of
// two per file (WriteFile's fsync of the file and of its folder), which
// on a journalling file system cost a journal commit each: with thousands
// of uploads a run would spend most of its time waiting for the disk.
//
// Write puts each file's bytes into a temporary file beside its place,
// unsynced. Commit makes all of them durable at once (one syncfs per file
// system on Linux, an fsync of each file elsewhere), renames them into
// place, and syncs their folders once. As with WriteFile, a file appears
// under its name only whole and synced; until Commit none does, and a run
// that dies first leaves only temporary files, which the next run removes
// (Clean). A batch is safe for concurrent use.
//
// A sync writes back everything dirty on the file system: with thousands of
// files the batch's sync waits for the disk for as long as the data takes.
// So once batchEarlySync bytes are written and not yet synced, Write starts
// a sync aside (no more than one at a time): the disk writes while the files
// are still being made, and Commit's sync finds little left.
type batch struct {
	s       *Store
	mu      sync.Mutex
	files   []batchFile
	dirs    map[string]bool // folders already created
	unsaved int64           // bytes written since the last sync aside started
	syncing bool            // a sync aside is running
	aside   sync.WaitGroup
}

var _ store.Batch = (*batch)(nil)

// batchEarlySync is how many bytes written start a sync aside.
const batchEarlySync = 16 << 20

type batchFile struct{ temp, path string }

// Batch implements store.Batcher.
func (s *Store) Batch() store.Batch { return &batch{s: s} }

// Write implements store.Batch; the folder is created when missing.
func (b *batch) Write(name string, data []byte) (err error) {
	path, err := b.s.resolve(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	b.mu.Lock()
	made := b.dirs[dir]
	b.mu.Unlock()
	if !made {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
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
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dirs == nil {
		b.dirs = map[string]bool{}
	}
	b.dirs[dir] = true
	b.files = append(b.files, batchFile{temp: f.Name(), path: path})
	if b.unsaved += int64(len(data)); b.unsaved >= batchEarlySync && !b.syncing {
		b.unsaved, b.syncing = 0, true
		dirs := b.folders()
		b.aside.Go(func() {
			syncDirs(dirs) // a head start only: Commit syncs, and reports errors
			b.mu.Lock()
			b.syncing = false
			b.mu.Unlock()
		})
	}
	return nil
}

// Commit implements store.Batch: it makes every file written so far
// durable and puts it in place. On failure, the files not yet renamed are
// removed.
func (b *batch) Commit() error {
	b.aside.Wait()
	b.mu.Lock()
	files, dirs := b.files, b.folders()
	b.files = nil
	b.mu.Unlock()
	if len(files) == 0 {
		return nil
	}
	temps := make([]string, len(files))
	for i, f := range files {
		temps[i] = f.temp
	}
	if err := syncMany(temps, dirs); err != nil {
		removeTemps(files)
		return err
	}
	for i, f := range files {
		if err := os.Rename(f.temp, f.path); err != nil {
			removeTemps(files[i:])
			return fmt.Errorf("renaming into %s: %w", f.path, err)
		}
	}
	return syncDirs(dirs)
}

// Abort implements store.Batch: it removes the files written and not
// committed.
func (b *batch) Abort() {
	b.aside.Wait()
	b.mu.Lock()
	files := b.files
	b.files = nil
	b.mu.Unlock()
	removeTemps(files)
}

func (b *batch) folders() []string {
	var out []string
	for d := range b.dirs {
		out = append(out, d)
	}
	return out
}

func removeTemps(files []batchFile) {
	for _, f := range files {
		os.Remove(f.temp)
	}
}

// syncDirs makes the entries of the folders durable: one syncfs per file
// system on Linux, an fsync of each folder elsewhere.
func syncDirs(dirs []string) error {
	return syncMany(nil, dirs)
}
