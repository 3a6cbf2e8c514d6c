package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// AuditScanned records one scan of an app: who, which app, the codes found.
const AuditScanned AuditType = "scanned"

// Member is one user assigned to an app: the Okta user with the assignment, as one
// page of the app's users lists them (expand=user embeds the user).
type Member struct {
	User    User    `json:"user"`
	AppUser AppUser `json:"app_user"`
}

// ScanReader is what a scan reads from Okta: the diagnosis's reads and the app's
// users, paged at Okta's largest page.
type ScanReader interface {
	OktaReader
	// ListAppMembers pages through every user assigned to the app, handing each page to
	// each; an error from each stops the paging and is returned.
	ListAppMembers(ctx context.Context, appID string, each func([]Member) error) error
}

// Scanner checks every user assigned to an app. It reads the app's users a page at a
// time with their sync state, and reads deeper only for the users that look unhealthy:
// one bounded System Log query for the app's provisioning failures (they target the app
// as well as the user), the app's settings once, and the per-user reads only where a
// finding needs them (the groups of a group-scoped user, the user of a page without it).
type Scanner struct {
	Okta ScanReader
	// Incidents saves the incidents a scan opens for a bulk fix; nil: none are saved
	// (and none offered).
	Incidents IncidentStore
	Clock     Clock
	// Lookback bounds the System Log query (default 30 days).
	Lookback time.Duration
	// MaxLogEvents bounds the failure events read (default 5000, five pages).
	MaxLogEvents int
	// Parallel bounds the concurrent per-user reads (default 4).
	Parallel int
}

// ScanProgress is how far a scan is; it is handed to the progress callback after each
// page of users and once at the end (Done).
type ScanProgress struct {
	App     App
	Checked int
	// Suspect is how many users checked so far look unhealthy (before the deeper read).
	Suspect int
	Done    bool
}

// ScanFailure is one failing user: the main finding's code and plans, and every
// finding of the user on the app.
type ScanFailure struct {
	User     User      `json:"user"`
	Code     Code      `json:"code"`
	Plans    []PlanID  `json:"plans"`
	Findings []Finding `json:"findings,omitempty"`
}

// ScanResult is what a scan found.
type ScanResult struct {
	App     App
	At      time.Time
	Checked int
	Failing []ScanFailure
	Counts  map[Code]int
	// Offers are the incidents saved for a bulk fix: one per code where one plan fits
	// two users or more.
	Offers []Incident
	Gaps   []Text
}

