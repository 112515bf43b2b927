package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"kaohe/pipeline/store"
	"kaohe/pipeline/store/ftp"
	"kaohe/templates"
	"kaohe/templates/score"
)

// Errors of the pipeline's jobs, wrapped with %w where they arise.
var (
	// ErrConfig: the configuration is invalid; the message names the key.
	ErrConfig = errors.New("配置错误")
	// ErrLedgerMismatch: the state folder holds copies of uploads that no
	// record of its ledger names: the ledger lost records (emptied,
	// deleted, an old one put back). A run refuses to publish; Rebuild
	// restores the records.
	ErrLedgerMismatch = errors.New("台账与副本不符")
	// ErrOtherState: the inbox is worked on by another state folder (its
	// runs move the uploads away); a run from a second one is refused.
	ErrOtherState = errors.New("收件文件夹已由另一个状态文件夹管理")
	// ErrAllocation: the 附件2 workbook given to NewStandard has errors;
	// the result's issues name each cell, and nothing was written.
	ErrAllocation = errors.New("附件2 有错误")
)

// Config is kaohe's configuration (config.example.toml documents each key).
// Every field has a working default, so a run needs no config file.
type Config struct {
	Inbox       string         `toml:"inbox"`        // drop folder
	Out         string         `toml:"out"`          // where the report and receipts go
	State       string         `toml:"state"`        // ledger, lock, copies of every upload; default: kaohe-state beside out
	Year        int            `toml:"year"`         // embedded standard's year
	StandardDir string         `toml:"standard_dir"` // folder with allocation.csv and rules.toml (overrides year)
	Ranking     string         `toml:"ranking"`      // dense (中国式排名) or standard
	Timezone    string         `toml:"timezone"`     // for times in names and the report
	MinAge      store.Duration `toml:"min_age"`      // files younger than this wait for the next run
	Settle      store.Duration `toml:"settle"`       // pause between the two looks at the inbox
	Deadline    string         `toml:"deadline"`     // RFC 3339; empty for none
	Late        string         `toml:"late"`         // flag or refuse files after the deadline
	MaxFileMB   int64          `toml:"max_file_mb"`  // larger uploads are rejected unread
	Schedule    string         `toml:"schedule"`     // kaohe serve: when to run (cron spec)
	Grace       store.Duration `toml:"grace"`        // kaohe serve: how long a stop waits for the current run
	Watch       store.Duration `toml:"watch"`        // kaohe serve: how often it lists the inbox between runs (0: never)
	LogFormat   string         `toml:"log_format"`   // text or json
	ReadTimeout store.Duration `toml:"read_timeout"` // one upload not read by then is rejected as unreadable
	// TokenSecretEnv names the environment variable holding the secret of
	// the template tokens (token.go); empty: no tokens written or checked.
	TokenSecretEnv string `toml:"token_secret_env"`
	// Review is the centre's 核查表 (review.go): a path or an ftp:// /
	// ftps:// URL; empty for none. Read afresh by every run.
	Review string `toml:"review"`

	FTP ftp.Config `toml:"ftp"` // when inbox or out is an ftp:// or ftps:// URL (where.go)
	Web WebConfig  `toml:"web"` // the portal of kaohe serve (webconfig.go)

	// Derived by Load/Resolve.
	file        string // the file LoadConfig read, if any
	deadline    time.Time
	loc         *time.Location
	style       score.Style
	tokenSecret []byte // from the environment variable TokenSecretEnv names; never logged
}

// DefaultConfig is the configuration when no file is given.
func DefaultConfig() Config {
	return Config{
		Inbox:       "inbox",
		Out:         "out",
		Year:        templates.DefaultYear,
		Ranking:     string(score.Dense),
		Timezone:    "Asia/Shanghai",
		MinAge:      store.Duration(time.Minute),
		Settle:      store.Duration(2 * time.Second),
		Late:        "flag",
		MaxFileMB:   20,
		Schedule:    DefaultSchedule,
		Grace:       store.Duration(10 * time.Minute),
		LogFormat:   "text",
		ReadTimeout: store.Duration(20 * time.Second),
		Watch:       store.Duration(time.Minute),
		FTP:         ftp.DefaultConfig(),
		Web:         DefaultWebConfig(),
	}
}

