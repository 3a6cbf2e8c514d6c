package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// The slash-command parser is pure (strings in, a Command or a *UsageError out) so every
// rule of the slash commands can be tested and fuzzed without Slack. It reads the text the way
// Slack delivers it with "escape channels, users and links" on: mentions as <@U…|name>,
// links as <url|text>, and &, <, > escaped as &amp;, &lt;, &gt;. A raw < therefore only
// ever opens such an entity.

// CommandName is what a slash command asks for.
type CommandName string

// The slash commands, named without Slack's "/okta-" prefix.
const (
	CmdDiagnose CommandName = "diagnose"
	CmdStatus   CommandName = "status"
	CmdAudit    CommandName = "audit"
	CmdHelp     CommandName = "help"
	CmdScan     CommandName = "scan"
)

// maxCommandText bounds the text, in characters: no real argument comes near it, and a
// bound keeps a pasted log from reaching Okta as a search.
const maxCommandText = 500

// UserRef is the USER argument: exactly one of the fields is set.
type UserRef struct {
	SlackID string // from a mention <@U123ABC> or <@U123ABC|name>
	OktaID  string // 00u… (20 chars, Okta ID alphabet)
	Login   string // a login or email address, as typed (trimmed, Slack escapes undone)
}

// String renders the reference the way it can be typed back: a Slack mention, the Okta
// ID or the login. Parsing it again (with Slack's escaping of &, <, > applied to a
// login) gives the same UserRef.
func (u UserRef) String() string {
	switch {
	case u.SlackID != "":
		return "<@" + u.SlackID + ">"
	case u.OktaID != "":
		return u.OktaID
	}
	return u.Login
}

// IsZero reports whether no user was given.
func (u UserRef) IsZero() bool { return u == UserRef{} }

// Command is a parsed slash command.
type Command struct {
	Name CommandName
	// User: diagnose (required); audit (one of User, App, RunID).
	User UserRef
	// App: diagnose, the rest of the text after USER (empty = every app of the user);
	// audit, an app label, name or ID. Trimmed, one pair of surrounding quotes removed,
	// inner spacing kept as typed.
	App string
	// RunID: status (optional) and audit; always in the canonical lower case.
	RunID string
	// Topic: help, the command asked about; empty for all of them.
	Topic CommandName
}

// UsageError is bad input: Text says what is wrong and shows the usage, in both
// languages. It never repeats the input, so a crafted text (<!channel>…) cannot make
// the bot post a mention.
type UsageError struct{ Text remediation.Text }

// Error is the English text, for logs; users get Text in their locale.
func (e *UsageError) Error() string { return e.Text.EN }

// ParseCommand parses a slash command as Slack delivers it: the command
// ("/okta-diagnose", "/okta-status", "/okta-audit", "/okta-help", with or without the
// slash) and its text. Bad input gives a *UsageError; no input makes it panic.
func ParseCommand(command, text string) (Command, error) {
	name, ok := commandFromSlack(command)
	if !ok {
		return Command{}, usageError("", remediation.T(
			"Unknown command. These are the commands:",
			"不明なコマンドです。使えるコマンドは次のとおりです："))
	}
	switch {
	case !utf8.ValidString(text):
		return Command{}, usageError(name, remediation.T(
			"The text is not valid UTF-8.",
			"テキストが正しい UTF-8 ではありません。"))
	case utf8.RuneCountInString(text) > maxCommandText:
		return Command{}, usageError(name, remediation.Tf(
			"The text is longer than %d characters.",
			"テキストが %d 文字を超えています。", maxCommandText))
	case strings.IndexFunc(text, isRejectedRune) >= 0:
		return Command{}, usageError(name, remediation.T(
			"The text contains a control character; type it again rather than pasting it.",
			"テキストに制御文字が含まれています。貼り付けずに入力し直してください。"))
	}
	text = trimArgSpace(text)

	var cmd Command
	var why *UsageError
	switch name {
	case CmdDiagnose:
		cmd, why = parseDiagnose(text)
	case CmdStatus:
		cmd, why = parseStatus(text)
	case CmdAudit:
		cmd, why = parseAudit(text)
	case CmdHelp:
		cmd, why = parseHelp(text)
	case CmdScan:
		cmd, why = parseScan(text)
	}
	if why != nil {
		return Command{}, usageError(name, why.Text)
	}
	cmd.Name = name
	return cmd, nil
}

