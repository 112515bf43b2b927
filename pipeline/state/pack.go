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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
	meta    PackMeta
	abandon bool // the last item of a pack that will not be committed
}

// PackMeta is what a pack keeps of an upload beside its bytes, as its
// entry's comment (JSON): enough to rebuild its ledger record when the
// ledger is lost (pipeline's Rebuild reads the bytes again for the rest).
type PackMeta struct {
	Name       string    `json:"name"` // as Record.Name, RawName
	RawName    string    `json:"raw_name,omitempty"`
	Modified   time.Time `json:"modified"` // as Record's
	Received   time.Time `json:"received"`
	FirstSeen  time.Time `json:"first_seen,omitzero"`
	SeenAfter  time.Time `json:"seen_after,omitzero"`
	ReceivedBy string    `json:"received_by,omitempty"`
	Run        string    `json:"run"`   // the run that consumed it
	Order      int       `json:"order"` // its place among the files that run listed
}

// errPackAbandoned ends the writing of a pack that will not be committed.
var errPackAbandoned = errors.New("the run ended before its copies were kept")

// NewPack is the pack of run in the state folder dir.
func NewPack(dir, run string) *Pack {
	var rnd [4]byte
	rand.Read(rnd[:]) // the name of a second run within the same second differs
	return &Pack{dir: dir, name: FilesDir + "/" + run + "-" + hex.EncodeToString(rnd[:]) + ".zip"}
}

// Name is where the pack will be, relative to the state folder
// (Record.Copy).
func (p *Pack) Name() string { return p.name }

// Add keeps data, whose SHA-256 is hash, in the pack with what meta says
// of it, and returns where it will be (Record.Copy). An error writing the
// pack comes from Commit.
func (p *Pack) Add(hash string, data []byte, meta PackMeta) string {
	p.start.Do(func() {
		p.items, p.done = make(chan packItem, 8), make(chan error, 1)
		go func() {
			err := local.WriteFile(filepath.Join(p.dir, p.name), p.write)
			for range p.items { // after an error: the run fails at commit
			}
			p.done <- err
		}()
	})
	p.items <- packItem{hash: hash, data: data, meta: meta}
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
		comment, err := json.Marshal(it.meta)
		if err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: it.hash + ".xlsx", Method: zip.Store, Modified: it.meta.Modified, Comment: string(comment)})
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

// CommitAside runs Commit in a goroutine, after before (when not nil) has
// returned without an error (else the pack is abandoned, and that is the
// error), and returns the function that waits for it and returns its
// error (the same each time it is called).
func (p *Pack) CommitAside(before func() error) func() error {
	done := make(chan error, 1)
	go func() {
		if before != nil {
			if err := before(); err != nil {
				p.Abandon()
				done <- err
				return
			}
		}
		done <- p.Commit()
	}()
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

// Unnamed returns the copies in the state folder dir that no record of l
// names: packs (files/*.zip) and copies from before packs (files/*.xlsx),
// by their names relative to dir. A run that died before committing its
// ledger leaves none (its pack is removed: pipeline's sweep); any other
// means the ledger lost records, and a run would show those uploads as
// never received.
func Unnamed(dir string, l *Ledger) ([]string, error) {
	des, err := os.ReadDir(filepath.Join(dir, FilesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the copies: %w", err)
	}
	named := map[string]bool{}
	for i := range l.Records {
		named[l.Records[i].CopyName()] = true
	}
	var out []string
	for _, de := range des {
		n := de.Name()
		if !de.Type().IsRegular() || !strings.HasSuffix(n, ".zip") && !strings.HasSuffix(n, ".xlsx") {
			continue
		}
		if !named[FilesDir+"/"+n] {
			out = append(out, FilesDir+"/"+n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Kept is one upload kept in a pack, as ReadPack lists it.
type Kept struct {
	Hash string
	Meta PackMeta // zero but Modified for packs written before they kept it
	open func() ([]byte, error)
}

// Bytes reads the upload's bytes, checked against its hash.
func (k Kept) Bytes() ([]byte, error) {
	b, err := k.open()
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != k.Hash {
		return nil, fmt.Errorf("the copy of %s is not the upload: its SHA-256 differs", k.Hash)
	}
	return b, nil
}

// ReadPack lists the uploads kept in the pack name (relative to the state
// folder dir), in the order they were written; close closes the pack.
func ReadPack(dir, name string) (kept []Kept, close func(), err error) {
	zr, err := zip.OpenReader(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return nil, nil, err
	}
	for _, zf := range zr.File {
		hash, ok := strings.CutSuffix(zf.Name, ".xlsx")
		if !ok || len(hash) != 64 {
			continue
		}
		k := Kept{Hash: hash}
		if json.Unmarshal([]byte(zf.Comment), &k.Meta) != nil {
			k.Meta = PackMeta{}
		}
		if k.Meta.Modified.IsZero() {
			k.Meta.Modified = zf.Modified
		}
		zf := zf
		k.open = func() ([]byte, error) {
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
		}
		kept = append(kept, k)
	}
	return kept, func() { zr.Close() }, nil
}

// KeptFile is the upload kept at path, a copy from before packs
// (files/<hash>.xlsx), modified at mod.
func KeptFile(hash, path string, mod time.Time) Kept {
	return Kept{Hash: hash, Meta: PackMeta{Modified: mod}, open: func() ([]byte, error) { return os.ReadFile(path) }}
}

// KeptBytes is an upload whose bytes are b, with meta.
func KeptBytes(hash string, b []byte, meta PackMeta) Kept {
	return Kept{Hash: hash, Meta: meta, open: func() ([]byte, error) { return b, nil }}
}

// RetiredDir, in the state folder's FilesDir, holds the copies put aside
// (Retire): a damaged copy whose upload was kept again from the same bytes
// uploaded again. Nothing reads them; they are kept, not removed.
const RetiredDir = "retired"

// Retire moves the copy name (relative to the state folder dir: a pack,
// or files/<hash>.xlsx from before packs) into files/retired/, under a
// name no retired copy has yet, and returns where it went; ("", nil) when
// it is not there (lost, or retired already).
func Retire(dir, name string) (string, error) {
	from := filepath.Join(dir, filepath.FromSlash(name))
	if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	rd := filepath.Join(dir, FilesDir, RetiredDir)
	if err := os.MkdirAll(rd, 0o755); err != nil {
		return "", fmt.Errorf("retiring %s: %w", name, err)
	}
	base := filepath.Base(from)
	ext := filepath.Ext(base)
	for i := 1; ; i++ {
		to := filepath.Join(rd, base)
		if i > 1 {
			to = filepath.Join(rd, fmt.Sprintf("%s-%d%s", strings.TrimSuffix(base, ext), i, ext))
		}
		err := os.Link(from, to) // never over a copy retired before
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("retiring %s: %w", name, err)
		}
		if err := local.SyncDir(rd); err != nil {
			return "", fmt.Errorf("retiring %s: %w", name, err)
		}
		if err := os.Remove(from); err != nil {
			return "", fmt.Errorf("retiring %s: %w", name, err)
		}
		rel, _ := filepath.Rel(dir, to)
		return filepath.ToSlash(rel), local.SyncDir(filepath.Dir(from))
	}
}
