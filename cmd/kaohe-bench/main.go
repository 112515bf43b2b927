// Command kaohe-bench measures one consolidation run (kaohe run) over N
// generated, distinct submissions, side by side with the do-it-yourself
// peer a centre would otherwise write (peer.py: Python and openpyxl) and
// with the floor (only opening each zip and reading the XML parts the
// reader needs, without parsing them), on the same files:
//
//	go run ./cmd/kaohe-bench -n 32,1000,10000 [-writer libreoffice]
//
// For each N it generates the submissions once (kept in -dir, by default
// ~/.cache/kaohe-bench, for the next invocation; above the allocation's 32
// institutions, with a standard folder of N institutions read through
// standard_dir), saved by -writer (package kaohe/sheets/writers: excelize,
// the default, fills the templates; openpyxl fills them too; LibreOffice
// and Gnumeric save the excelize-filled workbooks again; Excel and WPS are
// modelled), then runs each contender -runs times, each in a child
// process of its own, so the peak RSS it reports is that run's alone and
// not the generator's; the floor, a lower bound, is the fastest of three
// passes in each run. Every kaohe run gets a fresh copy of the inbox and
// fresh outbox and state folders. It prints the medians, the workbooks per
// second, the time of each stage of the kaohe run (pipeline.Summary.Stages)
// and the ratios kaohe / peer and kaohe / floor, and checks each run's
// counts; it never asserts anything about time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"kaohe/sheets/writers"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case childKaohe:
			exitOn(runKaoheChild(os.Args[2:]))
			return
		case childFloor:
			exitOn(runFloorChild(os.Args[2:]))
			return
		}
	}
	exitOn(bench(os.Args[1:]))
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "kaohe-bench: error: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	ns         []int
	runs       int
	dir        string
	peer       bool
	peerMax    int
	python     string
	cpuProfile string
	memProfile string
	keep       bool
	writer     writers.Writer
}

