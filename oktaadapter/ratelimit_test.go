package oktaadapter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage"
)

func TestBucketFor(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/apps":                         BucketApps,
		"/api/v1/apps/0oa1/users/00u1":         BucketApps,
		"/api/v1/logs":                         BucketLogs,
		"/api/v1/users":                        BucketUsers,
		"/api/v1/users/00u1/groups":            BucketUsers,
		"/api/v1/groups/rules":                 BucketOther,
		"/api/v1/meta/types/user":              BucketOther,
		"/api/v1/appsettings":                  BucketOther,
		"/oauth2/v1/token":                     BucketOther,
		"/api/v1/apps/0oa1/features/USER_PROV": BucketApps,
	} {
		if got := bucketFor(path); got != want {
			t.Errorf("bucketFor(%q) = %q, want %q", path, got, want)
		}
	}
}

// Under the headroom the adapter waits for the bucket's reset (measured against the
// response's Date, so a skewed local clock does not matter), only for that bucket.
func TestRateLimitSlowsDownUnderHeadroom(t *testing.T) {
	serverNow := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // far from the fake clock
	var remaining atomic.Int32
	remaining.Store(50)
	c, rec, ft := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rateLimitHeaders(w, 100, int(remaining.Load()), serverNow, serverNow.Add(30*time.Second))
		switch r.URL.Path {
		case "/api/v1/meta/types/user":
			writeJSON(w, 200, []any{})
		default:
			writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
		}
	})
	ctx := context.Background()
	get := func() {
		t.Helper()
		if _, err := c.GetAppUser(ctx, "0oa1", "00u1"); err != nil {
			t.Fatal(err)
		}
	}
	get()
	get()
	if s := ft.Sleeps(); len(s) != 0 {
		t.Fatalf("waited %v with 50%% of the budget left", s)
	}
	st := c.RateLimit().Buckets[BucketApps]
	if st.Limit != 100 || st.Remaining != 50 || !st.Reset.Equal(ft.Now().Add(30*time.Second)) {
		t.Errorf("state %+v (now %v)", st, ft.Now())
	}

	remaining.Store(9) // under 10% of 100
	get()              // learns the low budget
	if s := ft.Sleeps(); len(s) != 0 {
		t.Fatalf("waited before knowing: %v", s)
	}
	// Another bucket is not slowed down.
	if _, err := c.ListUserTypes(ctx); err != nil {
		t.Fatal(err)
	}
	if s := ft.Sleeps(); len(s) != 0 {
		t.Fatalf("another bucket waited: %v", s)
	}
	remaining.Store(99)
	get() // waits for the reset first
	if s := ft.Sleeps(); len(s) != 1 || s[0] != 30*time.Second {
		t.Fatalf("sleeps %v, want one of 30s", s)
	}
	get()
	if s := ft.Sleeps(); len(s) != 1 {
		t.Fatalf("waited again with a fresh budget: %v", s)
	}
	if n := rec.count("GET", "/api/v1/apps/0oa1/users/00u1"); n != 5 {
		t.Errorf("%d requests", n)
	}
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	serverNow := time.Now()
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rateLimitHeaders(w, 100, 1, serverNow, serverNow.Add(40*time.Second))
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	}, func(cfg *Config) { cfg.Sleep = sleepCtx; cfg.Clock = time.Now })
	if _, err := c.GetAppUser(context.Background(), "0oa1", "00u1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.GetAppUser(ctx, "0oa1", "00u1")
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pacing wait ignored the cancelled context")
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d requests, want only the first", n)
	}
}

// A deadline that expires while the SDK waits out a 429 is reported as rate limiting.
func TestDeadlineDuring429BackoffIsRateLimited(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		rateLimitHeaders(w, 100, 0, now, now.Add(30*time.Second))
		writeOktaError(w, 429, "E0000047", "API call exceeded rate limit due to too many requests.", "r429")
	}, func(cfg *Config) { cfg.RequestTimeout = 200 * time.Millisecond; cfg.MaxBackoff = 5 * time.Second })
	_, err := c.GetAppUser(context.Background(), "0oa1", "00u1")
	re := remoteErr(t, err, remediation.ErrRateLimited)
	if re.RequestID != "r429" {
		t.Errorf("request id %q", re.RequestID)
	}
}

