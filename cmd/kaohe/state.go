package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"kaohe/pipeline"
)

func init() {
	commands["state"] = cmdState
}

const stateHelp = `用法: kaohe state rebuild [参数]

状态文件夹（默认在输出文件夹旁边的 kaohe-state）记着收过的每个文件：台账 ledger.json、
每次运行收到的文件的副本包 files/*.zip 和锁。

  rebuild   台账被清空、删除或换成了旧的之后，从副本包和收件文件夹的 archive/、rejected/
            重建它（kaohe run 发现台账与副本不符时会拒绝汇总并提示这样做）

kaohe state rebuild -h 显示说明。
`

func cmdState(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, stateHelp)
		return errUsage
	}
	switch args[0] {
	case "rebuild":
		return cmdStateRebuild(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stderr, stateHelp)
		return nil
	}
	fmt.Fprintf(os.Stderr, "kaohe: error: kaohe state 没有 %q 这个子命令\nkaohe: hint: kaohe state rebuild；kaohe state -h 显示说明\n", args[0])
	return errUsage
}

func cmdStateRebuild(args []string) error {
	fs := newFlags("state rebuild", `用法: kaohe state rebuild [--config 配置文件] [--inbox 收件文件夹] [--out 输出文件夹] [--state 状态文件夹]

重建状态文件夹的台账 ledger.json。每次汇总收到的文件都原样存在状态文件夹的副本包
files/*.zip 里（连同文件名和收到时间），接受和退回的原件在收件文件夹的 archive/、rejected/ 里；
台账被清空、删除或换成了旧的之后，kaohe run 发现副本包没有台账记录，拒绝汇总（退出码 1，
「台账与副本不符」）。这条命令把缺少的记录补回来：台账里已有的记录保留，缺少的从副本
（副本也丢了的，从 archive/ 中的原件）重新读取，按原来的顺序补上；原来的台账另存为
ledger.json.bak-时间。之后运行 kaohe run，汇总表与台账丢失之前相同。

参数与 kaohe run 相同，用来找到同一个收件文件夹、输出文件夹和状态文件夹。
退出码: 0 成功；1 出错；75 另一个 kaohe 运行正持有锁（稍后再试）。
`)
	cf := addConfigFlags(fs)
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := pipeline.Rebuild(ctx, pipeline.Options{Config: cfg, Log: newLogger(cfg.LogFormat, slog.LevelWarn)})
	if err != nil {
		return err
	}
	fmt.Printf("台账已重建：保留 %d 条记录，补回 %d 条", s.Kept, s.Rebuilt)
	if s.Archived > 0 {
		fmt.Printf("（其中 %d 个文件的副本已丢失，用 archive/ 中的原件重新存了副本）", s.Archived)
	}
	fmt.Println("。")
	if s.Backup != "" {
		fmt.Printf("原来的台账另存为 %s\n", s.Backup)
	}
	if s.Lost > 0 {
		fmt.Fprintf(os.Stderr, "kaohe: warning: %d 个副本已损坏、无法读取，没有补回；这些机构需要重新上传\n", s.Lost)
	}
	for _, u := range s.Unread {
		fmt.Fprintf(os.Stderr, "kaohe: warning: %s 的内容与它名称中的校验码不符（归档后被改动，或不是 kaohe 放进去的），没有计入\n", u)
	}
	fmt.Println("现在可以运行 kaohe run。")
	return nil
}
