package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without zoneinfo

	"kaohe/pipeline"
	"kaohe/sheets"
	"kaohe/templates"
)

// Exit codes.
const (
	exitError    = 1  // the job failed
	exitUsage    = 2  // bad command line
	exitRejected = 3  // kaohe check: a file would be rejected
	exitLocked   = 75 // another run holds the lock (EX_TEMPFAIL): try later
)

var (
	errUsage    = errors.New("usage")
	errRejected = errors.New("rejected")
)

const usage = `kaohe —— 职业技能鉴定机构年度考核：下发自评表、收取、校验、评分、排名、出汇总表和回执

用法: kaohe <命令> [参数]

命令:
  demo       用内置的 2013 年标准做一次完整演示（生成、填写、汇总），不需要任何配置
  template   为每个鉴定机构生成预填好的自评表（.xlsx）
  check      校验并评分自评表，不汇总、不移动文件（回执的内容）
  run        立即做一次汇总：收件文件夹 → 汇总排名表和回执
  serve      按计划定时汇总（默认每天 2:00），一直运行；用 systemd 等保持它运行
  status     显示上次汇总的结果和下次计划运行的时间
  review     生成本年度的核查表：市中心核定的数据和查实的事项，取代鉴定机构的自报值
  standard   每年的评分标准：standard new 从附件2工作簿生成新年度的标准文件夹，standard show 显示标准
  state      状态文件夹：state rebuild 从副本包和已归档的文件重建丢失的台账
  portal     网上提交：portal links 生成各机构专用的上传链接（kaohe serve 配置了 [web] 时）
  passwd     从标准输入读密码，输出 bcrypt 哈希（[[web.users]] 的 password_hash）
  help       显示帮助；kaohe help <命令> 显示该命令的帮助
  version    显示版本

退出码: 0 成功；1 出错；2 命令行有误；3 check 发现不合格文件；75 另一个运行正在进行
`

// commands maps a subcommand's name to its function; each file registers
// its own in an init function.
var commands = map[string]func([]string) error{}

// testHooks are passed to every run of kaohe run and kaohe serve. Only the
// tests set them (main_test.go, from the environment, when the test binary
// acts as kaohe); the program leaves them nil and reads no hook variable.
var testHooks pipeline.Hooks

func init() {
	for name, cmd := range map[string]func([]string) error{
		"demo": cmdDemo, "template": cmdTemplate, "check": cmdCheck, "run": cmdRun,
		"help": cmdHelp, "-h": cmdHelp, "--help": cmdHelp, "version": cmdVersion,
	} {
		commands[name] = cmd
	}
}

// newFlags makes a subcommand's flag set with its Chinese help text.
func newFlags(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		fmt.Fprintln(fs.Output(), "\n参数:")
		fs.PrintDefaults()
	}
	return fs
}

// cmdHelp prints the list of commands, or a command's help: kaohe help
// run, kaohe help standard new. A -h among the arguments asks for the same
// help; help never hands a help word back to itself.
func cmdHelp(args []string) error {
	var words []string
	for _, a := range args {
		if !isHelp(a) {
			words = append(words, a)
		}
	}
	if len(words) == 0 || words[0] == "help" {
		fmt.Print(usage)
		return nil
	}
	c, ok := commands[words[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "kaohe: error: 未知的命令 %q\nkaohe: hint: 运行 kaohe help 查看可用命令\n", words[0])
		return errUsage
	}
	return c(append(words[1:], "-h"))
}

func cmdVersion(args []string) error {
	fs := newFlags("version", `用法: kaohe version

显示 kaohe 的版本和内置评分标准的年度。
`)
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	fmt.Println("kaohe 0.1 (内置评分标准年度:", templates.Years(), ")")
	return nil
}

// configFlags are the flags shared by run and demo.
type configFlags struct {
	config, inbox, out, state *string
}

func addConfigFlags(fs *flag.FlagSet) configFlags {
	return configFlags{
		config: fs.String("config", "", "配置文件（TOML），见 config.example.toml；不给则全部用默认值"),
		inbox:  fs.String("inbox", "", "收件文件夹或 ftp://用户@主机:端口/路径、ftps://…（覆盖配置中的 inbox；密码用环境变量 KAOHE_FTP_PASSWORD）"),
		out:    fs.String("out", "", "输出文件夹或 ftp://、ftps:// 地址（覆盖配置中的 out）"),
		state:  fs.String("state", "", "状态文件夹（覆盖配置中的 state；默认在输出文件夹旁边的 kaohe-state）"),
	}
}

