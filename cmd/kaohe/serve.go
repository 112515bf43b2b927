package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path"
	"syscall"
	"time"

	"kaohe/pipeline"
	"kaohe/pipeline/web"
	"kaohe/sheets"
)

func init() {
	commands["serve"] = cmdServe
	commands["status"] = cmdStatus
}

func cmdServe(args []string) error {
	fs := newFlags("serve", `用法: kaohe serve [--config 配置文件] [--inbox 收件文件夹] [--out 输出文件夹] [--state 状态文件夹] [--review 核查表] [--schedule 计划] [--run-now]

按计划定时做汇总（与 kaohe run 相同），一直运行，直到收到 SIGTERM 或 Ctrl-C。
默认计划是每天北京时间 2:00（配置项 schedule）。

- 同一时间只做一个汇总：上一次还没做完时，到点的这次跳过，不排队；另一个进程
  （如手动的 kaohe run）正持有锁时，这次也跳过，日志中有记录。
- 不漏掉一晚：启动时，如果上次成功的汇总早于最近一个计划时间（例如那时机器关着），
  或者从没成功汇总过，立即补做一次。--run-now 则无论如何先做一次。
- 停止：收到 SIGTERM 或 Ctrl-C 后不再开始新的汇总，等当前这次做完（最多等 grace，
  默认 10m）后以 0 退出。超过 grace 时中止它，输入文件留在原处，下次照常处理，
  退出码为 1。再按一次 Ctrl-C 立即退出。
- 日志写到标准错误（配置项 log_format: text 或 json），每次汇总一行摘要（run done）。
  每次汇总的结果写在状态文件夹的 last-run.json，用 kaohe status 查看。
- 网上提交：配置了 [web] listen 时，同一个进程还提供网页（见 config.example.toml 的 [web]）：
  各机构用 kaohe portal links 生成的专用链接上传自评表，立即看到校验结果和核定分；
  文件放进收件文件夹，由汇总照常收取。中心用户登录后看各机构的状态、未提交名单、
  下载汇总表和回执，也可以立即汇总。停止时网页不再接受新请求，等进行中的请求结束。

计划的写法：「分 时 日 月 周」，可在最前面加一个秒字段，可在前面加时区，
如 "CRON_TZ=Asia/Shanghai 0 2 * * *"（每天 2:00）、"30 1 * * 1-5"（工作日 1:30）；
也可写 @daily、@hourly、@every 6h。不写时区时按配置项 timezone。
`)
	cf := addConfigFlags(fs)
	schedule := fs.String("schedule", "", "计划（cron 表达式，覆盖配置中的 schedule）")
	runNow := fs.Bool("run-now", false, "启动时先立即汇总一次")
	review := addReviewFlag(fs)
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	cfg, err := loadWithSchedule(cf, *schedule)
	if err != nil {
		return err
	}
	if err := useReview(&cfg, *review); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // from now on a second signal ends the process at once
	}()
	log := newLogger(cfg.LogFormat, slog.LevelInfo)
	if !cfg.Web.Enabled() {
		return pipeline.Serve(ctx, pipeline.ServeOptions{Config: cfg, RunNow: *runNow, Log: log, Progress: terminal(), Hooks: testHooks})
	}
	portal, err := web.New(web.Options{Config: cfg, Log: log.With("part", "portal"), Run: func(ctx context.Context) (*pipeline.Summary, error) {
		return pipeline.Run(ctx, pipeline.Options{Config: cfg, Log: log, Hooks: testHooks})
	}})
	if err != nil {
		return err
	}
	defer portal.Close()
	webErr := make(chan error, 1)
	webCtx, stopWeb := context.WithCancel(ctx)
	defer stopWeb()
	go func() { webErr <- portal.ListenAndServe(webCtx, nil) }()
	serveErr := make(chan error, 1)
	go func() {
		serveErr <- pipeline.Serve(webCtx, pipeline.ServeOptions{Config: cfg, RunNow: *runNow, Log: log, Progress: terminal(), Hooks: testHooks})
	}()
	select {
	case err := <-webErr: // the portal could not start (the address is taken): stop the schedule too
		stopWeb()
		<-serveErr
		return err
	case err := <-serveErr:
		stopWeb()
		if werr := <-webErr; err == nil {
			err = werr
		}
		return err
	}
}

// loadWithSchedule loads the configuration and applies --schedule; a bad
// --schedule is a command-line error.
func loadWithSchedule(cf configFlags, schedule string) (pipeline.Config, error) {
	if schedule != "" {
		if _, err := pipeline.ParseSchedule(schedule); err != nil {
			fmt.Fprintf(os.Stderr, "kaohe: error: --schedule %q: %v\n", schedule, err)
			fmt.Fprintln(os.Stderr, `kaohe: hint: 每秒一次: "* * * * * *"；每天 2:00: "CRON_TZ=Asia/Shanghai 0 2 * * *"`)
			return pipeline.Config{}, errUsage
		}
	}
	cfg, err := cf.load()
	if err != nil {
		return cfg, err
	}
	if schedule != "" {
		cfg.Schedule = schedule
	}
	return cfg, cfg.Resolve()
}

