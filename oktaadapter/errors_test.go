package oktaadapter

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		code       string
		summary    string
		body       string // raw body instead of an Okta error
		call       func(*Client) error
		kind       error
		notKind    error
		wantStatus int
	}{
		{name: "404 E0000007", status: 404, code: "E0000007", summary: "Not found: Resource not found: 00u1 (AppUser)", kind: remediation.ErrNotFound},
		{name: "403 E0000046 on DELETE", status: 403, code: "E0000046", summary: "Deactivate application for user forbidden.", kind: remediation.ErrGroupScoped, notKind: remediation.ErrDenied,
			call: func(c *Client) error { return c.UnassignUser(context.Background(), "0oa1", "00u1") }},
		{name: "401", status: 401, code: "E0000011", summary: "Invalid token provided", kind: remediation.ErrDenied},
		{name: "403 other", status: 403, code: "E0000006", summary: "You do not have permission to perform the requested action", kind: remediation.ErrDenied},
		{name: "400", status: 400, code: "E0000001", summary: "Api validation failed: scope", kind: remediation.ErrPermanent},
		{name: "405", status: 405, code: "E0000022", summary: "The endpoint does not support the provided HTTP method", kind: remediation.ErrPermanent},
		{name: "500", status: 500, code: "E0000009", summary: "Internal Server Error", kind: remediation.ErrTransient},
		{name: "502 html", status: 502, body: "<html>bad gateway</html>", kind: remediation.ErrTransient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.body != "" {
					w.Header().Set("Content-Type", "text/html")
					w.Header().Set("X-Okta-Request-Id", "req-"+strconv.Itoa(tc.status))
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.body))
					return
				}
				writeOktaError(w, tc.status, tc.code, tc.summary, "req-"+strconv.Itoa(tc.status))
			})
			call := tc.call
			if call == nil {
				call = func(c *Client) error {
					_, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
					return err
				}
			}
			err := call(c)
			re := remoteErr(t, err, tc.kind)
			if tc.notKind != nil && errors.Is(err, tc.notKind) {
				t.Errorf("error is also %v", tc.notKind)
			}
			if re.Status != tc.status || re.Code != tc.code || re.Summary != tc.summary {
				t.Errorf("got status=%d code=%q summary=%q, want %d %q %q", re.Status, re.Code, re.Summary, tc.status, tc.code, tc.summary)
			}
			if re.RequestID != "req-"+strconv.Itoa(tc.status) {
				t.Errorf("request id %q not kept", re.RequestID)
			}
			if re.Op == "" {
				t.Error("Op is empty")
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

// Okta answers the token's "no permission" on a write the same way as a read: the
// mapping does not depend on the method.
func TestErrorMappingGroupScopedIsOnly403(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeOktaError(w, 400, "E0000046", "weird", "r1")
	})
	err := c.UnassignUser(context.Background(), "0oa1", "00u1")
	remoteErr(t, err, remediation.ErrPermanent)
}

func rateLimitHeaders(w http.ResponseWriter, limit, remaining int, date time.Time, reset time.Time) {
	w.Header().Set("Date", date.UTC().Format(http.TimeFormat))
	w.Header().Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

func TestRateLimited429RetriedThenSuccess(t *testing.T) {
	var n atomic.Int32
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		if n.Add(1) == 1 {
			// Reset already passed per Date: the SDK retries at once, no real sleep.
			rateLimitHeaders(w, 100, 0, now, now.Add(-2*time.Second))
			writeOktaError(w, 429, "E0000047", "API call exceeded rate limit due to too many requests.", "req-429")
			return
		}
		rateLimitHeaders(w, 100, 99, now, now.Add(time.Minute))
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	})
	au, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
	if err != nil {
		t.Fatalf("GetAppUser: %v", err)
	}
	if au.ID != "00u1" {
		t.Errorf("app user %+v", au)
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if got := reqs[1].Header.Get("X-Okta-Retry-For"); got != "req-429" {
		t.Errorf("retry does not name the 429's request id: %q", got)
	}
}

func TestRateLimitedExhausted(t *testing.T) {
	var n atomic.Int32
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		rateLimitHeaders(w, 100, 0, now, now.Add(-2*time.Second))
		writeOktaError(w, 429, "E0000047", "API call exceeded rate limit due to too many requests.", "req-429-"+strconv.Itoa(int(n.Add(1))))
	}, func(cfg *Config) { cfg.MaxRetries = 1 })
	_, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
	re := remoteErr(t, err, remediation.ErrRateLimited)
	if !remediation.IsRetryable(err) {
		t.Error("rate limited is not retryable")
	}
	if re.Status != 429 || re.RequestID != "req-429-2" {
		t.Errorf("status %d request id %q, want 429 and the last attempt's id", re.Status, re.RequestID)
	}
	if re.Err == nil || re.Err.Error() != "too many requests" {
		t.Errorf("underlying error %v, want the SDK's plain error", re.Err)
	}
	if got := len(rec.requests()); got != 2 {
		t.Errorf("%d requests, want 2 (MaxRetries 1)", got)
	}
}

// A 429 without the headers the SDK's retry needs still means "rate limited".
func TestRateLimitedWithoutResetHeaders(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeOktaError(w, 429, "E0000047", "API call exceeded rate limit due to too many requests.", "req-x")
	})
	_, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
	re := remoteErr(t, err, remediation.ErrRateLimited)
	if re.RequestID != "req-x" {
		t.Errorf("request id %q", re.RequestID)
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; returns once the client gives up
	}, func(cfg *Config) { cfg.RequestTimeout = 150 * time.Millisecond })
	start := time.Now()
	_, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
	re := remoteErr(t, err, remediation.ErrTransient)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not unwrap to context.DeadlineExceeded", err)
	}
	if re.Summary != "request timed out" {
		t.Errorf("summary %q", re.Summary)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v: the request timeout was not applied", d)
	}
}

func TestConnectionRefusedIsTransient(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {})
	url := rec.srv.URL
	rec.srv.Close()
	c, err := New(context.Background(), testConfig(url, newFakeTime()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAppUser(context.Background(), "0oa1", "00u1")
	remoteErr(t, err, remediation.ErrTransient)
}

func TestCallerCancelIsNotARemoteError(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetAppUser(ctx, "0oa1", "00u1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v is not context.Canceled", err)
	}
	var re *remediation.RemoteError
	if errors.As(err, &re) {
		t.Errorf("a cancel by the caller became a RemoteError: %v", err)
	}
}

func TestSummaryDropsSDKRequestIDSuffix(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeOktaError(w, 500, "E0000009", "Internal Server Error", "req-500")
	})
	_, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
	re := remoteErr(t, err, remediation.ErrTransient)
	if re.Summary != "Internal Server Error" || re.RequestID != "req-500" {
		t.Errorf("summary %q request id %q", re.Summary, re.RequestID)
	}
}

func TestInvalidIDsAreRefusedWithoutARequest(t *testing.T) {
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	})
	for _, id := range []string{"", "..", "a/b", "x?y", `a"b`} {
		_, err := c.GetAppUser(context.Background(), "0oa1", id)
		remoteErr(t, err, remediation.ErrPermanent)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
