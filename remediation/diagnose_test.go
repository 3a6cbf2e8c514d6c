package remediation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const (
	aliceID = "00u1alice0000000000"
	zoomID  = "0oa1zoom00000000000"
	slackID = "0oa1slack0000000000"
	wikiID  = "0oa1wiki00000000000"
	stale   = "8dFq2xZ"
)

func userTarget() LogTarget {
	return LogTarget{ID: aliceID, Type: "User", AlternateID: "alice@example.com"}
}

func ev(minAgo int, typ, result, reason string, appID, appLabel string) LogEvent {
	return LogEvent{
		UUID: typ + reason, Published: testNow.Add(-time.Duration(minAgo) * time.Minute), EventType: typ,
		Result: result, Reason: reason, TransactionID: "tx-" + typ,
		Targets: []LogTarget{userTarget(), {ID: appID, Type: "AppInstance", DisplayName: appLabel}},
	}
}

func staleMsg(id string) string {
	return "Automatic profile push of alice@example.com to app Zoom failed: Error while trying to push profile update for alice@example.com: No user returned for user " + id
}

// baseWorld: alice, healthy on Zoom (USER scope, provisioning on).
func baseWorld() *fakeOkta {
	alice := User{ID: aliceID, Login: "alice@example.com", Email: "alice@example.com", Status: UserActive, TypeID: "oty1default"}
	zoom := App{ID: zoomID, Name: "zoomus", Label: "Zoom"}
	slack := App{ID: slackID, Name: "slack", Label: "Slack"}
	wiki := App{ID: wikiID, Name: "scim2testapp", Label: "Acme Wiki"}
	on := Provisioning{Status: Enabled, Capabilities: Capabilities{LifecycleCreate: Enabled, Profile: Enabled, LifecycleDeactivate: Enabled, Password: PasswordCapability{Status: Disabled}}}
	return &fakeOkta{
		users: map[string]User{alice.Login: alice, alice.ID: alice},
		apps:  map[string]App{"Zoom": zoom, zoomID: zoom, "Slack": slack, slackID: slack, "Acme Wiki": wiki, wikiID: wiki},
		appUsers: map[string]AppUser{
			zoomID + "/" + aliceID: {ID: aliceID, Status: "PROVISIONED", SyncState: SyncSynchronized, Scope: ScopeUser, ExternalID: stale},
		},
		prov:  map[string]Provisioning{zoomID: on, slackID: on},
		types: []UserType{{ID: "oty1default", Name: "user", Default: true}, {ID: "oty1contractor", Name: "contractor", DisplayName: "Contractor"}},
		logs:  []LogEvent{ev(600, evPush, "SUCCESS", "", zoomID, "Zoom")},
		errs:  map[string]error{},
	}
}

