package oktasim

import (
	"fmt"
	"strings"
	"time"
)

// Okta user and app user statuses used here.
const (
	statusActive      = "ACTIVE"
	statusStaged      = "STAGED"
	statusProvisioned = "PROVISIONED"
	statusDeprov      = "DEPROVISIONED"

	syncDisabled     = "DISABLED"
	syncError        = "ERROR"
	syncSyncing      = "SYNCING"
	syncSynchronized = "SYNCHRONIZED"

	scopeUser  = "USER"
	scopeGroup = "GROUP"
)

// The seed-000 failure, word for word; <user> is the login, <app> the app label.
func noUserReturnedReason(login, label, externalID string) string {
	return fmt.Sprintf("Automatic profile push of %s to app %s failed: Error while trying to push profile update for %s: No user returned for user %s",
		login, label, login, externalID)
}

// The Slack variant's failure. The seed only shows "User account is inactive"; the
// prefix follows Okta's format for the same task so the message names user and app.
func inactiveReason(profilePush bool, login, label string) string {
	if profilePush {
		return fmt.Sprintf("Automatic profile push of %s to app %s failed: Error while trying to push profile update for %s: User account is inactive",
			login, label, login)
	}
	return fmt.Sprintf("Automatic provisioning of %s to app %s failed: User account is inactive", login, label)
}

// assign creates the app user, or restores Okta's kept record of an earlier
// assignment (with whatever externalId it still holds), and starts provisioning.
// An existing assignment is returned unchanged. Caller holds mu.
func (o *Org) assign(a *app, u *user, scope, groupID string) *appUser {
	if au := a.appUser(u.id); au != nil {
		return au
	}
	now := o.now()
	au := a.removed[u.id]
	if au != nil {
		delete(a.removed, u.id)
	} else {
		au = &appUser{internalID: o.newID("0ua"), userID: u.id, userName: u.login(), created: now}
	}
	au.scope, au.groupID = scope, groupID
	au.gen++
	au.lastUpdated, au.statusChanged = now, now
	a.users = append(a.users, au)
	o.emit(logEvent{eventType: "application.user_membership.add", legacyType: "app.generic.provision.assign_user_to_app",
		displayMessage: "Add user to application membership", result: "SUCCESS", actor: o.adminActor(), txType: "WEB",
		targets: []logEntity{o.appUserTarget(a, u, au), o.userTarget(u), o.appTarget(a)}})
	o.startProvisioning(a, u, au)
	return au
}

// startProvisioning shows the state Okta has on accepting an assignment and schedules
// the push. Caller holds mu.
func (o *Org) startProvisioning(a *app, u *user, au *appUser) {
	if !a.creating() || u.status != statusActive {
		au.status, au.syncState = statusActive, syncDisabled
		return
	}
	if au.externalID == "" {
		au.status = statusStaged
	} else {
		au.status = statusProvisioned
	}
	au.syncState = syncSyncing
	o.schedulePush(a, u.id, au)
}

func (o *Org) schedulePush(a *app, userID string, au *appUser) {
	gen := au.gen
	o.schedule(func() { o.push(a, userID, gen) })
}

