package oktasim

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var slackMemberID = regexp.MustCompile(`^U[A-Z0-9]{10}$`)

func TestAssignProvisionsAsynchronously(t *testing.T) {
	e := newEnv(t, Options{ProvisionDelay: 30 * time.Millisecond})
	slack := e.app("slack", "Slack", slackCaps(Disabled))
	alice := e.user("alice@example.com")

	r := e.must(e.call("POST", "/api/v1/apps/"+slack+"/users", map[string]any{"id": alice, "scope": "USER",
		"credentials": map[string]any{"userName": "alice@example.com"}}), 200).obj(t)
	if r["externalId"] != nil || r["status"] != "STAGED" || r["scope"] != "USER" {
		t.Fatalf("on accept: externalId=%v status=%v scope=%v, want null STAGED USER", r["externalId"], r["status"], r["scope"])
	}
	e.idle()
	got := e.must(e.call("GET", "/api/v1/apps/"+slack+"/users/"+alice, nil), 200).obj(t)
	ext, _ := got["externalId"].(string)
	if !slackMemberID.MatchString(ext) || got["status"] != "PROVISIONED" || got["syncState"] != "SYNCHRONIZED" {
		t.Fatalf("after provisioning: externalId=%v status=%v syncState=%v", got["externalId"], got["status"], got["syncState"])
	}
	if got["lastSync"] == nil {
		t.Error("lastSync missing after a sync")
	}
	acct, ok := e.org.SaaSAccountByID(slack, ext)
	if !ok || !acct.Active || acct.UserName != "alice@example.com" {
		t.Fatalf("SaaS account %s: %+v %v", ext, acct, ok)
	}
	push := last(e.events(alice), "application.provision.user.push")
	if push == nil {
		t.Fatal("no application.provision.user.push event")
	}
	if res, _ := outcome(push); res != "SUCCESS" {
		t.Fatalf("push outcome %s", res)
	}
	var types []string
	for _, tg := range push["target"].([]any) {
		types = append(types, tg.(map[string]any)["type"].(string))
	}
	if strings.Join(types, ",") != "User,AppInstance,AppUser" {
		t.Fatalf("push targets %v, want User, AppInstance, AppUser", types)
	}
}

func TestAssignWithProvisioningOffPushesNothing(t *testing.T) {
	e := newEnv(t, Options{})
	g := e.app("google", "Google Workspace", &Capabilities{})
	u := e.user("erin@example.com")
	r := e.must(e.call("POST", "/api/v1/apps/"+g+"/users", map[string]any{"id": u}), 200).obj(t)
	if r["externalId"] != nil || r["syncState"] != "DISABLED" || r["status"] != "ACTIVE" {
		t.Fatalf("got externalId=%v syncState=%v status=%v, want null DISABLED ACTIVE", r["externalId"], r["syncState"], r["status"])
	}
	if n := len(e.org.SaaSAccounts(g)); n != 0 {
		t.Fatalf("%d SaaS accounts created with provisioning off", n)
	}
	if last(e.events(u), "application.provision.user.push") != nil {
		t.Fatal("a push was logged with provisioning off")
	}
}

// staleWorld provisions a user, deletes the SaaS account and pushes a profile change:
// seed 000's failure.
func staleWorld(t *testing.T, e *env, deactivate string) (appID, userID, ext string) {
	t.Helper()
	appID = e.app("zoomus", "Zoom", slackCaps(deactivate))
	userID = e.user("alice@example.com")
	e.ok(e.org.AssignUser(appID, userID))
	e.idle()
	ext = e.appUser(appID, userID).ExternalID
	e.ok(e.org.SaaSDeleteAccount(appID, ext))
	e.ok(e.org.PushProfile(appID, userID))
	e.idle()
	return appID, userID, ext
}

func wantNoUserReturned(t *testing.T, e *env, userID, ext string) {
	t.Helper()
	ev := last(e.events(userID), "application.provision.user.push_profile")
	if ev == nil {
		t.Fatal("no push_profile event")
	}
	res, reason := outcome(ev)
	want := "Automatic profile push of alice@example.com to app Zoom failed: Error while trying to push profile update for alice@example.com: No user returned for user " + ext
	if res != "FAILURE" || reason != want {
		t.Fatalf("push_profile %s %q\nwant FAILURE %q", res, reason, want)
	}
	if ev["severity"] != "ERROR" {
		t.Errorf("severity %v, want ERROR", ev["severity"])
	}
}

