package bot

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	testOktaID = "00u1a2b3c4D5E6F7g8h9"
	testRunID  = "run-abcdefgh234567xy"
)

type parseCase struct {
	name    string
	command string
	text    string
	want    Command
	wantErr string // a piece of the English explanation; "" means success
}

func parseCases() []parseCase {
	diag := func(u UserRef, app string) Command { return Command{Name: CmdDiagnose, User: u, App: app} }
	login := func(s string) UserRef { return UserRef{Login: s} }
	slack := func(s string) UserRef { return UserRef{SlackID: s} }
	okta := func(s string) UserRef { return UserRef{OktaID: s} }
	audit := func(c Command) Command { c.Name = CmdAudit; return c }
	const (
		errNoUser     = "Say which user to diagnose"
		errNotUser    = "USER must be a Slack mention"
		errChannel    = "USER is a channel"
		errGroup      = "USER is a user group"
		errSpecial    = "USER is a special mention"
		errAtName     = "arrived as plain text"
		errUnclosed   = "not closed with >"
		errAppMention = "APP cannot be a mention"
		errControl    = "control character"
		errLong       = "longer than 500 characters"
		errUTF8       = "not valid UTF-8"
		errUnknown    = "Unknown command"
		errRun        = "RUN must be a run ID"
		errAuditNone  = "Say whose audit trail"
		errAuditMany  = "exactly one of USER, APP or RUN"
	)
	return []parseCase{
		// Commands.
		{"slash", "/okta-diagnose", "alice", diag(login("alice"), ""), ""},
		{"no slash", "okta-diagnose", "alice", diag(login("alice"), ""), ""},
		{"command case and space", " /OKTA-Diagnose ", "alice", diag(login("alice"), ""), ""},
		{"renamed command", "/okta-diagnose2", "alice", Command{}, errUnknown},
		{"bare name", "/diagnose", "alice", Command{}, errUnknown},
		{"empty command", "", "alice", Command{}, errUnknown},
		{"other command", "/giphy", "cat", Command{}, errUnknown},

		// diagnose: USER forms.
		{"login", "/okta-diagnose", "alice.smith", diag(login("alice.smith"), ""), ""},
		{"email", "/okta-diagnose", "alice@example.com", diag(login("alice@example.com"), ""), ""},
		{"mailto", "/okta-diagnose", "<mailto:alice@example.com|alice@example.com>", diag(login("alice@example.com"), ""), ""},
		{"mailto without label", "/okta-diagnose", "<mailto:alice@example.com>", diag(login("alice@example.com"), ""), ""},
		{"mailto and app", "/okta-diagnose", "<mailto:alice@example.com|alice@example.com> Slack", diag(login("alice@example.com"), "Slack"), ""},
		{"linked domain-like login", "/okta-diagnose", "<http://alice.example|alice.example> Box", diag(login("alice.example"), "Box"), ""},
		{"mailto label with space", "/okta-diagnose", "<mailto:a@b.c|a b>", Command{}, errNotUser},
		{"mailto empty label", "/okta-diagnose", "<mailto:a@b.c|>", Command{}, errNotUser},
		{"escaped ampersand in login", "/okta-diagnose", "o&amp;m@example.com", diag(login("o&m@example.com"), ""), ""},
		{"okta id", "/okta-diagnose", testOktaID, diag(okta(testOktaID), ""), ""},
		{"okta id too short is a login", "/okta-diagnose", "00u1a2b3", diag(login("00u1a2b3"), ""), ""},
		{"okta id too long is a login", "/okta-diagnose", testOktaID + "x", diag(login(testOktaID+"x"), ""), ""},
		{"okta id bad alphabet is a login", "/okta-diagnose", "00u1a2b3c4D5E6F7g8h-", diag(login("00u1a2b3c4D5E6F7g8h-"), ""), ""},
		{"mention", "/okta-diagnose", "<@U123ABC>", diag(slack("U123ABC"), ""), ""},
		{"mention with name", "/okta-diagnose", "<@U123ABC|alice>", diag(slack("U123ABC"), ""), ""},
		{"mention with spaced name", "/okta-diagnose", "<@U123ABC|Alice Smith> Google Workspace", diag(slack("U123ABC"), "Google Workspace"), ""},
		{"enterprise mention", "/okta-diagnose", "<@W0ABCDEF12|bob> Slack", diag(slack("W0ABCDEF12"), "Slack"), ""},
		{"mention glued to app", "/okta-diagnose", "<@U1>Slack", diag(slack("U1"), "Slack"), ""},
		{"lower-case mention", "/okta-diagnose", "<@u123abc>", Command{}, errNotUser},
		{"bot mention", "/okta-diagnose", "<@B123ABC>", Command{}, errNotUser},
		{"empty mention", "/okta-diagnose", "<@>", Command{}, errNotUser},
		{"channel", "/okta-diagnose", "<#C123ABC|general> Slack", Command{}, errChannel},
		{"channel without name", "/okta-diagnose", "<#C123ABC>", Command{}, errChannel},
		{"user group", "/okta-diagnose", "<!subteam^S123ABC|@admins>", Command{}, errGroup},
		{"here", "/okta-diagnose", "<!here> Slack", Command{}, errSpecial},
		{"channel broadcast", "/okta-diagnose", "<!channel>", Command{}, errSpecial},
		{"plain @name", "/okta-diagnose", "@alice Slack", Command{}, errAtName},
		{"unclosed mention", "/okta-diagnose", "<@U123ABC Slack", Command{}, errUnclosed},
		{"nested bracket", "/okta-diagnose", "<<@U1> Slack", Command{}, errNotUser},
		{"raw bracket in login", "/okta-diagnose", "alice<@U1>", Command{}, errNotUser},
		{"stray closing bracket", "/okta-diagnose", "alice> Slack", Command{}, errNotUser},
		{"empty diagnose", "/okta-diagnose", "", Command{}, errNoUser},
		{"blank diagnose", "/okta-diagnose", " \t\u3000 ", Command{}, errNoUser},

		// diagnose: APP.
		{"app", "/okta-diagnose", "alice Slack", diag(login("alice"), "Slack"), ""},
		{"app with spaces", "/okta-diagnose", "alice Google Workspace", diag(login("alice"), "Google Workspace"), ""},
		{"inner spacing kept", "/okta-diagnose", "alice  Google  Workspace  ", diag(login("alice"), "Google  Workspace"), ""},
		{"tabs", "/okta-diagnose", "\talice\tGoogle Workspace\t", diag(login("alice"), "Google Workspace"), ""},
		{"newline separator", "/okta-diagnose", "alice\nSlack\n", diag(login("alice"), "Slack"), ""},
		{"ideographic space", "/okta-diagnose", "alice\u3000Slack", diag(login("alice"), "Slack"), ""},
		{"ideographic spaces around", "/okta-diagnose", "\u3000\u3000alice\u3000\u3000営業 ポータル\u3000", diag(login("alice"), "営業 ポータル"), ""},
		{"no-break space", "/okta-diagnose", "alice\u00a0Slack\u00a0", diag(login("alice"), "Slack"), ""},
		{"zero-width space", "/okta-diagnose", "\u200balice@example.com\u200b Slack\ufeff", diag(login("alice@example.com"), "Slack"), ""},
		{"double quotes", "/okta-diagnose", `alice "Google Workspace"`, diag(login("alice"), "Google Workspace"), ""},
		{"single quotes", "/okta-diagnose", `alice 'Google Workspace'`, diag(login("alice"), "Google Workspace"), ""},
		{"curly quotes", "/okta-diagnose", "alice “Google Workspace”", diag(login("alice"), "Google Workspace"), ""},
		{"curly single quotes", "/okta-diagnose", "alice ‘Box’", diag(login("alice"), "Box"), ""},
		{"japanese brackets", "/okta-diagnose", "alice「営業ポータル」", diag(login("alice「営業ポータル」"), ""), ""},
		{"japanese brackets spaced", "/okta-diagnose", "alice\u3000「営業ポータル」", diag(login("alice"), "営業ポータル"), ""},
		{"backticks", "/okta-diagnose", "alice `0oa1b2c3d4E5F6G7h8i9`", diag(login("alice"), "0oa1b2c3d4E5F6G7h8i9"), ""},
		{"spaces inside quotes trimmed", "/okta-diagnose", `alice " Slack "`, diag(login("alice"), "Slack"), ""},
		{"only one pair removed", "/okta-diagnose", `alice ""Slack""`, diag(login("alice"), `"Slack"`), ""},
		{"unbalanced quote kept", "/okta-diagnose", `alice "Slack`, diag(login("alice"), `"Slack`), ""},
		{"mismatched quotes kept", "/okta-diagnose", `alice "Slack'`, diag(login("alice"), `"Slack'`), ""},
		{"lone quote kept", "/okta-diagnose", `alice "`, diag(login("alice"), `"`), ""},
		{"empty quotes mean every app", "/okta-diagnose", `alice ""`, diag(login("alice"), ""), ""},
		{"inner quotes kept", "/okta-diagnose", `alice Bob's "Portal"`, diag(login("alice"), `Bob's "Portal"`), ""},
		{"escaped app", "/okta-diagnose", "alice AT&amp;T &lt;prod&gt;", diag(login("alice"), "AT&T <prod>"), ""},
		{"double escape undone once", "/okta-diagnose", "alice &amp;lt;", diag(login("alice"), "&lt;"), ""},
		{"linked app", "/okta-diagnose", "alice <http://Monday.com|Monday.com>", diag(login("alice"), "Monday.com"), ""},
		{"linked app in label", "/okta-diagnose", `alice "<http://Box.com|Box.com> Enterprise"`, diag(login("alice"), "Box.com Enterprise"), ""},
		{"okta app id", "/okta-diagnose", testOktaID + " 0oa1b2c3d4E5F6G7h8i9", diag(okta(testOktaID), "0oa1b2c3d4E5F6G7h8i9"), ""},
		{"mention as app", "/okta-diagnose", "alice <@U123ABC>", Command{}, errAppMention},
		{"channel in app", "/okta-diagnose", "alice Slack <#C1|x>", Command{}, errAppMention},
		{"unclosed link in app", "/okta-diagnose", "alice <http://x", Command{}, errUnclosed},
		{"japanese login and app", "/okta-diagnose", "山田@example.jp\u3000経費精算", diag(login("山田@example.jp"), "経費精算"), ""},

		// Text-wide rules.
		{"control character", "/okta-diagnose", "alice\x00 Slack", Command{}, errControl},
		{"escape character", "/okta-diagnose", "alice \x1b[31mSlack", Command{}, errControl},
		{"delete character", "/okta-status", "\x7f", Command{}, errControl},
		{"c1 control", "/okta-audit", "Slack\u009b", Command{}, errControl},
		{"bidi override", "/okta-diagnose", "alice \u202eSlack", Command{}, errControl},
		{"invalid utf-8", "/okta-diagnose", "alice \xff", Command{}, errUTF8},
		{"500 characters", "/okta-diagnose", "alice " + strings.Repeat("あ", 494), diag(login("alice"), strings.Repeat("あ", 494)), ""},
		{"501 characters", "/okta-diagnose", "alice " + strings.Repeat("あ", 495), Command{}, errLong},

		// status.
		{"status", "/okta-status", "", Command{Name: CmdStatus}, ""},
		{"status blank", "/okta-status", " \u3000", Command{Name: CmdStatus}, ""},
		{"status run", "/okta-status", testRunID, Command{Name: CmdStatus, RunID: testRunID}, ""},
		{"status run upper case", "/okta-status", strings.ToUpper(testRunID), Command{Name: CmdStatus, RunID: testRunID}, ""},
		{"status run in backticks", "/okta-status", "`" + testRunID + "`", Command{Name: CmdStatus, RunID: testRunID}, ""},
		{"status run quoted", "/okta-status", "“" + testRunID + "”", Command{Name: CmdStatus, RunID: testRunID}, ""},
		{"status run short", "/okta-status", "run-abc", Command{}, errRun},
		{"status run bad alphabet", "/okta-status", "run-abcdefgh234567x1", Command{}, errRun},
		{"status run no prefix", "/okta-status", "abcdefgh234567xy", Command{}, errRun},
		{"status two runs", "/okta-status", testRunID + " " + testRunID, Command{}, errRun},
		{"status user", "/okta-status", "alice", Command{}, errRun},
		{"status mention", "/okta-status", "<@U1>", Command{}, errAppMention},

		// audit.
		{"audit run", "/okta-audit", testRunID, audit(Command{RunID: testRunID}), ""},
		{"audit run upper", "/okta-audit", " RUN-ABCDEFGH234567XY ", audit(Command{RunID: testRunID}), ""},
		{"audit mention", "/okta-audit", "<@U123ABC|alice>", audit(Command{User: slack("U123ABC")}), ""},
		{"audit okta id", "/okta-audit", testOktaID, audit(Command{User: okta(testOktaID)}), ""},
		{"audit email", "/okta-audit", "alice@example.com", audit(Command{User: login("alice@example.com")}), ""},
		{"audit mailto", "/okta-audit", "<mailto:alice@example.com|alice@example.com>", audit(Command{User: login("alice@example.com")}), ""},
		{"audit quoted email", "/okta-audit", `"alice@example.com"`, audit(Command{User: login("alice@example.com")}), ""},
		{"audit app", "/okta-audit", "Slack", audit(Command{App: "Slack"}), ""},
		{"audit bare login is an app", "/okta-audit", "alice.smith", audit(Command{App: "alice.smith"}), ""},
		{"audit app with spaces", "/okta-audit", "Google\u3000Workspace", audit(Command{App: "Google\u3000Workspace"}), ""},
		{"audit quoted app", "/okta-audit", "“Google Workspace”", audit(Command{App: "Google Workspace"}), ""},
		{"audit app id", "/okta-audit", "0oa1b2c3d4E5F6G7h8i9", audit(Command{App: "0oa1b2c3d4E5F6G7h8i9"}), ""},
		{"audit app with at sign and spaces", "/okta-audit", "Team @ Work", audit(Command{App: "Team @ Work"}), ""},
		{"audit linked app", "/okta-audit", "<http://Box.com|Box.com>", audit(Command{App: "Box.com"}), ""},
		{"audit quoted run-like app", "/okta-audit", `""` + testRunID + `""`, audit(Command{App: `"` + testRunID + `"`}), ""},
		{"audit empty", "/okta-audit", "", Command{}, errAuditNone},
		{"audit empty quotes", "/okta-audit", `""`, Command{}, errAuditNone},
		{"audit mention and more", "/okta-audit", "<@U1> Slack", Command{}, errAuditMany},
		{"audit channel", "/okta-audit", "<#C123|general>", Command{}, errChannel},
		{"audit group", "/okta-audit", "<!subteam^S123|@ops>", Command{}, errGroup},
		{"audit plain @name", "/okta-audit", "@alice", Command{}, errAtName},
		{"audit mention inside app", "/okta-audit", "Slack <@U1>", Command{}, errAppMention},

		// help.
		{"help", "/okta-help", "", Command{Name: CmdHelp}, ""},
		{"help topic", "/okta-help", "diagnose", Command{Name: CmdHelp, Topic: CmdDiagnose}, ""},
		{"help topic with prefix", "/okta-help", "/okta-audit", Command{Name: CmdHelp, Topic: CmdAudit}, ""},
		{"help topic upper", "/okta-help", "\u3000Status", Command{Name: CmdHelp, Topic: CmdStatus}, ""},
		{"help unknown", "/okta-help", "<!channel>", Command{}, "ask for diagnose"},
		{"help scan", "/okta-help", "okta-scan", Command{Name: CmdHelp, Topic: CmdScan}, ""},

		// scan.
		{"scan label", "/okta-scan", "Zoom", Command{Name: CmdScan, App: "Zoom"}, ""},
		{"scan quoted label with spaces", "/okta-scan", ` "Acme  Wiki" `, Command{Name: CmdScan, App: "Acme  Wiki"}, ""},
		{"scan id", "/okta-scan", "0oa1zoom00000000000", Command{Name: CmdScan, App: "0oa1zoom00000000000"}, ""},
		{"scan escaped", "/okta-scan", "AT&amp;T", Command{Name: CmdScan, App: "AT&T"}, ""},
		{"scan nothing", "/okta-scan", "", Command{}, "Say which app to scan"},
		{"scan mention", "/okta-scan", "<@U1ABC>", Command{}, errAppMention},
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range parseCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.command, tc.text)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseCommand(%q, %q): %v", tc.command, tc.text, err)
				}
				if got != tc.want {
					t.Fatalf("ParseCommand(%q, %q)\n got %#v\nwant %#v", tc.command, tc.text, got, tc.want)
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseCommand(%q, %q) = %#v, %v; want a *UsageError", tc.command, tc.text, got, err)
			}
			if !strings.Contains(ue.Text.EN, tc.wantErr) {
				t.Errorf("error %q does not say %q", ue.Text.EN, tc.wantErr)
			}
			checkUsageError(t, ue)
		})
	}
}

