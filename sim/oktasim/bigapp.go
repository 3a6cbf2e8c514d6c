package oktasim

import (
	"fmt"
	"time"
)

// BigAppSpec describes one app with many assigned users, some failing in several ways,
// for tests and benchmarks of a scan at a real org's size (never part of the demo).
type BigAppSpec struct {
	Label string // default "Big App"
	Name  string // catalogue name, default "zoomus"
	Users int    // users assigned to the app, all provisioned
	// Stale of them had their SaaS account deleted: the last profile push failed with
	// seed 000's "No user returned for user …".
	Stale int
	// Conflict of them were never created: an account with their email already exists.
	Conflict int
	// Unknown of them failed with a message no pattern knows.
	Unknown int
	// Suspended of them are suspended in Okta (their assignment looks healthy).
	Suspended int
	// FailureAge is how long ago the failures happened (default 2 days).
	FailureAge time.Duration
}

// BigApp is what GenerateApp made.
type BigApp struct {
	AppID string
	// Failing maps each failing user's ID to the kind of failure: "stale",
	// "conflict", "unknown" or "suspended".
	Failing map[string]string
}

// GenerateApp adds an app and its users as Okta would hold them after provisioning ran
// and some pushes failed, directly, so 10,000 users take milliseconds. The failing
// users are spread over the list.
func (o *Org) GenerateApp(spec BigAppSpec) (BigApp, error) {
	if spec.Label == "" {
		spec.Label = "Big App"
	}
	if spec.Name == "" {
		spec.Name = "zoomus"
	}
	if spec.FailureAge <= 0 {
		spec.FailureAge = 48 * time.Hour
	}
	failing := spec.Stale + spec.Conflict + spec.Unknown + spec.Suspended
	if failing > spec.Users {
		return BigApp{}, fmt.Errorf("oktasim: GenerateApp: %d failing users of %d", failing, spec.Users)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	pushed := now.Add(-spec.FailureAge - 24*time.Hour)
	failedAt := now.Add(-spec.FailureAge)
	created := pushed.Add(-7 * 24 * time.Hour)
	caps := AllEnabled()
	caps.LifecycleDeactivate = Disabled
	a := &app{id: o.newID("0oa"), name: spec.Name, label: spec.Label, status: statusActive, signOnMode: "SAML_2_0",
		created: created, lastUpdated: created, provisioning: true, caps: caps.normalized(),
		removed: map[string]*appUser{}, saas: &saas{kind: spec.Name}}
	o.apps = append(o.apps, a)
	out := BigApp{AppID: a.id, Failing: map[string]string{}}

	kinds := make([]string, spec.Users)
	step := 1
	if failing > 0 {
		step = spec.Users / failing
	}
	k := 0
	for _, n := range []struct {
		kind  string
		count int
	}{{"stale", spec.Stale}, {"conflict", spec.Conflict}, {"unknown", spec.Unknown}, {"suspended", spec.Suspended}} {
		for range n.count {
			kinds[k*step+step/2] = n.kind
			k++
		}
	}
	for i := range spec.Users {
		login := fmt.Sprintf("%s%05d@example.com", "member", len(o.users)+1)
		p := map[string]string{"login": login, "email": login, "firstName": "Member", "lastName": fmt.Sprintf("%05d", i+1)}
		u := &user{id: o.newID("00u"), status: statusActive, typeID: o.defaultType, profile: p,
			created: created, activated: created, statusChanged: created, lastUpdated: created}
		o.users = append(o.users, u)
		acct := &saasAccount{id: o.newSaaSID(a.saas.kind), userName: login, active: true, created: pushed}
		au := &appUser{internalID: o.newID("0ua"), userID: u.id, externalID: acct.id, scope: scopeUser,
			status: statusProvisioned, syncState: syncSynchronized, userName: login,
			created: pushed, lastUpdated: pushed, statusChanged: pushed, lastSync: pushed, gen: 1}
		a.users = append(a.users, au)
		fail := func(eventType, legacy, reason string) {
			au.syncState, au.lastUpdated = syncError, failedAt
			o.emit(logEvent{published: failedAt, eventType: eventType, legacyType: legacy,
				displayMessage: "Push user's profile to external application", result: "FAILURE", reason: reason, severity: "ERROR",
				actor: systemActor(), txType: "JOB", targets: o.pushTargets(a, u, au)})
		}
		switch kinds[i] {
		case "stale":
			fail("application.provision.user.push_profile", "app.user_management.push_profile_failure", noUserReturnedReason(login, a.label, au.externalID))
			out.Failing[u.id] = kinds[i]
			continue // the account is gone at the SaaS
		case "conflict":
			au.externalID, au.status = "", statusStaged
			fail("application.provision.user.push", "app.user_management.push_new_user_failure",
				fmt.Sprintf(`Automatic provisioning of user %s to app %s failed: Error while trying to create user %s: Conflict. Errors reported by remote server: A user with the email %s already exists. (409, {"Errors":{"description":"email_taken","code":409}})`, login, a.label, login, login))
		case "unknown":
			fail("application.provision.user.push_profile", "app.user_management.push_profile_failure",
				fmt.Sprintf("Automatic profile push of %s to app %s failed: Error while trying to push profile update for %s: Internal Server Error (500)", login, a.label, login))
		case "suspended":
			u.status, u.statusChanged = "SUSPENDED", failedAt
		}
		if kinds[i] != "" {
			out.Failing[u.id] = kinds[i]
		}
		a.saas.accounts = append(a.saas.accounts, acct)
	}
	// The app's last successful push, after the failures.
	if len(a.users) > 0 {
		au := a.users[0]
		o.emit(logEvent{published: failedAt.Add(time.Hour), eventType: "application.provision.user.push_profile", legacyType: "app.user_management.push_profile_success",
			displayMessage: "Push user's profile to external application", result: "SUCCESS", actor: systemActor(), txType: "JOB",
			targets: o.pushTargets(a, o.userByID(au.userID), au)})
	}
	return out, nil
}
