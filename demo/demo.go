package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// Store is what the demo reads from the bot's store: a run's state (to play the
// person asked for a manual step, and to know when a run ended) and the audit trail.
type Store interface {
	GetRun(ctx context.Context, id string) (remediation.Run, error)
	Audit(ctx context.Context, since time.Time, limit int) ([]remediation.AuditEntry, error)
}

// Bot is the bot as `serve` runs it, built by the caller from a configuration.
type Bot struct {
	Run   func(ctx context.Context) error // serves until ctx ends
	Store Store
	Close func() error
	// AuditPosted reads the ID of the last audit entry the audit channel received (the
	// outbox posts entries in batches and moves this cursor after each).
	AuditPosted func(ctx context.Context) (string, error)
}

// Options configure Run.
type Options struct {
	Locale remediation.Locale
	Out    io.Writer // the transcript
	// Logger receives the simulators' and the bot's logs (the demo passes a discarding
	// one by default: the transcript is the output).
	Logger *slog.Logger
	// StartBot builds the bot from cfg exactly as `serve` does.
	StartBot func(ctx context.Context, cfg config.Config) (Bot, error)
}

// preferred names the fix the demo's helpdesk picks first in a scenario when the
// diagnosis proposes it, instead of the first one proposed. On the app without the
// Features API re-assigning alone would heal the user; the demo resets the External ID
// instead, to show the manual Admin Console steps (provisioning off and on again) with
// their Done buttons.
func preferred(scenario string) string {
	if scenario == "features_unsupported" {
		return "reset_external_id"
	}
	return ""
}

// fixedByHand names the scenarios whose cause is the app's, not the user's: re-assigning
// alone heals nothing, so the proposed fix starts with the runbook's manual steps, and
// the demo's person fixes the cause in the (simulated) Admin Console during them.
func fixedByHand(scenario string) bool { return scenario == "app_credentials_invalid" }

// Run starts the simulated Okta org (with Slack's SCIM) and a simulated Slack
// workspace, starts the bot against them with the embedded store (watching the System
// Log), plays the incident of many users (see incident), then each scenario as people
// would in Slack: the helpdesk types /okta-diagnose, proposes the
// fix, is refused when approving their own request; the manager approves; the bot runs
// the steps in the thread (the helpdesk does the manual Admin Console steps and clicks
// Done), verifies, and diagnoses again. It fails unless every diagnosis names what the
// scenario expects and every fixable scenario ends healed.
func Run(ctx context.Context, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Nine stories in seconds: Okta's per-minute budgets (which the adapter paces itself
	// under) would make the demo wait for the next minute.
	okta, err := StartOkta(log, "127.0.0.1:0", oktasim.Limits{Apps: 10000, Logs: 10000, Users: 10000, Other: 10000})
	if err != nil {
		return err
	}
	defer okta.Close()
	ws, slackURL, stopSlack, err := startSlack(o.Locale)
	if err != nil {
		return err
	}
	defer stopSlack()
	policy, err := os.CreateTemp("", "okta-chatops-demo-policy-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(policy.Name())
	if _, err := policy.WriteString(incidentPolicy); err != nil {
		_ = policy.Close()
		return err
	}
	if err := policy.Close(); err != nil {
		return err
	}

	cfg := config.Config{
		SlackBotToken: botToken, SlackAppToken: appToken, SlackAPIURL: slackURL + "/api/",
		SlackSCIMToken: config.Secret(okta.SCIMToken), SlackSCIMURL: okta.URL + SCIMPath,
		OktaOrgURL: okta.URL, OktaAPIToken: config.Secret(okta.Token), OktaAllowHTTP: true,
		Approvers: []string{approver, approver2}, Requesters: []string{requester}, AuditChannel: auditChan, Locale: string(o.Locale),
		HTTPAddr: "127.0.0.1:0", VerifyTimeout: 2 * time.Second, ApprovalTTL: time.Hour,
		// The watcher polls the System Log every second and alerts in #okta-alerts.
		WatchInterval: time.Second, AlertChannel: alertChan, PolicyFile: policy.Name(),
	}
	bot, err := o.StartBot(ctx, cfg)
	if err != nil {
		return err
	}
	defer bot.Close()
	sctx, stop := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error { return bot.Run(sctx) })
	defer func() { stop(); _ = g.Wait() }()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ws.WaitConnected(wctx, 1); err != nil {
		return fmt.Errorf("the bot did not connect to the simulated Slack: %w", err)
	}

	p := &player{t: newTranscript(o.Out, o.Locale), ws: ws, okta: okta.Org, store: bot.Store, auditPosted: bot.AuditPosted, saved: map[string]oktasim.Capabilities{}}
	p.t.say(p.t.tr("okta-chatops demo — simulated Okta org %s, simulated Slack workspace %s; the bot runs as `serve` does, with the embedded store.",
		"okta-chatops デモ — シミュレートした Okta 組織 %s と Slack ワークスペース %s を使います。ボットは `serve` と同じ構成(組み込みストア)で動きます。", okta.URL, slackURL))
	p.t.say(p.t.tr("@helpdesk asks in #it-ops, @itmanager approves (a fix of many users also needs @secops); the bot alerts in #okta-alerts.",
		"#it-ops で @helpdesk が依頼し、@itmanager が承認します(多数のユーザーの一括対処には @secops の承認も必要です)。ボットは #okta-alerts にアラートを投稿します。"))
	var failed []string
	scenarios := oktasim.Scenarios()
	total := len(scenarios) + 1 // the incident of many users first, while the watcher's alert channel is quiet
	p.t.say("\n══ %d/%d %s ══", 1, total, p.t.tr("A SaaS clean-up deletes %d Zoom accounts: one alert, one approval request with two approvers, a canary, then batches",
		"SaaS 側の整理で Zoom アカウント %d 件が削除される: アラート 1 件、承認者 2 名の承認依頼 1 件、カナリア、そしてバッチ", incidentUsers))
	if err := p.incident(ctx); err != nil {
		p.t.say("✗ %v", err)
		failed = append(failed, "zoom_cleanup_incident")
	}
	for i, sc := range scenarios {
		title := sc.Title
		if o.Locale == remediation.JA && sc.TitleJA != "" {
			title = sc.TitleJA
		}
		p.t.say("\n══ %d/%d %s ══", i+2, total, title)
		if err := p.play(ctx, sc); err != nil {
			p.t.say("✗ %v", err)
			failed = append(failed, sc.Name)
		}
	}
	p.t.say("")
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenarios did not end as the troubleshooting guides describe: %s", len(failed), total, strings.Join(failed, ", "))
	}
	p.t.say(p.t.tr("Every scenario was diagnosed as the troubleshooting guides describe, and every fixable one was fixed and verified (%d/%d).",
		"すべてのシナリオをトラブルシューティング手順どおりに診断し、対処できるものはすべて対処して結果を確認しました(%d/%d)。", total, total))
	return p.checkAudit(ctx)
}

