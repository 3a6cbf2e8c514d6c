package oktasim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scimEnv is an Org serving Okta's API (env) and the Slack SCIM API of one app, the
// latter mounted under /scim/v2/ the way SCIMHandler's comment says.
type scimEnv struct {
	*env
	scim  *httptest.Server
	slack string // the Slack app's id
}

func newSCIMEnv(t *testing.T, e *env, slackAppID string) *scimEnv {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", e.org.SCIMHandler(slackAppID, "")))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &scimEnv{env: e, scim: srv, slack: slackAppID}
}

// scimCall sends a SCIM request with the given Authorization (empty: the default token).
func (s *scimEnv) scimCall(method, path, body, auth string) resp {
	s.t.Helper()
	if auth == "" {
		auth = "Bearer " + DefaultSCIMToken
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.scim.URL+"/scim/v2"+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.scim.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

func (s *scimEnv) scimOK(method, path, body string) map[string]any {
	s.t.Helper()
	return s.must(s.scimCall(method, path, body, ""), 200).obj(s.t)
}

func (s *scimEnv) scimErr(r resp, status int, description string) {
	s.t.Helper()
	s.must(r, status)
	errs, ok := r.obj(s.t)["Errors"].(map[string]any)
	if !ok {
		s.t.Fatalf("no Errors object: %s", r.raw)
	}
	if errs["description"] != description || errs["code"] != float64(status) {
		s.t.Fatalf("Errors = %v, want description %q code %d", errs, description, status)
	}
}

func patchActive(v bool) string {
	b := "false"
	if v {
		b = "true"
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":` + b + `}]}`
}

func resources(t *testing.T, list map[string]any) []map[string]any {
	t.Helper()
	rs, ok := list["Resources"].([]any)
	if !ok {
		t.Fatalf("no Resources: %v", list)
	}
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		out[i] = r.(map[string]any)
	}
	return out
}

// accountOf returns the id of the Slack account whose userName is login.
func accountOf(t *testing.T, o *Org, appID, login string) string {
	t.Helper()
	for _, a := range o.SaaSAccounts(appID) {
		if a.UserName == login {
			return a.ID
		}
	}
	t.Fatalf("no SaaS account for %s", login)
	return ""
}

func TestSCIMAuthentication(t *testing.T) {
	e := newEnv(t, Options{})
	s := newSCIMEnv(t, e, e.app("slack", "Slack", slackCaps(Disabled)))
	for _, auth := range []string{"Bearer wrong", "SSWS " + DefaultToken, "Bearer"} {
		s.scimErr(s.scimCall("GET", "/Users", "", auth), 401, "invalid_authentication")
	}
	r := s.must(s.scimCall("GET", "/Users", "", ""), 200)
	if r.header.Get("X-Slack-Req-Id") == "" {
		t.Error("no X-Slack-Req-Id header")
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
}

// The seeded Slack variant: bob's Slack account is deactivated and Okta no longer
// holds its id; SCIM finds it by email, active or not.
func TestSCIMFindsDeactivatedUserOfSeededOrg(t *testing.T) {
	e := newSeededEnv(t, Options{})
	slack, _ := e.org.AppID(LabelSlack)
	s := newSCIMEnv(t, e, slack)
	bobAcct := accountOf(t, e.org, slack, "bob@example.com")

	for _, f := range []string{`email eq "bob@example.com"`, `emails.value eq "BOB@example.com"`, `userName Eq "bob"`} {
		list := s.scimOK("GET", "/Users?filter="+urlq(f), "")
		rs := resources(t, list)
		if len(rs) != 1 || list["totalResults"] != float64(1) {
			t.Fatalf("%s: %d resources: %v", f, len(rs), list)
		}
		u := rs[0]
		if u["id"] != bobAcct || u["active"] != false || u["userName"] != "bob" {
			t.Errorf("%s: user %v", f, u)
		}
		emails := u["emails"].([]any)
		if len(emails) != 1 || emails[0].(map[string]any)["value"] != "bob@example.com" {
			t.Errorf("%s: emails %v", f, emails)
		}
		if list["schemas"].([]any)[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
			t.Errorf("schemas %v", list["schemas"])
		}
	}
	// Slack converts an email into a handle: the email is not a userName.
	if rs := resources(t, s.scimOK("GET", "/Users?filter="+urlq(`userName eq "bob@example.com"`), "")); len(rs) != 0 {
		t.Errorf("userName eq email matched %v", rs)
	}
	// A quote in the value cannot widen the filter.
	if rs := resources(t, s.scimOK("GET", "/Users?filter="+urlq(`email eq "x\" or userName pr or email eq \"y"`), "")); len(rs) != 0 {
		t.Errorf("escaped quote widened the filter: %v", rs)
	}
	s.scimErr(s.scimCall("GET", "/Users?filter="+urlq(`email eq`), "", ""), 400, "invalid_filter")
	s.scimErr(s.scimCall("GET", "/Users?filter="+urlq(`nope eq "x"`), "", ""), 400, "invalid_filter")

	u := s.scimOK("GET", "/Users/"+bobAcct, "")
	if u["id"] != bobAcct || u["active"] != false {
		t.Errorf("GET /Users/{id} = %v", u)
	}
	loc := u["meta"].(map[string]any)["location"]
	if loc != s.scim.URL+"/scim/v2/Users/"+bobAcct {
		t.Errorf("meta.location %v", loc)
	}
	s.scimErr(s.scimCall("GET", "/Users/UNOSUCHUSER", "", ""), 404, "user_not_found")
}

func TestSCIMPaging(t *testing.T) {
	e := newSeededEnv(t, Options{})
	slack, _ := e.org.AppID(LabelSlack)
	s := newSCIMEnv(t, e, slack)
	all := len(e.org.SaaSAccounts(slack))
	if all < 3 {
		t.Fatalf("seeded Slack has %d accounts", all)
	}
	list := s.scimOK("GET", "/Users", "")
	if len(resources(t, list)) != all || list["totalResults"] != float64(all) || list["startIndex"] != float64(1) {
		t.Fatalf("full list: %v", list)
	}
	page := s.scimOK("GET", "/Users?startIndex=2&count=1", "")
	rs := resources(t, page)
	if len(rs) != 1 || page["itemsPerPage"] != float64(1) || page["totalResults"] != float64(all) || page["startIndex"] != float64(2) {
		t.Fatalf("page: %v", page)
	}
	if rs[0]["id"] != e.org.SaaSAccounts(slack)[1].ID {
		t.Errorf("page 2 holds %v", rs[0]["id"])
	}
	if rs := resources(t, s.scimOK("GET", "/Users?startIndex=99", "")); len(rs) != 0 {
		t.Errorf("past the end: %v", rs)
	}
	s.scimErr(s.scimCall("GET", "/Users?count=x", "", ""), 400, "invalid_count")
}

// Seed 000's Slack variant end to end, the SaaS side over SCIM and the Okta side over
// Okta's API: both act on the same accounts.
func TestSCIMPatchIsSeenByOktaProvisioning(t *testing.T) {
	e := newEnv(t, Options{})
	slack := e.app("slack", "Slack", slackCaps(Disabled))
	s := newSCIMEnv(t, e, slack)
	u := e.user("zoe@example.com")
	e.ok(e.org.AssignUser(slack, u))
	member := e.appUser(slack, u).ExternalID
	if member == "" || !strings.HasPrefix(member, "U") {
		t.Fatalf("externalId %q is not a Slack member ID", member)
	}

	// A Slack admin deactivates her over SCIM; Okta's next profile push fails.
	got := s.scimOK("PATCH", "/Users/"+member, patchActive(false))
	if got["active"] != false {
		t.Fatalf("PATCH response %v", got)
	}
	if a, _ := e.org.SaaSAccountByID(slack, member); a.Active {
		t.Fatal("account still active after PATCH active=false")
	}
	e.ok(e.org.PushProfile(slack, u))
	if st := e.appUser(slack, u); st.SyncState != syncError || st.ExternalID != "" {
		t.Fatalf("after push to a deactivated account: %+v", st)
	}

	// The seed's fix: provisioning off, reactivate in Slack, unassign, externalId :=
	// member ID (re-assigns), provisioning on.
	e.ok(e.org.SetProvisioning(slack, Capabilities{}))
	for range 2 { // idempotent
		if got := s.scimOK("PATCH", "/Users/"+member, patchActive(true)); got["active"] != true {
			t.Fatalf("PATCH response %v", got)
		}
	}
	e.ok(e.org.UnassignUser(slack, u))
	e.must(e.call("POST", "/api/v1/apps/"+slack+"/users/"+u, map[string]any{"externalId": member}), 200)
	e.ok(e.org.SetProvisioning(slack, *slackCaps(Disabled)))
	st := e.appUser(slack, u)
	if st.ExternalID != member || st.SyncState != syncSynchronized {
		t.Fatalf("after the fix: %+v", st)
	}
	if n := len(e.org.SaaSAccounts(slack)); n != 1 {
		t.Errorf("%d Slack accounts, want the one relinked", n)
	}
}

func TestSCIMPatchRejectsWhatItCannotDo(t *testing.T) {
	e := newEnv(t, Options{})
	slack := e.app("slack", "Slack", slackCaps(Disabled))
	s := newSCIMEnv(t, e, slack)
	u := e.user("yui@example.com")
	e.ok(e.org.AssignUser(slack, u))
	member := e.appUser(slack, u).ExternalID

	for body, desc := range map[string]string{
		`not json`: "invalid_json",
		`{"Operations":[{"op":"replace","path":"active","value":false}]}`:                                                               "invalid_patch_request",
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`:                                                 "invalid_patch_request",
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"active"}]}`:                  "unsupported_operation",
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"x"}]}`:   "unsupported_path",
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`: "invalid_value",
	} {
		s.scimErr(s.scimCall("PATCH", "/Users/"+member, body, ""), 400, desc)
	}
	if a, _ := e.org.SaaSAccountByID(slack, member); !a.Active {
		t.Fatal("a rejected PATCH changed the account")
	}
	// The value-object form and string booleans (as some IdPs send them) work.
	s.scimOK("PATCH", "/Users/"+member, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","value":{"active":"False"}}]}`)
	if a, _ := e.org.SaaSAccountByID(slack, member); a.Active {
		t.Fatal("value-object PATCH did not deactivate")
	}
	s.scimErr(s.scimCall("PATCH", "/Users/UNOSUCHUSER", patchActive(true), ""), 404, "user_not_found")
	s.scimErr(s.scimCall("DELETE", "/Users/"+member, "", ""), 405, "method_not_allowed")
	s.scimErr(s.scimCall("GET", "/Groups", "", ""), 404, "unknown_endpoint")
}

func TestSCIMFaults(t *testing.T) {
	e := newEnv(t, Options{})
	slack := e.app("slack", "Slack", slackCaps(Disabled))
	s := newSCIMEnv(t, e, slack)

	// An Okta-wide fault does not reach SCIM, and a SCIM fault does not reach Okta.
	removeOkta := e.org.Inject(Fault{Status: 500})
	s.must(s.scimCall("GET", "/Users", "", ""), 200)
	removeOkta()
	e.org.Inject(Fault{PathPrefix: "/scim/v2/Users", Status: 429, ResetAfter: 1500 * time.Millisecond, Count: 1})
	e.must(e.call("GET", "/api/v1/apps", nil), 200)

	r := s.scimCall("GET", "/Users", "", "")
	s.scimErr(r, 429, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2 (1.5s rounded up)", got)
	}
	s.must(s.scimCall("GET", "/Users", "", ""), 200) // Count 1: used up

	e.org.Inject(Fault{Method: "PATCH", PathPrefix: "/scim/v2/", Status: 503, Count: 1})
	s.must(s.scimCall("GET", "/Users", "", ""), 200)
	s.scimErr(s.scimCall("PATCH", "/Users/U1", patchActive(true), ""), 503, "internal_error")
}

// Mounted with the trailing slash stripped too, paths arrive without their leading
// slash; the handler serves them all the same.
func TestSCIMMountedWithTrailingSlashPrefix(t *testing.T) {
	e := newEnv(t, Options{})
	slack := e.app("slack", "Slack", slackCaps(Disabled))
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2/", e.org.SCIMHandler(slack, "tok")))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &scimEnv{env: e, scim: srv, slack: slack}
	u := e.user("ann@example.com")
	e.ok(e.org.AssignUser(slack, u))
	member := e.appUser(slack, u).ExternalID
	got := s.must(s.scimCall("GET", "/Users/"+member, "", "Bearer tok"), 200).obj(t)
	if got["id"] != member || got["meta"].(map[string]any)["location"] != srv.URL+"/scim/v2/Users/"+member {
		t.Fatalf("got %v", got)
	}
	s.scimErr(s.scimCall("GET", "/Users", "", ""), 401, "invalid_authentication") // the default token is not "tok"
}
