package oktasim

import (
	"context"
	"fmt"
	"time"
)

// Scenario is one seeded world: a user, the app the diagnosis should be run on, and
// what the diagnosis must find (finding codes and plan IDs of DESIGN §6).
type Scenario struct {
	Name      string // stable slug
	Title     string // English
	TitleJA   string // Japanese
	UserLogin string
	AppLabel  string
	Expect    []string // finding codes, in no particular order
	Plans     []string // plan IDs the diagnosis should propose
	// HealedBy lists the proposed plans that actually heal this world as built (e.g.
	// in stale_external_id "Deactivate Users" is off, so fix 1 restores the stale
	// externalId and only reset_external_id heals, as the seed warns).
	HealedBy []string
}

// Seeded app labels.
const (
	LabelSlack  = "Slack"
	LabelZoom   = "Zoom"
	LabelGoogle = "Google Workspace"
	LabelWiki   = "Acme Wiki"
)

// Scenarios returns the seeded scenarios NewSeeded builds, each on its own user, that
// the demo plays (MoreScenarios lists the others).
func Scenarios() []Scenario {
	return append(seedScenarios(), causeScenarios()...)
}

func seedScenarios() []Scenario {
	return []Scenario{
		{Name: "stale_external_id", UserLogin: "alice@example.com", AppLabel: LabelZoom,
			Title:   "Zoom account deleted on the SaaS side; Okta still pushes to the old external ID",
			TitleJA: "Zoom側でアカウントが削除され、Oktaが古いExternal IDにプッシュしている",
			Expect:  []string{"STALE_EXTERNAL_ID"}, Plans: []string{"reassign", "reset_external_id"},
			HealedBy: []string{"reset_external_id"}},
		{Name: "slack_deactivated", UserLogin: "bob@example.com", AppLabel: LabelSlack,
			Title:   "Slack user deactivated; re-assignment fails with \"User account is inactive\"",
			TitleJA: "Slackでユーザーが解除され、再アサインが「User account is inactive」で失敗する",
			Expect:  []string{"SAAS_USER_DEACTIVATED"}, Plans: []string{"relink_saas_user"},
			HealedBy: []string{"relink_saas_user"}},
		{Name: "group_scoped", UserLogin: "carol@example.com", AppLabel: LabelZoom,
			Title:   "Stale external ID on a Zoom assignment managed by a group",
			TitleJA: "グループ経由でアサインされたZoomユーザーのExternal IDが古い",
			Expect:  []string{"STALE_EXTERNAL_ID", "GROUP_SCOPED_ASSIGNMENT"}, Plans: []string{"reassign", "reset_external_id"},
			HealedBy: []string{"reset_external_id"}},
		{Name: "custom_user_type", UserLogin: "dave@example.com", AppLabel: LabelZoom,
			Title:   "Contractor (custom user type): the group rule that grants Zoom never runs for him",
			TitleJA: "カスタムのユーザータイプ(Contractor)のため Zoom を付与するグループルールが実行されない",
			Expect:  []string{"CUSTOM_USER_TYPE", "NOT_ASSIGNED"}, Plans: []string{}},
		{Name: "provisioning_disabled", UserLogin: "erin@example.com", AppLabel: LabelGoogle,
			Title:   "Provisioning to Google Workspace is switched off; the user was never pushed",
			TitleJA: "Google Workspaceへのプロビジョニングが無効で、ユーザーがプッシュされていない",
			Expect:  []string{"PROVISIONING_DISABLED"}, Plans: []string{}},
		{Name: "features_unsupported", UserLogin: "frank@example.com", AppLabel: LabelWiki,
			Title:   "Stale external ID on a custom SCIM app without the Features API",
			TitleJA: "Features API非対応のカスタムSCIMアプリでExternal IDが古い",
			Expect:  []string{"STALE_EXTERNAL_ID", "FEATURES_API_UNSUPPORTED"}, Plans: []string{"reassign", "reset_external_id"},
			HealedBy: []string{"reassign", "reset_external_id"}},
		{Name: "not_assigned", UserLogin: "grace@example.com", AppLabel: LabelSlack,
			Title:   "The user is not assigned to Slack",
			TitleJA: "ユーザーがSlackにアサインされていない",
			Expect:  []string{"NOT_ASSIGNED"}, Plans: []string{}},
		{Name: "okta_user_suspended", UserLogin: "heidi@example.com", AppLabel: LabelSlack,
			Title:   "The Okta user is suspended, so nothing is pushed to Slack",
			TitleJA: "Oktaユーザーが一時停止中のため、Slackへ何もプッシュされない",
			Expect:  []string{"OKTA_USER_NOT_ACTIVE"}, Plans: []string{}},
		{Name: "healthy", UserLogin: "ivan@example.com", AppLabel: LabelSlack,
			Title:   "Everything is in sync",
			TitleJA: "正常に同期されている",
			Expect:  []string{"HEALTHY"}, Plans: []string{}},
	}
}

