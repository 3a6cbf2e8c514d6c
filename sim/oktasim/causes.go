package oktasim

import (
	"fmt"
	"time"
)

// The provisioning failures beyond the troubleshooting articles, as the simulated
// integrations produce them. Each is a state of one app's integration (or of one
// SaaS account) that the push honours, so a failure happens the way Okta would report
// it and heals the way an admin would heal it:
//
//   - credentials refused: every push to the app fails ("Unauthorized (401): Token is
//     invalid or expired") and Okta logs application.integration.authentication_failure
//     on the app; SetCredentialsValid(app, true) is the admin entering a new token;
//   - connection disabled: nothing is pushed, and connections/default says DISABLED;
//   - rate limited: pushes fail with "Rate limit exceeded" (and the app gets
//     application.integration.rate_limit_exceeded) until the window has passed;
//   - provisioning enabled after assignments: an app user assigned before
//     EnableProvisioning fails "assigned this application before Provisioning was
//     enabled" until it is re-assigned;
//   - a conflicting account: creating an account whose userName a SaaS account
//     already holds, unlinked, fails with a 409 Conflict until Okta is linked to it
//     (externalId set to its ID);
//   - a rejected attribute: pushes fail while the user's attribute holds the value the
//     SaaS refuses.

// appCause is the injected state of one app's integration. Guarded by Org.mu.
type appCause struct {
	connectionDisabled bool
	credentialsRefused bool
	rateLimitedUntil   time.Time // org clock
	provisionedSince   int64     // log seq at which provisioning was enabled; 0: from the start
	conflicting        map[string]bool
	rejectAttr         string
	rejectValue        string
}

// cause returns app's cause state, creating it. Caller holds mu.
func (o *Org) cause(a *app) *appCause {
	if o.causes == nil {
		o.causes = map[string]*appCause{}
	}
	c := o.causes[a.id]
	if c == nil {
		c = &appCause{conflicting: map[string]bool{}}
		o.causes[a.id] = c
	}
	return c
}

func (o *Org) withApp(appID string, fn func(a *app, c *appCause) error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		return fmt.Errorf("oktasim: app %q: %w", appID, ErrNotFound)
	}
	return fn(a, o.cause(a))
}

// SetConnectionEnabled switches the app's provisioning connection, as "Enable API
// integration" does in the Admin Console. While it is off Okta pushes nothing.
func (o *Org) SetConnectionEnabled(appID string, enabled bool) error {
	return o.withApp(appID, func(a *app, c *appCause) error {
		if !a.provisioning {
			return fmt.Errorf("oktasim: app %q has no provisioning connection", appID)
		}
		c.connectionDisabled = !enabled
		return nil
	})
}

// SetCredentialsValid makes the SaaS refuse (false) or accept (true) the credentials
// Okta provisions with: an expired token, then the admin entering a new one.
func (o *Org) SetCredentialsValid(appID string, valid bool) error {
	return o.withApp(appID, func(_ *app, c *appCause) error {
		c.credentialsRefused = !valid
		return nil
	})
}

// RateLimitPushes makes the SaaS refuse Okta's pushes for d from now (org clock).
func (o *Org) RateLimitPushes(appID string, d time.Duration) error {
	return o.withApp(appID, func(_ *app, c *appCause) error {
		c.rateLimitedUntil = o.now().Add(d)
		return nil
	})
}

// EnableProvisioning configures provisioning on an app that had none (SSO only), as
// an admin does in the Admin Console. Users assigned before are not pushed: their next
// push fails until they are re-assigned, as Okta reports it.
func (o *Org) EnableProvisioning(appID string, caps Capabilities) error {
	return o.withApp(appID, func(a *app, c *appCause) error {
		if a.provisioning {
			return fmt.Errorf("oktasim: app %q already has provisioning", appID)
		}
		a.provisioning, a.caps = true, caps.normalized()
		a.lastUpdated = o.now()
		c.provisionedSince = o.nextSeq()
		return nil
	})
}

// SaaSAddAccount creates an account at the SaaS directly (not through Okta), unlinked
// to any Okta user. A later Okta push for the same userName fails with a conflict
// until Okta is linked to this account. It returns the account's ID.
func (o *Org) SaaSAddAccount(appID, userName string) (string, error) {
	var id string
	err := o.withApp(appID, func(a *app, c *appCause) error {
		acct := &saasAccount{id: o.newSaaSID(a.saas.kind), userName: userName, active: true, created: o.now()}
		a.saas.accounts = append(a.saas.accounts, acct)
		c.conflicting[acct.id] = true
		id = acct.id
		return nil
	})
	return id, err
}