func TestDiagnoseFindings(t *testing.T) {
	tests := []struct {
		name      string
		app       string
		setup     func(w *fakeOkta)
		codes     []Code
		plans     []PlanID
		evidence  []string // substrings of the English evidence lines
		notEvid   []string
		wantGaps  int
		wantNoErr bool
	}{
		{name: "healthy", app: "Zoom", setup: func(*fakeOkta) {}, codes: []Code{Healthy}, plans: nil, evidence: []string{"SYNCHRONIZED", stale}},
		{
			name: "stale external id, matching", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", staleMsg(stale), zoomID, "Zoom"))
				au := w.appUsers[zoomID+"/"+aliceID]
				au.SyncState = SyncError
				w.appUsers[zoomID+"/"+aliceID] = au
			},
			codes: []Code{StaleExternalID}, plans: []PlanID{PlanReassign, PlanResetExternalID},
			evidence: []string{"No user returned for user " + stale, "transaction tx-application.provision.user.push_profile", "matches the ID in the error message", "2026-11-20T11:30:00Z"},
		},
		{
			name: "stale external id, fix 1 already tried", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logs = append(w.logs,
					ev(90, evPushProfile, "FAILURE", staleMsg(stale), zoomID, "Zoom"),
					ev(60, evMembershipAdd, "SUCCESS", "", zoomID, "Zoom"),
					ev(30, evPushProfile, "FAILURE", staleMsg(stale), zoomID, "Zoom"))
			},
			codes: []Code{StaleExternalID}, plans: []PlanID{PlanResetExternalID},
			evidence: []string{"the same failure happened again after a re-assignment"},
		},
		{
			name: "stale external id, differing", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", staleMsg("OTHER1"), zoomID, "Zoom"))
			},
			codes: []Code{StaleExternalID}, plans: []PlanID{PlanReassign},
			evidence: []string{"differs from the ID in the error message (OTHER1)"},
		},
		{
			name: "failure superseded by a later successful push", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", staleMsg(stale), zoomID, "Zoom"), ev(10, evPushProfile, "SUCCESS", "", zoomID, "Zoom"))
			},
			codes: []Code{Healthy},
		},
		{
			name: "failure on another app is not this app's", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", "User account is inactive", slackID, "Slack"))
			},
			codes: []Code{Healthy},
		},
		{
			name: "another user's failure on this app is not this user's", app: "Zoom",
			setup: func(w *fakeOkta) {
				other := ev(30, evPushProfile, "FAILURE", staleMsg("BOBS1"), zoomID, "Zoom")
				other.Targets[0] = LogTarget{ID: "00u1bob000000000000", Type: "User", AlternateID: "bob@example.com"}
				w.logs = append(w.logs, other)
				w.logsUnfiltered = true
			},
			codes: []Code{Healthy},
		},
		{
			name: "slack deactivated, deactivate users disabled", app: "Slack",
			setup: func(w *fakeOkta) {
				w.appUsers[slackID+"/"+aliceID] = AppUser{ID: aliceID, Status: "PROVISIONED", SyncState: SyncError, Scope: ScopeUser}
				p := w.prov[slackID]
				p.Capabilities.LifecycleDeactivate = Disabled
				w.prov[slackID] = p
				w.logs = append(w.logs, ev(20, evPush, "FAILURE", "User account is inactive", slackID, "Slack"))
			},
			codes: []Code{SaaSUserDeactivated}, plans: []PlanID{PlanRelinkSaaSUser},
			evidence: []string{"User account is inactive", "externalId in Okta: null", "Deactivate Users: DISABLED"},
		},
		{
			name: "slack deactivated, deactivate users enabled", app: "Slack",
			setup: func(w *fakeOkta) {
				w.appUsers[slackID+"/"+aliceID] = AppUser{ID: aliceID, Status: "PROVISIONED", SyncState: SyncError, Scope: ScopeUser}
				w.logs = append(w.logs, ev(20, evPush, "FAILURE", "User account is inactive", slackID, "Slack"))
			},
			codes: []Code{SaaSUserDeactivated}, plans: []PlanID{PlanReassign},
		},
		{
			name: "group scoped", app: "Zoom",
			setup: func(w *fakeOkta) {
				au := w.appUsers[zoomID+"/"+aliceID]
				au.Scope = ScopeGroup
				w.appUsers[zoomID+"/"+aliceID] = au
				w.appGroups = map[string][]AppGroup{zoomID: {{GroupID: "00g1eng"}}}
				w.groups = []Group{{ID: "00g1eng", Name: "Engineering"}}
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", staleMsg(stale), zoomID, "Zoom"))
			},
			codes: []Code{StaleExternalID, GroupScopedAssignment}, plans: []PlanID{PlanReassign, PlanResetExternalID},
			evidence: []string{"Assignment scope: GROUP", "Engineering (00g1eng)"},
		},
		{
			name: "features api unsupported", app: "Acme Wiki",
			setup: func(w *fakeOkta) {
				w.appUsers[wikiID+"/"+aliceID] = AppUser{ID: aliceID, Status: "PROVISIONED", SyncState: SyncError, Scope: ScopeUser, ExternalID: stale}
				w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", strings.ReplaceAll(staleMsg(stale), "Zoom", "Acme Wiki"), wikiID, "Acme Wiki"))
			},
			codes: []Code{StaleExternalID, FeaturesAPIUnsupport}, plans: []PlanID{PlanReassign, PlanResetExternalID},
			evidence: []string{"Features API: unsupported"},
		},
		{
			name: "healthy on an app without features api has no features finding", app: "Acme Wiki",
			setup: func(w *fakeOkta) {
				w.appUsers[wikiID+"/"+aliceID] = AppUser{ID: aliceID, Status: "PROVISIONED", SyncState: SyncSynchronized, Scope: ScopeUser, ExternalID: "w1"}
			},
			codes: []Code{Healthy},
		},
		{
			name: "provisioning disabled", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.prov[zoomID] = Provisioning{Status: Disabled, Capabilities: Capabilities{LifecycleCreate: Disabled, Profile: Disabled, LifecycleDeactivate: Disabled}}
				w.appUsers[zoomID+"/"+aliceID] = AppUser{ID: aliceID, Status: "ACTIVE", SyncState: SyncDisabled, Scope: ScopeUser}
			},
			codes: []Code{ProvisioningDisabled}, evidence: []string{"Create Users: DISABLED", "externalId in Okta: null"},
		},
		{
			name: "not assigned", app: "Slack", setup: func(*fakeOkta) {},
			codes: []Code{NotAssigned}, evidence: []string{"Assignment: none"},
		},
		{
			name: "custom user type, group rule cannot run", app: "Slack",
			setup: func(w *fakeOkta) {
				u := w.users["alice@example.com"]
				u.TypeID = "oty1contractor"
				w.users["alice@example.com"] = u
				w.appGroups = map[string][]AppGroup{slackID: {{GroupID: "00g1slackers"}}}
				w.rules = []GroupRule{{ID: "0pr1rule", Name: "Contractors get Slack", Status: "ACTIVE", Expression: `user.department=="Eng"`, GroupIDs: []string{"00g1slackers"}}}
			},
			codes:    []Code{NotAssigned, CustomUserType},
			evidence: []string{"Contractor (oty1contractor, default: false)", "Contractors get Slack (0pr1rule)", "the user is not in the group"},
		},
		{
			name: "custom user type, healthy, says nothing of the type", app: "Zoom",
			setup: func(w *fakeOkta) {
				u := w.users["alice@example.com"]
				u.TypeID = "oty1contractor"
				w.users["alice@example.com"] = u
			},
			codes: []Code{Healthy},
		},
		{
			name: "okta user suspended", app: "Zoom",
			setup: func(w *fakeOkta) {
				u := w.users["alice@example.com"]
				u.Status = UserSuspended
				w.users["alice@example.com"] = u
			},
			codes: []Code{OktaUserNotActive}, evidence: []string{"Okta user status: SUSPENDED"},
		},
		{
			name: "sync error, other message", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.logs = append(w.logs, ev(5, evPushProfile, "FAILURE", "Unable to update user: Internal Server Error (request 7f3a)", zoomID, "Zoom"))
			},
			codes: []Code{SyncErrorOther}, plans: []PlanID{PlanReassign}, evidence: []string{"Unable to update user"},
		},
		{
			name: "sync error without logs is a gap, not a failure", app: "Zoom",
			setup: func(w *fakeOkta) {
				w.errs["SystemLog"] = &RemoteError{Kind: ErrDenied, Op: "GET /api/v1/logs", Status: 403, Code: "E0000006"}
				au := w.appUsers[zoomID+"/"+aliceID]
				au.SyncState = SyncError
				w.appUsers[zoomID+"/"+aliceID] = au
			},
			codes: []Code{SyncErrorOther}, plans: []PlanID{PlanReassign}, wantGaps: 1, evidence: []string{"System Log: unreadable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := baseWorld()
			tt.setup(w)
			d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
			diag, err := d.Diagnose(context.Background(), "alice@example.com", tt.app)
			if err != nil {
				t.Fatalf("Diagnose: %v", err)
			}
			var codes []Code
			var lines []string
			for _, f := range diag.Findings {
				codes = append(codes, f.Code)
				if f.Summary.EN == "" || f.Summary.JA == "" {
					t.Errorf("%s: summary missing a language: %+v", f.Code, f.Summary)
				}
				for _, e := range f.Evidence {
					lines = append(lines, e.Line(EN))
					if e.Label.JA == "" {
						t.Errorf("%s: evidence label without Japanese: %+v", f.Code, e)
					}
				}
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("codes = %v, want %v", codes, tt.codes)
			}
			if got := diag.Plans(); !slices.Equal(got, tt.plans) {
				t.Errorf("plans = %v, want %v", got, tt.plans)
			}
			all := strings.Join(lines, "\n")
			for _, want := range tt.evidence {
				if !strings.Contains(all, want) {
					t.Errorf("evidence lacks %q:\n%s", want, all)
				}
			}
			if len(diag.Gaps) != tt.wantGaps {
				t.Errorf("gaps = %v, want %d", diag.Gaps, tt.wantGaps)
			}
			if diag.App == nil || diag.App.Label != tt.app {
				t.Errorf("diagnosis app = %+v, want %s", diag.App, tt.app)
			}
		})
	}
}