// seeder drives the org's own behaviours to build the scenarios, so that every
// state (and every System Log event) has happened the way it would in Okta.
type seeder struct {
	o   *Org
	ctx context.Context
	err error
}

func (s *seeder) fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

func (s *seeder) user(login, first, last, typeID string, extra map[string]string) string {
	if s.err != nil {
		return ""
	}
	id, err := s.o.AddUser(UserSpec{Login: login, FirstName: first, LastName: last, TypeID: typeID, Profile: extra})
	s.fail(err)
	return id
}

func (s *seeder) do(err error) { s.fail(err) }

// ago makes what follows happen the given time before now: the seeded story took
// place over the last hours, as a real incident would, and its events are not all
// stamped with the same millisecond.
func (s *seeder) ago(d time.Duration) {
	s.settle()
	s.o.mu.Lock()
	s.o.shift = -d
	s.o.mu.Unlock()
}

// settle waits for scheduled provisioning, as an admin waits for Okta's tasks.
func (s *seeder) settle() {
	if s.err == nil {
		s.fail(s.o.WaitIdle(s.ctx))
	}
}

func (s *seeder) externalID(appID, userID string) string {
	st, ok := s.o.AppUser(appID, userID)
	if !ok || st.ExternalID == "" {
		s.fail(fmt.Errorf("oktasim: seeding: user %s has no externalId on app %s", userID, appID))
		return ""
	}
	return st.ExternalID
}

// NewSeeded returns an org holding every scenario of Scenarios at once, plus
// unrelated users and events that a diagnosis must filter out.
func NewSeeded(opts Options) (*Org, error) {
	o := New(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second+50*opts.ProvisionDelay)
	defer cancel()
	s := &seeder{o: o, ctx: ctx}
	if err := s.build(); err != nil {
		o.Close()
		return nil, fmt.Errorf("oktasim: seeding: %w", err)
	}
	return o, nil
}