// push is the SaaS side of provisioning for one app user (see doc.go for the rules).
// Caller holds mu.
func (o *Org) push(a *app, userID string, gen int) {
	au := a.appUser(userID)
	u := o.userByID(userID)
	if au == nil || au.gen != gen || u == nil {
		return // unassigned or superseded meanwhile
	}
	if o.causeFailure(a, u, au) {
		return // the app's integration failed it (causes.go)
	}
	allowed := a.creating() || (au.externalID != "" && a.provisioning && a.caps.Profile == Enabled)
	if !allowed || u.status != statusActive {
		if au.syncState == syncSyncing {
			au.syncState = syncDisabled
			if au.status == statusStaged {
				au.status = statusActive
			}
		}
		return
	}
	now := o.now()
	ok := func(eventType, legacy, msg string, acct *saasAccount) {
		au.externalID = acct.id
		au.status, au.syncState = statusProvisioned, syncSynchronized
		au.lastSync, au.lastUpdated = now, now
		o.emit(logEvent{eventType: eventType, legacyType: legacy, displayMessage: msg, result: "SUCCESS",
			actor: systemActor(), txType: "JOB", targets: o.pushTargets(a, u, au)})
	}
	fail := func(eventType, legacy, msg, reason string) {
		au.syncState, au.lastUpdated = syncError, now
		o.emit(logEvent{eventType: eventType, legacyType: legacy, displayMessage: msg, result: "FAILURE",
			reason: reason, severity: "ERROR", actor: systemActor(), txType: "JOB", targets: o.pushTargets(a, u, au)})
	}
	const (
		pushType    = "application.provision.user.push"
		pushMsg     = "Push new user to external application"
		profileType = "application.provision.user.push_profile"
		profileMsg  = "Push user's profile to external application"
		reactType   = "application.provision.user.reactivate"
		reactMsg    = "Push user reactivation in external application"
	)
	if au.externalID == "" {
		acct := a.saas.byUserName(au.userName)
		switch {
		case acct == nil:
			acct = &saasAccount{id: o.newSaaSID(a.saas.kind), userName: au.userName, active: true, created: now}
			a.saas.accounts = append(a.saas.accounts, acct)
			ok(pushType, "app.user_management.push_new_user_success", pushMsg, acct)
		case acct.active:
			ok(pushType, "app.user_management.push_new_user_success", pushMsg, acct)
		case a.deactivating():
			acct.active = true
			ok(reactType, "app.user_management.reactivate_user_success", reactMsg, acct)
		default:
			fail(pushType, "app.user_management.push_new_user_failure", pushMsg, inactiveReason(false, u.login(), a.label))
		}
		return
	}
	acct := a.saas.byID(au.externalID)
	switch {
	case acct == nil:
		fail(profileType, "app.user_management.push_profile_failure", profileMsg, noUserReturnedReason(u.login(), a.label, au.externalID))
	case acct.active:
		ok(profileType, "app.user_management.push_profile_success", profileMsg, acct)
	case a.deactivating():
		acct.active = true
		ok(reactType, "app.user_management.reactivate_user_success", reactMsg, acct)
	default:
		// Seed 000, Slack variant: after this failure the app user's externalId is null.
		fail(profileType, "app.user_management.push_profile_failure", profileMsg, inactiveReason(true, u.login(), a.label))
		au.externalID = ""
	}
}

// unassign removes the assignment but keeps Okta's record of it (see doc.go).
// Caller holds mu.
func (o *Org) unassign(a *app, u *user, au *appUser) {
	a.removeAppUser(u.id)
	au.gen++
	now := o.now()
	au.lastUpdated, au.statusChanged = now, now
	if a.deactivating() && au.externalID != "" && u.status == statusActive {
		ext := au.externalID
		au.externalID, au.status, au.syncState = "", statusDeprov, syncDisabled
		o.schedule(func() {
			acct := a.saas.byID(ext)
			if acct == nil || !acct.active {
				return // already gone: nothing to deactivate
			}
			acct.active = false
			o.emit(logEvent{eventType: "application.provision.user.deactivate", legacyType: "app.user_management.deactivate_user_success",
				displayMessage: "Push user deactivation to external application", result: "SUCCESS",
				actor: systemActor(), txType: "JOB", targets: o.pushTargets(a, u, au)})
		})
	}
	if a.removed == nil {
		a.removed = map[string]*appUser{}
	}
	a.removed[u.id] = au
	o.emit(logEvent{eventType: "application.user_membership.remove", legacyType: "app.generic.provision.unassign_user_from_app",
		displayMessage: "Remove user's application membership", result: "SUCCESS", actor: o.adminActor(), txType: "WEB",
		targets: []logEntity{o.appUserTarget(a, u, au), o.userTarget(u), o.appTarget(a)}})
}