func TestSaaSDeletionMakesProfilePushFail(t *testing.T) {
	e := newEnv(t, Options{})
	app, u, ext := staleWorld(t, e, Disabled)
	wantNoUserReturned(t, e, u, ext)
	got := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	if got["syncState"] != "ERROR" || got["externalId"] != ext {
		t.Fatalf("syncState=%v externalId=%v, want ERROR %s", got["syncState"], got["externalId"], ext)
	}
}

func TestFix1ReassignKeepsStaleExternalIDWhenDeactivateIsOff(t *testing.T) {
	e := newEnv(t, Options{})
	app, u, ext := staleWorld(t, e, Disabled)
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 404)
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users", map[string]any{"id": u}), 200)
	e.idle()
	st := e.appUser(app, u)
	if st.ExternalID != ext || st.SyncState != "ERROR" {
		t.Fatalf("after fix 1: %+v, want the stale %s in ERROR", st, ext)
	}
	wantNoUserReturned(t, e, u, ext)
}

func TestFix1HealsWhenDeactivateIsOn(t *testing.T) {
	e := newEnv(t, Options{})
	app, u, ext := staleWorld(t, e, Enabled)
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users", map[string]any{"id": u}), 200)
	e.idle()
	st := e.appUser(app, u)
	if st.ExternalID == "" || st.ExternalID == ext || st.SyncState != "SYNCHRONIZED" {
		t.Fatalf("after fix 1: %+v, want a new account, SYNCHRONIZED", st)
	}
	if _, ok := e.org.SaaSAccountByID(app, st.ExternalID); !ok {
		t.Fatal("new SaaS account missing")
	}
}

func putCaps(e *env, app string, create, profile, deactivate string) map[string]any {
	e.t.Helper()
	return e.must(e.call("PUT", "/api/v1/apps/"+app+"/features/USER_PROVISIONING", map[string]any{
		"create": map[string]any{"lifecycleCreate": map[string]any{"status": create}},
		"update": map[string]any{"profile": map[string]any{"status": profile},
			"lifecycleDeactivate": map[string]any{"status": deactivate}},
	}), 200).obj(e.t)
}

func TestFix2ResetExternalID(t *testing.T) {
	e := newEnv(t, Options{ProvisionDelay: 5 * time.Millisecond})
	app, u, ext := staleWorld(t, e, Disabled)
	// 1-2: read the externalId and find it in the error.
	got := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	if got["externalId"] != ext {
		t.Fatalf("externalId %v, want %s", got["externalId"], ext)
	}
	// 3: provisioning off.
	putCaps(e, app, Disabled, Disabled, Disabled)
	// 4: unassign.
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	// 5: externalId null re-assigns the user.
	r := e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, `{"externalId": null}`), 200).obj(t)
	if r["externalId"] != nil || r["scope"] != "USER" {
		t.Fatalf("after null write: %v", r)
	}
	e.idle()
	if st := e.appUser(app, u); st.ExternalID != "" || st.SyncState != "DISABLED" {
		t.Fatalf("null did not stick with provisioning off: %+v", st)
	}
	// 6: provisioning on creates the account.
	putCaps(e, app, Enabled, Enabled, Disabled)
	e.idle()
	st := e.appUser(app, u)
	if st.ExternalID == "" || st.ExternalID == ext || st.SyncState != "SYNCHRONIZED" || st.Status != "PROVISIONED" {
		t.Fatalf("after fix 2: %+v", st)
	}
	if res, _ := outcome(last(e.events(u), "application.provision.user.push")); res != "SUCCESS" {
		t.Fatalf("last push %s", res)
	}
}

func TestExternalIDNullCannotStickWhileProvisioningIsOn(t *testing.T) {
	e := newEnv(t, Options{})
	app, u, ext := staleWorld(t, e, Disabled)
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, `{"externalId": null}`), 200)
	e.idle()
	got := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	if got["externalId"] == nil || got["externalId"] == ext {
		t.Fatalf("externalId %v: with provisioning on the write must provision a new account", got["externalId"])
	}
}

