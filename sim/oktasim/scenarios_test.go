package oktasim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func scenario(t *testing.T, name string) Scenario {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return Scenario{}
}

func (e *env) ids(s Scenario) (appID, userID string) {
	e.t.Helper()
	u, ok := e.org.UserID(s.UserLogin)
	a, ok2 := e.org.AppID(s.AppLabel)
	if !ok || !ok2 {
		e.t.Fatalf("scenario %s: user %s / app %s missing", s.Name, s.UserLogin, s.AppLabel)
	}
	return a, u
}

func TestScenarioCatalogue(t *testing.T) {
	seen := map[string]bool{}
	users := map[string]bool{}
	for _, s := range Scenarios() {
		if s.Name == "" || s.Title == "" || s.TitleJA == "" || s.UserLogin == "" || s.AppLabel == "" || len(s.Expect) == 0 {
			t.Errorf("incomplete scenario %+v", s)
		}
		if seen[s.Name] || users[s.UserLogin] {
			t.Errorf("duplicate name or user in %s", s.Name)
		}
		seen[s.Name], users[s.UserLogin] = true, true
		for _, p := range s.HealedBy {
			if !slices.Contains(s.Plans, p) {
				t.Errorf("%s: HealedBy %s is not a proposed plan", s.Name, p)
			}
		}
	}
	for _, n := range []string{"stale_external_id", "slack_deactivated", "group_scoped", "custom_user_type",
		"provisioning_disabled", "features_unsupported", "not_assigned", "okta_user_suspended", "healthy"} {
		if !seen[n] {
			t.Errorf("missing scenario %s", n)
		}
	}
}

// TestSeededWorlds checks, over HTTP, that each world shows what a diagnosis needs.
func TestSeededWorlds(t *testing.T) {
	for _, delay := range []time.Duration{0, 2 * time.Millisecond} {
		e := newSeededEnv(t, Options{ProvisionDelay: delay})
		get := func(s Scenario) (map[string]any, int) {
			a, u := e.ids(s)
			r := e.call("GET", "/api/v1/apps/"+a+"/users/"+u, nil)
			if r.status != 200 {
				return nil, r.status
			}
			return r.obj(t), 200
		}
		failure := func(s Scenario) string {
			_, u := e.ids(s)
			ev := last(e.events(u), "application.provision.user.push_profile")
			if ev == nil {
				t.Fatalf("%s: no push_profile event", s.Name)
			}
			res, reason := outcome(ev)
			if res != "FAILURE" {
				t.Fatalf("%s: last push_profile %s", s.Name, res)
			}
			return reason
		}

		s := scenario(t, "stale_external_id")
		au, _ := get(s)
		ext, _ := au["externalId"].(string)
		if au["syncState"] != "ERROR" || ext == "" || !strings.HasSuffix(failure(s), "No user returned for user "+ext) {
			t.Errorf("%s: %v", s.Name, au)
		}
		published, _ := time.Parse(time.RFC3339, last(e.events(e.must(e.call("GET", "/api/v1/users/"+s.UserLogin, nil), 200).obj(t)["id"].(string)),
			"application.provision.user.push_profile")["published"].(string))
		if age := time.Since(published); age < time.Minute || age > 24*time.Hour {
			t.Errorf("%s: the failure was published %v ago; the seeded story happens in the past hours", s.Name, age)
		}
		if _, ok := e.org.SaaSAccountByID(e.must(e.call("GET", "/api/v1/apps?q=Zoom", nil), 200).list(t)[0].(map[string]any)["id"].(string), ext); ok {
			t.Errorf("%s: the SaaS account still exists", s.Name)
		}

		s = scenario(t, "slack_deactivated")
		au, _ = get(s)
		if au["syncState"] != "ERROR" || au["externalId"] != nil || !strings.HasSuffix(failure(s), "User account is inactive") {
			t.Errorf("%s: %v", s.Name, au)
		}

		s = scenario(t, "group_scoped")
		au, _ = get(s)
		if au["scope"] != "GROUP" || au["syncState"] != "ERROR" || !strings.Contains(failure(s), "No user returned for user") {
			t.Errorf("%s: %v", s.Name, au)
		}

		s = scenario(t, "custom_user_type")
		if _, st := get(s); st != 404 {
			t.Errorf("%s: assigned (%d)", s.Name, st)
		}
		user := e.must(e.call("GET", "/api/v1/users/"+s.UserLogin, nil), 200).obj(t)
		typ := e.must(e.call("GET", "/api/v1/meta/types/user/"+user["type"].(map[string]any)["id"].(string), nil), 200).obj(t)
		rules := e.must(e.call("GET", "/api/v1/groups/rules", nil), 200).list(t)
		appID, _ := e.ids(s)
		appGroups := e.must(e.call("GET", "/api/v1/apps/"+appID+"/groups", nil), 200).list(t)
		if typ["default"] != false || len(rules) == 0 || len(appGroups) == 0 {
			t.Errorf("%s: type %v, %d rules, %d app groups", s.Name, typ["default"], len(rules), len(appGroups))
		}
		ruleGroups := rules[0].(map[string]any)["actions"].(map[string]any)["assignUserToGroups"].(map[string]any)["groupIds"].([]any)
		if ruleGroups[0] != appGroups[0].(map[string]any)["id"] {
			t.Errorf("%s: the rule's group is not the app's group", s.Name)
		}

		s = scenario(t, "provisioning_disabled")
		au, _ = get(s)
		appID, _ = e.ids(s)
		feat := e.must(e.call("GET", "/api/v1/apps/"+appID+"/features/USER_PROVISIONING", nil), 200).obj(t)
		create := feat["capabilities"].(map[string]any)["create"].(map[string]any)["lifecycleCreate"].(map[string]any)["status"]
		if au["externalId"] != nil || au["syncState"] != "DISABLED" || create != "DISABLED" {
			t.Errorf("%s: %v, create %v", s.Name, au, create)
		}

		s = scenario(t, "features_unsupported")
		au, _ = get(s)
		appID, _ = e.ids(s)
		if au["syncState"] != "ERROR" || e.call("GET", "/api/v1/apps/"+appID+"/features", nil).status != 400 {
			t.Errorf("%s: %v", s.Name, au)
		}

		if _, st := get(scenario(t, "not_assigned")); st != 404 {
			t.Errorf("not_assigned: %d", st)
		}

		s = scenario(t, "okta_user_suspended")
		if u := e.must(e.call("GET", "/api/v1/users/"+s.UserLogin, nil), 200).obj(t); u["status"] != "SUSPENDED" {
			t.Errorf("%s: %v", s.Name, u["status"])
		}

		s = scenario(t, "healthy")
		au, _ = get(s)
		if au["syncState"] != "SYNCHRONIZED" || au["status"] != "PROVISIONED" || au["externalId"] == nil {
			t.Errorf("%s: %v", s.Name, au)
		}

		// Noise: events about other users and other event types are present.
		all := e.must(e.call("GET", "/api/v1/logs?limit=1000&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z", nil), 200).list(t)
		types := map[string]bool{}
		for _, ev := range all {
			types[ev.(map[string]any)["eventType"].(string)] = true
		}
		for _, want := range []string{"user.session.start", "application.provision.user.push", "group.user_membership.add", "user.lifecycle.suspend"} {
			if !types[want] {
				t.Errorf("no %s event in the seeded log", want)
			}
		}
	}
}

