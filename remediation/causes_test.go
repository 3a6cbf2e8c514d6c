package remediation

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func appEvent(minAgo int, typ, display, reason, appID, appLabel string) LogEvent {
	e := ev(minAgo, typ, "FAILURE", reason, appID, appLabel)
	e.DisplayMessage = display
	e.Targets = []LogTarget{{ID: appID, Type: "AppInstance", AlternateID: appLabel, DisplayName: appLabel}}
	return e
}

func failingApp(w *fakeOkta, appID string) {
	au, ok := w.appUsers[appID+"/"+aliceID]
	if !ok {
		au = AppUser{ID: aliceID, Status: "PROVISIONED", Scope: ScopeUser, ExternalID: "x1"}
	}
	au.SyncState = SyncError
	w.appUsers[appID+"/"+aliceID] = au
}

const (
	zoomPush = "Automatic profile push of Alice Sato to app Zoom failed: Error while trying to push profile update for alice@example.com: "
	zoomNew  = "Automatic provisioning of user Alice Sato to app Zoom failed: Error while trying to create user alice@example.com: "
)

// Each new cause from a System Log as Okta writes it.
func TestDiagnoseNewCauses(t *testing.T) {
	tests := []struct {
		name     string
		app      string
		setup    func(w *fakeOkta)
		codes    []Code
		plans    []PlanID
		appWide  bool
		runbook  int
		retry    PlanID
		summary  []string
		evidence []string
	}{
		{
			name: "credentials refused, from the user's push", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", zoomPush+"The credentials used to connect to the API were invalid.", zoomID, "Zoom"))
			},
			codes: []Code{AppCredentialsInvalid}, plans: nil, appWide: true, runbook: 3, retry: PlanReassign,
			summary:  []string{"every user of Zoom is affected", "re-assigning a user will not help until the integration is fixed"},
			evidence: []string{"The credentials used to connect to the API were invalid", "Sync state: ERROR"},
		},
		{
			name: "credentials refused, seen only on the app's own events", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				w.logs = append(w.logs,
					appEvent(20, evIntegrationAuthFailure, "Error authenticating", "Invalid SCIM token", zoomID, "Zoom"),
					appEvent(10, evIntegrationAuthFailure, "Error authenticating", "Invalid SCIM token", zoomID, "Zoom"))
			},
			codes: []Code{AppCredentialsInvalid}, appWide: true, runbook: 3, retry: PlanReassign,
			evidence: []string{"application.integration.authentication_failure", "an event on the app itself, not on one user", "Events of this kind on the app: 2"},
		},
		{
			name: "an authentication failure before the user's last good push is history", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				w.logs = append(w.logs, appEvent(900, evIntegrationAuthFailure, "Error authenticating", "Unauthorized", zoomID, "Zoom"))
			},
			codes: []Code{Healthy},
		},
		{
			name: "another app's authentication failure is not this app's", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				w.logs = append(w.logs, appEvent(10, evIntegrationAuthFailure, "Error authenticating", "Unauthorized", slackID, "Slack"))
			},
			codes: []Code{Healthy},
		},
		{
			name: "connection disabled", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.conns = map[string]Connection{zoomID: {Status: Disabled, AuthScheme: "TOKEN"}}
				w.prov[zoomID] = Provisioning{Status: Enabled, Capabilities: Capabilities{LifecycleCreate: Disabled, Profile: Disabled}}
			},
			// The disabled connection explains it all: no PROVISIONING_DISABLED beside it.
			codes: []Code{ProvisioningConnectionDisabled}, appWide: true, runbook: 3, retry: PlanReassign,
			summary:  []string{"provisioning connection of Zoom is disabled", "every user of Zoom is affected"},
			evidence: []string{"Provisioning connection: DISABLED", "Authentication scheme: TOKEN"},
		},
		{
			name: "a disabled connection of unknown scheme on an app without provisioning is nothing", app: "Acme Wiki",
			setup: func(w *fakeOkta) {
				w.appUsers[wikiID+"/"+aliceID] = AppUser{ID: aliceID, Status: "ACTIVE", SyncState: SyncSynchronized, Scope: ScopeUser, ExternalID: "w1"}
				w.conns = map[string]Connection{wikiID: {Status: Disabled, AuthScheme: ConnectionUnknown}}
			},
			codes: []Code{Healthy},
		},
		{
			name: "rate limited, in the user's push", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				w.logs = append(w.logs, ev(5, evPushProfile, "FAILURE", zoomPush+"Rate Limit Exceeded", zoomID, "Zoom"))
			},
			codes: []Code{SaaSRateLimited}, plans: []PlanID{PlanReassign},
			evidence: []string{"Rate Limit Exceeded"},
		},
		{
			name: "rate limited, seen on the app while the user's push failed", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				failingApp(w, zoomID)
				w.logs = append(w.logs,
					ev(6, evPushProfile, "FAILURE", zoomPush+"Internal error", zoomID, "Zoom"),
					appEvent(6, evIntegrationRateLimit, "API rate limit exceeded", "", zoomID, "Zoom"))
			},
			codes: []Code{SaaSRateLimited}, runbook: 2, retry: PlanReassign,
			evidence: []string{"application.integration.rate_limit_exceeded"},
		},
		{
			name: "a rate limit hours before the user's failure is not its cause", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				failingApp(w, zoomID)
				w.logs = append(w.logs,
					ev(6, evPushProfile, "FAILURE", zoomPush+"Internal error", zoomID, "Zoom"),
					appEvent(300, evIntegrationRateLimit, "API rate limit exceeded", "", zoomID, "Zoom"))
			},
			codes: []Code{SyncErrorOther}, plans: []PlanID{PlanReassign},
		},
		{
			name: "a rate limit beside an explained failure adds nothing", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				failingApp(w, zoomID)
				w.logs = append(w.logs,
					ev(6, evPushProfile, "FAILURE", zoomPush+"Invalid value for attribute 'title'", zoomID, "Zoom"),
					appEvent(6, evIntegrationRateLimit, "API rate limit exceeded", "", zoomID, "Zoom"))
			},
			codes: []Code{AttributeRejected}, runbook: 2, retry: PlanReassign,
		},
		{
			name: "a rate limit the user's push did not hit is not the user's", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logsUnfiltered = true
				w.logs = append(w.logs, appEvent(6, evIntegrationRateLimit, "API rate limit exceeded", "", zoomID, "Zoom"))
			},
			codes: []Code{Healthy},
		},
		{
			name: "matching user not found, Create Users off", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				w.prov[zoomID] = Provisioning{Status: Enabled, Capabilities: Capabilities{LifecycleCreate: Disabled, Profile: Enabled}}
				w.logs = append(w.logs, ev(5, evPush, "FAILURE", "Automatic provisioning of user Alice Sato to app Zoom failed: Matching user not found", zoomID, "Zoom"))
			},
			codes: []Code{MatchingUserNotFound}, runbook: 2, retry: PlanReassign,
			summary: []string{"because Create Users is off"}, evidence: []string{"Create Users: DISABLED"},
		},
		{
			name: "matching user not found, Create Users on: the account is gone", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				e := ev(5, evPush, "FAILURE", "", zoomID, "Zoom")
				e.DisplayMessage = "Automatic provisioning of user Alice Sato to app Zoom failed: Matching user not found"
				w.logs = append(w.logs, e)
			},
			codes: []Code{MatchingUserNotFound}, plans: []PlanID{PlanReassign},
			evidence: []string{"FAILURE: Automatic provisioning of user Alice Sato to app Zoom failed: Matching user not found", "Create Users: ENABLED"},
		},
		{
			name: "matching user not found, Create Users unreadable", app: "Acme Wiki",
			setup: func(w *fakeOkta) {
				w.appUsers[wikiID+"/"+aliceID] = AppUser{ID: aliceID, Status: "ACTIVE", SyncState: SyncError, Scope: ScopeUser}
				w.logs = append(w.logs, ev(5, evPush, "FAILURE", "Automatic provisioning of user Alice Sato to app Acme Wiki failed: MATCHING USER NOT FOUND", wikiID, "Acme Wiki"))
			},
			codes: []Code{MatchingUserNotFound}, runbook: 2, retry: PlanReassign, summary: []string{"usually means Create Users is off"},
		},
		{
			name: "conflicting account on Slack: link it", app: "Slack",
			setup: func(w *fakeOkta) {
				w.appUsers[slackID+"/"+aliceID] = AppUser{ID: aliceID, Status: "STAGED", SyncState: SyncError, Scope: ScopeUser}
				w.logs = append(w.logs, ev(5, evPush, "FAILURE", "Automatic provisioning of user Alice Sato to app Slack failed: Error while trying to create user alice@example.com: Conflict. Errors reported by remote server: A user with the email alice@example.com already exists.", slackID, "Slack"))
			},
			codes: []Code{SaaSAccountConflict}, plans: []PlanID{PlanRelinkSaaSUser},
			evidence: []string{"already exists", "externalId in Okta: null"},
		},
		{
			name: "conflicting account elsewhere: a runbook", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				w.logs = append(w.logs, ev(5, evPush, "FAILURE", zoomNew+"userName 'alice@example.com' already exists", zoomID, "Zoom"))
			},
			codes: []Code{SaaSAccountConflict}, runbook: 2, retry: PlanReassign,
		},
		{
			name: "assigned before provisioning, by group", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.appUsers[zoomID+"/"+aliceID] = AppUser{ID: aliceID, Status: "ACTIVE", SyncState: SyncError, Scope: ScopeGroup}
				w.appGroups = map[string][]AppGroup{zoomID: {{GroupID: "00g1eng"}}}
				w.groups = []Group{{ID: "00g1eng", Name: "Engineering"}}
				w.logs = append(w.logs, ev(5, evPush, "FAILURE", "User was assigned this application before Provisioning was enabled and not provisioned in the downstream application. Please click on the \"Provision User\" button to provision this user.", zoomID, "Zoom"))
			},
			codes: []Code{AssignedBeforeProvisioning, GroupScopedAssignment}, plans: []PlanID{PlanReassign},
			summary: []string{"alice@example.com was assigned to Zoom before provisioning was enabled"},
		},
		{
			name: "attribute rejected, named with its value", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				w.logs = append(w.logs, ev(5, evPushProfile, "FAILURE", zoomPush+`VALIDATION_ERROR: "phoneNumber" with value "03-1234 ext. 12" fails to match the required pattern`, zoomID, "Zoom"))
			},
			codes: []Code{AttributeRejected}, runbook: 2, retry: PlanReassign,
			summary:  []string{`Zoom refused the value "03-1234 ext. 12" of the attribute phoneNumber for alice@example.com`},
			evidence: []string{"Rejected attribute: phoneNumber", `Rejected value: "03-1234 ext. 12"`},
		},
		{
			name: "attribute rejected, value not in the message", app: "Zoom",
			setup: func(w *fakeOkta) {
				failingApp(w, zoomID)
				w.logs = append(w.logs, ev(5, evPushProfile, "FAILURE", zoomPush+"Invalid value specified for property 'usageLocation' of resource 'User'.", zoomID, "Zoom"))
			},
			codes: []Code{AttributeRejected}, runbook: 2, retry: PlanReassign,
			evidence: []string{"Rejected attribute: usageLocation", "Rejected value — not quoted in the message"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := baseWorld()
			tt.setup(w)
			d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
			diag, err := d.Diagnose(context.Background(), "alice@example.com", tt.app)
			if err != nil {
				t.Fatal(err)
			}
			var codes []Code
			for _, f := range diag.Findings {
				codes = append(codes, f.Code)
				checkTexts(t, f)
			}
			if !slices.Equal(codes, tt.codes) {
				t.Fatalf("codes = %v, want %v", codes, tt.codes)
			}
			want := tt.plans
			if tt.runbook > 0 && want == nil {
				want = []PlanID{tt.retry} // a runbook finding proposes its retry
			}
			if got := diag.Plans(); !slices.Equal(got, want) {
				t.Errorf("plans = %v, want %v", got, want)
			}
			f := diag.Findings[0]
			if f.Code != Healthy && (f.AppWide != tt.appWide || len(f.Runbook) != tt.runbook || f.Retry != tt.retry) {
				t.Errorf("app-wide %v, %d manual steps, retry %q; want %v, %d, %q", f.AppWide, len(f.Runbook), f.Retry, tt.appWide, tt.runbook, tt.retry)
			}
			for _, s := range tt.summary {
				if !strings.Contains(f.Summary.EN, s) {
					t.Errorf("summary lacks %q: %s", s, f.Summary.EN)
				}
			}
			var lines []string
			for _, e := range f.Evidence {
				lines = append(lines, e.Line(EN))
			}
			all := strings.Join(lines, "\n")
			for _, s := range tt.evidence {
				if !strings.Contains(all, s) {
					t.Errorf("evidence lacks %q:\n%s", s, all)
				}
			}
		})
	}
}

// checkTexts holds every text of a finding to the rules users see: both languages,
// the console's Japanese terms, no internal references.
func checkTexts(t *testing.T, f Finding) {
	t.Helper()
	texts := append([]Text{f.Summary, f.Advice}, f.Runbook...)
	texts = append(texts, f.Caveats...)
	for _, e := range f.Evidence {
		texts = append(texts, e.Label, e.Note)
	}
	for _, x := range texts {
		if (x.EN == "") != (x.JA == "") {
			t.Errorf("%s: a text in one language only: %+v", f.Code, x)
		}
		for _, bad := range []string{"アサイン", "External ID", "対処方法", "seed", "fix 1", "fix 2", "DESIGN"} {
			if strings.Contains(x.JA, bad) || (bad != "アサイン" && strings.Contains(x.EN, bad)) {
				t.Errorf("%s: %q contains %q", f.Code, x, bad)
			}
		}
	}
	if f.Code != Healthy && f.Summary.JA == f.Summary.EN {
		t.Errorf("%s: the Japanese summary is the English one", f.Code)
	}
}
