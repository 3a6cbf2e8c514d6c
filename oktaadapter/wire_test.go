package oktaadapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

func TestSetExternalIDSendsJSONNull(t *testing.T) {
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	})
	au, err := c.SetExternalID(context.Background(), "0oa1", "00u1", nil)
	if err != nil {
		t.Fatalf("SetExternalID(nil): %v", err)
	}
	if au.ExternalID != "" {
		t.Errorf("externalId %q, want empty for null", au.ExternalID)
	}
	ext := "U0123ABC"
	if _, err := c.SetExternalID(context.Background(), "0oa1", "00u1", &ext); err != nil {
		t.Fatalf("SetExternalID(value): %v", err)
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, want := range []string{`{"externalId":null}`, `{"externalId":"U0123ABC"}`} {
		r := reqs[i]
		if r.Method != "POST" || r.Path != "/api/v1/apps/0oa1/users/00u1" {
			t.Errorf("request %d: %s %s", i, r.Method, r.Path)
		}
		if got := string(bytes.TrimSpace(r.Body)); got != want {
			t.Errorf("request %d body %s, want exactly %s", i, got, want)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
	}
}

func TestWriteBodies(t *testing.T) {
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "DELETE" {
			w.WriteHeader(204)
			return
		}
		writeJSON(w, 200, appUserJSON("00u1", "X1", "USER", "PROVISIONED", "SYNCING"))
	})
	ctx := context.Background()
	au, err := c.AssignUser(ctx, "0oa1", "00u1")
	if err != nil {
		t.Fatal(err)
	}
	if au.ExternalID != "X1" || au.Status != "PROVISIONED" || au.SyncState != "SYNCING" || au.Scope != "USER" || au.LastSync == nil {
		t.Errorf("mapped %+v", au)
	}
	if _, err := c.SetAppUserScope(ctx, "0oa1", "00u1", remediation.ScopeGroup); err != nil {
		t.Fatal(err)
	}
	if err := c.UnassignUser(ctx, "0oa1", "00u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetAppUserScope(ctx, "0oa1", "00u1", "EVERYONE"); !errors.Is(err, remediation.ErrPermanent) {
		t.Errorf("bad scope: %v", err)
	}
	want := []struct{ method, path, body string }{
		{"POST", "/api/v1/apps/0oa1/users", `{"id":"00u1","scope":"USER"}`},
		{"POST", "/api/v1/apps/0oa1/users/00u1", `{"scope":"GROUP"}`},
		{"DELETE", "/api/v1/apps/0oa1/users/00u1", ``},
	}
	reqs := rec.requests()
	if len(reqs) != len(want) {
		t.Fatalf("%d requests, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		if reqs[i].Method != w.method || reqs[i].Path != w.path || string(bytes.TrimSpace(reqs[i].Body)) != w.body {
			t.Errorf("request %d: %s %s %s, want %s %s %s", i, reqs[i].Method, reqs[i].Path, reqs[i].Body, w.method, w.path, w.body)
		}
	}
}

func TestSSWSHeaderAndNoCache(t *testing.T) {
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	})
	for range 2 {
		if _, err := c.GetAppUser(context.Background(), "0oa1", "00u1"); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("two GETs made %d requests: the SDK cache is on", len(reqs))
	}
	if got := reqs[0].Header.Get("Authorization"); got != "SSWS "+testToken {
		t.Errorf("Authorization %q", got)
	}
	if ua := reqs[0].Header.Get("User-Agent"); !strings.Contains(ua, "okta-chatops") {
		t.Errorf("User-Agent %q", ua)
	}
}

