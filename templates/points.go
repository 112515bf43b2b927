package templates

import (
	"fmt"
	"strconv"
	"strings"
)

// Points is a score in hundredths of a point: 104.20 is Points(10420).
// Scoring never uses floating point; Points is formatted only for people.
type Points int64

// ParsePoints reads a non-negative decimal with at most two decimals
// ("30", "0.1", "17.90") into Points.
func ParsePoints(s string) (Points, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > 2 || !digits(whole) || !digits(frac) || len(whole) > 12 {
		return 0, fmt.Errorf("「%s」不是最多两位小数的非负分数", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	return Points(w*100 + f), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// UnmarshalText lets rules files write points as strings ("0.1").
func (p *Points) UnmarshalText(b []byte) error {
	v, err := ParsePoints(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// String formats with two decimals: "104.20", "-3.00".
func (p Points) String() string {
	v := int64(p)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Signed formats a change with an explicit sign, as in 评分依据:
// "+0.30", "−3.00" (U+2212 MINUS SIGN, as the document prints it).
func (p Points) Signed() string {
	if p < 0 {
		return "−" + (-p).String()
	}
	return "+" + p.String()
}

// Float is for writing a numeric cell only; never compute with it.
func (p Points) Float() float64 { return float64(p) / 100 }
