package templates

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
)

// Kind is the value type of a workbook field.
type Kind string

// The value types of spec/template.md.
const (
	KindInt   Kind = "int"   // whole number ≥ 0
	KindText  Kind = "text"  // free text
	KindYesNo Kind = "yesno" // 是 / 否
	KindScore Kind = "score" // number ≥ 0 with at most two decimals
)

// Role says who fills a field and whether it may stay blank.
type Role string

// The roles of spec/template.md.
const (
	RoleIdentity Role = "identity" // pre-filled by the centre, locked
	RoleRequired Role = "required" // filled by the institution, must not be blank
	RoleOptional Role = "optional" // filled by the institution, blank is 0 / 否 / ""
	RoleSelf     Role = "self"     // the institution's own score for an item
)

// Field is one workbook-scope defined name of the self-assessment workbook.
type Field struct {
	Name  string // defined name, e.g. "actual_certified"
	Label string // Chinese label, e.g. "职业资格取证人数 实际完成"
	Kind  Kind
	Role  Role
	Item  int    // the 附件1 item it belongs to, 0 for none
	Hint  string // input hint shown in the workbook
}

//go:embed fields.csv
var fieldsCSV []byte

// Fields is the workbook contract (spec/template.md) in its documented order.
var Fields = mustFields(fieldsCSV)

// FieldByName returns the field with the given defined name.
func FieldByName(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// The names of fields the program itself relies on.
const (
	FieldYear            = "template_year"
	FieldInstitution     = "inst_name"
	FieldActualAppraised = "actual_appraised"
	FieldActualCertified = "actual_certified"
	FieldActualPassed    = "actual_passed"
	FieldTargetCertified = "target_certified"
	FieldTargetAppraised = "target_appraised"
	FieldTargetUnified   = "target_unified_exam"
	FieldTargetHighSkill = "target_high_skill"
	FieldActualUnified   = "actual_unified_exam"
	FieldActualHighSkill = "actual_high_skill"
	FieldSelfPrefix      = "self_"
	FieldContactName     = "contact_name"
	FieldContactPhone    = "contact_phone"
)

// SelfField is the defined name of item n's self-score.
func SelfField(n int) string { return FieldSelfPrefix + strconv.Itoa(n) }

// DerivedMeasures are the quantities a rule may measure besides the
// numeric fields; the scoring package computes them.
var DerivedMeasures = map[string]string{
	"certified_over":    "取证超目标人数 max(0, 实际取证 − 目标取证)",
	"certified_short":   "取证低于目标人数 max(0, 目标取证 − 实际取证)",
	"pass_rate_percent": "合格率整数百分比 floor(100 × 合格人数 / 鉴定人数)，鉴定人数为 0 时为 0",
}

// IsMeasure reports whether a rule may refer to name.
func IsMeasure(name string) bool {
	if _, ok := DerivedMeasures[name]; ok {
		return true
	}
	f, ok := FieldByName(name)
	return ok && (f.Kind == KindInt || f.Kind == KindYesNo) && f.Name != FieldYear
}

func mustFields(b []byte) []Field {
	fs, err := parseFields(b)
	if err != nil {
		panic("templates/fields.csv: " + err.Error())
	}
	return fs
}

func parseFields(b []byte) ([]Field, error) {
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []Field
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		if len(row) != 6 {
			return nil, fmt.Errorf("line %d: want 6 columns", i+2)
		}
		item, err := strconv.Atoi(row[4])
		if err != nil {
			return nil, fmt.Errorf("line %d: item: %w", i+2, err)
		}
		f := Field{Name: row[0], Label: row[1], Kind: Kind(row[2]), Role: Role(row[3]), Item: item, Hint: row[5]}
		switch f.Kind {
		case KindInt, KindText, KindYesNo, KindScore:
		default:
			return nil, fmt.Errorf("line %d: unknown kind %q", i+2, f.Kind)
		}
		switch f.Role {
		case RoleIdentity, RoleRequired, RoleOptional, RoleSelf:
		default:
			return nil, fmt.Errorf("line %d: unknown role %q", i+2, f.Role)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("line %d: duplicate name %q", i+2, f.Name)
		}
		seen[f.Name] = true
		out = append(out, f)
	}
	return out, nil
}
