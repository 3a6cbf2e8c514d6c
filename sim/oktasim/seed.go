package oktasim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNotFound is returned by seeding and inspection methods for unknown ids.
var ErrNotFound = errors.New("oktasim: not found")

// UserSpec describes a user to add. Login is required.
type UserSpec struct {
	Login     string
	Email     string // default: Login
	FirstName string
	LastName  string
	Status    string // default ACTIVE; e.g. SUSPENDED, STAGED, DEPROVISIONED
	TypeID    string // default: the default user type
	// Profile holds further profile attributes (department, managerId, …), which
	// group rules can match on.
	Profile map[string]string
}

// AddUser adds a user, runs the group rules for it and returns its id.
func (o *Org) AddUser(s UserSpec) (string, error) {
	if s.Login == "" {
		return "", errors.New("oktasim: AddUser: login is required")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.userByLogin(s.Login) != nil {
		return "", fmt.Errorf("oktasim: AddUser: login %q already exists", s.Login)
	}
	if s.TypeID == "" {
		s.TypeID = o.defaultType
	} else if o.typeByID(s.TypeID) == nil {
		return "", fmt.Errorf("oktasim: AddUser: user type %q: %w", s.TypeID, ErrNotFound)
	}
	if s.Status == "" {
		s.Status = statusActive
	}
	if s.Email == "" {
		s.Email = s.Login
	}
	now := o.now()
	p := map[string]string{}
	for k, v := range s.Profile {
		p[k] = v
	}
	p["login"], p["email"], p["firstName"], p["lastName"] = s.Login, s.Email, s.FirstName, s.LastName
	u := &user{id: o.newID("00u"), status: s.Status, typeID: s.TypeID, profile: p,
		created: now, activated: now, statusChanged: now, lastUpdated: now}
	o.users = append(o.users, u)
	o.emit(logEvent{eventType: "user.lifecycle.create", legacyType: "core.user.config.user_creation.success",
		displayMessage: "Create Okta user", result: "SUCCESS", actor: o.adminActor(), txType: "WEB",
		targets: []logEntity{o.userTarget(u)}})
	o.applyRules(u)
	return u.id, nil
}

// SetUserStatus changes an Okta user's status (e.g. SUSPENDED). Nothing is pushed to
// any SaaS for a user that is not ACTIVE; reactivating does not push either.
func (o *Org) SetUserStatus(userID, status string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	u := o.userByID(userID)
	if u == nil {
		return fmt.Errorf("oktasim: user %q: %w", userID, ErrNotFound)
	}
	if u.status == status {
		return nil
	}
	now := o.now()
	u.status, u.statusChanged, u.lastUpdated = status, now, now
	ev := map[string]string{"SUSPENDED": "user.lifecycle.suspend", "ACTIVE": "user.lifecycle.unsuspend",
		"DEPROVISIONED": "user.lifecycle.deactivate"}[status]
	if ev != "" {
		o.emit(logEvent{eventType: ev, legacyType: "core.user.config.user_status." + strings.ToLower(status),
			displayMessage: "Change Okta user status", result: "SUCCESS", actor: o.adminActor(), txType: "WEB",
			targets: []logEntity{o.userTarget(u)}})
	}
	return nil
}

// SetUserProfile sets profile attributes of a user and runs the group rules again.
func (o *Org) SetUserProfile(userID string, attrs map[string]string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	u := o.userByID(userID)
	if u == nil {
		return fmt.Errorf("oktasim: user %q: %w", userID, ErrNotFound)
	}
	for k, v := range attrs {
		u.profile[k] = v
	}
	u.lastUpdated = o.now()
	o.applyRules(u)
	return nil
}

// AddUserType adds a non-default user type and returns its id ("oty…").
func (o *Org) AddUserType(name, displayName string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range o.types {
		if t.name == name {
			return "", fmt.Errorf("oktasim: AddUserType: %q already exists", name)
		}
	}
	now := o.now()
	t := &userType{id: o.newID("oty"), name: name, displayName: displayName,
		description: displayName + " user type", createdBy: o.adminID, created: now, lastUpdated: now}
	o.types = append(o.types, t)
	return t.id, nil
}

// DefaultUserTypeID returns the id of the default user type.
func (o *Org) DefaultUserTypeID() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.defaultType
}

// AddGroup adds an Okta group and returns its id ("00g…").
func (o *Org) AddGroup(name string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	g := &group{id: o.newID("00g"), name: name, created: now, lastUpdated: now, lastMembership: now}
	o.groups = append(o.groups, g)
	return g.id, nil
}

// AddGroupMember adds a user to a group; the group's apps are assigned to the user
// with GROUP scope.
func (o *Org) AddGroupMember(groupID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	g, u := o.groupByID(groupID), o.userByID(userID)
	if g == nil || u == nil {
		return fmt.Errorf("oktasim: group %q / user %q: %w", groupID, userID, ErrNotFound)
	}
	o.addMember(g, u)
	return nil
}