// commandFromSlack accepts the configured slash commands, with or without the slash and
// in any case. A renamed command is refused rather than guessed at.
func commandFromSlack(command string) (CommandName, bool) {
	c := strings.ToLower(strings.TrimSpace(command))
	c = strings.TrimPrefix(c, "/")
	if !strings.HasPrefix(c, "okta-") {
		return "", false
	}
	switch n := CommandName(strings.TrimPrefix(c, "okta-")); n {
	case CmdDiagnose, CmdStatus, CmdAudit, CmdHelp, CmdScan:
		return n, true
	}
	return "", false
}

// parseDiagnose reads USER [APP]. USER is the first word (a Slack entity is one word even
// when its name part holds spaces); APP is everything after it.
func parseDiagnose(text string) (Command, *UsageError) {
	if text == "" {
		return Command{}, badInput(
			"Say which user to diagnose.",
			"診断するユーザーを指定してください。")
	}
	word, rest, why := cutUserWord(text)
	if why != nil {
		return Command{}, why
	}
	user, why := parseUser(word)
	if why != nil {
		return Command{}, why
	}
	app, why := parseApp(rest)
	if why != nil {
		return Command{}, why
	}
	return Command{User: user, App: app}, nil
}

// parseStatus reads an optional run ID. Anything else is refused rather than looked up,
// since a typo would otherwise read as "no such run".
func parseStatus(text string) (Command, *UsageError) {
	if text == "" {
		return Command{}, nil
	}
	v, why := parseApp(text) // undoes Slack's escaping and the quotes or backticks of a pasted ID
	if why != nil {
		return Command{}, why
	}
	id := strings.ToLower(v)
	if !isRunID(id) {
		return Command{}, badInput(
			"RUN must be a run ID such as run-abcdefghijklmnop (shown on the approval request), or nothing.",
			"RUN には承認依頼に表示される実行 ID(run-abcdefghijklmnop のような形式)を指定するか、何も指定しないでください。")
	}
	return Command{RunID: id}, nil
}

// parseAudit reads exactly one of USER, APP or RUN. A run ID and the unambiguous user
// forms (a mention, an Okta user ID, an email address) are recognised; anything else is
// an app, which may contain spaces. A login without @ is therefore read as an app: the
// text cannot tell them apart.
func parseAudit(text string) (Command, *UsageError) {
	if text == "" {
		return Command{}, badInput(
			"Say whose audit trail to show: a user, an app or a run ID.",
			"監査ログの対象(ユーザー、アプリ、または実行 ID)を指定してください。")
	}
	if strings.HasPrefix(text, "<@") || strings.HasPrefix(text, "<#") || strings.HasPrefix(text, "<!") {
		word, rest, why := cutUserWord(text)
		if why != nil {
			return Command{}, why
		}
		if trimArgSpace(rest) != "" {
			return Command{}, badInput(
				"Give exactly one of USER, APP or RUN.",
				"USER、APP、RUN のいずれか 1 つだけを指定してください。")
		}
		user, why := parseUser(word)
		if why != nil {
			return Command{}, why
		}
		return Command{User: user}, nil
	}
	v, why := parseApp(text)
	if why != nil {
		return Command{}, why
	}
	switch {
	case v == "":
		return Command{}, badInput(
			"Say whose audit trail to show: a user, an app or a run ID.",
			"監査ログの対象(ユーザー、アプリ、または実行 ID)を指定してください。")
	case isRunID(strings.ToLower(v)):
		return Command{RunID: strings.ToLower(v)}, nil
	case strings.IndexFunc(v, isArgSpace) >= 0:
		return Command{App: v}, nil
	case isOktaUserID(v):
		return Command{User: UserRef{OktaID: v}}, nil
	case strings.HasPrefix(v, "@"):
		return Command{}, msgPlainAtName()
	case strings.Contains(v, "@"):
		return Command{User: UserRef{Login: v}}, nil
	}
	return Command{App: v}, nil
}

