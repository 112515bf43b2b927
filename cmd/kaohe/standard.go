package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kaohe/pipeline"
	"kaohe/sheets"
	"kaohe/templates"
)

func init() {
	commands["standard"] = cmdStandard
}

const standardHelp = `用法: kaohe standard new|show [参数]

每年的评分标准是一个文件夹，里面有两个文件：allocation.csv（附件2 目标分解表）
和 rules.toml（附件1 评分标准的规则）。用配置项 standard_dir 或 --standard 指定它。

  new    从中心收到的附件2工作簿（.xlsx）生成新年度的标准文件夹，不用手工编写 CSV 和 TOML；
         同时核对附件2、列出与上一年相比的变化
  show   显示一次汇总会用的标准：年度、评分项目和分值、目标分解和合计

kaohe standard new -h、kaohe standard show -h 显示各自的说明。
`

func cmdStandard(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, standardHelp)
		return errUsage
	}
	switch args[0] {
	case "new":
		return cmdStandardNew(args[1:])
	case "show":
		return cmdStandardShow(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stderr, standardHelp)
		return nil
	}
	fmt.Fprintf(os.Stderr, "kaohe: error: kaohe standard 没有 %q 这个子命令\nkaohe: hint: kaohe standard new 或 kaohe standard show；kaohe standard -h 显示说明\n", args[0])
	return errUsage
}

func cmdStandardNew(args []string) error {
	years := templates.Years()
	fs := newFlags("standard new", fmt.Sprintf(`用法: kaohe standard new --year 年度 --allocation 附件2.xlsx --out 文件夹 [--from 文件夹|年度] [--force]

从中心收到的附件2工作簿（目标分解表，.xlsx）生成新年度的评分标准文件夹：
  文件夹/allocation.csv  附件2 的各鉴定机构和四项目标，按工作簿中的顺序
  文件夹/rules.toml      评分规则，照 --from 的标准复制，只改年度、标题中的年度和全市目标数

工作簿照中心收到的样子即可：可以有标题、一行或两行表头（合并单元格、单元格内换行都可以）、
「全市目标数」一行、每个鉴定机构一行，空白按 0 计。按表头的文字找列，不按位置；
表在空行、「合计」行或「注：」处结束。数字可以是数值或文字（1,200、全角数字都可以）。

有错误（鉴定机构名称为空或重复、目标不是数字、负数、找不到某一列）时逐个指出单元格，
如 附件2!A9，什么都不写出，退出码为 1。提醒（取证目标远低于鉴定目标、各机构合计与全市目标数不符）
和与 --from 相比的变化（新增、减少、可能改名的鉴定机构，目标变动超过一半）都列出来，请核对。
文件夹中已有这两个文件时不覆盖，除非加 --force。

--from 不写时用内置的 %d 年标准；从第二年起请写上一年的标准文件夹（如 --from 标准2014），
这样上一年对评分规则的修改会沿用，变化也是与上一年相比。
`, years[len(years)-1]))
	year := fs.Int("year", 0, "新标准的年度（必填），如 2014")
	alloc := fs.String("allocation", "", "附件2工作簿（.xlsx，必填）")
	out := fs.String("out", "", "写出新标准的文件夹（必填），如 标准2014")
	from := fs.String("from", "", fmt.Sprintf("复制评分规则、比较变化的标准：上一年的标准文件夹，或内置年度（%s）；默认内置最新年度", strings.Trim(fmt.Sprint(years), "[]")))
	force := fs.Bool("force", false, "文件夹中已有 allocation.csv、rules.toml 时替换它们")
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	var missing []string
	if *year == 0 {
		missing = append(missing, "--year 年度")
	}
	if *alloc == "" {
		missing = append(missing, "--allocation 附件2.xlsx")
	}
	if *out == "" {
		missing = append(missing, "--out 文件夹")
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "kaohe: error: 缺少 %s\n", strings.Join(missing, "、"))
		fmt.Fprintln(os.Stderr, "kaohe: hint: kaohe standard new --year 2014 --allocation 附件2.xlsx --out 标准2014")
		return errUsage
	}
	res, err := pipeline.NewStandard(pipeline.NewStandardOptions{Year: *year, Allocation: *alloc, Out: *out, From: *from, Replace: *force})
	for _, i := range res.Issues {
		line := i.File + " " + i.String()
		if i.Place() == "" {
			line = i.File + ": " + i.Message
		}
		kind := "warning"
		if i.Severity == sheets.Error {
			kind = "error"
		}
		fmt.Fprintf(os.Stderr, "kaohe: %s: %s\n", kind, line)
	}
	if t := res.Table; t != nil && res.Draft != nil {
		printAllocationRead(res)
		city := "全市目标数按附件2"
		if !t.HasCity {
			city = fmt.Sprintf("全市目标数沿用 %d 年的", res.From.Year)
		}
		fmt.Printf("评分规则（附件1）: 复制自%s（%d 项，共 %s 分），只改了年度（%d）；%s。今年的评分标准如有修订，请修改 %s\n",
			res.From.Source, len(res.From.Items), pointsText(res.From.MaxTotal()), *year, city, filepath.Join(*out, templates.RulesFile))
		if len(res.Written) > 0 {
			fmt.Println("已写出:")
			for _, p := range res.Written {
				fmt.Println("  " + p)
			}
		}
		printChanges(res, *out)
		if len(res.Notices)+len(res.Draft.Notes) > 0 {
			fmt.Println("\n请核对（提醒，不影响生成）:")
			for _, n := range append(res.Notices, res.Draft.Notes...) {
				fmt.Println("  " + n)
			}
		}
		if len(res.Written) > 0 {
			fmt.Printf("\n下一步:\n")
			fmt.Printf("  1. 核对上面的变化和提醒；附件2如有错，改正后加 --force 重新运行这条命令。\n")
			fmt.Printf("  2. kaohe standard show --standard %s 查看新标准。\n", shellWord(*out))
			fmt.Printf("  3. 在配置文件中写 standard_dir = %q，并给 %d 年换新的 inbox、out、state 文件夹\n", *out, *year)
			fmt.Printf("     （上一年的留作历史；沿用的话，上一年的提交会按新标准重新校验，显示为「未通过校验」）。\n")
			fmt.Printf("  4. kaohe template --config 配置文件 --out 自评表%d 生成 %d 份自评表，下发给各鉴定机构\n", *year, len(t.Institutions))
			fmt.Printf("     （不用配置文件时：kaohe template --standard %s --out 自评表%d）。\n", shellWord(*out), *year)
		}
	}
	return err
}

