package integration

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// BenchmarkBulkFix500 fixes 500 users of one app with reset_external_id in one bulk run
// at Okta's default rate-limit budgets (apps 100 a minute), the engine on a real
// redis-server and the Okta adapter pacing itself. It reports the total time, the
// longest provisioning-off window (from the end of a batch's PUT that pauses it to the
// end of the PUT that restores it), the answers 429, the Okta calls, and the peak heap
// in use while the run went on (the process also holds the simulated org: an upper
// bound for the engine). It takes about half an hour, so it runs only when asked for
// (make bench-bulk; BULK_BENCH_USERS=30 for a quicker look).
func BenchmarkBulkFix500(b *testing.B) {
	if os.Getenv("BULK_BENCH") == "" && os.Getenv("BULK_BENCH_USERS") == "" {
		b.Skip("about half an hour at Okta's default budgets: run it with make bench-bulk")
	}
	for i := 0; i < b.N; i++ {
		_, client := redistest.Start(b)
		r := redisRig(b, client)
		r.world = newWorld(b) // Okta's default budgets
		r.policy.Bulk = remediation.BulkRules{}
		e := r.engine(b, "A")
		in := r.staleIncident(b, "bench", benchUsers(b))
		r.org.ResetRequests()
		r.rec.reset()
		run := r.proposeBulk(b, e, in)
		r.approveAll(b, e, run.ID)

		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		start := time.Now()
		b.ResetTimer()
		run = r.settle(b, e, run.ID)
		b.StopTimer()
		total := time.Since(start)
		close(stop)
		wg.Wait()
		if run.State != remediation.StateSucceeded {
			b.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
		}
		calls, _ := r.rec.rounds()
		b.ReportMetric(total.Seconds(), "total-s")
		b.ReportMetric(r.rec.longestOff(in.App.ID).Seconds(), "longest-off-s")
		b.ReportMetric(float64(r.tooMany()), "429s")
		b.ReportMetric(float64(calls), "okta-calls")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.Logf("%d users: %s in total, %d batches, longest provisioning-off window %s, %d answers 429, %d Okta calls, peak heap in use %.1f MiB",
			len(in.Users), total.Round(time.Second), run.Bulk.Batches, r.rec.longestOff(in.App.ID).Round(time.Millisecond), r.tooMany(), calls, float64(peak)/(1<<20))
	}
}

// benchUsers is the users of BenchmarkBulkFix500: 500, or BULK_BENCH_USERS for a
// quicker look.
func benchUsers(b *testing.B) int {
	if v := os.Getenv("BULK_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("BULK_BENCH_USERS=%q: want a number of users", v)
		}
		return n
	}
	return 500
}

// longestOff is the longest time between the end of a PUT to the app's
// USER_PROVISIONING that turned it off and the end of the next one (the restore).
func (r *recorder) longestOff(appID string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	path := "/api/v1/apps/" + appID + "/features/USER_PROVISIONING"
	var longest time.Duration
	var off *exchange
	for i, x := range r.ex {
		if x.method != "PUT" || x.path != path {
			continue
		}
		if off == nil {
			off = &r.ex[i]
			continue
		}
		longest = max(longest, x.end.Sub(off.end))
		off = nil
	}
	return longest
}