// parseHelp reads an optional command name, as "diagnose", "okta-diagnose" or
// "/okta-diagnose".
func parseHelp(text string) (Command, *UsageError) {
	if text == "" {
		return Command{}, nil
	}
	c := strings.TrimPrefix(strings.ToLower(text), "/")
	c = strings.TrimPrefix(c, "okta-")
	switch n := CommandName(c); n {
	case CmdDiagnose, CmdStatus, CmdAudit, CmdHelp, CmdScan:
		return Command{Topic: n}, nil
	}
	return Command{}, badInput(
		"Unknown command; ask for diagnose, scan, status, audit or help.",
		"不明なコマンドです。diagnose、scan、status、audit、help のいずれかを指定してください。")
}

// cutUserWord splits off USER. A Slack entity runs to its closing >, so the name part of
// <@U123|Jane Doe> stays with the mention.
func cutUserWord(text string) (word, rest string, why *UsageError) {
	if strings.HasPrefix(text, "<") {
		end := strings.IndexByte(text, '>')
		if end < 0 {
			return "", "", badInput(
				"A Slack mention or link is not closed with >.",
				"Slack のメンションまたはリンクが > で閉じられていません。")
		}
		return text[:end+1], text[end+1:], nil
	}
	if i := strings.IndexFunc(text, isArgSpace); i >= 0 {
		return text[:i], text[i:], nil
	}
	return text, "", nil
}

// parseUser reads one USER word. Channels, user groups and @here are refused by name
// because they look like people in the Slack composer.
func parseUser(word string) (UserRef, *UsageError) {
	notUser := badInput(
		"USER must be a Slack mention (@name), an Okta user ID (00u…), or a login or email address.",
		"USER には Slack メンション(@名前)、Okta ユーザー ID(00u…)、ログイン ID、またはメールアドレスを指定してください。")
	if strings.HasPrefix(word, "<") && strings.HasSuffix(word, ">") {
		inner := word[1 : len(word)-1]
		switch {
		case strings.ContainsAny(inner, "<>"):
			return UserRef{}, notUser
		case strings.HasPrefix(inner, "@"):
			id, _, _ := strings.Cut(inner[1:], "|")
			if !isSlackUserID(id) {
				return UserRef{}, notUser
			}
			return UserRef{SlackID: id}, nil
		case strings.HasPrefix(inner, "#"):
			return UserRef{}, badInput(
				"USER is a channel; mention one person (@name), or give their login or Okta user ID.",
				"USER がチャンネルです。1 人のユーザーをメンション(@名前)するか、ログインまたは Okta ユーザー ID を指定してください。")
		case strings.HasPrefix(inner, "!subteam^"):
			return UserRef{}, badInput(
				"USER is a user group; mention one person (@name), or give their login or Okta user ID.",
				"USER がユーザーグループです。1 人のユーザーをメンション(@名前)するか、ログインまたは Okta ユーザー ID を指定してください。")
		case strings.HasPrefix(inner, "!"):
			return UserRef{}, badInput(
				"USER is a special mention (@here, @channel…); mention one person (@name), or give their login or Okta user ID.",
				"USER が特殊なメンション(@here、@channel など)です。1 人のユーザーをメンション(@名前)するか、ログインまたは Okta ユーザー ID を指定してください。")
		}
		// Slack links an email address (<mailto:a@b.com|a@b.com>) or a login that looks
		// like a domain; the user meant the text they typed.
		word = linkText(inner)
	} else if strings.ContainsAny(word, "<>") {
		return UserRef{}, notUser
	}
	v := slackUnescape(word)
	switch {
	case v == "" || strings.IndexFunc(v, isArgSpace) >= 0:
		return UserRef{}, notUser
	case isOktaUserID(v):
		return UserRef{OktaID: v}, nil
	case strings.HasPrefix(v, "@"):
		return UserRef{}, msgPlainAtName()
	}
	return UserRef{Login: v}, nil
}