// writeExternalID is POST {"externalId": v} on an app user. On an unassigned user it
// re-assigns (seed 000 ※), which provisions at once while lifecycleCreate is on.
// It reports whether the write re-assigned the user. Caller holds mu.
func (o *Org) writeExternalID(a *app, u *user, value string) (*appUser, bool) {
	if au := a.appUser(u.id); au != nil {
		if au.externalID == value {
			return au, false // e.g. the SDK echoing the whole app user back
		}
		au.externalID = value
		au.gen++ // a pending push was aimed at the old value
		au.lastUpdated = o.now()
		return au, false
	}
	rec := a.removed[u.id]
	if rec == nil {
		rec = &appUser{internalID: o.newID("0ua"), userID: u.id, userName: u.login(), created: o.now()}
		if a.removed == nil {
			a.removed = map[string]*appUser{}
		}
		a.removed[u.id] = rec
	}
	rec.externalID = value
	return o.assign(a, u, scopeUser, ""), true
}

// setCaps changes USER_PROVISIONING. Turning create on pushes every assigned user
// that is not in sync (seed 000 fix 2 step 6). Caller holds mu.
func (o *Org) setCaps(a *app, c Capabilities) {
	wasCreating := a.creating()
	a.caps = c.normalized()
	a.lastUpdated = o.now()
	o.emit(logEvent{eventType: "application.lifecycle.update", legacyType: "app.generic.config.app_updated",
		displayMessage: "Update application", result: "SUCCESS", actor: o.adminActor(), txType: "WEB",
		targets: []logEntity{o.appTarget(a)}})
	if wasCreating || !a.creating() {
		return
	}
	for _, au := range a.users {
		u := o.userByID(au.userID)
		if u == nil || u.status != statusActive || au.syncState == syncSynchronized {
			continue
		}
		au.gen++
		o.startProvisioning(a, u, au)
	}
}

// pushProfile is what an Okta profile change does for one app user. Caller holds mu.
func (o *Org) pushProfile(a *app, u *user) error {
	au := a.appUser(u.id)
	if au == nil {
		return fmt.Errorf("oktasim: user %s is not assigned to app %s", u.id, a.id)
	}
	if u.status != statusActive || !a.provisioning {
		return nil
	}
	switch {
	case au.externalID != "" && a.caps.Profile == Enabled,
		au.externalID == "" && a.creating():
		au.gen++
		au.syncState = syncSyncing
		o.schedulePush(a, u.id, au)
	}
	return nil
}

// assignGroupMembers gives every member of g a GROUP-scoped assignment. Caller holds mu.
func (o *Org) assignGroupMembers(a *app, g *group) {
	for _, uid := range g.members {
		if u := o.userByID(uid); u != nil {
			o.assign(a, u, scopeGroup, g.id)
		}
	}
}

// groupOfAppFor returns an app group containing the user, or nil. Caller holds mu.
func (o *Org) groupOfAppFor(a *app, userID string) *group {
	for _, ag := range a.groups {
		if g := o.groupByID(ag.groupID); g != nil && g.has(userID) {
			return g
		}
	}
	return nil
}

// applyRules runs the active group rules for u. Okta runs group rules only for the
// default user type (seed 003), so users of other types are never added. Caller holds mu.
func (o *Org) applyRules(u *user) {
	if u.typeID != o.defaultType {
		return
	}
	for _, r := range o.rules {
		if r.status != statusActive || !ruleMatches(r.expression, u) {
			continue
		}
		for _, gid := range r.groupIDs {
			if g := o.groupByID(gid); g != nil {
				o.addMember(g, u)
			}
		}
	}
}

