package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaohe/pipeline/state"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// world is a temp folder with an inbox, an outbox and a state folder.
type world struct {
	t                      *testing.T
	std                    *templates.Standard
	dir, inbox, out, state string
	tmpl                   map[string][]byte // institution -> template bytes
	now                    time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	std, _, err := templates.Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := &world{t: t, std: std, dir: dir, inbox: filepath.Join(dir, "inbox"), out: filepath.Join(dir, "out"),
		state: filepath.Join(dir, "state"), tmpl: map[string][]byte{}, now: time.Date(2014, 1, 5, 2, 0, 0, 0, time.UTC)}
	if err := os.MkdirAll(w.inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, in := range std.Institutions {
		var buf bytes.Buffer
		if err := sheets.WriteTemplate(&buf, std, in); err != nil {
			t.Fatal(err)
		}
		w.tmpl[in.Name] = buf.Bytes()
	}
	return w
}

func (w *world) config() Config {
	cfg := DefaultConfig()
	cfg.Inbox, cfg.Out, cfg.State = w.inbox, w.out, w.state
	cfg.Settle = 0
	return cfg
}

// run performs one run at w.now and advances the clock a day.
func (w *world) run() (*Summary, error) {
	now := w.now
	w.now = w.now.Add(24 * time.Hour)
	return Run(context.Background(), Options{Config: w.config(), Now: func() time.Time { return now }})
}

// upload fills an institution's template and drops it into the inbox,
// with a modification time an hour before the next run.
func (w *world) upload(name, inst string, values map[string]any) {
	w.t.Helper()
	var buf bytes.Buffer
	if err := sheets.Fill(bytes.NewReader(w.tmpl[inst]), &buf, values); err != nil {
		w.t.Fatal(err)
	}
	w.drop(name, buf.Bytes())
}

func (w *world) drop(name string, b []byte) {
	w.t.Helper()
	p := filepath.Join(w.inbox, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		w.t.Fatal(err)
	}
	mt := w.now.Add(-time.Hour)
	if err := os.Chtimes(p, mt, mt); err != nil {
		w.t.Fatal(err)
	}
}

// files lists the regular files under dir, relative, sorted; not the
// inbox's record of its state folder (state.BindingFile), kaohe's own.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != state.BindingFile {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// dump is a normalised text form of every cell of a workbook.
func dump(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		out[sh] = rows
	}
	return out
}

// rankingRows returns "名次 鉴定机构 核定总分" of the 排名 sheet.
func rankingRows(t *testing.T, cells map[string][][]string) []string {
	t.Helper()
	rows := cells["排名"]
	if len(rows) == 0 {
		t.Fatal("no 排名 sheet")
	}
	want := []string{"名次", "鉴定机构", "核定总分", "自评总分"}
	if len(rows[0]) < 4 || strings.Join(rows[0][:4], ",") != strings.Join(want, ",") {
		t.Fatalf("排名 header = %q", rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		if len(r) >= 3 && r[0] != "" {
			p, err := templates.ParsePoints(r[2])
			if err != nil {
				t.Fatalf("核定总分 %q: %v", r[2], err)
			}
			out = append(out, r[0]+" "+r[1]+" "+p.String())
		}
	}
	return out
}

func demoSet(std *templates.Standard, seed uint64) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, in := range std.Institutions {
		out[in.Name] = SynthValues(std, in, seed, false).Values
	}
	return out
}

// expectedRanking scores values as the domain package would.
func expectedRanking(t *testing.T, std *templates.Standard, set map[string]map[string]any) []string {
	var results []score.Result
	for _, in := range std.Institutions {
		vals, ok := set[in.Name]
		if !ok {
			continue
		}
		f := score.Facts{Values: map[string]int64{}}
		for k, v := range vals {
			switch v := v.(type) {
			case int64:
				f.Values[k] = v
			case string:
				switch v {
				case "是":
					f.Values[k] = 1
				case "否":
					f.Values[k] = 0
				default:
					var n int64
					fmt.Sscan(strings.ReplaceAll(v, ",", ""), &n)
					if n > 0 {
						f.Values[k] = n
					}
				}
			}
		}
		results = append(results, score.Score(std, in, f))
	}
	var out []string
	for _, r := range score.Rank(results, score.Dense) {
		out = append(out, fmt.Sprintf("%d %s %s", r.Rank, r.Institution.Name, r.Total))
	}
	return out
}

