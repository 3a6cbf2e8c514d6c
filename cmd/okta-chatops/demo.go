package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/report"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/slackadmin"
	"github.com/okta-chatops/okta-chatops/storage"
)

// The demo's cast.
const (
	demoRequester = "U0HELPDESK"
	demoApprover  = "U0ITMANAGER"
)

// runDemo: `okta-chatops demo` needs no credentials. It starts the simulated Okta org
// (and Slack's SCIM) with the seed scenarios and, for each, diagnoses through the real
// adapter and SDK over HTTP, proposes the fix, approves it as a simulated manager,
// runs it on the engine (embedded store), verifies it and prints the conversation.
// It fails unless every diagnosis names what the seed expects and every fixable
// scenario ends healed.
func runDemo(ctx context.Context, e env) error {
	_, flags, err := parseArgs(e.args, nil, []string{"locale"})
	if err != nil {
		return err
	}
	locale, err := pickLocale(flags["locale"], e.src.Getenv("OKTA_CHATOPS_LOCALE"))
	if err != nil {
		return err
	}
	tr := func(en, ja string, args ...any) string { return remediation.Tf(en, ja, args...).In(locale) }

	// The demo plays nine stories in seconds; Okta's per-minute budgets (which the
	// adapter paces itself under) would make it wait for the next minute.
	s, err := startSim(e, "127.0.0.1:0", oktasim.Limits{Apps: 10000, Logs: 10000, Users: 10000, Other: 10000})
	if err != nil {
		return err
	}
	defer s.Close()
	okta, err := oktaadapter.New(ctx, oktaadapter.Config{OrgURL: s.URL, APIToken: s.Token, AllowHTTP: true, RequestTimeout: 10 * time.Second, Logger: e.log})
	if err != nil {
		return err
	}
	scim, err := slackadmin.NewSCIM(slackadmin.SCIMConfig{BaseURL: s.URL + scimPath, Token: s.SCIMToken, Logger: e.log})
	if err != nil {
		return err
	}
	store := storage.NewMemory(storage.MemoryOptions{})
	events := make(chan runEvent, 1024)
	eng := &remediation.Engine{
		Store: store, Scheduler: store, Okta: okta, SaaS: scim,
		Policy:   &remediation.Policy{Approvers: []string{demoApprover}, TTL: time.Hour},
		Notifier: chanNotifier(events), Logger: e.log, Owner: "demo",
		VerifyTimeout: 2 * time.Second, VerifyEvery: 100 * time.Millisecond,
		RetryBase: 200 * time.Millisecond, QueueRetry: 100 * time.Millisecond,
	}
	wctx, stop := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error { return eng.Work(wctx, 20*time.Millisecond, time.Second, 4) })
	defer func() { stop(); _ = g.Wait() }()

	d := &remediation.Diagnoser{Okta: okta, Logger: e.log}
	p := &demoPlayer{e: e, tr: tr, locale: locale, d: d, eng: eng, store: store, org: s.Org, events: events, saved: map[string]oktasim.Capabilities{}}
	fmt.Fprintln(e.stdout, tr("okta-chatops demo — simulated Okta org at %s; %s asks, %s approves.",
		"okta-chatops デモ — シミュレートした Okta 組織 %s。依頼者 %s、承認者 %s。", s.URL, demoRequester, demoApprover))
	var failed []string
	scenarios := oktasim.Scenarios()
	for i, sc := range scenarios {
		title := sc.Title
		if locale == remediation.JA && sc.TitleJA != "" {
			title = sc.TitleJA
		}
		fmt.Fprintf(e.stdout, "\n══ %d/%d %s ══\n", i+1, len(scenarios), title)
		if err := p.play(ctx, sc); err != nil {
			fmt.Fprintf(e.stdout, "✗ %v\n", err)
			failed = append(failed, sc.Name)
		}
	}
	fmt.Fprintln(e.stdout)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenarios did not end as the troubleshooting guides describe: %s", len(failed), len(scenarios), strings.Join(failed, ", "))
	}
	fmt.Fprintln(e.stdout, tr("Every scenario was diagnosed as the guides describe, and every fixable one was fixed and verified (%d/%d).",
		"すべてのシナリオをガイドどおりに診断し、対処可能なものはすべて対処・確認しました(%d/%d)。", len(scenarios), len(scenarios)))
	return nil
}

// runEvent is an audit event with the run it changed, as the engine reports it.
type runEvent struct {
	run remediation.Run
	ev  remediation.AuditEvent
}

type chanNotifier chan runEvent

func (c chanNotifier) RunChanged(_ context.Context, r remediation.Run, ev remediation.AuditEvent) {
	select {
	case c <- runEvent{run: r, ev: ev}:
	default: // the transcript drops a line rather than stall the engine
	}
}

