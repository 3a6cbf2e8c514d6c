package oktasim

import (
	"strings"
	"testing"
)

func allScenario(t *testing.T, name string) Scenario {
	t.Helper()
	for _, s := range append(Scenarios(), MoreScenarios()...) {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return Scenario{}
}

// The connection endpoint answers Okta's ProvisioningConnectionResponse schema.
func TestFidelityConnection(t *testing.T) {
	sp := loadSpec(t)
	e := newSeededEnv(t, Options{})
	for _, tc := range []struct{ scenario, status, scheme string }{
		{"provisioning_connection_disabled", "DISABLED", "TOKEN"},
		{"slack_deactivated", "ENABLED", "OAUTH2"},
		{"app_credentials_invalid", "ENABLED", "TOKEN"},
	} {
		appID, _ := e.ids(allScenario(t, tc.scenario))
		body := e.must(e.call("GET", "/api/v1/apps/"+appID+"/connections/default", nil), 200).json(t)
		sp.wantValid(t, "ProvisioningConnectionResponse", body)
		m := body.(map[string]any)
		if m["status"] != tc.status || m["profile"].(map[string]any)["authScheme"] != tc.scheme {
			t.Errorf("%s: %v", tc.scenario, m)
		}
	}
	if r := e.call("GET", "/api/v1/apps/0oanope/connections/default", nil); r.status != 404 {
		t.Errorf("unknown app: %d", r.status)
	} else {
		sp.wantValid(t, "Error", r.json(t))
	}
}

// Each cause scenario holds the failure Okta would log, worded as Okta and the SaaS
// word it, and heals the way an admin heals it.
func TestCauseScenarios(t *testing.T) {
	e := newSeededEnv(t, Options{})
	failure := func(name string) (map[string]any, string) {
		t.Helper()
		s := allScenario(t, name)
		_, u := e.ids(s)
		evs := e.events(u)
		for i := len(evs) - 1; i >= 0; i-- {
			if res, _ := outcome(evs[i]); res == "FAILURE" {
				_, reason := outcome(evs[i])
				return evs[i], reason
			}
		}
		t.Fatalf("%s: no failure logged", name)
		return nil, ""
	}
	syncState := func(name string) string {
		a, u := e.ids(allScenario(t, name))
		st, ok := e.org.AppUser(a, u)
		if !ok {
			t.Fatalf("%s: not assigned", name)
		}
		return st.SyncState
	}

	_, reason := failure("app_credentials_invalid")
	if !strings.HasPrefix(reason, "Automatic profile push of Kenji Mori to app Atlassian Cloud failed: ") || !strings.Contains(reason, "Token is invalid or expired") {
		t.Errorf("credentials: %q", reason)
	}
	atl, _ := e.ids(allScenario(t, "app_credentials_invalid"))
	appEvents := e.must(e.call("GET", `/api/v1/logs?until=2100-01-01T00:00:00Z&since=2000-01-01T00:00:00Z&filter=`+
		urlq(`eventType eq "application.integration.authentication_failure" and target.id eq "`+atl+`"`), nil), 200).list(t)
	if len(appEvents) != 2 {
		t.Errorf("authentication_failure events on the app: %d, want one per failed push (2)", len(appEvents))
	}

	_, reason = failure("assigned_before_provisioning")
	if !strings.Contains(reason, "assigned this application before Provisioning was enabled") {
		t.Errorf("assigned before: %q", reason)
	}

	ev, reason := failure("matching_user_not_found")
	if reason != "" || !strings.Contains(ev["displayMessage"].(string), "Matching user not found") {
		t.Errorf("matching: reason %q, display %v", reason, ev["displayMessage"])
	}

	_, reason = failure("saas_account_conflict")
	if !strings.Contains(reason, "Conflict") || !strings.Contains(reason, "already exists") {
		t.Errorf("conflict: %q", reason)
	}

	_, reason = failure("attribute_rejected")
	if !strings.Contains(reason, "Invalid value 'Japan' specified for property 'usageLocation'") {
		t.Errorf("attribute: %q", reason)
	}
	m365, yuki := e.ids(allScenario(t, "attribute_rejected"))
	if st, _ := e.org.AppUser(m365, yuki); len(st.ExternalID) != 36 || strings.Count(st.ExternalID, "-") != 4 {
		t.Errorf("Microsoft 365 external ID %q is not UUID-shaped", st.ExternalID)
	}

	_, reason = failure("saas_rate_limited")
	if !strings.Contains(reason, "Too Many Requests") {
		t.Errorf("rate limited: %q", reason)
	}

	for _, n := range []string{"app_credentials_invalid", "assigned_before_provisioning", "matching_user_not_found", "saas_account_conflict", "attribute_rejected", "saas_rate_limited"} {
		if st := syncState(n); st != "ERROR" {
			t.Errorf("%s: syncState %s, want ERROR", n, st)
		}
	}
	if st := syncState("provisioning_connection_disabled"); st != "DISABLED" {
		t.Errorf("connection disabled: syncState %s", st)
	}

	// Healing as an admin does.
	heal := func(name string, fix func(appID, userID string)) {
		t.Helper()
		a, u := e.ids(allScenario(t, name))
		fix(a, u)
		if st, _ := e.org.AppUser(a, u); st.SyncState != "SYNCHRONIZED" || st.ExternalID == "" {
			t.Errorf("%s: after the fix %+v", name, st)
		}
	}
	reassign := func(a, u string) {
		if err := e.org.UnassignUser(a, u); err != nil {
			t.Fatal(err)
		}
		if err := e.org.AssignUser(a, u); err != nil {
			t.Fatal(err)
		}
	}
	heal("assigned_before_provisioning", reassign)
	heal("saas_rate_limited", reassign) // the window has passed since the seeded story
	heal("app_credentials_invalid", func(a, u string) {
		reassign(a, u)
		if st, _ := e.org.AppUser(a, u); st.SyncState != "ERROR" {
			t.Errorf("re-assigning before the credentials are fixed must not help: %+v", st)
		}
		if err := e.org.SetCredentialsValid(a, true); err != nil {
			t.Fatal(err)
		}
		reassign(a, u)
	})
	heal("provisioning_connection_disabled", func(a, u string) {
		if err := e.org.SetConnectionEnabled(a, true); err != nil {
			t.Fatal(err)
		}
		reassign(a, u)
	})
	heal("matching_user_not_found", func(a, u string) {
		if err := e.org.SetProvisioning(a, Capabilities{LifecycleCreate: Enabled, Profile: Enabled}); err != nil {
			t.Fatal(err)
		}
	})
	heal("attribute_rejected", func(a, u string) {
		if err := e.org.SetUserProfile(u, map[string]string{"usageLocation": "JP"}); err != nil {
			t.Fatal(err)
		}
		if err := e.org.PushProfile(a, u); err != nil {
			t.Fatal(err)
		}
	})
	heal("saas_account_conflict", func(a, u string) {
		var id string
		for _, acct := range e.org.SaaSAccounts(a) {
			if acct.UserName == "hanako.sato@example.com" {
				id = acct.ID
			}
		}
		if err := e.org.UnassignUser(a, u); err != nil {
			t.Fatal(err)
		}
		// Linking: the externalId write re-assigns, and the push reaches that account.
		e.must(e.call("POST", "/api/v1/apps/"+a+"/users/"+u, map[string]any{"externalId": id}), 200)
		if st, _ := e.org.AppUser(a, u); st.ExternalID != id {
			t.Errorf("conflict: linked to %q, want %q", st.ExternalID, id)
		}
	})
}
