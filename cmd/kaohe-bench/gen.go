package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"kaohe/pipeline"
	"kaohe/sheets"
	"kaohe/sheets/writers"
	"kaohe/templates"
)

// corpusVersion changes whenever the generator makes different files, so
// a corpus kept from an older generator is made again.
const corpusVersion = 1

// seed makes the corpus the same on every machine.
const seed = 20131231

// brokenEvery: one submission in this many is broken (more passed than
// appraised), so the run also writes rejections.
const brokenEvery = 97

// corpusInfo is one generated corpus, kept as manifest.json beside it.
type corpusInfo struct {
	Version  int      `json:"version"`
	N        int      `json:"n"`
	Writer   string   `json:"writer,omitempty"`  // who saved the submissions ("": excelize)
	Program  string   `json:"program,omitempty"` // the writer's program and version
	Year     int      `json:"year"`              // the embedded standard's year, when StdDir is ""
	StdDir   string   `json:"standard_dir"`      // the synthetic standard's folder, for N above the allocation's size
	Files    string   `json:"files"`             // the folder of the submissions
	Fields   []string `json:"fields"`            // every defined name the reader reads
	Parts    []string `json:"parts"`             // the zip parts the reader needs: workbook, rels, shared strings, the named sheets
	Accepted int      `json:"accepted"`
	Rejected int      `json:"rejected"`
	Bytes    int64    `json:"bytes"`
	Seconds  float64  `json:"seconds,omitempty"` // how long generating took
}

// writer is who saved the corpus's submissions.
func (c *corpusInfo) writer() writers.Writer {
	if c.Writer == "" {
		return writers.Excelize
	}
	return writers.Writer(c.Writer)
}

// corpusRoot is the folder of the corpus of n submissions saved by w: the
// excelize corpus keeps the name it had before there were writers.
func corpusRoot(dir string, n int, w writers.Writer) string {
	if w == writers.Excelize {
		return filepath.Join(dir, fmt.Sprintf("corpus-%d", n))
	}
	return filepath.Join(dir, fmt.Sprintf("corpus-%s-%d", w, n))
}

