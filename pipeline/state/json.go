package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"kaohe/pipeline/store/local"
)

// readJSON reads the JSON file at path into v; false (and v untouched)
// when there is no such file.
func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	return true, nil
}

// writeJSON replaces the file at path with v as JSON on one line.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeLine(path, b)
}

// writeLine replaces the file at path with b and a newline, atomically
// and durably (local.WriteFile).
func writeLine(path string, b []byte) error {
	return local.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}