func (c configFlags) load() (pipeline.Config, error) {
	cfg := pipeline.DefaultConfig()
	if *c.config != "" {
		var err error
		if cfg, err = pipeline.LoadConfig(*c.config); err != nil {
			return cfg, err
		}
	}
	if *c.inbox != "" {
		cfg.Inbox = *c.inbox
	}
	if *c.out != "" {
		cfg.Out = *c.out
	}
	if *c.state != "" {
		cfg.State = *c.state
	}
	return cfg, cfg.Resolve()
}

func logger() *slog.Logger {
	return newLogger("text", slog.LevelWarn)
}

// newLogger logs to stderr as text or JSON lines (config key log_format).
func newLogger(format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// terminal returns stderr when it is a terminal, for progress lines.
func terminal() io.Writer {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return os.Stderr
	}
	return nil
}

func cmdDemo(args []string) error {
	fs := newFlags("demo", `用法: kaohe demo [--dir 文件夹]

用内置的 2013 年评分标准做一次完整演示：生成 32 个鉴定机构的自评表，
填入各不相同的模拟数据（其中两份有错误、一个机构重复提交），放进收件文件夹，
然后运行与 kaohe run 完全相同的汇总，最后告诉你汇总排名表和回执在哪里。
再次运行会替换上一次的演示文件夹。
`)
	dir := fs.String("dir", "kaohe-demo", "演示文件夹")
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := pipeline.Demo(ctx, *dir, pipeline.Options{Config: pipeline.DefaultConfig(), Log: logger(), Progress: terminal()})
	if err != nil {
		return err
	}
	s := d.Summary
	fmt.Printf("演示完成：收到 %d 个文件，接受 %d，退回 %d，重复 %d；排名 %d 家，未提交或未通过 %d 家。\n",
		s.New+s.Duplicates, s.Accepted, s.Rejected, s.Duplicates, s.Ranked, s.Missing)
	fmt.Printf("  自评表模板: %s\n", d.Templates)
	fmt.Printf("  汇总排名表: %s\n", filepath.Join(d.Out, s.Report))
	fmt.Printf("  回执:       %s\n", filepath.Join(d.Out, pipeline.ReceiptDir))
	if d.Review != "" {
		fmt.Printf("  核查表:     %s（一条查实事项：试题泄密，见汇总表的「核查记录」）\n", d.Review)
	}
	fmt.Printf("  已归档原件: %s，退回原件: %s\n", filepath.Join(d.Inbox, pipeline.ArchiveDir), filepath.Join(d.Inbox, pipeline.RejectedDir))
	return nil
}

// isHelp reports whether a command-line word asks for help: -h, --h,
// -help or --help.
func isHelp(a string) bool {
	switch a {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

func cmdTemplate(args []string) error {
	fs := newFlags("template", `用法: kaohe template --out 文件夹 [--institution 名称] [--config 配置文件] [--year 年度 | --standard 文件夹]

为分配表（附件2）中的每个鉴定机构生成自评表，机构名称和目标已预先填好并锁定，
文件名如 2013-常柴国家职业技能鉴定所-自评表.xlsx。--institution 只生成一个机构的，
名称可以只写一部分（如 常柴），只要唯一。配置文件设置了 token_secret_env 时，
每份自评表带有本机构的校验标记，kaohe run 和 kaohe check 须使用同一配置。
`)
	out := fs.String("out", "", "输出文件夹（必填）")
	inst := fs.String("institution", "", "只生成这个鉴定机构的自评表")
	sf := addStandardFlags(fs, "year、standard_dir、deadline、late 和 token_secret_env")
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "kaohe: error: 缺少 --out 输出文件夹\nkaohe: hint: kaohe template --out 自评表")
		return errUsage
	}
	cfg, std, warns, err := sf.load()
	if err != nil {
		return err
	}
	printWarnings(warns)
	paths, err := pipeline.WriteTemplatesConfig(&cfg, std, *out, *inst)
	for _, p := range paths {
		fmt.Println(p)
	}
	if err != nil {
		return err
	}
	token := ""
	if cfg.Tokens() {
		token = "（带校验标记）"
	}
	fmt.Fprintf(os.Stderr, "已生成 %d 份自评表%s，在 %s\n", len(paths), token, *out)
	return nil
}

// standardFlags are the flags of the commands that need the year's
// standard without a run (template, check, standard show): --config,
// --year and --standard.
type standardFlags struct {
	fs     *flag.FlagSet
	config *string
	year   *int
	dir    *string
}