// GroupRuleSpec describes a group rule. Expression uses Okta's expression language;
// the simulator evaluates user.attr=="v" and String.startsWith(user.attr,"v").
type GroupRuleSpec struct {
	Name       string
	Expression string
	GroupIDs   []string
	Inactive   bool // status INACTIVE instead of ACTIVE
}

// AddGroupRule adds a group rule and runs it for existing users of the default type.
func (o *Org) AddGroupRule(s GroupRuleSpec) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, gid := range s.GroupIDs {
		if o.groupByID(gid) == nil {
			return "", fmt.Errorf("oktasim: AddGroupRule: group %q: %w", gid, ErrNotFound)
		}
	}
	now := o.now()
	r := &groupRule{id: o.newID("0pr"), name: s.Name, status: statusActive, expression: s.Expression,
		groupIDs: slices.Clone(s.GroupIDs), created: now, lastUpdated: now}
	if s.Inactive {
		r.status = "INACTIVE"
	}
	o.rules = append(o.rules, r)
	for _, u := range o.users {
		o.applyRules(u)
	}
	return r.id, nil
}

// AppSpec describes an app instance to add.
type AppSpec struct {
	Name  string // catalogue name: "slack", "zoomus", "google", "scim2testapp", …
	Label string
	// Provisioning is the USER_PROVISIONING configuration; nil means the app has no
	// provisioning connection (SSO only). Whether the Features API can read or change
	// it depends on Name (SupportsFeaturesAPI).
	Provisioning *Capabilities
}

// AddApp adds an active app instance with its simulated SaaS and returns its id ("0oa…").
func (o *Org) AddApp(s AppSpec) (string, error) {
	if s.Name == "" || s.Label == "" {
		return "", errors.New("oktasim: AddApp: name and label are required")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	a := &app{id: o.newID("0oa"), name: s.Name, label: s.Label, status: statusActive, signOnMode: "SAML_2_0",
		created: now, lastUpdated: now, removed: map[string]*appUser{}, saas: &saas{kind: s.Name}}
	if s.Provisioning != nil {
		a.provisioning = true
		a.caps = s.Provisioning.normalized()
	} else {
		a.caps = Capabilities{}.normalized()
	}
	o.apps = append(o.apps, a)
	return a.id, nil
}

// SetProvisioning changes an app's USER_PROVISIONING capabilities the way an admin
// does in the Admin Console: it works for every app with a provisioning connection,
// including those the Features API does not support. Same effects as the API's PUT.
func (o *Org) SetProvisioning(appID string, c Capabilities) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		return fmt.Errorf("oktasim: app %q: %w", appID, ErrNotFound)
	}
	if !a.provisioning {
		return fmt.Errorf("oktasim: app %q has no provisioning connection", appID)
	}
	o.setCaps(a, c)
	return nil
}

// Provisioning returns an app's USER_PROVISIONING capabilities (as the Admin Console
// shows them, whatever the Features API supports).
func (o *Org) Provisioning(appID string) (Capabilities, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		return Capabilities{}, fmt.Errorf("oktasim: app %q: %w", appID, ErrNotFound)
	}
	return a.caps, nil
}

func (o *Org) appAndUser(appID, userID string) (*app, *user, error) {
	a, u := o.appByID(appID), o.userByID(userID)
	if a == nil || u == nil {
		return nil, nil, fmt.Errorf("oktasim: app %q / user %q: %w", appID, userID, ErrNotFound)
	}
	return a, u, nil
}

// AssignUser assigns a user to an app individually (scope USER), as
// POST /api/v1/apps/{app}/users does.
func (o *Org) AssignUser(appID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, u, err := o.appAndUser(appID, userID)
	if err != nil {
		return err
	}
	o.assign(a, u, scopeUser, "")
	return nil
}

// UnassignUser removes a user's assignment, as DELETE /api/v1/apps/{app}/users/{user}
// does (including the 403 for a GROUP-scoped assignment, returned as an error).
func (o *Org) UnassignUser(appID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, u, err := o.appAndUser(appID, userID)
	if err != nil {
		return err
	}
	au := a.appUser(userID)
	if au == nil {
		return fmt.Errorf("oktasim: app user %q of %q: %w", userID, appID, ErrNotFound)
	}
	if au.scope == scopeGroup {
		return fmt.Errorf("oktasim: app user %q of %q is assigned by group %s", userID, appID, au.groupID)
	}
	o.unassign(a, u, au)
	return nil
}

// AssignGroup assigns a group to an app: every member gets a GROUP-scoped app user.
func (o *Org) AssignGroup(appID, groupID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, g := o.appByID(appID), o.groupByID(groupID)
	if a == nil || g == nil {
		return fmt.Errorf("oktasim: app %q / group %q: %w", appID, groupID, ErrNotFound)
	}
	for _, ag := range a.groups {
		if ag.groupID == groupID {
			return nil
		}
	}
	a.groups = append(a.groups, &appGroup{groupID: groupID, priority: len(a.groups), lastUpdated: o.now()})
	o.assignGroupMembers(a, g)
	return nil
}