// The SDK reads OKTA_CLIENT_* while building its config; none of it may win over Config.
func TestSDKEnvironmentDoesNotOverrideConfig(t *testing.T) {
	t.Setenv("OKTA_CLIENT_ORGURL", "https://evil.example.com")
	t.Setenv("OKTA_CLIENT_TOKEN", "evil-token")
	t.Setenv("OKTA_CLIENT_AUTHORIZATIONMODE", "Bearer")
	t.Setenv("OKTA_CLIENT_CACHE_ENABLED", "true")
	t.Setenv("OKTA_CLIENT_REQUEST_TIMEOUT", "1")
	t.Setenv("OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES", "0")
	t.Setenv("OKTA_CLIENT_CLIENTID", "evil-client")
	t.Setenv("OKTA_CLIENT_SCOPES", "okta.everything.manage")
	t.Setenv("OKTA_CLIENT_PRIVATEKEY", "/etc/passwd")
	t.Setenv("OKTA_TESTING_DISABLE_HTTPS_CHECK", "true")
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	})
	for range 2 {
		if _, err := c.GetAppUser(context.Background(), "0oa1", "00u1"); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests reached the configured org, want 2 (cache off, org URL kept)", len(reqs))
	}
	if got := reqs[1].Header.Get("Authorization"); got != "SSWS "+testToken {
		t.Errorf("Authorization %q: the environment overrode the config", got)
	}
	if got := c.sdk.GetConfig().Okta.Client.RequestTimeout; got != 5 {
		t.Errorf("SDK request timeout %d, want 5 from Config", got)
	}
	if got := c.sdk.GetConfig().Okta.Client.RateLimit.MaxRetries; got != 2 {
		t.Errorf("SDK max retries %d, want 2 from Config", got)
	}

	// An https-only config stays https-only whatever OKTA_TESTING_DISABLE_HTTPS_CHECK says.
	cfg := testConfig("http://127.0.0.1:1", newFakeTime())
	cfg.AllowHTTP = false
	if _, err := New(context.Background(), cfg); err == nil {
		t.Error("http:// accepted without AllowHTTP")
	}
}

func TestMalformedSDKEnvironmentIsRefused(t *testing.T) {
	t.Setenv("OKTA_CLIENT_CONNECTION_TIMEOUT", "soon")
	_, err := New(context.Background(), testConfig("https://example.okta.com", newFakeTime()))
	if err == nil || !strings.Contains(err.Error(), "OKTA_CLIENT_CONNECTION_TIMEOUT") {
		t.Fatalf("New: %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	ft := newFakeTime()
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no org", func(c *Config) { c.OrgURL = "" }, "OKTA_ORG_URL is empty"},
		{"http without allow", func(c *Config) { c.OrgURL = "http://example.okta.com"; c.AllowHTTP = false }, "OKTA_ALLOW_HTTP"},
		{"ftp", func(c *Config) { c.OrgURL = "ftp://example.okta.com" }, "https://"},
		{"path", func(c *Config) { c.OrgURL = "https://example.okta.com/api/v1" }, "just scheme and host"},
		{"admin host", func(c *Config) { c.OrgURL = "https://example-admin.okta.com" }, "-admin"},
		{"no credentials", func(c *Config) { c.APIToken = "" }, "no Okta credentials"},
		{"both credentials", func(c *Config) { c.ClientID = "0oaclient" }, "exactly one"},
		{"key missing", func(c *Config) { c.APIToken = ""; c.ClientID = "0oaclient" }, "OKTA_PRIVATE_KEY is empty"},
		{"key not pem", func(c *Config) { c.APIToken = ""; c.ClientID = "0oaclient"; c.PrivateKey = "secret-not-a-key" }, "not a PEM block"},
		{"token with newline", func(c *Config) { c.APIToken = "abc\ndef" }, "whitespace"},
		{"headroom", func(c *Config) { c.RateLimitHeadroom = 1.5 }, "RateLimitHeadroom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("https://example.okta.com", ft)
			tc.mod(&cfg)
			_, err := New(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
			for _, secret := range []string{testToken, "secret-not-a-key", "abc\ndef"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
		})
	}
	// A trailing slash is accepted and normalised (the SDK would send "//api/v1").
	c, err := New(context.Background(), testConfig("https://example.okta.com/", ft))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.sdk.GetConfig().Okta.Client.OrgUrl; got != "https://example.okta.com" {
		t.Errorf("org URL %q", got)
	}
}

func TestFindUserEscapesSearch(t *testing.T) {
	q := `eve" or profile.login eq "admin@example.com`
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/v1/users/"):
			writeOktaError(w, 404, "E0000007", "Not found: Resource not found: x (User)", "r404")
		case r.URL.Path == "/api/v1/users":
			writeJSON(w, 200, []any{})
		}
	})
	_, err := c.FindUser(context.Background(), q)
	remoteErr(t, err, remediation.ErrNotFound)
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The whole query is one path segment.
	if reqs[0].Path != "/api/v1/users/"+q {
		t.Errorf("GET path %q", reqs[0].Path)
	}
	if strings.Contains(reqs[0].RawPath, `"`) || strings.Contains(reqs[0].RawPath, " ") {
		t.Errorf("path not escaped: %q", reqs[0].RawPath)
	}
	want := `(profile.email eq "eve\" or profile.login eq \"admin@example.com" or profile.login eq "eve\" or profile.login eq \"admin@example.com")`
	if got := reqs[1].Query.Get("search"); got != want {
		t.Errorf("search\n got %s\nwant %s", got, want)
	}
}

