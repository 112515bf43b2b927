// Command kaohe runs a city's yearly assessment of its vocational skill
// appraisal institutions: templates out, workbooks in, a ranking workbook
// and receipts out. `kaohe help` lists the commands.
package main

import (
	"errors"
	"fmt"
	"os"

	"kaohe/pipeline/state"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(exitUsage)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "kaohe: error: 未知的命令 %q\nkaohe: hint: 运行 kaohe help 查看可用命令\n", os.Args[1])
		os.Exit(exitUsage)
	}
	err := cmd(os.Args[2:])
	switch {
	case err == nil, errors.Is(err, errHelp):
		return
	case errors.Is(err, errUsage):
		os.Exit(exitUsage)
	case errors.Is(err, errRejected):
		os.Exit(exitRejected)
	case errors.Is(err, errReported):
		os.Exit(exitError)
	case errors.Is(err, state.ErrLocked):
		fmt.Fprintf(os.Stderr, "kaohe: error: %v\n", err)
		os.Exit(exitLocked)
	}
	fmt.Fprintf(os.Stderr, "kaohe: error: %v\n", err)
	if h := hint(err); h != "" {
		fmt.Fprintf(os.Stderr, "kaohe: hint: %s\n", h)
	}
	os.Exit(exitError)
}
