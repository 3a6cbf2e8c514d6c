package oktaadapter

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// Every failure beyond the articles, diagnosed through the adapter (okta-sdk-golang)
// from the simulator's System Log and connection state.
func TestDiagnoseNewCausesAgainstTheSimulator(t *testing.T) {
	env := newSimEnv(t, oktasim.Options{})
	want := map[string]struct {
		evidence []string // substrings of the English evidence lines
		summary  []string // substrings of the English summary
		appWide  bool
		runbook  int // manual steps
		retry    remediation.PlanID
	}{
		"app_credentials_invalid": {evidence: []string{"application.provision.user.push_profile", "Token is invalid or expired", "Sync state: ERROR"},
			summary: []string{"every user of Atlassian Cloud is affected", "re-assigning a user will not help"}, appWide: true, runbook: 3, retry: remediation.PlanReassign},
		"assigned_before_provisioning": {evidence: []string{"assigned this application before Provisioning was enabled", "externalId in Okta: null"},
			summary: []string{"taro.yamada@example.com was assigned to Box before provisioning was enabled"}},
		"provisioning_connection_disabled": {evidence: []string{"Provisioning connection: DISABLED", "Authentication scheme: TOKEN", "Sync state: DISABLED"},
			summary: []string{"every user of Zscaler Internet Access is affected"}, appWide: true, runbook: 3, retry: remediation.PlanReassign},
		"matching_user_not_found": {evidence: []string{"FAILURE: Automatic provisioning of user Mateo Garcia to app Expensify failed: Matching user not found"},
			summary: []string{"Matching user not found", "Create Users"}, runbook: 2, retry: remediation.PlanReassign},
		"saas_account_conflict": {evidence: []string{"Conflict. Errors reported by remote server", "already exists"},
			summary: []string{"Slack already has an account"}},
		"attribute_rejected": {evidence: []string{"Rejected attribute: usageLocation", `Rejected value: "Japan"`},
			summary: []string{`"Japan"`, "usageLocation"}, runbook: 2, retry: remediation.PlanReassign},
		"saas_rate_limited": {evidence: []string{"Too Many Requests"}, summary: []string{"rate-limiting"}},
	}
	scenarios := append(oktasim.Scenarios(), oktasim.MoreScenarios()...)
	seen := 0
	for _, sc := range scenarios {
		w, ok := want[sc.Name]
		if !ok {
			continue
		}
		seen++
		t.Run(sc.Name, func(t *testing.T) {
			d := &remediation.Diagnoser{Okta: env.c, Clock: env.ft.Now}
			diag, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel)
			if err != nil {
				t.Fatal(err)
			}
			var codes, plans []string
			for _, f := range diag.Findings {
				codes = append(codes, string(f.Code))
			}
			for _, p := range diag.Plans() {
				plans = append(plans, string(p))
			}
			if !slices.Equal(codes, sc.Expect) || !slices.Equal(plans, sc.Plans) {
				t.Fatalf("codes %v plans %v; want %v %v", codes, plans, sc.Expect, sc.Plans)
			}
			f := diag.Findings[0]
			var lines []string
			for _, e := range f.Evidence {
				lines = append(lines, e.Line(remediation.EN))
			}
			all := strings.Join(lines, "\n")
			for _, s := range w.evidence {
				if !strings.Contains(all, s) {
					t.Errorf("evidence lacks %q:\n%s", s, all)
				}
			}
			for _, s := range w.summary {
				if !strings.Contains(f.Summary.EN, s) {
					t.Errorf("summary lacks %q: %s", s, f.Summary.EN)
				}
			}
			if f.AppWide != w.appWide || len(f.Runbook) != w.runbook || f.Retry != w.retry {
				t.Errorf("app-wide %v, %d manual steps, retry %q; want %v, %d, %q", f.AppWide, len(f.Runbook), f.Retry, w.appWide, w.runbook, w.retry)
			}
			checkJapanese(t, f)
			if len(diag.Gaps) > 0 {
				t.Errorf("gaps: %v", diag.Gaps)
			}
		})
	}
	if seen != len(want) {
		t.Errorf("%d of %d cause scenarios seeded", seen, len(want))
	}
}

// checkJapanese holds the Japanese text to the console's terms.
func checkJapanese(t *testing.T, f remediation.Finding) {
	t.Helper()
	texts := append([]remediation.Text{f.Summary, f.Advice}, f.Runbook...)
	for _, e := range f.Evidence {
		texts = append(texts, e.Label, e.Note)
	}
	for _, x := range texts {
		if (x.EN == "") != (x.JA == "") {
			t.Errorf("%s: a text in one language only: %+v", f.Code, x)
		}
		if strings.Contains(x.JA, "アサイン") {
			t.Errorf("%s: %q says アサイン; the console says 割り当て", f.Code, x.JA)
		}
		for _, internal := range []string{"seed", "fix 1", "fix 2", "対処方法", "DESIGN", "External ID"} {
			if strings.Contains(x.EN, internal) || strings.Contains(x.JA, internal) {
				t.Errorf("%s: %+v cites %q", f.Code, x, internal)
			}
		}
	}
}

// Every finding of every seeded scenario, old and new, speaks both languages in the
// console's terms.
func TestFindingTextsAgainstTheSimulator(t *testing.T) {
	env := newSimEnv(t, oktasim.Options{})
	for _, sc := range append(oktasim.Scenarios(), oktasim.MoreScenarios()...) {
		d := &remediation.Diagnoser{Okta: env.c, Clock: env.ft.Now}
		diag, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		for _, f := range diag.Findings {
			checkJapanese(t, f)
		}
	}
}

// The app's own application.integration.* events (they target the app, not the user)
// make the credentials finding app-wide evidence, read through the adapter.
func TestAppIntegrationEventsAgainstTheSimulator(t *testing.T) {
	env := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	var sc oktasim.Scenario
	for _, s := range oktasim.Scenarios() {
		if s.Name == "app_credentials_invalid" {
			sc = s
		}
	}
	d := &remediation.Diagnoser{Okta: env.c, Clock: env.ft.Now}
	facts, err := d.Gather(ctx, sc.UserLogin, sc.AppLabel)
	if err != nil {
		t.Fatal(err)
	}
	now := env.ft.Now()
	appEvents, err := env.c.SystemLog(ctx, remediation.LogQuery{
		TargetIDs: []string{facts.Apps[0].App.ID}, EventTypes: []string{"application.integration."},
		Since: now.Add(-30 * 24 * time.Hour), Until: now.Add(time.Minute), MaxEvents: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(appEvents) != 2 {
		t.Fatalf("%d integration events on the app, want 2", len(appEvents))
	}
	// Gather read them already, in the same query as the user's own events.
	inFacts := 0
	for _, e := range facts.Logs {
		if strings.HasPrefix(e.EventType, "application.integration.") {
			inFacts++
		}
	}
	if inFacts != len(appEvents) {
		t.Fatalf("the diagnosis read %d of the app's %d integration events", inFacts, len(appEvents))
	}
	diag := remediation.Evaluate(facts, now)
	if len(diag.Findings) != 1 || diag.Findings[0].Code != remediation.AppCredentialsInvalid {
		t.Fatalf("findings %v", diag.Findings)
	}
	var lines []string
	for _, e := range diag.Findings[0].Evidence {
		lines = append(lines, e.Line(remediation.EN))
	}
	all := strings.Join(lines, "\n")
	for _, s := range []string{"application.integration.authentication_failure", "an event on the app itself", "Events of this kind on the app: 2"} {
		if !strings.Contains(all, s) {
			t.Errorf("evidence lacks %q:\n%s", s, all)
		}
	}
}