// PushProfile does what an Okta profile change does for one assignment: when
// update.profile is enabled it pushes the profile to the SaaS account the app user's
// externalId names (failing as seed 000 shows if that account is gone).
func (o *Org) PushProfile(appID, userID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, u, err := o.appAndUser(appID, userID)
	if err != nil {
		return err
	}
	return o.pushProfile(a, u)
}

// SaaSAccount is an account in an app's simulated SaaS.
type SaaSAccount struct {
	ID       string // the id Okta stores as the app user's externalId
	UserName string
	Active   bool
}

func (o *Org) saasAccount(appID, id string) (*app, *saasAccount, error) {
	a := o.appByID(appID)
	if a == nil {
		return nil, nil, fmt.Errorf("oktasim: app %q: %w", appID, ErrNotFound)
	}
	acct := a.saas.byID(id)
	if acct == nil {
		return a, nil, fmt.Errorf("oktasim: SaaS account %q of app %q: %w", id, appID, ErrNotFound)
	}
	return a, acct, nil
}

// SaaSDeleteAccount deletes an account on the SaaS side; Okta is not told (seed 000).
func (o *Org) SaaSDeleteAccount(appID, externalID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, _, err := o.saasAccount(appID, externalID)
	if err != nil {
		return err
	}
	a.saas.delete(externalID)
	return nil
}

// SaaSDeactivateAccount deactivates an account on the SaaS side (Slack cannot
// delete); Okta is not told.
func (o *Org) SaaSDeactivateAccount(appID, externalID string) error {
	return o.setSaaSActive(appID, externalID, false)
}

// SaaSReactivateAccount reactivates an account on the SaaS side (e.g. Slack SCIM
// PATCH active=true); Okta is not told.
func (o *Org) SaaSReactivateAccount(appID, externalID string) error {
	return o.setSaaSActive(appID, externalID, true)
}

func (o *Org) setSaaSActive(appID, externalID string, active bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, acct, err := o.saasAccount(appID, externalID)
	if err != nil {
		return err
	}
	acct.active = active
	return nil
}

// SaaSAccounts lists the accounts of an app's SaaS, in creation order.
func (o *Org) SaaSAccounts(appID string) []SaaSAccount {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		return nil
	}
	out := make([]SaaSAccount, 0, len(a.saas.accounts))
	for _, acct := range a.saas.accounts {
		out = append(out, SaaSAccount{ID: acct.id, UserName: acct.userName, Active: acct.active})
	}
	return out
}

// SaaSAccountByID returns one SaaS account.
func (o *Org) SaaSAccountByID(appID, id string) (SaaSAccount, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, acct, err := o.saasAccount(appID, id)
	if err != nil {
		return SaaSAccount{}, false
	}
	return SaaSAccount{ID: acct.id, UserName: acct.userName, Active: acct.active}, true
}

// AppUserState is the truth about one assignment, for tests (the API may show less,
// e.g. the Slack externalId write response).
type AppUserState struct {
	UserID     string
	ExternalID string // "" is null
	Scope      string
	GroupID    string // for GROUP scope
	Status     string
	SyncState  string
}

// AppUser returns a user's current assignment to an app; false when not assigned.
func (o *Org) AppUser(appID, userID string) (AppUserState, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		return AppUserState{}, false
	}
	au := a.appUser(userID)
	if au == nil {
		return AppUserState{}, false
	}
	return AppUserState{UserID: au.userID, ExternalID: au.externalID, Scope: au.scope, GroupID: au.groupID,
		Status: au.status, SyncState: au.syncState}, true
}

// UserID returns the id of the user with this login (case-insensitive).
func (o *Org) UserID(login string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if u := o.userByLogin(login); u != nil {
		return u.id, true
	}
	return "", false
}

// AppID returns the id of the app with this label or name (case-insensitive).
func (o *Org) AppID(labelOrName string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range o.apps {
		if strings.EqualFold(a.label, labelOrName) {
			return a.id, true
		}
	}
	for _, a := range o.apps {
		if strings.EqualFold(a.name, labelOrName) {
			return a.id, true
		}
	}
	return "", false
}

// Lookups; callers hold mu.

func (o *Org) userByID(id string) *user {
	for _, u := range o.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

func (o *Org) userByLogin(login string) *user {
	for _, u := range o.users {
		if strings.EqualFold(u.login(), login) {
			return u
		}
	}
	return nil
}

func (o *Org) typeByID(id string) *userType {
	for _, t := range o.types {
		if t.id == id {
			return t
		}
	}
	return nil
}

func (o *Org) groupByID(id string) *group {
	for _, g := range o.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

func (o *Org) appByID(id string) *app {
	for _, a := range o.apps {
		if a.id == id {
			return a
		}
	}
	return nil
}

func (o *Org) ruleByID(id string) *groupRule {
	for _, r := range o.rules {
		if r.id == id {
			return r
		}
	}
	return nil
}