func cmdStatus(args []string) error {
	fs := newFlags("status", `用法: kaohe status [--config 配置文件] [--inbox 收件文件夹] [--out 输出文件夹] [--state 状态文件夹] [--schedule 计划]

显示状态文件夹中记录的上次汇总（开始和结束时间、成功或失败的原因、接受和退回的文件数、
汇总排名表的位置），上次成功的时间，以及按计划下次运行的时间。
参数与 kaohe serve 相同，用来找到同一个状态文件夹和计划。
`)
	cf := addConfigFlags(fs)
	schedule := fs.String("schedule", "", "计划（cron 表达式，覆盖配置中的 schedule）")
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	cfg, err := loadWithSchedule(cf, *schedule)
	if err != nil {
		return err
	}
	st, err := pipeline.ReadStatus(cfg, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("状态文件夹: %s\n", st.StateDir)
	switch l := st.Last; {
	case st.NoState:
		fmt.Println("上次汇总: 状态文件夹不存在，这里还没有汇总过；如果汇总在别处运行，请用同一个配置文件（--config）或 --out 指向它")
	case l == nil:
		fmt.Println("上次汇总: 还没有运行过")
	default:
		result := "成功"
		if !l.OK {
			result = "失败: " + l.Error
		}
		fmt.Printf("上次汇总: %s 至 %s（用时 %s），%s\n", clock(l.Start), clock(l.End), l.End.Sub(l.Start).Round(time.Second), result)
		if l.Run != "" {
			fmt.Printf("  新文件 %d（接受 %d，退回 %d），重复 %d，等待中 %d；排名 %d 家，被替代 %d，未提交或未通过 %d 家。\n",
				l.New, l.Accepted, l.Rejected, l.Duplicates, l.Waiting, l.Ranked, l.Superseded, l.Missing)
		}
		for _, w := range l.Left {
			fmt.Printf("  等待中: %s\n", w)
		}
		if l.MoveErrors > 0 {
			fmt.Printf("  %d 个文件移动失败，见日志和汇总表的「提交情况」\n", l.MoveErrors)
		}
		if l.Report != "" {
			fmt.Printf("  汇总排名表: %s\n", l.Report)
		}
		if l.Review != "" {
			fmt.Printf("  核查表: %s\n", l.Review)
		}
		if len(l.Problems) > 0 {
			fmt.Printf("  收件文件夹中有 %d 个文件没有得到回执，每次汇总都不会处理它们，请按说明处理:\n", len(l.Problems))
			for _, p := range l.Problems {
				fmt.Printf("    %s\n", p)
			}
		}
		if !l.OK {
			if l.LastSuccess.IsZero() {
				fmt.Println("上次成功: 从未成功")
			} else {
				fmt.Printf("上次成功: %s\n", clock(l.LastSuccess))
			}
		}
	}
	if !st.NoState {
		printSubmissions(st)
	}
	switch {
	case !st.Listed.IsZero() && st.Watch > 0:
		fmt.Printf("收件文件夹最近一次查看: %s（kaohe serve 运行时每 %s 查看一次，按它第一次看到文件的时间判断逾期和先后）\n", clock(st.Listed), st.Watch)
	case !st.Listed.IsZero():
		fmt.Printf("收件文件夹最近一次查看: %s\n", clock(st.Listed))
	}
	fmt.Printf("计划: %s\n", st.Schedule)
	if st.Next.IsZero() {
		fmt.Println("下次运行: 无")
	} else {
		fmt.Printf("下次运行: %s（%s）\n", clock(st.Next), st.Next.Location())
	}
	if st.Overdue {
		fmt.Printf("提醒: 计划时间 %s 之后还没有成功的汇总；kaohe serve 启动时会立即补做\n", clock(st.LastDue))
	}
	return nil
}

// printSubmissions prints who has submitted, who has not and why, and the
// time left until the deadline.
func printSubmissions(st *pipeline.Status) {
	if !st.Deadline.IsZero() {
		left := st.Deadline.Sub(st.Now)
		if left > 0 {
			fmt.Printf("截止时间: %s，还有 %s\n", clock(st.Deadline), span(left))
		} else {
			fmt.Printf("截止时间: %s，已过 %s\n", clock(st.Deadline), span(-left))
		}
	}
	if len(st.Institutions) == 0 {
		return
	}
	groups := map[sheets.Status][]string{}
	for _, s := range st.Institutions {
		line := s.Name
		if s.Last != nil && s.Status != sheets.StatusAccepted {
			line += "（" + path.Base(s.Last.Name) + "，" + clock(s.Last.Received.In(st.Now.Location())) + "）"
		}
		groups[s.Status] = append(groups[s.Status], line)
	}
	fmt.Printf("提交情况（按台账）: 已接受 %d 家，未通过校验 %d 家，逾期不予受理 %d 家，未提交 %d 家\n",
		len(groups[sheets.StatusAccepted]), len(groups[sheets.StatusRejected]), len(groups[sheets.StatusLateRefused]), len(groups[sheets.StatusMissing]))
	for _, g := range []struct {
		status sheets.Status
		what   string
	}{{sheets.StatusMissing, "未提交"}, {sheets.StatusRejected, "未通过校验（最近一次上传；请看回执）"}, {sheets.StatusLateRefused, "逾期，不予受理"}} {
		if names := groups[g.status]; len(names) > 0 {
			fmt.Printf("  %s:\n", g.what)
			for _, n := range names {
				fmt.Printf("    %s\n", n)
			}
		}
	}
}

// span is a duration for a person: 3 天 4 小时, 2 小时 5 分钟, 40 分钟.
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d 天 %d 小时", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d 小时 %d 分钟", hours, mins)
	}
	return fmt.Sprintf("%d 分钟", mins)
}

// clock formats a time for a person, in its own zone.
func clock(t time.Time) string {
	return t.Format("2006-01-02 15:04:05")
}
