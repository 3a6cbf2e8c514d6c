package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// The demo's workspace and cast.
const (
	demoRequester = "U0HELPDESK"
	demoApprover  = "U0ITMANAGER"
	demoChannel   = "C0ITOPS001"
	demoAudit     = "C0AUDIT001"
	demoBotToken  = "xoxb-demo-bot-token"
	demoAppToken  = "xapp-demo-app-token"
)

// runDemo: `okta-chatops demo` needs no credentials. It starts the simulated Okta org
// (with Slack's SCIM) and a simulated Slack workspace, runs the bot exactly as `serve`
// does (embedded store), and plays each seed scenario as people would in Slack: the
// helpdesk types /okta-diagnose, proposes the fix, is refused when approving their own
// request; the manager approves; the bot runs the steps in the thread (the helpdesk
// does the manual Admin Console steps and clicks Done), verifies, and diagnoses again.
// It prints the conversation and fails unless every diagnosis names what the seed
// expects and every fixable scenario ends healed.
func runDemo(ctx context.Context, e env) error {
	_, flags, err := parseArgs(e.args, nil, []string{"locale"})
	if err != nil {
		return err
	}
	locale, err := pickLocale(flags["locale"], e.src.Getenv("OKTA_CHATOPS_LOCALE"))
	if err != nil {
		return err
	}
	quiet := env{log: slog.New(slog.DiscardHandler), src: e.src}
	// Nine stories in seconds: Okta's per-minute budgets (which the adapter paces itself
	// under) would make the demo wait for the next minute.
	okta, err := startSim(quiet, "127.0.0.1:0", oktasim.Limits{Apps: 10000, Logs: 10000, Users: 10000, Other: 10000})
	if err != nil {
		return err
	}
	defer okta.Close()
	ws, slackURL, stopSlack, err := startSlack(locale)
	if err != nil {
		return err
	}
	defer stopSlack()

	cfg := config.Config{
		SlackBotToken: demoBotToken, SlackAppToken: demoAppToken, SlackAPIURL: slackURL + "/api/",
		SlackSCIMToken: config.Secret(okta.SCIMToken), SlackSCIMURL: okta.URL + scimPath,
		OktaOrgURL: okta.URL, OktaAPIToken: config.Secret(okta.Token), OktaAllowHTTP: true,
		Approvers: []string{demoApprover}, Requesters: []string{demoRequester}, AuditChannel: demoAudit, Locale: string(locale),
		HTTPAddr: "127.0.0.1:0", VerifyTimeout: 2 * time.Second, ApprovalTTL: time.Hour,
	}
	svc, err := newService(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer svc.close()
	sctx, stop := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error { return svc.run(sctx, quiet) })
	defer func() { stop(); _ = g.Wait() }()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ws.WaitConnected(wctx, 1); err != nil {
		return fmt.Errorf("the bot did not connect to the simulated Slack: %w", err)
	}

	p := &demoPlayer{e: e, l: locale, ws: ws, okta: okta.Org, store: svc.store, seen: map[string]int{}, saved: map[string]oktasim.Capabilities{},
		mentionRE: regexp.MustCompile(`<@(U[0-9A-Z]+)>`), dateRE: regexp.MustCompile(`<!date\^\d+\^[^|]*\|([^>]*)>`)}
	p.say(p.tr("okta-chatops demo — simulated Okta org %s, simulated Slack workspace %s; the bot runs as `serve` does, with the embedded store.",
		"okta-chatops デモ — シミュレートした Okta 組織 %s と Slack ワークスペース %s。ボットは `serve` と同じ構成(組み込みストア)で動きます。", okta.URL, slackURL))
	p.say(p.tr("@helpdesk asks in #it-ops, @itmanager approves.", "#it-ops で @helpdesk が依頼し、@itmanager が承認します。"))
	var failed []string
	scenarios := oktasim.Scenarios()
	for i, sc := range scenarios {
		title := sc.Title
		if locale == remediation.JA && sc.TitleJA != "" {
			title = sc.TitleJA
		}
		p.say("\n══ %d/%d %s ══", i+1, len(scenarios), title)
		if err := p.play(ctx, sc); err != nil {
			p.say("✗ %v", err)
			failed = append(failed, sc.Name)
		}
	}
	p.say("")
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenarios did not end as the troubleshooting guides describe: %s", len(failed), len(scenarios), strings.Join(failed, ", "))
	}
	p.say(p.tr("Every scenario was diagnosed as the guides describe, and every fixable one was fixed and verified (%d/%d).",
		"すべてのシナリオをガイドどおりに診断し、対処可能なものはすべて対処・確認しました(%d/%d)。", len(scenarios), len(scenarios)))
	// The audit channel is fed from the audit trail (an outbox): wait until it caught up.
	entries, err := svc.store.Audit(ctx, time.Time{}, 0)
	if err != nil || len(entries) == 0 {
		return err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(15 * time.Second)
	last := entries[len(entries)-1].ID
	for {
		// The outbox posts entries in batches and moves its cursor after each.
		if c, err := svc.store.Cursor(ctx, bot.AuditChannelCursor); err == nil && c == last {
			break
		}
		select {
		case <-tick.C:
		case <-timeout:
			return fmt.Errorf("the audit channel did not receive all %d audit entries", len(entries))
		}
	}
	if err := remediation.VerifyChain(entries[0].Prev, entries); err != nil {
		return err
	}
	p.say(p.tr("#okta-audit received all %d audit entries; the trail's hash chain is intact.", "#okta-audit に監査ログ全 %d 件が投稿されました。ハッシュチェーンは改ざんされていません。", len(entries)))
	return nil
}

