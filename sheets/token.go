package sheets

// The template token binds a workbook to its institution: when the centre
// configures a secret, each template carries an HMAC-SHA256 of the year and
// the institution's name in a hidden workbook-scope defined name whose value
// is a string constant ("…"), and a submission whose token does not match
// its 鉴定机构 is rejected (the check is the pipeline's: it holds the
// secret). Editing the name in the workbook, or filing with another
// institution's template, breaks the match; forging a token needs the secret.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// TokenName is the defined name holding a template's token.
const TokenName = "kaohe_token"

// tokenContext separates these MACs from any other use of the secret.
const tokenContext = "kaohe template token v1"

// Token is the token of institution's template for year: the hex HMAC-SHA256
// of the year and the name under secret. It is "" without a secret.
func Token(secret []byte, year int, institution string) string {
	if len(secret) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tokenContext + "\x00" + strconv.Itoa(year) + "\x00" + institution))
	return hex.EncodeToString(m.Sum(nil))
}

// TokenMatches reports, in constant time, whether got is the token of
// institution's template for year under secret.
func TokenMatches(secret []byte, year int, institution, got string) bool {
	want := Token(secret, year, institution)
	got = strings.ToLower(strings.TrimSpace(got))
	return want != "" && hmac.Equal([]byte(want), []byte(got))
}
