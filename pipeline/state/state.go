// Package state is what kaohe keeps in its state folder between runs: the
// ledger of every file consumed, the packs of their copies, the lock that
// lets one run at a time work there, and last-run.json.
package state

import (
	"fmt"
	"os"
	"path/filepath"

	"kaohe/pipeline/store/local"
)

// FilesDir is the folder of the state folder that holds the copies of the
// uploads: a pack per run (Pack), and files/<hash>.xlsx from before packs.
const FilesDir = "files"

// Create makes the state folder dir and its FilesDir when missing.
func Create(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, FilesDir), 0o755); err != nil {
		return fmt.Errorf("creating state folder: %w", err)
	}
	return nil
}

// Clean removes the temporary files a run that died left in the state
// folder dir: a ledger, last-run.json or a pack not yet renamed into place.
func Clean(dir string) {
	local.CleanTemps(dir)
	local.CleanTemps(filepath.Join(dir, FilesDir))
	local.CleanTemps(filepath.Join(dir, ArrivalsDir))
}
