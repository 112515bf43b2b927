package pipeline

// Rebuilding a ledger that lost records. Every upload a run consumed is
// kept in its run's pack, with its name and times (state.PackMeta); packs
// written before they kept them, and uploads whose copy is lost but whose
// original is in the inbox's archive/ or rejected/, are named by the
// archive (<HHMMSS>-<hash prefix>-<name>, under the run's day and the
// institution's folder). What else a record says (whose upload it is,
// accepted or not, late or not) is read again from the bytes, as the run
// that consumed them did.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"kaohe/pipeline/state"
	"kaohe/pipeline/store"
)

// RebuildSummary is what Rebuild did.
type RebuildSummary struct {
	Kept     int    // records the ledger had, kept as they were
	Rebuilt  int    // records made again from the packs and the archive
	Archived int    // of them, uploads whose copy only the archive held: kept again in a pack
	Lost     int    // of them, uploads whose bytes could not be read (a damaged pack): left out
	Backup   string // the ledger replaced, kept beside it ("" when there was none)
	// Unread are the files in the archive whose bytes no record holds
	// (archived without being read, or put there by hand): never counted.
	Unread []string
}

// runStart is when the run with the id run (Summary.Run) started.
func (r *run) runStart(run string) (time.Time, bool) {
	t, err := time.ParseInLocation(runIDLayout, run, r.cfg.loc)
	return t, err == nil
}

// byRun is t, or the start of the run when t is later: an upload was
// received before the run that read it.
func (r *run) byRun(t time.Time, run string) time.Time {
	if start, ok := r.runStart(run); ok && t.After(start) {
		return start
	}
	return t
}

// archived is a file in the inbox's archive/ or rejected/.
type archived struct {
	path    string    // in the inbox store
	name    string    // the upload's name in the inbox it says: [subfolder/]name
	run     string    // the run that moved it, as its id: 20140105-020000
	mod     time.Time // its modification time: the upload's (a move keeps it)
	outcome state.Outcome
}

