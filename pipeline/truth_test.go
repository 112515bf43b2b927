package pipeline

// Every status the report and the receipts show is true: who uploaded what,
// refused vs missing vs late, which upload still counts (issue 11).

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kaohe/pipeline/state"
	"kaohe/templates"
)

// row is the row of sheet whose column col (0-based) is value; nil if none.
func row(cells map[string][][]string, sheet string, col int, value string) []string {
	for _, r := range cells[sheet] {
		if len(r) > col && r[col] == value {
			return r
		}
	}
	return nil
}

// receiptText is every cell of a receipt, one row to a line.
func receiptText(t *testing.T, w *world, name string) string {
	t.Helper()
	var lines []string
	for _, rows := range dump(t, filepath.Join(w.out, name)) {
		for _, r := range rows {
			lines = append(lines, strings.Join(r, " "))
		}
	}
	return strings.Join(lines, "\n")
}

// receiptOfFile is the receipt named for the institution or file who, and
// status, among s's.
func receiptOfFile(t *testing.T, s *Summary, who, status string) string {
	t.Helper()
	for _, r := range s.Receipts {
		if strings.Contains(r, who) && strings.HasSuffix(r, "-"+status+".xlsx") {
			return r
		}
	}
	t.Fatalf("no receipt of %s %s among %q", who, status, s.Receipts)
	return ""
}

func hostileFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "sheets", "testdata", "hostile", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A refused upload counts against the institution its name or folder names:
// 排名 and 提交情况 show it 未通过校验 with the reason and the file, not
// 未提交, and the all-files table names the institution.
func TestRefusedShownUnderItsInstitution(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 11)
	ins := w.std.Institutions
	w.drop("2013-常柴国家职业技能鉴定所-自评表.xlsx", hostileFile(t, "csv-renamed.xlsx")) // a CSV renamed .xlsx
	w.drop("常公交-自评表.xls", hostileFile(t, "legacy-xls.xlsx"))                // a legacy .xls
	w.drop("常化工.ods", hostileFile(t, "ods-renamed.xlsx"))                   // an .ods
	typed := map[string]any{}
	for k, v := range set[ins[2].Name] {
		typed[k] = v
	}
	typed["inst_name"] = "常饮服鉴定所" // the name cell typed over
	w.upload("常饮服-自评表.xlsx", ins[2].Name, typed)
	w.upload("2013-常交运国家职业技能鉴定所-自评表.xlsx", ins[4].Name, set[ins[4].Name])
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	cells := dump(t, filepath.Join(w.out, ReportName(w.std)))
	for _, c := range []struct{ inst, file, why string }{
		{ins[0].Name, "2013-常柴国家职业技能鉴定所-自评表.xlsx", "CSV 文本文件"},
		{ins[1].Name, "常公交-自评表.xls", "（.xls 格式）；"},
		{ins[3].Name, "常化工.ods", "（.ods 格式）；"},
		{ins[2].Name, "常饮服-自评表.xlsx", "「常饮服鉴定所」不是"},
	} {
		r := row(cells, "排名", 1, c.inst)
		if len(r) < 9 || r[7] != "未通过校验" || r[8] != c.file {
			t.Errorf("排名 row of %s = %q, want 未通过校验 and %s", c.inst, r, c.file)
		}
		if r := row(cells, "提交情况", 3, c.file); len(r) < 3 || r[1] != c.inst || r[2] != "未通过校验" {
			t.Errorf("提交情况 row of %s = %q, want it under %s", c.file, r, c.inst)
		}
		var said bool
		for _, r := range cells["校验问题"] {
			said = said || len(r) > 6 && r[1] == c.file && strings.Contains(r[6], c.why)
		}
		if !said {
			t.Errorf("校验问题 does not say why %s was refused (%q)", c.file, c.why)
		}
	}
	if r := row(cells, "排名", 1, ins[4].Name); len(r) < 8 || r[7] != "已接受" {
		t.Errorf("排名 row of %s = %q", ins[4].Name, r)
	}
	if r := row(cells, "排名", 1, ins[5].Name); len(r) < 8 || r[7] != "未提交" {
		t.Errorf("排名 row of %s = %q, want 未提交", ins[5].Name, r)
	}
}

