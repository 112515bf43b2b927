package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"kaohe/sheets"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"kaohe": main})
}

// TestScripts runs the CLI scripts in testdata/script: each one checks what
// a person sees, and that a failed command leaves no output behind.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
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