func bench(args []string) error {
	fs := flag.NewFlagSet("kaohe-bench", flag.ContinueOnError)
	ns := fs.String("n", "32,1000,10000", "numbers of submissions, comma-separated")
	runs := fs.Int("runs", 3, "runs of each contender per N; the medians are reported")
	dir := fs.String("dir", defaultDir(), "work folder; generated submissions are kept there for the next invocation")
	peer := fs.Bool("peer", true, "run the openpyxl peer")
	peerMax := fs.Int("peer-max", 0, "skip the peer for N above this (0: never skip)")
	python := fs.String("python", "/usr/bin/python3", "the Python with openpyxl (Debian python3-openpyxl)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the last kaohe run of each N to this file (N is appended)")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the last kaohe run of each N to this file (N is appended)")
	keep := fs.Bool("keep", false, "keep each run's inbox, outbox and state folders (and the peer's workbooks)")
	writer := fs.String("writer", string(writers.Excelize), "who saves the submissions: "+writerNames())
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := options{runs: max(*runs, 1), dir: *dir, peer: *peer, peerMax: *peerMax, python: *python, cpuProfile: *cpuProfile, memProfile: *memProfile, keep: *keep}
	w, err := writers.Parse(*writer)
	if err != nil {
		return fmt.Errorf("-writer: %w", err)
	}
	o.writer = w
	for _, s := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(s, "_", "")))
		if err != nil || n < 1 {
			return fmt.Errorf("-n: %q is not a positive number", s)
		}
		o.ns = append(o.ns, n)
	}
	if o.peer {
		if err := exec.Command(o.python, "-c", "import openpyxl").Run(); err != nil {
			return fmt.Errorf("the peer needs %s with openpyxl (apt-get install python3-openpyxl), or run with -peer=false: %v", o.python, err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("kaohe-bench: %s\n", machine())
	fmt.Printf("kaohe-bench: work folder %s\n", o.dir)
	fmt.Printf("kaohe-bench: submissions saved by %s (%s)\n", o.writer, writers.Version(context.Background(), o.writer, writers.Options{Python: o.python}))
	// The runs' folders (tens of thousands of files) are removed only at
	// the end; see settle.
	if err := removeRuns(o.dir); err != nil {
		return err
	}
	settle(o.dir)
	var results []*nResult
	for _, n := range o.ns {
		r, err := benchN(self, o, n)
		if err != nil {
			return fmt.Errorf("N=%d: %w", n, err)
		}
		results = append(results, r)
	}
	printSummary(o, results)
	if !o.keep {
		return removeRuns(o.dir)
	}
	return nil
}

// writerNames lists the writers for -writer's help.
func writerNames() string {
	var names []string
	for _, w := range writers.All {
		n := string(w)
		if w.Modelled() {
			n += " (modelled)"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// defaultDir is the user's cache folder: the generated submissions are a
// cache, kept for the next invocation.
func defaultDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "kaohe-bench")
	}
	return filepath.Join(os.TempDir(), "kaohe-bench")
}

// removeRuns removes the runs' folders and outputs left in dir, noting when.
func removeRuns(dir string) error {
	removed := false
	for _, pat := range []string{"run-*", "peer-*.xlsx"} {
		old, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range old {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			removed = true
		}
	}
	if removed {
		return os.WriteFile(filepath.Join(dir, removedStamp), []byte(time.Now().Format(time.RFC3339)), 0o644)
	}
	return nil
}

// removedStamp holds when removeRuns last removed files.
const removedStamp = "removed-at"

// settleTime is how long file creation stays slow on ext4 after many files
// were deleted: without a journal, the inode allocator skips inodes deleted
// in the last minute, or six while their inode table block is not yet
// written back (fs/ext4/ialloc.c, recently_deleted), and with tens of
// thousands of them a create takes 0.5 ms instead of 0.03 ms.
const settleTime = 6*time.Minute + 30*time.Second

// settle waits until settleTime has passed since the last removal of runs
// in dir, so that it is not measured.
func settle(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, removedStamp))
	if err != nil {
		return
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	if wait := time.Until(at.Add(settleTime)); err == nil && wait > 0 {
		fmt.Printf("kaohe-bench: waiting %s: files were removed here %s ago, and creating files right after that is slow on ext4\n",
			wait.Round(time.Second), time.Since(at).Round(time.Second))
		time.Sleep(wait)
	}
}

// nResult is every run of one N.
type nResult struct {
	n, accepted, rejected int
	kaohe, peer, floor    []sample
}

// sample is one run of one contender.
type sample struct {
	wall   time.Duration
	rssKiB int64
	kaohe  *kaoheOut // the kaohe child's own report
}

func benchN(self string, o options, n int) (*nResult, error) {
	c, err := corpus(o.dir, n, o.writer)
	if err != nil {
		return nil, err
	}
	settle(o.dir) // generating for another writer removed as many files as it made
	res := &nResult{n: n, accepted: c.Accepted, rejected: c.Rejected}
	gen := ""
	if c.Seconds > 0 {
		gen = fmt.Sprintf(", generated in %s", secs(time.Duration(c.Seconds*float64(time.Second))))
	}
	fmt.Printf("\nN=%d: %d submissions saved by %s in %s (%d expected accepted, %d rejected), %.1f MB%s\n",
		n, c.N, c.writer(), c.Files, c.Accepted, c.Rejected, float64(c.Bytes)/1e6, gen)
	peer := o.peer && (o.peerMax == 0 || n <= o.peerMax)
	for i := range o.runs {
		var prof []string // the child's flags
		if i == o.runs-1 {
			for _, p := range []struct{ flag, file string }{{"-cpuprofile", o.cpuProfile}, {"-memprofile", o.memProfile}} {
				if p.file != "" {
					prof = append(prof, p.flag, fmt.Sprintf("%s.%d", p.file, n))
				}
			}
		}
		k, err := runKaoheOnce(self, o, c, i, prof)
		if err != nil {
			return nil, err
		}
		res.kaohe = append(res.kaohe, k)
		line := fmt.Sprintf("  run %d: kaohe %s (peak RSS %s)", i+1, secs(k.wall), mib(k.rssKiB))
		if peer {
			p, err := runPeerOnce(o, c, i)
			if err != nil {
				return nil, err
			}
			res.peer = append(res.peer, p)
			line += fmt.Sprintf("  peer %s (peak RSS %s)", secs(p.wall), mib(p.rssKiB))
		}
		f, err := runFloorOnce(self, c)
		if err != nil {
			return nil, err
		}
		res.floor = append(res.floor, f)
		line += fmt.Sprintf("  floor %s", secs(f.wall))
		fmt.Println(line)
	}
	return res, nil
}

func printSummary(o options, rs []*nResult) {
	fmt.Printf("\nmedians of %d runs over submissions saved by %s (wall time of each contender's process, the floor's the fastest of %d passes; peak RSS is kaohe's own):\n\n", o.runs, o.writer, floorPasses)
	fmt.Printf("%7s %9s %9s %10s %9s %9s %12s %12s\n", "N", "kaohe s", "wb/s", "RSS MB", "peer s", "floor s", "kaohe/peer", "kaohe/floor")
	for _, r := range rs {
		k, f := median(r.kaohe, wall), median(r.floor, wall)
		rss := median(r.kaohe, func(s sample) time.Duration { return time.Duration(s.rssKiB) })
		peer, kp := "-", "-"
		if len(r.peer) > 0 {
			p := median(r.peer, wall)
			peer = fmt.Sprintf("%.2f", p.Seconds())
			kp = fmt.Sprintf("%.3f", k.Seconds()/p.Seconds())
		}
		fmt.Printf("%7d %9.2f %9.0f %10.1f %9s %9.3f %12s %12.2f\n", r.n, k.Seconds(), float64(r.n)/k.Seconds(),
			float64(rss)/1024, peer, f.Seconds(), kp, k.Seconds()/f.Seconds())
	}
	fmt.Printf("\nkaohe stages (medians, seconds):\n\n%7s", "N")
	for _, s := range stageNames {
		fmt.Printf(" %9s", s)
	}
	fmt.Printf(" %9s\n", "run")
	for _, r := range rs {
		fmt.Printf("%7d", r.n)
		for i := range stageNames {
			fmt.Printf(" %9.3f", median(r.kaohe, func(s sample) time.Duration { return s.kaohe.Stages[i] }).Seconds())
		}
		fmt.Printf(" %9.3f\n", median(r.kaohe, func(s sample) time.Duration { return s.kaohe.Duration }).Seconds())
	}
	fmt.Println()
	for _, r := range rs {
		k, f := median(r.kaohe, wall), median(r.floor, wall)
		rss := float64(median(r.kaohe, func(s sample) time.Duration { return time.Duration(s.rssKiB) })) / 1024
		line := fmt.Sprintf("N=%d (%s): kaohe %.2f s", r.n, o.writer, k.Seconds())
		if len(r.peer) > 0 {
			line += fmt.Sprintf(", %.1f× as fast as the openpyxl peer (target: at least 10×)", median(r.peer, wall).Seconds()/k.Seconds())
		}
		line += fmt.Sprintf(", %.1f× the floor (target: at most 4×), peak RSS %.0f MB (target: at most 200 MB)", k.Seconds()/f.Seconds(), rss)
		fmt.Println(line)
	}
}

func wall(s sample) time.Duration { return s.wall }

func median(ss []sample, f func(sample) time.Duration) time.Duration {
	if len(ss) == 0 {
		return 0
	}
	v := make([]time.Duration, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MB", float64(kib)/1024) }

// machine describes the machine: CPUs, memory, CPU model, Go.
func machine() string {
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				mem = fmt.Sprintf(", %.1f GiB memory", kb/(1<<20))
			}
		}
	}
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = ", " + strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d)%s%s, %s %s/%s%s", runtime.NumCPU(), runtime.GOMAXPROCS(0), mem, model,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}