func TestRunEndToEnd(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 1)
	for i, in := range w.std.Institutions {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	// Two broken files, an identical copy, a resubmission.
	broken := map[string]any{}
	for k, v := range set[w.std.Institutions[5].Name] {
		broken[k] = v
	}
	broken["actual_certified"] = "一千二"
	w.upload("broken-value.xlsx", w.std.Institutions[5].Name, broken)
	w.drop("broken-csv.xlsx", []byte("鉴定机构,人数\n常柴,1\n"))
	copyOf, _ := os.ReadFile(filepath.Join(w.inbox, "inst00.xlsx"))
	w.drop("copy-of-inst00.xlsx", copyOf)
	resub := w.std.Institutions[3].Name
	set[resub]["actual_certified"] = int64(2500) // changed fact, uploaded later
	set[resub][templates.SelfField(1)] = templates.Points(3000)
	w.upload("resubmission.xlsx", resub, set[resub])
	later := w.now.Add(-30 * time.Minute)
	os.Chtimes(filepath.Join(w.inbox, "resubmission.xlsx"), later, later)
	inputs := files(t, w.inbox)

	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.New != 35 || s.Accepted != 33 || s.Rejected != 2 || s.Duplicates != 1 || s.Superseded != 1 || s.Ranked != 32 {
		t.Errorf("summary = %+v", s)
	}
	report := filepath.Join(w.out, ReportName(w.std))
	cells := dump(t, report)
	for _, sh := range []string{"排名", "评分明细", "目标完成", "提交情况", "校验问题"} {
		if _, ok := cells[sh]; !ok {
			t.Errorf("report has no sheet %s", sh)
		}
	}
	if got, want := strings.Join(rankingRows(t, cells), "\n"), strings.Join(expectedRanking(t, w.std, set), "\n"); got != want {
		t.Errorf("ranking:\n%s\nwant:\n%s", got, want)
	}
	// Every input is in exactly one of archive/, rejected/ or the inbox.
	after := files(t, w.inbox)
	if len(after) != len(inputs) {
		t.Errorf("%d files before, %d after: %q", len(inputs), len(after), after)
	}
	var rejected []string
	for _, f := range after {
		switch {
		case strings.HasPrefix(f, "rejected/"):
			rejected = append(rejected, f)
		case strings.HasPrefix(f, "archive/"):
		default:
			t.Errorf("input still in the inbox: %s", f)
		}
	}
	if len(rejected) != 2 || !strings.HasSuffix(rejected[0], "broken-csv.xlsx") || !strings.HasSuffix(rejected[1], "broken-value.xlsx") {
		t.Errorf("rejected = %q", rejected)
	}
	// The broken value's receipt names the cell and the value.
	var found bool
	for _, r := range s.Receipts {
		if !strings.Contains(r, "未通过") {
			continue
		}
		for _, rows := range dump(t, filepath.Join(w.out, r)) {
			for _, row := range rows {
				line := strings.Join(row, " ")
				if strings.Contains(line, "完成情况!") && strings.Contains(line, "一千二") {
					found = true
				}
			}
		}
	}
	if !found {
		t.Errorf("no receipt names the cell holding 一千二 (%d receipts: %q)", len(s.Receipts), s.Receipts)
	}
	// Every file gets a receipt, the identical copy one saying 重复，已收过.
	if len(s.Receipts) != 36 || !strings.HasSuffix(s.Receipts[35], "-重复_已收过.xlsx") {
		t.Errorf("%d receipts, the last %q; want 36, the last for the duplicate", len(s.Receipts), s.Receipts[len(s.Receipts)-1])
	}

	// A second run with no new uploads moves nothing and changes no cell.
	s2, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s2.New != 0 || s2.Duplicates != 0 {
		t.Errorf("second run: %+v", s2)
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(after, ",") {
		t.Errorf("second run moved files: %q", got)
	}
	if !equalCells(cells, dump(t, report)) {
		t.Error("second run changed the report's cells")
	}

	// Resubmitting one institution with a changed fact changes only its row
	// and the ranks it moves.
	target := w.std.Institutions[10].Name
	set[target]["i4_dev_projects"] = int64(5) // +10 points
	w.upload("later.xlsx", target, set[target])
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	cells3 := dump(t, report)
	if got, want := strings.Join(rankingRows(t, cells3), "\n"), strings.Join(expectedRanking(t, w.std, set), "\n"); got != want {
		t.Errorf("ranking after resubmission:\n%s\nwant:\n%s", got, want)
	}
	before, after3 := byInstitution(w.std, cells["评分明细"]), byInstitution(w.std, cells3["评分明细"])
	for name, rows := range after3 {
		if changed := rows != before[name]; changed != (name == target) {
			t.Errorf("评分明细 of %s changed = %v", name, changed)
		}
	}
}

// byInstitution groups a sheet's rows by the institution they name.
func byInstitution(std *templates.Standard, rows [][]string) map[string]string {
	out := map[string]string{}
	for _, row := range rows {
		line := strings.Join(row, "|")
		for _, in := range std.Institutions {
			if strings.Contains(line, in.Name) {
				out[in.Name] += line + "\n"
			}
		}
	}
	return out
}

func equalCells(a, b map[string][][]string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestRunUnwritableOutput(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 2)
	for i, in := range w.std.Institutions[:3] {
		w.upload(fmt.Sprintf("inst%02d.xlsx", i), in.Name, set[in.Name])
	}
	// The receipts folder is a file: the report is written, the receipts are not.
	if err := os.MkdirAll(w.out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.out, ReceiptDir), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := files(t, w.inbox)
	_, err := w.run()
	if err == nil || !strings.Contains(err.Error(), "receipt") {
		t.Fatalf("err = %v, want a receipt error", err)
	}
	if got := files(t, w.inbox); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Errorf("inputs moved after a failed run: %q", got)
	}
	if _, err := os.Stat(filepath.Join(w.state, state.LedgerFile)); err == nil {
		t.Error("ledger committed after a failed run")
	}
	// Fixed, the next run succeeds and takes every file.
	os.Remove(filepath.Join(w.out, ReceiptDir))
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 3 || len(files(t, filepath.Join(w.inbox, ArchiveDir))) != 3 {
		t.Errorf("after fixing: %+v", s)
	}
}