func TestExternalIDStringNullIsAValue(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("zoomus", "Zoom", &Capabilities{})
	u := e.user("alice@example.com")
	e.ok(e.org.AssignUser(app, u))
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, `{"externalId": "null"}`), 200)
	if st := e.appUser(app, u); st.ExternalID != "null" {
		t.Fatalf("externalId %q: only JSON null clears", st.ExternalID)
	}
}

func slackDeactivatedWorld(t *testing.T, e *env, deactivate string) (app, u, member string) {
	t.Helper()
	app = e.app("slack", "Slack", slackCaps(deactivate))
	u = e.user("bob@example.com")
	e.ok(e.org.AssignUser(app, u))
	e.idle()
	member = e.appUser(app, u).ExternalID
	e.ok(e.org.SaaSDeactivateAccount(app, member))
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users", map[string]any{"id": u}), 200)
	e.idle()
	return app, u, member
}

func TestSlackDeactivatedReassignFailsInactive(t *testing.T) {
	e := newEnv(t, Options{})
	app, u, _ := slackDeactivatedWorld(t, e, Disabled)
	ev := last(e.events(u), "application.provision.user.push_profile")
	if ev == nil {
		t.Fatal("no push_profile event")
	}
	if res, reason := outcome(ev); res != "FAILURE" || !strings.HasSuffix(reason, "User account is inactive") {
		t.Fatalf("got %s %q", res, reason)
	}
	got := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	if got["externalId"] != nil || got["syncState"] != "ERROR" {
		t.Fatalf("externalId=%v syncState=%v, want null ERROR", got["externalId"], got["syncState"])
	}
}

func TestSlackRelinkFix(t *testing.T) {
	e := newEnv(t, Options{})
	app, u, member := slackDeactivatedWorld(t, e, Disabled)
	putCaps(e, app, Disabled, Disabled, Disabled)
	e.ok(e.org.SaaSReactivateAccount(app, member))
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	r := e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, map[string]any{"externalId": member}), 200).obj(t)
	if r["externalId"] != nil {
		t.Fatalf("Slack's response to the write shows %v; the seed shows null", r["externalId"])
	}
	got := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	if got["externalId"] != member {
		t.Fatalf("fresh GET shows %v, want %s", got["externalId"], member)
	}
	putCaps(e, app, Enabled, Enabled, Disabled)
	e.idle()
	st := e.appUser(app, u)
	if st.ExternalID != member || st.SyncState != "SYNCHRONIZED" {
		t.Fatalf("after relink: %+v", st)
	}
	if n := len(e.org.SaaSAccounts(app)); n != 1 {
		t.Fatalf("%d Slack accounts, want the one relinked", n)
	}
}

func TestSlackReassignHealsWhenDeactivateIsOn(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("slack", "Slack", slackCaps(Enabled))
	u := e.user("bob@example.com")
	e.ok(e.org.AssignUser(app, u))
	member := e.appUser(app, u).ExternalID
	e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 204)
	if acct, _ := e.org.SaaSAccountByID(app, member); acct.Active {
		t.Fatal("unassign with Deactivate Users on did not deactivate the Slack account")
	}
	if last(e.events(u), "application.provision.user.deactivate") == nil {
		t.Error("no deactivate event")
	}
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users", map[string]any{"id": u}), 200)
	st := e.appUser(app, u)
	acct, _ := e.org.SaaSAccountByID(app, member)
	if st.ExternalID != member || st.SyncState != "SYNCHRONIZED" || !acct.Active {
		t.Fatalf("after reassign: %+v, account %+v", st, acct)
	}
	if res, _ := outcome(last(e.events(u), "application.provision.user.reactivate")); res != "SUCCESS" {
		t.Fatal("no successful reactivate event")
	}
}

