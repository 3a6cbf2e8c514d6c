package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage"
)

// retainer is what the retention job and `audit export` need of a store beyond
// remediation.Store; both stores have it.
type retainer interface {
	TrimRuns(ctx context.Context, before time.Time) (int, error)
	TrimAudit(ctx context.Context, before time.Time, upTo string) (int, error)
	AuditAnchor(ctx context.Context) (storage.Anchor, error)
}

// retention applies OKTA_CHATOPS_RETENTION: every Every, one replica at a time (a
// lock), it removes the runs that ended and the audit entries older than Keep.
type retention struct {
	Store  remediation.Store
	Trim   retainer
	Keep   time.Duration
	Every  time.Duration
	Owner  string
	Clock  func() time.Time
	Logger *slog.Logger
	// AuditChannel: when set, entries the audit channel has not posted are kept
	// whatever their age, so the channel neither loses nor repeats one.
	AuditChannel bool
}

const retentionLock = "retention"

// run trims once at start, then every Every, until ctx ends.
func (r *retention) run(ctx context.Context) error {
	tick := time.NewTicker(r.Every)
	defer tick.Stop()
	for {
		r.once(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// once trims if no other replica is doing it.
func (r *retention) once(ctx context.Context) {
	if _, err := r.Store.Lock(ctx, retentionLock, r.Owner, 10*time.Minute); err != nil {
		return // another replica trims, or the store is down (readyz says so)
	}
	defer func() { _ = r.Store.Unlock(context.WithoutCancel(ctx), retentionLock, r.Owner) }()
	before := r.Clock().Add(-r.Keep)
	runs, err := r.Trim.TrimRuns(ctx, before)
	if err != nil {
		r.Logger.WarnContext(ctx, "retention: trimming runs", "err", err)
	}
	entries := 0
	upTo, err := "", error(nil)
	if r.AuditChannel {
		upTo, err = r.Store.Cursor(ctx, bot.AuditChannelCursor)
	}
	switch {
	case err != nil:
		r.Logger.WarnContext(ctx, "retention: reading the audit channel's cursor", "err", err)
	case r.AuditChannel && upTo == "":
		// The channel has posted nothing yet: everything is still to post.
	default:
		if entries, err = r.Trim.TrimAudit(ctx, before, upTo); err != nil {
			r.Logger.WarnContext(ctx, "retention: trimming the audit trail", "err", err)
		}
	}
	if runs > 0 || entries > 0 {
		r.Logger.InfoContext(ctx, "retention: removed what is older than OKTA_CHATOPS_RETENTION",
			"runs", runs, "audit_entries", entries, "before", before.UTC().Format(time.RFC3339))
	}
}
