package templates

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Points is a score in hundredths of a point: 104.20 is Points(10420).
// Scoring never uses floating point; Points is formatted only for people.
type Points int64

// ErrPointsDecimals marks points with a digit other than 0 past the
// second decimal ("17.905"): a number, but not one in 0.01 points.
var ErrPointsDecimals = errors.New("超过两位小数")

// ParsePoints reads a non-negative decimal with at most two decimals
// ("30", "0.1", "17.90") into Points; zeros past the second decimal are
// the same number ("30.000" is 30).
func ParsePoints(s string) (Points, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || !digits(whole) || !digits(frac) || len(whole) > 12 {
		return 0, fmt.Errorf("「%s」不是最多两位小数的非负分数", s)
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, fmt.Errorf("「%s」%w", s, ErrPointsDecimals)
		}
		frac = frac[:2]
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

// UnmarshalTOML reads points in a rules file (rules.toml, decoded with
// EnableUnmarshalerInterface): a bare number (max = 10, points = 0.5) or a
// string (points = "0.1"), both in points; at most two decimals, never
// negative. The error is a parser error on the value, so the message says
// its line and key.
func (p *Points) UnmarshalTOML(data []byte) error {
	raw := strings.TrimSpace(string(data))
	s := raw
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'") {
		var v struct {
			V string `toml:"v"`
		}
		if err := toml.Unmarshal([]byte("v = "+s), &v); err != nil {
			return pointsError(data, fmt.Sprintf("「%s」不是分数；分数写成 10、0.5 或 \"0.5\"，最多两位小数", raw))
		}
		s = v.V
	} else {
		s = strings.ReplaceAll(strings.TrimPrefix(s, "+"), "_", "") // TOML's 1_000 and +3
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' }) {
			return pointsError(data, fmt.Sprintf("「%s」不是分数；分数写成 10、0.5 或 \"0.5\"，最多两位小数", raw))
		}
	}
	v, err := ParsePoints(s)
	if err != nil {
		return pointsError(data, err.Error())
	}
	*p = v
	return nil
}

// pointsError is an error on the value data, for go-toml to place.
func pointsError(data []byte, msg string) error {
	return &unstable.ParserError{Highlight: data, Message: msg}
}

// UnmarshalText lets points be written as strings ("0.1") where TOML's own
// decoding is not used.
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