func TestIntakeLeavesPartialFilesAlone(t *testing.T) {
	w := newWorld(t)
	set := demoSet(w.std, 3)
	in := w.std.Institutions[0].Name
	w.upload("ok.XLSX", in, set[in])
	w.drop(".hidden.xlsx", []byte("x"))
	w.drop("~$ok.xlsx", []byte("x"))
	w.drop("upload.xlsx.part", []byte("x"))
	w.drop("notes.txt", []byte("x"))
	w.upload("young.xlsx", in, set[in])
	young := w.now.Add(-10 * time.Second)
	os.Chtimes(filepath.Join(w.inbox, "young.xlsx"), young, young)
	os.Symlink(filepath.Join(w.inbox, "ok.XLSX"), filepath.Join(w.inbox, "link.xlsx"))
	s, err := w.run()
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 1 || s.Waiting != 2 || s.Skipped != 2 {
		t.Errorf("summary = %+v", s)
	}
	left := strings.Join(files(t, w.inbox), ",")
	for _, f := range []string{".hidden.xlsx", "~$ok.xlsx", "upload.xlsx.part", "notes.txt", "young.xlsx", "link.xlsx"} {
		if !strings.Contains(left, f) {
			t.Errorf("%s was taken: %s", f, left)
		}
	}
}
