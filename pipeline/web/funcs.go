package web

import (
	"html/template"

	"kaohe/sheets"
)

// funcs are the pages' functions.
var funcs = template.FuncMap{
	// clean shows control and formatting characters of a text from an
	// upload escaped (html/template escapes the rest).
	"clean": sheets.PlainText,
	// zone names a time zone as people say it.
	"zone": func(name string) string {
		if name == "Asia/Shanghai" {
			return "北京时间"
		}
		return name
	},
}
