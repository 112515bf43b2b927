package sheets

// Fuzzing the reader: FuzzRead feeds it arbitrary bytes (go test -fuzz
// FuzzRead; its seeds are testdata/fuzz/FuzzRead, the hostile corpus and a
// filled workbook, and run with every go test), and TestReadMutations
// mutates the XML inside a valid workbook (mutating the zip's bytes mostly
// trips its checksums) for a fixed short time. Both check hostileCheck's
// invariants: no panic, every text fits a cell; the mutation loop also
// writes each submission's receipt.

import (
	"bytes"
	"compress/flate"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"kaohe/templates"
)

// fuzzLimits are the limits fuzzing reads with: small, so a mutated file
// reaches them.
func fuzzLimits() Limits {
	return Limits{MaxFileBytes: 2 << 20, UnzipSizeLimit: 32 << 20, UnzipXMLSizeLimit: 8 << 20, Timeout: 5 * time.Second}
}

// fuzzRead reads data and checks the invariants, and that the limits held.
func fuzzRead(t *testing.T, std *templates.Standard, data []byte) *Submission {
	t.Helper()
	lim := fuzzLimits()
	sub := readTest(bytes.NewReader(data), "fuzz.xlsx", std, lim)
	hostileCheck(t, sub)
	for _, is := range sub.Issues {
		if strings.HasPrefix(is.Cause, "read deadline") {
			t.Errorf("reading took longer than %s", lim.Timeout)
		}
	}
	if int64(len(data)) > lim.MaxFileBytes && sub.Accepted() {
		t.Errorf("a %d-byte file was accepted past the %d-byte limit", len(data), lim.MaxFileBytes)
	}
	return sub
}

func FuzzRead(f *testing.F) {
	std := tmplTestStd(f)
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04"))
	f.Add(append([]byte(nil), oleMagic...))
	des, _ := os.ReadDir(hostileDir)
	for _, de := range des {
		if fi, err := de.Info(); err == nil && fi.Size() <= 64<<10 {
			if b, err := os.ReadFile(filepath.Join(hostileDir, de.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, std, data)
	})
}

// TestReadMutations mutates the workbook, the 完成情况 sheet, the shared
// strings and the relationships of a filled workbook and reads each
// result: for 2.5 s (1 s with -short; KAOHE_MUTATE_SECONDS sets it). Each
// iteration is seeded by its number, so a failure names the seed that
// repeats it.
func TestReadMutations(t *testing.T) {
	h := hostileNewBase(t)
	budget := 2500 * time.Millisecond
	if testing.Short() {
		budget = time.Second
	}
	if s, err := strconv.ParseFloat(os.Getenv("KAOHE_MUTATE_SECONDS"), 64); err == nil {
		budget = time.Duration(s * float64(time.Second))
	}
	first := uint64(1)
	if s, err := strconv.ParseUint(os.Getenv("KAOHE_MUTATE_SEED"), 10, 64); err == nil {
		first, budget = s, 0 // one seed, to repeat a failure
	}
	targets := []string{"xl/workbook.xml", "xl/workbook.xml", hostileFactsPart, hostileFactsPart, hostileFactsPart,
		"xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
	outcomes := map[string]int{}
	start := time.Now()
	seed := first
	for ; seed == first || time.Since(start) < budget; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x6b616f6865))
		p := h.parts.clone()
		var did []string
		for range 1 + rng.IntN(3) {
			part := targets[rng.IntN(len(targets))]
			b, what := mutateXML(rng, p.get(part))
			p.set(part, b)
			did = append(did, part+": "+what)
		}
		level := flate.BestSpeed
		if rng.IntN(2) == 0 {
			level = -3 // stored
		}
		sub := fuzzRead(t, h.std, p.zip(t, level))
		hostileReceipt(t, sub)
		if t.Failed() {
			t.Fatalf("seed %d (KAOHE_MUTATE_SEED=%d repeats it): %s", seed, seed, strings.Join(did, "; "))
		}
		switch {
		case sub.Accepted():
			outcomes["accepted"]++
		case len(sub.Issues) > 0 && sub.Issues[0].Cause != "":
			outcomes["refused unread"]++
		default:
			outcomes["field errors"]++
		}
	}
	t.Logf("%d mutated workbooks in %s: %v", seed-first, time.Since(start).Round(time.Millisecond), outcomes)
}