// checkUsageError: both languages, the usage shown, and no Slack entity that would ping
// anyone if the bot posted it.
func checkUsageError(t *testing.T, ue *UsageError) {
	t.Helper()
	if ue.Text.EN == "" || ue.Text.JA == "" || ue.Error() != ue.Text.EN {
		t.Fatalf("usage error %#v: want both languages and Error() = EN", ue.Text)
	}
	if !strings.Contains(ue.Text.EN, "`/okta-") || !strings.Contains(ue.Text.JA, "`/okta-") {
		t.Errorf("usage error %#v does not show the usage", ue.Text)
	}
	for _, s := range []string{ue.Text.EN, ue.Text.JA} {
		if strings.Contains(s, "<@") || strings.Contains(s, "<!") || strings.Contains(s, "<#") {
			t.Errorf("usage error %q holds a Slack entity", s)
		}
	}
}

func TestUsage(t *testing.T) {
	all := Usage("")
	for _, n := range []CommandName{CmdDiagnose, CmdStatus, CmdAudit, CmdHelp} {
		u := Usage(n)
		if u.EN == "" || u.JA == "" {
			t.Errorf("Usage(%q) = %#v: want both languages", n, u)
		}
		if !strings.Contains(u.EN, "/okta-"+string(n)) || !strings.Contains(u.JA, "/okta-"+string(n)) {
			t.Errorf("Usage(%q) = %#v does not name the command", n, u)
		}
		if !strings.Contains(all.EN, u.EN) || !strings.Contains(all.JA, u.JA) {
			t.Errorf("Usage(\"\") lacks %q", n)
		}
	}
	if Usage("nope") != all {
		t.Error("Usage of an unknown name should be the whole help")
	}
}

