package integration

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// BenchmarkRedisMemory measures what the store keeps in Redis: one real fix (fix 2,
// reset_external_id, through the engine against the simulated org) key by key with
// MEMORY USAGE; then, to see the marginal cost at scale, that fix's run and audit
// events written again 2,000 times (distinct users) and 2,000 diagnoses, from the
// growth of INFO memory used_memory; then what retention leaves once all of it is past
// OKTA_CHATOPS_RETENTION. Run once:
//
//	go test -run '^$' -bench RedisMemory -benchtime 1x ./integration/
func BenchmarkRedisMemory(b *testing.B) {
	_, client := redistest.Start(b)
	ctx := context.Background()
	for range b.N {
		clock := testclock.New(time.Now().UTC())
		one := storage.NewRedis(client, storage.RedisOptions{Prefix: "mem-one:", Clock: clock.Now})
		r := newRigWith(b, one, one, clock)
		e := r.engine(b, "A")
		run := r.propose(b, e, "stale_external_id", remediation.PlanResetExternalID)
		r.approve(b, e, run.ID)
		run = r.settle(b, e, run.ID)
		if run.State != remediation.StateSucceeded {
			b.Fatalf("state %s: %s", run.State, run.Error)
		}
		perKey := keyUsage(ctx, b, client, "mem-one:")
		entries, err := one.Audit(ctx, time.Time{}, 0)
		if err != nil {
			b.Fatal(err)
		}
		var fixBytes int64
		var lines []string
		for k, n := range perKey {
			fixBytes += n
			lines = append(lines, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "mem-one:"), n))
		}
		b.Logf("one fix: %d audit entries, %d keys, %d bytes by MEMORY USAGE: %s", len(entries), len(perKey), fixBytes, strings.Join(lines, " "))

		// The marginal cost: the same run and events, again and again.
		const n = 2000
		scale := storage.NewRedis(client, storage.RedisOptions{Prefix: "mem-scale:", Clock: clock.Now})
		before := usedMemory(ctx, b, client)
		start := time.Now().UTC().Add(-200 * 24 * time.Hour)
		for i := range n {
			c := run
			c.ID = fmt.Sprintf("run-%06d", i)
			c.Target.UserID = fmt.Sprintf("00u%017d", i)
			c.CreatedAt, c.UpdatedAt = start.Add(time.Duration(i)*time.Second), start.Add(time.Duration(i)*time.Second+time.Minute)
			evs := make([]remediation.AuditEvent, 0, len(entries))
			for _, en := range entries {
				ev := en.Event
				ev.RunID, ev.UserID, ev.At = c.ID, c.Target.UserID, c.CreatedAt
				evs = append(evs, ev)
			}
			if err := scale.CreateRun(ctx, &c, evs...); err != nil {
				b.Fatal(err)
			}
		}
		afterFixes := usedMemory(ctx, b, client)
		for i := range n {
			ev := remediation.AuditEvent{Type: remediation.AuditDiagnosed, At: start.Add(time.Duration(n+i) * time.Second),
				Actor: "U0HELPDESK1", UserID: fmt.Sprintf("00u%017d", i), AppID: run.Target.AppID,
				Codes: []remediation.Code{"STALE_EXTERNAL_ID", "CUSTOM_USER_TYPE"}, Detail: "in channel C0OPS00001"}
			if err := scale.Append(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
		afterDiag := usedMemory(ctx, b, client)
		perFix := float64(afterFixes-before) / n
		perDiag := float64(afterDiag-afterFixes) / n

		// Retention: everything above is older than 90 days.
		cutoff := time.Now().Add(-90 * 24 * time.Hour)
		runs, err := scale.TrimRuns(ctx, cutoff)
		if err != nil || runs != n {
			b.Fatalf("TrimRuns = %d, %v", runs, err)
		}
		if _, err := scale.TrimAudit(ctx, cutoff, ""); err != nil {
			b.Fatal(err)
		}
		afterTrim := usedMemory(ctx, b, client)
		left := keyUsage(ctx, b, client, "mem-scale:")

		// 50 fixes an hour, 4 diagnoses per fix, kept 90 days.
		const fixes = 50 * 24 * 90
		steady := fixes*perFix + 4*fixes*perDiag
		b.Logf("at scale: %.0f bytes per fix, %.0f per diagnosis; after retention %d bytes left of %d (keys left: %v)",
			perFix, perDiag, afterTrim-before, afterDiag-before, left)
		b.Logf("steady state, 50 fixes + 200 diagnoses an hour kept 90 days (%d fixes): %.0f MiB", fixes, steady/(1<<20))
		b.ReportMetric(float64(fixBytes), "bytes/fix(one)")
		b.ReportMetric(perFix, "bytes/fix")
		b.ReportMetric(perDiag, "bytes/diagnosis")
		b.ReportMetric(steady/(1<<20), "MiB-steady")
		b.ReportMetric(float64(afterTrim-before), "bytes-left-after-retention")
	}
}

// keyUsage is MEMORY USAGE (all samples) of every key under prefix.
func keyUsage(ctx context.Context, tb testing.TB, c *redis.Client, prefix string) map[string]int64 {
	tb.Helper()
	out := map[string]int64{}
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		n, err := c.MemoryUsage(ctx, iter.Val(), 0).Result()
		if err != nil {
			tb.Fatal(err)
		}
		out[iter.Val()] = n
	}
	if err := iter.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// usedMemory is INFO memory's used_memory.
func usedMemory(ctx context.Context, tb testing.TB, c *redis.Client) int64 {
	tb.Helper()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no used_memory in INFO memory")
	return 0
}