// checkAudit waits until the audit channel, fed from the audit trail through an
// outbox, caught up, and checks the trail's hash chain.
func (p *player) checkAudit(ctx context.Context) error {
	entries, err := p.store.Audit(ctx, time.Time{}, 0)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return errors.New("the audit trail is empty")
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(15 * time.Second)
	last := entries[len(entries)-1].ID
	for {
		if id, err := p.auditPosted(ctx); err == nil && id == last {
			break
		}
		select {
		case <-tick.C:
		case <-timeout:
			return fmt.Errorf("the audit channel did not receive all %d audit entries", len(entries))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := remediation.VerifyChain(entries[0].Prev, entries); err != nil {
		return err
	}
	p.t.say(p.t.tr("#okta-audit received all %d audit entries; the trail's hash chain shows no inconsistency.",
		"#okta-audit に監査ログ全 %d 件が投稿されました。ハッシュチェーンに不整合はありません。", len(entries)))
	return nil
}

type player struct {
	t     *transcript
	ws    *slacksim.Workspace
	okta  *oktasim.Org
	store Store
	// auditPosted reads the last audit entry ID the audit channel received.
	auditPosted func(ctx context.Context) (string, error)
	// saved holds an app's provisioning as the demo's person found it before turning it
	// off by hand, to turn it back on as it was.
	saved map[string]oktasim.Capabilities
}

// act prints what a person does, after everything that happened before it.
func (p *player) act(who, format string, args ...any) {
	p.t.flush(p.ws.AllMessages())
	p.t.say("👤 @%s %s", who, fmt.Sprintf(format, args...))
}

// planOf is the plan ID a propose_plan button carries (its value begins with it).
func planOf(b slacksim.Button) string { return strings.SplitN(b.Value, ":", 2)[0] }

// play diagnoses one scenario and, as the troubleshooting procedure orders it
// (re-assign first, then reset the External ID when re-assigning did not help), runs
// the proposed fixes until it is healed.
func (p *player) play(ctx context.Context, sc oktasim.Scenario) error {
	diag, err := p.diagnose(ctx, sc)
	if err != nil {
		return err
	}
	var got []string
	for _, b := range diag.Buttons() {
		if b.ActionID == "propose_plan" {
			got = append(got, planOf(b))
		}
	}
	for _, code := range sc.Expect {
		if !diag.Contains(code) {
			return fmt.Errorf("%s %v", p.t.tr("expected findings", "想定した検出結果"), sc.Expect)
		}
	}
	if !slices.Equal(got, sc.Plans) && !(len(got) == 0 && len(sc.Plans) == 0) {
		return fmt.Errorf("%s %v, %s %v", p.t.tr("proposed", "提案された対処"), got, p.t.tr("expected", "想定"), sc.Plans)
	}
	p.t.say("✓ %s %s", p.t.tr("named as the troubleshooting guides describe:", "トラブルシューティング手順どおりに特定:"), strings.Join(sc.Expect, ", "))
	if len(sc.HealedBy) == 0 && !fixedByHand(sc.Name) {
		return nil
	}
	tried := map[string]bool{}
	for attempt := 0; attempt < 3; attempt++ {
		next, ok := p.pick(sc, diag, tried)
		if !ok {
			break
		}
		tried[planOf(next)] = true
		run, err := p.fix(ctx, diag, next)
		if err != nil {
			return err
		}
		if diag, err = p.diagnose(ctx, sc); err != nil {
			return err
		}
		if run.State == remediation.StateSucceeded {
			if !diag.Contains("HEALTHY") {
				return errors.New(p.t.tr("the run succeeded but the diagnosis is not HEALTHY", "実行は成功しましたが、診断結果が HEALTHY になりません"))
			}
			p.t.say("✓ %s", p.t.tr("healed: the diagnosis is HEALTHY again", "解消: 診断結果が HEALTHY に戻りました"))
			return nil
		}
	}
	return errors.New(p.t.tr("no proposed fix healed it", "提案された対処では解消できませんでした"))
}

// pick chooses the next fix to try: the scenario's preferred one when proposed, else
// the first proposed one not tried yet.
func (p *player) pick(sc oktasim.Scenario, diag slacksim.Message, tried map[string]bool) (slacksim.Button, bool) {
	var first *slacksim.Button
	for _, b := range diag.Buttons() {
		if b.ActionID != "propose_plan" || tried[planOf(b)] {
			continue
		}
		if planOf(b) == preferred(sc.Name) {
			p.t.say("%s", p.t.tr("(Re-assigning alone would heal this user too; the demo resets the External ID to show the manual Admin Console steps of an app without the Features API.)",
				"(この例は再割り当てだけでも解消しますが、Features API 非対応アプリで管理コンソールの手動手順がどう進むかを見せるため、外部IDのリセットを選びます。)"))
			return b, true
		}
		if first == nil {
			first = &b
		}
	}
	if first == nil {
		return slacksim.Button{}, false
	}
	return *first, true
}

// diagnose types /okta-diagnose and waits for the diagnosis in the channel.
func (p *player) diagnose(ctx context.Context, sc oktasim.Scenario) (slacksim.Message, error) {
	text := sc.UserLogin + " " + sc.AppLabel
	p.t.flush(p.ws.AllMessages())
	p.t.say("\n👤 @helpdesk: /okta-diagnose %s", text)
	mark := time.Now()
	if _, err := p.ws.SlashCommand(ctx, requester, channel, "/okta-diagnose", text); err != nil {
		return slacksim.Message{}, err
	}
	m, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		return m.Channel == channel && !m.Ephemeral && m.ThreadTS == "" && !m.PostedAt.Before(mark) && m.Contains(sc.UserLogin)
	})
	p.t.flush(p.ws.AllMessages())
	return m, err
}