func TestParseCommandUsageIsTheCommands(t *testing.T) {
	_, err := ParseCommand("/okta-status", "nope")
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.HasSuffix(ue.Text.EN, Usage(CmdStatus).EN) || !strings.HasSuffix(ue.Text.JA, Usage(CmdStatus).JA) {
		t.Fatalf("status error %v: want the status usage", err)
	}
	_, err = ParseCommand("/okta-nope", "")
	if !errors.As(err, &ue) || !strings.HasSuffix(ue.Text.EN, Usage("").EN) {
		t.Fatalf("unknown command error %v: want every usage", err)
	}
}

func TestUserRefString(t *testing.T) {
	for _, tc := range []struct {
		u    UserRef
		want string
	}{
		{UserRef{SlackID: "U123"}, "<@U123>"},
		{UserRef{OktaID: testOktaID}, testOktaID},
		{UserRef{Login: "alice@example.com"}, "alice@example.com"},
		{UserRef{}, ""},
	} {
		if got := tc.u.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.u, got, tc.want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, tc := range parseCases() {
		f.Add(tc.command, tc.text)
	}
	f.Fuzz(func(t *testing.T, command, text string) {
		got, err := ParseCommand(command, text)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseCommand(%q, %q): %v is not a *UsageError", command, text, err)
			}
			checkUsageError(t, ue)
			return
		}
		checkCommand(t, got)
		again, ok := renderCommand(got)
		if !ok {
			return
		}
		reparsed, err := ParseCommand("/okta-"+string(got.Name), again)
		if err != nil || reparsed != got {
			t.Fatalf("ParseCommand(%q, %q) = %#v\nrendered %q parses as %#v, %v", command, text, got, again, reparsed, err)
		}
	})
}

