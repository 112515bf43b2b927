package pipeline

// What a run's pools of workers share, and the memory a run may use.

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

// workers is the size of the pools.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// progress prints "读取 3/35" on a terminal, overwriting the line.
func progress(w io.Writer, what string, i, n int) {
	if w == nil || n < 10 {
		return
	}
	fmt.Fprintf(w, "\r%s %d/%d", what, i, n)
	if i == n {
		fmt.Fprintln(w)
	}
}

// runMemoryLimit is the soft limit on the Go runtime's memory during a run,
// and runGCPercent its collector's pacing (see limitMemory).
const (
	runMemoryLimit = 160 << 20
	runGCPercent   = 400
)

// limitMemory paces the collector for a run and returns the function that
// restores the process's settings. A run holds every institution's result
// (about 7 KB each) and, for a moment, its report; with Go's default pacing
// (GOGC=100) the heap may grow to twice what is live before a collection,
// 220 MB for 10,000 institutions, while most of the run, reading, holds
// little and so collects very often: 120 times in a run over 10,000
// uploads, a tenth of its time. So during a run the collector lets the
// heap grow to five times what is live (runGCPercent), and a soft memory
// limit (runMemoryLimit) makes it collect sooner once that much is in use:
// about 25 collections for 10,000 uploads, the same peak, and nothing
// different for a city's 32 workbooks. A process started with GOMEMLIMIT
// or GOGC keeps that setting.
func limitMemory() func() {
	restore := func() {}
	if prev := debug.SetMemoryLimit(-1); prev == math.MaxInt64 {
		debug.SetMemoryLimit(runMemoryLimit)
		restore = func() { debug.SetMemoryLimit(prev) }
	}
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(runGCPercent)
		lim := restore
		restore = func() { debug.SetGCPercent(prev); lim() }
	}
	return restore
}
