package state

// The copies of the uploads in the state folder.
//
// Every upload a run consumes is kept, so that later runs can read it again
// (the report always covers each institution's newest accepted upload, from
// whichever run). A run keeps its copies in one zip file, a pack, in the
// state folder's files/: files/<run>-<random>.zip, each upload stored as it
// came (not compressed again) under <hash>.xlsx, its modification time
// that of the upload. Any unzip tool lists and extracts them. One file per
// run, written as the uploads are read and made durable by one fsync,
// where a file per upload cost a create, a rename and a sync each: with
// 10,000 uploads, more than reading them. The record of an upload names its
// pack (Record.Copy); records from before packs have their copy at
// files/<hash>.xlsx. A copy is checked against its hash when read again.

import (
	"archive/zip"
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"kaohe/pipeline/store/local"
)

// Pack writes one run's pack. It starts at the first Add; until Commit
// the pack is a temporary file beside its place (local.WriteFile), which a
// run that dies leaves for the next run to remove (Clean). Safe for
// concurrent use.
type Pack struct {
	dir   string // the state folder
	name  string // the pack, relative to dir: Record.Copy
	start sync.Once
	items chan packItem
	done  chan error
	end   sync.Once
}

type packItem struct {
	hash    string
	data    []byte
	mod     time.Time
	abandon bool // the last item of a pack that will not be committed
}

// errPackAbandoned ends the writing of a pack that will not be committed.
var errPackAbandoned = errors.New("the run ended before its copies were kept")

// NewPack is the pack of run in the state folder dir.
func NewPack(dir, run string) *Pack {
	var rnd [4]byte
	rand.Read(rnd[:]) // the name of a second run within the same second differs
	return &Pack{dir: dir, name: FilesDir + "/" + run + "-" + hex.EncodeToString(rnd[:]) + ".zip"}
}

// Add keeps data, whose SHA-256 is hash, in the pack and returns where it
// will be (Record.Copy). An error writing the pack comes from Commit.
func (p *Pack) Add(hash string, data []byte, mod time.Time) string {
	p.start.Do(func() {
		p.items, p.done = make(chan packItem, 8), make(chan error, 1)
		go func() {
			err := local.WriteFile(filepath.Join(p.dir, p.name), p.write)
			for range p.items { // after an error: the run fails at commit
			}
			p.done <- err
		}()
	})
	p.items <- packItem{hash: hash, data: data, mod: mod}
	return p.name
}

// write is the pack's content: the items until the channel closes or one
// abandons the pack.
func (p *Pack) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	zw := zip.NewWriter(bw)
	seen := map[string]bool{} // the same bytes twice in one run: kept once
	for it := range p.items {
		if it.abandon {
			return errPackAbandoned
		}
		if seen[it.hash] {
			continue
		}
		seen[it.hash] = true
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: it.hash + ".xlsx", Method: zip.Store, Modified: it.mod})
		if err != nil {
			return err
		}
		if _, err := fw.Write(it.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// Commit makes the pack durable and puts it in place (nothing when no
// copy was added); it returns the error of writing or syncing the pack, and
// an error when Abandon came first. Only the first of them counts.
func (p *Pack) Commit() error { return p.finish(false) }

// Abandon drops the pack and its temporary file, unless Commit came first.
func (p *Pack) Abandon() { p.finish(true) }

func (p *Pack) finish(abandon bool) error {
	err := errPackAbandoned
	p.end.Do(func() {
		p.start.Do(func() {}) // no add after this
		if p.items == nil {
			err = nil
			return
		}
		if abandon {
			p.items <- packItem{abandon: true}
		}
		close(p.items)
		err = <-p.done
	})
	return err
}

// CommitAside runs Commit in a goroutine and returns the function that
// waits for it and returns its error (the same each time it is called).
func (p *Pack) CommitAside() func() error {
	done := make(chan error, 1)
	go func() { done <- p.Commit() }()
	return sync.OnceValue(func() error { return <-done })
}

// Copies reads the kept copies of earlier runs' uploads, opening each
// pack once; Close closes them.
type Copies struct {
	dir   string
	packs map[string]*zip.ReadCloser
	files map[string]map[string]*zip.File // pack → entry name → entry
	errs  map[string]error                // packs that could not be opened
}

// NewCopies reads the copies in the state folder dir.
func NewCopies(dir string) *Copies {
	return &Copies{dir: dir, packs: map[string]*zip.ReadCloser{}, files: map[string]map[string]*zip.File{}, errs: map[string]error{}}
}

// Read returns the bytes of r's copy, checked against r's hash. It returns
// an error when the copy is missing, cannot be read or is not the upload.
func (c *Copies) Read(r *Record) ([]byte, error) {
	var b []byte
	var err error
	if r.Copy == "" {
		b, err = os.ReadFile(filepath.Join(c.dir, FilesDir, r.Hash+".xlsx"))
	} else {
		b, err = c.readPacked(r.Copy, r.Hash+".xlsx")
	}
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != r.Hash {
		return nil, fmt.Errorf("the copy of %s in %s is not the upload: its SHA-256 differs", r.Name, c.dir)
	}
	return b, nil
}

func (c *Copies) readPacked(pack, name string) ([]byte, error) {
	if err := c.errs[pack]; err != nil {
		return nil, err
	}
	files, ok := c.files[pack]
	if !ok {
		zr, err := zip.OpenReader(filepath.Join(c.dir, filepath.FromSlash(pack)))
		if err != nil {
			c.errs[pack] = err // missing or damaged: each of its records says so
			return nil, err
		}
		c.packs[pack] = zr
		files = make(map[string]*zip.File, len(zr.File))
		for _, zf := range zr.File {
			files[zf.Name] = zf
		}
		c.files[pack] = files
	}
	zf, ok := files[name]
	if !ok {
		return nil, fmt.Errorf("%s: no %s in %s", c.dir, name, pack)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
}

// Close closes the packs read.
func (c *Copies) Close() {
	for _, zr := range c.packs {
		zr.Close()
	}
}