type demoPlayer struct {
	e      env
	tr     func(en, ja string, args ...any) string
	locale remediation.Locale
	d      *remediation.Diagnoser
	eng    *remediation.Engine
	store  remediation.Store
	org    *oktasim.Org
	events chan runEvent
	// saved holds an app's provisioning as the demo's person found it before turning
	// it off by hand, to turn it back on as it was.
	saved map[string]oktasim.Capabilities
}

func (p *demoPlayer) say(format string, args ...any) { fmt.Fprintf(p.e.stdout, format+"\n", args...) }

// play diagnoses one scenario and, following the seed's order (fix 1 first, then fix 2
// when fix 1 did not help), runs its fixes until it is healed.
func (p *demoPlayer) play(ctx context.Context, sc oktasim.Scenario) error {
	diag, err := p.diagnose(ctx, sc)
	if err != nil {
		return err
	}
	if missing := missingCodes(diag, sc.Expect); len(missing) > 0 || !samePlans(diag.Plans(), sc.Plans) {
		return fmt.Errorf("%s %v, %s %v", p.tr("expected findings", "期待した検出結果"), sc.Expect, p.tr("plans", "対処案"), sc.Plans)
	}
	p.say("✓ %s %s", p.tr("named as the seed describes:", "ガイドどおりに特定:"), strings.Join(sc.Expect, ", "))
	if len(sc.HealedBy) == 0 {
		return nil
	}
	tried := map[remediation.PlanID]bool{}
	for attempt := 0; attempt < 3; attempt++ {
		plan, ok := nextPlan(diag, tried)
		if !ok {
			break
		}
		tried[plan] = true
		run, err := p.fix(ctx, diag, plan)
		if err != nil {
			return err
		}
		if diag, err = p.diagnose(ctx, sc); err != nil {
			return err
		}
		if run.State == remediation.StateSucceeded {
			if !diag.Has(remediation.Healthy) {
				return errors.New(p.tr("the run succeeded but the diagnosis is not HEALTHY", "実行は成功しましたが診断結果が HEALTHY ではありません"))
			}
			p.say("✓ %s", p.tr("healed: the diagnosis is HEALTHY again", "解消: 診断結果は HEALTHY に戻りました"))
			return nil
		}
	}
	return errors.New(p.tr("no proposed fix healed it", "提案された対処で解消できませんでした"))
}

func nextPlan(d remediation.Diagnosis, tried map[remediation.PlanID]bool) (remediation.PlanID, bool) {
	for _, pl := range d.Plans() {
		if !tried[pl] {
			return pl, true
		}
	}
	return "", false
}

func (p *demoPlayer) diagnose(ctx context.Context, sc oktasim.Scenario) (remediation.Diagnosis, error) {
	p.say("\n👤 %s: /okta-diagnose %s %s", demoRequester, sc.UserLogin, sc.AppLabel)
	diag, err := p.d.Diagnose(ctx, sc.UserLogin, sc.AppLabel)
	if err != nil {
		return diag, errors.New(remediation.ErrorText(err).In(p.locale))
	}
	fmt.Fprint(p.e.stdout, "🤖 ")
	return diag, report.Text(indent(p.e.stdout), diag, p.locale)
}

// fix proposes plan, approves it as the demo's manager, plays the people's part in
// manual steps, and prints the run's thread until it ends.
func (p *demoPlayer) fix(ctx context.Context, diag remediation.Diagnosis, plan remediation.PlanID) (remediation.Run, error) {
	p.say("\n👤 %s: [%s]", demoRequester, plan.Title().In(p.locale))
	run, err := p.eng.Propose(ctx, remediation.ProposeRequest{Diagnosis: diag, Plan: plan, Requester: demoRequester, Origin: remediation.Origin{Locale: p.locale}})
	if err != nil {
		return run, errors.New(remediation.ErrorText(err).In(p.locale))
	}
	p.drain()
	p.say("🤖 %s", p.tr("Approval request %s for %s on %s — %d steps, approvers %v, expires %s:",
		"承認依頼 %s(%s / %s)— %d 手順、承認者 %v、期限 %s:", run.ID, run.Target.UserLogin, run.Target.AppLabel, len(run.Steps), run.Approvers, run.ExpiresAt.Format(time.RFC3339)))
	for _, st := range remediation.DryRun(&run) {
		p.say("     %d. %s", st.Number, st.Title.In(p.locale))
		for _, c := range st.Calls {
			p.say("          %s", c)
		}
		if !st.Instructions.IsZero() {
			p.say("          🙋 %s", st.Instructions.In(p.locale))
		}
	}
	if _, err := p.eng.Approve(ctx, run.ID, demoRequester, ""); err != nil {
		if ref, ok := remediation.AsRefusal(err); ok {
			p.say("👤 %s: [%s] → 🤖 %s", demoRequester, p.tr("Approve", "承認"), ref.Reason.In(p.locale))
		}
	}
	p.say("👤 %s: [%s]", demoApprover, p.tr("Approve", "承認"))
	if _, err := p.eng.Approve(ctx, run.ID, demoApprover, "demo"); err != nil {
		return run, errors.New(remediation.ErrorText(err).In(p.locale))
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-timeout:
			return run, fmt.Errorf("run %s did not end within 30s (state %s)", run.ID, run.State)
		case ev := <-p.events:
			run = ev.run
			p.printEvent(ev)
			if ev.ev.Type == remediation.AuditStepWaiting {
				if err := p.actAsPerson(ctx, run, ev.ev.Step); err != nil {
					return run, err
				}
			}
			if run.State.Terminal() {
				p.say("🤖 %s", run.Outcome.In(p.locale))
				return run, nil
			}
		}
	}
}

