package slackadmin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/slackadmin"
)

const testToken = "xoxp-1234-secret-scim-token"

// recorded is one request a fake Slack received.
type recorded struct {
	method, escapedPath, rawQuery, filter string
	header                                http.Header
	body                                  string
}

// fakeSlack is an httptest server whose answers a test scripts; it records requests.
type fakeSlack struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []recorded
}

func newFakeSlack(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, recorded{method: r.Method, escapedPath: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery,
			filter: r.URL.Query().Get("filter"), header: r.Header.Clone(), body: string(body)})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		answer(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.got...)
}

// sleeper records the waits asked for and returns at once (or err).
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
	err   error
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return s.err
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func newClient(t *testing.T, base string, mod func(*slackadmin.SCIMConfig)) (*slackadmin.SCIM, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	cfg := slackadmin.SCIMConfig{BaseURL: base, Token: testToken, Sleep: sl.sleep,
		Clock: func() time.Time { return time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) }}
	if mod != nil {
		mod(&cfg)
	}
	c, err := slackadmin.NewSCIM(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// remote asserts err is a *remediation.RemoteError of the kind and returns it; it
// also checks that the token is nowhere in the message.
func remote(t *testing.T, err error, kind error) *remediation.RemoteError {
	t.Helper()
	var re *remediation.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *remediation.RemoteError", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q has kind %v, want %v", err, re.Kind, kind)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("the token leaked into the error: %q", err)
	}
	return re
}

const userJSON = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"U0BOB","userName":"bob","active":false,
	"emails":[{"value":"old@example.com"},{"value":"bob@example.com","primary":true}]}`

func TestNewSCIMConfig(t *testing.T) {
	c, err := slackadmin.NewSCIM(slackadmin.SCIMConfig{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://api.slack.com/scim/v2/" {
		t.Errorf("default base %q", c.BaseURL())
	}
	for _, base := range []string{"http://h/scim/v2", "http://h/scim/v2/"} {
		c, err := slackadmin.NewSCIM(slackadmin.SCIMConfig{BaseURL: base, Token: testToken})
		if err != nil || c.BaseURL() != "http://h/scim/v2/" {
			t.Errorf("%s: base %v, %v", base, c, err)
		}
	}
	for _, bad := range []slackadmin.SCIMConfig{
		{Token: ""},
		{Token: testToken + "\n"},
		{Token: testToken, BaseURL: "ftp://h/scim/v2/"},
		{Token: testToken, BaseURL: "/scim/v2/"},
		{Token: testToken, BaseURL: "http://u:p@h/scim/v2/"},
		{Token: testToken, BaseURL: "http://h/scim/v2/?x=1"},
		{Token: testToken, BaseURL: "http://h/%zz"},
	} {
		_, err := slackadmin.NewSCIM(bad)
		if err == nil {
			t.Errorf("%q: no error", bad.BaseURL)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("token in error %q", err)
		}
	}
}

func TestSCIMSetActiveWire(t *testing.T) {
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, userJSON) })
	for _, base := range []string{f.srv.URL + "/scim/v2", f.srv.URL + "/scim/v2/"} {
		c, _ := newClient(t, base, nil)
		if err := c.SetActive(ctx(t), "U0BOB", true); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := newClient(t, f.srv.URL+"/scim/v2/", nil)
	if err := c.SetActive(ctx(t), "U0BOB", false); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, want := range []string{"true", "true", "false"} {
		r := reqs[i]
		if r.method != "PATCH" || r.escapedPath != "/scim/v2/Users/U0BOB" {
			t.Errorf("request %d: %s %s", i, r.method, r.escapedPath)
		}
		if got := r.header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization %q", got)
		}
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
			t.Errorf("Content-Type %q", got)
		}
		wantBody := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":` + want + `}]}`
		if r.body != wantBody {
			t.Errorf("body\n got %s\nwant %s", r.body, wantBody)
		}
	}
}