// fix clicks a proposed fix, tries to approve it as the requester (refused), approves
// it as the manager, plays the person in manual steps and follows the thread until
// the run ends.
func (p *player) fix(ctx context.Context, diag slacksim.Message, b slacksim.Button) (remediation.Run, error) {
	p.t.say("")
	p.act("helpdesk", "%s [%s]", p.t.tr("clicks", "がクリック"), b.Text)
	if _, err := p.ws.Click(ctx, requester, channel, diag.TS, b.ActionID, b.Value); err != nil {
		return remediation.Run{}, err
	}
	req, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		_, ok := m.Button("approve_run")
		return ok && p.t.printed[m.TS] == 0
	})
	if err != nil {
		return remediation.Run{}, err
	}
	p.t.flush(p.ws.AllMessages())
	approve, _ := req.Button("approve_run")
	runID := approve.Value

	p.t.say("")
	p.act("helpdesk", "%s [%s]", p.t.tr("clicks", "がクリック"), approve.Text)
	if _, err := p.ws.Click(ctx, requester, channel, req.TS, approve.ActionID, runID); err != nil {
		return remediation.Run{}, err
	}
	if _, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		return m.Ephemeral && m.EphemeralTo == requester && p.t.printed[m.TS] == 0
	}); err != nil {
		return remediation.Run{}, err
	}
	p.act("itmanager", "%s [%s]", p.t.tr("clicks", "がクリック"), approve.Text)
	if _, err := p.ws.Click(ctx, approver, channel, req.TS, approve.ActionID, runID); err != nil {
		return remediation.Run{}, err
	}
	clicked := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// A new line, or a Done button not clicked yet: one posted between the scan below
		// and the flush is printed already, yet still waits for its click.
		if _, err := p.waitFor(ctx, func(m slacksim.Message) bool {
			_, done := m.Button("confirm_step")
			return m.ThreadTS == req.TS && (p.t.printed[m.TS] == 0 || done && !clicked[m.TS])
		}); err != nil {
			return remediation.Run{}, err
		}
		// A Done button is the bot asking for a manual step.
		for _, m := range p.ws.Thread(channel, req.TS) {
			if done, ok := m.Button("confirm_step"); ok && !clicked[m.TS] {
				clicked[m.TS] = true
				if err := p.actAsPerson(ctx, runID, m, done); err != nil {
					return remediation.Run{}, err
				}
			}
		}
		p.t.flush(p.ws.AllMessages())
		run, err := p.store.GetRun(ctx, runID)
		if err != nil {
			return run, err
		}
		if run.State.Terminal() {
			// The outcome is posted in the thread and written into the request message.
			outcome := firstLineOf(run.Outcome.In(p.t.l))
			_, err := p.waitFor(ctx, func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains(outcome) })
			if err == nil {
				_, err = p.waitFor(ctx, func(m slacksim.Message) bool { return m.TS == req.TS && m.Contains(outcome) })
			}
			p.t.flush(p.ws.AllMessages())
			return run, err
		}
	}
	return remediation.Run{}, fmt.Errorf("run %s did not end within 30s", runID)
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if r := []rune(line); len(r) > 60 {
		return string(r[:60])
	}
	return line
}

