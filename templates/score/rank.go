package score

import (
	"fmt"
	"slices"
)

// Style is how equal totals share ranks.
type Style string

// The two ranking styles; Dense is the default.
const (
	Dense    Style = "dense"    // 中国式排名: 1, 2, 2, 3
	Standard Style = "standard" // 1, 2, 2, 4 (Excel's RANK)
)

// ParseStyle reads a ranking style from a setting.
func ParseStyle(s string) (Style, error) {
	switch Style(s) {
	case "", Dense:
		return Dense, nil
	case Standard:
		return Standard, nil
	}
	return "", fmt.Errorf("排名方式「%s」无效，应为 %s（中国式排名）或 %s（1,2,2,4）", s, Dense, Standard)
}

// Ranked is a result with its rank (名次).
type Ranked struct {
	Rank int
	Result
}

// Rank orders results by verified total, highest first, and assigns ranks.
// Within a tie the institution with the larger certified target comes first,
// then the allocation's order. Disqualified institutions keep their rank.
func Rank(results []Result, style Style) []Ranked {
	out := make([]Ranked, len(results))
	for i, r := range results {
		out[i] = Ranked{Result: r}
	}
	slices.SortStableFunc(out, func(a, b Ranked) int {
		switch {
		case a.Total != b.Total:
			return cmpDesc(int64(a.Total), int64(b.Total))
		case a.Institution.Targets.Certified != b.Institution.Targets.Certified:
			return cmpDesc(a.Institution.Targets.Certified, b.Institution.Targets.Certified)
		}
		return a.Institution.Order - b.Institution.Order
	})
	rank := 0
	for i := range out {
		switch {
		case i > 0 && out[i].Total == out[i-1].Total:
			out[i].Rank = out[i-1].Rank
		case style == Standard:
			rank = i + 1
			out[i].Rank = rank
		default:
			rank++
			out[i].Rank = rank
		}
	}
	return out
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
