// Package writers saves filled self-assessment workbooks the way the
// programs institutions use save them, for the tests of the reader and the
// benchmark (cmd/kaohe-bench): excelize (kaohe's own Fill), openpyxl
// (Debian's python3-openpyxl filling the template by its defined names),
// LibreOffice and Gnumeric (re-saving a filled workbook), and Excel and WPS,
// which are not on this machine and are modelled: the workbook with every
// part spelled as they spell it (rewrite.go).
package writers

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Writer is a program that saves workbooks.
type Writer string

// The writers.
const (
	Excelize    Writer = "excelize"    // sheets.Fill: kaohe's own
	OpenPyXL    Writer = "openpyxl"    // Debian's python3-openpyxl fills the template
	LibreOffice Writer = "libreoffice" // soffice --convert-to xlsx re-saves a filled workbook
	Gnumeric    Writer = "gnumeric"    // ssconvert re-saves a filled workbook
	Excel       Writer = "excel"       // modelled: Excel 2016+/365's spelling of a filled workbook
	WPS         Writer = "wps"         // modelled: WPS Office's spelling of a filled workbook
)

// All lists the writers.
var All = []Writer{Excelize, OpenPyXL, LibreOffice, Gnumeric, Excel, WPS}

// ErrUnknown marks a writer name not in All.
var ErrUnknown = errors.New("unknown writer")

// Parse reads a writer's name.
func Parse(s string) (Writer, error) {
	for _, w := range All {
		if string(w) == strings.ToLower(strings.TrimSpace(s)) {
			return w, nil
		}
	}
	names := make([]string, len(All))
	for i, w := range All {
		names[i] = string(w)
	}
	return "", fmt.Errorf("%w %q (one of %s)", ErrUnknown, s, strings.Join(names, ", "))
}

// Modelled reports whether the writer is modelled rather than run.
func (w Writer) Modelled() bool { return w == Excel || w == WPS }

// Job is one workbook to write.
type Job struct {
	Template string         // the template (openpyxl fills it)
	Filled   string         // the template filled by excelize (the others save it again)
	Values   map[string]any // the values, by defined name (openpyxl)
	Out      string         // where to write the workbook
}

// Options are the programs and how hard to run them.
type Options struct {
	Python    string // the Python with openpyxl; default /usr/bin/python3
	Soffice   string // default soffice
	Ssconvert string // default ssconvert
	// Workers is how many conversions run at once (default GOMAXPROCS;
	// LibreOffice at most 2, each converting Batch files per start).
	Workers int
	Batch   int // files per soffice start (default 200) or fill.py run
	// Nice is the niceness the programs run at (0: as this process).
	Nice int
	// Progress, when set, is called as jobs finish (from any goroutine,
	// one call at a time, done increasing).
	Progress func(done, total int)
}

func (o Options) withDefaults() Options {
	if o.Python == "" {
		o.Python = "/usr/bin/python3"
	}
	if o.Soffice == "" {
		o.Soffice = "soffice"
	}
	if o.Ssconvert == "" {
		o.Ssconvert = "ssconvert"
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Batch <= 0 {
		o.Batch = 200
	}
	return o
}

// command is a program run at the options' niceness.
func (o Options) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if o.Nice > 0 {
		args = append([]string{"-n", strconv.Itoa(o.Nice), name}, args...)
		name = "nice"
	}
	return exec.CommandContext(ctx, name, args...)
}

// Write writes every job's workbook with w. Excelize copies Filled;
// openpyxl fills Template with Values; LibreOffice, Gnumeric, Excel and WPS
// save Filled again. It returns the first error; a program that ran but
// wrote no workbook is an error naming the job.
func Write(ctx context.Context, w Writer, jobs []Job, opt Options) error {
	opt = opt.withDefaults()
	var mu sync.Mutex // one report at a time, in order: two workers counting at once could report 2 then 1
	done := 0
	tick := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		done += n
		if opt.Progress != nil {
			opt.Progress(done, len(jobs))
		}
	}
	switch w {
	case Excelize, Excel, WPS:
		return each(ctx, jobs, opt.Workers, func(j Job) error {
			b, err := os.ReadFile(j.Filled)
			if err != nil {
				return err
			}
			if w != Excelize {
				if b, err = Rewrite(w, b); err != nil {
					return fmt.Errorf("%s: %w", j.Filled, err)
				}
			}
			if err := os.WriteFile(j.Out, b, 0o644); err != nil {
				return err
			}
			tick(1)
			return nil
		})
	case OpenPyXL:
		return writeOpenPyXL(ctx, jobs, opt, tick)
	case LibreOffice:
		return writeLibreOffice(ctx, jobs, opt, tick)
	case Gnumeric:
		return each(ctx, jobs, opt.Workers, func(j Job) error {
			out, err := opt.command(ctx, opt.Ssconvert, j.Filled, j.Out).CombinedOutput()
			if err != nil {
				return fmt.Errorf("ssconvert %s: %v: %s", j.Filled, err, bytes.TrimSpace(out))
			}
			if _, err := os.Stat(j.Out); err != nil {
				return fmt.Errorf("ssconvert %s wrote nothing: %s", j.Filled, bytes.TrimSpace(out))
			}
			tick(1)
			return nil
		})
	}
	return fmt.Errorf("%w %q", ErrUnknown, w)
}

