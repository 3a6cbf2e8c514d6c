package oktasim

import (
	"errors"
	"fmt"
	"time"
)

// BigOrgSpec describes the bulk Generate adds to an org, on demand, for tests and
// benchmarks of a diagnosis at a real org's size (never part of the demo's seed): many
// apps, groups with their group rules, users, and one subject user with many
// assignments, some failing for weeks, hidden behind the sign-ins of a busy user.
type BigOrgSpec struct {
	Apps   int // app instances, "App 0001" …, over several catalogue apps
	Groups int // groups, each filled by its own group rule on user.department
	Users  int // users besides the subject, spread over the groups' departments
	// Subject is the login of the user with the assignments (default sam@example.com).
	Subject string
	// SubjectTypeID gives the subject a user type (default: the default type).
	SubjectTypeID string
	// Assignments is how many of the apps the subject is assigned to (at most Apps).
	Assignments int
	// Failing is how many of those assignments failed their last profile push with
	// seed 000's "No user returned for user …" (spread over the assignments).
	Failing int
	// FailureAge is how long ago those pushes failed (default 29 days).
	FailureAge time.Duration
	// SignInEvents is how many sign-in events of the subject (user.session.start,
	// user.authentication.*, policy.evaluate_sign_on; four per sign-in) are spread
	// over Lookback, all newer than the failures.
	SignInEvents int
	// Lookback is the span of the sign-ins (default 30 days).
	Lookback time.Duration
}

// BigOrg is what Generate made.
type BigOrg struct {
	SubjectID    string
	SubjectLogin string
	AppIDs       []string // every generated app, in order
	Assigned     []string // labels of the subject's apps
	FailingApps  []string // labels of the subject's failing apps
	GroupIDs     []string
	RuleIDs      []string
}

// generatedApps are the catalogue apps generated instances are made of.
var generatedApps = []string{"slack", "zoomus", "google", "box", "salesforce", "scim2testapp"}