// One institution's upload of another's workbook is refused with both names
// and replaces nothing; per-institution folders are who uploaded; a file
// that only its content names counts for that institution, and its receipt
// says so.
func TestAnotherInstitutionsWorkbook(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 12)
	ly, sc, cc := "常旅游国家职业技能鉴定所", "省常技国家职业技能鉴定所", "常柴国家职业技能鉴定所"
	w.upload("2013-常旅游国家职业技能鉴定所-自评表.xlsx", ly, set[ly])
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	other := map[string]any{}
	for k, v := range set[ly] {
		other[k] = v
	}
	other["contact_name"] = "省常技的填表人" // other bytes: not a duplicate
	w.upload("2013-省常技国家职业技能鉴定所-自评表.xlsx", ly, other)
	os.MkdirAll(filepath.Join(w.inbox, "常武"), 0o755)
	other["contact_name"] = "常武的填表人"
	w.upload("常武/上传.xlsx", ly, other)
	w.upload("upload1.xlsx", cc, set[cc])
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 1 || s.Rejected != 2 {
		t.Errorf("summary %+v: want 1 accepted (常柴 by content), 2 refused", s)
	}
	cells := dump(t, filepath.Join(w.out, ReportName(w.std)))
	if r := row(cells, "排名", 1, ly); len(r) < 9 || r[7] != "已接受" || r[8] != "2013-常旅游国家职业技能鉴定所-自评表.xlsx" {
		t.Errorf("排名 row of %s = %q: its own upload must still count", ly, r)
	}
	for inst, file := range map[string]string{sc: "2013-省常技国家职业技能鉴定所-自评表.xlsx", "常武国家职业技能鉴定所": "上传.xlsx"} {
		if r := row(cells, "排名", 1, inst); len(r) < 9 || r[7] != "未通过校验" || r[8] != file {
			t.Errorf("排名 row of %s = %q, want 未通过校验 with %s", inst, r, file)
		}
	}
	text := receiptText(t, w, receiptOfFile(t, s, sc, "未通过校验"))
	if !strings.Contains(text, "文件名是「省常技国家职业技能鉴定所」，自评表却是「常旅游国家职业技能鉴定所」的") {
		t.Errorf("省常技's receipt does not name both institutions:\n%s", text)
	}
	text = receiptText(t, w, receiptOfFile(t, s, "常武国家", "未通过校验"))
	if !strings.Contains(text, "上传的文件夹是「常武国家职业技能鉴定所」，自评表却是「常旅游国家职业技能鉴定所」的") {
		t.Errorf("the folder's receipt does not name both institutions:\n%s", text)
	}
	text = receiptText(t, w, receiptOfFile(t, s, cc, "已接受"))
	if !strings.Contains(text, "按自评表中填写的鉴定机构计为「常柴国家职业技能鉴定所」的提交") {
		t.Errorf("常柴's receipt does not say whose upload it was counted as:\n%s", text)
	}
	l, _ := state.OpenLedger(w.state)
	for _, r := range l.Records {
		if want := map[string]string{"upload1.xlsx": viaWorkbook, "常武/上传.xlsx": viaFolder}[r.Name]; want != "" && r.Via != want {
			t.Errorf("%s: via %q, want %q", r.Name, r.Via, want)
		}
	}
}

// A refused re-upload's receipt says which earlier upload still counts.
func TestRefusedReuploadSaysWhatCounts(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 13)
	cc := w.std.Institutions[0].Name
	w.upload("2013-常柴国家职业技能鉴定所-自评表.xlsx", cc, set[cc])
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]any{}
	for k, v := range set[cc] {
		bad[k] = v
	}
	bad["actual_certified"] = "一千二"
	w.upload("常柴-第二版.xlsx", cc, bad)
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	text := receiptText(t, w, receiptOfFile(t, s, cc, "未通过校验"))
	for _, want := range []string{"「2013-常柴国家职业技能鉴定所-自评表.xlsx」已通过校验，仍按那份计入", "请按上述说明修改后重新上传"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt does not say %q:\n%s", want, text)
		}
	}
}