// corpus returns the corpus of n submissions saved by w in dir, generating
// it unless an identical one is there: the submissions are filled by
// excelize (sheets.Fill), then, for another writer, filled or saved again
// by it (package writers; the programs run at nice 10).
func corpus(dir string, n int, w writers.Writer) (*corpusInfo, error) {
	root := corpusRoot(dir, n, w)
	manifest := filepath.Join(root, "manifest.json")
	if b, err := os.ReadFile(manifest); err == nil {
		var c corpusInfo
		if json.Unmarshal(b, &c) == nil && c.Version == corpusVersion && c.N == n && c.writer() == w {
			c.Files = filepath.Join(root, "inbox") // the folder may have moved
			if c.StdDir != "" {
				c.StdDir = filepath.Join(root, "standard")
			}
			if des, err := os.ReadDir(c.Files); err == nil && len(des) == n {
				return &c, nil
			}
		}
	}
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	start := time.Now()
	fmt.Printf("\ngenerating %d submissions saved by %s in %s ...\n", n, w, root)
	c := &corpusInfo{Version: corpusVersion, N: n, Year: templates.DefaultYear, Files: filepath.Join(root, "inbox")}
	if w != writers.Excelize {
		c.Writer = string(w)
	}
	std, _, err := templates.Load(templates.DefaultYear)
	if err != nil {
		return nil, err
	}
	if n > len(std.Institutions) {
		c.StdDir = filepath.Join(root, "standard")
		if std, err = pipeline.WriteSynthStandard(c.StdDir, templates.DefaultYear, n, seed); err != nil {
			return nil, fmt.Errorf("writing the synthetic standard: %w", err)
		}
	}
	src := filepath.Join(root, "src") // the templates and excelize-filled workbooks another writer starts from
	for _, d := range []string{c.Files, src} {
		if d == src && w == writers.Excelize {
			continue
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	insts := std.Institutions[:n]
	jobs := make([]writers.Job, n)
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				in := insts[i]
				s := pipeline.SynthValues(std, in, seed, i%brokenEvery == brokenEvery/2)
				j := writers.Job{Values: s.Values, Out: filepath.Join(c.Files, in.Name+"-自评表.xlsx"),
					Template: filepath.Join(src, fmt.Sprintf("%06d-template.xlsx", i)), Filled: filepath.Join(src, fmt.Sprintf("%06d.xlsx", i))}
				if w == writers.Excelize {
					j.Filled = j.Out // as before there were writers
				}
				err := synthFiles(std, in, w, j)
				mu.Lock()
				jobs[i] = j
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if s.Broken {
					c.Rejected++
				} else {
					c.Accepted++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range insts {
		if i > 0 && i%1000 == 0 {
			fmt.Printf("  %d/%d filled by excelize\n", i, n)
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if w != writers.Excelize {
		fmt.Printf("  filled by excelize in %s; now %s (%s) saves them ...\n", secs(time.Since(start)), w, writers.Version(context.Background(), w, writers.Options{}))
		p := newProgress(string(w), time.Now())
		if err := writers.Write(context.Background(), w, jobs, writers.Options{Nice: 10, Progress: p.report}); err != nil {
			return nil, fmt.Errorf("saving with %s: %w", w, err)
		}
	}
	base := time.Date(2013, 12, 20, 9, 0, 0, 0, time.UTC)
	for i, j := range jobs {
		when := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(j.Out, when, when); err != nil {
			return nil, err
		}
		fi, err := os.Stat(j.Out)
		if err != nil {
			return nil, err
		}
		c.Bytes += fi.Size()
	}
	if w != writers.Excelize {
		// The templates and filled workbooks another writer started from
		// (and its own temporary files) go: with thousands of them,
		// creating files stays slow for a while after that (see settle),
		// which benchN waits out.
		if err := os.RemoveAll(src); err != nil {
			return nil, err
		}
		if n >= 5000 {
			if err := os.WriteFile(filepath.Join(dir, removedStamp), []byte(time.Now().Format(time.RFC3339)), 0o644); err != nil {
				return nil, err
			}
		}
	}
	for _, fd := range templates.Fields {
		c.Fields = append(c.Fields, fd.Name)
	}
	if c.Parts, err = neededParts(jobs[0].Out, c.Fields); err != nil {
		return nil, err
	}
	c.Program = writers.Version(context.Background(), w, writers.Options{})
	c.Seconds = time.Since(start).Seconds()
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		return nil, err
	}
	fmt.Printf("  generated in %s\n", secs(time.Since(start)))
	return c, nil
}

// synthFiles writes what writer w starts from for job j: the template
// (openpyxl fills it) or the workbook filled by excelize (the others).
func synthFiles(std *templates.Standard, in templates.Institution, w writers.Writer, j writers.Job) error {
	var tmpl bytes.Buffer
	if err := sheets.WriteTemplate(&tmpl, std, in); err != nil {
		return err
	}
	if w == writers.OpenPyXL {
		return os.WriteFile(j.Template, tmpl.Bytes(), 0o644)
	}
	var filled bytes.Buffer
	if err := sheets.Fill(bytes.NewReader(tmpl.Bytes()), &filled, j.Values); err != nil {
		return fmt.Errorf("filling %s: %w", in.Name, err)
	}
	return os.WriteFile(j.Filled, filled.Bytes(), 0o644)
}

// progress prints how far a writer has come: every 10% (at most every 3
// seconds) or 15 seconds, and at the end.
type progress struct {
	mu          sync.Mutex
	what        string
	start, last time.Time
	lastDone    int
}

func newProgress(what string, start time.Time) *progress {
	return &progress{what: what, start: start, last: start}
}

func (p *progress) report(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	step := done-p.lastDone >= max(total/10, 1) && now.Sub(p.last) >= 3*time.Second
	if done < total && !step && now.Sub(p.last) < 15*time.Second {
		return
	}
	p.last, p.lastDone = now, done
	el := now.Sub(p.start)
	left := ""
	if done > 0 && done < total {
		left = fmt.Sprintf(", about %s left", (time.Duration(float64(el) * float64(total-done) / float64(done))).Round(time.Second))
	}
	fmt.Printf("  %s: %d/%d saved (%s%s)\n", p.what, done, total, el.Round(time.Second), left)
}

// neededParts finds the zip parts the reader needs in one submission: the
// workbook, its relationships, the shared strings and every sheet a field's
// defined name points at. The floor reads these parts of every file.
func neededParts(file string, fields []string) ([]string, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	read := func(name string, v any) error {
		f, err := zr.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		return xml.NewDecoder(f).Decode(v)
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
		Names []struct {
			Name string `xml:"name,attr"`
			Ref  string `xml:",chardata"`
		} `xml:"definedNames>definedName"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := read("xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := read("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range fields {
		want[f] = true
	}
	sheets := map[string]bool{}
	for _, dn := range wb.Names {
		if !want[dn.Name] {
			continue
		}
		sheet, _, ok := strings.Cut(dn.Ref, "!")
		if !ok {
			continue
		}
		sheets[strings.ReplaceAll(strings.Trim(sheet, "'"), "''", "'")] = true
	}
	parts := []string{"xl/workbook.xml", "xl/_rels/workbook.xml.rels"}
	for _, zf := range zr.File {
		if zf.Name == "xl/sharedStrings.xml" {
			parts = append(parts, zf.Name) // openpyxl writes none
		}
	}
	fixed := len(parts)
	for _, s := range wb.Sheets {
		if !sheets[s.Name] {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID == s.RID {
				t := r.Target
				if !strings.HasPrefix(t, "/") {
					t = path.Join("xl", t)
				}
				parts = append(parts, strings.TrimPrefix(t, "/"))
			}
		}
	}
	if len(parts) == fixed {
		return nil, errors.New("no sheet holds a field")
	}
	sort.Strings(parts[fixed:])
	return parts, nil
}

// copyInbox copies the corpus into a fresh inbox (a run moves its inputs
// away), keeping the modification times, then syncs, so the copy's
// write-back does not fall into the timed run.
func copyInbox(c *corpusInfo, inbox string) error {
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		return err
	}
	des, err := os.ReadDir(c.Files)
	if err != nil {
		return err
	}
	for _, de := range des {
		src := filepath.Join(c.Files, de.Name())
		fi, err := de.Info()
		if err != nil {
			return err
		}
		if err := copyFile(src, filepath.Join(inbox, de.Name())); err != nil {
			return err
		}
		if err := os.Chtimes(filepath.Join(inbox, de.Name()), fi.ModTime(), fi.ModTime()); err != nil {
			return err
		}
	}
	syncAll()
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
