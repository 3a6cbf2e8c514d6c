package oktasim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// env is an Org served over real HTTP, driven with plain net/http.
type env struct {
	t   *testing.T
	org *Org
	srv *httptest.Server
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	o := New(opts)
	srv := httptest.NewServer(o.Handler())
	t.Cleanup(func() {
		srv.Close()
		o.Close()
	})
	return &env{t: t, org: o, srv: srv}
}

func newSeededEnv(t *testing.T, opts Options) *env {
	t.Helper()
	o, err := NewSeeded(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(o.Handler())
	t.Cleanup(func() {
		srv.Close()
		o.Close()
	})
	return &env{t: t, org: o, srv: srv}
}

type resp struct {
	status int
	header http.Header
	raw    []byte
}

// json decodes the body into any (objects as map[string]any).
func (r resp) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Fatalf("body is not JSON (%d): %q", r.status, r.raw)
	}
	return v
}

func (r resp) obj(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not an object: %s", r.raw)
	}
	return m
}

func (r resp) list(t *testing.T) []any {
	t.Helper()
	l, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("body is not an array: %s", r.raw)
	}
	return l
}

// links returns the Link header targets by rel.
func (r resp) links() map[string]string {
	out := map[string]string{}
	for _, l := range r.header.Values("Link") {
		target, rel, ok := strings.Cut(l, ">; rel=\"")
		if !ok {
			continue
		}
		out[strings.TrimSuffix(rel, `"`)] = strings.TrimPrefix(target, "<")
	}
	return out
}

// call sends a request with the SSWS token; body may be nil, a string or a value to
// marshal.
func (e *env) call(method, path string, body any) resp {
	e.t.Helper()
	return e.callAuth(method, path, body, "SSWS "+DefaultToken)
}

func (e *env) callAuth(method, path string, body any, auth string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = e.srv.URL + path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

func (e *env) must(r resp, want int) resp {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
	}
	return r
}

// seedApp adds an app with the given capabilities (nil: no provisioning).
func (e *env) app(name, label string, caps *Capabilities) string {
	e.t.Helper()
	id, err := e.org.AddApp(AppSpec{Name: name, Label: label, Provisioning: caps})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) user(login string) string {
	e.t.Helper()
	id, err := e.org.AddUser(UserSpec{Login: login, FirstName: "Test", LastName: "User"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) ok(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) appUser(appID, userID string) AppUserState {
	e.t.Helper()
	st, ok := e.org.AppUser(appID, userID)
	if !ok {
		e.t.Fatalf("user %s is not assigned to %s", userID, appID)
	}
	return st
}

func (e *env) idle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.org.WaitIdle(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// events returns the System Log events for a user (via the API), oldest first.
func (e *env) events(userID string) []map[string]any {
	e.t.Helper()
	r := e.must(e.call("GET", `/api/v1/logs?until=2100-01-01T00:00:00Z&since=2000-01-01T00:00:00Z&limit=1000&filter=`+
		urlq(`target.id eq "`+userID+`"`), nil), 200)
	var out []map[string]any
	for _, v := range r.list(e.t) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func urlq(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22", "&", "%26", "+", "%2B", "#", "%23").Replace(s)
}

// last returns the last event of the type, or nil.
func last(evs []map[string]any, eventType string) map[string]any {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i]["eventType"] == eventType {
			return evs[i]
		}
	}
	return nil
}

func outcome(ev map[string]any) (string, string) {
	o := ev["outcome"].(map[string]any)
	reason, _ := o["reason"].(string)
	return o["result"].(string), reason
}

func slackCaps(deactivate string) *Capabilities {
	return &Capabilities{LifecycleCreate: Enabled, Profile: Enabled, LifecycleDeactivate: deactivate}
}
