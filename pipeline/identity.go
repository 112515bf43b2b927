package pipeline

// Who an upload is from. Three things can name an institution: the inbox
// subfolder it was uploaded into (an FTP account of its own, or the
// portal, writes there: the channel says who uploaded), its file name
// (2013-常柴国家职业技能鉴定所-自评表.xlsx, or a short name such as 常柴
// anywhere in it), and the workbook's 鉴定机构. An upload counts for the
// institution its folder names, else its file name, else its workbook; when
// the folder or the file name names one institution and the workbook
// another, it is refused with both names and replaces nothing. A refused
// upload still belongs to the institution something named, so that the
// report shows that institution 未通过校验 with the reason, not 未提交.

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"kaohe/sheets"
	"kaohe/templates"
)

// How an upload's institution was told, as people read it.
const (
	viaFolder   = "文件夹"
	viaFileName = "文件名"
	viaWorkbook = "自评表"
)

// claim is the institution an upload's place names: its folder, else its
// file name; zero when neither does.
type claim struct {
	inst string // the institution's name in the allocation
	via  string // viaFolder or viaFileName
}

// claimOf is what an inbox entry's name says of its institution.
func claimOf(std *templates.Standard, name string) claim {
	if dir, _, ok := strings.Cut(name, "/"); ok {
		if in, ok := folderInstitution(std, dir); ok {
			return claim{in, viaFolder}
		}
	}
	base := path.Base(name)
	if in, ok := namedIn(std, strings.TrimSuffix(base, path.Ext(base))); ok {
		return claim{in, viaFileName}
	}
	return claim{}
}

// folderInstitution is the institution a subfolder is named for: its full
// name, its short name (常柴), or a part of exactly one institution's name.
func folderInstitution(std *templates.Standard, dir string) (string, bool) {
	dir = strings.TrimSpace(dir)
	if utf8.RuneCountInString(dir) < 2 {
		return "", false
	}
	if ins := std.ByShortName(dir); len(ins) > 0 {
		return ins[0].Name, true
	}
	in, err := FindInstitution(std, dir)
	return in.Name, err == nil
}

// namedIn is the one institution whose name or short name (two characters
// at least) a file name holds. When several do, the longest name wins if
// every other is inside it (常武技 holds 常武); anything else is ambiguous
// and names none.
func namedIn(std *templates.Standard, s string) (string, bool) {
	hits := std.Called(s)
	if len(hits) == 0 {
		return "", false
	}
	sort.SliceStable(hits, func(i, j int) bool { return len(hits[i].As) > len(hits[j].As) })
	rest := strings.Replace(s, hits[0].As, " ", 1)
	for _, h := range hits[1:] {
		if strings.Contains(rest, h.As) {
			return "", false // another institution named beside it
		}
	}
	return hits[0].Institution, true
}

// attribute decides whose upload sub (the inbox entry name) is: it returns
// the institution, "" when nothing names a known one, and how it was told.
// An upload whose folder or file name names another institution than its
// workbook gets an error naming both.
func attribute(std *templates.Standard, name string, sub *sheets.Submission) (inst, via string) {
	cl := claimOf(std, name)
	wb := sub.Institution.Name
	switch {
	case cl.inst != "" && wb != "" && wb != cl.inst:
		label := "鉴定机构"
		if fd, ok := templates.FieldByName(templates.FieldInstitution); ok {
			label = fd.Label
		}
		where := "上传的文件夹"
		if cl.via == viaFileName {
			where = "文件名"
		}
		sub.Issues = append(sub.Issues, sheets.Issue{Severity: sheets.Error, File: sub.File, Field: templates.FieldInstitution, Label: label, Value: wb,
			Message: fmt.Sprintf("%s是「%s」，自评表却是「%s」的：一个机构不能提交另一个机构的自评表，这个文件不计入任何机构；"+
				"请在本机构的自评表中填写后上传", where, cl.inst, wb),
			Cause: fmt.Sprintf("the %s names %q, the workbook %q", map[string]string{viaFolder: "folder", viaFileName: "file name"}[cl.via], cl.inst, wb)})
		return cl.inst, cl.via
	case cl.inst != "":
		return cl.inst, cl.via
	case wb != "":
		return wb, viaWorkbook
	}
	return sub.Facts.Institution, "" // as written, for people to see; names no institution
}
