package oktasim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
)

// newClock is a settable clock for rate-limit windows and token expiry.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 2, 2, 11, 16, 6, 250e6, time.UTC))
}

func wantError(t *testing.T, r resp, status int, code, summary string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	m := r.obj(t)
	if m["errorCode"] != code || (summary != "" && m["errorSummary"] != summary) || m["errorLink"] != code {
		t.Fatalf("error body %s, want %s %q", r.raw, code, summary)
	}
	if id, _ := m["errorId"].(string); id == "" {
		t.Error("errorId missing")
	}
	if _, ok := m["errorCauses"].([]any); !ok {
		t.Error("errorCauses is not an array")
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, Options{})
	for _, auth := range []string{"", "SSWS wrong", "Bearer nope", DefaultToken} {
		wantError(t, e.callAuth("GET", "/api/v1/users", nil, auth), 401, "E0000011", "Invalid token provided")
	}
	e.must(e.call("GET", "/api/v1/users", nil), 200)
	custom := newEnv(t, Options{Token: "other"})
	custom.must(custom.callAuth("GET", "/api/v1/users", nil, "SSWS other"), 200)
}

func TestCommonHeaders(t *testing.T) {
	clk := newClock()
	e := newEnv(t, Options{Clock: clk.Now})
	for _, r := range []resp{e.call("GET", "/api/v1/users", nil), e.call("GET", "/api/v1/users/nobody", nil),
		e.callAuth("GET", "/api/v1/apps", nil, "")} {
		// The SDK parses Date with exactly this layout.
		d, err := time.Parse("Mon, 02 Jan 2006 15:04:05 GMT", r.header.Get("Date"))
		if err != nil || !d.Equal(clk.Now().Truncate(time.Second)) {
			t.Errorf("Date %q: %v", r.header.Get("Date"), err)
		}
		if r.header.Get("X-Okta-Request-Id") == "" || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", r.header)
		}
	}
	wantError(t, e.call("GET", "/api/v1/users/nobody", nil), 404, "E0000007", "Not found: Resource not found: nobody (User)")
	wantError(t, e.call("GET", "/api/v1/nothing-here", nil), 404, "E0000008", "")
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	e := newEnv(t, Options{Clock: clk.Now, Limits: Limits{Apps: 3}})
	var last resp
	for i := range 3 {
		last = e.must(e.call("GET", "/api/v1/apps", nil), 200)
		if got := last.header.Get("X-Rate-Limit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("remaining %s after %d calls", got, i+1)
		}
	}
	if last.header.Get("X-Rate-Limit-Limit") != "3" {
		t.Fatalf("limit header %q", last.header.Get("X-Rate-Limit-Limit"))
	}
	r := e.call("GET", "/api/v1/apps/0oa-none", nil)
	wantError(t, r, 429, "E0000047", "API call exceeded rate limit due to too many requests.")
	reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
	date, _ := time.Parse(http.TimeFormat, r.header.Get("Date"))
	if wait := reset - date.Unix() + 1; wait < 1 || wait > 61 {
		t.Fatalf("SDK back-off would be %ds (reset %d, date %v)", wait, reset, date)
	}
	// Other buckets are separate and keep their defaults.
	u := e.must(e.call("GET", "/api/v1/users", nil), 200)
	if u.header.Get("X-Rate-Limit-Limit") != "600" {
		t.Fatalf("users limit %q", u.header.Get("X-Rate-Limit-Limit"))
	}
	l := e.must(e.call("GET", "/api/v1/logs", nil), 200)
	if l.header.Get("X-Rate-Limit-Limit") != "120" {
		t.Fatalf("logs limit %q", l.header.Get("X-Rate-Limit-Limit"))
	}
	clk.Advance(time.Duration(reset-clk.Now().Unix()) * time.Second)
	e.must(e.call("GET", "/api/v1/apps", nil), 200)
}

