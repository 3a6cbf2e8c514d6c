package oktaadapter

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

const simToken = "00sim-test-token"

// simEnv is the seeded simulator served over HTTP, and an adapter pointed at it; the
// two share one fake clock, so pacing waits move the simulator's rate-limit windows.
type simEnv struct {
	org *oktasim.Org
	url string
	c   *Client
	ft  *fakeTime
}

func newSimEnv(t *testing.T, opts oktasim.Options, mod ...func(*Config)) *simEnv {
	t.Helper()
	ft := newFakeTime()
	opts.Token = simToken
	if opts.Clock == nil {
		opts.Clock = ft.Now
	}
	org, err := oktasim.NewSeeded(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(org.Handler())
	t.Cleanup(func() {
		srv.Close()
		org.Close()
	})
	cfg := testConfig(srv.URL, ft)
	cfg.APIToken = simToken
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{org: org, url: srv.URL, c: c, ft: ft}
}

func (e *simEnv) userID(t *testing.T, login string) string {
	t.Helper()
	id, ok := e.org.UserID(login)
	if !ok {
		t.Fatalf("no seeded user %s", login)
	}
	return id
}

func (e *simEnv) appID(t *testing.T, label string) string {
	t.Helper()
	id, ok := e.org.AppID(label)
	if !ok {
		t.Fatalf("no seeded app %s", label)
	}
	return id
}

func TestSimFindUser(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	alice := e.userID(t, "alice@example.com")
	mgr := e.userID(t, "mika.manager@example.com")

	u, err := e.c.FindUser(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice || u.Login != "alice@example.com" || u.Email != "alice@example.com" || u.DisplayName == "" ||
		u.Status != remediation.UserActive || u.TypeID != e.org.DefaultUserTypeID() || u.ManagerID != mgr || u.Created.IsZero() {
		t.Errorf("by login: %+v", u)
	}
	if u, err := e.c.FindUser(ctx, alice); err != nil || u.ID != alice {
		t.Errorf("by ID: %+v %v", u, err)
	}
	// An email that is not the login resolves through the search.
	zed, err := e.org.AddUser(oktasim.UserSpec{Login: "zed", Email: "zed.mail@example.com", FirstName: "Zed", LastName: "Z"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := e.c.FindUser(ctx, "zed.mail@example.com"); err != nil || u.ID != zed || u.Login != "zed" {
		t.Errorf("by email: %+v %v", u, err)
	}
	if _, err := e.org.AddUser(oktasim.UserSpec{Login: "zed2", Email: "zed.mail@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.FindUser(ctx, "zed.mail@example.com"); !errors.Is(err, remediation.ErrAmbiguous) {
		t.Errorf("two users with one email: %v", err)
	}
	_, err = e.c.FindUser(ctx, `nobody" or profile.login eq "alice@example.com`)
	remoteErr(t, err, remediation.ErrNotFound)
	dave, err := e.c.FindUser(ctx, "dave@example.com")
	if err != nil || dave.TypeID == e.org.DefaultUserTypeID() || dave.TypeID == "" {
		t.Errorf("custom type user: %+v %v", dave, err)
	}
}

func TestSimFindApp(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	zoom := e.appID(t, oktasim.LabelZoom)
	for _, q := range []string{"Zoom", "zoom", "zoomus", zoom} {
		a, err := e.c.FindApp(ctx, q)
		if err != nil || a.ID != zoom || a.Name != "zoomus" || a.Label != "Zoom" || a.Status != "ACTIVE" {
			t.Errorf("FindApp(%q) = %+v, %v", q, a, err)
		}
	}
	if a, err := e.c.FindApp(ctx, "acme wiki"); err != nil || a.Label != oktasim.LabelWiki {
		t.Errorf("label with a space: %+v %v", a, err)
	}
	if _, err := e.org.AddApp(oktasim.AppSpec{Name: "zoomus", Label: "Zoom Sandbox"}); err != nil {
		t.Fatal(err)
	}
	if a, err := e.c.FindApp(ctx, "zoomus"); !errors.Is(err, remediation.ErrAmbiguous) || !strings.Contains(err.Error(), "Zoom Sandbox") {
		t.Errorf("two zoomus apps: %+v %v", a, err)
	}
	_, err := e.c.FindApp(ctx, "0oaDoesNotExist")
	remoteErr(t, err, remediation.ErrNotFound)
}

func TestSimListUserAssignments(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	carol := e.userID(t, "carol@example.com")
	zoom := e.appID(t, oktasim.LabelZoom)
	e.org.ResetRequests()
	as, err := e.c.ListUserAssignments(ctx, carol)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].App.ID != zoom || as[0].AppUser.ID != carol || as[0].AppUser.Scope != remediation.ScopeGroup ||
		as[0].AppUser.SyncState != remediation.SyncError || as[0].AppUser.ExternalID == "" {
		t.Errorf("carol: %+v", as)
	}
	if n := e.org.RequestCount(); n != 1 {
		t.Errorf("%d requests, want one (expand embeds the app user)", n)
	}
	grace := e.userID(t, "grace@example.com")
	if as, err := e.c.ListUserAssignments(ctx, grace); err != nil || len(as) != 0 {
		t.Errorf("grace: %+v %v", as, err)
	}
	// Mirrors GetAppUser.
	au, err := e.c.GetAppUser(ctx, zoom, carol)
	if w := as[0].AppUser; err != nil || au.ExternalID != w.ExternalID || au.Scope != w.Scope || au.SyncState != w.SyncState || au.Status != w.Status {
		t.Errorf("GetAppUser: %+v %v", au, err)
	}
}

func TestSimListAppUsersPaging(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	slack := e.appID(t, oktasim.LabelSlack)
	var ids []string
	after := ""
	for range 20 {
		page, next, err := e.c.ListAppUsers(ctx, slack, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d", len(page))
		}
		for _, au := range page {
			ids = append(ids, au.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	want := 0
	for _, login := range []string{"kim@example.com", "bob@example.com", "heidi@example.com", "ivan@example.com"} {
		id := e.userID(t, login)
		if !slices.Contains(ids, id) {
			t.Errorf("%s (%s) missing from %v", login, id, ids)
		}
		want++
	}
	if len(ids) < want || len(ids) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
		t.Errorf("ids %v", ids)
	}
}

func TestSimAssignUnassignScope(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	slack, zoom := e.appID(t, oktasim.LabelSlack), e.appID(t, oktasim.LabelZoom)
	grace, carol := e.userID(t, "grace@example.com"), e.userID(t, "carol@example.com")

	au, err := e.c.AssignUser(ctx, slack, grace)
	if err != nil || au.ID != grace || au.Scope != remediation.ScopeUser {
		t.Fatalf("assign: %+v %v", au, err)
	}
	if _, err := e.c.GetAppUser(ctx, slack, grace); err != nil {
		t.Fatalf("after assign: %v", err)
	}
	if err := e.c.UnassignUser(ctx, slack, grace); err != nil {
		t.Fatalf("unassign: %v", err)
	}
	_, err = e.c.GetAppUser(ctx, slack, grace)
	remoteErr(t, err, remediation.ErrNotFound)

	// A group-managed assignment cannot be removed until it is made individual.
	err = e.c.UnassignUser(ctx, zoom, carol)
	re := remoteErr(t, err, remediation.ErrGroupScoped)
	if re.Status != 403 || re.Code != "E0000046" || re.RequestID == "" {
		t.Errorf("group scoped: %+v", re)
	}
	if au, err := e.c.SetAppUserScope(ctx, zoom, carol, remediation.ScopeUser); err != nil || au.Scope != remediation.ScopeUser {
		t.Fatalf("to USER: %+v %v", au, err)
	}
	if au, err := e.c.SetAppUserScope(ctx, zoom, carol, remediation.ScopeGroup); err != nil || au.Scope != remediation.ScopeGroup {
		t.Fatalf("back to GROUP: %+v %v", au, err)
	}
	// Not in any group of Slack: Okta refuses GROUP.
	if _, err := e.c.AssignUser(ctx, slack, grace); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.SetAppUserScope(ctx, slack, grace, remediation.ScopeGroup)
	remoteErr(t, err, remediation.ErrPermanent)
}

// Seed 000 fix 2 on the stale_external_id scenario, through the adapter only.
func TestSimResetExternalIDAndProvisioningRoundTrip(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	zoom, alice := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")

	before, err := e.c.GetAppUser(ctx, zoom, alice)
	if err != nil || before.ExternalID == "" || before.SyncState != remediation.SyncError {
		t.Fatalf("stale app user: %+v %v", before, err)
	}
	// Password settings that differ from the defaults must survive off and restore.
	custom := remediation.Capabilities{LifecycleCreate: "ENABLED", Profile: "ENABLED", LifecycleDeactivate: "DISABLED",
		Password: remediation.PasswordCapability{Status: "ENABLED", Seed: "OKTA", Change: "CHANGE"}}
	if _, err := e.c.SetProvisioning(ctx, zoom, custom); err != nil {
		t.Fatal(err)
	}
	snap, err := e.c.GetProvisioning(ctx, zoom)
	if err != nil || snap.Capabilities != custom {
		t.Fatalf("snapshot %+v %v, want %+v", snap, err, custom)
	}
	off, err := e.c.SetProvisioning(ctx, zoom, snap.Capabilities.Off())
	if err != nil || off.Capabilities != snap.Capabilities.Off() || off.Capabilities.Pushing() {
		t.Fatalf("off: %+v %v", off, err)
	}
	if got, _ := e.c.GetProvisioning(ctx, zoom); got.Capabilities.Password != (remediation.PasswordCapability{Status: "DISABLED", Seed: "OKTA", Change: "CHANGE"}) {
		t.Errorf("password after off: %+v", got.Capabilities.Password)
	}
	if err := e.c.UnassignUser(ctx, zoom, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.SetExternalID(ctx, zoom, alice, nil); err != nil {
		t.Fatal(err)
	}
	fresh, err := e.c.GetAppUser(ctx, zoom, alice)
	if err != nil || fresh.ExternalID != "" {
		t.Fatalf("fresh GET after null: %+v %v", fresh, err)
	}
	if st, _ := e.org.AppUser(zoom, alice); st.ExternalID != "" {
		t.Errorf("simulator holds %q", st.ExternalID)
	}
	restored, err := e.c.SetProvisioning(ctx, zoom, snap.Capabilities)
	if err != nil || restored.Capabilities != snap.Capabilities {
		t.Fatalf("restore: %+v %v", restored, err)
	}
	if err := e.org.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	healed, err := e.c.GetAppUser(ctx, zoom, alice)
	if err != nil || healed.ExternalID == "" || healed.ExternalID == before.ExternalID {
		t.Errorf("after restore: %+v (was %q) %v", healed, before.ExternalID, err)
	}
}

// The Slack variant: the write of a value answers null although it took effect, so
// only a fresh GET tells.
func TestSimSetExternalIDValueVerifiedByFreshGET(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	slack, bob := e.appID(t, oktasim.LabelSlack), e.userID(t, "bob@example.com")
	snap, err := e.c.GetProvisioning(ctx, slack)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.SetProvisioning(ctx, slack, snap.Capabilities.Off()); err != nil {
		t.Fatal(err)
	}
	var member string
	for _, a := range e.org.SaaSAccounts(slack) {
		if strings.HasPrefix(a.UserName, "bob@") {
			member = a.ID
		}
	}
	if member == "" {
		t.Fatal("no Slack account for bob")
	}
	if err := e.org.SaaSReactivateAccount(slack, member); err != nil {
		t.Fatal(err)
	}
	if err := e.c.UnassignUser(ctx, slack, bob); err != nil {
		t.Fatal(err)
	}
	resp, err := e.c.SetExternalID(ctx, slack, bob, &member)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.c.GetAppUser(ctx, slack, bob)
	if err != nil || fresh.ExternalID != member {
		t.Fatalf("fresh GET: %+v %v (write answered %q)", fresh, err, resp.ExternalID)
	}
	if _, err := e.c.SetProvisioning(ctx, slack, snap.Capabilities); err != nil {
		t.Fatal(err)
	}
	var body string
	for _, r := range e.org.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/users/"+bob) {
			body = strings.TrimSpace(r.Body)
		}
	}
	if body != `{"externalId":"`+member+`"}` {
		t.Errorf("body %s", body)
	}
}

func TestSimFeaturesUnsupported(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	wiki := e.appID(t, oktasim.LabelWiki)
	_, err := e.c.GetProvisioning(ctx, wiki)
	re := remoteErr(t, err, remediation.ErrUnsupported)
	if re.Status != 400 || re.Code != "E0000001" || re.RequestID == "" {
		t.Errorf("%+v", re)
	}
	_, err = e.c.SetProvisioning(ctx, wiki, remediation.Capabilities{LifecycleCreate: "DISABLED"})
	remoteErr(t, err, remediation.ErrUnsupported)
	_, err = e.c.GetProvisioning(ctx, "0oaNoSuchApp")
	remoteErr(t, err, remediation.ErrNotFound)
	if p, err := e.c.GetProvisioning(ctx, e.appID(t, oktasim.LabelGoogle)); err != nil || p.Capabilities.Pushing() {
		t.Errorf("google: %+v %v", p, err)
	}
}

func TestSimSystemLog(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	alice := e.userID(t, "alice@example.com")
	q := remediation.LogQuery{
		TargetIDs:  []string{alice},
		EventTypes: []string{"application.provision.user."},
		Outcome:    "FAILURE",
		Since:      e.ft.Now().Add(-24 * time.Hour),
		Until:      e.ft.Now(),
	}
	evs, err := e.c.SystemLog(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatal("no failure events for alice")
	}
	for i, ev := range evs {
		if !ev.HasTarget(alice) || ev.Result != "FAILURE" || !strings.HasPrefix(ev.EventType, "application.provision.user.") {
			t.Errorf("event %+v does not match the query", ev)
		}
		if i > 0 && ev.Published.After(evs[i-1].Published) {
			t.Error("not newest first")
		}
	}
	if !strings.Contains(evs[0].Message(), "No user returned for user") {
		t.Errorf("newest failure says %q", evs[0].Message())
	}

	// Every event for alice, paged two at a time, equals the one-page answer.
	all, err := e.c.SystemLog(ctx, remediation.LogQuery{TargetIDs: []string{alice}, Until: e.ft.Now(), Since: e.ft.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e.c.logPageSize = 2
	e.org.ResetRequests()
	paged, err := e.c.SystemLog(ctx, remediation.LogQuery{TargetIDs: []string{alice}, Until: e.ft.Now(), Since: e.ft.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 3 || len(paged) != len(all) {
		t.Fatalf("paged %d events, one page %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i].UUID != all[i].UUID {
			t.Errorf("event %d: %s vs %s", i, paged[i].UUID, all[i].UUID)
		}
	}
	if n := e.org.RequestCount(); n < 2 {
		t.Errorf("%d requests: did not page", n)
	}
	capped, err := e.c.SystemLog(ctx, remediation.LogQuery{TargetIDs: []string{alice}, MaxEvents: 3})
	if err != nil || len(capped) != 3 {
		t.Errorf("MaxEvents 3: %d %v", len(capped), err)
	}
}

func TestSimDirectoryReads(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	types, err := e.c.ListUserTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var def, contractor remediation.UserType
	for _, ty := range types {
		switch ty.Name {
		case "user":
			def = ty
		case "contractor":
			contractor = ty
		}
	}
	if !def.Default || def.ID != e.org.DefaultUserTypeID() || contractor.Default || contractor.DisplayName != "Contractor" {
		t.Errorf("types %+v", types)
	}
	rules, err := e.c.ListGroupRules(ctx)
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules %+v %v", rules, err)
	}
	r := rules[0]
	if r.Name != "Engineering gets Zoom" || r.Status != "ACTIVE" || r.Expression != `user.department=="Engineering"` || len(r.GroupIDs) != 1 {
		t.Errorf("rule %+v", r)
	}
	zoom := e.appID(t, oktasim.LabelZoom)
	groups, err := e.c.ListAppGroups(ctx, zoom)
	if err != nil || len(groups) != 1 || groups[0].GroupID != r.GroupIDs[0] {
		t.Errorf("app groups %+v %v", groups, err)
	}
	ug, err := e.c.ListUserGroups(ctx, e.userID(t, "carol@example.com"))
	if err != nil || !slices.ContainsFunc(ug, func(g remediation.Group) bool { return g.ID == r.GroupIDs[0] && g.Name == "Zoom Users" }) {
		t.Errorf("carol's groups %+v %v", ug, err)
	}
	if ug, err := e.c.ListUserGroups(ctx, e.userID(t, "dave@example.com")); err != nil || slices.ContainsFunc(ug, func(g remediation.Group) bool { return g.ID == r.GroupIDs[0] }) {
		t.Errorf("the rule ran for dave (custom type): %+v %v", ug, err)
	}
}

// Group rules page 200 at a time, one page after the other: the list is reused for
// GroupRulesTTL, then read again.
func TestSimGroupRulesPagedAndReused(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	if _, err := e.org.Generate(oktasim.BigOrgSpec{Groups: 450}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := func() int {
		n := 0
		for _, r := range e.org.Requests() {
			if r.Path == "/api/v1/groups/rules" {
				n++
			}
		}
		return n
	}
	for i := 0; i < 2; i++ {
		rules, err := e.c.ListGroupRules(ctx)
		if err != nil || len(rules) != 451 {
			t.Fatalf("%d rules, %v", len(rules), err)
		}
	}
	if n := count(); n != 3 {
		t.Errorf("%d pages read for two lists, want 3 (451 rules, 200 a page, then reused)", n)
	}
	e.ft.Advance(6 * time.Minute)
	if _, err := e.c.ListGroupRules(ctx); err != nil || count() != 6 {
		t.Errorf("after the TTL: %d pages, %v", count(), err)
	}
}

// The apps bucket is small: pacing waits for the reset instead of running into 429s.
func TestSimRateLimitPacing(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{Limits: oktasim.Limits{Apps: 4}})
	ctx := context.Background()
	zoom, alice := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")
	for i := range 10 {
		if _, err := e.c.GetAppUser(ctx, zoom, alice); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, r := range e.org.Requests() {
		if r.Status == http.StatusTooManyRequests {
			t.Errorf("a 429 reached the adapter: %+v", r)
		}
	}
	if s := e.ft.Sleeps(); len(s) < 2 {
		t.Errorf("waited %v, want a wait per exhausted window", s)
	}
	st := e.c.RateLimit().Buckets[BucketApps]
	if st.Limit != 4 {
		t.Errorf("state %+v", st)
	}
}

// A 429 with the simulator's real headers. The SDK retries at once (MaxBackoff off) and
// the adapter's pacing waits for the reset the 429 announced, when the request timeout
// allows it; when it does not, the call fails fast as rate limited.
func TestSim429Recovery(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{}, func(c *Config) { c.MaxBackoff = -1 })
	ctx := context.Background()
	zoom, alice := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")
	e.org.Inject(oktasim.Fault{Method: "GET", PathPrefix: "/api/v1/apps/", Status: 429, Count: 1, ResetAfter: 2 * time.Second})
	if _, err := e.c.GetAppUser(ctx, zoom, alice); err != nil {
		t.Fatal(err)
	}
	if s := e.ft.Sleeps(); len(s) != 1 || s[0] != 2*time.Second {
		t.Errorf("sleeps %v, want the 2s until reset", s)
	}
	statuses := func() []int {
		var out []int
		for _, r := range e.org.Requests() {
			if strings.HasPrefix(r.Path, "/api/v1/apps/") {
				out = append(out, r.Status)
			}
		}
		e.org.ResetRequests()
		return out
	}
	if got := statuses(); !slices.Equal(got, []int{429, 200}) {
		t.Errorf("statuses %v", got)
	}

	// The reset is further away than the request timeout (5s): no point waiting.
	e.org.Inject(oktasim.Fault{Method: "GET", PathPrefix: "/api/v1/apps/", Status: 429, Count: 1, ResetAfter: 20 * time.Second})
	_, err := e.c.GetAppUser(ctx, zoom, alice)
	re := remoteErr(t, err, remediation.ErrRateLimited)
	if got := statuses(); !slices.Equal(got, []int{429}) {
		t.Errorf("statuses %v", got)
	}
	if re.RequestID == "" {
		t.Errorf("%+v", re)
	}

	// Still 429 after every retry: ErrRateLimited, from the SDK's plain error. (The
	// call first waits out the 20s announced above.)
	e.org.Inject(oktasim.Fault{Status: 429, PathPrefix: "/api/v1/apps/", ResetAfter: -time.Second})
	_, err = e.c.GetAppUser(ctx, zoom, alice)
	re = remoteErr(t, err, remediation.ErrRateLimited)
	if re.RequestID == "" || re.Status != 429 || re.Err == nil || re.Err.Error() != "too many requests" {
		t.Errorf("%+v", re)
	}
	if got := statuses(); !slices.Equal(got, []int{429, 429, 429}) {
		t.Errorf("statuses %v, want three attempts (MaxRetries 2)", got)
	}
}

// The SDK's own 429 back-off, driven by the simulator's Date and X-Rate-Limit-Reset
// (about one real second: the smallest back-off the SDK computes).
func TestSim429SDKBackoff(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{Clock: time.Now}, func(c *Config) {
		c.Clock, c.RateLimitHeadroom = time.Now, -1 // only the SDK handles it
	})
	ctx := context.Background()
	zoom, alice := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")
	e.org.Inject(oktasim.Fault{Method: "GET", PathPrefix: "/api/v1/apps/" + zoom + "/users", Status: 429, Count: 1})
	start := time.Now()
	if _, err := e.c.GetAppUser(ctx, zoom, alice); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestSimFaults(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{}, func(c *Config) { c.RequestTimeout = 300 * time.Millisecond })
	ctx := context.Background()
	zoom, alice := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")

	remove := e.org.Inject(oktasim.Fault{Status: 503})
	_, err := e.c.GetAppUser(ctx, zoom, alice)
	re := remoteErr(t, err, remediation.ErrTransient)
	if re.Status != 503 || re.Code != "E0000009" || re.RequestID == "" {
		t.Errorf("%+v", re)
	}
	remove()

	hold := make(chan struct{})
	defer close(hold)
	remove = e.org.Inject(oktasim.Fault{Hold: hold})
	_, err = e.c.GetAppUser(ctx, zoom, alice)
	remoteErr(t, err, remediation.ErrTransient)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v is not a deadline", err)
	}
	remove()

	bad, err := New(ctx, Config{OrgURL: e.url, APIToken: "wrong", AllowHTTP: true, Clock: e.ft.Now, Sleep: e.ft.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.FindUser(ctx, "alice@example.com")
	re = remoteErr(t, err, remediation.ErrDenied)
	if re.Status != 401 || re.Code != "E0000011" || strings.Contains(err.Error(), "wrong") {
		t.Errorf("%+v", re)
	}
}

func TestSimPrivateKeyMode(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key) // the form Okta's console hands out
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	e := newSimEnv(t, oktasim.Options{Clock: time.Now}, func(c *Config) {
		c.APIToken, c.ClientID, c.PrivateKey, c.PrivateKeyID = "", "0oaservice", keyPEM, "kid1"
		c.Clock = time.Now
	})
	e.org.RegisterClient("0oaservice", &key.PublicKey)
	ctx := context.Background()
	for range 2 {
		if u, err := e.c.FindUser(ctx, "alice@example.com"); err != nil || u.Login != "alice@example.com" {
			t.Fatalf("FindUser: %+v %v", u, err)
		}
	}
	tokens := 0
	for _, r := range e.org.Requests() {
		if r.Path == "/oauth2/v1/token" {
			tokens++
			if !strings.Contains(r.Query, "okta.users.read") {
				t.Errorf("scopes not requested: %s", r.Query)
			}
		}
	}
	if tokens != 1 {
		t.Errorf("%d token requests, want 1 (cached)", tokens)
	}

	// A client the org does not know: denied, and nothing of the assertion leaks.
	other, err := New(ctx, Config{OrgURL: e.url, ClientID: "0oaunknown", PrivateKey: keyPEM, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.FindUser(ctx, "alice@example.com")
	remoteErr(t, err, remediation.ErrDenied)
	if strings.Contains(err.Error(), "client_assertion=") || strings.Contains(err.Error(), "eyJ") {
		t.Errorf("error leaks the client assertion: %v", err)
	}
}

// The adapter is shared by concurrent diagnoses: typed SDK calls, raw requests, paging,
// the app cache and the limiter must be race-free (run with -race).
func TestSimConcurrentCalls(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	zoom, alice, carol := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com"), e.userID(t, "carol@example.com")
	e.c.logPageSize = 3
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			_, err1 := e.c.FindUser(ctx, "alice@example.com")
			_, err2 := e.c.FindApp(ctx, "Zoom")
			_, err3 := e.c.ListUserAssignments(ctx, alice)
			_, err4 := e.c.GetProvisioning(ctx, zoom)
			_, err5 := e.c.SystemLog(ctx, remediation.LogQuery{TargetIDs: []string{alice}, MaxEvents: 7})
			_, err6 := e.c.SetAppUserScope(ctx, zoom, carol, remediation.ScopeUser)
			_ = e.c.RateLimit()
			errs <- errors.Join(err1, err2, err3, err4, err5, err6)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