func TestCustomTypeCaveats(t *testing.T) {
	w := baseWorld()
	u := w.users["alice@example.com"]
	u.TypeID = "oty1contractor"
	w.users["alice@example.com"] = u
	w.appGroups = map[string][]AppGroup{slackID: {{GroupID: "00g1slackers"}}}
	w.rules = []GroupRule{{ID: "0pr1", Name: "r", Status: "ACTIVE", GroupIDs: []string{"00g1slackers"}}}
	d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
	diag, err := d.Diagnose(context.Background(), "alice@example.com", "Slack")
	if err != nil {
		t.Fatal(err)
	}
	var ct *Finding
	for i := range diag.Findings {
		if diag.Findings[i].Code == CustomUserType {
			ct = &diag.Findings[i]
		}
	}
	if ct == nil {
		t.Fatalf("no CUSTOM_USER_TYPE in %v", diag.Findings)
	}
	joined := ""
	for _, c := range ct.Caveats {
		if c.EN == "" || c.JA == "" {
			t.Errorf("caveat missing a language: %+v", c)
		}
		joined += c.EN + "\n"
	}
	for _, want := range []string{"do not run for users of other types", "validated against the default user type", "Profile Editor", "JIT", "self-service registration"} {
		if !strings.Contains(joined, want) {
			t.Errorf("caveats lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "SAML") || strings.Contains(joined, "Office 365") {
		t.Errorf("caveats for other app kinds attached:\n%s", joined)
	}
}

func TestDiagnoseAllApps(t *testing.T) {
	w := baseWorld()
	w.appUsers[slackID+"/"+aliceID] = AppUser{ID: aliceID, Status: "PROVISIONED", SyncState: SyncError, Scope: ScopeUser}
	w.logs = append(w.logs, ev(20, evPush, "FAILURE", "User account is inactive", slackID, "Slack"))
	d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
	diag, err := d.Diagnose(context.Background(), "alice@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range diag.Findings {
		got = append(got, f.App.Label+":"+string(f.Code))
	}
	want := []string{"Slack:SAAS_USER_DEACTIVATED", "Zoom:HEALTHY"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	if diag.App != nil {
		t.Errorf("an all-apps diagnosis names no single app, got %+v", diag.App)
	}
}

func TestDiagnoseNoAssignments(t *testing.T) {
	w := baseWorld()
	w.appUsers = map[string]AppUser{}
	d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
	diag, err := d.Diagnose(context.Background(), "alice@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(diag.Findings) != 1 || diag.Findings[0].Code != NotAssigned || diag.Findings[0].App != nil {
		t.Errorf("findings = %v", diag.Findings)
	}
}

func TestDiagnoseErrors(t *testing.T) {
	t.Run("unknown user", func(t *testing.T) {
		d := &Diagnoser{Okta: baseWorld(), Clock: func() time.Time { return testNow }}
		_, err := d.Diagnose(context.Background(), "nobody@example.com", "Zoom")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nobody@example.com") {
			t.Errorf("err = %v, want a not-found naming the user", err)
		}
	})
	t.Run("unknown app", func(t *testing.T) {
		d := &Diagnoser{Okta: baseWorld(), Clock: func() time.Time { return testNow }}
		_, err := d.Diagnose(context.Background(), "alice@example.com", "Nope")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `app "Nope"`) {
			t.Errorf("err = %v, want a not-found naming the app", err)
		}
	})
	t.Run("empty user", func(t *testing.T) {
		d := &Diagnoser{Okta: baseWorld()}
		if _, err := d.Diagnose(context.Background(), "  ", ""); !errors.Is(err, ErrPermanent) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("assignment read fails", func(t *testing.T) {
		w := baseWorld()
		w.errs["GetAppUser"] = &RemoteError{Kind: ErrTransient, Op: "GET", Status: 503}
		d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
		if _, err := d.Diagnose(context.Background(), "alice@example.com", "Zoom"); !errors.Is(err, ErrTransient) {
			t.Errorf("err = %v, want transient", err)
		}
	})
	t.Run("optional reads failing become gaps", func(t *testing.T) {
		w := baseWorld()
		denied := &RemoteError{Kind: ErrDenied, Op: "GET", Status: 403, Code: "E0000006"}
		for _, m := range []string{"ListUserTypes", "ListGroupRules", "ListUserGroups", "ListAppGroups"} {
			w.errs[m] = denied
		}
		d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
		diag, err := d.Diagnose(context.Background(), "alice@example.com", "Zoom")
		if err != nil {
			t.Fatal(err)
		}
		if len(diag.Gaps) != 4 || !diag.Has(Healthy) {
			t.Errorf("gaps = %v findings = %v", diag.Gaps, diag.Findings)
		}
	})
}

func TestEvidenceLine(t *testing.T) {
	tm := time.Date(2026, 11, 20, 11, 30, 0, 0, time.UTC)
	e := Evidence{Kind: EvSystemLog, Label: T("System Log", "System Log"), Value: "FAILURE: x", Time: &tm, EventType: evPushProfile, TransactionID: "tx1", Note: T("n", "ね")}
	if got, want := e.Line(EN), "System Log 2026-11-20T11:30:00Z application.provision.user.push_profile (transaction tx1): FAILURE: x — n"; got != want {
		t.Errorf("EN = %q, want %q", got, want)
	}
	if got := e.Line(JA); !strings.Contains(got, "トランザクション tx1") || !strings.HasSuffix(got, "ね") {
		t.Errorf("JA = %q", got)
	}
}