func TestFaultInjection(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("slack", "Slack", nil)

	e.org.Inject(Fault{Method: "GET", PathPrefix: "/api/v1/apps", Status: 429, Count: 2, ResetAfter: time.Second})
	for range 2 {
		r := e.call("GET", "/api/v1/apps/"+app, nil)
		wantError(t, r, 429, "E0000047", "API call exceeded rate limit due to too many requests.")
		reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
		date, _ := time.Parse(http.TimeFormat, r.header.Get("Date"))
		if reset-date.Unix() != 1 || r.header.Get("X-Rate-Limit-Remaining") != "0" {
			t.Fatalf("429 headers %v", r.header)
		}
	}
	e.must(e.call("GET", "/api/v1/apps/"+app, nil), 200)

	remove := e.org.Inject(Fault{PathPrefix: "/api/v1/users", Status: 503})
	wantError(t, e.call("GET", "/api/v1/users", nil), 503, "E0000009", "Internal Server Error")
	wantError(t, e.call("GET", "/api/v1/users", nil), 503, "E0000009", "")
	remove()
	e.must(e.call("GET", "/api/v1/users", nil), 200)

	e.org.Inject(Fault{Latency: 50 * time.Millisecond, Count: 1})
	start := time.Now()
	e.must(e.call("GET", "/api/v1/users", nil), 200)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("latency fault took %v", d)
	}

	hold := make(chan struct{})
	e.org.Inject(Fault{Method: "DELETE", Hold: hold})
	done := make(chan resp, 1)
	go func() { done <- e.call("DELETE", "/api/v1/apps/"+app+"/users/00unone", nil) }()
	select {
	case <-done:
		t.Fatal("held request answered before release")
	case <-time.After(30 * time.Millisecond):
	}
	close(hold)
	select {
	case r := <-done:
		if r.status != 404 {
			t.Fatalf("released request: %d", r.status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("held request never released")
	}
	e.org.ClearFaults()

	reqs := e.org.Requests()
	if len(reqs) != e.org.RequestCount() || len(reqs) < 8 {
		t.Fatalf("recorded %d requests", len(reqs))
	}
	lastReq := reqs[len(reqs)-1]
	if lastReq.Method != "DELETE" || lastReq.Status != 404 {
		t.Fatalf("last request %+v", lastReq)
	}
	e.org.ResetRequests()
	e.call("POST", "/api/v1/apps/"+app+"/users/00unone", `{"externalId":null}`)
	if reqs := e.org.Requests(); len(reqs) != 1 || reqs[0].Body != `{"externalId":null}` || reqs[0].Status != 404 {
		t.Fatalf("recorded %+v", reqs)
	}
}

func TestUserSearch(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice@example.com")
	bob, _ := e.org.AddUser(UserSpec{Login: "bob@example.com", Email: `b"ob@example.com`})
	e.user("carol@example.com")
	ids := func(r resp) []string {
		var out []string
		for _, v := range r.list(t) {
			out = append(out, v.(map[string]any)["id"].(string))
		}
		return out
	}
	cases := []struct {
		param, expr string
		want        []string
	}{
		{"search", `profile.login eq "alice@example.com"`, []string{alice}},
		{"filter", `profile.login eq "ALICE@example.com"`, []string{alice}},
		{"search", `profile.email eq "b\"ob@example.com"`, []string{bob}},
		{"search", `id eq "` + bob + `" or profile.login eq "alice@example.com"`, []string{alice, bob}},
		{"search", `(id eq "` + bob + `") and status eq "ACTIVE"`, []string{bob}},
		{"search", `profile.login eq "nobody@example.com"`, nil},
	}
	for _, c := range cases {
		got := ids(e.must(e.call("GET", "/api/v1/users?"+c.param+"="+urlq(c.expr), nil), 200))
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s=%s: %v, want %v", c.param, c.expr, got, c.want)
		}
	}
	for _, bad := range []string{`profile.login eq`, `profile.login eq "x`, `profile.login equals "x"`, `(id eq "x"`, `bogus eq "x"`} {
		wantError(t, e.call("GET", "/api/v1/users?search="+urlq(bad), nil), 400, "E0000031", "Invalid search criteria.")
	}
	got := e.must(e.call("GET", "/api/v1/users/ALICE@example.com", nil), 200).obj(t)
	if got["id"] != alice {
		t.Fatalf("by login: %v", got["id"])
	}
	if q := ids(e.must(e.call("GET", "/api/v1/users?q=car", nil), 200)); len(q) != 1 {
		t.Fatalf("q=car: %v", q)
	}
}

func TestAppsPagingFilterExpand(t *testing.T) {
	e := newEnv(t, Options{})
	u := e.user("alice@example.com")
	var apps []string
	for i := range 5 {
		apps = append(apps, e.app("slack", fmt.Sprintf("Slack %d", i), nil))
	}
	e.ok(e.org.AssignUser(apps[1], u))
	e.ok(e.org.AssignUser(apps[3], u))

	var seen []string
	next := "/api/v1/apps?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r := e.must(e.call("GET", next, nil), 200)
		for _, a := range r.list(t) {
			seen = append(seen, a.(map[string]any)["id"].(string))
		}
		if r.links()["self"] == "" {
			t.Fatal("no rel=self link")
		}
		next = r.links()["next"]
	}
	if fmt.Sprint(seen) != fmt.Sprint(apps) {
		t.Fatalf("paged %v, want %v", seen, apps)
	}

	r := e.must(e.call("GET", "/api/v1/apps?filter="+urlq(`user.id eq "`+u+`"`)+"&expand=user/"+u, nil), 200).list(t)
	if len(r) != 2 {
		t.Fatalf("filter user.id: %d apps", len(r))
	}
	for _, a := range r {
		emb, _ := a.(map[string]any)["_embedded"].(map[string]any)
		au, _ := emb["user"].(map[string]any)
		if au["id"] != u || au["scope"] != "USER" {
			t.Fatalf("_embedded.user: %v", emb)
		}
	}
	if q := e.must(e.call("GET", "/api/v1/apps?q=slack%203", nil), 200).list(t); len(q) != 1 {
		t.Fatalf("q: %d apps", len(q))
	}
	wantError(t, e.call("GET", "/api/v1/apps?filter="+urlq(`user.id eq`), nil), 400, "E0000031", "")
	wantError(t, e.call("GET", "/api/v1/apps/0oanothere", nil), 404, "E0000007", "Not found: Resource not found: 0oanothere (AppInstance)")
}

