package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sys/unix"

	"kaohe/pipeline/web"
)

func init() {
	commands["portal"] = cmdPortal
	commands["passwd"] = cmdPasswd
}

const portalUsage = `用法: kaohe portal links [--config 配置文件] --out 链接.xlsx [--reset 名称]...

网上提交（kaohe serve 配置了 [web] 时）的上传链接。

  links   给每个鉴定机构生成一个专用的上传链接，写成工作簿（列「鉴定机构」「上传链接」），
          由中心发给各机构。链接按配置的 [web] base_url 生成，带一个随机口令；
          状态文件夹中只保存口令的哈希（portal/links.json），所以链接只在生成时出现这一次，
          请妥善保管这个工作簿。
          不带 --reset 时只给还没有链接的机构生成（第一次运行时是全部机构）。
          --reset 常柴 给这个机构换一个新链接，旧链接立即失效（名称可只写一部分，可写多次）；
          --reset 全部 给所有机构换新链接。kaohe serve 运行中也可以使用，立即生效。
`

func cmdPortal(args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(os.Stderr, portalUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	if args[0] != "links" {
		fmt.Fprintf(os.Stderr, "kaohe: error: 未知的 portal 子命令 %q\nkaohe: hint: kaohe portal links --config 配置文件 --out 链接.xlsx\n", args[0])
		return errUsage
	}
	fs := newFlags("portal links", portalUsage)
	config := fs.String("config", "", "配置文件（TOML），须有 [web] base_url")
	out := fs.String("out", "", "写出的链接工作簿（.xlsx，必填）")
	var reset multiFlag
	fs.Var(&reset, "reset", "给这个机构换新链接，旧链接失效（可写多次；「全部」为所有机构）")
	if err := parse(fs, args[1:], noArgs); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "kaohe: error: 缺少 --out 链接工作簿\nkaohe: hint: kaohe portal links --config 配置文件 --out 上传链接.xlsx")
		return errUsage
	}
	cf := configFlags{config: config, inbox: new(string), out: new(string), state: new(string)}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	links, kept, err := web.IssueLinks(cfg, reset, *out, time.Now())
	if errors.Is(err, web.ErrNoNewLinks) {
		fmt.Fprintf(os.Stderr, "kaohe: error: %v（%d 家），没有写出 %s\n", err, kept, *out)
		fmt.Fprintln(os.Stderr, "kaohe: hint: 链接只在生成时出现一次；要给某个机构重发，用 --reset 名称（旧链接随即失效），全部重发用 --reset 全部")
		return errReported
	}
	if err != nil {
		return err
	}
	fmt.Printf("已生成 %d 个上传链接，写入 %s（链接本身只在这个文件里，请妥善保管，发给各机构后可删除）。\n", len(links), *out)
	if kept > 0 {
		fmt.Printf("另有 %d 家机构已有链接，保持不变。\n", kept)
	}
	return nil
}

// errReported: the command failed and has said why (exit 1).
var errReported = errors.New("reported")

// multiFlag is a flag that may be given many times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

var _ flag.Value = (*multiFlag)(nil)

func cmdPasswd(args []string) error {
	fs := newFlags("passwd", `用法: kaohe passwd < 密码

从标准输入读一个密码（在终端上输入两次，不显示），输出它的 bcrypt 哈希，
写进配置文件中中心用户的 password_hash：

  [[web.users]]
  name = "zhongxin"
  password_hash = "$2a$12$…"

密码至少 10 个字符。配置文件里只有哈希，没有密码本身。
`)
	if err := parse(fs, args, noArgs); err != nil {
		return err
	}
	pass, err := readPassword(os.Stdin, os.Stderr)
	if err != nil {
		return err
	}
	if n := len([]rune(pass)); n < 10 {
		fmt.Fprintf(os.Stderr, "kaohe: error: 密码太短（%d 个字符），至少 10 个字符\n", n)
		return errUsage
	}
	if len(pass) > 72 {
		fmt.Fprintln(os.Stderr, "kaohe: error: 密码太长（bcrypt 只用前 72 个字节）")
		return errUsage
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), web.PasswordCost)
	if err != nil {
		return err
	}
	fmt.Println(string(hash))
	return nil
}

// readPassword reads a password: from a terminal twice without echo,
// prompting on prompt; else the first line of in.
func readPassword(in *os.File, prompt io.Writer) (string, error) {
	fd := int(in.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil { // not a terminal: a pipe or a file
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			fmt.Fprintln(os.Stderr, "kaohe: error: 标准输入中没有密码\nkaohe: hint: echo '密码' | kaohe passwd，或在终端上直接运行 kaohe passwd")
			return "", errUsage
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ECHONL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return "", err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	r := bufio.NewReader(in)
	var got [2]string
	for i, p := range []string{"密码: ", "再输入一次: "} {
		fmt.Fprint(prompt, p)
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		got[i] = strings.TrimRight(line, "\r\n")
	}
	if got[0] != got[1] {
		fmt.Fprintln(os.Stderr, "kaohe: error: 两次输入的密码不同")
		return "", errUsage
	}
	return got[0], nil
}