// Scan scans the app named by appQuery; progress (optional) hears after each page.
func (s *Scanner) Scan(ctx context.Context, appQuery string, progress func(ScanProgress)) (ScanResult, error) {
	appQuery = strings.TrimSpace(appQuery)
	if appQuery == "" {
		return ScanResult{}, fmt.Errorf("scan: no app given: %w", ErrPermanent)
	}
	if progress == nil {
		progress = func(ScanProgress) {}
	}
	app, err := s.Okta.FindApp(ctx, appQuery)
	if err != nil {
		return ScanResult{}, fmt.Errorf("app %q: %w", appQuery, err)
	}
	now := s.Clock.Now()
	res := ScanResult{App: app, At: now, Counts: map[Code]int{}, Failing: []ScanFailure{}}

	// Round 1, together: the app's users page by page, its failures in the System Log,
	// its settings, and the user types.
	facts := &Facts{}
	af := AppFacts{App: app}
	var members []Member
	var failures, lastOK []LogEvent
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		suspect := 0
		err := s.Okta.ListAppMembers(gctx, app.ID, func(page []Member) error {
			for _, m := range page {
				if unhealthy(m) {
					suspect++
				}
			}
			members = append(members, page...)
			progress(ScanProgress{App: app, Checked: len(members), Suspect: suspect})
			return nil
		})
		if err != nil {
			return fmt.Errorf("users of %s: %w", app.Label, err)
		}
		return nil
	})
	g.Go(func() error {
		failures, facts.LogsErr = s.Okta.SystemLog(gctx, s.failureQuery(now, app.ID))
		return nil
	})
	g.Go(func() error {
		// The app's newest successful push: integration failures before it are over.
		q := s.failureQuery(now, app.ID)
		q.Outcome, q.Or, q.MaxEvents = "SUCCESS", nil, 1
		q.EventTypes = []string{evProvisionPrefix}
		lastOK, _ = s.Okta.SystemLog(gctx, q)
		return nil
	})
	g.Go(func() error { facts.Types, facts.TypesErr = s.Okta.ListUserTypes(gctx); return nil })
	(&Diagnoser{Okta: s.Okta}).appDetails(g, gctx, &af)
	if err := g.Wait(); err != nil {
		return ScanResult{}, err
	}
	res.Checked = len(members)
	facts.Logs = append(failures, lastOK...)

	// The suspects: an unhealthy assignment or user, or a failure in the System Log not
	// followed by a sync.
	failedAt := map[string]time.Time{}
	for _, e := range failures {
		if e.Result != "FAILURE" || !strings.HasPrefix(e.EventType, evProvisionPrefix) {
			continue
		}
		for _, t := range e.Targets {
			if t.Type == "User" && e.Published.After(failedAt[t.ID]) {
				failedAt[t.ID] = e.Published
			}
		}
	}
	var suspects []suspect
	for _, m := range members {
		t, logged := failedAt[m.User.ID]
		if unhealthy(m) || (logged && (m.AppUser.LastSync == nil || t.After(*m.AppUser.LastSync))) {
			suspects = append(suspects, suspect{Member: m})
		}
	}
	members = nil

	// Round 2, only for the suspects: what their findings need.
	if err := s.readDeeper(ctx, facts, suspects); err != nil {
		return ScanResult{}, err
	}
	for i := range suspects {
		f := userFacts(facts, &af, &suspects[i])
		d := Evaluate(f, now)
		fd, ok := mainFinding(d.Findings)
		if !ok {
			continue
		}
		plans := slices.Clone(fd.Plans)
		if plans == nil {
			plans = []PlanID{}
		}
		res.Failing = append(res.Failing, ScanFailure{User: f.User, Code: fd.Code, Plans: plans, Findings: d.Findings})
		res.Counts[fd.Code]++
	}
	sort.SliceStable(res.Failing, func(i, j int) bool {
		if res.Failing[i].Code != res.Failing[j].Code {
			return res.Failing[i].Code < res.Failing[j].Code
		}
		return res.Failing[i].User.Login < res.Failing[j].User.Login
	})
	if err := s.offers(ctx, &res); err != nil {
		return ScanResult{}, err
	}
	res.Gaps = gaps(&Facts{LogsErr: facts.LogsErr, TypesErr: facts.TypesErr, RulesErr: facts.RulesErr, Apps: []AppFacts{af}})
	if limit := orDefault(s.MaxLogEvents, 5000); facts.LogsErr == nil && len(failures) >= limit {
		res.Gaps = append(res.Gaps, Tf("The System Log held more failures than the %d read: older failures were judged on the sync state alone.",
			"System Log には読み取った %d 件を超える失敗が記録されています。それより古い失敗は同期状態のみで判断しました。", limit))
	}
	progress(ScanProgress{App: app, Checked: res.Checked, Suspect: len(suspects), Done: true})
	return res, nil
}

// failureQuery is the scan's one System Log query: the app's failed provisioning
// events (they target the app as well as the user) and its integration events.
func (s *Scanner) failureQuery(now time.Time, appID string) LogQuery {
	return LogQuery{
		TargetIDs:  []string{appID},
		EventTypes: []string{evProvisionPrefix},
		Or:         []LogMatch{{TargetIDs: []string{appID}, EventTypes: AppLogEventTypes}},
		Outcome:    "FAILURE",
		Since:      now.Add(-orDurationDefault(s.Lookback, 30*24*time.Hour)),
		Until:      now.Add(time.Minute),
		MaxEvents:  orDefault(s.MaxLogEvents, 5000),
	}
}