// startSlack serves a simulated Slack workspace on loopback with the demo's cast.
func startSlack(l remediation.Locale) (*slacksim.Workspace, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	slackLocale := "en-US"
	if l == remediation.JA {
		slackLocale = "ja-JP"
	}
	url := "http://" + ln.Addr().String()
	ws := slacksim.New(slacksim.Options{BotToken: demoBotToken, AppToken: demoAppToken, BaseURL: url, PingInterval: 5 * time.Second})
	ws.AddUser(slacksim.User{ID: demoRequester, Name: "helpdesk", Email: "helpdesk@example.com", Locale: slackLocale})
	ws.AddUser(slacksim.User{ID: demoApprover, Name: "itmanager", Email: "itmanager@example.com", Locale: slackLocale})
	ws.AddChannel(demoChannel, "it-ops", true)
	ws.AddChannel(demoAudit, "okta-audit", true)
	srv := &http.Server{Handler: ws.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	stop := func() {
		ws.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
	return ws, url, stop, nil
}

type demoPlayer struct {
	e     env
	l     remediation.Locale
	ws    *slacksim.Workspace
	okta  *oktasim.Org
	store remediation.Store
	// seen counts the versions of each message already printed (1 + its edits).
	seen map[string]int
	// saved holds an app's provisioning as the demo's person found it before turning it
	// off by hand, to turn it back on as it was.
	saved map[string]oktasim.Capabilities
	// mentionRE and dateRE find Slack's mention and date markup.
	mentionRE, dateRE *regexp.Regexp
}

func (p *demoPlayer) say(format string, args ...any) { fmt.Fprintf(p.e.stdout, format+"\n", args...) }

func (p *demoPlayer) tr(en, ja string, args ...any) string {
	return remediation.Tf(en, ja, args...).In(p.l)
}

// play diagnoses one scenario and, following the seed's order (fix 1 first, then fix 2
// when fix 1 did not help), runs its fixes until it is healed.
func (p *demoPlayer) play(ctx context.Context, sc oktasim.Scenario) error {
	diag, err := p.diagnose(ctx, sc)
	if err != nil {
		return err
	}
	var got []string
	for _, b := range diag.Buttons() {
		if b.ActionID == "propose_plan" {
			got = append(got, strings.SplitN(b.Value, ":", 2)[0])
		}
	}
	for _, code := range sc.Expect {
		if !diag.Contains(code) {
			return fmt.Errorf("%s %v", p.tr("expected findings", "期待した検出結果"), sc.Expect)
		}
	}
	if !slices.Equal(got, sc.Plans) && !(len(got) == 0 && len(sc.Plans) == 0) {
		return fmt.Errorf("%s %v, %s %v", p.tr("proposed", "提案された対処"), got, p.tr("expected", "期待"), sc.Plans)
	}
	p.say("✓ %s %s", p.tr("named as the seed describes:", "ガイドどおりに特定:"), strings.Join(sc.Expect, ", "))
	if len(sc.HealedBy) == 0 {
		return nil
	}
	tried := map[string]bool{}
	for attempt := 0; attempt < 3; attempt++ {
		var next *slacksim.Button
		for _, b := range diag.Buttons() {
			if b.ActionID == "propose_plan" && !tried[strings.SplitN(b.Value, ":", 2)[0]] {
				b := b
				next = &b
				break
			}
		}
		if next == nil {
			break
		}
		tried[strings.SplitN(next.Value, ":", 2)[0]] = true
		run, err := p.fix(ctx, diag, *next)
		if err != nil {
			return err
		}
		if diag, err = p.diagnose(ctx, sc); err != nil {
			return err
		}
		if run.State == remediation.StateSucceeded {
			if !diag.Contains("HEALTHY") {
				return errors.New(p.tr("the run succeeded but the diagnosis is not HEALTHY", "実行は成功しましたが診断結果が HEALTHY ではありません"))
			}
			p.say("✓ %s", p.tr("healed: the diagnosis is HEALTHY again", "解消: 診断結果は HEALTHY に戻りました"))
			return nil
		}
	}
	return errors.New(p.tr("no proposed fix healed it", "提案された対処で解消できませんでした"))
}

// diagnose types /okta-diagnose and waits for the diagnosis in the channel.
func (p *demoPlayer) diagnose(ctx context.Context, sc oktasim.Scenario) (slacksim.Message, error) {
	text := sc.UserLogin + " " + sc.AppLabel
	p.say("\n👤 @helpdesk: /okta-diagnose %s", text)
	mark := time.Now()
	if _, err := p.ws.SlashCommand(ctx, demoRequester, demoChannel, "/okta-diagnose", text); err != nil {
		return slacksim.Message{}, err
	}
	m, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		return m.Channel == demoChannel && !m.Ephemeral && m.ThreadTS == "" && !m.PostedAt.Before(mark) && m.Contains(sc.UserLogin)
	})
	p.printNew()
	return m, err
}