func TestSCIMGetAccountWireAndPathEscaping(t *testing.T) {
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, userJSON) })
	c, _ := newClient(t, f.srv.URL+"/scim/v2/", nil)
	a, err := c.GetAccount(ctx(t), "U0BOB")
	if err != nil {
		t.Fatal(err)
	}
	want := remediation.SaaSAccount{ID: "U0BOB", UserName: "bob", Email: "bob@example.com", Active: false}
	if a != want {
		t.Errorf("account %+v, want %+v", a, want)
	}
	if _, err := c.GetAccount(ctx(t), "U1/../../Groups?x=1#y"); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if r := reqs[0]; r.method != "GET" || r.escapedPath != "/scim/v2/Users/U0BOB" || r.body != "" {
		t.Errorf("request %+v", r)
	}
	if r := reqs[1]; r.escapedPath != "/scim/v2/Users/U1%2F..%2F..%2FGroups%3Fx=1%23y" || r.rawQuery != "" {
		t.Errorf("an ID escaped its segment: path %q query %q", r.escapedPath, r.rawQuery)
	}
}

func TestSCIMFindAccountFilter(t *testing.T) {
	var answer string
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, answer) })
	c, _ := newClient(t, f.srv.URL+"/scim/v2", nil)

	answer = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[` + userJSON + `]}`
	a, err := c.FindAccount(ctx(t), " Bob@Example.com ")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "U0BOB" || a.Active {
		t.Errorf("account %+v", a)
	}
	r := f.requests()[0]
	if r.method != "GET" || r.escapedPath != "/scim/v2/Users" || r.filter != `email eq "Bob@Example.com"` {
		t.Errorf("request %s %s filter %q", r.method, r.escapedPath, r.filter)
	}
	if !strings.Contains(r.rawQuery, "startIndex=1") || !strings.Contains(r.rawQuery, "count=") {
		t.Errorf("query %q", r.rawQuery)
	}

	// A quote or backslash stays inside the string value; HTML characters are sent as is.
	answer = `{"totalResults":0,"Resources":[]}`
	for email, want := range map[string]string{
		`x" or userName pr or email eq "y@example.com`: `email eq "x\" or userName pr or email eq \"y@example.com"`,
		`a\"b@example.com`:  `email eq "a\\\"b@example.com"`,
		`<a&b>@example.com`: `email eq "<a&b>@example.com"`,
	} {
		_, err := c.FindAccount(ctx(t), email)
		remote(t, err, remediation.ErrNotFound)
		// Nobody by email: asked again by userName, escaped the same way.
		reqs := f.requests()
		if got := reqs[len(reqs)-2].filter; got != want {
			t.Errorf("%s: filter\n got %s\nwant %s", email, got, want)
		}
		if got, want := reqs[len(reqs)-1].filter, "userName"+strings.TrimPrefix(want, "email"); got != want {
			t.Errorf("%s: fallback filter\n got %s\nwant %s", email, got, want)
		}
	}
}

func TestSCIMFindAccountChecksTheAnswer(t *testing.T) {
	var answer string
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, answer) })
	c, _ := newClient(t, f.srv.URL+"/scim/v2/", nil)
	other := `{"id":"U0EVE","userName":"eve","active":true,"emails":[{"value":"eve@example.com","primary":true}]}`

	// A server that ignored the filter hands back someone else: not found, not Eve.
	answer = `{"totalResults":1,"Resources":[` + other + `]}`
	_, err := c.FindAccount(ctx(t), "bob@example.com")
	remote(t, err, remediation.ErrNotFound)

	answer = `{"totalResults":2,"Resources":[` + userJSON + `,` + strings.Replace(userJSON, "U0BOB", "U0BOB2", 1) + `]}`
	_, err = c.FindAccount(ctx(t), "bob@example.com")
	remote(t, err, remediation.ErrAmbiguous)

	n := len(f.requests())
	for _, bad := range []string{"", "  ", "bob@example.com\r\nX: y"} {
		_, err = c.FindAccount(ctx(t), bad)
		remote(t, err, remediation.ErrPermanent)
	}
	_, err = c.GetAccount(ctx(t), "")
	remote(t, err, remediation.ErrPermanent)
	remote(t, c.SetActive(ctx(t), "", true), remediation.ErrPermanent)
	if len(f.requests()) != n {
		t.Error("invalid input reached Slack")
	}
}

func TestSCIMRetryAfterHonoured(t *testing.T) {
	var mu sync.Mutex
	left := 2
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if left > 0 {
			left--
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			io.WriteString(w, `{"Errors":{"description":"rate_limited","code":429}}`)
			return
		}
		io.WriteString(w, userJSON)
	})
	c, sl := newClient(t, f.srv.URL+"/scim/v2/", nil)
	if err := c.SetActive(ctx(t), "U0BOB", true); err != nil {
		t.Fatal(err)
	}
	if got := sl.got(); len(got) != 2 || got[0] != 7*time.Second || got[1] != 7*time.Second {
		t.Errorf("waits %v, want [7s 7s]", got)
	}
	reqs := f.requests()
	if len(reqs) != 3 || reqs[2].body != reqs[0].body || reqs[2].body == "" {
		t.Errorf("retries did not resend the same body: %+v", reqs)
	}
}

func TestSCIMRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	first := true
	var mu sync.Mutex
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if first {
			first = false
			w.Header().Set("Retry-After", now.Add(30*time.Second).Format(http.TimeFormat))
			w.WriteHeader(429)
			return
		}
		io.WriteString(w, userJSON)
	})
	c, sl := newClient(t, f.srv.URL+"/scim/v2/", func(cfg *slackadmin.SCIMConfig) { cfg.Clock = func() time.Time { return now } })
	if _, err := c.GetAccount(ctx(t), "U0BOB"); err != nil {
		t.Fatal(err)
	}
	if got := sl.got(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("waits %v, want [30s]", got)
	}
}

func TestSCIMRateLimitedGivesUp(t *testing.T) {
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.Header().Set("X-Slack-Req-Id", "req-429")
		w.WriteHeader(429)
		io.WriteString(w, `{"Errors":{"description":"rate_limited","code":429}}`)
	})
	c, sl := newClient(t, f.srv.URL+"/scim/v2/", func(cfg *slackadmin.SCIMConfig) { cfg.MaxRetries = 2 })
	re := remote(t, c.SetActive(ctx(t), "U0BOB", true), remediation.ErrRateLimited)
	if re.Status != 429 || re.Summary != "rate_limited" || re.RequestID != "req-429" {
		t.Errorf("error %+v", re)
	}
	if !remediation.IsRetryable(re) {
		t.Error("a rate limit is retryable")
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", n)
	}
	if n := len(sl.got()); n != 2 {
		t.Errorf("%d waits", n)
	}

	// No retries at all.
	c, sl = newClient(t, f.srv.URL+"/scim/v2/", func(cfg *slackadmin.SCIMConfig) { cfg.MaxRetries = -1 })
	remote(t, c.SetActive(ctx(t), "U0BOB", true), remediation.ErrRateLimited)
	if n := len(sl.got()); n != 0 {
		t.Errorf("%d waits with retries off", n)
	}

	// A wait longer than MaxRetryWait is the scheduler's job, not a blocked step's.
	c, sl = newClient(t, f.srv.URL+"/scim/v2/", func(cfg *slackadmin.SCIMConfig) { cfg.MaxRetryWait = 2 * time.Second })
	before := len(f.requests())
	remote(t, c.SetActive(ctx(t), "U0BOB", true), remediation.ErrRateLimited)
	if n := len(sl.got()); n != 0 || len(f.requests()) != before+1 {
		t.Errorf("waited %d times, %d requests", n, len(f.requests())-before)
	}

	// The caller's context ends during the wait.
	c, sl = newClient(t, f.srv.URL+"/scim/v2/", nil)
	sl.err = context.Canceled
	err := c.SetActive(ctx(t), "U0BOB", true)
	remote(t, err, remediation.ErrRateLimited)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not unwrap to the context's", err)
	}
}

func TestSCIMErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		kind   error
		want   string
	}{
		{401, `{"Errors":{"description":"invalid_authentication","code":401}}`, remediation.ErrDenied, "invalid_authentication"},
		{403, `{"Errors":{"description":"permission_denied","code":403}}`, remediation.ErrDenied, "permission_denied"},
		{404, `{"Errors":{"description":"user_not_found","code":404}}`, remediation.ErrNotFound, "user_not_found"},
		{500, `{"Errors":{"description":"internal_error","code":500}}`, remediation.ErrTransient, "internal_error"},
		{503, `<html>down</html>`, remediation.ErrTransient, ""},
		{400, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"bad filter","scimType":"invalidFilter","status":"400"}`, remediation.ErrPermanent, "bad filter"},
		{409, `{"Errors":{"description":"conflict","code":409}}`, remediation.ErrPermanent, "conflict"},
		// A server echoing the request's credentials must not leak them.
		{400, `{"Errors":{"description":"bad token Bearer ` + testToken + `","code":400}}`, remediation.ErrPermanent, "bad token Bearer [redacted]"},
	} {
		f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Slack-Req-Id", "req-1")
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		c, sl := newClient(t, f.srv.URL+"/scim/v2/", nil)
		for name, err := range map[string]error{
			"GetAccount": func() error { _, err := c.GetAccount(ctx(t), "U0BOB"); return err }(),
			"FindAccount": func() error {
				_, err := c.FindAccount(ctx(t), "bob@example.com")
				return err
			}(),
			"SetActive": c.SetActive(ctx(t), "U0BOB", true),
		} {
			re := remote(t, err, tc.kind)
			if re.Status != tc.status || re.Summary != tc.want || re.RequestID != "req-1" {
				t.Errorf("%d %s: %+v", tc.status, name, re)
			}
			if !strings.Contains(re.Op, "U0BOB") && !strings.Contains(re.Op, "bob@example.com") {
				t.Errorf("%d %s: Op %q names neither member nor email", tc.status, name, re.Op)
			}
		}
		if len(sl.got()) != 0 {
			t.Errorf("%d: waited", tc.status)
		}
	}
}

