package pipeline

// The template token (sheets/token.go): with token_secret_env set, every
// template kaohe writes carries an HMAC of its institution and year, and a
// run or a check rejects a submission whose token does not match the
// 鉴定机构 it names. The secret is read from the environment variable the
// configuration names, never from the file, and is never logged.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"kaohe/pipeline/store/local"
	"kaohe/sheets"
	"kaohe/templates"
)

// tokenMinSecret is the shortest secret accepted, in bytes.
const tokenMinSecret = 16

var tokenEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// resolveToken reads the secret named by token_secret_env. A name whose
// variable is unset, empty or short is an error: tokens are either checked
// or deliberately off, never silently off.
func (c *Config) resolveToken() error {
	c.tokenSecret = nil
	if c.TokenSecretEnv == "" {
		return nil
	}
	if !tokenEnvName.MatchString(c.TokenSecretEnv) {
		return &keyError{"token_secret_env", c.TokenSecretEnv, "应为环境变量的名称，如 KAOHE_TOKEN_SECRET（密钥本身不写在配置文件里）"}
	}
	v := os.Getenv(c.TokenSecretEnv)
	switch {
	case v == "":
		return &keyError{"token_secret_env", c.TokenSecretEnv, fmt.Sprintf("环境变量 %s 未设置或为空；请设置它（至少 %d 个字符），或删除这一项以不使用校验标记", c.TokenSecretEnv, tokenMinSecret)}
	case len(v) < tokenMinSecret:
		return &keyError{"token_secret_env", c.TokenSecretEnv, fmt.Sprintf("环境变量 %s 中的密钥太短（%d 个字符），至少 %d 个字符", c.TokenSecretEnv, len(v), tokenMinSecret)}
	}
	c.tokenSecret = []byte(v)
	return nil
}

// Tokens reports whether template tokens are written and checked.
func (c *Config) Tokens() bool { return len(c.tokenSecret) > 0 }

// checkToken rejects a submission of a known institution whose template
// token is missing or does not match the institution, when tokens are on.
func checkToken(sub *sheets.Submission, std *templates.Standard, cfg *Config) {
	if !cfg.Tokens() || sub.Institution.Name == "" {
		return // off, or the institution error says what is wrong
	}
	name := sub.Institution.Name
	label := "鉴定机构"
	if fd, ok := templates.FieldByName(templates.FieldInstitution); ok {
		label = fd.Label
	}
	is := sheets.Issue{Severity: sheets.Error, File: sub.File, Field: templates.FieldInstitution, Label: label, Value: name}
	switch {
	case sub.Token == "":
		is.Message = fmt.Sprintf("自评表中没有市中心的校验标记（定义名称 %s），不是市中心下发给「%s」的自评表；请使用市中心下发给本机构的自评表填写，不要复制到新建的工作簿中", sheets.TokenName, name)
		is.Cause = "template token missing"
	case !sheets.TokenMatches(cfg.tokenSecret, std.Year, name, sub.Token):
		is.Message = fmt.Sprintf("自评表的校验标记与鉴定机构「%s」不符：这不是市中心下发给「%s」的自评表（可能改动了鉴定机构名称，或使用了其他机构的自评表）；请使用市中心下发给本机构的自评表填写", name, name)
		is.Cause = "template token does not match the institution"
	default:
		return
	}
	sub.Issues = append(sub.Issues, is)
}

// WriteTemplatesConfig is WriteTemplates with each template carrying its
// token when cfg turns tokens on.
func WriteTemplatesConfig(cfg *Config, std *templates.Standard, dir, institution string) ([]string, error) {
	list := std.Institutions
	if institution != "" {
		in, err := FindInstitution(std, institution)
		if err != nil {
			return nil, err
		}
		list = []templates.Institution{in}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	var paths []string
	for _, in := range list {
		p := filepath.Join(dir, sheets.TemplateFileName(std, in))
		if err := local.WriteFile(p, func(w io.Writer) error { return WriteTemplateFor(w, cfg, std, in) }); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