// checkCommand holds what every parsed command promises its handler.
func checkCommand(t *testing.T, c Command) {
	t.Helper()
	set := 0
	for _, s := range []string{c.User.SlackID, c.User.OktaID, c.User.Login} {
		if s != "" {
			set++
		}
	}
	switch {
	case c.User.SlackID != "" && !isSlackUserID(c.User.SlackID),
		c.User.OktaID != "" && !isOktaUserID(c.User.OktaID),
		c.RunID != "" && !isRunID(c.RunID),
		c.App != trimArgSpace(c.App),
		c.User.Login != "" && (strings.IndexFunc(c.User.Login, isArgSpace) >= 0 || strings.HasPrefix(c.User.Login, "@")),
		!utf8.ValidString(c.App) || !utf8.ValidString(c.User.Login):
		t.Fatalf("malformed %#v", c)
	}
	var ok bool
	switch c.Name {
	case CmdDiagnose:
		ok = set == 1 && c.RunID == "" && c.Topic == ""
	case CmdStatus:
		ok = set == 0 && c.App == "" && c.Topic == ""
	case CmdAudit:
		n := set
		if c.App != "" {
			n++
		}
		if c.RunID != "" {
			n++
		}
		ok = n == 1 && set <= 1 && c.Topic == ""
	case CmdHelp:
		ok = set == 0 && c.App == "" && c.RunID == ""
	case CmdScan:
		ok = set == 0 && c.App != "" && c.RunID == "" && c.Topic == ""
	}
	if !ok {
		t.Fatalf("%s: wrong fields set in %#v", c.Name, c)
	}
}

// renderCommand types c back as Slack would deliver it: the user's String(), the app in
// quotes, and Slack's escaping of &, < and > applied to what the user typed. ok is false
// when the result is over the length limit (escaping lengthens it).
func renderCommand(c Command) (string, bool) {
	var s string
	switch c.Name {
	case CmdDiagnose:
		s = renderUser(c.User)
		if c.App != "" {
			s += " " + renderApp(c.App)
		}
	case CmdStatus:
		s = c.RunID
	case CmdAudit:
		switch {
		case c.RunID != "":
			s = c.RunID
		case c.App != "":
			s = renderApp(c.App)
		default:
			s = renderUser(c.User)
		}
	case CmdHelp:
		s = string(c.Topic)
	case CmdScan:
		s = renderApp(c.App)
	}
	return s, utf8.RuneCountInString(s) <= maxCommandText
}

func renderUser(u UserRef) string {
	if u.SlackID != "" {
		return u.String()
	}
	return slackEscape(u.String())
}

func renderApp(app string) string { return `"` + slackEscape(app) + `"` }

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