// Generate adds the bulk spec describes. It builds the state directly (what Okta would
// hold after the rules ran and the pushes happened), so a large org takes
// milliseconds, not one simulated provisioning task per assignment.
func (o *Org) Generate(spec BigOrgSpec) (BigOrg, error) {
	if spec.Assignments > spec.Apps || spec.Failing > spec.Assignments {
		return BigOrg{}, errors.New("oktasim: Generate: assignments must be at most apps, failing at most assignments")
	}
	if spec.Subject == "" {
		spec.Subject = "sam@example.com"
	}
	if spec.FailureAge <= 0 {
		spec.FailureAge = 29 * 24 * time.Hour
	}
	if spec.Lookback <= 0 {
		spec.Lookback = 30 * 24 * time.Hour
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.userByLogin(spec.Subject) != nil {
		return BigOrg{}, fmt.Errorf("oktasim: Generate: login %q already exists", spec.Subject)
	}
	if spec.SubjectTypeID == "" {
		spec.SubjectTypeID = o.defaultType
	} else if o.typeByID(spec.SubjectTypeID) == nil {
		return BigOrg{}, fmt.Errorf("oktasim: Generate: user type %q: %w", spec.SubjectTypeID, ErrNotFound)
	}
	now := o.now()
	created := now.Add(-spec.FailureAge - 7*24*time.Hour)
	var out BigOrg

	// Groups and the rules that fill them.
	groups := make([]*group, spec.Groups)
	for i := range groups {
		dept := fmt.Sprintf("Dept %04d", i+1)
		g := &group{id: o.newID("00g"), name: "Team " + dept, description: "Generated", created: created, lastUpdated: created, lastMembership: created}
		groups[i] = g
		o.groups = append(o.groups, g)
		r := &groupRule{id: o.newID("0pr"), name: "Join Team " + dept, status: statusActive,
			expression: fmt.Sprintf(`user.department==%q`, dept), groupIDs: []string{g.id}, created: created, lastUpdated: created}
		o.rules = append(o.rules, r)
		out.GroupIDs = append(out.GroupIDs, g.id)
		out.RuleIDs = append(out.RuleIDs, r.id)
	}
	newUser := func(login, first, last, typeID string, i int) *user {
		p := map[string]string{"login": login, "email": login, "firstName": first, "lastName": last}
		u := &user{id: o.newID("00u"), status: statusActive, typeID: typeID, profile: p,
			created: created, activated: created, statusChanged: created, lastUpdated: created}
		if len(groups) > 0 {
			g := groups[i%len(groups)]
			p["department"] = fmt.Sprintf("Dept %04d", i%len(groups)+1)
			if typeID == o.defaultType { // rules run for the default type only
				g.members = append(g.members, u.id)
				u.groups = append(u.groups, g.id)
			}
		}
		o.users = append(o.users, u)
		return u
	}
	for i := 0; i < spec.Users; i++ {
		newUser(fmt.Sprintf("user%05d@example.com", i+1), "User", fmt.Sprintf("%05d", i+1), o.defaultType, i)
	}
	subject := newUser(spec.Subject, "Sam", "Subject", spec.SubjectTypeID, 0)
	out.SubjectID, out.SubjectLogin = subject.id, subject.login()

	// Apps; a group is assigned to every app until the groups run out.
	apps := make([]*app, spec.Apps)
	for i := range apps {
		name := generatedApps[i%len(generatedApps)]
		caps := AllEnabled()
		caps.LifecycleDeactivate = Disabled
		a := &app{id: o.newID("0oa"), name: name, label: fmt.Sprintf("App %04d", i+1), status: statusActive,
			signOnMode: "SAML_2_0", created: created, lastUpdated: created, provisioning: true, caps: caps.normalized(),
			removed: map[string]*appUser{}, saas: &saas{kind: name}}
		if i < len(groups) {
			a.groups = append(a.groups, &appGroup{groupID: groups[i].id, priority: 0, lastUpdated: created})
		}
		apps[i] = a
		o.apps = append(o.apps, a)
		out.AppIDs = append(out.AppIDs, a.id)
	}

	// The subject's assignments: provisioned, and for the failing ones the SaaS account
	// deleted and the last profile push failed, FailureAge ago.
	failEvery := 0
	if spec.Failing > 0 {
		failEvery = spec.Assignments / spec.Failing
	}
	failed := 0
	pushed := now.Add(-spec.FailureAge - 24*time.Hour)
	failedAt := now.Add(-spec.FailureAge)
	for i := 0; i < spec.Assignments; i++ {
		a := apps[i]
		acct := &saasAccount{id: o.newSaaSID(a.saas.kind), userName: subject.login(), active: true, created: pushed}
		au := &appUser{internalID: o.newID("0ua"), userID: subject.id, externalID: acct.id, scope: scopeUser,
			status: statusProvisioned, syncState: syncSynchronized, userName: subject.login(),
			created: pushed, lastUpdated: pushed, statusChanged: pushed, lastSync: pushed, gen: 1}
		a.users = append(a.users, au)
		o.emit(logEvent{published: pushed, eventType: "application.provision.user.push", legacyType: "app.user_management.push_new_user_success",
			displayMessage: "Push new user to external application", result: "SUCCESS", actor: systemActor(), txType: "JOB",
			targets: o.pushTargets(a, subject, au)})
		out.Assigned = append(out.Assigned, a.label)
		if failEvery > 0 && failed < spec.Failing && i%failEvery == failEvery/2 {
			failed++
			au.syncState, au.lastUpdated = syncError, failedAt
			o.emit(logEvent{published: failedAt, eventType: "application.provision.user.push_profile",
				legacyType: "app.user_management.push_profile_failure", displayMessage: "Push user's profile to external application",
				result: "FAILURE", reason: noUserReturnedReason(subject.login(), a.label, au.externalID), severity: "ERROR",
				actor: systemActor(), txType: "JOB", targets: o.pushTargets(a, subject, au)})
			out.FailingApps = append(out.FailingApps, a.label)
			continue // the account is gone at the SaaS
		}
		a.saas.accounts = append(a.saas.accounts, acct)
	}

	// Sign-in noise, newer than the failures: what most of a real user's log is.
	logins := spec.SignInEvents / 4
	span := min(spec.Lookback, spec.FailureAge) - time.Minute
	for i := 0; i < logins; i++ {
		at := failedAt.Add(time.Minute + time.Duration(int64(span)/int64(logins)*int64(i)))
		o.signIn(subject, apps, i, at)
	}
	return out, nil
}

// signIn emits the events of one sign-in to an app: the session, the password and
// MFA checks, the sign-on policy, and the SSO to the app. Caller holds mu.
func (o *Org) signIn(u *user, apps []*app, i int, at time.Time) {
	actor := o.userTarget(u)
	password := logEntity{ID: "pfd" + u.id[3:], Type: "AuthenticatorEnrollment", AlternateID: "unknown", DisplayName: "Password"}
	mfa := logEntity{ID: "opf" + u.id[3:], Type: "AuthenticatorEnrollment", AlternateID: "unknown", DisplayName: "Okta Verify"}
	o.emit(logEvent{published: at, eventType: "user.session.start", legacyType: "core.user_auth.login_success",
		displayMessage: "User login to Okta", result: "SUCCESS", actor: actor, txType: "WEB", targets: []logEntity{password}})
	o.emit(logEvent{published: at.Add(2 * time.Second), eventType: "user.authentication.auth_via_mfa", legacyType: "core.user.factor.attempt_success",
		displayMessage: "Authentication of user via MFA", result: "SUCCESS", actor: actor, txType: "WEB", targets: []logEntity{o.userTarget(u), mfa}})
	o.emit(logEvent{published: at.Add(3 * time.Second), eventType: "policy.evaluate_sign_on",
		displayMessage: "Evaluation of sign-on policy", result: "ALLOW", actor: actor, txType: "WEB",
		targets: []logEntity{o.userTarget(u), {ID: "rul" + u.id[3:], Type: "Rule", AlternateID: "unknown", DisplayName: "Default Rule"}}})
	sso := logEvent{published: at.Add(4 * time.Second), eventType: "user.authentication.sso", legacyType: "app.auth.sso",
		displayMessage: "User single sign on to app", result: "SUCCESS", actor: actor, txType: "WEB", targets: []logEntity{o.userTarget(u)}}
	if len(apps) > 0 {
		sso.targets = append(sso.targets, o.appTarget(apps[i%len(apps)]))
	}
	o.emit(sso)
}
