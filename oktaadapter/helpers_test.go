package oktaadapter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
)

const testToken = "00TESTtoken-do-not-leak"

// seen is one request as the fake server received it.
type seen struct {
	Method   string
	Path     string // decoded
	RawPath  string // as sent
	Query    url.Values
	RawQuery string
	Header   http.Header
	Body     []byte
}

// recorder is an httptest server with a hand-written handler that records requests.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func (r *recorder) requests() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

func (r *recorder) count(method, path string) int {
	n := 0
	for _, s := range r.requests() {
		if s.Method == method && s.Path == path {
			n++
		}
	}
	return n
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{
			Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(),
			Query: r.URL.Query(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body,
		})
		rec.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

// fakeTime is an injected clock (the shared test clock) and sleeper: sleeping advances
// the clock and records the wait, so rate-limit pacing is tested without real sleeps.
type fakeTime struct {
	*testclock.Clock
	mu     sync.Mutex
	sleeps []time.Duration
}

func newFakeTime() *fakeTime {
	return &fakeTime{Clock: testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.Advance(d)
	return nil
}

func (f *fakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func testConfig(url string, ft *fakeTime) Config {
	return Config{
		OrgURL:         url,
		APIToken:       testToken,
		AllowHTTP:      true,
		RequestTimeout: 5 * time.Second,
		MaxRetries:     2,
		MaxBackoff:     time.Second,
		Clock:          ft.Now,
		Sleep:          ft.Sleep,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

func newTestClient(t *testing.T, h http.HandlerFunc, mod ...func(*Config)) (*Client, *recorder, *fakeTime) {
	t.Helper()
	rec := newRecorder(t, h)
	ft := newFakeTime()
	cfg := testConfig(rec.srv.URL, ft)
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, rec, ft
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOktaError(w http.ResponseWriter, status int, code, summary, requestID string) {
	if requestID != "" {
		w.Header().Set("X-Okta-Request-Id", requestID)
	}
	writeJSON(w, status, map[string]any{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + requestID, "errorCauses": []any{},
	})
}

// remoteErr asserts err is a *remediation.RemoteError of kind and returns it.
func remoteErr(t *testing.T, err error, kind error) *remediation.RemoteError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q (%T) is not %v", err, err, kind)
	}
	var re *remediation.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("error %q (%T) is not a *remediation.RemoteError", err, err)
	}
	return re
}

func appUserJSON(id, extID any, scope, status, sync string) map[string]any {
	return map[string]any{
		"id": id, "externalId": extID, "scope": scope, "status": status, "syncState": sync,
		"created": "2026-02-02T11:16:15.000Z", "lastUpdated": "2026-02-02T11:16:15.000Z",
		"lastSync": "2026-02-03T08:00:00.000Z", "passwordChanged": nil,
		"credentials": map[string]any{"userName": "alice@example.com"},
		"profile":     map[string]any{},
		"_links":      map[string]any{},
	}
}
