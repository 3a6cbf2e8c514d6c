package oktaadapter

import "strings"

// quote renders s as a string literal of Okta's filter and search expressions (SCIM
// syntax: double quotes, backslash escapes), so a value containing `"` or ` or ` stays one
// value and cannot change the expression around it.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// and joins non-empty expressions with "and".
func and(exprs ...string) string {
	var parts []string
	for _, e := range exprs {
		if e != "" {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, " and ")
}

// or joins expressions with "or", in parentheses when there are several, so the group
// binds as one operand of an enclosing "and".
func or(exprs ...string) string {
	switch len(exprs) {
	case 0:
		return ""
	case 1:
		return exprs[0]
	}
	return "(" + strings.Join(exprs, " or ") + ")"
}
