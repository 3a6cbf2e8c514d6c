package oktasim

import (
	"errors"
	"fmt"
	"strings"
)

// A small parser for Okta's SCIM-like filter and search expressions:
//
//	expr   = term { ("and" | "or") term }   ("and" binds tighter than "or")
//	term   = "(" expr ")" | "not" term | attr op value | attr "pr"
//	op     = eq | ne | sw | co | gt | ge | lt | le
//	value  = "string with \" escapes" | true | false | null | number
//
// Attributes are resolved by the caller, so the same parser serves users, apps and
// the System Log. An unknown attribute or a malformed expression is an error.

type expr interface {
	eval(get func(attr string) ([]string, bool)) (bool, error)
}

type binExpr struct {
	and  bool
	l, r expr
}

type notExpr struct{ e expr }

type cmpExpr struct {
	attr, op, value string
}

func (b binExpr) eval(get func(string) ([]string, bool)) (bool, error) {
	l, err := b.l.eval(get)
	if err != nil {
		return false, err
	}
	r, err := b.r.eval(get)
	if err != nil {
		return false, err
	}
	if b.and {
		return l && r, nil
	}
	return l || r, nil
}

func (n notExpr) eval(get func(string) ([]string, bool)) (bool, error) {
	v, err := n.e.eval(get)
	return !v, err
}

func (c cmpExpr) eval(get func(string) ([]string, bool)) (bool, error) {
	vals, known := get(c.attr)
	if !known {
		return false, fmt.Errorf("unknown attribute %q", c.attr)
	}
	if c.op == "pr" {
		return len(vals) > 0 && vals[0] != "", nil
	}
	for _, v := range vals {
		// Okta compares case-insensitively for string attributes like login and email.
		lv, lc := strings.ToLower(v), strings.ToLower(c.value)
		var m bool
		switch c.op {
		case "eq":
			m = lv == lc
		case "ne":
			m = lv != lc
		case "sw":
			m = strings.HasPrefix(lv, lc)
		case "co":
			m = strings.Contains(lv, lc)
		case "gt":
			m = v > c.value
		case "ge":
			m = v >= c.value
		case "lt":
			m = v < c.value
		case "le":
			m = v <= c.value
		}
		if m {
			return true, nil
		}
	}
	return false, nil
}

type tokenizer struct {
	s   string
	pos int
}

var errFilter = errors.New("invalid filter expression")

func (t *tokenizer) skip() {
	for t.pos < len(t.s) && (t.s[t.pos] == ' ' || t.s[t.pos] == '\t' || t.s[t.pos] == '\n') {
		t.pos++
	}
}

// next returns the next token; quoted strings come back with quoted=true, unescaped.
func (t *tokenizer) next() (tok string, quoted bool, err error) {
	t.skip()
	if t.pos >= len(t.s) {
		return "", false, nil
	}
	switch c := t.s[t.pos]; c {
	case '(', ')':
		t.pos++
		return string(c), false, nil
	case '"':
		var b strings.Builder
		t.pos++
		for t.pos < len(t.s) {
			c := t.s[t.pos]
			switch {
			case c == '\\' && t.pos+1 < len(t.s):
				b.WriteByte(t.s[t.pos+1])
				t.pos += 2
			case c == '"':
				t.pos++
				return b.String(), true, nil
			default:
				b.WriteByte(c)
				t.pos++
			}
		}
		return "", false, fmt.Errorf("%w: unterminated string", errFilter)
	default:
		start := t.pos
		for t.pos < len(t.s) && !strings.ContainsRune(" \t\n()\"", rune(t.s[t.pos])) {
			t.pos++
		}
		return t.s[start:t.pos], false, nil
	}
}

func (t *tokenizer) peek() string {
	save := t.pos
	tok, quoted, err := t.next()
	t.pos = save
	if err != nil || quoted {
		return ""
	}
	return strings.ToLower(tok)
}

func parseFilter(s string) (expr, error) {
	t := &tokenizer{s: s}
	e, err := t.parseOr()
	if err != nil {
		return nil, err
	}
	if tok, _, _ := t.next(); tok != "" {
		return nil, fmt.Errorf("%w: unexpected %q", errFilter, tok)
	}
	return e, nil
}

func (t *tokenizer) parseOr() (expr, error) {
	l, err := t.parseAnd()
	if err != nil {
		return nil, err
	}
	for t.peek() == "or" {
		_, _, _ = t.next()
		r, err := t.parseAnd()
		if err != nil {
			return nil, err
		}
		l = binExpr{and: false, l: l, r: r}
	}
	return l, nil
}

func (t *tokenizer) parseAnd() (expr, error) {
	l, err := t.parseTerm()
	if err != nil {
		return nil, err
	}
	for t.peek() == "and" {
		_, _, _ = t.next()
		r, err := t.parseTerm()
		if err != nil {
			return nil, err
		}
		l = binExpr{and: true, l: l, r: r}
	}
	return l, nil
}

func (t *tokenizer) parseTerm() (expr, error) {
	tok, quoted, err := t.next()
	if err != nil {
		return nil, err
	}
	switch {
	case tok == "" && !quoted:
		return nil, fmt.Errorf("%w: unexpected end", errFilter)
	case quoted:
		return nil, fmt.Errorf("%w: unexpected string %q", errFilter, tok)
	case tok == "(":
		e, err := t.parseOr()
		if err != nil {
			return nil, err
		}
		if c, _, _ := t.next(); c != ")" {
			return nil, fmt.Errorf("%w: missing )", errFilter)
		}
		return e, nil
	case strings.EqualFold(tok, "not"):
		e, err := t.parseTerm()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	case tok == ")":
		return nil, fmt.Errorf("%w: unexpected )", errFilter)
	}
	attr := tok
	op, q, err := t.next()
	if err != nil {
		return nil, err
	}
	op = strings.ToLower(op)
	if q {
		return nil, fmt.Errorf("%w: missing operator after %s", errFilter, attr)
	}
	switch op {
	case "pr":
		return cmpExpr{attr: attr, op: op}, nil
	case "eq", "ne", "sw", "co", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("%w: unknown operator %q", errFilter, op)
	}
	val, q, err := t.next()
	if err != nil {
		return nil, err
	}
	if !q {
		switch strings.ToLower(val) {
		case "true", "false", "null":
		default:
			if val == "" || strings.Trim(val, "0123456789.-") != "" {
				return nil, fmt.Errorf("%w: bad value %q for %s", errFilter, val, attr)
			}
		}
	}
	return cmpExpr{attr: attr, op: op, value: val}, nil
}
