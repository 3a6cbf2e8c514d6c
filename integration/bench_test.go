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
			if _, err := d.Diagnose(ctx, sc.UserLogin, app); err != nil { // warms the app cache
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