// runPlan applies a plan the way the seeds describe it, through the API where the
// Features API allows and as the Admin Console otherwise.
func runPlan(t *testing.T, e *env, plan, appID, userID string) {
	t.Helper()
	before, err := e.org.Provisioning(appID)
	e.ok(err)
	featuresAPI := e.call("GET", "/api/v1/apps/"+appID+"/features", nil).status == 200
	setCaps := func(c Capabilities) {
		if featuresAPI {
			putCaps(e, appID, c.LifecycleCreate, c.Profile, c.LifecycleDeactivate)
		} else {
			e.ok(e.org.SetProvisioning(appID, c))
		}
	}
	individual := func() {
		if st := e.appUser(appID, userID); st.Scope == "GROUP" {
			e.must(e.call("POST", "/api/v1/apps/"+appID+"/users/"+userID, `{"scope":"USER"}`), 200)
		}
	}
	off := Capabilities{LifecycleCreate: Disabled, Profile: Disabled, LifecycleDeactivate: Disabled, Password: before.Password}
	switch plan {
	case "reassign":
		individual()
		e.must(e.call("DELETE", "/api/v1/apps/"+appID+"/users/"+userID, nil), 204)
		e.must(e.call("POST", "/api/v1/apps/"+appID+"/users", map[string]any{"id": userID}), 200)
	case "reset_external_id":
		setCaps(off)
		individual()
		e.must(e.call("DELETE", "/api/v1/apps/"+appID+"/users/"+userID, nil), 204)
		e.must(e.call("POST", "/api/v1/apps/"+appID+"/users/"+userID, `{"externalId":null}`), 200)
		setCaps(before)
	case "relink_saas_user":
		login := e.must(e.call("GET", "/api/v1/users/"+userID, nil), 200).obj(t)["profile"].(map[string]any)["login"].(string)
		var member string
		for _, a := range e.org.SaaSAccounts(appID) {
			if a.UserName == login {
				member = a.ID
			}
		}
		setCaps(off)
		e.ok(e.org.SaaSReactivateAccount(appID, member))
		e.must(e.call("DELETE", "/api/v1/apps/"+appID+"/users/"+userID, nil), 204)
		e.must(e.call("POST", "/api/v1/apps/"+appID+"/users/"+userID, map[string]any{"externalId": member}), 200)
		setCaps(before)
	default:
		t.Fatalf("unknown plan %s", plan)
	}
	e.idle()
}

func TestPlansHealExactlyAsDeclared(t *testing.T) {
	for _, s := range Scenarios() {
		for _, plan := range s.Plans {
			t.Run(s.Name+"/"+plan, func(t *testing.T) {
				e := newSeededEnv(t, Options{ProvisionDelay: time.Millisecond})
				appID, userID := e.ids(s)
				runPlan(t, e, plan, appID, userID)
				st := e.appUser(appID, userID)
				acct, ok := e.org.SaaSAccountByID(appID, st.ExternalID)
				healed := st.SyncState == "SYNCHRONIZED" && ok && acct.Active
				if want := slices.Contains(s.HealedBy, plan); healed != want {
					t.Fatalf("healed=%v, want %v: %+v", healed, want, st)
				}
			})
		}
	}
}