// fix clicks a proposed fix, tries to approve it as the requester (refused), approves
// it as the manager, plays the person in manual steps and follows the thread until
// the run ends.
func (p *demoPlayer) fix(ctx context.Context, diag slacksim.Message, b slacksim.Button) (remediation.Run, error) {
	p.say("\n👤 @helpdesk %s [%s]", p.tr("clicks", "がクリック"), b.Text)
	if _, err := p.ws.Click(ctx, demoRequester, demoChannel, diag.TS, b.ActionID, b.Value); err != nil {
		return remediation.Run{}, err
	}
	req, err := p.waitFor(ctx, func(m slacksim.Message) bool { _, ok := m.Button("approve_run"); return ok && p.seen[m.TS] == 0 })
	if err != nil {
		return remediation.Run{}, err
	}
	p.printNew()
	approve, _ := req.Button("approve_run")
	runID := approve.Value

	p.say("\n👤 @helpdesk %s [%s]", p.tr("clicks", "がクリック"), approve.Text)
	if _, err := p.ws.Click(ctx, demoRequester, demoChannel, req.TS, approve.ActionID, runID); err != nil {
		return remediation.Run{}, err
	}
	if _, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		return m.Ephemeral && m.EphemeralTo == demoRequester && p.seen[m.TS] == 0
	}); err != nil {
		return remediation.Run{}, err
	}
	p.printNew()
	p.say("👤 @itmanager %s [%s]", p.tr("clicks", "がクリック"), approve.Text)
	if _, err := p.ws.Click(ctx, demoApprover, demoChannel, req.TS, approve.ActionID, runID); err != nil {
		return remediation.Run{}, err
	}
	clicked := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := p.waitFor(ctx, func(m slacksim.Message) bool { return m.ThreadTS == req.TS && p.seen[m.TS] == 0 }); err != nil {
			return remediation.Run{}, err
		}
		p.printNew()
		// A Done button is the bot asking for a manual step.
		for _, m := range p.ws.Thread(demoChannel, req.TS) {
			if done, ok := m.Button("confirm_step"); ok && !clicked[m.TS] {
				clicked[m.TS] = true
				if err := p.actAsPerson(ctx, runID, m, done); err != nil {
					return remediation.Run{}, err
				}
			}
		}
		run, err := p.store.GetRun(ctx, runID)
		if err != nil {
			return run, err
		}
		if run.State.Terminal() {
			// The outcome is posted in the thread and on the request message.
			outcome := firstLineOf(run.Outcome.In(p.l))
			_, err := p.waitFor(ctx, func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains(outcome) })
			if err == nil {
				_, err = p.waitFor(ctx, func(m slacksim.Message) bool { return m.TS == req.TS && m.Contains(outcome) })
			}
			p.printNew()
			return run, err
		}
	}
	return remediation.Run{}, fmt.Errorf("run %s did not end within 30s", runID)
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return shortenTo(line, 60)
}

