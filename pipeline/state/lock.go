package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked: another kaohe run holds the state folder's lock.
var ErrLocked = errors.New("另一个 kaohe 运行正在进行")

const lockFile = "lock"

// Lock takes the state folder's lock (flock) so that only one run at a
// time, in any process, works on it. It returns ErrLocked at once when
// another process holds it, and a function that releases it.
func Lock(dir string) (func(), error) {
	p := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(p)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who != "" {
				who = "（进程 " + who + "）"
			}
			return nil, fmt.Errorf("%w%s，状态文件夹 %s 已加锁；请等它结束后再运行", ErrLocked, who, dir)
		}
		return nil, fmt.Errorf("locking %s: %w", p, err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