// The pacing wait happens before the request timeout starts (a minute-long window would
// use up a 30s timeout), and a caller deadline sooner than the reset fails at once.
func TestRateLimitWaitIsOutsideTheRequestTimeout(t *testing.T) {
	serverNow := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var sawDeadline []bool
	c, rec, ft := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rateLimitHeaders(w, 100, 2, serverNow, serverNow.Add(45*time.Second))
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	}, func(cfg *Config) { cfg.RequestTimeout = 100 * time.Millisecond })
	c.limiter.sleep = func(ctx context.Context, d time.Duration) error {
		_, ok := ctx.Deadline()
		sawDeadline = append(sawDeadline, ok)
		return ft.Sleep(ctx, d)
	}
	ctx := context.Background()
	for range 2 {
		if _, err := c.GetAppUser(ctx, "0oa1", "00u1"); err != nil {
			t.Fatal(err)
		}
	}
	if len(sawDeadline) != 1 || sawDeadline[0] {
		t.Errorf("pacing waits %v (true: inside the request timeout)", sawDeadline)
	}

	// Exhausted again; the caller cannot wait 45s.
	if _, err := c.GetAppUser(ctx, "0oa1", "00u1"); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n := len(rec.requests())
	_, err := c.GetAppUser(dctx, "0oa1", "00u1")
	re := remoteErr(t, err, remediation.ErrRateLimited)
	if !strings.Contains(re.Summary, "resets in 45s") {
		t.Errorf("summary %q", re.Summary)
	}
	if len(rec.requests()) != n {
		t.Error("a request was sent")
	}
	if bucketOfOp("GET /api/v1/apps?filter=user.id&expand=user") != BucketApps ||
		bucketOfOp("POST /api/v1/apps/{appId}/users/{userId} scope") != BucketApps ||
		bucketOfOp("GET /api/v1/logs") != BucketLogs || bucketOfOp("GET /api/v1/meta/types/user") != BucketOther {
		t.Error("bucketOfOp")
	}
}

// TestSharedBudgets: two replicas (clients) sharing one budget store against one org
// never draw a 429, however many calls they make at once; a long wait is announced.
func TestSharedBudgets(t *testing.T) {
	budgets := storage.NewMemoryBudgets()
	var mu sync.Mutex
	var waits []time.Duration
	shared := func(cfg *Config) {
		cfg.Budgets = budgets
		cfg.OnRateWait = func(_ context.Context, bucket string, d time.Duration) {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
		}
	}
	// Time runs 120 times faster than real time, for the org and both replicas alike:
	// a wait for a one-minute window takes half a second.
	sc := newScaledClock(120)
	scaled := func(cfg *Config) {
		shared(cfg)
		cfg.Clock, cfg.Sleep = sc.Now, sc.Sleep
	}
	e := newSimEnv(t, oktasim.Options{Limits: oktasim.Limits{Apps: 20}, Clock: sc.Now}, scaled)
	cfg := testConfig(e.url, e.ft)
	cfg.APIToken = simToken
	scaled(&cfg)
	second, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app, user := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")
	// One call each, so that the budget is known.
	for _, c := range []*Client{e.c, second} {
		if _, err := c.GetAppUser(ctx, app, user); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		c := e.c
		if i%2 == 1 {
			c = second
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetAppUser(ctx, app, user); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n429 := 0
	for _, r := range e.org.Requests() {
		if r.Status == http.StatusTooManyRequests {
			n429++
		}
	}
	if n429 != 0 {
		t.Errorf("%d requests drew a 429", n429)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) == 0 {
		t.Error("no long wait was announced")
	}
}

// scaledClock runs faster than real time by a factor, so that tests of one-minute rate
// windows take a fraction of a second while concurrent waiters still wait together.
type scaledClock struct {
	start  time.Time
	real   time.Time
	factor float64
}

func newScaledClock(factor float64) *scaledClock {
	return &scaledClock{start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), real: time.Now(), factor: factor}
}

func (c *scaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.real)) * c.factor))
}

func (c *scaledClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(time.Duration(float64(d) / c.factor))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