// printAllocationRead says where in the workbook each part of 附件2 was found.
func printAllocationRead(res *pipeline.NewStandardResult) {
	t := res.Table
	fmt.Printf("读取附件2: %s，工作表「%s」\n", t.File, t.Sheet)
	if t.Header[0] == t.Header[1] {
		fmt.Printf("  表头在第 %d 行，各列:\n", t.Header[0])
	} else {
		fmt.Printf("  表头在第 %d–%d 行，各列:\n", t.Header[0], t.Header[1])
	}
	for k, name := range templates.AllocationColumns {
		fmt.Printf("    %s ← %s 列「%s」\n", pad(name, 20), t.Columns[k], t.Headings[k])
	}
	if len(t.Ignored) > 0 {
		fmt.Printf("  没有用到的列: %s\n", strings.Join(t.Ignored, "、"))
	}
	if t.HasCity {
		fmt.Printf("  全市目标数: 第 %d 行（%s）\n", t.CityRow, targetsLine(t.City))
	} else {
		fmt.Println("  全市目标数: 没有这一行")
	}
	fmt.Printf("  鉴定机构: %d 家，第 %d–%d 行（空白按 0 计）；合计 %s\n", len(t.Institutions), t.Rows[0], t.Rows[len(t.Rows)-1], targetsLine(t.Total()))
}

