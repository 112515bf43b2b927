package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"kaohe/pipeline"
)

// errHelp: the command printed its help because it was asked to (exit 0).
var errHelp = errors.New("help")

// Positional argument counts for parse.
const (
	noArgs   = 0  // the command takes options only
	manyArgs = -1 // any number of arguments (kaohe check's files)
)

// parse reads a command's options and arguments. Options may come before,
// between or after the arguments (kaohe check a.xlsx --config F); "--"
// ends the options. It returns errHelp when -h was given (the help is
// printed), and errUsage when the command line is wrong: an unknown
// option, an option without its value, a value that is not one, or more
// arguments than the command takes (at most positional, manyArgs for
// any); the error, a hint when the person likely meant something else,
// and the command's usage line are printed on stderr. fs.Args() are the
// arguments afterwards.
func parse(fs *flag.FlagSet, args []string, positional int) error {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		if isHelp(a) {
			fs.SetOutput(os.Stderr)
			fs.Usage()
			return errHelp
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			return usageError(fs, fmt.Sprintf("未知选项 --%s", name), optionHint(fs, name))
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 == len(args) {
				return usageError(fs, fmt.Sprintf("选项 --%s 需要一个值", name), "")
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			return usageError(fs, fmt.Sprintf("选项 --%s 的值 %q 无效（%s）", name, value, valueKind(f)), "")
		}
	}
	if positional != manyArgs && len(rest) > positional {
		extra := rest[positional:]
		msg := fmt.Sprintf("多余的参数 %q", strings.Join(extra, " "))
		if positional == noArgs {
			msg = fmt.Sprintf("kaohe %s 不接受参数，多余的参数 %q", fs.Name(), strings.Join(extra, " "))
		}
		return usageError(fs, msg, "")
	}
	// fs.Args() are the arguments from here on; "--" keeps one that starts
	// with a dash an argument.
	if err := fs.Parse(append([]string{"--"}, rest...)); err != nil {
		return usageError(fs, err.Error(), "")
	}
	return nil
}

// usageError prints a command-line error, a hint if any and the command's
// usage line, and returns errUsage.
func usageError(fs *flag.FlagSet, msg, hint string) error {
	fmt.Fprintf(os.Stderr, "kaohe: error: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(os.Stderr, "kaohe: hint: %s\n", hint)
	}
	fmt.Fprintln(os.Stderr, usageLine(fs))
	fmt.Fprintf(os.Stderr, "kaohe %s -h 显示说明\n", fs.Name())
	return errUsage
}

// usageLine is the first line of the command's help: 用法: kaohe run [...].
func usageLine(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.Usage()
	fs.SetOutput(os.Stderr)
	line, _, _ := strings.Cut(b.String(), "\n")
	return line
}

// valueKind says what value an option takes, for an invalid one.
func valueKind(f *flag.Flag) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return "见 -h"
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return "应是整数"
	case bool:
		return "应是 true 或 false"
	}
	return "见 -h"
}

// optionHint guesses what an unknown option meant: the same option with
// - and _ swapped or in another case, or a key of the configuration file.
func optionHint(fs *flag.FlagSet, name string) string {
	for _, try := range []string{strings.ReplaceAll(name, "_", "-"), strings.ReplaceAll(name, "-", "_"), strings.ToLower(name)} {
		if try != name && fs.Lookup(try) != nil {
			return fmt.Sprintf("是不是 --%s？", try)
		}
	}
	key := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if slices.Contains(configKeys(), key) {
		h := fmt.Sprintf("%s 是配置文件中的配置项，不是命令行选项：写在配置文件里（见 config.example.toml）", key)
		if fs.Lookup("config") != nil {
			h += fmt.Sprintf("，再用 --config 配置文件 运行 kaohe %s", fs.Name())
		}
		return h
	}
	return ""
}

// configKeys are the keys of the configuration file, [web] and [ftp]
// ones as web.listen and ftp.user and also bare.
func configKeys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			if f.Type.Kind() == reflect.Struct && prefix == "" {
				walk(f.Type, tag+".")
				continue
			}
			keys = append(keys, prefix+tag)
			if prefix != "" {
				keys = append(keys, tag)
			}
		}
	}
	walk(reflect.TypeFor[pipeline.Config](), "")
	return keys
}
