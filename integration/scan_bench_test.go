package integration

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// scanWorld is a generated app of users users (100 failing in four ways) in an org
// with Okta's default budgets (apps 100, logs 120, users 600 per minute), read through
// the real adapter.
func scanWorld(tb testing.TB, users int) (*bigWorld, oktasim.BigApp) {
	tb.Helper()
	w := newBigWorld(tb, oktasim.BigOrgSpec{}, oktasim.Options{})
	big, err := w.org.GenerateApp(oktasim.BigAppSpec{Label: "Big Zoom", Users: users, Stale: 50, Conflict: 25, Unknown: 15, Suspended: 10})
	if err != nil {
		tb.Fatal(err)
	}
	return w, big
}

// scanOnce scans the app with latency injected and checks every failing user is
// found with the right code and no healthy user is reported.
func scanOnce(tb testing.TB, w *bigWorld, big oktasim.BigApp, users int) remediation.ScanResult {
	tb.Helper()
	res, err := (&remediation.Scanner{Okta: w.okta}).Scan(context.Background(), "Big Zoom", nil)
	if err != nil {
		tb.Fatal(err)
	}
	want := map[string]remediation.Code{"stale": remediation.StaleExternalID, "conflict": remediation.SaaSAccountConflict,
		"unknown": remediation.SyncErrorOther, "suspended": remediation.OktaUserNotActive}
	if res.Checked != users || len(res.Failing) != len(big.Failing) {
		tb.Fatalf("checked %d of %d, %d failing of %d: %v", res.Checked, users, len(res.Failing), len(big.Failing), res.Counts)
	}
	for _, f := range res.Failing {
		if kind := big.Failing[f.User.ID]; want[kind] != f.Code {
			tb.Fatalf("%s (%q) reported as %s", f.User.Login, kind, f.Code)
		}
	}
	return res
}

func count429(org *oktasim.Org) int {
	n := 0
	for _, r := range org.Requests() {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

// A scan of 10,000 assigned users stays within the default budgets: 20 pages of 500,
// one System Log query for the failures and one for the last success, the app's
// settings once, and no call per user; no 429.
func TestScanTenThousandUsersWithinDefaultBudgets(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 users")
	}
	w, big := scanWorld(t, 10000)
	remove := w.org.Inject(oktasim.Fault{Latency: 10 * time.Millisecond})
	defer remove()
	w.org.ResetRequests()
	scanOnce(t, w, big, 10000)
	calls, _ := w.rec.rounds()
	if n := count429(w.org); n != 0 {
		t.Errorf("%d requests drew a 429", n)
	}
	if apps := w.rec.appsCalls(); calls > 30 || apps > 25 {
		t.Errorf("%d Okta calls, %d of the apps budget", calls, apps)
	}
}

// BenchmarkScan10k scans an app of 10,000 assigned users (100 failing: 50 stale
// external IDs, 25 conflicts, 15 unknown errors, 10 suspended users) through the real
// adapter at Okta's default budgets, with 50 ms of latency on every call. It reports
// the Okta calls, those of the apps budget, the sequential round trips and the 429s.
func BenchmarkScan10k(b *testing.B) {
	w, big := scanWorld(b, 10000)
	remove := w.org.Inject(oktasim.Fault{Latency: 50 * time.Millisecond})
	defer remove()
	var calls, seq, apps, n429 int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.rec.reset()
		w.org.ResetRequests()
		scanOnce(b, w, big, 10000)
		c, s := w.rec.rounds()
		calls, seq, apps, n429 = calls+c, seq+s, apps+w.rec.appsCalls(), n429+count429(w.org)
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(apps)/float64(b.N), "apps-calls/op")
	b.ReportMetric(float64(seq)/float64(b.N), "sequential/op")
	b.ReportMetric(float64(n429)/float64(b.N), "429s/op")
	if n429 != 0 {
		b.Errorf("%d requests drew a 429", n429)
	}
}