func TestSCIMTransportErrorsAreTransient(t *testing.T) {
	release := make(chan struct{})
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })

	// The HTTP client's own timeout.
	c, _ := newClient(t, f.srv.URL+"/scim/v2/", func(cfg *slackadmin.SCIMConfig) {
		cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
	})
	_, err := c.GetAccount(ctx(t), "U0BOB")
	remote(t, err, remediation.ErrTransient)

	// The caller's deadline.
	c, _ = newClient(t, f.srv.URL+"/scim/v2/", nil)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = c.SetActive(short, "U0BOB", true)
	remote(t, err, remediation.ErrTransient)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not unwrap to the deadline", err)
	}

	// Nobody listening.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c, _ = newClient(t, dead.URL+"/scim/v2/", nil)
	_, err = c.FindAccount(ctx(t), "bob@example.com")
	remote(t, err, remediation.ErrTransient)

	// A 200 that is not Slack's JSON.
	junk := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>captive portal</html>") })
	c, _ = newClient(t, junk.srv.URL+"/scim/v2/", nil)
	_, err = c.GetAccount(ctx(t), "U0BOB")
	remote(t, err, remediation.ErrTransient)
}

// A SCIM server that only filters on userName still finds the member.
func TestSCIMFindAccountFallsBackToUserName(t *testing.T) {
	f := newFakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Query().Get("filter"), "email") {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"Errors":{"description":"unsupported filter","code":400}}`)
			return
		}
		io.WriteString(w, `{"totalResults":1,"Resources":[{"id":"U0BOB","userName":"bob@example.com","active":false}]}`)
	})
	c, _ := newClient(t, f.srv.URL+"/scim/v2/", nil)
	a, err := c.FindAccount(ctx(t), "bob@example.com")
	if err != nil || a.ID != "U0BOB" {
		t.Fatalf("FindAccount = %+v, %v", a, err)
	}
}