func TestFindUser(t *testing.T) {
	user := func(id, login, email string) map[string]any {
		return map[string]any{
			"id": id, "status": "ACTIVE", "created": "2025-01-01T00:00:00.000Z",
			"type":    map[string]any{"id": "oty1"},
			"profile": map[string]any{"login": login, "email": email, "firstName": "Al", "lastName": "Ice", "managerId": "00umgr"},
		}
	}
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/users/alice@example.com", "/api/v1/users/00u1":
			writeJSON(w, 200, user("00u1", "alice@example.com", "alice@example.com"))
		case "/api/v1/users":
			if strings.Contains(r.URL.Query().Get("search"), "shared@") {
				writeJSON(w, 200, []any{user("00u2", "bob@example.com", "shared@example.com"), user("00u3", "carol@example.com", "shared@example.com")})
				return
			}
			if strings.Contains(r.URL.Query().Get("search"), "al@") {
				writeJSON(w, 200, []any{user("00u1", "alice@example.com", "al@example.com")})
				return
			}
			writeJSON(w, 200, []any{})
		case "/api/v1/users/a/b":
			t.Errorf("a login with / was fetched by path")
		default:
			writeOktaError(w, 404, "E0000007", "Not found", "r")
		}
	})
	ctx := context.Background()
	u, err := c.FindUser(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := remediation.User{ID: "00u1", Login: "alice@example.com", Email: "alice@example.com", DisplayName: "Al Ice", Status: "ACTIVE", TypeID: "oty1", ManagerID: "00umgr", Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	if !u.Created.Equal(want.Created) {
		t.Errorf("created %v", u.Created)
	}
	u.Created = want.Created
	if u != want {
		t.Errorf("got %+v\nwant %+v", u, want)
	}
	if u, err := c.FindUser(ctx, "00u1"); err != nil || u.ID != "00u1" {
		t.Errorf("by ID: %+v %v", u, err)
	}
	if u, err := c.FindUser(ctx, " al@example.com "); err != nil || u.ID != "00u1" {
		t.Errorf("by email: %+v %v", u, err)
	}
	_, err = c.FindUser(ctx, "shared@example.com")
	if !errors.Is(err, remediation.ErrAmbiguous) || !strings.Contains(err.Error(), "bob@example.com") || !strings.Contains(err.Error(), "carol@example.com") {
		t.Errorf("ambiguous: %v", err)
	}
	_, err = c.FindUser(ctx, "a/b")
	remoteErr(t, err, remediation.ErrNotFound)
	if rec.count("GET", "/api/v1/users/a/b") != 0 {
		t.Error("fetched a/b by path")
	}
	_, err = c.FindUser(ctx, "  ")
	remoteErr(t, err, remediation.ErrPermanent)
}

func appJSON(id, name, label string) map[string]any {
	return map[string]any{"id": id, "name": name, "label": label, "status": "ACTIVE", "signOnMode": "SAML_2_0", "_links": map[string]any{}}
}

func TestFindApp(t *testing.T) {
	apps := []map[string]any{
		appJSON("0oaslack1", "slack", "Slack"),
		appJSON("0oaslack2", "slack", "Slack Sandbox"),
		appJSON("0oazoom1", "zoomus", "Zoom"),
		appJSON("0oabox1", "box", "Box"),
		appJSON("0oabox2", "box", "box"),
		appJSON("0oaweird", "bookmark", "0oalabel"),
	}
	var listed []string // the q of every app list request
	var mu sync.Mutex
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/apps":
			q := r.URL.Query().Get("q")
			mu.Lock()
			listed = append(listed, q)
			mu.Unlock()
			// Okta's q: a case-insensitive prefix of the name or the label; here one
			// match per page, to exercise paging.
			var match []any
			for _, a := range apps {
				if q != "" && (strings.HasPrefix(strings.ToLower(a["label"].(string)), strings.ToLower(q)) || strings.HasPrefix(a["name"].(string), strings.ToLower(q))) {
					match = append(match, a)
				}
			}
			after, _ := strconv.Atoi(r.URL.Query().Get("after"))
			if after+1 < len(match) {
				w.Header().Add("Link", fmt.Sprintf(`<http://%s/api/v1/apps?q=%s&after=%d>; rel="next"`, r.Host, url.QueryEscape(q), after+1))
			}
			if after < len(match) {
				match = match[after : after+1]
			} else {
				match = nil
			}
			writeJSON(w, 200, match)
		case "/api/v1/apps/0oazoom1":
			writeJSON(w, 200, appJSON("0oazoom1", "zoomus", "Zoom"))
		default:
			writeOktaError(w, 404, "E0000007", "Not found", "r")
		}
	})
	ctx := context.Background()
	check := func(q, wantID string, wantErr error) {
		t.Helper()
		a, err := c.FindApp(ctx, q)
		if wantErr != nil {
			if !errors.Is(err, wantErr) {
				t.Errorf("FindApp(%q) = %+v, %v; want %v", q, a, err, wantErr)
			}
			return
		}
		if err != nil || a.ID != wantID {
			t.Errorf("FindApp(%q) = %+v, %v; want %s", q, a, err, wantID)
		}
	}
	check("0oazoom1", "0oazoom1", nil)
	check("slack sandbox", "0oaslack2", nil)
	check("SLACK", "0oaslack1", nil) // the label wins over the two "slack" names
	check("zoomus", "0oazoom1", nil)
	check("0oalabel", "0oaweird", nil) // looks like an ID, is a label
	check("nothing", "", remediation.ErrNotFound)
	_, err := c.FindApp(ctx, "BOX")
	var amb *remediation.AmbiguousError
	if !errors.Is(err, remediation.ErrAmbiguous) || !errors.As(err, &amb) || !strings.Contains(err.Error(), "0oabox1") || !strings.Contains(err.Error(), "0oabox2") {
		t.Errorf("ambiguous: %v", err)
	} else if txt := remediation.ErrorText(err); !strings.Contains(txt.JA, "0oabox2") || !strings.Contains(txt.JA, "アプリ") || !strings.Contains(txt.EN, `"Box" (box, 0oabox1)`) {
		t.Errorf("ambiguity text: %+v", txt)
	}
	if a, _ := c.FindApp(ctx, "Zoom"); a.SignOnMode != "SAML_2_0" || a.Name != "zoomus" || a.Status != "ACTIVE" {
		t.Errorf("mapped %+v", a)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, q := range listed {
		if q == "" {
			t.Errorf("an app list without q= (a full listing): %v", listed)
		}
	}
	// slack sandbox 1, SLACK 2 pages, zoomus 1, 0oalabel 1, nothing 1, BOX 2, Zoom 1.
	if n := rec.count("GET", "/api/v1/apps"); n != 9 {
		t.Errorf("%d app list requests, want 9: %v", n, listed)
	}
}

