package integration

import (
	"context"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// BenchmarkDiagnose measures one diagnosis with 50 ms of latency injected on every
// simulated Okta call, as an org across the internet would answer. It reports the
// sequential round trips the caller waited for and the calls made per diagnosis.
func BenchmarkDiagnose(b *testing.B) {
	for _, bc := range []struct{ name, app string }{{"one_app", "Zoom"}, {"all_apps", ""}} {
		b.Run(bc.name, func(b *testing.B) {
			// Budgets large enough that the adapter's pacing never waits for a reset.
			w := newWorld(b, func(o *oktasim.Options) { o.Limits = oktasim.Limits{Apps: 1e6, Logs: 1e6, Users: 1e6, Other: 1e6} })
			sc := oktasim.Scenarios()[0]
			for _, s := range oktasim.Scenarios() {
				if s.Name == "stale_external_id" {
					sc = s
				}
			}
			app := bc.app
			if app != "" {
				app = sc.AppLabel
			}
			remove := w.org.Inject(oktasim.Fault{Latency: 50 * time.Millisecond})
			defer remove()
			d := &remediation.Diagnoser{Okta: w.okta}
			ctx := context.Background()
			if _, err := d.Diagnose(ctx, sc.UserLogin, app); err != nil { // warms the connections
				b.Fatal(err)
			}
			var calls, seq int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.rec.reset()
				if _, err := d.Diagnose(ctx, sc.UserLogin, app); err != nil {
					b.Fatal(err)
				}
				c, s := w.rec.rounds()
				calls += c
				seq += s
			}
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
			b.ReportMetric(float64(seq)/float64(b.N), "sequential/op")
		})
	}
}

// BenchmarkProvisioningOffWindow runs fix 2 (reset_external_id) with 50 ms of latency
// on every simulated Okta call and reports how long provisioning stays off (from the
// end of the PUT that disables it to the end of the PUT that restores it) and how many
// Okta round trips happen in that window, restore included.
func BenchmarkProvisioningOffWindow(b *testing.B) {
	benchBackends(b, func(b *testing.B, newRig func(tb testing.TB) *rig) {
		var window time.Duration
		var trips int
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			r := newRig(b)
			e := r.engine(b, "A")
			run := r.propose(b, e, "stale_external_id", remediation.PlanResetExternalID)
			r.approve(b, e, run.ID)
			remove := r.org.Inject(oktasim.Fault{Latency: 50 * time.Millisecond})
			r.rec.reset()
			b.StartTimer()
			run = r.settle(b, e, run.ID)
			b.StopTimer()
			remove()
			if run.State != remediation.StateSucceeded {
				b.Fatalf("state %s: %s", run.State, run.Error)
			}
			w, n := r.rec.offWindow(run.Target.AppID)
			window += w
			trips += n
		}
		b.ReportMetric(float64(window.Milliseconds())/float64(b.N), "off-ms/op")
		b.ReportMetric(float64(trips)/float64(b.N), "off-roundtrips/op")
	})
}

// offWindow finds the two PUTs to the app's USER_PROVISIONING (off, then restore) and
// returns the time between the end of the first and the end of the second, and the
// exchanges that started in between (the restore included).
func (r *recorder) offWindow(appID string) (time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	path := "/api/v1/apps/" + appID + "/features/USER_PROVISIONING"
	var puts []exchange
	for _, x := range r.ex {
		if x.method == "PUT" && x.path == path {
			puts = append(puts, x)
		}
	}
	if len(puts) < 2 {
		return 0, 0
	}
	off, on := puts[0], puts[1]
	n := 0
	for _, x := range r.ex {
		if !x.start.Before(off.end) && !x.end.After(on.end) {
			n++
		}
	}
	return on.end.Sub(off.end), n
}