// msgPlainAtName explains a "@name" that reached the bot as plain text: Slack sends a
// real mention as <@U…>, so this is a name typed without picking the person.
func msgPlainAtName() *UsageError {
	return badInput(
		"\"@name\" arrived as plain text, not as a mention: pick the person from Slack's suggestions, or give their login or email address.",
		"「@名前」がメンションではなく文字列として届きました。Slack の候補からユーザーを選ぶか、ログインまたはメールアドレスを指定してください。")
}

// parseApp reads the free text of an app (or a pasted ID): links become the text shown,
// Slack's escaping is undone, and one pair of surrounding quotes is removed. A mention
// inside it means USER and APP were confused, so it is refused.
func parseApp(text string) (string, *UsageError) {
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '<')
		if open < 0 {
			b.WriteString(slackUnescape(text))
			break
		}
		end := strings.IndexByte(text[open:], '>')
		if end < 0 {
			return "", badInput(
				"A Slack mention or link is not closed with >.",
				"Slack のメンションまたはリンクが > で閉じられていません。")
		}
		inner := text[open+1 : open+end]
		switch {
		case strings.Contains(inner, "<"):
			return "", badInput(
				"A Slack mention or link is not closed with >.",
				"Slack のメンションまたはリンクが > で閉じられていません。")
		case strings.HasPrefix(inner, "@"), strings.HasPrefix(inner, "#"), strings.HasPrefix(inner, "!"):
			return "", badInput(
				"APP cannot be a mention: the user comes first, then the app's label, name or ID.",
				"APP にメンションは指定できません。ユーザーを先に、その後にアプリのラベル、名前、または ID を指定してください。")
		}
		b.WriteString(slackUnescape(text[:open]))
		b.WriteString(slackUnescape(linkText(inner)))
		text = text[open+end+1:]
	}
	return trimArgSpace(unquote(trimArgSpace(b.String()))), nil
}

// linkText is the visible text of a Slack link <url|text>, or the address of a bare
// <mailto:…> or <url>.
func linkText(inner string) string {
	if _, label, ok := strings.Cut(inner, "|"); ok {
		return label
	}
	return strings.TrimPrefix(inner, "mailto:")
}

// slackUnescape undoes the only escaping Slack applies to command text.
func slackUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
}

// unquote removes one pair of surrounding quotes: straight, curly and Japanese ones
// (what smart punctuation and Japanese input methods type), and backticks (what a
// copied code span keeps).
func unquote(s string) string {
	for _, q := range [...][2]string{
		{`"`, `"`}, {`'`, `'`}, {"`", "`"}, {"“", "”"}, {"‘", "’"}, {"”", "”"},
		{"「", "」"}, {"『", "』"}, {"＂", "＂"}, {"＇", "＇"},
	} {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return s[len(q[0]) : len(s)-len(q[1])]
		}
	}
	return s
}

// isArgSpace separates words: every Unicode space (the ideographic space U+3000 that
// Japanese input methods type between words, no-break spaces, tabs, newlines) and the
// invisible separators that copying from a web page leaves behind.
func isArgSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u2060' || r == '\ufeff'
}

func trimArgSpace(s string) string { return strings.TrimFunc(s, isArgSpace) }

