package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers ranks every package of the module as the README's map draws it:
// a package imports only packages of a lower rank (its tests may import
// anything). A new package needs a place here, and in the map.
var layers = map[string]int{
	"templates":                  0,
	"templates/score":            1,
	"sheets/internal/text":       1,
	"sheets/internal/ooxml":      1,
	"sheets/writers":             1,
	"sheets/internal/book":       2,
	"sheets/internal/layout":     2,
	"sheets/officetest":          2,
	"sheets/internal/check":      3,
	"sheets/internal/fast":       4,
	"sheets":                     5,
	"pipeline/store":             5,
	"pipeline/store/local":       6,
	"pipeline/store/ftp":         6,
	"pipeline/store/storetest":   6,
	"pipeline/state":             7,
	"pipeline/store/ftp/ftptest": 7,
	"pipeline":                   8,
	"pipeline/web":               9,
	"cmd/kaohe":                  10,
	"cmd/kaohe-bench":            10,
}

// TestLayers checks that imports point down the README's map of packages.
func TestLayers(t *testing.T) {
	const module = "kaohe/"
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		rank, ok := layers[pkg]
		if !ok {
			t.Errorf("%s: package %s has no place in the map (layers in cmd/kaohe/layers_test.go and the README's Layout)", name, pkg)
			return nil
		}
		seen[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			dep, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			if r, ok := layers[dep]; !ok || r >= rank {
				t.Errorf("%s/%s imports %s: up or across the map (%d → %d)", pkg, name, p, rank, r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range layers {
		if !seen[pkg] {
			t.Errorf("the map places %s, which has no Go files", pkg)
		}
	}
}
