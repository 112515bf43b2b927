package templates

import (
	"fmt"
	"sort"
	"strings"
)

// Changes is how a new allocation differs from another year's standard.
type Changes struct {
	From, Year int           // the year compared with, and the new one
	Added      []Institution // new rows (Order: their row) that match no old name
	Removed    []Institution // old rows that match no new name
	Renamed    []Rename      // an old name gone and a new one that looks like it
	Moved      []Move        // targets that moved by more than half
}

// Rename is a likely rename: an old institution no longer in the
// allocation and a new one whose name looks like it. Only a suggestion:
// kaohe never joins the two by itself.
type Rename struct {
	Old, New Institution
	Why      string // why they look alike, in Chinese
}

// Move is a target of one institution that moved by more than half (or
// from or to 0) since the year compared with.
type Move struct {
	Institution Institution // the new row (Order: its row)
	Col         int         // index into AllocationColumns, 1–4
	Old, New    int64
}

// Empty reports whether nothing changed that Changes tracks.
func (c Changes) Empty() bool {
	return len(c.Added)+len(c.Removed)+len(c.Renamed)+len(c.Moved) == 0
}

// Compare lists what changed from old's allocation to ins, year's: rows
// added, removed, likely renamed (the same short name, 常交技 as the
// abbreviation of 常州交通技师学院, or a name a typo or two away), and
// targets that moved by more than half.
func Compare(old *Standard, ins []Institution, year int) Changes {
	c := Changes{From: old.Year, Year: year}
	oldByName := map[string]Institution{}
	for _, o := range old.Institutions {
		oldByName[o.Name] = o
	}
	newNames := map[string]bool{}
	var added []Institution
	for _, in := range ins {
		newNames[in.Name] = true
		if o, ok := oldByName[in.Name]; ok {
			c.Moved = append(c.Moved, moves(o, in)...)
		} else {
			added = append(added, in)
		}
	}
	var removed []Institution
	for _, o := range old.Institutions {
		if !newNames[o.Name] {
			removed = append(removed, o)
		}
	}
	type pair struct {
		o, n        int
		class, dist int
		why         string
	}
	var pairs []pair
	for i, o := range removed {
		for j, n := range added {
			if why, class, dist, ok := alike(o.Name, n.Name); ok {
				pairs = append(pairs, pair{i, j, class, dist, why})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool {
		if pairs[a].class != pairs[b].class {
			return pairs[a].class < pairs[b].class
		}
		return pairs[a].dist < pairs[b].dist
	})
	usedOld, usedNew := map[int]bool{}, map[int]bool{}
	for _, p := range pairs {
		if usedOld[p.o] || usedNew[p.n] {
			continue
		}
		usedOld[p.o], usedNew[p.n] = true, true
		c.Renamed = append(c.Renamed, Rename{Old: removed[p.o], New: added[p.n], Why: p.why})
		c.Moved = append(c.Moved, moves(removed[p.o], added[p.n])...)
	}
	sort.SliceStable(c.Renamed, func(a, b int) bool { return c.Renamed[a].New.Order < c.Renamed[b].New.Order })
	sort.SliceStable(c.Moved, func(a, b int) bool { return c.Moved[a].Institution.Order < c.Moved[b].Institution.Order })
	for i, o := range removed {
		if !usedOld[i] {
			c.Removed = append(c.Removed, o)
		}
	}
	for j, n := range added {
		if !usedNew[j] {
			c.Added = append(c.Added, n)
		}
	}
	return c
}

// moves lists the targets of n that moved by more than half from o's.
func moves(o, n Institution) []Move {
	var ms []Move
	for k := range 4 {
		a, b := o.Targets.Get(k), n.Targets.Get(k)
		d := b - a
		if d < 0 {
			d = -d
		}
		if a != b && (a == 0 || b == 0 || d*2 > a) {
			ms = append(ms, Move{n, k + 1, a, b})
		}
	}
	return ms
}

// genericSuffixes end most institutions' names; what is left is the short
// name people use (常交技).
var genericSuffixes = []string{"国家职业技能鉴定所", "国家职业技能鉴定站", "职业技能鉴定所", "职业技能鉴定站", "职业技能鉴定中心", "技能鉴定所", "鉴定所", "鉴定站", "鉴定中心"}

// ShortName is an institution's name without its generic ending:
// 常交技国家职业技能鉴定所 is 常交技.
func ShortName(name string) string {
	for _, s := range genericSuffixes {
		if short, ok := strings.CutSuffix(name, s); ok && short != "" {
			return short
		}
	}
	return name
}

// alike says whether two names likely name the same institution, why (in
// Chinese), how sure (class 0 surest) and their short names' distance.
func alike(old, now string) (why string, class, dist int, ok bool) {
	so, sn := ShortName(old), ShortName(now)
	ro, rn := []rune(so), []rune(sn)
	dist = Distance(ro, rn)
	switch {
	case so == sn:
		return fmt.Sprintf("简称都是「%s」", so), 0, dist, true
	case len(ro) >= 2 && strings.Contains(now, so):
		return fmt.Sprintf("新名称中含有原简称「%s」", so), 0, dist, true
	case len(rn) >= 2 && strings.Contains(old, sn):
		return fmt.Sprintf("原名称中含有新简称「%s」", sn), 0, dist, true
	case dist >= 1 && dist <= min(len(ro), len(rn))/3:
		return fmt.Sprintf("名称只差 %d 个字", dist), 1, dist, true
	case abbreviates(ro, rn):
		return fmt.Sprintf("原简称「%s」像是「%s」的缩写", so, sn), 1, dist, true
	case abbreviates(rn, ro):
		return fmt.Sprintf("新简称「%s」像是「%s」的缩写", sn, so), 1, dist, true
	}
	return "", 0, 0, false
}

// abbreviates reports whether short is an abbreviation of long: at least
// two characters, the same first one, all of them in long in order
// (常交技 of 常州交通技师学院).
func abbreviates(short, long []rune) bool {
	if len(short) < 2 || len(short) >= len(long) || short[0] != long[0] {
		return false
	}
	i := 0
	for _, r := range long {
		if i < len(short) && short[i] == r {
			i++
		}
	}
	return i == len(short)
}

// Distance is the Levenshtein distance of two rune strings.
func Distance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Lines are the changes for people, in Chinese, one per line (a likely
// rename's advice on indented lines after it), naming each new row where
// place says it was read (e.g. 附件2!A13). dir is the folder the new
// standard goes to, for the commands the advice gives.
func (c Changes) Lines(place func(row, col int) string, dir string) []string {
	var ls []string
	at := func(in Institution, col int) string {
		if p := place(in.Order, col); p != "" {
			return "（" + p + "）"
		}
		return ""
	}
	for _, r := range c.Renamed {
		ls = append(ls, fmt.Sprintf("可能改名：%d 年的「%s」→「%s」%s，%s。", c.From, r.Old.Name, r.New.Name, at(r.New, 0), r.Why))
		ls = append(ls, c.renameAdvice(r, dir)...)
	}
	for _, in := range c.Added {
		ls = append(ls, fmt.Sprintf("新增：「%s」%s，%d 年的分配表中没有它。", in.Name, at(in, 0), c.From))
	}
	for _, o := range c.Removed {
		ls = append(ls, fmt.Sprintf("减少：%d 年的「%s」不在新的分配表中，不再考核它；如果它其实是改了名称：给它下发新名称的自评表，查历史用原名称，或者把附件2中的新名称改回原名称后重新生成。", c.From, o.Name))
	}
	for _, m := range c.Moved {
		change := "取消（改为 0）"
		switch {
		case m.Old == 0:
			change = "新设"
		case m.New != 0:
			d := m.New - m.Old
			sign := "+"
			if d < 0 {
				sign, d = "−", -d
			}
			change = sign + percent(d, m.Old)
		}
		where := ""
		if p := place(m.Institution.Order, m.Col); p != "" {
			where = "，" + p
		}
		ls = append(ls, fmt.Sprintf("目标变动超过一半：「%s」%s %d → %d（%s%s）。", m.Institution.Name, AllocationColumns[m.Col], m.Old, m.New, change, where))
	}
	return ls
}

// renameAdvice says what a rename does to an institution's history and
// what the centre should do about it, on indented lines.
func (c Changes) renameAdvice(r Rename, dir string) []string {
	ls := []string{fmt.Sprintf("    kaohe 按鉴定机构名称记录上传（台账）和成绩，不会自动把两个名称当作同一个机构：往年的汇总排名表和台账中它仍叫「%s」，查它的历史请用旧名称；旧名称的自评表会被退回。", r.Old.Name)}
	if c.From == c.Year {
		ls = append(ls, fmt.Sprintf("    本年度已收到的它的上传记在旧名称下，换用这个标准后不再计入，「%s」会显示为未提交，需要它用新的自评表重新提交。", r.New.Name))
	}
	return append(ls,
		fmt.Sprintf("    如确是同一机构改名：保留新名称，用 kaohe template --standard %s --out 自评表%d --institution %s 给它下发新的自评表，并告知它不要再用旧表。", dir, c.Year, r.New.Name),
		"    如是附件2中写错了名称：改正附件2后重新运行 kaohe standard new；如不是同一机构：不用处理。")
}