// mutateTokens are fragments that make XML interesting to a reader.
var mutateTokens = []string{
	"<", ">", `"`, "'", "&", "&amp;", "&x;", "&#0;", "&#xFFFF;", "<![CDATA[", "]]>", "<!--", "-->", "\x00", "\xff\xfe", "\u202e",
	`<!DOCTYPE a [<!ENTITY x "yyyyyyyy">]>`, `<!ENTITY y SYSTEM "file:///etc/passwd">`, `<?xml version="1.0" encoding="GBK"?>`,
	` r="2147483647"`, ` r="0"`, ` r="-1"`, ` r="1048576"`, ` r="1048577"`, ` r="a1"`, ` r=""`, ` t="s"`, ` t="inlineStr"`, ` t="str"`,
	` t="b"`, ` t="e"`, ` t="d"`, "<v>999999999</v>", "<v>-1</v>", "<v>1e308</v>", "<v>NaN</v>", "<f>1+1</f>", `<f t="shared" si="0"/>`,
	"</row>", "<row>", `<row r="3">`, "<row/>", `<c r="A1">`, `<c r="XFD1048576"/>`, "<c>", "</c>", "<is><t>x</t></is>",
	`<mergeCell ref="A1:XFD1048576"/>`, `<mergeCell ref="B"/>`, ` localSheetId="0"`, ` localSheetId="-1"`, ` localSheetId="x"`,
	`<definedName name="actual_certified">'完成情况'!$A$1</definedName>`, `<definedName name="inst_name">"x"</definedName>`,
	`<definedName name="kaohe_token">"abc"</definedName>`, `<sheet name="完成情况" sheetId="9" r:id="rId1"/>`, ` xmlns:x="y"`,
	`<Relationship Id="rId4" Target="/xl/worksheets/sheet1.xml" Type="x/worksheet"/>`, `Target="../../../../etc/passwd"`,
	`<si><t>` + strings.Repeat("长", 40000) + `</t></si>`, strings.Repeat("9", 400), strings.Repeat("<a>", 200),
}

var (
	mutateElement = regexp.MustCompile(`<(row|c|definedName|sheet|si|Relationship|mergeCell|Override|Default)\b[^>]*?(/>|>.*?</(row|c|definedName|si|Relationship)>)`)
	mutateNumber  = regexp.MustCompile(`"(\d+)"|>(\d+)<`)
)

// mutateXML changes b in one of several ways and says how.
func mutateXML(rng *rand.Rand, b []byte) ([]byte, string) {
	if len(b) == 0 {
		return []byte(mutateTokens[rng.IntN(len(mutateTokens))]), "replaced empty part"
	}
	b = append([]byte(nil), b...)
	at := rng.IntN(len(b))
	switch rng.IntN(8) {
	case 0:
		b[at] = byte(rng.IntN(256))
		return b, fmt.Sprintf("byte %d set", at)
	case 1:
		n := 1 + rng.IntN(64)
		return append(b[:at], b[min(at+n, len(b)):]...), fmt.Sprintf("deleted %d bytes at %d", n, at)
	case 2:
		n := 1 + rng.IntN(256)
		span := append([]byte(nil), b[at:min(at+n, len(b))]...)
		return append(b[:at], append(span, b[at:]...)...), fmt.Sprintf("duplicated %d bytes at %d", len(span), at)
	case 3, 4:
		tok := mutateTokens[rng.IntN(len(mutateTokens))]
		return append(b[:at], append([]byte(tok), b[at:]...)...), fmt.Sprintf("inserted %.40q at %d", tok, at)
	case 5:
		ms := mutateElement.FindAllIndex(b, -1)
		if len(ms) == 0 {
			return b, "no element"
		}
		m := ms[rng.IntN(len(ms))]
		el := append([]byte(nil), b[m[0]:m[1]]...)
		switch rng.IntN(3) {
		case 0: // duplicate
			return append(b[:m[1]], append(el, b[m[1]:]...)...), fmt.Sprintf("duplicated element %.40q", el)
		case 1: // delete
			return append(b[:m[0]], b[m[1]:]...), fmt.Sprintf("deleted element %.40q", el)
		default: // move before another
			o := ms[rng.IntN(len(ms))]
			rest := append(append([]byte(nil), b[:m[0]]...), b[m[1]:]...)
			pos := o[0]
			if pos > m[0] {
				pos -= m[1] - m[0]
			}
			pos = max(0, min(pos, len(rest)))
			return append(rest[:pos], append(el, rest[pos:]...)...), fmt.Sprintf("moved element %.40q", el)
		}
	case 6:
		ms := mutateNumber.FindAllSubmatchIndex(b, -1)
		if len(ms) == 0 {
			return b, "no number"
		}
		m := ms[rng.IntN(len(ms))]
		lo, hi := m[2], m[3]
		if lo < 0 {
			lo, hi = m[4], m[5]
		}
		nums := []string{"0", "-1", "1048576", "1048577", "2147483647", "99999999999999999999", "16384", "16385", strconv.Itoa(rng.IntN(200))}
		n := nums[rng.IntN(len(nums))]
		return append(b[:lo], append([]byte(n), b[hi:]...)...), "number set to " + n
	default:
		return b[:at], fmt.Sprintf("cut at %d", at)
	}
}

// fuzzWriteSeeds writes testdata/fuzz/FuzzRead: a filled workbook, one
// with a template token, and one whose workbook part has a DTD.
func fuzzWriteSeeds(t *testing.T, h *hostileBase) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	token := h.parts.clone()
	wb := string(token.get("xl/workbook.xml"))
	token.set("xl/workbook.xml", []byte(strings.Replace(wb, "<definedNames>", `<definedNames><definedName name="kaohe_token" hidden="1">"0123abcd"</definedName>`, 1)))
	dtd := h.parts.clone()
	dtd.set("xl/workbook.xml", []byte(strings.Replace(wb, "?>", `?><!DOCTYPE workbook [<!ENTITY x "y">]>`, 1)))
	for name, b := range map[string][]byte{
		"filled":       h.filled,
		"token":        token.zip(t, flate.BestCompression),
		"workbook-dtd": dtd.zip(t, flate.BestCompression),
	} {
		seed := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