func (s *seeder) build() error {
	o := s.o
	defer s.ago(0)
	s.ago(3 * time.Hour)
	on, off := Enabled, Disabled
	slack, err := o.AddApp(AppSpec{Name: "slack", Label: LabelSlack, Provisioning: &Capabilities{
		LifecycleCreate: on, Profile: on, LifecycleDeactivate: off, // the seed's "Deactivate Users" off
		Password: PasswordCapability{Status: off}}})
	s.fail(err)
	zoom, err := o.AddApp(AppSpec{Name: "zoomus", Label: LabelZoom, Provisioning: &Capabilities{
		LifecycleCreate: on, Profile: on, LifecycleDeactivate: off, Password: PasswordCapability{Status: off}}})
	s.fail(err)
	google, err := o.AddApp(AppSpec{Name: "google", Label: LabelGoogle, Provisioning: &Capabilities{}})
	s.fail(err)
	wiki, err := o.AddApp(AppSpec{Name: "scim2testapp", Label: LabelWiki, Provisioning: &Capabilities{
		LifecycleCreate: on, Profile: on, LifecycleDeactivate: on, Password: PasswordCapability{Status: off}}})
	s.fail(err)
	if s.err != nil {
		return s.err
	}

	contractor, err := o.AddUserType("contractor", "Contractor")
	s.fail(err)
	zoomUsers, err := o.AddGroup("Zoom Users")
	s.fail(err)
	s.do(o.AssignGroup(zoom, zoomUsers))
	_, err = o.AddGroupRule(GroupRuleSpec{Name: "Engineering gets Zoom", Expression: `user.department=="Engineering"`,
		GroupIDs: []string{zoomUsers}})
	s.fail(err)

	mgr := s.user("mika.manager@example.com", "Mika", "Manager", "", map[string]string{"department": "IT"})
	eng := map[string]string{"department": "Engineering", "managerId": mgr}
	sales := map[string]string{"department": "Sales", "managerId": mgr}

	// Bystanders: a default-type engineer the rule does reach, and a healthy Slack user.
	judy := s.user("judy@example.com", "Judy", "Kato", "", eng)
	kim := s.user("kim@example.com", "Kim", "Ito", "", sales)
	s.do(o.AssignUser(slack, kim))

	// stale_external_id: Zoom account deleted by a Zoom admin, then a profile change.
	s.ago(170 * time.Minute)
	alice := s.user("alice@example.com", "Alice", "Sato", "", sales)
	s.do(o.AssignUser(zoom, alice))
	s.settle()
	s.do(o.SaaSDeleteAccount(zoom, s.externalID(zoom, alice)))
	s.ago(42 * time.Minute)
	s.do(o.PushProfile(zoom, alice))

	// slack_deactivated: deactivated in Slack, then unassigned and assigned in Okta.
	s.ago(160 * time.Minute)
	bob := s.user("bob@example.com", "Bob", "Suzuki", "", sales)
	s.do(o.AssignUser(slack, bob))
	s.settle()
	s.do(o.SaaSDeactivateAccount(slack, s.externalID(slack, bob)))
	s.ago(38 * time.Minute)
	s.do(o.UnassignUser(slack, bob))
	s.ago(37 * time.Minute)
	s.do(o.AssignUser(slack, bob))

	// group_scoped: an engineer gets Zoom through the rule's group; account deleted.
	s.ago(150 * time.Minute)
	carol := s.user("carol@example.com", "Carol", "Tanaka", "", eng)
	s.settle()
	s.do(o.SaaSDeleteAccount(zoom, s.externalID(zoom, carol)))
	s.ago(33 * time.Minute)
	s.do(o.PushProfile(zoom, carol))

	// custom_user_type: an engineer of the Contractor type; the rule never runs for him.
	s.ago(140 * time.Minute)
	s.user("dave@example.com", "Dave", "Yamada", contractor, eng)

	// provisioning_disabled: assigned to Google Workspace, whose provisioning is off.
	erin := s.user("erin@example.com", "Erin", "Watanabe", "", sales)
	s.do(o.AssignUser(google, erin))

	// features_unsupported: custom SCIM app; account deleted on the SCIM server.
	s.ago(130 * time.Minute)
	frank := s.user("frank@example.com", "Frank", "Nakamura", "", sales)
	s.do(o.AssignUser(wiki, frank))
	s.settle()
	s.do(o.SaaSDeleteAccount(wiki, s.externalID(wiki, frank)))
	s.ago(28 * time.Minute)
	s.do(o.PushProfile(wiki, frank))

	// not_assigned.
	s.user("grace@example.com", "Grace", "Kobayashi", "", sales)

	// okta_user_suspended: provisioned to Slack, then suspended in Okta.
	s.ago(120 * time.Minute)
	heidi := s.user("heidi@example.com", "Heidi", "Yoshida", "", sales)
	s.do(o.AssignUser(slack, heidi))
	s.settle()
	s.ago(25 * time.Minute)
	s.do(o.SetUserStatus(heidi, "SUSPENDED"))
	s.do(o.PushProfile(slack, heidi)) // nothing happens: the user is not active

	// healthy.
	s.ago(110 * time.Minute)
	ivan := s.user("ivan@example.com", "Ivan", "Yamamoto", "", sales)
	s.do(o.AssignUser(slack, ivan))
	s.settle()
	s.ago(20 * time.Minute)
	s.do(o.PushProfile(slack, ivan))
	s.do(o.PushProfile(zoom, judy))
	s.settle()
	s.buildCauses(slack)
	s.settle()
	if s.err != nil {
		return s.err
	}

	// Noise the diagnosis must filter: sign-ins of the scenario users.
	s.ago(5 * time.Minute)
	o.mu.Lock()
	for _, id := range []string{alice, bob, carol, ivan, judy, kim} {
		if u := o.userByID(id); u != nil {
			o.emit(logEvent{eventType: "user.session.start", legacyType: "core.user_auth.login_success",
				displayMessage: "User login to Okta", result: "SUCCESS", actor: o.userTarget(u), txType: "WEB",
				targets: []logEntity{{ID: o.newID("pfd"), Type: "AuthenticatorEnrollment", AlternateID: "unknown", DisplayName: "Password"}}})
		}
	}
	o.mu.Unlock()
	return nil
}