// actAsPerson plays the person asked to switch provisioning in the Admin Console.
func (p *demoPlayer) actAsPerson(ctx context.Context, run remediation.Run, step int) error {
	appID := run.Target.AppID
	appCaps, err := p.org.Provisioning(appID)
	if err != nil {
		return err
	}
	turnOff := run.Steps[step-1].Kind == remediation.StepProvisioningOffMan && run.Steps[step-1].Status == remediation.StepWaiting
	if turnOff {
		p.saved[appID] = appCaps
		appCaps.LifecycleCreate, appCaps.Profile, appCaps.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
	} else if saved, ok := p.saved[appID]; ok {
		appCaps = saved
	}
	if err := p.org.SetProvisioning(appID, appCaps); err != nil {
		return err
	}
	p.say("👤 %s: %s → [%s]", demoRequester, p.tr("(does it in the Admin Console)", "(管理コンソールで実施)"), p.tr("Done", "完了"))
	_, err = p.eng.Confirm(ctx, run.ID, step, demoRequester)
	return err
}

func (p *demoPlayer) printEvent(re runEvent) {
	ev, run := re.ev, re.run
	step := func() string {
		if ev.Step < 1 || ev.Step > len(run.Steps) {
			return ""
		}
		return fmt.Sprintf("%d/%d %s", ev.Step, len(run.Steps), remediation.DryRun(&run)[ev.Step-1].Title.In(p.locale))
	}
	switch ev.Type {
	case remediation.AuditApproved:
		p.say("   🧵 %s", p.tr("approved by %s (%s)", "%s が承認(%s)", ev.Actor, ev.Detail))
	case remediation.AuditStepStarted:
		p.say("   🧵 ▶ %s", step())
	case remediation.AuditStepDone:
		p.say("   🧵 ✓ %s", step())
	case remediation.AuditStepSkipped:
		p.say("   🧵 ✓ %s (%s)", step(), p.tr("already in place", "実施済み"))
	case remediation.AuditStepFailed:
		p.say("   🧵 ✗ %s: %s", step(), ev.Detail)
	case remediation.AuditStepWaiting:
		p.say("   🧵 🙋 %s — %s", step(), p.tr("waiting for %s to do it and click Done", "%s の実施と「完了」クリックを待っています", demoRequester))
	case remediation.AuditCompensated:
		p.say("   🧵 ↩ %s", p.tr("undone: %s", "取り消し: %s", step()))
	case remediation.AuditQueued:
		p.say("   🧵 ⏳ %s", ev.Detail)
	case remediation.AuditVerified:
		p.say("   🧵 🔎 %s", p.tr("verified", "確認済み"))
	}
}

// drain forgets events already printed some other way.
func (p *demoPlayer) drain() {
	for {
		select {
		case <-p.events:
		default:
			return
		}
	}
}

func missingCodes(d remediation.Diagnosis, want []string) []string {
	var missing []string
	for _, c := range want {
		if !d.Has(remediation.Code(c)) {
			missing = append(missing, c)
		}
	}
	return missing
}

func samePlans(got []remediation.PlanID, want []string) bool {
	g := make([]string, len(got))
	for i, p := range got {
		g[i] = string(p)
	}
	return slices.Equal(g, want) || (len(g) == 0 && len(want) == 0)
}

// indent prefixes every line after the first with spaces, so a report reads as the
// bot's message.
func indent(w io.Writer) io.Writer { return &indenter{w: w} }

type indenter struct{ w io.Writer }

func (i *indenter) Write(b []byte) (int, error) {
	s := strings.ReplaceAll(string(b), "\n", "\n   ")
	if strings.HasSuffix(s, "\n   ") {
		s = strings.TrimSuffix(s, "   ")
	}
	_, err := io.WriteString(i.w, s)
	return len(b), err
}