// isRejectedRune: control characters other than whitespace, and the bidirectional
// overrides that make a text display differently from what it says.
func isRejectedRune(r rune) bool {
	switch {
	case isArgSpace(r):
		return false
	case unicode.IsControl(r):
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// isRunID matches remediation.NewRunID: "run-" and 16 lower-case base32 characters.
func isRunID(s string) bool {
	id, ok := strings.CutPrefix(s, "run-")
	if !ok || len(id) != 16 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// isOktaUserID matches an Okta user ID: "00u" and 17 letters or digits.
func isOktaUserID(s string) bool {
	if len(s) != 20 || !strings.HasPrefix(s, "00u") {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isSlackUserID matches a user ID as Slack writes it in a mention: U or W (Enterprise
// Grid) and upper-case letters or digits.
func isSlackUserID(s string) bool {
	if len(s) < 2 || len(s) > 32 || s[0] != 'U' && s[0] != 'W' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// usageError is what is wrong followed by the usage of the command (or of all of them).
func usageError(name CommandName, what remediation.Text) *UsageError {
	u := Usage(name)
	return &UsageError{Text: remediation.Text{
		EN: what.EN + "\n" + u.EN,
		JA: what.JA + "\n" + u.JA,
	}}
}

// Usage returns the help text for one command (or all when name is "" or unknown) in
// both languages.
func Usage(name CommandName) remediation.Text {
	switch name {
	case CmdDiagnose:
		return remediation.T(
			"`/okta-diagnose USER [APP]`: find why USER's accounts are not provisioned, in APP or in every app assigned to them. "+
				"USER comes first: a Slack mention (@name), an Okta user ID (00u…), or a login or email address. "+
				"APP: a label, name or ID (0oa…); it may contain spaces, quotes are optional.",
			"`/okta-diagnose USER [APP]`: USER のアカウントがプロビジョニングされない原因を、APP(省略時は割り当て済みのすべてのアプリ)について診断します。"+
				"USER は最初に指定します: Slack のメンション(@名前)、Okta のユーザー ID(00u…)、ログイン ID またはメールアドレスのいずれか。"+
				"APP: ラベル、名前、または ID(0oa…)。スペースを含めてもよく、引用符は任意です。")
	case CmdScan:
		return remediation.T(
			"`/okta-scan APP`: check every user assigned to APP (a label, name or ID, 0oa…) and sum up the provisioning failures per cause, with a fix for many users at once where one fits.",
			"`/okta-scan APP`: APP(ラベル、名前、または ID、0oa…)に割り当てられた全ユーザーを確認し、プロビジョニングの失敗を原因ごとにまとめます。複数のユーザーに同じ対処が使える場合は一括の対処を提案します。")
	case CmdStatus:
		return remediation.T(
			"`/okta-status [RUN]`: show where a run stands (RUN is the run ID shown on the approval request, run-…), or, without RUN, the latest runs.",
			"`/okta-status [RUN]`: 実行の状況を表示します(RUN は承認依頼に表示される実行 ID、run-…)。RUN を省略すると最新の実行を表示します。")
	case CmdAudit:
		return remediation.T(
			"`/okta-audit USER|APP|RUN`: show the audit trail of one user (a mention, an Okta user ID or an email address), one app (label, name or ID) or one run (run-…).",
			"`/okta-audit USER|APP|RUN`: 1 人のユーザー(メンション、Okta ユーザー ID、またはメールアドレス)、1 つのアプリ(ラベル、名前、または ID)、または 1 つの実行(run-…)の監査ログを表示します。")
	case CmdHelp:
		return remediation.T(
			"`/okta-help [COMMAND]`: show this help, for one command (diagnose, scan, status, audit, help) or for all.",
			"`/okta-help [COMMAND]`: このヘルプを、1 つのコマンド(diagnose、scan、status、audit、help)またはすべてについて表示します。")
	}
	var all remediation.Text
	for i, n := range []CommandName{CmdDiagnose, CmdScan, CmdStatus, CmdAudit, CmdHelp} {
		u := Usage(n)
		if i > 0 {
			all.EN += "\n"
			all.JA += "\n"
		}
		all.EN += u.EN
		all.JA += u.JA
	}
	return all
}

// badInput says what is wrong with the text; ParseCommand adds the usage.
func badInput(en, ja string) *UsageError { return &UsageError{Text: remediation.T(en, ja)} }