// RejectAttribute makes the SaaS refuse pushes of users whose profile attribute attr
// holds value.
func (o *Org) RejectAttribute(appID, attr, value string) error {
	return o.withApp(appID, func(_ *app, c *appCause) error {
		c.rejectAttr, c.rejectValue = attr, value
		return nil
	})
}

// connectionStatus is what connections/default says. Caller holds mu.
func (o *Org) connectionStatus(a *app) string {
	switch c := o.causes[a.id]; {
	case !a.provisioning:
		return "UNKNOWN"
	case c != nil && c.connectionDisabled:
		return Disabled
	default:
		return Enabled
	}
}

// causeFailure applies the app's injected cause to a push; it reports whether it took
// the push over (failed it, or pushed nothing). Caller holds mu.
func (o *Org) causeFailure(a *app, u *user, au *appUser) bool {
	c := o.causes[a.id]
	if c == nil {
		return false
	}
	if c.connectionDisabled {
		if au.syncState == syncSyncing {
			au.syncState = syncDisabled
			if au.status == statusStaged {
				au.status = statusActive
			}
		}
		return true
	}
	pushing := a.creating() || (au.externalID != "" && a.provisioning && a.caps.Profile == Enabled)
	if !pushing || u.status != statusActive {
		return false
	}
	now := o.now()
	who := u.displayName()
	if who == "" {
		who = u.login()
	}
	prefix := fmt.Sprintf("Automatic profile push of %s to app %s failed: Error while trying to push profile update for %s: ", who, a.label, u.login())
	if au.externalID == "" {
		prefix = fmt.Sprintf("Automatic provisioning of user %s to app %s failed: Error while trying to create user %s: ", who, a.label, u.login())
	}
	switch {
	case c.credentialsRefused:
		o.integrationEvent(a, "application.integration.authentication_failure", "app.api.error.auth",
			"Error authenticating", "The credentials used to connect to the API were invalid.")
		o.failPush(a, u, au, prefix+"Unauthorized (401): Token is invalid or expired", "")
	case now.Before(c.rateLimitedUntil):
		o.integrationEvent(a, "application.integration.rate_limit_exceeded", "app.api.error.rate.limit.exceeded",
			"API rate limit exceeded", "Rate Limit Exceeded")
		o.failPush(a, u, au, prefix+"HTTP 429 Too Many Requests: Rate limit exceeded, retry after 60 seconds", "")
	case c.provisionedSince > 0 && au.externalID == "" && o.lastAssigned(a, u) < c.provisionedSince:
		o.failPush(a, u, au, fmt.Sprintf("Automatic provisioning of user %s to app %s failed: User was assigned this application before Provisioning was enabled and not provisioned in the downstream application. Please click on the \"Provision User\" button to provision this user.", who, a.label), "")
	case au.externalID == "" && a.saas.byUserName(au.userName) != nil && c.conflicting[a.saas.byUserName(au.userName).id]:
		o.failPush(a, u, au, prefix+fmt.Sprintf(`Conflict. Errors reported by remote server: A user with the email %s already exists. (409, {"Errors":{"description":"email_taken","code":409}})`, u.profile["email"]), "")
	case c.rejectAttr != "" && u.profile[c.rejectAttr] == c.rejectValue:
		o.failPush(a, u, au, prefix+fmt.Sprintf("Invalid value '%s' specified for property '%s' of resource 'User'.", c.rejectValue, c.rejectAttr), "")
	default:
		return false
	}
	return true
}

// lastAssigned is the log seq of the latest assignment of u to a. Caller holds mu.
func (o *Org) lastAssigned(a *app, u *user) int64 {
	for i := len(o.logs) - 1; i >= 0; i-- {
		e := o.logs[i]
		if e.eventType != "application.user_membership.add" {
			continue
		}
		var app, usr bool
		for _, t := range e.targets {
			app = app || t.ID == a.id
			usr = usr || t.ID == u.id
		}
		if app && usr {
			return e.seq
		}
	}
	return 0
}

// failPush records a failed push of au: syncState ERROR and the System Log event Okta
// writes, with the message in outcome.reason, or only in displayMessage when
// reason is empty and display is given. Caller holds mu.
func (o *Org) failPush(a *app, u *user, au *appUser, reason, display string) {
	eventType, legacy, msg := "application.provision.user.push_profile", "app.user_management.push_profile_failure", "Push user's profile to external application"
	if au.externalID == "" {
		eventType, legacy, msg = "application.provision.user.push", "app.user_management.push_new_user_failure", "Push new user to external application"
	}
	if display != "" {
		msg = display
	}
	au.syncState, au.lastUpdated = syncError, o.now()
	o.emit(logEvent{eventType: eventType, legacyType: legacy, displayMessage: msg, result: "FAILURE",
		reason: reason, severity: "ERROR", actor: systemActor(), txType: "JOB", targets: o.pushTargets(a, u, au)})
}

