package integration

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

const token = "integration-test-token"

// world is the seeded simulated org on a loopback HTTP server and an adapter on the
// real SDK pointed at it, with every HTTP exchange timed.
type world struct {
	org  *oktasim.Org
	okta *oktaadapter.Client
	rec  *recorder
}

func newWorld(tb testing.TB, tweaks ...func(*oktasim.Options)) *world {
	tb.Helper()
	opts := oktasim.Options{Token: token}
	for _, t := range tweaks {
		t(&opts)
	}
	org, err := oktasim.NewSeeded(opts)
	if err != nil {
		tb.Fatalf("NewSeeded: %v", err)
	}
	srv := httptest.NewServer(org.Handler())
	tb.Cleanup(func() { srv.Close(); org.Close() })
	rec := &recorder{next: http.DefaultTransport}
	okta, err := oktaadapter.New(context.Background(), oktaadapter.Config{
		OrgURL: srv.URL, APIToken: token, AllowHTTP: true,
		RequestTimeout: 10 * time.Second,
		HTTPClient:     &http.Client{Transport: rec},
	})
	if err != nil {
		tb.Fatalf("oktaadapter.New: %v", err)
	}
	return &world{org: org, okta: okta, rec: rec}
}

// recorder times every HTTP exchange, so a test can tell how many of them ran one
// after the other.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	ex   []exchange
}

type exchange struct {
	method, path string
	start, end   time.Time
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := r.next.RoundTrip(req)
	end := time.Now()
	r.mu.Lock()
	r.ex = append(r.ex, exchange{method: req.Method, path: req.URL.Path, start: start, end: end})
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.ex = nil
	r.mu.Unlock()
}

// rounds returns how many exchanges were made and the length of the longest chain of
// exchanges each of which started after the previous one ended: the sequential round
// trips a caller waited for.
func (r *recorder) rounds() (calls, sequential int) {
	r.mu.Lock()
	ex := append([]exchange(nil), r.ex...)
	r.mu.Unlock()
	sort.Slice(ex, func(i, j int) bool { return ex[i].start.Before(ex[j].start) })
	depth := make([]int, len(ex))
	for i := range ex {
		depth[i] = 1
		for j := 0; j < i; j++ {
			if !ex[j].end.After(ex[i].start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		sequential = max(sequential, depth[i])
	}
	return len(ex), sequential
}
