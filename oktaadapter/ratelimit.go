package oktaadapter

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate-limit buckets. Okta budgets requests per endpoint family and minute; these are
// the families the adapter calls (Okta's default budgets: apps 100, logs 120, users 600 per minute).
const (
	BucketApps  = "apps"
	BucketLogs  = "logs"
	BucketUsers = "users"
	BucketOther = "other"
)

// maxPace caps one pacing wait: Okta's windows are a minute, so a longer wait means a
// clock or header we should not trust.
const maxPace = 90 * time.Second

// BucketState is what the last response of a bucket said about its budget.
type BucketState struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`   // when the window resets, on the local clock
	Updated   time.Time `json:"updated"` // when these headers were seen
}

// RateLimitState is the last seen budget per bucket (BucketApps, BucketLogs, …).
type RateLimitState struct {
	Buckets map[string]BucketState `json:"buckets"`
}

// bucketOfOp is the bucket of an operation named "METHOD /path…" (the adapter's op
// names), so a call can wait for its budget before its request timeout starts.
func bucketOfOp(op string) string {
	_, path, _ := strings.Cut(op, " ")
	if i := strings.IndexAny(path, " ?"); i >= 0 {
		path = path[:i]
	}
	return bucketFor(path)
}

func bucketFor(path string) string {
	switch {
	case path == "/api/v1/apps" || strings.HasPrefix(path, "/api/v1/apps/"):
		return BucketApps
	case path == "/api/v1/logs" || strings.HasPrefix(path, "/api/v1/logs/"):
		return BucketLogs
	case path == "/api/v1/users" || strings.HasPrefix(path, "/api/v1/users/"):
		return BucketUsers
	default:
		return BucketOther
	}
}

// limiter keeps the budgets of one process. Cross-replica budgets are a later concern.
type limiter struct {
	headroom float64
	clock    func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger

	mu      sync.Mutex
	buckets map[string]BucketState
}

func newLimiter(headroom float64, clock func() time.Time, sleep func(context.Context, time.Duration) error, log *slog.Logger) *limiter {
	return &limiter{headroom: headroom, clock: clock, sleep: sleep, log: log, buckets: map[string]BucketState{}}
}

// pacedError says that waiting for the bucket's reset would outlast ctx's deadline, so
// the adapter gives up at once instead of sleeping into a timeout.
type pacedError struct {
	bucket string
	wait   time.Duration
}

func (e *pacedError) Error() string {
	return fmt.Sprintf("okta %s rate-limit budget exhausted; it resets in %s, after the deadline", e.bucket, e.wait)
}

// wait blocks until the bucket may be used: when its remaining budget is under the
// headroom and the window has not reset yet, it waits for the reset.
func (l *limiter) wait(ctx context.Context, bucket string) error { return l.waitFor(ctx, bucket, 0) }

// waitFor is wait for a caller about to make need more calls in a row: it also waits
// for the reset when they would not fit above the headroom in this window (when they
// cannot fit in any window, it waits for a fresh one).
func (l *limiter) waitFor(ctx context.Context, bucket string, need int) error {
	if l.headroom < 0 {
		return nil
	}
	l.mu.Lock()
	st, ok := l.buckets[bucket]
	now := l.clock()
	reserve := int(math.Ceil(float64(st.Limit) * l.headroom))
	need = min(max(need, 0), st.Limit-reserve)
	if !ok || st.Limit <= 0 || st.Remaining-need >= reserve || !now.Before(st.Reset) {
		l.mu.Unlock()
		return nil
	}
	d := min(st.Reset.Sub(now), maxPace)
	l.mu.Unlock()
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return &pacedError{bucket: bucket, wait: d}
	}

	l.log.InfoContext(ctx, "okta rate limit headroom reached, waiting for the reset",
		"bucket", bucket, "limit", st.Limit, "remaining", st.Remaining, "wait", d.String())
	if err := l.sleep(ctx, d); err != nil {
		return err
	}

	// The window has reset: assume the full budget until the next response says
	// otherwise, so that the requests which waited together do not wait again.
	l.mu.Lock()
	if cur := l.buckets[bucket]; cur.Reset.Equal(st.Reset) {
		cur.Remaining = cur.Limit
		l.buckets[bucket] = cur
	}
	l.mu.Unlock()
	return nil
}

// observe records the X-Rate-Limit-* headers of a response.
func (l *limiter) observe(bucket string, h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return
	}
	now := l.clock()
	// X-Rate-Limit-Reset is an epoch second on Okta's clock. Measured against the Date
	// header of the same response it does not depend on our clock being in sync.
	resetAt := time.Unix(reset, 0)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		resetAt = now.Add(time.Unix(reset, 0).Sub(date))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets[bucket] = BucketState{Limit: limit, Remaining: remaining, Reset: resetAt, Updated: now}
}

func (l *limiter) state() RateLimitState {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := RateLimitState{Buckets: make(map[string]BucketState, len(l.buckets))}
	for k, v := range l.buckets {
		s.Buckets[k] = v
	}
	return s
}

// callInfo collects what the transport saw during one adapter call, for the errors the
// SDK returns without the response (its plain "too many requests", timeouts).
type callInfo struct {
	mu        sync.Mutex
	status    int
	requestID string
}

type callInfoKey struct{}

func withCallInfo(ctx context.Context) (context.Context, *callInfo) {
	ci := &callInfo{}
	return context.WithValue(ctx, callInfoKey{}, ci), ci
}

func (ci *callInfo) get() (int, string) {
	if ci == nil {
		return 0, ""
	}
	ci.mu.Lock()
	defer ci.mu.Unlock()
	return ci.status, ci.requestID
}

// transport paces requests per bucket and records rate-limit headers and request ids.
type transport struct {
	next    http.RoundTripper
	limiter *limiter
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bucket := bucketFor(req.URL.Path)
	if err := t.limiter.wait(req.Context(), bucket); err != nil {
		// RoundTrip must not leave the body unclosed, even when it sends nothing.
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.limiter.observe(bucket, resp.Header)
	if ci, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
		ci.mu.Lock()
		ci.status = resp.StatusCode
		ci.requestID = resp.Header.Get("X-Okta-Request-Id")
		ci.mu.Unlock()
	}
	return resp, nil
}