// integrationEvent logs an application.integration.* failure; it targets the app only.
func (o *Org) integrationEvent(a *app, eventType, legacy, display, reason string) {
	o.emit(logEvent{eventType: eventType, legacyType: legacy, displayMessage: display, result: "FAILURE",
		reason: reason, severity: "WARN", actor: systemActor(), txType: "JOB", targets: []logEntity{o.appTarget(a)}})
}

// Labels of the apps the cause scenarios add.
const (
	LabelAtlassian = "Atlassian Cloud"
	LabelBox       = "Box"
	LabelExpensify = "Expensify"
	LabelM365      = "Microsoft 365"
	LabelDropbox   = "Dropbox Business"
	LabelZscaler   = "Zscaler Internet Access"
)

// causeScenarios are the failures beyond the articles. The first two are demo-ready:
// one app-wide (its fix is a runbook), one healed by re-assignment end to end.
func causeScenarios() []Scenario {
	return []Scenario{
		{Name: "app_credentials_invalid", UserLogin: "kenji.mori@example.com", AppLabel: LabelAtlassian,
			Title:   "Atlassian Cloud refuses Okta's API token: every user's push fails",
			TitleJA: "Atlassian Cloud が Okta の API トークンを拒否し、すべてのユーザーのプッシュが失敗している",
			// The retry is proposed after the runbook's manual steps; re-assigning alone
			// heals nothing while the token is refused.
			Expect: []string{"APP_CREDENTIALS_INVALID"}, Plans: []string{"reassign"}},
		{Name: "assigned_before_provisioning", UserLogin: "taro.yamada@example.com", AppLabel: LabelBox,
			Title:   "Assigned to Box before provisioning was enabled: no account was ever created",
			TitleJA: "プロビジョニングを有効にする前に Box に割り当てられたため、アカウントが作成されていない",
			Expect:  []string{"ASSIGNED_BEFORE_PROVISIONING"}, Plans: []string{"reassign"},
			HealedBy: []string{"reassign"}},
	}
}

// moreCauseScenarios are seeded too, but not played by the demo.
func moreCauseScenarios() []Scenario {
	return []Scenario{
		{Name: "provisioning_connection_disabled", UserLogin: "lena.fischer@example.com", AppLabel: LabelZscaler,
			Title:   "The provisioning connection of Zscaler is disabled: nobody is pushed",
			TitleJA: "Zscaler のプロビジョニング接続が無効で、誰もプッシュされない",
			Expect:  []string{"PROVISIONING_CONNECTION_DISABLED"}, Plans: []string{"reassign"}},
		{Name: "matching_user_not_found", UserLogin: "mateo.garcia@example.com", AppLabel: LabelExpensify,
			Title:   "Expensify: \"Matching user not found\" and Okta may not create the account",
			TitleJA: "Expensify で「Matching user not found」となり、Okta がアカウントを作成しない",
			Expect:  []string{"MATCHING_USER_NOT_FOUND"}, Plans: []string{"reassign"}},
		{Name: "saas_account_conflict", UserLogin: "hanako.sato@example.com", AppLabel: LabelSlack,
			Title:   "A Slack account with the same email already exists, unlinked",
			TitleJA: "同じメールアドレスの Slack アカウントがすでにあり、Okta と紐付いていない",
			Expect:  []string{"SAAS_ACCOUNT_CONFLICT"}, Plans: []string{"relink_saas_user"},
			HealedBy: []string{"relink_saas_user"}},
		{Name: "attribute_rejected", UserLogin: "yuki.tanaka@example.com", AppLabel: LabelM365,
			Title:   "Microsoft 365 rejects the usage location \"Japan\"",
			TitleJA: "Microsoft 365 が利用場所(usageLocation)の値「Japan」を拒否している",
			Expect:  []string{"ATTRIBUTE_REJECTED"}, Plans: []string{"reassign"}},
		{Name: "saas_rate_limited", UserLogin: "olivia.brown@example.com", AppLabel: LabelDropbox,
			Title:   "Dropbox Business rate-limited Okta's pushes",
			TitleJA: "Dropbox Business が Okta のプッシュにレート制限をかけた",
			// Once the limit has passed, re-assigning links the same Dropbox account
			// again (same externalId), synchronised after the fix began.
			Expect: []string{"SAAS_RATE_LIMITED"}, Plans: []string{"reassign"},
			HealedBy: []string{"reassign"}},
	}
}

// MoreScenarios returns the seeded scenarios that Scenarios leaves out (the demo plays
// Scenarios): further failures beyond the articles, each on its own user.
func MoreScenarios() []Scenario { return moreCauseScenarios() }