// Late files: with late = "refuse" their own outcome 逾期，不予受理 on the
// receipt, 排名 and 提交情况, without an invitation to re-upload; with
// late = "flag", 已接受（逾期） on 排名. Receipts state the deadline.
func TestLateFiles(t *testing.T) {
	for _, late := range []string{"refuse", "flag"} {
		t.Run(late, func(t *testing.T) {
			w := newWorld(t)
			set := demoSet(w.std, 14)
			cc, gj := w.std.Institutions[0].Name, w.std.Institutions[1].Name
			cfg := w.config()
			cfg.Deadline = w.now.Add(-2 * time.Hour).Format(time.RFC3339) // the uploads come an hour before now
			cfg.Late = late
			w.upload("常柴.xlsx", cc, set[cc])
			w.upload("常公交.xlsx", gj, set[gj])
			s, err := Run(t.Context(), Options{Config: cfg, Now: func() time.Time { return w.now }})
			if err != nil {
				t.Fatal(err)
			}
			cells := dump(t, filepath.Join(w.out, ReportName(w.std)))
			r := row(cells, "排名", 1, cc)
			if late == "flag" {
				if len(r) < 8 || r[7] != "已接受（逾期）" || s.Accepted != 2 {
					t.Errorf("排名 row %q, summary %+v: want 已接受（逾期）", r, s)
				}
				return
			}
			if len(r) < 8 || r[7] != "逾期，不予受理" || s.Late != 2 || s.Accepted != 0 {
				t.Errorf("排名 row %q, summary %+v: want 逾期，不予受理", r, s)
			}
			if r := row(cells, "提交情况", 3, "常柴.xlsx"); len(r) < 3 || r[2] != "逾期，不予受理" {
				t.Errorf("提交情况 row %q", r)
			}
			text := receiptText(t, w, receiptOfFile(t, s, cc, "逾期_不予受理"))
			for _, want := range []string{"逾期，不予受理", "截止时间", "不予受理，也不再需要修改或重新上传"} {
				if !strings.Contains(text, want) {
					t.Errorf("receipt does not say %q:\n%s", want, text)
				}
			}
			for _, not := range []string{"未通过校验", "请按上述说明修改后重新上传"} {
				if strings.Contains(text, not) {
					t.Errorf("receipt says %q:\n%s", not, text)
				}
			}
			for _, is := range cells["校验问题"] {
				if len(is) > 1 && is[1] == "常柴.xlsx" {
					t.Errorf("校验问题 lists a late file's workbook issues: %q", is)
				}
			}
		})
	}
}

// The report's time is labelled 数据截至 (the newest upload), and a run
// with nothing new writes no new dated copy.
func TestNoNewDatedCopy(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 15)
	cc := w.std.Institutions[0].Name
	w.upload("常柴.xlsx", cc, set[cc])
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	before := files(t, w.out)
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if after := files(t, w.out); strings.Join(after, ",") != strings.Join(before, ",") || !s.Unchanged {
		t.Errorf("a run with nothing new wrote %q (before %q), unchanged %t", after, before, s.Unchanged)
	}
	text := strings.Join(dump(t, filepath.Join(w.out, ReportName(w.std)))["排名"][len(dump(t, filepath.Join(w.out, ReportName(w.std)))["排名"])-1], " ")
	if !strings.Contains(text, "数据截至") || strings.Contains(text, "生成时间") {
		t.Errorf("the ranking's last note: %q", text)
	}
}

