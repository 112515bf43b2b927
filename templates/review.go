package templates

// The centre's verification (核查): which facts of the self-assessment
// workbook its 核查表 may replace, and which facts a measure is made of.

// Verifiable reports whether the centre may verify field f in its 核查表:
// every count and 是/否 an institution fills in (not its name, year,
// targets or self-scores).
func Verifiable(f Field) bool {
	return (f.Kind == KindInt || f.Kind == KindYesNo) && (f.Role == RoleRequired || f.Role == RoleOptional)
}

// VerifiableFields lists the fields the centre may verify, in the field
// table's order.
func VerifiableFields() []Field {
	var out []Field
	for _, f := range Fields {
		if Verifiable(f) {
			out = append(out, f)
		}
	}
	return out
}

// ActualFields are the five actual numbers of the centre's own records
// (核查表's 核定数据 sheet), in its column order.
var ActualFields = []string{FieldActualAppraised, FieldActualCertified, FieldActualUnified, FieldActualHighSkill, FieldActualPassed}

// MeasureFields are the fields a measure is computed from: the measure
// itself when it is a field, or the fields behind a derived measure.
func MeasureFields(measure string) []string {
	switch measure {
	case "certified_over", "certified_short":
		return []string{FieldActualCertified}
	case "pass_rate_percent":
		return []string{FieldActualPassed, FieldActualAppraised}
	}
	return []string{measure}
}
