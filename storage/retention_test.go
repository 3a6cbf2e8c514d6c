package storage

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// retainer is what retention needs of a store; both stores have it.
type retainer interface {
	remediation.Store
	TrimRuns(ctx context.Context, before time.Time) (int, error)
	TrimAudit(ctx context.Context, before time.Time, upTo string) (int, error)
	AuditAnchor(ctx context.Context) (Anchor, error)
}

func TestRetention(t *testing.T) {
	_, client := redistest.Start(t)
	for name, open := range map[string]func(t *testing.T, clock *testclock.Clock) retainer{
		"memory": func(t *testing.T, clock *testclock.Clock) retainer { return NewMemory(MemoryOptions{Clock: clock.Now}) },
		"redis": func(t *testing.T, clock *testclock.Clock) retainer {
			return NewRedis(client, RedisOptions{Prefix: "retention:" + t.Name() + ":", Clock: clock.Now, Logger: slog.New(slog.DiscardHandler)})
		},
	} {
		t.Run(name, func(t *testing.T) { testRetention(t, open) })
	}
}

func testRetention(t *testing.T, open func(t *testing.T, clock *testclock.Clock) retainer) {
	t.Run("trims old ended runs and old entries, and the rest verifies from the anchor", func(t *testing.T) {
		ctx := t.Context()
		clock := testclock.New(time.Time{})
		s := open(t, clock)
		t0 := clock.Now()
		old := sampleRun("old", "00u1", "0oa1", remediation.StateSucceeded, t0)
		oldActive := sampleRun("old-active", "00u2", "0oa1", remediation.StateRunning, t0)
		for _, r := range []*remediation.Run{&old, &oldActive} {
			if err := s.CreateRun(ctx, r, event(remediation.AuditProposed, r.ID, "", t0)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Append(ctx, event(remediation.AuditDiagnosed, "", "old diagnosis", t0.Add(time.Second))); err != nil {
			t.Fatal(err)
		}
		t1 := t0.Add(100 * 24 * time.Hour)
		recent := sampleRun("recent", "00u1", "0oa1", remediation.StateSucceeded, t1)
		if err := s.CreateRun(ctx, &recent, event(remediation.AuditProposed, "recent", "", t1)); err != nil {
			t.Fatal(err)
		}
		all, _ := s.Audit(ctx, time.Time{}, 0)
		cutoff := t1.Add(-90 * 24 * time.Hour)

		n, err := s.TrimRuns(ctx, cutoff)
		if err != nil || n != 1 {
			t.Fatalf("TrimRuns = %d, %v; want 1 (the old ended run)", n, err)
		}
		if _, err := s.GetRun(ctx, "old"); err == nil {
			t.Error("the old ended run is still there")
		}
		if _, err := s.GetRun(ctx, "old-active"); err != nil {
			t.Errorf("the old run still in progress was removed: %v", err)
		}
		if runs, _ := s.ListRuns(ctx, remediation.RunFilter{UserID: "00u1"}); ids(runs) != "recent" {
			t.Errorf("user 00u1's runs = %s, want recent", ids(runs))
		}

		n, err = s.TrimAudit(ctx, cutoff, "")
		if err != nil || n != 3 {
			t.Fatalf("TrimAudit = %d, %v; want 3", n, err)
		}
		a, err := s.AuditAnchor(ctx)
		if err != nil || a.ID != all[2].ID || a.Hash != all[2].Hash {
			t.Fatalf("anchor = %+v, %v; want the third entry %s", a, err, all[2].ID)
		}
		left, _ := s.Audit(ctx, time.Time{}, 0)
		if len(left) != 1 || left[0].ID != all[3].ID {
			t.Fatalf("left %+v, want the fourth entry only", left)
		}
		if err := remediation.VerifyChain(a.Hash, left); err != nil {
			t.Fatalf("the trail left does not verify from the anchor: %v", err)
		}
		if err := remediation.VerifyChain("", left); err == nil {
			t.Fatal("the trail left verifies from the start: the anchor proves nothing")
		}
		// Appending after a trim links to the head as before.
		if err := s.Append(ctx, event(remediation.AuditDiagnosed, "", "new", t1.Add(time.Second))); err != nil {
			t.Fatal(err)
		}
		left, _ = s.Audit(ctx, time.Time{}, 0)
		if err := remediation.VerifyChain(a.Hash, left); err != nil {
			t.Fatalf("after a new append: %v", err)
		}
		// Trimming again with nothing old is a no-op that keeps the anchor.
		if n, err := s.TrimAudit(ctx, cutoff, ""); err != nil || n != 0 {
			t.Fatalf("second TrimAudit = %d, %v", n, err)
		}
		if b, _ := s.AuditAnchor(ctx); b != a {
			t.Fatalf("anchor moved to %+v", b)
		}
	})

	t.Run("never past the audit channel's cursor", func(t *testing.T) {
		ctx := t.Context()
		clock := testclock.New(time.Time{})
		s := open(t, clock)
		t0 := clock.Now()
		for i := range 4 {
			if err := s.Append(ctx, event(remediation.AuditDiagnosed, "", "d", t0.Add(time.Duration(i)*time.Second))); err != nil {
				t.Fatal(err)
			}
		}
		all, _ := s.Audit(ctx, time.Time{}, 0)
		n, err := s.TrimAudit(ctx, t0.Add(time.Hour), all[1].ID) // posted up to the second
		if err != nil || n != 2 {
			t.Fatalf("TrimAudit = %d, %v; want 2 (up to the cursor)", n, err)
		}
		if a, _ := s.AuditAnchor(ctx); a.ID != all[1].ID {
			t.Fatalf("anchor %s, want the cursor's entry %s", a.ID, all[1].ID)
		}
		if left, _ := s.Audit(ctx, time.Time{}, 0); len(left) != 2 || left[0].ID != all[2].ID {
			t.Fatalf("left %d entries", len(left))
		}
	})

	t.Run("AuditFor reads the newest entries of one subject", func(t *testing.T) {
		ctx := t.Context()
		clock := testclock.New(time.Time{})
		s := open(t, clock)
		t0 := clock.Now()
		for i := range 1200 { // more than two pages
			ev := event(remediation.AuditDiagnosed, "", "d", t0.Add(time.Duration(i)*time.Second))
			ev.UserID, ev.AppID = "00uBusy", "0oa1"
			if i%100 == 0 {
				ev.UserID = "00uRare"
			}
			if err := s.Append(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AuditFor(ctx, remediation.AuditFilter{UserID: "00uRare", Limit: 5})
		if err != nil || len(got) != 5 {
			t.Fatalf("AuditFor rare = %d entries, %v; want 5", len(got), err)
		}
		if !got[0].Event.At.Equal(t0.Add(700*time.Second)) || !got[4].Event.At.Equal(t0.Add(1100*time.Second)) {
			t.Fatalf("rare: want the five newest, oldest first: %v … %v", got[0].Event.At, got[4].Event.At)
		}
		got, _ = s.AuditFor(ctx, remediation.AuditFilter{UserID: "00uRare", Since: t0.Add(1000 * time.Second)})
		if len(got) != 2 {
			t.Fatalf("since bound: %d entries, want 2", len(got))
		}
		got, _ = s.AuditFor(ctx, remediation.AuditFilter{AppID: "0oa1", UserID: "00uBusy"})
		if len(got) != 20 || !got[19].Event.At.Equal(t0.Add(1199*time.Second)) {
			t.Fatalf("default limit: %d entries", len(got))
		}
		if got, _ := s.AuditFor(ctx, remediation.AuditFilter{RunID: "nope"}); len(got) != 0 {
			t.Fatalf("no match: %d entries", len(got))
		}
	})
}
