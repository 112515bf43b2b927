package main

import (
	"archive/zip"
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
	Year     int      `json:"year"`         // the embedded standard's year, when StdDir is ""
	StdDir   string   `json:"standard_dir"` // the synthetic standard's folder, for N above the allocation's size
	Files    string   `json:"files"`        // the folder of the submissions
	Fields   []string `json:"fields"`       // every defined name the reader reads
	Parts    []string `json:"parts"`        // the zip parts the reader needs: workbook, rels, shared strings, the named sheets
	Accepted int      `json:"accepted"`
	Rejected int      `json:"rejected"`
	Bytes    int64    `json:"bytes"`
}

// corpus returns the corpus of n submissions in dir, generating it unless
// an identical one is there.
func corpus(dir string, n int) (*corpusInfo, error) {
	root := filepath.Join(dir, fmt.Sprintf("corpus-%d", n))
	manifest := filepath.Join(root, "manifest.json")
	if b, err := os.ReadFile(manifest); err == nil {
		var c corpusInfo
		if json.Unmarshal(b, &c) == nil && c.Version == corpusVersion && c.N == n {
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
	fmt.Printf("\ngenerating %d submissions in %s ...\n", n, root)
	c := &corpusInfo{Version: corpusVersion, N: n, Year: templates.DefaultYear, Files: filepath.Join(root, "inbox")}
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
	if err := os.MkdirAll(c.Files, 0o755); err != nil {
		return nil, err
	}
	insts := std.Institutions[:n]
	base := time.Date(2013, 12, 20, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				in := insts[i]
				s := pipeline.SynthValues(std, in, seed, i%brokenEvery == brokenEvery/2)
				b, err := pipeline.SynthWorkbook(std, in, s.Values)
				if err == nil {
					p := filepath.Join(c.Files, in.Name+"-自评表.xlsx")
					if err = os.WriteFile(p, b, 0o644); err == nil {
						when := base.Add(time.Duration(i) * time.Second)
						err = os.Chtimes(p, when, when)
					}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if s.Broken {
					c.Rejected++
				} else {
					c.Accepted++
				}
				c.Bytes += int64(len(b))
				mu.Unlock()
			}
		}()
	}
	for i := range insts {
		if i > 0 && i%1000 == 0 {
			fmt.Printf("  %d/%d\n", i, n)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, fd := range templates.Fields {
		c.Fields = append(c.Fields, fd.Name)
	}
	if c.Parts, err = neededParts(filepath.Join(c.Files, insts[0].Name+"-自评表.xlsx"), c.Fields); err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		return nil, err
	}
	fmt.Printf("  generated in %s\n", secs(time.Since(start)))
	return c, nil
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
	parts := []string{"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml"}
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
	if len(parts) == 3 {
		return nil, errors.New("no sheet holds a field")
	}
	sort.Strings(parts[3:])
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