// Waiting files are named with why; the standard's warning is logged once a
// process, not every run.
func TestWaitingNamedAndWarnedOnce(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 16)
	cc := w.std.Institutions[0].Name
	w.upload("常柴.xlsx", cc, set[cc])
	p := filepath.Join(w.inbox, "常柴.xlsx")
	os.Chtimes(p, w.now, w.now) // just uploaded
	os.WriteFile(filepath.Join(w.inbox, "常公交.xlsx.part"), []byte("half"), 0o644)
	var logs bytes.Buffer
	standardWarned.Clear()
	cfg := w.config()
	for range 2 {
		s, err := Run(t.Context(), Options{Config: cfg, Now: func() time.Time { return w.now }, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if s.Waiting != 2 || len(s.Left) != 2 || !strings.Contains(strings.Join(s.Left, " "), "常柴.xlsx：上传不到 1m0s（min_age）") ||
			!strings.Contains(strings.Join(s.Left, " "), "常公交.xlsx.part：上传中的临时文件") {
			t.Errorf("waiting %d: %q", s.Waiting, s.Left)
		}
	}
	if n := strings.Count(logs.String(), "取证目标 400 不到鉴定目标 4600"); n != 1 {
		t.Errorf("the standard's warning was logged %d times in one process", n)
	}
	lr, err := state.ReadLastRun(w.state)
	if err != nil || len(lr.Left) != 2 {
		t.Errorf("last-run.json does not name the waiting files: %+v, %v", lr, err)
	}
}

// A duration without a unit is an error naming its line and key; relative
// paths in a config file are relative to its folder.
func TestConfigSaysWhatItMeans(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("inbox = \"in\"\nmin_age = 60\n"), 0o644)
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "bad.toml 第 2 行: min_age = \"60\"") || !strings.Contains(err.Error(), `"60s"`) {
		t.Errorf("min_age = 60: %v", err)
	}
	os.WriteFile(bad, []byte("[ftp]\ntimeout = 30\n"), 0o644)
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "第 2 行: ftp.timeout = \"30\"") {
		t.Errorf("ftp.timeout = 30: %v", err)
	}
	good := filepath.Join(dir, "etc", "kaohe.toml")
	os.MkdirAll(filepath.Dir(good), 0o755)
	os.WriteFile(good, []byte("inbox = \"../drop\"\nout = \"out\"\nstate = \"/abs/state\"\n"), 0o644)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Inbox != filepath.Join(dir, "drop") || cfg.Out != filepath.Join(dir, "etc", "out") || cfg.State != "/abs/state" {
		t.Errorf("inbox %q, out %q, state %q: want them relative to the config file's folder", cfg.Inbox, cfg.Out, cfg.State)
	}
	for _, f := range []string{"cert.pem", "key.pem"} {
		os.WriteFile(filepath.Join(dir, "etc", f), []byte("-"), 0o600)
	}
	os.WriteFile(good, []byte("review = \"核查表.xlsx\"\n[web]\nlisten = \"127.0.0.1:8080\"\nbase_url = \"https://kaohe.example.cn\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n"), 0o644)
	if cfg, err = LoadConfig(good); err != nil {
		t.Fatalf("tls_cert and tls_key beside the config file: %v", err)
	}
	if cfg.Web.TLSCert != filepath.Join(dir, "etc", "cert.pem") || cfg.Web.TLSKey != filepath.Join(dir, "etc", "key.pem") || cfg.Review != filepath.Join(dir, "etc", "核查表.xlsx") {
		t.Errorf("tls_cert %q, tls_key %q, review %q: want them relative to the config file's folder", cfg.Web.TLSCert, cfg.Web.TLSKey, cfg.Review)
	}
}

// kaohe status lists every institution's standing from the ledger.
func TestStatusListsWhoIsMissing(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 17)
	cc := w.std.Institutions[0].Name
	w.upload("常柴.xlsx", cc, set[cc])
	w.drop("常公交.xlsx", hostileFile(t, "csv-renamed.xlsx"))
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	st, err := ReadStatus(w.config(), w.now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range st.Institutions {
		got[s.Name] = string(s.Status)
	}
	if got[cc] != "已接受" || got["常公交国家职业技能鉴定所"] != "未通过校验" || got["常饮服国家职业技能鉴定所"] != "未提交" || len(st.Institutions) != 32 || st.NoState {
		t.Errorf("standings %v", got)
	}
	cfg := w.config()
	cfg.State = filepath.Join(w.dir, "elsewhere")
	if st, err := ReadStatus(cfg, w.now); err != nil || !st.NoState {
		t.Errorf("a state folder that does not exist: %+v, %v", st, err)
	}
}

// The demo's refused upload, a CSV renamed .xlsx, shows 未通过校验 under
// its institution in 排名, not 未提交.
func TestDemoRefusedUnderItsInstitution(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	res, err := Demo(t.Context(), dir, Options{Config: DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	std, _, err := templates.Load(templates.DefaultYear)
	if err != nil {
		t.Fatal(err)
	}
	last := std.Institutions[len(std.Institutions)-1].Name
	cells := dump(t, res.Summary.ReportPath)
	if r := row(cells, "排名", 1, last); len(r) < 9 || r[7] != "未通过校验" || r[8] != last+"-自评表.xlsx" {
		t.Errorf("排名 row of %s = %q, want 未通过校验 with its file", last, r)
	}
}
