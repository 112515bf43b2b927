package main

import (
	"archive/zip"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"kaohe/pipeline"
)

// The child processes: one kaohe run, one floor pass.
const (
	childKaohe = "child-kaohe"
	childFloor = "child-floor"
)

// stageNames label kaoheOut.Stages, in the order of a run.
var stageNames = []string{"list", "read", "score", "report", "receipts", "ledger", "archive"}

// kaoheOut is what the kaohe child reports on stdout.
type kaoheOut struct {
	New, Accepted, Rejected, Ranked, Missing int
	Duration                                 time.Duration   // pipeline.Summary.Duration
	Stages                                   []time.Duration // by stageNames
}

// runKaoheChild performs one run, as `kaohe run` would, and reports it.
func runKaoheChild(args []string) error {
	fs := flag.NewFlagSet(childKaohe, flag.ContinueOnError)
	inbox := fs.String("inbox", "", "")
	out := fs.String("out", "", "")
	state := fs.String("state", "", "")
	stdDir := fs.String("standard-dir", "", "")
	prof := fs.String("cpuprofile", "", "")
	memProf := fs.String("memprofile", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := pipeline.DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State, cfg.StandardDir = *inbox, *out, *state, *stdDir
	cfg.MinAge, cfg.Settle = 0, 0
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if *memProf != "" {
		runtime.MemProfileRate = 64 << 10
	}
	sum, err := pipeline.Run(context.Background(), pipeline.Options{Config: cfg})
	if err != nil {
		return err
	}
	if *memProf != "" {
		f, err := os.Create(*memProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	st := sum.Stages
	return json.NewEncoder(os.Stdout).Encode(kaoheOut{
		New: sum.New, Accepted: sum.Accepted, Rejected: sum.Rejected, Ranked: sum.Ranked, Missing: sum.Missing,
		Duration: sum.Duration,
		Stages:   []time.Duration{st.List, st.Read, st.Score, st.Report, st.Receipts, st.Ledger, st.Archive},
	})
}

// runKaoheOnce copies the corpus into a fresh inbox and times one kaohe run
// over it in a child process.
func runKaoheOnce(self string, o options, c *corpusInfo, i int, prof []string) (sample, error) {
	work := filepath.Join(o.dir, fmt.Sprintf("run-%d-%d", c.N, i+1))
	if err := os.RemoveAll(work); err != nil {
		return sample{}, err
	}
	inbox := filepath.Join(work, "inbox")
	if err := copyInbox(c, inbox); err != nil {
		return sample{}, fmt.Errorf("copying the submissions: %w", err)
	}
	args := []string{childKaohe, "-inbox", inbox, "-out", filepath.Join(work, "out"), "-state", filepath.Join(work, "state")}
	if c.StdDir != "" {
		args = append(args, "-standard-dir", c.StdDir)
	}
	args = append(args, prof...)
	s, stdout, err := timed(exec.Command(self, args...))
	evict(work) // the run's own files out of the page cache, not the corpus's
	if err != nil {
		return s, fmt.Errorf("kaohe run: %w", err)
	}
	var k kaoheOut
	if err := json.Unmarshal(stdout, &k); err != nil {
		return s, fmt.Errorf("kaohe run: reading its report %q: %w", stdout, err)
	}
	if k.New != c.N || k.Accepted != c.Accepted || k.Rejected != c.Rejected || k.Ranked != c.Accepted {
		return s, fmt.Errorf("kaohe run: consumed %d, accepted %d, rejected %d, ranked %d; want %d, %d, %d, %d",
			k.New, k.Accepted, k.Rejected, k.Ranked, c.N, c.Accepted, c.Rejected, c.Accepted)
	}
	s.kaohe = &k
	return s, nil // the folder is removed at the end (see bench)
}

//go:embed peer.py
var peerScript []byte

// runPeerOnce times the openpyxl peer over the corpus.
func runPeerOnce(o options, c *corpusInfo, i int) (sample, error) {
	script := filepath.Join(o.dir, "peer.py")
	if err := os.WriteFile(script, peerScript, 0o644); err != nil {
		return sample{}, err
	}
	out := filepath.Join(o.dir, fmt.Sprintf("peer-%d-%d.xlsx", c.N, i+1))
	cmd := exec.Command(o.python, script, "--fields", strings.Join(c.Fields, ","), "--out", out, c.Files)
	s, stdout, err := timed(cmd)
	if err != nil {
		return s, fmt.Errorf("peer: %w", err)
	}
	var got struct{ Read, Ranked int }
	if err := json.Unmarshal(stdout, &got); err != nil || got.Read != c.N {
		return s, fmt.Errorf("peer: read %d of %d files (%q)", got.Read, c.N, stdout)
	}
	return s, nil
}

// floorPasses is how many times each run times the floor, keeping the
// fastest: a lower bound is best estimated by the least disturbed pass.
const floorPasses = 3

// runFloorOnce times the floor over the corpus.
func runFloorOnce(self string, c *corpusInfo) (sample, error) {
	var best sample
	for i := range floorPasses {
		s, stdout, err := timed(exec.Command(self, childFloor, "-dir", c.Files, "-parts", strings.Join(c.Parts, ",")))
		if err != nil {
			return s, fmt.Errorf("floor: %w", err)
		}
		var got struct{ Files int }
		if err := json.Unmarshal(stdout, &got); err != nil || got.Files != c.N {
			return s, fmt.Errorf("floor: read %d of %d files (%q)", got.Files, c.N, stdout)
		}
		if i == 0 || s.wall < best.wall {
			best = s
		}
	}
	return best, nil
}

// timed runs cmd, returning its wall time, its peak RSS and its stdout.
func timed(cmd *exec.Cmd) (sample, []byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start)}
	if err != nil {
		return s, nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.rssKiB = ru.Maxrss // KiB on Linux
	}
	return s, stdout.Bytes(), nil
}

// runFloorChild is the floor: list the folder, then for every file open
// the zip and read (inflate) the parts the reader needs, without parsing
// them; as many workers as kaohe's reader pool (GOMAXPROCS).
func runFloorChild(args []string) error {
	fs := flag.NewFlagSet(childFloor, flag.ContinueOnError)
	dir := fs.String("dir", "", "")
	parts := fs.String("parts", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	need := map[string]bool{}
	for _, p := range strings.Split(*parts, ",") {
		need[p] = true
	}
	des, err := os.ReadDir(*dir)
	if err != nil {
		return err
	}
	var files, read atomic.Int64
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan string, 64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for name := range jobs {
				n, err := floorFile(filepath.Join(*dir, name), need, buf)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				files.Add(1)
				read.Add(n)
			}
		}()
	}
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".xlsx") {
			jobs <- de.Name()
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return json.NewEncoder(os.Stdout).Encode(struct{ Files, Bytes int64 }{files.Load(), read.Load()})
}

// floorFile reads the needed parts of one workbook and returns how many
// bytes they hold, unzipped.
func floorFile(path string, need map[string]bool, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	var total int64
	found := 0
	for _, zf := range zr.File {
		if !need[zf.Name] {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return 0, err
		}
		n, err := io.CopyBuffer(io.Discard, rc, buf)
		rc.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", path, zf.Name, err)
		}
		total += n
		found++
	}
	if found != len(need) {
		return 0, fmt.Errorf("%s: %d of the %d parts found", path, found, len(need))
	}
	return total, nil
}

func syncAll() { syscall.Sync() }