func TestGroupScopedAssignment(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("zoomus", "Zoom", slackCaps(Disabled))
	u := e.user("carol@example.com")
	other := e.user("dan@example.com")
	g, err := e.org.AddGroup("Zoom Users")
	e.ok(err)
	e.ok(e.org.AssignGroup(app, g))
	e.ok(e.org.AddGroupMember(g, u))

	got := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	if got["scope"] != "GROUP" {
		t.Fatalf("scope %v, want GROUP", got["scope"])
	}
	r := e.must(e.call("DELETE", "/api/v1/apps/"+app+"/users/"+u, nil), 403).obj(t)
	if r["errorCode"] != "E0000046" || r["errorSummary"] != "Deactivate application for user forbidden." {
		t.Fatalf("error %v", r)
	}
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, map[string]any{"scope": "USER"}), 200)
	if st := e.appUser(app, u); st.Scope != "USER" {
		t.Fatalf("scope %s after conversion", st.Scope)
	}
	e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, map[string]any{"scope": "GROUP"}), 200)
	if st := e.appUser(app, u); st.Scope != "GROUP" || st.GroupID != g {
		t.Fatalf("back to group: %+v", st)
	}
	// A user in no assigned group cannot be converted to GROUP.
	e.ok(e.org.AssignUser(app, other))
	r = e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+other, map[string]any{"scope": "GROUP"}), 400).obj(t)
	if r["errorCode"] != "E0000001" {
		t.Fatalf("error %v", r)
	}
	groups := e.must(e.call("GET", "/api/v1/apps/"+app+"/groups", nil), 200).list(t)
	if len(groups) != 1 || groups[0].(map[string]any)["id"] != g {
		t.Fatalf("app groups %v", groups)
	}
}

func TestSuspendedUserIsNotPushed(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("slack", "Slack", slackCaps(Disabled))
	u, err := e.org.AddUser(UserSpec{Login: "heidi@example.com", Status: "SUSPENDED"})
	e.ok(err)
	e.ok(e.org.AssignUser(app, u))
	e.ok(e.org.PushProfile(app, u))
	if n := len(e.org.SaaSAccounts(app)); n != 0 {
		t.Fatalf("%d accounts pushed for a suspended user", n)
	}
	if st := e.appUser(app, u); st.SyncState != "DISABLED" || st.ExternalID != "" {
		t.Fatalf("%+v", st)
	}
	// Once active again, turning provisioning on pushes the pending user.
	e.ok(e.org.SetUserStatus(u, "ACTIVE"))
	e.ok(e.org.SetProvisioning(app, Capabilities{}))
	e.ok(e.org.SetProvisioning(app, *slackCaps(Disabled)))
	if st := e.appUser(app, u); st.SyncState != "SYNCHRONIZED" {
		t.Fatalf("pending user not pushed when provisioning came back: %+v", st)
	}
}