// ruleMatches evaluates the two expression forms the simulator understands:
// user.attr=="value" and String.startsWith(user.attr,"value"). Anything else never
// matches, which is what Okta does for an attribute that is null.
func ruleMatches(expr string, u *user) bool {
	e := strings.ReplaceAll(expr, " ", "")
	attrValue := func(s string) (string, string, bool) {
		s = strings.TrimPrefix(s, "user.")
		name, lit, ok := strings.Cut(s, ",")
		if !ok {
			name, lit, ok = strings.Cut(s, "==")
		}
		if !ok || len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
			return "", "", false
		}
		return u.profile[name], lit[1 : len(lit)-1], true
	}
	if inner, ok := strings.CutPrefix(e, "String.startsWith("); ok && strings.HasSuffix(inner, ")") {
		have, want, ok := attrValue(strings.TrimSuffix(inner, ")"))
		return ok && have != "" && strings.HasPrefix(have, want)
	}
	if strings.HasPrefix(e, "user.") && strings.Contains(e, "==") {
		have, want, ok := attrValue(e)
		return ok && have == want
	}
	return false
}

// addMember adds u to g and assigns g's apps to u. Caller holds mu.
func (o *Org) addMember(g *group, u *user) {
	if g.has(u.id) {
		return
	}
	now := o.now()
	g.members = append(g.members, u.id)
	g.lastMembership = now
	u.groups = append(u.groups, g.id)
	o.emit(logEvent{eventType: "group.user_membership.add", legacyType: "core.user_group_member.user_add",
		displayMessage: "Add user to group membership", result: "SUCCESS", actor: o.adminActor(), txType: "WEB",
		targets: []logEntity{o.userTarget(u), {ID: g.id, Type: "UserGroup", AlternateID: "unknown", DisplayName: g.name}}})
	for _, a := range o.apps {
		for _, ag := range a.groups {
			if ag.groupID == g.id {
				o.assign(a, u, scopeGroup, g.id)
			}
		}
	}
}

// systemActor is the actor of provisioning jobs.
func systemActor() logEntity {
	return logEntity{ID: "system@okta.com", Type: "SystemPrincipal", AlternateID: "system@okta.com", DisplayName: "Okta System"}
}

func (o *Org) adminActor() logEntity {
	return logEntity{ID: o.adminID, Type: "User", AlternateID: "admin@example.com", DisplayName: "Okta Admin"}
}

func (o *Org) userTarget(u *user) logEntity {
	return logEntity{ID: u.id, Type: "User", AlternateID: u.login(), DisplayName: u.displayName()}
}

func (o *Org) appTarget(a *app) logEntity {
	return logEntity{ID: a.id, Type: "AppInstance", AlternateID: a.label, DisplayName: a.label}
}

func (o *Org) appUserTarget(a *app, u *user, au *appUser) logEntity {
	return logEntity{ID: au.internalID, Type: "AppUser", AlternateID: au.userName, DisplayName: u.displayName()}
}

func (o *Org) pushTargets(a *app, u *user, au *appUser) []logEntity {
	return []logEntity{o.userTarget(u), o.appTarget(a), o.appUserTarget(a, u, au)}
}

// SetLogLateness makes the events emitted from now on arrive late: each is published d
// before Okta stores it (as events of a busy org do), so a bounded query over the
// recent past misses them while a polling query still finds them behind its cursor.
// 0 is on time.
func (o *Org) SetLogLateness(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.logLateness = d
}

// emit appends a System Log event published now (or logLateness ago). Caller holds mu.
func (o *Org) emit(e logEvent) {
	e.seq = o.nextSeq()
	e.persisted = o.now()
	if e.published.IsZero() {
		e.published = e.persisted.Add(-o.logLateness)
	}
	const hex = "0123456789abcdef"
	h := o.randString(hex, 32)
	e.uuid = h[:8] + "-" + h[8:12] + "-11f0-" + h[16:20] + "-" + h[20:]
	if e.severity == "" {
		e.severity = "INFO"
	}
	e.txID = o.randString(alnum, 27)
	o.logs = append(o.logs, &e)
	o.log.Debug("oktasim event", "event_type", e.eventType, "result", e.result, "reason", e.reason)
}