// Rebuild rebuilds the ledger of the state folder from its packs and the
// inbox's archive, under the run's lock: the records it has are kept, the
// uploads they lack are added, read again from their bytes (see the top of
// rebuild.go). The ledger replaced is kept as ledger.json.bak-<time>. The
// next run's report is the one the lost records gave.
func Rebuild(ctx context.Context, o Options) (*RebuildSummary, error) {
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	unlock, err := state.Lock(r.stateDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	defer r.close()
	r.rebuilding = true
	if err := r.open(ctx, o.Inbox, o.Out); err != nil {
		return nil, err
	}
	defer r.pack.Abandon()
	sum := &RebuildSummary{Kept: len(r.ledger.Records)}
	arch, err := r.listArchive(ctx)
	if err != nil {
		return nil, err
	}
	byPrefix := map[string][]archived{}
	for _, a := range arch {
		if _, rest, ok := strings.Cut(path.Base(a.path), "-"); ok && len(rest) > 8 {
			byPrefix[rest[:8]] = append(byPrefix[rest[:8]], a)
		}
	}
	// The uploads the packs (and the copies from before packs) keep that
	// no record names, in the order the runs consumed them.
	type found struct {
		kept state.Kept
		copy string // Record.Copy
	}
	var todo []found
	unnamed, err := state.Unnamed(r.stateDir, r.ledger)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i := range r.ledger.Records {
		seen[r.ledger.Records[i].Hash] = true
	}
	for _, copy := range unnamed {
		if strings.HasSuffix(copy, ".xlsx") { // from before packs: files/<hash>.xlsx
			hash := strings.TrimSuffix(path.Base(copy), ".xlsx")
			p := filepath.Join(r.stateDir, filepath.FromSlash(copy))
			fi, err := os.Stat(p)
			if err != nil || seen[hash] {
				continue
			}
			seen[hash] = true
			todo = append(todo, found{state.KeptFile(hash, p, fi.ModTime()), ""})
			continue
		}
		kept, closePack, err := state.ReadPack(r.stateDir, copy)
		if err != nil {
			r.log.Warn("rebuild: a pack that cannot be read", "pack", copy, "err", err)
			continue
		}
		defer closePack()
		for _, k := range kept {
			if !seen[k.Hash] {
				seen[k.Hash] = true
				todo = append(todo, found{k, copy})
			}
		}
	}
	// Archived uploads whose copy is lost: their bytes from the archive.
	for _, as := range byPrefix {
		for _, a := range as {
			rc, err := r.inbox.Open(ctx, a.path)
			if err != nil {
				return nil, fmt.Errorf("reading %s from the archive: %w", a.path, err)
			}
			b, err := io.ReadAll(io.LimitReader(rc, r.cfg.MaxFileMB<<20+1))
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("reading %s from the archive: %w", a.path, err)
			}
			h := sha256.Sum256(b)
			hash := hex.EncodeToString(h[:])
			if !strings.Contains(path.Base(a.path), "-"+hash[:8]+"-") {
				sum.Unread = append(sum.Unread, a.path)
				continue
			}
			if seen[hash] {
				continue
			}
			seen[hash] = true
			// Received as a run takes it from the file's time: no later
			// than the run that moved it (when the listings bounded it
			// closer, that is lost with the copy).
			meta := state.PackMeta{Run: a.run, Modified: a.mod, Received: r.byRun(a.mod, a.run)}
			meta.Name, meta.RawName = names(a.name)
			k := state.KeptBytes(hash, b, meta)
			if int64(len(b)) > r.cfg.MaxFileMB<<20 { // refused unread, never kept (Record.NotKept)
				todo = append(todo, found{k, ""})
				continue
			}
			todo = append(todo, found{k, r.pack.Add(hash, b, meta)})
			sum.Archived++
		}
	}
	type made struct {
		rec   *state.Record
		order int
		named bool // the pack kept its name and order
	}
	var recs []made
	for _, f := range todo {
		rec, ok := r.rebuilt(f.kept, f.copy, byPrefix[f.kept.Hash[:8]])
		if !ok {
			sum.Lost++
			continue
		}
		recs = append(recs, made{rec, f.kept.Meta.Order, f.kept.Meta.Name != ""})
	}
	// In the order their runs consumed them: as kept, or, for packs from
	// before they kept it, as a run lists the inbox (its files by name,
	// then its folders').
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		switch {
		case a.rec.Run != b.rec.Run:
			return a.rec.Run < b.rec.Run
		case a.named && b.named:
			return a.order < b.order
		}
		ad, bd := strings.Contains(a.rec.Name, "/"), strings.Contains(b.rec.Name, "/")
		if ad != bd {
			return !ad
		}
		return a.rec.Name < b.rec.Name
	})
	for _, m := range recs {
		r.ledger.Add(*m.rec)
		sum.Rebuilt++
	}
	sort.SliceStable(r.ledger.Records, func(i, j int) bool { return r.ledger.Records[i].Run < r.ledger.Records[j].Run })
	r.ledger.Reindex()
	if err := r.pack.Commit(); err != nil {
		return nil, fmt.Errorf("keeping the archived uploads' copies: %w", err)
	}
	lp := filepath.Join(r.stateDir, state.LedgerFile)
	if _, err := os.Stat(lp); err == nil {
		sum.Backup = lp + ".bak-" + time.Now().Format("20060102-150405")
		if err := os.Link(lp, sum.Backup); err != nil {
			return nil, fmt.Errorf("keeping the ledger being replaced: %w", err)
		}
	}
	if err := r.ledger.Commit(); err != nil {
		return nil, fmt.Errorf("committing the ledger: %w", err)
	}
	r.log.Info("ledger rebuilt", "kept", sum.Kept, "rebuilt", sum.Rebuilt, "from_archive", sum.Archived, "lost", sum.Lost, "unread_in_archive", len(sum.Unread))
	return sum, nil
}