// unhealthy reports whether an assignment looks wrong from the listing alone.
func unhealthy(m Member) bool {
	if m.User.Status != "" && !isActive(m.User.Status) {
		return true
	}
	switch m.AppUser.SyncState {
	case SyncError, SyncOutOfSync:
		return true
	}
	switch m.AppUser.Status {
	case "PROVISIONED", "ACTIVE", "":
		return false
	}
	return true
}

// suspect is a user read deeper: the listing's record and the user's groups.
type suspect struct {
	Member
	groups    []Group
	groupsErr error
}

// readDeeper reads what the suspects' findings need: the user where the listing did
// not embed it, the groups of the group-scoped, and the group rules once when a
// suspect is of a custom type.
func (s *Scanner) readDeeper(ctx context.Context, facts *Facts, sus []suspect) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(orDefault(s.Parallel, 4))
	for i := range sus {
		if sus[i].User.Status != "" {
			continue
		}
		g.Go(func() error {
			u, err := s.Okta.FindUser(gctx, sus[i].User.ID)
			if err != nil {
				return fmt.Errorf("user %s: %w", sus[i].User.ID, err)
			}
			sus[i].User = u
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	custom := false
	for i := range sus {
		if _, c := customType(&Facts{User: sus[i].User, Types: facts.Types, TypesErr: facts.TypesErr}); c {
			custom = true
		}
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(orDefault(s.Parallel, 4))
	if custom {
		g.Go(func() error { facts.Rules, facts.RulesErr = s.Okta.ListGroupRules(gctx); return nil })
	}
	for i := range sus {
		if sus[i].AppUser.Scope != ScopeGroup {
			continue
		}
		g.Go(func() error {
			sus[i].groups, sus[i].groupsErr = s.Okta.ListUserGroups(gctx, sus[i].User.ID)
			return nil
		})
	}
	return g.Wait()
}

// userFacts are the facts of one suspect on the app, from what the scan read once.
func userFacts(shared *Facts, af *AppFacts, su *suspect) *Facts {
	a := *af
	au := su.AppUser
	a.AppUser = &au
	f := &Facts{User: su.User, Types: shared.Types, TypesErr: shared.TypesErr, Rules: shared.Rules, RulesErr: shared.RulesErr,
		UserGroups: su.groups, UserGroupsErr: su.groupsErr, Apps: []AppFacts{a}}
	for _, e := range shared.Logs {
		if !e.HasTarget(af.App.ID) {
			continue
		}
		if e.Result == "SUCCESS" || strings.HasPrefix(e.EventType, "application.integration.") || aboutUser(e, su.User) {
			f.Logs = append(f.Logs, e)
		}
	}
	f.LogsErr = shared.LogsErr
	return f
}

// mainFinding is the finding a scan reports for a user: the first error, else the
// first finding that is not HEALTHY; none when the user is healthy.
func mainFinding(fs []Finding) (Finding, bool) {
	for _, f := range fs {
		if f.Severity == SevError {
			return f, true
		}
	}
	for _, f := range fs {
		if f.Code != Healthy {
			return f, true
		}
	}
	return Finding{}, false
}

// appWideCodes are the causes of the app rather than of its users.
var appWideCodes = map[Code]bool{AppCredentialsInvalid: true, ProvisioningConnectionDisabled: true}

// BulkPlan is the plan a bulk fix offers for the users of one finding code, given each
// user's plans, and how many users it fits; the watcher and the scan both choose with it.
// An app-wide cause gets none: re-assigning everyone heals no one until its runbook's
// manual steps are done, so the alert or the scan shows the runbook instead. For
// STALE_EXTERNAL_ID it is reset_external_id, which heals whether or not re-assigning
// would (re-assigning does not when Deactivate Users is off). Otherwise it is the plan
// that fits the most users, the first in plan order on a tie.
func BulkPlan(code Code, userPlans [][]PlanID) (PlanID, int) {
	if appWideCodes[code] {
		return "", 0
	}
	count := map[PlanID]int{}
	var order []PlanID
	for _, ps := range userPlans {
		for _, p := range ps {
			if count[p] == 0 {
				order = append(order, p)
			}
			count[p]++
		}
	}
	if code == StaleExternalID && count[PlanResetExternalID] > 0 {
		return PlanResetExternalID, count[PlanResetExternalID]
	}
	best := PlanID("")
	for _, p := range order {
		if count[p] > count[best] {
			best = p
		}
	}
	return best, count[best]
}

// offers opens an incident per code where the bulk plan (BulkPlan) fits two users or
// more, so one approval fixes them.
func (s *Scanner) offers(ctx context.Context, res *ScanResult) error {
	if s.Incidents == nil {
		return nil
	}
	byCode := map[Code][]ScanFailure{}
	var codes []Code
	for _, f := range res.Failing {
		if _, ok := byCode[f.Code]; !ok {
			codes = append(codes, f.Code)
		}
		byCode[f.Code] = append(byCode[f.Code], f)
	}
	for _, code := range codes {
		fs := byCode[code]
		plans := make([][]PlanID, len(fs))
		for i, f := range fs {
			plans[i] = f.Plans
		}
		best, n := BulkPlan(code, plans)
		if n < 2 {
			continue
		}
		in := Incident{ID: IncidentID(res.App.ID, code, "scan:"+res.At.UTC().Format(time.RFC3339Nano)), App: res.App, Code: code,
			Plan: best, AppWide: appWideCodes[code], Source: IncidentFromScan, FirstSeen: res.At, LastSeen: res.At}
		for _, f := range fs {
			if slices.Contains(f.Plans, best) {
				in.Users = append(in.Users, IncidentUser{ID: f.User.ID, Login: f.User.Login, Email: f.User.Email, Plans: slices.Clone(f.Plans), SeenAt: res.At})
			}
		}
		err := s.Incidents.CreateIncident(ctx, &in)
		if errors.Is(err, ErrConflict) {
			in, err = s.Incidents.GetIncident(ctx, in.ID)
		}
		if err != nil {
			return fmt.Errorf("saving the incident of %s on %s: %w", code, res.App.Label, err)
		}
		res.Offers = append(res.Offers, in)
	}
	return nil
}

// Scan checks every user assigned to the app named by appQuery, audits the scan and
// saves the incidents it offers for a bulk fix; progress (optional) hears after each
// page. The caller was admitted (Admit).
func (uc *UseCases) Scan(ctx context.Context, c Caller, appQuery string, progress func(ScanProgress)) (ScanResult, error) {
	if uc.scan == nil {
		return ScanResult{}, fmt.Errorf("scan: not configured: %w", ErrUnsupported)
	}
	res, err := uc.scan.Scan(ctx, appQuery, progress)
	if err != nil {
		return ScanResult{}, err
	}
	ev := AuditEvent{Type: AuditScanned, Actor: c.ID, AppID: res.App.ID,
		Detail: fmt.Sprintf("scanned %s %s: %d users checked, %d failing", res.App.Label, c.where(), res.Checked, len(res.Failing))}
	ev.Codes = append(ev.Codes, sortedCodes(res.Counts)...)
	uc.audit(ctx, ev)
	return res, nil
}

// sortedCodes are the codes of counts, most users first, then by name.
func sortedCodes(counts map[Code]int) []Code {
	out := make([]Code, 0, len(counts))
	for c := range counts {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if counts[out[i]] != counts[out[j]] {
			return counts[out[i]] > counts[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// SortedCodes are the codes of the result, most users first.
func (r ScanResult) SortedCodes() []Code { return sortedCodes(r.Counts) }