// addStandardFlags adds them to fs; uses says which keys of the config
// file the command uses.
func addStandardFlags(fs *flag.FlagSet, uses string) standardFlags {
	return standardFlags{fs: fs,
		config: fs.String("config", "", "配置文件（TOML）：用其中的 "+uses),
		year:   fs.Int("year", templates.DefaultYear, "内置评分标准的年度"),
		dir:    fs.String("standard", "", "另一年度的评分标准文件夹（含 allocation.csv 和 rules.toml）"),
	}
}

// load is the configuration (the file's, if given, with --year and
// --standard overriding it when given) and the standard it names, with the
// standard's warnings.
func (s standardFlags) load() (pipeline.Config, *templates.Standard, []string, error) {
	cfg := pipeline.DefaultConfig()
	if *s.config != "" {
		var err error
		if cfg, err = pipeline.LoadConfig(*s.config); err != nil {
			return cfg, nil, nil, err
		}
	}
	set := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *s.config == "" || set["year"] || set["standard"] {
		cfg.Year, cfg.StandardDir = *s.year, *s.dir
	}
	if err := cfg.Resolve(); err != nil {
		return cfg, nil, nil, err
	}
	std, warns, err := cfg.LoadStandard()
	return cfg, std, warns, err
}

func printWarnings(ws []string) {
	for _, w := range ws {
		fmt.Fprintf(os.Stderr, "kaohe: warning: %s\n", w)
	}
}

func cmdCheck(args []string) error {
	fs := newFlags("check", `用法: kaohe check [--config 配置文件] [--year 年度 | --standard 文件夹] [--review 核查表.xlsx] [文件.xlsx...]

校验并评分自评表，但不汇总、不移动文件：逐项列出自评分、核定分和评分依据，
然后列出错误和提醒，与汇总时的回执相同。有文件不合格时退出码为 3。
配置文件设置了 token_secret_env 时，同时核对自评表的校验标记。

--review 核查表.xlsx（或配置文件中的 review）：先检查市中心的核查表，列出它的错误（指出单元格）；
没有错误时，按各鉴定机构现在计入的提交列出它将改变的事实（自报 → 核定）和对得分的影响；
同时给出的自评表按核查后的事实评分。只检查核查表时不用给文件。核查表有错误时退出码为 3，
用 --review 指定或只检查核查表而它不存在时也是；配置文件中的核查表还不存在时自评表按自报评分。
`)
	sf := addStandardFlags(fs, "year、standard_dir、max_file_mb、deadline、token_secret_env、review 和 state")
	review := addReviewFlag(fs)
	if err := parse(fs, args, manyArgs); err != nil {
		return err
	}
	cfg, std, _, err := sf.load()
	if err != nil {
		return err
	}
	if err := useReview(&cfg, *review); err != nil {
		return err
	}
	if fs.NArg() == 0 && cfg.Review == "" {
		fmt.Fprintln(os.Stderr, "kaohe: error: 没有给出要检查的文件\nkaohe: hint: kaohe check 2013-常柴国家职业技能鉴定所-自评表.xlsx；检查核查表: kaohe check --review 2013-核查表.xlsx")
		return errUsage
	}
	rv, reviewBad, err := checkReview(&cfg, std, *review != "" || fs.NArg() == 0) // review.go
	if err != nil {
		return err
	}
	bad := 0
	for i, file := range fs.Args() {
		if i > 0 {
			fmt.Println(strings.Repeat("─", 60))
		}
		if i == 0 && cfg.Review != "" {
			fmt.Println(strings.Repeat("─", 60))
		}
		rc, ok, err := pipeline.CheckFileReviewed(std, &cfg, rv, file, time.Now())
		if err != nil {
			fmt.Printf("%s: 无法读取: %v\n", file, err)
			bad++
			continue
		}
		fmt.Print(sheets.ReceiptText(rc))
		if !ok {
			bad++
		}
	}
	if reviewBad {
		fmt.Fprintln(os.Stderr, "kaohe: 核查表有错误或不存在，请按上面的说明修改")
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "kaohe: %d 个文件不合格，请按上面的说明修改\n", bad)
	}
	if bad > 0 || reviewBad {
		return errRejected
	}
	return nil
}

