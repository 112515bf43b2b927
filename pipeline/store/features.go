package store

import (
	"context"
	"io"
)

// What a kind of store can do beyond Store, each as a small optional
// interface. A caller never asserts a store's concrete type: it asks
// FeaturesOf once, when it has the store, and uses the Features.

// Stager is a store that can make a Put in two steps, so that a caller
// (and a test's kill point) can come between the write and the rename.
type Stager interface {
	// Stage writes r durably under a temporary name beside name, creating
	// missing folders, and returns the commit that renames it over name and
	// makes the rename durable. Until commit, readers see the previous
	// file. On failure of either, the previous file is intact and the
	// temporary one removed; one left by a process that died before commit
	// is removed by Clean. Stage returns ErrBadName for an unsafe name and
	// the file system's error otherwise.
	Stage(ctx context.Context, name string, r io.Reader) (commit func() error, err error)
}

// Batch writes many files and makes them durable together, with a few
// syncs in all instead of two per file. It is safe for concurrent use.
type Batch interface {
	// Write writes data under a temporary name beside name, not yet
	// durable nor visible under name. It returns ErrBadName for an unsafe
	// name and the file system's error otherwise.
	Write(name string, data []byte) error
	// Commit makes every file written so far durable and renames it into
	// place. On failure it returns the error, and the files not yet renamed
	// are removed.
	Commit() error
	// Abort removes the files written and not committed.
	Abort()
}

// Batcher is a store that can write files in a Batch.
type Batcher interface {
	// Batch returns a new, empty batch of the store.
	Batch() Batch
}

// LazyMover is a store whose moves can be made durable all at once: a
// run moving thousands of files syncs each target folder once, not once
// per move.
type LazyMover interface {
	// MoveLazy is Move (with its errors) without making the move durable;
	// it returns the folder to pass to SyncDirs once all moves are done.
	MoveLazy(ctx context.Context, from, to string) (dir string, err error)
	// SyncDirs makes the moves into the folders MoveLazy returned durable.
	// It returns the first error syncing them.
	SyncDirs(dirs []string) error
}

// Stater is a store that can look at one file without listing its
// folder: a run looks again right before it moves a file it read.
type Stater interface {
	// Stat returns the entry of name as List would. It returns
	// ErrNotFound when there is none.
	Stat(ctx context.Context, name string) (Entry, error)
}

// Remover is a store that can remove a file: the receipts of a run that
// died before its ledger named them.
type Remover interface {
	// Remove removes the file name. It returns ErrNotFound when there is
	// none.
	Remove(ctx context.Context, name string) error
}

// Privater is a store that can make a folder that only its own user can
// read: the archive of the uploads, which other uploaders must not see.
type Privater interface {
	// MakePrivate makes the folder dir (and its parents) when missing and
	// restricts it to the store's own user. It returns the file system's
	// error.
	MakePrivate(ctx context.Context, dir string) error
}

// Cleaner is a store that can remove the temporary files a process that
// died left behind (TempPrefix).
type Cleaner interface {
	// Clean removes the temporary files directly in dir ("" is the root);
	// it is best effort and reports nothing.
	Clean(dir string)
}

// Pather is a store whose files are on this machine.
type Pather interface {
	// Path is where a person finds name: an absolute path.
	Path(name string) string
}

// ParallelPutter is a store whose Puts gain from being made at once: each
// waits for its own sync to disk, where a server's connection makes them
// one after another anyway.
type ParallelPutter interface {
	// ParallelPut says whether Puts to different names may usefully run
	// concurrently.
	ParallelPut() bool
}

// Features are what a store can do beyond Store, found once by
// FeaturesOf; a nil function is a capability the store lacks.
type Features struct {
	Stage       func(ctx context.Context, name string, r io.Reader) (commit func() error, err error) // Stager
	Batch       func() Batch                                                                         // Batcher
	MoveLazy    func(ctx context.Context, from, to string) (dir string, err error)                   // LazyMover
	SyncDirs    func(dirs []string) error                                                            // LazyMover
	Stat        func(ctx context.Context, name string) (Entry, error)                                // Stater
	Remove      func(ctx context.Context, name string) error                                         // Remover
	MakePrivate func(ctx context.Context, dir string) error                                          // Privater
	Clean       func(dir string)                                                                     // Cleaner
	Path        func(name string) string                                                             // Pather
	ParallelPut bool                                                                                 // ParallelPutter
}

// FeaturesOf finds what s can do.
func FeaturesOf(s Store) Features {
	var f Features
	if do, ok := s.(Stager); ok {
		f.Stage = do.Stage
	}
	if do, ok := s.(Batcher); ok {
		f.Batch = do.Batch
	}
	if do, ok := s.(LazyMover); ok {
		f.MoveLazy, f.SyncDirs = do.MoveLazy, do.SyncDirs
	}
	if do, ok := s.(Stater); ok {
		f.Stat = do.Stat
	}
	if do, ok := s.(Remover); ok {
		f.Remove = do.Remove
	}
	if do, ok := s.(Privater); ok {
		f.MakePrivate = do.MakePrivate
	}
	if do, ok := s.(Cleaner); ok {
		f.Clean = do.Clean
	}
	if do, ok := s.(Pather); ok {
		f.Path = do.Path
	}
	if do, ok := s.(ParallelPutter); ok {
		f.ParallelPut = do.ParallelPut()
	}
	return f
}
