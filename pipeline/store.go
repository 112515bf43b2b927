package pipeline

import "errors"

// Errors of the run, wrapped with %w where they arise.
var (
	// ErrLocked: another kaohe run holds the state folder's lock.
	ErrLocked = errors.New("另一个 kaohe 运行正在进行")
	// ErrConfig: the configuration is invalid; the message names the key.
	ErrConfig = errors.New("配置错误")
)