// actAsPerson plays the person asked to switch provisioning in the Admin Console, then
// clicks Done.
func (p *player) actAsPerson(ctx context.Context, runID string, m slacksim.Message, done slacksim.Button) error {
	run, err := p.store.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	step := run.Steps[run.Cursor]
	appID := run.Target.AppID
	if step.Kind == remediation.StepRunbook {
		return p.doRunbookStep(ctx, run, m, done)
	}
	caps, err := p.okta.Provisioning(appID)
	if err != nil {
		return err
	}
	what := p.t.tr("turns provisioning back on in the Admin Console as it was", "管理コンソールでプロビジョニングを元の設定に戻し")
	if step.Kind == remediation.StepProvisioningOffMan && step.Status == remediation.StepWaiting {
		p.saved[appID] = caps
		caps.LifecycleCreate, caps.Profile, caps.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
		what = p.t.tr("turns provisioning off in the Admin Console", "管理コンソールでプロビジョニングを無効にし")
	} else if saved, ok := p.saved[appID]; ok {
		caps = saved
	}
	if err := p.okta.SetProvisioning(appID, caps); err != nil {
		return err
	}
	p.act("helpdesk", "%s → %s [%s]", what, p.t.tr("clicks", "クリック"), done.Text)
	_, err = p.ws.Click(ctx, requester, m.Channel, m.TS, done.ActionID, done.Value)
	return err
}

func (p *player) waitFor(ctx context.Context, match func(slacksim.Message) bool) (slacksim.Message, error) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err := p.ws.WaitMessage(wctx, match)
	if err != nil {
		return m, fmt.Errorf("waiting for the bot: %w", err)
	}
	return m, nil
}

// doRunbookStep plays the person asked for a manual step of an app-wide cause's runbook:
// at the step that asks for new credentials they enter them in the Admin Console (the
// simulated SaaS accepts Okta's credentials again); the other steps they just do. Then
// they click Done.
func (p *player) doRunbookStep(ctx context.Context, run remediation.Run, m slacksim.Message, done slacksim.Button) error {
	n := 0 // the step's number among the runbook's steps
	for i := 0; i <= run.Cursor; i++ {
		if run.Steps[i].Kind == remediation.StepRunbook {
			n++
		}
	}
	what := p.t.tr("does this step in the Admin Console", "管理コンソールでこの手順を実施し")
	if n == 2 && run.Finding == remediation.AppCredentialsInvalid {
		if err := p.okta.SetCredentialsValid(run.Target.AppID, true); err != nil {
			return err
		}
		what = p.t.tr("enters a new %s API token, Test API Credentials succeeds, saves", "%s の新しい API トークンを入力し、[Test API Credentials] の成功を確認して保存し", run.Target.AppLabel)
	}
	p.act("helpdesk", "%s → %s [%s]", what, p.t.tr("clicks", "クリック"), done.Text)
	_, err := p.ws.Click(ctx, requester, m.Channel, m.TS, done.ActionID, done.Value)
	return err
}
