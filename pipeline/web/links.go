package web

// Each institution's private link carries a random token; the state folder
// keeps only its SHA-256 (portal/links.json), so the file says nothing that
// opens a page. A new link for an institution revokes its old one.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/state"
	"kaohe/pipeline/store/local"
	"kaohe/sheets"
)

// Dir is the portal's folder in the state folder: links.json, the upload
// journal, the receipts issued at once, the audit log.
const Dir = "portal"

// linksFile holds the hashes of the links' tokens.
const linksFile = "links.json"

// Link is one institution's link as the state folder keeps it.
type Link struct {
	Institution string    `json:"institution"`
	Hash        string    `json:"sha256"` // hex SHA-256 of the token; the token itself is never stored
	Issued      time.Time `json:"issued"`
}

type linksDoc struct {
	Links []Link `json:"links"`
}

// Links are the state folder's links, read again when the file changes
// (kaohe portal links may issue new ones while kaohe serve runs).
type Links struct {
	path string
	mu   sync.Mutex
	mod  time.Time
	size int64
	byH  map[string]string // hash -> institution
	list []Link
	// broken is told when the file cannot be read: every link then fails.
	broken func(error)
}

// OpenLinks is the links of the state folder stateDir.
func OpenLinks(stateDir string) *Links {
	return &Links{path: filepath.Join(stateDir, Dir, linksFile), broken: func(error) {}}
}

// load reads the file when it changed since last read.
func (l *Links) load() error {
	fi, err := os.Stat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		l.byH, l.list, l.mod, l.size = map[string]string{}, nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		return err
	}
	if l.byH != nil && fi.ModTime().Equal(l.mod) && fi.Size() == l.size {
		return nil
	}
	b, err := os.ReadFile(l.path)
	if err != nil {
		return err
	}
	var doc linksDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("reading %s: %w", l.path, err)
	}
	l.byH = map[string]string{}
	for _, k := range doc.Links {
		l.byH[k.Hash] = k.Institution
	}
	l.list, l.mod, l.size = doc.Links, fi.ModTime(), fi.Size()
	return nil
}

// Lookup returns the institution whose link carries token.
func (l *Links) Lookup(token string) (string, bool) {
	if len(token) != tokenLen {
		return "", false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.load(); err != nil {
		l.broken(err)
		return "", false
	}
	name, ok := l.byH[hashToken(token)]
	return name, ok
}

// List returns the links issued, in no particular order.
func (l *Links) List() ([]Link, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.load(); err != nil {
		return nil, err
	}
	return append([]Link(nil), l.list...), nil
}

// Issue gives each of names a new link, revoking any old one: it makes
// their tokens, hands them (in names' order) to publish, and only when
// publish succeeds records their hashes, so that a failed publish revokes
// nothing. The file is rewritten atomically, under a lock that keeps two
// kaohe portal links from losing each other's links. It returns publish's
// error, or the error of recording the hashes (the new links then do not
// work; the old ones still do).
func (l *Links) Issue(names []string, now time.Time, publish func(tokens []string) error) error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(l.path), err)
	}
	lock, err := os.OpenFile(l.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byH = nil // read afresh under the lock
	if err := l.load(); err != nil {
		return err
	}
	keep := map[string]Link{}
	for _, k := range l.list {
		keep[k.Institution] = k
	}
	tokens := make([]string, len(names))
	for i, name := range names {
		tokens[i] = newToken()
		keep[name] = Link{Institution: name, Hash: hashToken(tokens[i]), Issued: now}
	}
	var doc linksDoc
	for _, k := range l.list { // the file's order, then the new ones
		if k, ok := keep[k.Institution]; ok {
			doc.Links = append(doc.Links, k)
			delete(keep, k.Institution)
		}
	}
	for _, name := range names {
		if k, ok := keep[name]; ok {
			doc.Links = append(doc.Links, k)
			delete(keep, name)
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := publish(tokens); err != nil {
		return err
	}
	if err := local.WriteFile(l.path, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
		return err
	}
	os.Chmod(l.path, 0o600)
	l.byH = nil
	return nil
}

// tokenLen is the length of a token: 32 random bytes, base64url.
const tokenLen = 43

func newToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ErrNoNewLinks: every institution has a link already and none was named
// to be reset.
var ErrNoNewLinks = errors.New("所有鉴定机构都已有上传链接")

// ResetAll, given to IssueLinks as a name, resets every institution's link.
const ResetAll = "全部"

// IssueLinks issues upload links for kaohe portal links: to every
// institution of the standard without one, or, when reset names some
// (parts of names as kaohe template takes them, or ResetAll), new ones to
// those, revoking their old ones. It writes them to the workbook out
// (sheets.WriteLinks; a temporary file readable only by its owner, synced,
// then renamed) and only then records their hashes in the state folder:
// a workbook that cannot be written leaves every link as it was, and when
// the hashes cannot be recorded the workbook is removed again. It returns
// the links, in the allocation's order, and how many institutions kept
// the link they had. A link is base_url/i/<token>; only the token's hash
// is stored.
func IssueLinks(cfg pipeline.Config, reset []string, out string, now time.Time) ([]sheets.Link, int, error) {
	if err := cfg.Resolve(); err != nil {
		return nil, 0, err
	}
	if cfg.Web.BaseURL == "" {
		return nil, 0, fmt.Errorf("%w: [web] base_url 未设置：链接按它生成，如 base_url = \"https://kaohe.example.cn\"", pipeline.ErrConfig)
	}
	std, _, err := cfg.LoadStandard()
	if err != nil {
		return nil, 0, err
	}
	if err := state.Create(cfg.StateDir()); err != nil {
		return nil, 0, err
	}
	links := OpenLinks(cfg.StateDir())
	have, err := links.List()
	if err != nil {
		return nil, 0, err
	}
	had := map[string]bool{}
	for _, l := range have {
		had[l.Institution] = true
	}
	pick := map[string]bool{}
	for _, part := range reset {
		if part == ResetAll {
			for _, in := range std.Institutions {
				pick[in.Name] = true
			}
			continue
		}
		in, err := pipeline.FindInstitution(std, part)
		if err != nil {
			return nil, 0, err
		}
		pick[in.Name] = true
	}
	kept := 0
	if len(reset) == 0 {
		for _, in := range std.Institutions {
			if had[in.Name] {
				kept++
			} else {
				pick[in.Name] = true
			}
		}
	}
	var names []string
	for _, in := range std.Institutions { // the allocation's order
		if pick[in.Name] {
			names = append(names, in.Name)
		}
	}
	if len(names) == 0 {
		return nil, kept, ErrNoNewLinks
	}
	base := strings.TrimSuffix(cfg.Web.BaseURL, "/")
	issued := make([]sheets.Link, len(names))
	written := false
	err = links.Issue(names, now, func(tokens []string) error {
		for i, n := range names {
			issued[i] = sheets.Link{Institution: n, URL: base + "/i/" + tokens[i]}
		}
		if err := local.WriteFileMode(out, 0o600, func(w io.Writer) error { return sheets.WriteLinks(w, issued) }); err != nil { // it holds the tokens
			return err
		}
		written = true
		return nil
	})
	if err != nil {
		if written { // its links would not open anything
			os.Remove(out)
		}
		return nil, 0, err
	}
	return issued, kept, nil
}
