package remediation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// OktaReader is what a diagnosis reads from Okta. Implementations translate their
// errors into this package's sentinels (ErrNotFound, ErrUnsupported, ...).
type OktaReader interface {
	// FindUser resolves a login, an email address or an Okta user ID.
	FindUser(ctx context.Context, q string) (User, error)
	// FindApp resolves an app label, name or ID.
	FindApp(ctx context.Context, q string) (App, error)
	// ListUserAssignments lists the user's apps with the user's assignment to each.
	ListUserAssignments(ctx context.Context, userID string) ([]Assignment, error)
	// GetAppUser reads one assignment; ErrNotFound when the user is not assigned.
	GetAppUser(ctx context.Context, appID, userID string) (AppUser, error)
	// GetProvisioning reads USER_PROVISIONING; ErrUnsupported when the app type has no
	// Features API.
	GetProvisioning(ctx context.Context, appID string) (Provisioning, error)
	// SystemLog runs a bounded System Log query.
	SystemLog(ctx context.Context, q LogQuery) ([]LogEvent, error)
	ListUserTypes(ctx context.Context) ([]UserType, error)
	ListGroupRules(ctx context.Context) ([]GroupRule, error)
	ListAppGroups(ctx context.Context, appID string) ([]AppGroup, error)
	ListUserGroups(ctx context.Context, userID string) ([]Group, error)
	// GetConnection reads the app's default provisioning connection; Status UNKNOWN
	// (not an error) when the app type has none or Okta does not say.
	GetConnection(ctx context.Context, appID string) (Connection, error)
}

// Diagnoser gathers the facts about a user (and an app) from Okta and names the causes.
type Diagnoser struct {
	Okta   OktaReader
	Clock  Clock // nil: the system clock
	Logger *slog.Logger
	// Lookback bounds the System Log query (default 30 days; Okta keeps 90).
	Lookback time.Duration
	// MaxLogEvents bounds the events read per System Log query (default 1000, one page:
	// the query is filtered by event type and target, so sign-ins are not among them).
	MaxLogEvents int
	// MaxApps bounds how many apps of an all-apps diagnosis are read in depth
	// (provisioning settings, groups; default 10, about 20 calls of the apps budget):
	// the failing ones first, then those where nothing was pushed and the Features API
	// can say whether provisioning is off. Every assignment is seen; the apps beyond it
	// are judged on their assignment and the System Log alone, and reported as a gap.
	MaxApps int
	// Parallel bounds the concurrent Okta calls of one diagnosis (default 8).
	Parallel int
}

// Event type prefixes a diagnosis reads. The user's own provisioning events target
// the user; the integration's events (refused credentials, the SaaS rate-limiting
// Okta) target the app only.
var (
	UserLogEventTypes = []string{"application.provision", "application.user_membership", "app.user_management"}
	AppLogEventTypes  = []string{"application.integration."}
)

// Facts is everything a diagnosis read. Errors of the optional reads are kept beside
// their facts: the rules work with what could be read and the gaps say what could not.
type Facts struct {
	User          User
	Types         []UserType
	TypesErr      error
	Rules         []GroupRule
	RulesErr      error
	UserGroups    []Group
	UserGroupsErr error
	Logs          []LogEvent
	LogsErr       error
	Apps          []AppFacts
	MoreApps      int // failing apps beyond MaxApps, not read in depth
}

// AppFacts is what was read about one app.
type AppFacts struct {
	App             App
	AppUser         *AppUser // nil: not assigned
	Provisioning    *Provisioning
	ProvisioningErr error // wraps ErrUnsupported for apps without the Features API
	AppGroups       []AppGroup
	AppGroupsErr    error
	Connection      *Connection // nil: not read
	ConnectionErr   error
}

func (d *Diagnoser) now() time.Time { return d.Clock.Now() }

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Diagnose diagnoses userQuery on appQuery, or on every app of the user when appQuery
// is empty. It fails only when the user or the app cannot be resolved or the
// assignment cannot be read; other unreadable facts become gaps.
func (d *Diagnoser) Diagnose(ctx context.Context, userQuery, appQuery string) (Diagnosis, error) {
	facts, err := d.Gather(ctx, userQuery, appQuery)
	if err != nil {
		return Diagnosis{}, err
	}
	diag := Evaluate(facts, d.now())
	if appQuery != "" && len(facts.Apps) == 1 {
		app := facts.Apps[0].App
		diag.App = &app
	}
	return diag, nil
}

// Gather reads the facts in as few sequential round trips as it can: first the user,
// the app and the user types together; then everything that needs their IDs together
// (the group rules only for a user of a custom type, the only case where they can
// matter). An all-apps diagnosis reads every assignment with its sync state in one
// paged list and adds one round for the failing apps alone.
func (d *Diagnoser) Gather(ctx context.Context, userQuery, appQuery string) (*Facts, error) {
	userQuery, appQuery = strings.TrimSpace(userQuery), strings.TrimSpace(appQuery)
	if userQuery == "" {
		return nil, fmt.Errorf("diagnose: no user given: %w", ErrPermanent)
	}
	f := &Facts{}
	var app App

	// Round 1: who and what, plus the user types (to know whether rules matter).
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		u, err := d.Okta.FindUser(gctx, userQuery)
		if err != nil {
			return fmt.Errorf("user %q: %w", userQuery, err)
		}
		f.User = u
		return nil
	})
	if appQuery != "" {
		g.Go(func() error {
			a, err := d.Okta.FindApp(gctx, appQuery)
			if err != nil {
				return fmt.Errorf("app %q: %w", appQuery, err)
			}
			app = a
			return nil
		})
	}
	g.Go(func() error { f.Types, f.TypesErr = d.Okta.ListUserTypes(gctx); return nil })
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Round 2: the assignment(s), the System Log, the user's groups, the rules when
	// they can matter, and for one app its provisioning settings and groups.
	now := d.now()
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error { f.UserGroups, f.UserGroupsErr = d.Okta.ListUserGroups(gctx, f.User.ID); return nil })
	if rulesMatter(f) {
		g.Go(func() error { f.Rules, f.RulesErr = d.Okta.ListGroupRules(gctx); return nil })
	}
	if appQuery != "" {
		g.Go(func() error {
			f.Logs, f.LogsErr = d.Okta.SystemLog(gctx, d.logQuery(now, f.User.ID, []string{app.ID}))
			return nil
		})
		af := AppFacts{App: app}
		g.Go(func() error {
			au, err := d.Okta.GetAppUser(gctx, app.ID, f.User.ID)
			switch {
			case errors.Is(err, ErrNotFound):
				return nil
			case err != nil:
				return fmt.Errorf("assignment of %s to %s: %w", f.User.Login, app.Label, err)
			}
			af.AppUser = &au
			return nil
		})
		d.appDetails(g, gctx, &af)
		if err := g.Wait(); err != nil {
			return nil, err
		}
		f.Apps = []AppFacts{af}
		return f, nil
	}
	g.Go(func() error {
		f.Logs, f.LogsErr = d.Okta.SystemLog(gctx, d.logQuery(now, f.User.ID, nil))
		return nil
	})
	var assignments []Assignment
	g.Go(func() error {
		var err error
		assignments, err = d.Okta.ListUserAssignments(gctx, f.User.ID)
		if err != nil {
			return fmt.Errorf("apps of %s: %w", f.User.Login, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Round 3 (all apps only): the failing apps in depth, and the integration events
	// of those apps, which do not target the user.
	sort.Slice(assignments, func(i, j int) bool { return assignments[i].App.Label < assignments[j].App.Label })
	f.Apps = make([]AppFacts, len(assignments))
	var deep, quiet []int
	for i, a := range assignments {
		au := a.AppUser
		f.Apps[i] = AppFacts{App: a.App, AppUser: &au}
		switch {
		case failing(au, a.App, f.Logs):
			deep = append(deep, i)
		case au.SyncState == SyncDisabled && featuresAPIApps[a.App.Name]:
			// Nothing pushed: provisioning may be off, which only the Features API says.
			quiet = append(quiet, i)
		}
	}
	deep = append(deep, quiet...)
	if max := orDefault(d.MaxApps, 10); len(deep) > max {
		f.MoreApps = len(deep) - max
		deep = deep[:max]
	}
	if len(deep) == 0 {
		return f, nil
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(orDefault(d.Parallel, 8))
	appIDs := make([]string, 0, len(deep))
	for _, i := range deep {
		appIDs = append(appIDs, f.Apps[i].App.ID)
		d.appDetails(g, gctx, &f.Apps[i])
	}
	var appLogs []LogEvent
	var appLogsErr error
	if f.LogsErr == nil {
		g.Go(func() error {
			q := d.logQuery(now, "", appIDs)
			appLogs, appLogsErr = d.Okta.SystemLog(gctx, q)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	f.Logs, f.LogsErr = append(f.Logs, appLogs...), appLogsErr
	return f, nil
}

// logQuery is the bounded System Log query of a diagnosis: the user's provisioning
// events (when userID is set) or the integration events of the apps. Filtering on
// type and target leaves the sign-ins out, so weeks of a busy user's log fit in a page.
func (d *Diagnoser) logQuery(now time.Time, userID string, appIDs []string) LogQuery {
	q := LogQuery{
		Since: now.Add(-orDurationDefault(d.Lookback, 30*24*time.Hour)),
		// A bounded query (a polling one never ends), with a minute of slack for the
		// difference between our clock and Okta's.
		Until:     now.Add(time.Minute),
		MaxEvents: orDefault(d.MaxLogEvents, 1000),
	}
	var alts []LogMatch
	if userID != "" {
		alts = append(alts, LogMatch{TargetIDs: []string{userID}, EventTypes: UserLogEventTypes})
	}
	for _, id := range appIDs {
		alts = append(alts, LogMatch{TargetIDs: []string{id}, EventTypes: AppLogEventTypes})
	}
	if len(alts) > 0 {
		q.TargetIDs, q.EventTypes, q.Or = alts[0].TargetIDs, alts[0].EventTypes, alts[1:]
	}
	return q
}

// featuresAPIApps are the catalogue apps whose provisioning settings the Features API
// reads; elsewhere a sync state of DISABLED says nothing more can be learnt by API.
var featuresAPIApps = map[string]bool{"google": true, "office365": true, "okta_org2org": true, "slack": true, "zoomus": true, "zscalerbyz": true}

// rulesMatter reports whether the group rules can explain anything: Okta runs them
// for the default user type only, so they matter for a user of a custom type (or
// when the types could not be read and that cannot be ruled out).
func rulesMatter(f *Facts) bool {
	if f.TypesErr != nil {
		return true
	}
	for _, t := range f.Types {
		if t.ID == f.User.TypeID {
			return !t.Default
		}
	}
	return f.User.TypeID != ""
}

// failing reports whether an assignment needs a closer look: its sync is in error or
// out of sync, its status is not a settled one, or the System Log holds a failure of
// the user's provisioning to the app.
func failing(au AppUser, app App, logs []LogEvent) bool {
	switch au.SyncState {
	case SyncError, SyncOutOfSync:
		return true
	}
	switch au.Status {
	case "PROVISIONED", "ACTIVE", "":
	default:
		return true
	}
	for _, e := range logs {
		if e.Result == "FAILURE" && (e.HasTarget(app.ID) || (app.Label != "" && strings.Contains(e.Message(), " to app "+app.Label+" "))) {
			return true
		}
	}
	return false
}

// appDetails schedules the optional per-app reads on g.
func (d *Diagnoser) appDetails(g *errgroup.Group, ctx context.Context, af *AppFacts) {
	// The two reads fill different fields of af, read only after g.Wait.
	g.Go(func() error {
		p, err := d.Okta.GetProvisioning(ctx, af.App.ID)
		if err != nil {
			af.ProvisioningErr = err
			return nil
		}
		af.Provisioning = &p
		return nil
	})
	g.Go(func() error {
		groups, err := d.Okta.ListAppGroups(ctx, af.App.ID)
		af.AppGroups, af.AppGroupsErr = groups, err
		return nil
	})
	g.Go(func() error {
		c, err := d.Okta.GetConnection(ctx, af.App.ID)
		if err != nil {
			af.ConnectionErr = err
			return nil
		}
		af.Connection = &c
		return nil
	})
}

func orDurationDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
