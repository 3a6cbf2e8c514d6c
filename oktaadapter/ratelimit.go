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

// defaultLimits are Okta's default per-minute budgets (DESIGN §3), assumed for a
// bucket until Okta's headers say what the org's are, so that replicas starting
// together do not burst past them. "other" (user types, group rules) takes the
// smallest, to be safe.
var defaultLimits = map[string]int{BucketApps: 100, BucketLogs: 120, BucketUsers: 600, BucketOther: 100}

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

// BudgetStore shares Okta's rate budgets between replicas (storage.RedisBudgets).
// Take reserves one request of bucket at now and returns 0 to go, or how long to wait
// for the window's reset when going would leave less than headroom × limit (assume is
// the per-minute limit to assume while Okta has said nothing of the bucket); Observe
// records what Okta's X-Rate-Limit-* headers said: window is X-Rate-Limit-Reset as
// sent (it names Okta's window alike for every replica), reset the same instant on
// the local clock.
type BudgetStore interface {
	Take(ctx context.Context, bucket string, now time.Time, assume int, headroom float64) (time.Duration, error)
	Observe(ctx context.Context, bucket string, limit, remaining int, window int64, reset, now time.Time) error
}

// limiter paces requests per bucket: on the budgets shared through store when there is
// one, else on what this process's responses said.
type limiter struct {
	headroom float64
	clock    func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
	store    BudgetStore // nil: this process only
	onWait   func(ctx context.Context, bucket string, wait time.Duration)
	longWait time.Duration

	mu      sync.Mutex
	buckets map[string]BucketState
}

func newLimiter(cfg Config) *limiter {
	return &limiter{headroom: cfg.RateLimitHeadroom, clock: cfg.Clock, sleep: cfg.Sleep, log: cfg.Logger,
		store: cfg.Budgets, onWait: cfg.OnRateWait, longWait: cfg.LongRateWait, buckets: map[string]BucketState{}}
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
func (l *limiter) wait(ctx context.Context, bucket string) error {
	if l.headroom < 0 {
		return nil
	}
	if l.store == nil {
		return l.waitLocal(ctx, bucket)
	}
	for {
		d, err := l.store.Take(ctx, bucket, l.clock(), defaultLimits[bucket], l.headroom)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The store is down: pace on what this process saw rather than stop.
			l.log.WarnContext(ctx, "okta budget store unavailable, pacing on this replica's view",
				"bucket", bucket, "error", err.Error())
			return l.waitLocal(ctx, bucket)
		}
		if d <= 0 {
			return nil
		}
		if err := l.pause(ctx, bucket, min(d, maxPace), "shared"); err != nil {
			return err
		}
	}
}

// waitLocal paces on this process's view of the bucket.
func (l *limiter) waitLocal(ctx context.Context, bucket string) error {
	l.mu.Lock()
	st, ok := l.buckets[bucket]
	now := l.clock()
	reserve := int(math.Ceil(float64(st.Limit) * l.headroom))
	if !ok || st.Limit <= 0 || st.Remaining >= reserve || !now.Before(st.Reset) {
		l.mu.Unlock()
		return nil
	}
	d := min(st.Reset.Sub(now), maxPace)
	l.mu.Unlock()
	if err := l.pause(ctx, bucket, d, "local"); err != nil {
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

// pause waits d for bucket's reset, or fails at once when that would outlast ctx's
// deadline; a long wait is announced first.
func (l *limiter) pause(ctx context.Context, bucket string, d time.Duration, view string) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return &pacedError{bucket: bucket, wait: d}
	}
	l.log.InfoContext(ctx, "okta rate limit headroom reached, waiting for the reset",
		"bucket", bucket, "budget", view, "wait", d.String())
	if l.onWait != nil && d >= l.longWait {
		l.onWait(ctx, bucket, d)
	}
	return l.sleep(ctx, d)
}

// observe records the X-Rate-Limit-* headers of a response, here and in the store.
func (l *limiter) observe(ctx context.Context, bucket string, h http.Header) {
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
	l.buckets[bucket] = BucketState{Limit: limit, Remaining: remaining, Reset: resetAt, Updated: now}
	l.mu.Unlock()
	if l.store != nil {
		if err := l.store.Observe(ctx, bucket, limit, remaining, reset, resetAt, now); err != nil && ctx.Err() == nil {
			l.log.WarnContext(ctx, "okta budget not shared", "bucket", bucket, "error", err.Error())
		}
	}
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
	prepaid   string // the bucket whose budget the call already took for its first request
}

// takePrepaid reports whether a request of bucket was already paid for (once).
func (ci *callInfo) takePrepaid(bucket string) bool {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.prepaid != "" && ci.prepaid == bucket {
		ci.prepaid = ""
		return true
	}
	return false
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
	ci, _ := req.Context().Value(callInfoKey{}).(*callInfo)
	// The adapter call paced its first request already; retries and token requests
	// are paced here.
	if ci == nil || !ci.takePrepaid(bucket) {
		if err := t.limiter.wait(req.Context(), bucket); err != nil {
			// RoundTrip must not leave the body unclosed, even when it sends nothing.
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, err
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.limiter.observe(req.Context(), bucket, resp.Header)
	if ci != nil {
		ci.mu.Lock()
		ci.status = resp.StatusCode
		ci.requestID = resp.Header.Get("X-Okta-Request-Id")
		ci.mu.Unlock()
	}
	return resp, nil
}
