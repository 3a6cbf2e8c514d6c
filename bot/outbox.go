package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

const (
	outboxLock = "audit-channel-outbox"
	// AuditChannelCursor names the store cursor holding the ID of the last audit entry
	// the audit channel has posted; retention never trims past it.
	AuditChannelCursor = "audit-channel"
)

// outbox copies the audit trail to the audit channel, oldest first. The trail in the
// store is the outbox: one replica at a time (a lock) posts the entries after the saved
// cursor and moves the cursor after each post, so a restart of the bot or of Slack
// neither loses nor repeats an entry (only a crash between a post and the cursor write
// can repeat that one entry).
func (b *Bot) outbox(ctx context.Context) {
	tick := time.NewTicker(b.cfg.OutboxEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// Post what is left before stopping (bounded), then let another replica
			// take over at once.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := b.flushAudit(fctx); err != nil {
				b.log.WarnContext(fctx, "flushing the audit channel outbox on shutdown", "err", err)
			}
			_ = b.store.Unlock(fctx, outboxLock, b.cfg.Owner)
			cancel()
			return
		case <-tick.C:
		}
		if err := b.flushAudit(ctx); err != nil && ctx.Err() == nil {
			b.log.WarnContext(ctx, "audit channel outbox", "err", err)
		}
	}
}

// flushAudit posts what the audit channel has not seen yet.
func (b *Bot) flushAudit(ctx context.Context) error {
	if _, err := b.store.Lock(ctx, outboxLock, b.cfg.Owner, 30*time.Second); err != nil {
		return nil // another replica posts
	}
	cursor, err := b.store.Cursor(ctx, AuditChannelCursor)
	if err != nil {
		return err
	}
	entries, err := b.store.Audit(ctx, cursorTime(cursor), outboxBatch)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !after(e.ID, cursor) {
			continue
		}
		b.cfg.Metrics.AuditLag(b.cfg.Clock().Sub(e.Event.At))
		line := msgAuditLine(e).In(b.cfg.Locale)
		if _, _, err := b.api.PostMessageContext(ctx, b.cfg.AuditChannel, slack.MsgOptionText(shorten(line, maxMessageText), false)); err != nil {
			return err // try again next tick, from the same entry
		}
		if err := b.store.SetCursor(ctx, AuditChannelCursor, e.ID); err != nil {
			return err
		}
		cursor = e.ID
	}
	if len(entries) < outboxBatch {
		b.cfg.Metrics.AuditLag(0) // caught up
	}
	return nil
}

// outboxBatch is how many entries one flush reads.
const outboxBatch = 200

// Entry IDs are "<milliseconds>-<sequence>" (storage): ordered, and the milliseconds
// say where to start reading.
func parseEntryID(id string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ms, seq, found && err1 == nil && err2 == nil
}

func cursorTime(cursor string) time.Time {
	ms, _, ok := parseEntryID(cursor)
	if !ok {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms))
}

// after reports whether entry id comes after cursor.
func after(id, cursor string) bool {
	cm, cs, ok := parseEntryID(cursor)
	if !ok {
		return true
	}
	m, s, ok := parseEntryID(id)
	return ok && (m > cm || (m == cm && s > cs))
}

var _ remediation.Notifier = (*Bot)(nil)
