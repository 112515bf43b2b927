package templates

import (
	"reflect"
	"testing"
)

// TestCalled: the index a Standard is loaded with finds what a scan of
// every institution finds, and a Standard changed after loading is still
// answered right.
func TestCalled(t *testing.T) {
	std, _, err := Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"2013-常柴国家职业技能鉴定所-自评表", "常柴", "常柴自评表（改）", "常武技", "常武", "常柴和常武",
		"自评表", "", "常", "x常坛y", "2013-常交技国家职业技能鉴定所", "常州\x80常柴",
	}
	for _, in := range std.Institutions {
		texts = append(texts, in.Name, ShortName(in.Name), "2013-"+in.Name+"-自评表(1)")
	}
	for _, text := range texts {
		got, want := std.Called(text), calledIn(std.Institutions, text)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Called(%q) = %v, a scan finds %v", text, got, want)
		}
	}
	if got := std.Called("2013-常柴国家职业技能鉴定所-自评表"); len(got) != 1 || got[0].As != "常柴国家职业技能鉴定所" {
		t.Errorf("Called(常柴's file name) = %v, want 常柴 by its full name", got)
	}
	if got := std.ByShortName("常柴"); len(got) != 1 || got[0].Name != "常柴国家职业技能鉴定所" {
		t.Errorf("ByShortName(常柴) = %v", got)
	}

	changed := *std
	changed.Institutions = append([]Institution{{Name: "新北国家职业技能鉴定所"}}, std.Institutions[1:]...)
	if got := changed.Called("新北-自评表"); len(got) != 1 || got[0].Institution != "新北国家职业技能鉴定所" {
		t.Errorf("after a change, Called(新北-自评表) = %v", got)
	}
	if got := changed.ByShortName("新北"); len(got) != 1 {
		t.Errorf("after a change, ByShortName(新北) = %v", got)
	}
	if got := changed.Called(std.Institutions[0].Name); len(got) != 0 {
		t.Errorf("after a change, the removed institution is still called: %v", got)
	}
	renamed, _, err := Load(2013)
	if err != nil {
		t.Fatal(err)
	}
	old := renamed.Institutions[0].Name
	renamed.Institutions[0].Name = "新北国家职业技能鉴定所" // in place: the index's hits are checked
	if got := renamed.Called(old); len(got) != 0 {
		t.Errorf("after a rename in place, Called(%s) = %v", old, got)
	}
}
