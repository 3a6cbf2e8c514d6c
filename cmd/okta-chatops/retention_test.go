package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// After retention removed the oldest entries, audit export verifies the rest from the
// anchor; removing the entry right after the anchor still shows.
func TestAuditExportVerifiesFromTheRetentionAnchor(t *testing.T) {
	url, client := redistest.Start(t)
	ctx := context.Background()
	store := storage.NewRedis(client, storage.RedisOptions{})
	t0 := time.Now().Add(-200 * 24 * time.Hour)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * 50 * 24 * time.Hour) // 4 are older than 90 days
		if err := store.Append(ctx, remediation.AuditEvent{Type: remediation.AuditDiagnosed, At: at, Actor: "U1"}); err != nil {
			t.Fatal(err)
		}
	}
	r := &storage.RetentionJob{Store: store, Keep: 90 * 24 * time.Hour, Owner: "a", Clock: time.Now, Logger: slog.New(slog.DiscardHandler)}
	r.Once(ctx)
	vars := map[string]string{"REDIS_URL": url}
	code, out, stderr := runCLI(t, vars, "audit", "export")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("trimmed trail: exit %d, %d lines, %s", code, strings.Count(out, "\n"), stderr)
	}
	ids, _ := client.XRange(ctx, storage.DefaultPrefix+"audit", "-", "+").Result()
	client.XDel(ctx, storage.DefaultPrefix+"audit", ids[0].ID)
	if code, _, stderr := runCLI(t, vars, "audit", "export"); code != 1 || !strings.Contains(stderr, "tampered") {
		t.Errorf("cut after the anchor: exit %d %s", code, stderr)
	}
}

// One replica trims at a time, and never what the audit channel has not posted.
func TestRetentionJob(t *testing.T) {
	_, client := redistest.Start(t)
	ctx := context.Background()
	store := storage.NewRedis(client, storage.RedisOptions{})
	now := time.Now()
	old := now.Add(-100 * 24 * time.Hour)
	run := remediation.Run{ID: "run-old", Plan: remediation.PlanReassign, State: remediation.StateSucceeded,
		Target: remediation.Target{UserID: "00u1", AppID: "0oa1"}, CreatedAt: old, UpdatedAt: old}
	if err := store.CreateRun(ctx, &run, remediation.AuditEvent{Type: remediation.AuditProposed, At: old, RunID: run.ID}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := store.Append(ctx, remediation.AuditEvent{Type: remediation.AuditDiagnosed, At: old.Add(time.Duration(i+1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := store.Audit(ctx, time.Time{}, 0)
	job := func(owner string) *storage.RetentionJob {
		return &storage.RetentionJob{Store: store, Keep: 90 * 24 * time.Hour, Owner: owner, Clock: time.Now,
			Logger: slog.New(slog.DiscardHandler), AuditCursor: bot.AuditChannelCursor}
	}

	// Another replica holds the lock: nothing happens.
	if _, err := store.Lock(ctx, storage.RetentionLock, "b", time.Minute); err != nil {
		t.Fatal(err)
	}
	job("a").Once(ctx)
	if _, err := store.GetRun(ctx, run.ID); err != nil {
		t.Fatalf("trimmed while another replica held the lock: %v", err)
	}
	_ = store.Unlock(ctx, storage.RetentionLock, "b")

	// The audit channel has posted nothing: the run goes, every entry stays.
	job("a").Once(ctx)
	if _, err := store.GetRun(ctx, run.ID); err == nil {
		t.Fatal("the old ended run is still there")
	}
	if left, _ := store.Audit(ctx, time.Time{}, 0); len(left) != 4 {
		t.Fatalf("%d entries left, want 4: the audit channel has posted none", len(left))
	}
	// It posted two: those two go.
	if err := store.SetCursor(ctx, bot.AuditChannelCursor, entries[1].ID); err != nil {
		t.Fatal(err)
	}
	job("a").Once(ctx)
	left, _ := store.Audit(ctx, time.Time{}, 0)
	if len(left) != 2 || left[0].ID != entries[2].ID {
		t.Fatalf("%d entries left, want the two not posted", len(left))
	}
	if a, _ := store.AuditAnchor(ctx); a.ID != entries[1].ID {
		t.Fatalf("anchor %s, want %s", a.ID, entries[1].ID)
	}
}