// printChanges lists what changed from the year compared with.
func printChanges(res *pipeline.NewStandardResult, out string) {
	c := res.Changes
	fmt.Println()
	if c.Empty() {
		fmt.Printf("与 %d 年（%s）相比: 鉴定机构相同，没有目标变动超过一半。\n", c.From, res.From.Source)
		return
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{len(c.Added), "新增 %d 家"}, {len(c.Removed), "减少 %d 家"}, {len(c.Renamed), "可能改名 %d 家"}, {len(c.Moved), "目标变动超过一半 %d 处"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf(p.what, p.n))
		}
	}
	fmt.Printf("与 %d 年（%s）相比: %s\n", c.From, res.From.Source, strings.Join(parts, "，"))
	for _, l := range c.Lines(res.Table.Place, out) {
		fmt.Println("  " + l)
	}
}

func targetsLine(t templates.Targets) string {
	return fmt.Sprintf("鉴定 %d、取证 %d、统考 %d、新增高技能人才 %d", t.Appraised, t.Certified, t.UnifiedExam, t.HighSkill)
}

func pointsText(p templates.Points) string {
	return strings.TrimSuffix(p.String(), ".00")
}

// shellWord quotes a path for a command line when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\$`;&|<>()*?[]#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func cmdStandardShow(args []string) error {
	fs := newFlags("standard show", `用法: kaohe standard show [--config 配置文件] [--year 年度 | --standard 文件夹]

显示一次汇总会用的评分标准：年度和标题、从哪里读入、附件1 的评分项目和分值、
附件2 的各鉴定机构和四项目标，以及各机构合计和全市目标数。
与 kaohe template、kaohe run 一样，--config 用其中的 year 和 standard_dir，
--year、--standard 覆盖配置文件。
`)
	sf := addStandardFlags(fs, "year 和 standard_dir")
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	cfg, std, warns, err := sf.load()
	if err != nil {
		return err
	}
	source := std.Source
	if cfg.StandardDir != "" {
		source = fmt.Sprintf("%s（%s、%s）", filepath.Clean(std.Source), templates.AllocationFile, templates.RulesFile)
	}
	fmt.Printf("评分标准: %s\n年度: %d\n来源: %s\n", std.Title, std.Year, source)
	fmt.Printf("\n附件1 评分项目（%d 项，共 %s 分）:\n", len(std.Items), pointsText(std.MaxTotal()))
	for _, it := range std.Items {
		fmt.Printf("  %2d  %s %5s 分\n", it.No, pad(it.Title, 26), pointsText(it.Max))
	}
	fmt.Printf("  取证目标不到鉴定目标的 %d%% 时提醒\n", std.MinCertifiedRatioPercent)

	fmt.Printf("\n附件2 目标分解（%d 个鉴定机构，空白为 0）:\n", len(std.Institutions))
	nameW := 12
	for _, in := range std.Institutions {
		nameW = max(nameW, textWidth(in.Name))
	}
	line := func(cells ...string) {
		var b strings.Builder
		b.WriteString("  " + padLeft(cells[0], 4) + "  " + pad(cells[1], nameW))
		for k, col := range templates.AllocationColumns[1:] {
			b.WriteString("  " + padLeft(cells[k+2], textWidth(col)))
		}
		fmt.Println(strings.TrimRight(b.String(), " "))
	}
	row := func(no, name string, t templates.Targets, blanks bool) {
		cells := []string{no, name}
		for k := range 4 {
			v := fmt.Sprint(t.Get(k))
			if blanks && t.Get(k) == 0 {
				v = ""
			}
			cells = append(cells, v)
		}
		line(cells...)
	}
	line(append([]string{"序号"}, templates.AllocationColumns[:]...)...)
	for i, in := range std.Institutions {
		row(fmt.Sprint(i+1), in.Name, in.Targets, true)
	}
	row("", "各机构合计", std.AllocatedTotal(), false)
	row("", "全市目标数", std.CityTargets, false)
	if len(warns) > 0 {
		fmt.Println("\n提醒:")
		for _, w := range warns {
			fmt.Println("  " + w)
		}
	}
	return nil
}

// textWidth is how many columns s takes on a terminal: Chinese characters
// and full-width forms two, others one.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			w++
		}
	}
	return w
}

// padLeft puts spaces before s up to width columns.
func padLeft(s string, width int) string {
	if n := width - textWidth(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

// pad fills s with spaces to width columns.
func pad(s string, width int) string {
	if n := width - textWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
