package remediation

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// internalRef finds references to documents admins have never seen, and words the
// Japanese console does not use.
func internalRef() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\bseed\b|seed ?0\d\d|DESIGN|§|\bfix [12]\b|対処方法 ?[12]|アサイン`)
}

// internalRefInAnyLiteral is internalRef for string literals outside the text
// catalogue, where "seed" alone is also a wire name (Okta's password "seed" setting).
func internalRefInAnyLiteral() *regexp.Regexp {
	return regexp.MustCompile(`(?i)seed ?0\d\d|(the|seed)('s)? (seed|fix|procedure|article)|DESIGN|§|\bfix [12]\b|対処方法 ?[12]|アサイン`)
}

// textCalls are the functions that build a user-facing text from an English and a
// Japanese string (remediation.T/Tf, the bot's t/tf, the report's and the demo's tr,
// refusals and parse errors).
func textCalls() map[string]bool {
	return map[string]bool{"T": true, "Tf": true, "t": true, "tf": true, "tr": true, "refuse": true, "badInput": true}
}

// catalogueText is one (en, ja) pair found in the source.
type catalogueText struct {
	pos    string
	en, ja string
}

// literal concatenates the string literals of e (a literal or a + of literals and
// other expressions); ok is false when e holds no literal at all.
func literal(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		l, lok := literal(x.X)
		r, rok := literal(x.Y)
		return l + "…" + r, lok || rok
	case *ast.ParenExpr:
		return literal(x.X)
	}
	return "", false
}

// catalogue collects every (en, ja) text built in the Go files of dirs.
func catalogue(t *testing.T, dirs ...string) []catalogueText {
	t.Helper()
	var out []catalogueText
	calls := textCalls()
	anyRef := internalRefInAnyLiteral()
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if _, ok := n.(*ast.Field); ok {
					return false // struct tags are wire names, not text
				}
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					// Any other literal (texts appended to a Text, log lines) is read by
					// someone too: it may not cite internal documents either.
					if s, err := strconv.Unquote(lit.Value); err == nil && anyRef.MatchString(s) {
						out = append(out, catalogueText{pos: fset.Position(lit.Pos()).String(), en: s, ja: s})
					}
					return true
				}
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 2 {
					return true
				}
				name := ""
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if !calls[name] {
					return true
				}
				en, enOK := literal(call.Args[0])
				ja, jaOK := literal(call.Args[1])
				if !enOK && !jaOK {
					return true // built from values, e.g. T(string(p), string(p))
				}
				out = append(out, catalogueText{pos: fset.Position(call.Pos()).String(), en: en, ja: ja})
				return true
			})
		}
	}
	return out
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}

// textProblems says what is wrong with one catalogue text.
func textProblems(c catalogueText) []string {
	var out []string
	ref := internalRef()
	if strings.TrimSpace(c.en) == "" || strings.TrimSpace(c.ja) == "" {
		out = append(out, "a language is missing")
	}
	for _, s := range []string{c.en, c.ja} {
		if m := ref.FindString(s); m != "" {
			out = append(out, "cites an internal document or uses a word the console does not ("+m+")")
		}
	}
	if c.en != c.ja && !hasJapanese(c.ja) {
		out = append(out, "the Japanese text is not Japanese")
	}
	if strings.Contains(c.ja, "External ID") && !strings.Contains(c.ja, "外部ID") {
		out = append(out, "Japanese says External ID, not 外部ID")
	}
	// Three English words in a row in a Japanese sentence are English left behind;
	// code, quotes of Okta's messages and console labels ([To App(アプリへ)]) aside.
	if c.en != c.ja {
		quoted := regexp.MustCompile("`[^`]*`|\"[^\"]*\"|「[^」]*」|\\[[^\\]]*\\]")
		if m := regexp.MustCompile(`\b[A-Za-z]{2,}( [A-Za-z]{2,}){2,}\b`).FindString(quoted.ReplaceAllString(c.ja, "")); m != "" {
			out = append(out, "English left in the Japanese text ("+m+")")
		}
	}
	return out
}

// Every text users read exists in both languages, names procedures rather than
// internal documents, and uses the Okta Japanese console's terms (docs/glossary.md).
func TestCatalogueTexts(t *testing.T) {
	texts := catalogue(t, ".", "../bot", "../report", "../demo")
	if len(texts) < 100 {
		t.Fatalf("found only %d texts: the scan is broken", len(texts))
	}
	for _, c := range texts {
		for _, p := range textProblems(c) {
			t.Errorf("%s: %s\n  en: %s\n  ja: %s", c.pos, p, c.en, c.ja)
		}
	}
}

// The check itself catches what it is meant to.
func TestTextProblems(t *testing.T) {
	bad := []catalogueText{
		{en: "Reset the External ID (fix 2)", ja: "外部IDをリセット"},
		{en: "as seed 000 says", ja: "手順どおり"},
		{en: "see DESIGN §6", ja: "手順どおり"},
		{en: "Re-assign", ja: "再アサイン"},
		{en: "Re-assign", ja: "Re-assign the app"},
		{en: "the seed's Slack procedure", ja: "手順"},
		{en: "Turn off Create Users", ja: "Create Users と Update User Attributes をオフにします"},
		{en: "Reset", ja: ""},
		{en: "Reset", ja: "External ID をリセット"},
	}
	for _, c := range bad {
		if len(textProblems(c)) == 0 {
			t.Errorf("not caught: %+v", c)
		}
	}
	if p := textProblems(catalogueText{en: "Reset the External ID", ja: "外部ID(External ID)をリセット"}); len(p) != 0 {
		t.Errorf("good text refused: %v", p)
	}
	if p := textProblems(catalogueText{en: "Turn off Create Users", ja: "[To App(アプリへ)] の [Create Users(ユーザーを作成)] を無効にし、Okta の \"No user returned for user\" を確認します"}); len(p) != 0 {
		t.Errorf("good text refused: %v", p)
	}
	// The caveats and the plan titles are in the catalogue the scan reads.
	for _, cv := range customTypeCaveats() {
		if len(textProblems(catalogueText{en: cv.text.EN, ja: cv.text.JA})) != 0 {
			t.Errorf("caveat: %v", cv.text)
		}
	}
}

// The scan of other literals finds internal references but not Okta's wire names.
func TestInternalRefInAnyLiteral(t *testing.T) {
	re := internalRefInAnyLiteral()
	for _, s := range []string{"reset_external_id, seed fix 2", "the seed's Slack procedure", "seed 000", "see DESIGN §6", "fix 1", "再アサイン"} {
		if !re.MatchString(s) {
			t.Errorf("not caught: %q", s)
		}
	}
	for _, s := range []string{`"seed":"RANDOM"`, "Seed", "seeded scenarios", "fix it"} {
		if re.MatchString(s) {
			t.Errorf("caught: %q", s)
		}
	}
}