func cmdRun(args []string) error {
	fs := newFlags("run", `用法: kaohe run [--config 配置文件] [--inbox 收件文件夹] [--out 输出文件夹] [--state 状态文件夹] [--review 核查表] [--dry-run]

立即做一次汇总：取收件文件夹中已上传完的 .xlsx，校验、评分、排名，写出
汇总排名表（汇总排名表-2013.xlsx 及带时间的副本）和每个文件的回执（回执/），
然后把接受的原件移到 archive/、退回的移到 rejected/。同一文件不会重复计入；
汇总表涵盖每个机构至今最新的合格提交。不给配置文件时全部用默认值，
状态文件夹（台账、锁）默认在输出文件夹旁边的 kaohe-state。

一个收件文件夹只能有一个状态文件夹：换了 --out（默认的状态文件夹随之换了）或
--state 的运行会被拒绝（退出码 1），什么都不移动；请用同一个配置文件或 --state。
--dry-run 是预览：把汇总表和回执写到 --out 给的另一个文件夹，读取正式的台账，
不移动任何文件、不记台账、不取锁，可以在正式汇总之间随时运行。
`)
	cf := addConfigFlags(fs)
	review := addReviewFlag(fs)
	dry := fs.Bool("dry-run", false, "预览：汇总表和回执写到 --out（不能是正式的输出文件夹），不移动文件、不记台账")
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	if *dry && *cf.out == "" {
		fmt.Fprintln(os.Stderr, "kaohe: error: --dry-run 需要 --out 给一个预览用的文件夹\nkaohe: hint: kaohe run --dry-run --out 预览")
		return errUsage
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	if err := useReview(&cfg, *review); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := pipeline.Run(ctx, pipeline.Options{Config: cfg, Log: newLogger(cfg.LogFormat, slog.LevelWarn), Progress: terminal(), Hooks: testHooks, DryRun: *dry})
	if err != nil {
		return err
	}
	done := "汇总完成"
	if s.DryRun {
		done = "预览完成（没有移动文件，没有记入台账）"
	}
	fmt.Printf("%s：新文件 %d（接受 %d，退回 %d），重复 %d，等待中 %d；排名 %d 家，被替代 %d，未提交或未通过 %d 家。\n",
		done, s.New, s.Accepted, s.Rejected, s.Duplicates, s.Waiting, s.Ranked, s.Superseded, s.Missing)
	for _, l := range s.Left {
		fmt.Printf("  等待中: %s\n", l)
	}
	if s.Late > 0 {
		fmt.Printf("  其中 %d 个文件在截止时间之后收到，不予受理。\n", s.Late)
	}
	if s.Unchanged {
		fmt.Printf("汇总排名表: %s（与上次相同，未重写）\n", s.ReportPath)
	} else {
		fmt.Printf("汇总排名表: %s\n", s.ReportPath)
	}
	if s.Review != "" {
		fmt.Printf("核查表: %s\n", s.Review)
	}
	for _, m := range s.MoveErrors {
		fmt.Fprintf(os.Stderr, "kaohe: warning: %s\n", m)
	}
	for _, w := range s.Warnings {
		if strings.HasPrefix(w, "核查表 ") {
			fmt.Fprintf(os.Stderr, "kaohe: warning: %s\n", sheets.Printable(w))
		}
	}
	for _, p := range s.Problems {
		fmt.Fprintf(os.Stderr, "kaohe: warning: 收件文件夹中的%s\n", p)
	}
	return nil
}

// hint suggests what to do about an error, or "".
func hint(err error) string {
	switch {
	case errors.Is(err, pipeline.ErrLedgerMismatch):
		return "运行 kaohe state rebuild（参数与 kaohe run 相同）从副本包和已归档的文件重建台账，再运行 kaohe run；原来的台账会另存为 ledger.json.bak-时间"
	case errors.Is(err, pipeline.ErrOtherState):
		return "用同一个配置文件（--config）或 --state 指向上面那个状态文件夹；只想预览而不移动文件，用 kaohe run --dry-run --out 预览文件夹；确认那个状态文件夹已不再使用时，删除收件文件夹中的 archive/.kaohe-state 后再运行"
	case errors.Is(err, pipeline.ErrConfig):
		return "配置项的说明见 config.example.toml"
	case errors.Is(err, pipeline.ErrReview):
		return "在 Excel 中改正上面指出的核查表单元格，保存后再运行；kaohe check --review 核查表.xlsx 只检查核查表"
	case errors.Is(err, pipeline.ErrAllocation):
		return "在 Excel 中改正上面指出的单元格，保存后重新运行同一条命令"
	case errors.Is(err, templates.ErrExists):
		return "换一个 --out 文件夹；确要替换（例如改正附件2后重新生成）时加 --force"
	case errors.Is(err, templates.ErrInvalid):
		return "评分标准文件夹需要 allocation.csv 和 rules.toml，格式见 templates/2013/"
	case errors.Is(err, pipeline.ErrUnknownInstitution):
		return "鉴定机构名称见 templates/2013/allocation.csv，可以只写一部分，如 常柴"
	case errors.Is(err, os.ErrPermission):
		return "检查文件夹的写权限"
	}
	return ""
}