// LoadConfig reads a TOML file over the defaults. Unknown keys and bad
// values are errors naming the file, line and key.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	src, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("%w: 读取配置文件: %v", ErrConfig, err)
	}
	var written map[string]any // the keys the file sets, with their values
	if toml.Unmarshal(src, &written) == nil {
		if err := bareDurations(written); err != nil {
			return cfg, placeError(path, src, err)
		}
	}
	dec := toml.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var strict *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &strict):
			var parts []string
			for _, e := range strict.Errors {
				row, _ := e.Position()
				parts = append(parts, fmt.Sprintf("%s 第 %d 行: 未知的键 %q", path, row, strings.Join(e.Key(), ".")))
			}
			return cfg, fmt.Errorf("%w: %s", ErrConfig, strings.Join(parts, "；"))
		case errors.As(err, &de):
			row, _ := de.Position()
			return cfg, fmt.Errorf("%w: %s 第 %d 行: %v", ErrConfig, path, row, de)
		}
		return cfg, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	cfg.file = path
	cfg.anchor(filepath.Dir(path), written)
	if err := cfg.resolve(); err != nil {
		return cfg, placeError(path, src, err)
	}
	return cfg, nil
}

// bareDurations refuses a duration key written as a bare number
// (min_age = 60), naming the key, so that the error can name its line: a
// duration needs its unit ("60s").
func bareDurations(doc map[string]any) error {
	var walk func(t reflect.Type, table map[string]any, prefix string) error
	walk = func(t reflect.Type, table map[string]any, prefix string) error {
		for i := range t.NumField() {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if key == "" || key == "-" {
				continue
			}
			v, ok := table[key]
			if !ok {
				continue
			}
			switch {
			case f.Type == reflect.TypeFor[store.Duration]():
				if _, isText := v.(string); !isText {
					return &keyError{prefix + key, fmt.Sprint(v), fmt.Sprintf("时长没有单位；请写成带单位的字符串，例如 %s = \"%vs\"（秒）、\"2m\"（分）、\"1h\"（时）", key, v)}
				}
			case f.Type.Kind() == reflect.Struct:
				if sub, ok := v.(map[string]any); ok {
					if err := walk(f.Type, sub, prefix+key+"."); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(reflect.TypeFor[Config](), doc, "")
}

// anchor makes the relative local paths the file sets (inbox, out, state,
// standard_dir, review, ftp.ca_file, web.tls_cert, web.tls_key) relative to the file's folder dir, not to the
// folder kaohe runs in: a config file means the same wherever it is used
// from. Paths left to their defaults, and paths given as flags, stay
// relative to the current folder.
func (c *Config) anchor(dir string, written map[string]any) {
	join := func(p *string) {
		if *p == "" || filepath.IsAbs(*p) || strings.Contains(*p, "://") {
			return
		}
		*p = filepath.Join(dir, *p)
	}
	for key, p := range map[string]*string{"inbox": &c.Inbox, "out": &c.Out, "state": &c.State, "standard_dir": &c.StandardDir, "review": &c.Review} {
		if _, ok := written[key]; ok {
			join(p)
		}
	}
	for table, keys := range map[string]map[string]*string{
		"ftp": {"ca_file": &c.FTP.CAFile},
		"web": {"tls_cert": &c.Web.TLSCert, "tls_key": &c.Web.TLSKey},
	} {
		t, _ := written[table].(map[string]any)
		for key, p := range keys {
			if _, ok := t[key]; ok {
				join(p)
			}
		}
	}
}

// keyError is a bad value of one key.
type keyError struct {
	key, value, msg string
}

func (e *keyError) Error() string { return fmt.Sprintf("%s = %q: %s", e.key, e.value, e.msg) }

// placeError adds the file and line to a keyError.
func placeError(path string, src []byte, err error) error {
	var ke *keyError
	if !errors.As(err, &ke) {
		return err
	}
	table, key := "", ke.key // "ftp.timeout" is timeout in [ftp]; "web.users[2].name" name in the second [[web.users]]
	if i := strings.LastIndex(key, "."); i >= 0 {
		table, key = key[:i], key[i+1:]
	}
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(key) + `\s*=`)
	header := regexp.MustCompile(`^\s*\[(\[?)\s*([^\]\s]+)\s*\]`)
	cur, arrays := "", map[string]int{}
	for i, line := range strings.Split(string(src), "\n") {
		if m := header.FindStringSubmatch(line); m != nil {
			cur = m[2]
			if m[1] != "" { // [[table]]: the n-th element is table[n]
				arrays[cur]++
				cur = fmt.Sprintf("%s[%d]", cur, arrays[cur])
			}
			continue
		}
		if cur == table && re.MatchString(line) {
			return fmt.Errorf("%w: %s 第 %d 行: %v", ErrConfig, path, i+1, ke)
		}
	}
	return fmt.Errorf("%w: %s: %v", ErrConfig, path, ke)
}

// resolve checks values and derives the parsed forms; call it after
// changing fields (LoadConfig does).
func (c *Config) resolve() error {
	var err error
	if c.style, err = score.ParseStyle(c.Ranking); err != nil {
		return &keyError{"ranking", c.Ranking, "应为 dense（中国式排名）或 standard（1,2,2,4）"}
	}
	if c.loc, err = time.LoadLocation(c.Timezone); err != nil {
		return &keyError{"timezone", c.Timezone, "不是已知的时区，例如 Asia/Shanghai"}
	}
	c.deadline = time.Time{}
	if c.Deadline != "" {
		if c.deadline, err = time.Parse(time.RFC3339, c.Deadline); err != nil {
			return &keyError{"deadline", c.Deadline, "应写成 RFC 3339 时间，例如 2013-12-31T18:00:00+08:00"}
		}
	}
	if c.Late != "flag" && c.Late != "refuse" {
		return &keyError{"late", c.Late, "应为 flag（标记逾期）或 refuse（拒收逾期文件）"}
	}
	if c.MaxFileMB <= 0 || c.MaxFileMB > 1024 {
		return &keyError{"max_file_mb", fmt.Sprint(c.MaxFileMB), "应在 1 到 1024 之间"}
	}
	if _, err := ParseSchedule(c.Schedule); err != nil {
		return &keyError{"schedule", c.Schedule, err.Error()}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return &keyError{"log_format", c.LogFormat, "应为 text（每行 键=值）或 json（每行一个 JSON 对象）"}
	}
	if c.Inbox == "" {
		return &keyError{"inbox", c.Inbox, "不能为空"}
	}
	if c.Out == "" {
		return &keyError{"out", c.Out, "不能为空"}
	}
	if err := c.checkLocations(); err != nil {
		return err
	}
	if c.Watch < 0 || c.Watch > 0 && time.Duration(c.Watch) < time.Second {
		return &keyError{"watch", time.Duration(c.Watch).String(), "应为 \"0s\"（不查看）或至少 1 秒，如 \"1m\""}
	}
	if c.ReadTimeout < 0 || c.ReadTimeout > 0 && time.Duration(c.ReadTimeout) < time.Second {
		return &keyError{"read_timeout", time.Duration(c.ReadTimeout).String(), "应至少为 1 秒，如 \"20s\""}
	}
	if err := c.checkReview(); err != nil {
		return err
	}
	if err := c.Web.resolve(); err != nil {
		return err
	}
	return c.resolveToken()
}

// Resolve validates a config built in code or changed by flags.
func (c *Config) Resolve() error {
	if err := c.resolve(); err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return nil
}

// StateDir is the state folder: State, or "kaohe-state" beside Out; when
// Out is on an FTP server, "kaohe-state" beside the config file, or in the
// current folder without one.
func (c *Config) StateDir() string {
	if c.State != "" {
		return c.State
	}
	if l, err := parseLocation(c.Out); err == nil && l != nil {
		if c.file != "" {
			return filepath.Join(filepath.Dir(c.file), "kaohe-state")
		}
		return "kaohe-state"
	}
	abs, err := filepath.Abs(c.Out)
	if err != nil {
		abs = c.Out
	}
	return filepath.Join(filepath.Dir(abs), "kaohe-state")
}

// LoadStandard returns the standard the config names, with load warnings.
func (c *Config) LoadStandard() (*templates.Standard, []string, error) {
	if c.StandardDir != "" {
		return templates.LoadDir(c.StandardDir)
	}
	return templates.Load(c.Year)
}