func TestAppUsersPagingAndErrors(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.app("slack", "Slack", nil)
	var users []string
	for i := range 3 {
		u := e.user(fmt.Sprintf("u%d@example.com", i))
		users = append(users, u)
		e.ok(e.org.AssignUser(app, u))
	}
	r := e.must(e.call("GET", "/api/v1/apps/"+app+"/users?limit=2", nil), 200)
	if len(r.list(t)) != 2 || r.links()["next"] == "" {
		t.Fatalf("first page %d, next %q", len(r.list(t)), r.links()["next"])
	}
	r2 := e.must(e.call("GET", r.links()["next"], nil), 200)
	if l := r2.list(t); len(l) != 1 || l[0].(map[string]any)["id"] != users[2] || r2.links()["next"] != "" {
		t.Fatalf("second page %s, links %v", r2.raw, r2.links())
	}
	wantError(t, e.call("GET", "/api/v1/apps/"+app+"/users/00unobody", nil), 404, "E0000007",
		"Not found: Resource not found: 00unobody (AppUser)")
	wantError(t, e.call("DELETE", "/api/v1/apps/"+app+"/users/00unobody", nil), 404, "E0000007", "")
	wantError(t, e.call("POST", "/api/v1/apps/"+app+"/users", `{"scope":"USER"}`), 400, "E0000001", "")
	wantError(t, e.call("POST", "/api/v1/apps/"+app+"/users", `{"id":"00unobody"}`), 404, "E0000007", "")
	wantError(t, e.call("POST", "/api/v1/apps/"+app+"/users/"+users[0], `{"scope":"BOTH"}`), 400, "E0000001", "")
	wantError(t, e.call("POST", "/api/v1/apps/"+app+"/users/"+users[0], `nope`), 400, "E0000003", "")
}

func TestOAuthPrivateKeyToken(t *testing.T) {
	clk := newClock()
	e := newEnv(t, Options{Clock: clk.Now})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	e.ok(err)
	e.org.RegisterClient("0oaclient", &key.PublicKey)
	sign := func(claims map[string]any, k *rsa.PrivateKey) string {
		enc := func(v any) string {
			b, _ := json.Marshal(v)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		input := enc(map[string]any{"alg": "RS256", "kid": "k1"}) + "." + enc(claims)
		sum := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		e.ok(err)
		return input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	claims := func(sub string, exp time.Time) map[string]any {
		return map[string]any{"iss": sub, "sub": sub, "aud": e.srv.URL + "/oauth2/v1/token", "exp": exp.Unix(), "iat": clk.Now().Unix()}
	}
	tokenReq := func(assertion, scope string) resp {
		q := url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		return e.callAuth("POST", "/oauth2/v1/token?"+q.Encode(), nil, "")
	}
	r := e.must(tokenReq(sign(claims("0oaclient", clk.Now().Add(time.Hour)), key), "okta.users.read okta.apps.read"), 200).obj(t)
	tok, _ := r["access_token"].(string)
	if tok == "" || r["token_type"] != "Bearer" || r["expires_in"] != float64(3600) {
		t.Fatalf("token response %v", r)
	}
	e.must(e.callAuth("GET", "/api/v1/users", nil, "Bearer "+tok), 200)

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, a := range map[string]string{
		"bad signature":  sign(claims("0oaclient", clk.Now().Add(time.Hour)), other),
		"unknown client": sign(claims("0oaother", clk.Now().Add(time.Hour)), key),
		"expired":        sign(claims("0oaclient", clk.Now().Add(-time.Minute)), key),
		"not a jwt":      "abc",
	} {
		r := tokenReq(a, "okta.users.read")
		if r.status != 401 || r.obj(t)["error"] != "invalid_client" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	if r := tokenReq(sign(claims("0oaclient", clk.Now().Add(time.Hour)), key), ""); r.status != 400 {
		t.Errorf("no scope: %d", r.status)
	}
	clk.Advance(TokenLifetime + time.Second)
	wantError(t, e.callAuth("GET", "/api/v1/users", nil, "Bearer "+tok), 401, "E0000011", "")
}
