package sheets

import (
	"bytes"
	"errors"
	"kaohe/sheets/internal/layout"
	"kaohe/sheets/internal/ooxml"
	"strings"
	"testing"
	"time"
)

// TestReceiptFastMatchesExcelize builds receipts of every kind through
// the shape and with excelize and compares them part for part.
func TestReceiptFastMatchesExcelize(t *testing.T) {
	accepted := rcptAcceptedFixture(t)
	rejected := rcptRejectedFixture(t)
	variant := func(base *Receipt, edit func(rc *Receipt)) *Receipt {
		rc := *base
		if base.Submission != nil {
			sub := *base.Submission
			sub.Issues = append([]Issue(nil), base.Submission.Issues...)
			rc.Submission = &sub
		}
		edit(&rc)
		return &rc
	}
	cases := []struct {
		name string
		rc   *Receipt
		fast bool // built through the shape
	}{
		{"accepted", accepted, true},
		{"rejected", rejected, true},
		{"another accepted", variant(accepted, func(rc *Receipt) {
			rc.Upload.File, rc.Upload.Hash, rc.Issued = "第二版.xlsx", repHash("x"), repTime(30, 1, 2)
		}), true},
		{"superseded", variant(accepted, func(rc *Receipt) {
			rc.Upload.Status, rc.Upload.Note = StatusSuperseded, "已被 2013-12-31 18:00 上传的 新.xlsx 替代"
		}), true},
		{"late", variant(rejected, func(rc *Receipt) { rc.Upload.Late = true }), true},
		{"accepted late", variant(accepted, func(rc *Receipt) { rc.Upload.Late = true }), true},
		{"unreadable", variant(rejected, func(rc *Receipt) { rc.Submission, rc.Result = nil, nil }), true},
		{"texts to escape", variant(rejected, func(rc *Receipt) {
			rc.Submission.Issues = append(rc.Submission.Issues,
				Issue{Severity: Error, Sheet: "完成情况", Cell: "D9", Value: " <a&b> \"q\" 'x'\t", Message: "line 1\nline 2\r\nline 3 "},
				Issue{Severity: Warning, Value: "=1+1", Message: "\u0001控制字符\uFFFE 😀"})
		}), true},
		{"escape sequences in a text", variant(rejected, func(rc *Receipt) {
			rc.Submission.Issues = append(rc.Submission.Issues, Issue{Severity: Error, Value: "_x005F_x0041_",
				Message: "a_x000D_b _x005F_ _xD800_ _x12G4_ _x0041__x0042_"})
		}), true},
		{"file name to escape", variant(accepted, func(rc *Receipt) { rc.Upload.File = "a&b.xlsx" }), false},
		{"no time", variant(accepted, func(rc *Receipt) { rc.Issued = time.Time{} }), true},
		{"no standard", variant(rejected, func(rc *Receipt) { rc.Standard, rc.Result = nil, nil }), true},
		{"verified by a 核查表", rcptReviewed(t, accepted), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := rcptBuild(c.rc)
			want, _, err := rcptExcelize(c.rc, d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rcptBytes(nil, c.rc, rcptBuild(c.rc))
			if err != nil {
				t.Fatal(err)
			}
			if !ooxml.SameParts(got, want) {
				t.Error("the receipt differs from excelize's")
			}
			v, _ := rcptShapes.Load(rcptKey(c.rc, d))
			s := v.(*rcptShape)
			if !s.ok {
				t.Fatal("the shape was not kept")
			}
			_, fast, err := s.build(nil, c.rc, rcptBuild(c.rc))
			if err != nil {
				t.Fatal(err)
			}
			if fast != c.fast {
				t.Errorf("built through the shape: %t, want %t", fast, c.fast)
			}
		})
	}
	t.Run("first of its kind needs excelize", func(t *testing.T) {
		std := *accepted.Standard
		std.Title += "（另一版）" // another kind of receipt: a shape of its own
		first := variant(accepted, func(rc *Receipt) { rc.Standard, rc.Upload.File = &std, "a&b.xlsx" })
		second := variant(accepted, func(rc *Receipt) { rc.Standard = &std })
		for _, rc := range []*Receipt{first, second} {
			got, err := rcptBytes(nil, rc, rcptBuild(rc))
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := rcptExcelize(rc, rcptBuild(rc))
			if !ooxml.SameParts(got, want) {
				t.Error("the receipt differs from excelize's")
			}
		}
		v, _ := rcptShapes.Load(rcptKey(second, rcptBuild(second)))
		if s := v.(*rcptShape); !s.ok {
			t.Error("the second receipt did not make the shape")
		}
	})
	t.Run("into a buffer reused", func(t *testing.T) {
		var buf []byte
		for _, rc := range []*Receipt{rejected, accepted, rejected} { // a shorter one after a longer
			got, err := ReceiptInto(buf, rc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ReceiptBytes(rc)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("into a buffer that held another receipt: %d bytes, want %d (%v)", len(got), len(want), err)
			}
			buf = got
		}
	})
	t.Run("too long", func(t *testing.T) {
		rc := variant(rejected, func(rc *Receipt) {
			rc.Submission.Issues = append(rc.Submission.Issues, Issue{Severity: Error, Message: strings.Repeat("长", layout.MaxChars+1)})
		})
		if _, err := rcptBytes(nil, rc, rcptBuild(rc)); !errors.Is(err, ErrCellTooLong) {
			t.Errorf("err = %v, want ErrCellTooLong", err)
		}
	})
}

// BenchmarkReceiptBytes builds an accepted receipt (the fast path, after
// the first): go test ./sheets -run '^$' -bench ReceiptBytes.
func BenchmarkReceiptBytes(b *testing.B) {
	rc := rcptAcceptedFixture(b)
	var n int
	for b.Loop() {
		out, err := ReceiptBytes(rc)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
}