func TestListUserAssignments(t *testing.T) {
	withUser := appJSON("0oa1", "slack", "Slack")
	withUser["_embedded"] = map[string]any{"user": appUserJSON("00u1", "U1", "USER", "PROVISIONED", "ERROR")}
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/apps":
			writeJSON(w, 200, []any{withUser, appJSON("0oa2", "zoomus", "Zoom"), appJSON("0oa3", "box", "Box")})
		case "/api/v1/apps/0oa2/users/00u1":
			writeJSON(w, 200, appUserJSON("00u1", nil, "GROUP", "ACTIVE", "SYNCHRONIZED"))
		case "/api/v1/apps/0oa3/users/00u1":
			writeOktaError(w, 404, "E0000007", "Not found", "r")
		}
	})
	got, err := c.ListUserAssignments(context.Background(), "00u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].App.ID != "0oa1" || got[0].AppUser.ExternalID != "U1" || got[0].AppUser.SyncState != "ERROR" ||
		got[1].App.ID != "0oa2" || got[1].AppUser.Scope != "GROUP" {
		t.Errorf("assignments %+v", got)
	}
	r := rec.requests()[0]
	if f := r.Query.Get("filter"); f != `user.id eq "00u1"` {
		t.Errorf("filter %q", f)
	}
	if e := r.Query.Get("expand"); e != "user/00u1" {
		t.Errorf("expand %q", e)
	}
}

