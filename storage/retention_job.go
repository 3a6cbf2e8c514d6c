package storage

import (
	"context"
	"log/slog"
	"time"
)

// RetentionStore is what the retention job needs of a store: a lock shared by the
// replicas, the audit channel's cursor, and the two trims. Both stores have it.
type RetentionStore interface {
	Lock(ctx context.Context, key, owner string, ttl time.Duration) (string, error)
	Unlock(ctx context.Context, key, owner string) error
	Cursor(ctx context.Context, name string) (string, error)
	TrimRuns(ctx context.Context, before time.Time) (int, error)
	TrimAudit(ctx context.Context, before time.Time, upTo string) (int, error)
}

// RetentionLock is the lock that makes one replica at a time trim.
const RetentionLock = "retention"

// RetentionJob applies the retention period: every Every, one replica at a time, it
// removes the runs that ended and the audit entries older than Keep.
type RetentionJob struct {
	Store  RetentionStore
	Keep   time.Duration
	Every  time.Duration
	Owner  string
	Clock  func() time.Time
	Logger *slog.Logger
	// AuditCursor names the audit channel's cursor ("" when there is no audit
	// channel): entries it has not posted are kept whatever their age, so the channel
	// neither loses nor repeats one.
	AuditCursor string
}

// Run trims once at start, then every Every, until ctx ends.
func (r *RetentionJob) Run(ctx context.Context) error {
	tick := time.NewTicker(r.Every)
	defer tick.Stop()
	for {
		r.Once(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Once trims if no other replica is doing it.
func (r *RetentionJob) Once(ctx context.Context) {
	if _, err := r.Store.Lock(ctx, RetentionLock, r.Owner, 10*time.Minute); err != nil {
		return // another replica trims, or the store is down (readyz says so)
	}
	defer func() { _ = r.Store.Unlock(context.WithoutCancel(ctx), RetentionLock, r.Owner) }()
	before := r.Clock().Add(-r.Keep)
	runs, err := r.Store.TrimRuns(ctx, before)
	if err != nil {
		r.Logger.WarnContext(ctx, "retention: trimming runs", "err", err)
	}
	entries := 0
	upTo, err := "", error(nil)
	if r.AuditCursor != "" {
		upTo, err = r.Store.Cursor(ctx, r.AuditCursor)
	}
	switch {
	case err != nil:
		r.Logger.WarnContext(ctx, "retention: reading the audit channel's cursor", "err", err)
	case r.AuditCursor != "" && upTo == "":
		// The channel has posted nothing yet: everything is still to post.
	default:
		if entries, err = r.Store.TrimAudit(ctx, before, upTo); err != nil {
			r.Logger.WarnContext(ctx, "retention: trimming the audit trail", "err", err)
		}
	}
	if runs > 0 || entries > 0 {
		r.Logger.InfoContext(ctx, "retention: removed what is older than the retention period",
			"runs", runs, "audit_entries", entries, "before", before.UTC().Format(time.RFC3339))
	}
}
