package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kaohe/pipeline"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

func init() {
	commands["review"] = cmdReview
}

func cmdReview(args []string) error {
	flags := newFlags("review", `用法: kaohe review --out 文件.xlsx [--config 配置文件] [--year 年度 | --standard 文件夹] [--force]

生成本年度空白的核查表（市中心填写，每年一份）：
  核定数据  每个鉴定机构一行（名称已锁定），填中心鉴定记录中的实际人数和依据；
  查实事项  每条查实的事项一行：鉴定机构、事项（下拉列表）、核定值、依据（必填）、核查人、日期。
核定的数字和查实的事项取代鉴定机构的自报值，核定分和核定总分按核定后的事实计算。
填好后在配置文件中写 review = "文件"（或 kaohe run / serve --review 文件），每次汇总都会重新读取；
kaohe check --review 文件 先检查它，并列出每个鉴定机构将被改变的事实和对得分的影响。
已有的文件不会被覆盖（它可能已经填写了），除非加 --force。
`)
	out := flags.String("out", "", "要写出的核查表文件（必填），如 2013-核查表.xlsx")
	force := flags.Bool("force", false, "文件已存在时覆盖它")
	sf := addStandardFlags(flags, "year 和 standard_dir")
	if err := parse(flags, args, noArgs); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "kaohe: error: 缺少 --out 核查表文件\nkaohe: hint: kaohe review --out 2013-核查表.xlsx")
		return errUsage
	}
	if !strings.EqualFold(filepath.Ext(*out), ".xlsx") {
		fmt.Fprintf(os.Stderr, "kaohe: error: --out %q 应是 .xlsx 文件\nkaohe: hint: kaohe review --out 2013-核查表.xlsx\n", *out)
		return errUsage
	}
	_, std, warns, err := sf.load()
	if err != nil {
		return err
	}
	printWarnings(warns)
	if _, err := os.Stat(*out); err == nil && !*force {
		return fmt.Errorf("%w: %s（可能已经填写了核查结果）", templates.ErrExists, *out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := pipeline.WriteReviewFile(std, *out); err != nil {
		return err
	}
	fmt.Println(*out)
	fmt.Fprintf(os.Stderr, "已生成 %d 年度的核查表（%d 个鉴定机构），在 %s\n", std.Year, len(std.Institutions), *out)
	return nil
}

// addReviewFlag adds --review to run, serve and check.
func addReviewFlag(fs *flag.FlagSet) *string {
	return fs.String("review", "", "市中心的核查表：本地文件或 ftp://、ftps:// 地址（覆盖配置中的 review）；见 kaohe review")
}

// useReview applies --review to the configuration.
func useReview(cfg *pipeline.Config, review string) error {
	if review == "" {
		return nil
	}
	cfg.Review = review
	return cfg.Resolve()
}

// checkReview checks the 核查表 cfg names, for kaohe check: it prints its
// errors and warnings and, when it has none, what it changes for each
// institution against the submissions that count now. It returns the
// 核查表 to apply to the files checked (nil when it has errors or none is
// configured) and whether it had errors. A 核查表 that does not exist yet
// is an error only when it was asked for (asked: --review, or no files):
// a run takes it as nothing verified yet, and so does the check of a file.
func checkReview(cfg *pipeline.Config, std *templates.Standard, asked bool) (*sheets.ReviewFile, bool, error) {
	if cfg.Review == "" {
		return nil, false, nil
	}
	rv, warns, err := pipeline.LoadReview(context.Background(), cfg, std, logger())
	var re *pipeline.ReviewError
	switch {
	case errors.As(err, &re):
		fmt.Printf("核查表: %s\n", sheets.Printable(re.Source))
		fmt.Printf("错误（共 %d 处）：有错误时整张核查表都不采用，汇总不会进行\n", len(re.Issues))
		for i, is := range re.Issues {
			fmt.Printf("  %d. %s\n", i+1, sheets.Printable(is.String()))
		}
		printReviewWarnings(warns)
		return nil, true, nil
	case err != nil:
		return nil, false, err
	case !rv.Found && asked:
		fmt.Printf("核查表: %s 不存在\n", sheets.Printable(rv.Source))
		return nil, true, nil
	case !rv.Found:
		fmt.Printf("核查表: %s 还不存在：尚未核查，自评表按自报的事实评分（汇总时也是这样）\n", sheets.Printable(rv.Source))
		return nil, false, nil
	}
	fmt.Printf("核查表: %s\n", sheets.Printable(rv.Describe()))
	printReviewWarnings(warns)
	effects, err := pipeline.ReviewEffects(*cfg, std, rv)
	if err != nil {
		return nil, false, err
	}
	fmt.Printf("没有错误。按各鉴定机构现在计入的提交（状态文件夹 %s），将改变：\n", cfg.StateDir())
	if len(effects) == 0 {
		fmt.Println("  （没有核查结果）")
	}
	for _, e := range effects {
		printEffect(e)
	}
	return rv, false, nil
}

func printReviewWarnings(warns []sheets.Issue) {
	if len(warns) == 0 {
		return
	}
	fmt.Printf("提醒（共 %d 处）：\n", len(warns))
	for i, is := range warns {
		fmt.Printf("  %d. %s\n", i+1, sheets.Printable(is.String()))
	}
}

// printEffect prints what the 核查表 changes for one institution.
func printEffect(e pipeline.ReviewEffect) {
	where := string(e.Status)
	if e.File != "" {
		where += "，" + e.File
	}
	r := e.Result
	switch {
	case r == nil:
		fmt.Printf("%s（%s）：尚无合格提交，提交后适用\n", e.Institution, sheets.Printable(where))
	default:
		line := fmt.Sprintf("%s（%s）：核定总分 %s → %s（%s）", e.Institution, sheets.Printable(where), r.AsClaimed().Total, r.Total, signed(r.Total-r.AsClaimed().Total))
		if len(r.Disqualified) > 0 && len(r.AsClaimed().Disqualified) == 0 {
			line += "，取消评优资格"
		} else if len(r.Disqualified) == 0 && len(r.AsClaimed().Disqualified) > 0 {
			line += "，恢复评优资格"
		}
		fmt.Println(line)
	}
	for i, fd := range e.Findings {
		label := fd.Field
		if f, ok := templates.FieldByName(fd.Field); ok {
			label = f.Label
		}
		var change string
		if r != nil {
			a := r.Findings[i]
			change = fmt.Sprintf("自报 %s → 核定 %s，对总分 %s", score.FactText(a.Field, a.Claimed), a.ValueText(), signed(a.Effect))
			if a.Disqualifies {
				change += "，取消评优资格"
			}
			if a.Requalifies {
				change += "，恢复评优资格"
			}
		} else {
			change = "核定 " + fd.ValueText()
		}
		fmt.Printf("  %s：%s（%s，依据 %s）\n", label, change, fd.Place, sheets.Printable(fd.Basis))
	}
}

// signed is a change of points with its sign, 0.00 without one.
func signed(p templates.Points) string {
	if p == 0 {
		return p.String()
	}
	return p.Signed()
}
