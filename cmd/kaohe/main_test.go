package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/xuri/excelize/v2"

	"kaohe/pipeline"
	"kaohe/sheets"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"kaohe": func() {
		testHooks = hooksFromEnv()
		main()
	}})
}

// hooksFromEnv are the run's test hooks the environment asks for, when the
// test binary acts as kaohe (the program itself never reads them):
//
//   - KAOHE_TEST_RUN_DELAY=duration: a run, once its inputs are read and
//     before it writes anything, says so on stderr and waits that long;
//   - KAOHE_TEST_RUN_GATE=path: the same, until that file exists;
//   - KAOHE_CRASH_AT=stage: the run exits at once (code 97) at that kill
//     point (pipeline.Hooks names them).
//
// Either wait ends early when the run is cancelled, which then stops with
// its inputs where they were.
func hooksFromEnv() pipeline.Hooks {
	var h pipeline.Hooks
	delay, _ := time.ParseDuration(os.Getenv("KAOHE_TEST_RUN_DELAY"))
	gate := os.Getenv("KAOHE_TEST_RUN_GATE")
	if delay > 0 || gate != "" {
		h.Pause = func(ctx context.Context) error {
			fmt.Fprintf(os.Stderr, "kaohe: test hook: run paused (delay %s, gate %q)\n", delay, gate)
			var timeout <-chan time.Time
			if delay > 0 {
				timeout = time.After(delay)
			}
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-timeout:
					return nil
				case <-ctx.Done():
					return nil
				case <-tick.C:
					if gate == "" {
						continue
					}
					if _, err := os.Stat(gate); err == nil {
						return nil
					}
				}
			}
		}
	}
	if at := os.Getenv("KAOHE_CRASH_AT"); at != "" {
		h.Crash = func(stage string) {
			if stage == at {
				fmt.Fprintf(os.Stderr, "kaohe: crash point %s\n", stage)
				os.Exit(97)
			}
		}
	}
	return h
}

// TestScripts runs the CLI scripts in testdata/script: each one checks what
// a person sees, and that a failed command leaves no output behind.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// 附件2.xlsx: the seed's 附件2 typed as the seed shows it
			// (made by the sheets tests' generator, see sheets/allocation_test.go).
			// allocation-2013.csv: the built-in allocation it must give.
			for from, to := range map[string]string{
				"../../sheets/testdata/allocation-2013.xlsx": "附件2.xlsx",
				"../../templates/2013/allocation.csv":        "allocation-2013.csv",
			} {
				b, err := os.ReadFile(from)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, to), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exits CODE PROGRAM ARGS...: run a program as exec does and
			// check its exit code.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 || neg {
					ts.Fatalf("usage: exits CODE PROGRAM ARGS...")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%s: %v", args[1], err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
				}
			},
			// setcells IN OUT CELL=VALUE...: a copy of a workbook with cells
			// of its first sheet set (a whole number as a number, else
			// text; CELL= empties it); insert=ROW inserts a blank row.
			"setcells": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: setcells IN OUT CELL=VALUE...")
				}
				f, err := excelize.OpenFile(ts.MkAbs(args[0]))
				ts.Check(err)
				sh := f.GetSheetList()[0]
				for _, kv := range args[2:] {
					k, v, _ := strings.Cut(kv, "=")
					n, nerr := strconv.ParseInt(v, 10, 64)
					switch {
					case k == "insert":
						ts.Check(nerr)
						ts.Check(f.InsertRows(sh, int(n), 1))
					case v == "":
						ts.Check(f.SetCellValue(sh, k, nil))
					case nerr == nil:
						ts.Check(f.SetCellInt(sh, k, n))
					default:
						ts.Check(f.SetCellStr(sh, k, v))
					}
				}
				ts.Check(f.SaveAs(ts.MkAbs(args[1])))
			},
			// setsheet IN OUT SHEET CELL=VALUE...: setcells on the sheet named
			// (a 核查表's 查实事项 or 核定数据).
			"setsheet": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 3 {
					ts.Fatalf("usage: setsheet IN OUT SHEET CELL=VALUE...")
				}
				f, err := excelize.OpenFile(ts.MkAbs(args[0]))
				ts.Check(err)
				for _, kv := range args[3:] {
					k, v, _ := strings.Cut(kv, "=")
					n, nerr := strconv.ParseInt(v, 10, 64)
					switch {
					case v == "":
						ts.Check(f.SetCellValue(args[2], k, nil))
					case nerr == nil:
						ts.Check(f.SetCellInt(args[2], k, n))
					default:
						ts.Check(f.SetCellStr(args[2], k, v))
					}
				}
				ts.Check(f.SaveAs(ts.MkAbs(args[1])))
			},
			// xlsx FILE: print the rows of a workbook's first sheet, cells
			// separated by tabs.
			"xlsx": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 || neg {
					ts.Fatalf("usage: xlsx FILE")
				}
				f, err := excelize.OpenFile(ts.MkAbs(args[0]))
				ts.Check(err)
				defer f.Close()
				rows, err := f.GetRows(f.GetSheetList()[0])
				ts.Check(err)
				for _, r := range rows {
					fmt.Fprintln(ts.Stdout(), strings.Join(r, "\t"))
				}
			},
			// fill TEMPLATE OUT name=value...: fill a workbook by defined name.
			"fill": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: fill TEMPLATE OUT name=value...")
				}
				values := map[string]any{}
				for _, kv := range args[2:] {
					k, v, _ := strings.Cut(kv, "=")
					values[k] = v
				}
				in, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				var out bytes.Buffer
				ts.Check(sheets.Fill(bytes.NewReader(in), &out, values))
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644))
			},
		},
	})
}
