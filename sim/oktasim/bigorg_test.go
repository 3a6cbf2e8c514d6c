package oktasim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestGenerateBigOrg(t *testing.T) {
	e := newEnv(t, Options{})
	big, err := e.org.Generate(BigOrgSpec{Apps: 1000, Groups: 50, Users: 200, Assignments: 150, Failing: 3, SignInEvents: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if len(big.AppIDs) != 1000 || len(big.Assigned) != 150 || len(big.FailingApps) != 3 || len(big.RuleIDs) != 50 {
		t.Fatalf("generated %d apps, %d assigned, %d failing, %d rules", len(big.AppIDs), len(big.Assigned), len(big.FailingApps), len(big.RuleIDs))
	}
	now := time.Now().UTC()
	bounded := "since=" + now.Add(-30*24*time.Hour).Format(time.RFC3339) + "&until=" + now.Add(time.Minute).Format(time.RFC3339)

	// The newest 1000 of the user's events are all sign-ins...
	r := e.must(e.call("GET", "/api/v1/logs?limit=1000&sortOrder=DESCENDING&"+bounded+"&filter="+urlq(`target.id eq "`+big.SubjectID+`"`), nil), 200)
	for _, ev := range r.list(t) {
		if typ := ev.(map[string]any)["eventType"].(string); strings.HasPrefix(typ, "application.") {
			t.Fatalf("a provisioning event among the newest 1000 of a busy user: %s", typ)
		}
	}
	if r.links()["next"] == "" {
		t.Error("no next page behind the newest 1000 events")
	}
	// ...while filtering by type as well finds the three failures in one page.
	f := `target.id eq "` + big.SubjectID + `" and (eventType sw "application.provision" or eventType sw "application.user_membership")`
	r = e.must(e.call("GET", "/api/v1/logs?limit=1000&sortOrder=DESCENDING&"+bounded+"&filter="+urlq(f), nil), 200)
	failures := 0
	for _, ev := range r.list(t) {
		if res, reason := outcome(ev.(map[string]any)); res == "FAILURE" && strings.Contains(reason, "No user returned for user") {
			failures++
		}
	}
	if failures != 3 || r.links()["next"] != "" {
		t.Errorf("%d failures found, next %q", failures, r.links()["next"])
	}

	// Every assignment with its sync state in one page of the user's app list.
	r = e.must(e.call("GET", fmt.Sprintf("/api/v1/apps?limit=200&filter=%s&expand=user/%s", urlq(`user.id eq "`+big.SubjectID+`"`), big.SubjectID), nil), 200)
	apps := r.list(t)
	errorsSeen := 0
	for _, a := range apps {
		au := a.(map[string]any)["_embedded"].(map[string]any)["user"].(map[string]any)
		if au["syncState"] == "ERROR" {
			errorsSeen++
		}
	}
	if len(apps) != 150 || errorsSeen != 3 {
		t.Errorf("%d apps, %d in ERROR", len(apps), errorsSeen)
	}

	// q= finds one label among a thousand.
	r = e.must(e.call("GET", "/api/v1/apps?q="+urlq(big.FailingApps[0]), nil), 200)
	if got := r.list(t); len(got) != 1 || got[0].(map[string]any)["label"] != big.FailingApps[0] {
		t.Errorf("q=%s: %v", big.FailingApps[0], got)
	}

	// Group rules page as Okta pages them: 50 by default, at most 200.
	r = e.must(e.call("GET", "/api/v1/groups/rules", nil), 200)
	if n := len(r.list(t)); n != 50 {
		t.Errorf("%d rules on the first page, want 50", n)
	}
	if _, err := e.org.Generate(BigOrgSpec{Apps: 1, Assignments: 2}); err == nil {
		t.Error("more assignments than apps accepted")
	}
}

// TestFidelityGeneratedOrg holds what Generate makes to Okta's schemas, as the seeded
// org is: sign-in noise, failures, apps with embedded app users, rules.
func TestFidelityGeneratedOrg(t *testing.T) {
	sp := loadSpec(t)
	e := newEnv(t, Options{})
	big, err := e.org.Generate(BigOrgSpec{Apps: 12, Groups: 3, Users: 5, Assignments: 6, Failing: 2, SignInEvents: 40})
	if err != nil {
		t.Fatal(err)
	}
	logs := e.must(e.call("GET", "/api/v1/logs?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&limit=1000", nil), 200).list(t)
	types := map[string]bool{}
	for _, ev := range logs {
		sp.wantValid(t, "LogEvent", ev)
		types[ev.(map[string]any)["eventType"].(string)] = true
	}
	for _, want := range []string{"user.session.start", "user.authentication.auth_via_mfa", "policy.evaluate_sign_on",
		"user.authentication.sso", "application.provision.user.push", "application.provision.user.push_profile"} {
		if !types[want] {
			t.Errorf("no %s event among %v", want, types)
		}
	}
	for _, a := range e.must(e.call("GET", "/api/v1/apps?limit=200&expand=user/"+big.SubjectID+"&filter="+urlq(`user.id eq "`+big.SubjectID+`"`), nil), 200).list(t) {
		sp.wantValid(t, "SamlApplication", a, "SamlApplication._links.uploadLogo",
			"SamlApplication.settings.app", "SamlApplication.settings.manualProvisioning")
		sp.wantValid(t, "AppUser", a.(map[string]any)["_embedded"].(map[string]any)["user"])
	}
	for _, r := range e.must(e.call("GET", "/api/v1/groups/rules", nil), 200).list(t) {
		sp.wantValid(t, "GroupRule", r, "GroupRule.allGroupsValid")
	}
}
