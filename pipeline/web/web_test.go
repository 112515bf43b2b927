package web

import (
	"strings"
	"testing"
)

// TestUploadAccepted: a filled workbook uploaded through its institution's
// link is answered 已接受 with the verified score of every item, put into
// the inbox under the institution's folder, and listed in its history.
func TestUploadAccepted(t *testing.T) {
	f := newFixture(t, nil)
	code, body := f.upload("常柴", "常柴 自评表.xlsx", f.workbook("常柴", nil))
	if code != 200 {
		t.Fatalf("status %d\n%s", code, body)
	}
	for _, want := range []string{"校验结果：<span class=\"verdict\">已接受</span>", "核定分", "评分依据", "1. ", "9. ", "下载回执", "✔ 计入排名", "待汇总"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	files := f.inboxFiles()
	if len(files) != 1 || !strings.HasPrefix(files[0], "常柴国家职业技能鉴定所/") || !strings.HasSuffix(files[0], "-常柴_自评表.xlsx") {
		t.Errorf("inbox: %q", files)
	}
}
