package integration

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// bigWorld is a generated org of a real org's size (oktasim.Generate) on a loopback
// HTTP server, read through the real adapter, with every exchange timed.
type bigWorld struct {
	org  *oktasim.Org
	big  oktasim.BigOrg
	okta *oktaadapter.Client
	rec  *recorder
	url  string
}

func newBigWorld(tb testing.TB, spec oktasim.BigOrgSpec, opts oktasim.Options) *bigWorld {
	tb.Helper()
	opts.Token = token
	org := oktasim.New(opts)
	if spec.SubjectTypeID == "custom" {
		id, err := org.AddUserType("contractor", "Contractor")
		if err != nil {
			tb.Fatal(err)
		}
		spec.SubjectTypeID = id
	}
	big, err := org.Generate(spec)
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	srv := httptest.NewServer(org.Handler())
	tb.Cleanup(func() { srv.Close(); org.Close() })
	w := &bigWorld{org: org, big: big, rec: &recorder{next: http.DefaultTransport}, url: srv.URL}
	w.okta = w.client(tb, oktaadapter.Config{})
	return w
}

// client is one more adapter (a replica) on the same org.
func (w *bigWorld) client(tb testing.TB, cfg oktaadapter.Config) *oktaadapter.Client {
	tb.Helper()
	cfg.OrgURL, cfg.APIToken, cfg.AllowHTTP = w.url, token, true
	cfg.RequestTimeout = 10 * time.Second
	cfg.HTTPClient = &http.Client{Transport: w.rec}
	c, err := oktaadapter.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("oktaadapter.New: %v", err)
	}
	return c
}

// appsCalls counts the exchanges that spend the /api/v1/apps budget.
func (r *recorder) appsCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.ex {
		if x.path == "/api/v1/apps" || strings.HasPrefix(x.path, "/api/v1/apps/") {
			n++
		}
	}
	return n
}

// BenchmarkDiagnoseAtScale measures diagnoses through the real adapter against
// generated orgs of growing size, with 50 ms of latency injected on every Okta call.
// The subject has min(150, apps) assignments, three of which failed their last push
// 29 days ago, behind the sign-in events of the look-back. It reports the Okta calls,
// the calls against the apps budget and the sequential round trips per diagnosis, and
// fails when a failing app is not found.
func BenchmarkDiagnoseAtScale(b *testing.B) {
	type size struct {
		apps, groups, events int
		custom               bool
	}
	var sizes []size
	for _, apps := range []int{10, 1000, 5000} {
		for _, groups := range []int{50, 2000} {
			for _, events := range []int{100, 20000} {
				sizes = append(sizes, size{apps, groups, events, false})
			}
		}
	}
	// A user of a custom type: the only case where the group rules are read.
	sizes = append(sizes, size{1000, 50, 20000, true}, size{1000, 2000, 20000, true})
	for _, sz := range sizes {
		name := fmt.Sprintf("apps=%d/rules=%d/events=%d", sz.apps, sz.groups, sz.events)
		if sz.custom {
			name += "/custom_type"
		}
		spec := oktasim.BigOrgSpec{Apps: sz.apps, Groups: sz.groups, Users: 1000, Assignments: min(150, sz.apps),
			Failing: 3, SignInEvents: sz.events}
		if sz.custom {
			spec.SubjectTypeID = "custom"
		}
		w := newBigWorld(b, spec, oktasim.Options{Limits: oktasim.Limits{Apps: 1e6, Logs: 1e6, Users: 1e6, Other: 1e6}})
		type mode struct {
			mode, app string
			cold      bool // a new replica each time: nothing reused (the group rules)
		}
		modes := []mode{{"one_app", w.big.FailingApps[1], false}, {"all_apps", "", false}}
		if sz.custom {
			modes = append(modes, mode{"one_app_first", w.big.FailingApps[1], true})
		}
		for _, m := range modes {
			b.Run(name+"/"+m.mode, func(b *testing.B) {
				remove := w.org.Inject(oktasim.Fault{Latency: 50 * time.Millisecond})
				defer remove()
				d := &remediation.Diagnoser{Okta: w.okta}
				ctx := context.Background()
				var calls, seq, apps int
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if m.cold {
						b.StopTimer()
						d.Okta = w.client(b, oktaadapter.Config{})
						b.StartTimer()
					}
					w.rec.reset()
					diag, err := d.Diagnose(ctx, w.big.SubjectLogin, m.app)
					if err != nil {
						b.Fatal(err)
					}
					c, s := w.rec.rounds()
					calls, seq, apps = calls+c, seq+s, apps+w.rec.appsCalls()
					want := w.big.FailingApps
					if m.app != "" {
						want = []string{m.app}
					}
					for _, label := range want {
						if !foundFailing(diag, label) {
							b.Fatalf("the failure on %s was not found: %v", label, diag.Findings)
						}
					}
				}
				b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
				b.ReportMetric(float64(apps)/float64(b.N), "apps-calls/op")
				b.ReportMetric(float64(seq)/float64(b.N), "sequential/op")
			})
		}
	}
}