// buildCauses seeds the cause scenarios. slack is the seeded Slack app.
func (s *seeder) buildCauses(slack string) {
	o := s.o
	on, off := Enabled, Disabled
	sales := map[string]string{"department": "Sales"}
	addApp := func(name, label string, caps *Capabilities) string {
		id, err := o.AddApp(AppSpec{Name: name, Label: label, Provisioning: caps})
		s.fail(err)
		return id
	}
	std := func() *Capabilities {
		return &Capabilities{LifecycleCreate: on, Profile: on, LifecycleDeactivate: on, Password: PasswordCapability{Status: off}}
	}

	// app_credentials_invalid: the token expired; two users' pushes fail since.
	s.ago(100 * time.Minute)
	atl := addApp("atlassian", LabelAtlassian, std())
	kenji := s.user("kenji.mori@example.com", "Kenji", "Mori", "", sales)
	mei := s.user("mei.ito@example.com", "Mei", "Ito", "", sales)
	s.do(o.AssignUser(atl, kenji))
	s.do(o.AssignUser(atl, mei))
	s.settle()
	s.ago(60 * time.Minute)
	s.do(o.SetCredentialsValid(atl, false))
	s.do(o.PushProfile(atl, kenji))
	s.do(o.PushProfile(atl, mei))

	// assigned_before_provisioning: Box was SSO only when Taro got it.
	s.ago(95 * time.Minute)
	box := addApp("boxnet", LabelBox, nil)
	taro := s.user("taro.yamada@example.com", "Taro", "Yamada", "", sales)
	s.do(o.AssignUser(box, taro))
	s.ago(70 * time.Minute)
	s.do(o.EnableProvisioning(box, *std()))
	s.ago(55 * time.Minute)
	s.do(o.PushProfile(box, taro))

	// provisioning_connection_disabled: the API integration was switched off.
	s.ago(90 * time.Minute)
	zs := addApp("zscalerbyz", LabelZscaler, std())
	s.do(o.SetConnectionEnabled(zs, false))
	lena := s.user("lena.fischer@example.com", "Lena", "Fischer", "", sales)
	s.do(o.AssignUser(zs, lena))

	// matching_user_not_found: Create Users is off; Okta found no account to link. The
	// connector writes the whole message into displayMessage only.
	s.ago(85 * time.Minute)
	exp := addApp("expensify", LabelExpensify, &Capabilities{LifecycleCreate: off, Profile: on, LifecycleDeactivate: off})
	mateo := s.user("mateo.garcia@example.com", "Mateo", "Garcia", "", sales)
	s.do(o.AssignUser(exp, mateo))
	s.settle()
	s.ago(80 * time.Minute)
	s.do(o.withApp(exp, func(a *app, _ *appCause) error {
		u := o.userByID(mateo)
		au := a.appUser(mateo)
		if u == nil || au == nil {
			return fmt.Errorf("oktasim: seeding: %s is not assigned to %s", mateo, exp)
		}
		o.failPush(a, u, au, "", "Automatic provisioning of user Mateo Garcia to app Expensify failed: Matching user not found")
		return nil
	}))

	// saas_account_conflict: a Slack admin invited Hanako by hand before Okta got to it.
	s.ago(75 * time.Minute)
	hanako := s.user("hanako.sato@example.com", "Hanako", "Sato", "", sales)
	_, err := o.SaaSAddAccount(slack, "hanako.sato@example.com")
	s.fail(err)
	s.do(o.AssignUser(slack, hanako))

	// attribute_rejected: the usage location must be a country code; "Japan" is not.
	// Microsoft 365 IDs are UUIDs.
	s.ago(70 * time.Minute)
	m365 := addApp("office365", LabelM365, std())
	yuki := s.user("yuki.tanaka@example.com", "Yuki", "Tanaka", "", map[string]string{"department": "Sales", "usageLocation": "JP"})
	s.do(o.AssignUser(m365, yuki))
	s.settle()
	s.do(o.RejectAttribute(m365, "usageLocation", "Japan"))
	s.ago(65 * time.Minute)
	s.do(o.SetUserProfile(yuki, map[string]string{"usageLocation": "Japan"}))
	s.do(o.PushProfile(m365, yuki))

	// saas_rate_limited: a mass push hit Dropbox's limit; Olivia's push was refused.
	s.ago(60 * time.Minute)
	dbx := addApp("dropbox_for_business", LabelDropbox, std())
	olivia := s.user("olivia.brown@example.com", "Olivia", "Brown", "", sales)
	s.do(o.AssignUser(dbx, olivia))
	s.settle()
	s.ago(50 * time.Minute)
	s.do(o.RateLimitPushes(dbx, 10*time.Minute))
	s.do(o.PushProfile(dbx, olivia))
}
