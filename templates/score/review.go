package score

import (
	"maps"
	"strconv"

	"kaohe/templates"
)

// Finding is one fact the centre verified (核查): a row of its 核查表, or
// one filled number of a 核定数据 row. Its value replaces the one the
// institution reported for that fact; it does not add to it.
type Finding struct {
	Institution string // as in the allocation
	Field       string // the defined name of the fact, e.g. i4_leaks
	Value       int64  // 核定值; 1 for 是, 0 for 否
	Basis       string // 依据: a 文号 or the evidence
	Checker     string // 核查人; may be empty
	Date        string // 日期, as written; may be empty
	Place       string // where it stands in the 核查表, e.g. 查实事项!B7
}

// ValueText is the value as people write it: 1200, 是, 否.
func (f Finding) ValueText() string { return FactText(f.Field, f.Value) }

// FactText is a fact's value as people write it: a count as digits, a
// 是/否 field as 是 or 否.
func FactText(field string, v int64) string {
	if fd, ok := templates.FieldByName(field); ok && fd.Kind == templates.KindYesNo {
		if v != 0 {
			return "是"
		}
		return "否"
	}
	return strconv.FormatInt(v, 10)
}

// Applied is a finding as it applied to one institution's submission.
type Applied struct {
	Finding
	Claimed int64 // 自报值: what the institution reported (0 when it left it blank)
	// Effect is what the finding does to the total: the total with every
	// finding minus the total with every finding but this one, exactly.
	Effect templates.Points
	// Disqualifies: with every other finding the institution keeps 评优资格,
	// with this one too it loses it; Requalifies: the other way round (a
	// claimed arrears found not to be one).
	Disqualifies, Requalifies bool
}

// Changed reports whether the centre's value differs from the claim.
func (a Applied) Changed() bool { return a.Claimed != a.Value }

// Changes counts the findings that changed a fact the institution
// reported (核查 in the ranking).
func (r Result) Changes() int {
	n := 0
	for _, a := range r.Findings {
		if a.Changed() {
			n++
		}
	}
	return n
}

// AsClaimed is the result of the facts as reported (按自报计算): Claimed,
// or the result itself when no finding applied.
func (r *Result) AsClaimed() *Result {
	if r.Claimed != nil {
		return r.Claimed
	}
	return r
}

// Verify returns the facts with each finding's value in place of the
// reported one and its 依据 in Verified; findings of other institutions
// are left out. The claimed facts are not changed.
func Verify(claimed Facts, findings []Finding) Facts {
	f := claimed
	f.Values = maps.Clone(claimed.Values)
	if f.Values == nil {
		f.Values = map[string]int64{}
	}
	f.Verified = maps.Clone(claimed.Verified)
	for _, fd := range findings {
		if fd.Institution != "" && claimed.Institution != "" && fd.Institution != claimed.Institution {
			continue
		}
		if f.Verified == nil {
			f.Verified = map[string]string{}
		}
		f.Values[fd.Field] = fd.Value
		f.Verified[fd.Field] = fd.Basis
	}
	return f
}

// Of returns the findings of one institution, in their order.
func Of(findings []Finding, institution string) []Finding {
	var out []Finding
	for _, fd := range findings {
		if fd.Institution == institution {
			out = append(out, fd)
		}
	}
	return out
}

// ScoreVerified scores one institution's submission as the centre
// verified it: the findings of inst (others are ignored) replace the
// claimed facts they name. The result is Score's of the verified facts,
// with Claimed the score of the facts as reported and Findings each
// finding with the claim it replaced and its effect on the total. Without
// a finding for inst it is Score(std, inst, claimed).
func ScoreVerified(std *templates.Standard, inst templates.Institution, claimed Facts, findings []Finding) Result {
	mine := Of(findings, inst.Name)
	if len(mine) == 0 {
		return Score(std, inst, claimed)
	}
	claimed.Institution = inst.Name
	asClaimed := Score(std, inst, claimed)
	r := Score(std, inst, Verify(claimed, mine))
	r.Claimed = &asClaimed
	for i, fd := range mine {
		others := append(append([]Finding(nil), mine[:i]...), mine[i+1:]...)
		without := Score(std, inst, Verify(claimed, others))
		r.Findings = append(r.Findings, Applied{
			Finding:      fd,
			Claimed:      claimed.Values[fd.Field],
			Effect:       r.Total - without.Total,
			Disqualifies: len(r.Disqualified) > 0 && len(without.Disqualified) == 0,
			Requalifies:  len(r.Disqualified) == 0 && len(without.Disqualified) > 0,
		})
	}
	return r
}