func TestListAppUsersPaging(t *testing.T) {
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("after") {
		case "":
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v1/apps/0oa1/users?after=00u2&limit=2>; rel="next"`, r.Host))
			writeJSON(w, 200, []any{appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"), appUserJSON("00u2", nil, "USER", "ACTIVE", "SYNCHRONIZED")})
		case "00u2":
			writeJSON(w, 200, []any{appUserJSON("00u3", nil, "USER", "ACTIVE", "SYNCHRONIZED")})
		}
	})
	ctx := context.Background()
	users, next, err := c.ListAppUsers(ctx, "0oa1", "", 2)
	if err != nil || len(users) != 2 || next != "00u2" {
		t.Fatalf("page 1: %d users, next %q, %v", len(users), next, err)
	}
	users, next, err = c.ListAppUsers(ctx, "0oa1", next, 2)
	if err != nil || len(users) != 1 || users[0].ID != "00u3" || next != "" {
		t.Fatalf("page 2: %+v, next %q, %v", users, next, err)
	}
	if l := rec.requests()[0].Query.Get("limit"); l != "2" {
		t.Errorf("limit %q", l)
	}
}

func TestProvisioning(t *testing.T) {
	feature := map[string]any{
		"name": "USER_PROVISIONING", "status": "ENABLED", "description": "User provisioning settings from Okta to a downstream application",
		"capabilities": map[string]any{
			"create": map[string]any{"lifecycleCreate": map[string]any{"status": "ENABLED"}},
			"update": map[string]any{
				"profile":             map[string]any{"status": "ENABLED"},
				"lifecycleDeactivate": map[string]any{"status": "DISABLED"},
				"password":            map[string]any{"status": "ENABLED", "seed": "RANDOM", "change": "KEEP_EXISTING"},
			},
		},
	}
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/apps/0oaslack/features/USER_PROVISIONING":
			writeJSON(w, 200, feature)
		case "/api/v1/apps/0oabookmark/features/USER_PROVISIONING":
			writeOktaError(w, 400, "E0000001", "Api validation failed: Provisioning is not supported", "r400")
		case "/api/v1/apps/0oanofeature/features/USER_PROVISIONING", "/api/v1/apps/0oagone/features/USER_PROVISIONING":
			writeOktaError(w, 404, "E0000007", "Not found: Resource not found", "r404")
		case "/api/v1/apps/0oanofeature":
			writeJSON(w, 200, appJSON("0oanofeature", "bookmark", "Wiki"))
		default:
			writeOktaError(w, 404, "E0000007", "Not found: Resource not found", "r404b")
		}
	})
	ctx := context.Background()
	p, err := c.GetProvisioning(ctx, "0oaslack")
	if err != nil {
		t.Fatal(err)
	}
	want := remediation.Provisioning{Status: "ENABLED", Capabilities: remediation.Capabilities{
		LifecycleCreate: "ENABLED", Profile: "ENABLED", LifecycleDeactivate: "DISABLED",
		Password: remediation.PasswordCapability{Status: "ENABLED", Seed: "RANDOM", Change: "KEEP_EXISTING"},
	}}
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}

	// Off keeps seed and change; absent capabilities stay absent on the wire.
	if _, err := c.SetProvisioning(ctx, "0oaslack", p.Capabilities.Off()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetProvisioning(ctx, "0oaslack", remediation.Capabilities{LifecycleCreate: "DISABLED"}); err != nil {
		t.Fatal(err)
	}
	var puts []string
	for _, r := range rec.requests() {
		if r.Method == "PUT" {
			puts = append(puts, string(bytes.TrimSpace(r.Body)))
		}
	}
	wantPuts := []string{
		`{"create":{"lifecycleCreate":{"status":"DISABLED"}},"update":{"lifecycleDeactivate":{"status":"DISABLED"},"password":{"change":"KEEP_EXISTING","seed":"RANDOM","status":"DISABLED"},"profile":{"status":"DISABLED"}}}`,
		`{"create":{"lifecycleCreate":{"status":"DISABLED"}}}`,
	}
	if strings.Join(puts, "\n") != strings.Join(wantPuts, "\n") {
		t.Errorf("PUT bodies\n got %s\nwant %s", strings.Join(puts, "\n     "), strings.Join(wantPuts, "\n     "))
	}

	_, err = c.GetProvisioning(ctx, "0oabookmark")
	re := remoteErr(t, err, remediation.ErrUnsupported)
	if re.Status != 400 || re.Code != "E0000001" || re.RequestID != "r400" {
		t.Errorf("unsupported error %+v", re)
	}
	_, err = c.SetProvisioning(ctx, "0oabookmark", remediation.Capabilities{Profile: "DISABLED"})
	remoteErr(t, err, remediation.ErrUnsupported)
	_, err = c.GetProvisioning(ctx, "0oanofeature")
	remoteErr(t, err, remediation.ErrUnsupported)
	_, err = c.GetProvisioning(ctx, "0oagone")
	remoteErr(t, err, remediation.ErrNotFound)
	_, err = c.SetProvisioning(ctx, "0oaslack", remediation.Capabilities{Profile: "ON"})
	remoteErr(t, err, remediation.ErrPermanent)
}

func TestReadLists(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/meta/types/user":
			writeJSON(w, 200, []any{
				map[string]any{"id": "otydefault", "name": "user", "displayName": "User", "default": true},
				map[string]any{"id": "otycontractor", "name": "contractor", "displayName": "Contractor", "default": false},
			})
		case "/api/v1/groups/rules":
			writeJSON(w, 200, []any{map[string]any{
				"id": "0pr1", "name": "Engineering", "status": "ACTIVE", "type": "group_rule",
				"conditions": map[string]any{"expression": map[string]any{"type": "urn:okta:expression:1.0", "value": `user.department=="Eng"`}},
				"actions":    map[string]any{"assignUserToGroups": map[string]any{"groupIds": []string{"00g2", "00g1"}}},
			}})
		case "/api/v1/apps/0oa1/groups":
			writeJSON(w, 200, []any{map[string]any{"id": "00g1", "priority": 0}, map[string]any{"id": "00g2", "priority": 3}})
		case "/api/v1/users/00u1/groups":
			writeJSON(w, 200, []any{map[string]any{"id": "00g1", "type": "OKTA_GROUP", "profile": map[string]any{"name": "Everyone"}}})
		}
	})
	ctx := context.Background()
	types, err := c.ListUserTypes(ctx)
	if err != nil || len(types) != 2 || !types[0].Default || types[1].Default || types[1].Name != "contractor" || types[1].DisplayName != "Contractor" {
		t.Errorf("types %+v %v", types, err)
	}
	rules, err := c.ListGroupRules(ctx)
	if err != nil || len(rules) != 1 || rules[0].Expression != `user.department=="Eng"` || strings.Join(rules[0].GroupIDs, ",") != "00g2,00g1" || rules[0].Status != "ACTIVE" {
		t.Errorf("rules %+v %v", rules, err)
	}
	groups, err := c.ListAppGroups(ctx, "0oa1")
	if err != nil || len(groups) != 2 || groups[1] != (remediation.AppGroup{GroupID: "00g2", Priority: 3}) {
		t.Errorf("app groups %+v %v", groups, err)
	}
	ug, err := c.ListUserGroups(ctx, "00u1")
	if err != nil || len(ug) != 1 || ug[0] != (remediation.Group{ID: "00g1", Name: "Everyone"}) {
		t.Errorf("user groups %+v %v", ug, err)
	}
}