// rebuilt is the record of the upload k, kept at copy, read again from its
// bytes; arch are the archived files whose names carry its hash's prefix.
func (r *run) rebuilt(k state.Kept, copy string, arch []archived) (*state.Record, bool) {
	b, err := k.Bytes()
	if err != nil {
		r.log.Warn("rebuild: an upload's copy cannot be read", "hash", k.Hash, "copy", copy, "err", err)
		return nil, false
	}
	m := k.Meta
	rec := &state.Record{Hash: k.Hash, Name: m.Name, RawName: m.RawName, Size: int64(len(b)), Received: m.Received, Modified: m.Modified,
		FirstSeen: m.FirstSeen, SeenAfter: m.SeenAfter, ReceivedBy: m.ReceivedBy, Run: m.Run, Copy: copy, Outcome: state.OutcomeAccepted,
		NotKept: int64(len(b)) > r.cfg.MaxFileMB<<20}
	for _, a := range arch { // where it went; for packs from before they kept names, its name and run too
		if rec.Name == "" || rec.Name == a.name { // archived under the name as shown
			if rec.Name == "" {
				rec.Name, rec.RawName = names(a.name)
			}
			if rec.Run == "" {
				rec.Run = a.run
			}
			if m.Received.IsZero() && !a.mod.IsZero() { // a copy from before packs is dated when it was kept: the original has the upload's time
				rec.Modified = a.mod
			}
			rec.MovedTo = a.path
			break
		}
	}
	if n := strings.TrimSuffix(path.Base(copy), ".zip"); rec.Run == "" && strings.HasSuffix(copy, ".zip") { // files/<run>-<random>.zip
		if i := strings.LastIndex(n, "-"); i > 0 {
			rec.Run = n[:i]
		}
	}
	if rec.Name == "" {
		rec.Name = k.Hash[:12] + ".xlsx" // no name anywhere: the report shows the hash's
	}
	if rec.Received.IsZero() { // kept before packs kept it: the file's time, as a run takes it, no later than that run
		rec.Received = r.byRun(rec.Modified, rec.Run)
	}
	base := path.Base(rec.Name)
	sub := readSubmission(b, base, r.std, &r.cfg)
	rec.Institution, rec.Via = attribute(r.std, rec.Name, sub)
	rec.Errors, rec.Warnings = sub.Errors(), len(sub.Issues)-sub.Errors()
	rec.Late = !r.cfg.deadline.IsZero() && rec.Received.After(r.cfg.deadline)
	switch {
	case rec.Late && r.cfg.Late == "refuse":
		rec.Outcome = state.OutcomeLate
	case !sub.Accepted():
		rec.Outcome = state.OutcomeRejected
	}
	// Its receipt, named as its run named it, when the outbox has it.
	if t, ok := r.runStart(rec.Run); ok {
		name := ReceiptDir + "/" + receiptName(consumed{rec: rec}, t, map[string]bool{})
		if rc, err := r.out.Open(context.Background(), name); err == nil {
			rc.Close()
			rec.Receipt = name
		}
	}
	return rec, true
}

// listArchive lists the inbox's archive/ and rejected/: <dir>/<day>/
// [<subfolder>/]<HHMMSS>-<hash prefix>-<name>.
func (r *run) listArchive(ctx context.Context) ([]archived, error) {
	var out []archived
	for _, top := range []struct {
		dir     string
		outcome state.Outcome
	}{{ArchiveDir, state.OutcomeAccepted}, {RejectedDir, state.OutcomeRejected}} {
		days, err := r.inbox.List(ctx, top.dir)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", top.dir, err)
		}
		for _, day := range days {
			if !day.Dir {
				continue
			}
			es, err := r.inbox.List(ctx, day.Name)
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", day.Name, err)
			}
			for _, e := range es {
				sub := ""
				list := []store.Entry{e}
				if e.Dir {
					if list, err = r.inbox.List(ctx, e.Name); err != nil {
						return nil, fmt.Errorf("listing %s: %w", e.Name, err)
					}
					sub = path.Base(e.Name) + "/"
				}
				for _, f := range list {
					base := path.Base(f.Name)
					if f.Dir || f.Odd != "" || strings.HasPrefix(base, ".") {
						continue
					}
					hhmmss, rest, ok := strings.Cut(base, "-")
					_, name, ok2 := strings.Cut(rest, "-")
					if !ok || !ok2 || len(hhmmss) != 6 {
						continue
					}
					out = append(out, archived{path: f.Name, name: sub + name, run: strings.ReplaceAll(path.Base(day.Name), "-", "") + "-" + hhmmss, mod: f.ModTime, outcome: top.outcome})
				}
			}
		}
	}
	return out, nil
}