func shortenTo(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// actAsPerson plays the person asked to switch provisioning in the Admin Console, then
// clicks Done.
func (p *demoPlayer) actAsPerson(ctx context.Context, runID string, m slacksim.Message, done slacksim.Button) error {
	run, err := p.store.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	step := run.Steps[run.Cursor]
	appID := run.Target.AppID
	caps, err := p.okta.Provisioning(appID)
	if err != nil {
		return err
	}
	if step.Kind == remediation.StepProvisioningOffMan && step.Status == remediation.StepWaiting {
		p.saved[appID] = caps
		caps.LifecycleCreate, caps.Profile, caps.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
	} else if saved, ok := p.saved[appID]; ok {
		caps = saved
	}
	if err := p.okta.SetProvisioning(appID, caps); err != nil {
		return err
	}
	p.say("👤 @helpdesk %s → %s [%s]", p.tr("does it in the Admin Console", "管理コンソールで実施"), p.tr("clicks", "クリック"), done.Text)
	_, err = p.ws.Click(ctx, demoRequester, m.Channel, m.TS, done.ActionID, done.Value)
	return err
}

func (p *demoPlayer) waitFor(ctx context.Context, match func(slacksim.Message) bool) (slacksim.Message, error) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err := p.ws.WaitMessage(wctx, match)
	if err != nil {
		return m, fmt.Errorf("waiting for the bot: %w", err)
	}
	return m, nil
}

// printNew prints the messages of #it-ops (and the private answers) not printed yet,
// and new versions of updated ones.
func (p *demoPlayer) printNew() {
	for _, m := range p.ws.AllMessages() {
		if m.Channel == demoAudit {
			continue
		}
		versions := 1 + len(m.Edits)
		if p.seen[m.TS] >= versions {
			continue
		}
		prefix, body := "🤖 #it-ops", m.Text()
		switch {
		case m.Ephemeral:
			prefix = "🤖 " + p.tr("(only to @%s)", "(@%s にのみ表示)", nameOf(m.EphemeralTo))
		case m.ThreadTS != "":
			prefix = "   🧵"
		case p.seen[m.TS] > 0:
			// An updated message: show what changed, not the whole message again.
			prefix = "🤖 #it-ops " + p.tr("(request updated)", "(依頼を更新)")
			prev := slacksim.Message{Blocks: m.Edits[len(m.Edits)-1].Blocks, TextArg: m.Edits[len(m.Edits)-1].Text}
			body = changedLines(prev.Text(), m.Text())
		}
		p.seen[m.TS] = versions
		p.say("%s %s", prefix, indentLines(p.readable(body), "      "))
	}
}

func nameOf(id string) string {
	switch id {
	case demoRequester:
		return "helpdesk"
	case demoApprover:
		return "itmanager"
	}
	return id
}

// readable renders Slack mrkdwn roughly the way a person sees it.
func (p *demoPlayer) readable(s string) string {
	s = p.mentionRE.ReplaceAllStringFunc(s, func(m string) string { return "@" + nameOf(p.mentionRE.FindStringSubmatch(m)[1]) })
	s = p.dateRE.ReplaceAllString(s, "$1")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&",
		":red_circle:", "🔴", ":large_yellow_circle:", "🟡", ":large_blue_circle:", "🔵", ":mag:", "🔍",
		":hammer_and_wrench:", "🛠", ":white_check_mark:", "✅", ":x:", "❌", ":arrow_forward:", "▶",
		":hourglass_flowing_sand:", "⏳", ":hourglass:", "⌛", ":no_entry_sign:", "🚫", ":no_entry:", "⛔",
		":ballot_box_with_check:", "☑", ":raising_hand:", "🙋", ":leftwards_arrow_with_hook:", "↩",
		":warning:", "⚠", ":ok_hand:", "👌", ":lock:", "🔒", ":repeat:", "🔁", ":arrows_counterclockwise:", "🔄").Replace(s)
}

// changedLines returns the lines of now that were not in before.
func changedLines(before, now string) string {
	had := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		had[l] = true
	}
	var out []string
	for _, l := range strings.Split(now, "\n") {
		if !had[l] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func indentLines(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }
