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
	// MaxLogEvents bounds the events read (default 200).
	MaxLogEvents int
	// MaxApps bounds an all-apps diagnosis (default 25); the rest is reported as a gap.
	MaxApps int
	// Parallel bounds the concurrent Okta calls of one diagnosis (default 8).
	Parallel int
}

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
	MoreApps      int // apps beyond MaxApps, not checked
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
// the app and the org-wide lists together; then everything that needs their IDs
// together (an all-apps diagnosis adds one round for the per-app reads).
func (d *Diagnoser) Gather(ctx context.Context, userQuery, appQuery string) (*Facts, error) {
	userQuery, appQuery = strings.TrimSpace(userQuery), strings.TrimSpace(appQuery)
	if userQuery == "" {
		return nil, fmt.Errorf("diagnose: no user given: %w", ErrPermanent)
	}
	f := &Facts{}
	var app App

	// Round 1: who and what, plus the org-wide lists that need no ID.
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
	g.Go(func() error { f.Rules, f.RulesErr = d.Okta.ListGroupRules(gctx); return nil })
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Round 2: the assignment(s), the System Log, the user's groups, and for one app
	// its provisioning settings and groups.
	now := d.now()
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error {
		f.Logs, f.LogsErr = d.Okta.SystemLog(gctx, LogQuery{
			TargetIDs: []string{f.User.ID},
			Since:     now.Add(-orDurationDefault(d.Lookback, 30*24*time.Hour)),
			// A bounded query (a polling one never ends), with a minute of slack for
			// the difference between our clock and Okta's.
			Until:     now.Add(time.Minute),
			MaxEvents: orDefault(d.MaxLogEvents, 200),
		})
		return nil
	})
	g.Go(func() error { f.UserGroups, f.UserGroupsErr = d.Okta.ListUserGroups(gctx, f.User.ID); return nil })
	if appQuery != "" {
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

	// Round 3 (all apps only): per-app provisioning settings and groups.
	sort.Slice(assignments, func(i, j int) bool { return assignments[i].App.Label < assignments[j].App.Label })
	if max := orDefault(d.MaxApps, 25); len(assignments) > max {
		f.MoreApps = len(assignments) - max
		assignments = assignments[:max]
	}
	f.Apps = make([]AppFacts, len(assignments))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(orDefault(d.Parallel, 8))
	for i, a := range assignments {
		au := a.AppUser
		f.Apps[i] = AppFacts{App: a.App, AppUser: &au}
		d.appDetails(g, gctx, &f.Apps[i])
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return f, nil
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