func foundFailing(d remediation.Diagnosis, label string) bool {
	for _, f := range d.Findings {
		if f.App != nil && f.App.Label == label && f.Code == remediation.StaleExternalID {
			return true
		}
	}
	return false
}

// scaledClock runs time faster than real time by a factor, for the org and the
// replicas alike, so that minutes of rate-limit windows pass in seconds while
// concurrent waiters still wait together.
type scaledClock struct {
	start, real time.Time
	factor      float64
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

// BenchmarkConcurrentDiagnoses starts 200 one-app diagnoses at once, spread over two
// replicas sharing their Okta budgets in one real Redis, against an org (1,000 apps,
// 2,000 sign-in events: the simulator's own cost must stay small against the
// compressed clock) with Okta's default budgets (apps 100, logs 120, users 600 per
// minute). Time runs 20 times faster than real time for the org and the replicas, so
// the minutes the budgets impose pass in seconds; latency is 50 ms of that time. It
// reports the 429s drawn (must be 0) and the simulated minutes until the last
// diagnosis answered.
func BenchmarkConcurrentDiagnoses(b *testing.B) {
	_, client := redistest.Start(b)
	const factor = 20
	for i := 0; i < b.N; i++ {
		clock := &scaledClock{start: time.Now().UTC(), real: time.Now(), factor: factor}
		w := newBigWorld(b, oktasim.BigOrgSpec{Apps: 1000, Groups: 50, Users: 1000, Assignments: 150, Failing: 3, SignInEvents: 2000},
			oktasim.Options{Clock: clock.Now})
		budgets := storage.NewRedisBudgets(client, fmt.Sprintf("bench%d:", i))
		var mu sync.Mutex
		var longWaits int
		replica := func() *oktaadapter.Client {
			return w.client(b, oktaadapter.Config{Budgets: budgets, Clock: clock.Now, Sleep: clock.Sleep, Logger: slog.New(slog.DiscardHandler),
				OnRateWait: func(context.Context, string, time.Duration) { mu.Lock(); longWaits++; mu.Unlock() }})
		}
		replicas := []*oktaadapter.Client{replica(), replica()}
		remove := w.org.Inject(oktasim.Fault{Latency: 50 * time.Millisecond / factor})
		w.org.ResetRequests()
		start := clock.Now()
		var wg sync.WaitGroup
		var last time.Time
		errs := make(chan error, 200)
		for n := 0; n < 200; n++ {
			d := &remediation.Diagnoser{Okta: replicas[n%2], Clock: clock.Now}
			app := w.big.FailingApps[n%len(w.big.FailingApps)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				diag, err := d.Diagnose(context.Background(), w.big.SubjectLogin, app)
				if err == nil && !foundFailing(diag, app) {
					err = fmt.Errorf("the failure on %s was not found", app)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if now := clock.Now(); now.After(last) {
					last = now
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		remove()
		close(errs)
		n429 := 0
		for _, r := range w.org.Requests() {
			if r.Status == http.StatusTooManyRequests {
				n429++
			}
		}
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n429), "429s")
		b.ReportMetric(last.Sub(start).Minutes(), "sim-minutes-to-last")
		b.ReportMetric(float64(longWaits), "long-waits")
		b.ReportMetric(float64(w.org.RequestCount()), "okta-calls")
		if n429 != 0 {
			b.Errorf("%d requests drew a 429", n429)
		}
	}
}