func TestFeaturesAPI(t *testing.T) {
	e := newEnv(t, Options{})
	slack := e.app("slack", "Slack", &Capabilities{LifecycleCreate: Enabled, LifecycleDeactivate: Enabled,
		Password: PasswordCapability{Status: Enabled, Seed: "RANDOM", Change: "KEEP_EXISTING"}})
	wiki := e.app("scim2testapp", "Acme Wiki", slackCaps(Enabled))
	sso := e.app("zoomus", "Zoom SSO", nil)

	for _, app := range []string{wiki, sso} {
		for _, path := range []string{"/features", "/features/USER_PROVISIONING"} {
			r := e.must(e.call("GET", "/api/v1/apps/"+app+path, nil), 400).obj(t)
			causes := r["errorCauses"].([]any)
			if r["errorCode"] != "E0000001" || r["errorSummary"] != "Api validation failed: feature" || len(causes) != 1 ||
				causes[0].(map[string]any)["errorSummary"] != "Provisioning is not enabled for the app instance." {
				t.Fatalf("GET %s on %s: %v", path, app, r)
			}
		}
	}
	list := e.must(e.call("GET", "/api/v1/apps/"+slack+"/features", nil), 200).list(t)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "USER_PROVISIONING" {
		t.Fatalf("features %v", list)
	}
	// Partial update: only profile changes.
	r := e.must(e.call("PUT", "/api/v1/apps/"+slack+"/features/USER_PROVISIONING",
		`{"update":{"profile":{"status":"ENABLED"}}}`), 200).obj(t)
	caps := r["capabilities"].(map[string]any)
	upd := caps["update"].(map[string]any)
	if upd["profile"].(map[string]any)["status"] != "ENABLED" ||
		caps["create"].(map[string]any)["lifecycleCreate"].(map[string]any)["status"] != "ENABLED" ||
		upd["password"].(map[string]any)["seed"] != "RANDOM" {
		t.Fatalf("partial update lost fields: %v", caps)
	}
	// All off: the feature itself stays ENABLED, as Okta's example shows.
	r = putCaps(e, slack, Disabled, Disabled, Disabled)
	if r["status"] != "ENABLED" {
		t.Fatalf("feature status %v", r["status"])
	}
	if c, _ := e.org.Provisioning(slack); c.LifecycleCreate != Disabled || c.Password.Status != Enabled {
		t.Fatalf("caps %+v", c)
	}
	e.must(e.call("PUT", "/api/v1/apps/"+slack+"/features/USER_PROVISIONING",
		`{"create":{"lifecycleCreate":{"status":"ON"}}}`), 400)
	e.must(e.call("PUT", "/api/v1/apps/"+slack+"/features/USER_PROVISIONING", `{not json`), 400)
	e.must(e.call("GET", "/api/v1/apps/"+slack+"/features/INBOUND_PROVISIONING", nil), 404)
	// The app's legacy features list follows the capabilities.
	app := e.must(e.call("GET", "/api/v1/apps/"+slack, nil), 200).obj(t)
	if f := app["features"].([]any); len(f) != 1 || f[0] != "PUSH_PASSWORD_UPDATES" {
		t.Fatalf("app features %v", f)
	}
}

func TestGroupRulesRunOnlyForDefaultType(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("zoomus", "Zoom", slackCaps(Disabled))
	g, _ := e.org.AddGroup("Engineering")
	e.ok(e.org.AssignGroup(app, g))
	_, err := e.org.AddGroupRule(GroupRuleSpec{Name: "eng", Expression: `user.department == "Engineering"`, GroupIDs: []string{g}})
	e.ok(err)
	ct, err := e.org.AddUserType("contractor", "Contractor")
	e.ok(err)
	emp, _ := e.org.AddUser(UserSpec{Login: "emp@example.com", Profile: map[string]string{"department": "Engineering"}})
	con, _ := e.org.AddUser(UserSpec{Login: "con@example.com", TypeID: ct, Profile: map[string]string{"department": "Engineering"}})
	if st, ok := e.org.AppUser(app, emp); !ok || st.Scope != "GROUP" {
		t.Fatalf("default-type user: %+v %v", st, ok)
	}
	if _, ok := e.org.AppUser(app, con); ok {
		t.Fatal("the rule ran for a custom-type user")
	}
	groups := e.must(e.call("GET", "/api/v1/users/"+con+"/groups", nil), 200).list(t)
	if len(groups) != 0 {
		t.Fatalf("custom-type user is in %v", groups)
	}
}

// The SDK's UpdateApplicationUser posts the whole app user back; echoing the current
// externalId must not change anything, nor cancel a push in flight.
func TestEchoedAppUserIsNotAnExternalIDWrite(t *testing.T) {
	e := newEnv(t, Options{ProvisionDelay: 20 * time.Millisecond})
	app := e.app("slack", "Slack", slackCaps(Disabled))
	u := e.user("alice@example.com")
	e.ok(e.org.AssignUser(app, u))
	e.idle()
	cur := e.must(e.call("GET", "/api/v1/apps/"+app+"/users/"+u, nil), 200).obj(t)
	e.ok(e.org.PushProfile(app, u)) // a push is now pending
	echo := e.must(e.call("POST", "/api/v1/apps/"+app+"/users/"+u, cur), 200).obj(t)
	if echo["externalId"] != cur["externalId"] || echo["scope"] != "USER" {
		t.Fatalf("echo changed the app user: %v", echo)
	}
	e.idle()
	if ev := last(e.events(u), "application.provision.user.push_profile"); ev == nil {
		t.Fatal("the pending profile push was cancelled by the echo")
	}
}