// Rewrite saves a filled workbook as a modelled writer (Excel, WPS) would.
func Rewrite(w Writer, filled []byte) ([]byte, error) {
	switch w {
	case Excel:
		return saveAsExcel(filled)
	case WPS:
		return saveAsWPS(filled)
	}
	return nil, fmt.Errorf("%w %q: only excel and wps are modelled", ErrUnknown, w)
}

// each runs f on every item, n at a time; the first error stops the rest.
func each[T any](ctx context.Context, items []T, n int, f func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan T)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range max(n, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if err := f(j); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for _, j := range items {
		select {
		case ch <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// chunks splits jobs into runs of at most n.
func chunks(jobs []Job, n int) [][]Job {
	var out [][]Job
	for len(jobs) > 0 {
		k := min(n, len(jobs))
		out = append(out, jobs[:k])
		jobs = jobs[k:]
	}
	return out
}

//go:embed fill.py
var fillScript []byte

// FillScript is the openpyxl filler (fill.py): it fills workbooks by their
// workbook-scope defined names, as a script of an institution would.
func FillScript() []byte { return bytes.Clone(fillScript) }

// writeOpenPyXL fills the jobs' templates with fill.py, a batch per run,
// Workers runs at once.
func writeOpenPyXL(ctx context.Context, jobs []Job, opt Options, tick func(int)) error {
	dir, err := os.MkdirTemp("", "kaohe-openpyxl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "fill.py")
	if err := os.WriteFile(script, fillScript, 0o644); err != nil {
		return err
	}
	type spec struct {
		In     string         `json:"in"`
		Out    string         `json:"out"`
		Values map[string]any `json:"values"`
	}
	type batch struct {
		spec string // the jobs file
		n    int
	}
	var batches []batch
	for i, c := range chunks(jobs, opt.Batch) {
		var specs []spec
		for _, j := range c {
			specs = append(specs, spec{j.Template, j.Out, jsonValues(j.Values)})
		}
		b, err := json.Marshal(specs)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, fmt.Sprintf("jobs-%d.json", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		batches = append(batches, batch{p, len(c)})
	}
	return each(ctx, batches, opt.Workers, func(b batch) error {
		if out, err := opt.command(ctx, opt.Python, script, "--batch", b.spec).CombinedOutput(); err != nil {
			return fmt.Errorf("fill.py: %v: %s", err, bytes.TrimSpace(out))
		}
		tick(b.n)
		return nil
	})
}

// jsonValues makes values JSON numbers, strings, booleans and nulls:
// templates.Points (anything with a Float method) becomes its number.
func jsonValues(values map[string]any) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		if f, ok := v.(interface{ Float() float64 }); ok {
			v = f.Float()
		}
		out[k] = v
	}
	return out
}

// writeLibreOffice converts the jobs' filled workbooks with soffice, Batch
// files per start, at most 2 instances at once (each with its own
// profile): starting LibreOffice costs a second or two, converting a
// workbook about 0.15 s.
func writeLibreOffice(ctx context.Context, jobs []Job, opt Options, tick func(int)) error {
	dir, err := os.MkdirTemp("", "kaohe-soffice-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	workers := min(opt.Workers, 2)
	profiles := make(chan string, workers)
	for i := range workers {
		profiles <- filepath.Join(dir, fmt.Sprintf("profile-%d", i))
	}
	type batch struct {
		in   string // a folder of links to the filled workbooks, 000000.xlsx…
		jobs []Job
	}
	var batches []batch
	for i, c := range chunks(jobs, opt.Batch) {
		in := filepath.Join(dir, fmt.Sprintf("in-%d", i))
		if err := os.MkdirAll(in, 0o755); err != nil {
			return err
		}
		for k, j := range c {
			src, err := filepath.Abs(j.Filled)
			if err != nil {
				return err
			}
			if err := os.Symlink(src, filepath.Join(in, fmt.Sprintf("%06d.xlsx", k))); err != nil {
				return err
			}
		}
		batches = append(batches, batch{in, c})
	}
	return each(ctx, batches, workers, func(b batch) error {
		profile := <-profiles
		defer func() { profiles <- profile }()
		c := b.jobs
		out := b.in + "-out"
		args := []string{"--headless", "--norestore", "-env:UserInstallation=file://" + profile,
			"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out}
		for k := range c {
			args = append(args, filepath.Join(b.in, fmt.Sprintf("%06d.xlsx", k)))
		}
		msg, err := opt.command(ctx, opt.Soffice, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("soffice: %v: %s", err, bytes.TrimSpace(msg))
		}
		for k, j := range c {
			got := filepath.Join(out, fmt.Sprintf("%06d.xlsx", k))
			if err := moveFile(got, j.Out); err != nil {
				return fmt.Errorf("soffice did not convert %s: %v (%s)", j.Filled, err, lastLine(msg))
			}
		}
		os.RemoveAll(out)
		tick(len(c))
		return nil
	})
}

// moveFile renames, or copies across file systems.
func moveFile(from, to string) error {
	if err := os.Rename(from, to); err == nil {
		return nil
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return err
	}
	return os.Remove(from)
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

//go:embed fill.xba
var fillMacro []byte

// FillWithLibreOffice fills a template in LibreOffice itself, as a person
// typing into its cells would (a Basic macro sets each named cell, text as
// text and numbers as numbers, then saves as .xlsx), and writes it to out.
// Values are strings, numbers or nil (left blank); booleans are not
// supported.
func FillWithLibreOffice(ctx context.Context, template, out string, values map[string]any, opt Options) error {
	opt = opt.withDefaults()
	dir, err := os.MkdirTemp("", "kaohe-soffice-fill-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var spec strings.Builder
	for _, name := range sortedKeys(values) {
		v := jsonValues(map[string]any{name: values[name]})[name]
		switch x := v.(type) {
		case nil:
			continue
		case string:
			if strings.ContainsAny(x, "\t\n") {
				return fmt.Errorf("%s: a value with a tab or newline", name)
			}
			fmt.Fprintf(&spec, "%s\ts\t%s\n", name, x)
		case int, int64, float64:
			fmt.Fprintf(&spec, "%s\tn\t%v\n", name, x)
		default:
			return fmt.Errorf("%s: %T is not supported", name, v)
		}
	}
	valuesFile := filepath.Join(dir, "values.tsv")
	if err := os.WriteFile(valuesFile, []byte(spec.String()), 0o644); err != nil {
		return err
	}
	profile := filepath.Join(dir, "profile")
	lo := func(args ...string) error {
		args = append([]string{"--headless", "--norestore", "-env:UserInstallation=file://" + profile}, args...)
		if msg, err := opt.command(ctx, opt.Soffice, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("soffice %v: %v: %s", args, err, bytes.TrimSpace(msg))
		}
		return nil
	}
	if err := lo("--terminate_after_init"); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(profile, "user", "basic", "Standard", "Module1.xba"), fillMacro, 0o644); err != nil {
		return err
	}
	in, _ := filepath.Abs(template)
	dst, _ := filepath.Abs(out)
	if err := lo(fmt.Sprintf("macro:///Standard.Module1.FillByNames(%s,%s,%s)", in, valuesFile, dst)); err != nil {
		return err
	}
	if _, err := os.Stat(dst); err != nil {
		return fmt.Errorf("the LibreOffice macro wrote nothing: %w", err)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Version is the writing program and its version, as it reports it, e.g.
// "LibreOffice 7.4.7.2"; for the modelled writers, what they model.
func Version(ctx context.Context, w Writer, opt Options) string {
	opt = opt.withDefaults()
	run := func(name string, args ...string) string {
		out, err := exec.CommandContext(ctx, name, args...).Output()
		if err != nil {
			return "(not found)"
		}
		return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	switch w {
	case Excelize:
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, d := range bi.Deps {
				if d.Path == "github.com/xuri/excelize/v2" {
					return "excelize " + d.Version
				}
			}
		}
		return "excelize"
	case OpenPyXL:
		return "openpyxl " + run(opt.Python, "-c", "import openpyxl; print(openpyxl.__version__)")
	case LibreOffice:
		return run(opt.Soffice, "--version")
	case Gnumeric:
		return strings.ReplaceAll(run(opt.Ssconvert, "--version"), "'", "")
	case Excel:
		return "Excel 2016+/365 16.0300 (modelled)"
	case WPS:
		return "WPS Office 12.1 (modelled)"
	}
	return string(w)
}
