package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

const (
	outboxLock = "audit-channel-outbox"
	// AuditChannelCursor names the store cursor holding the ID of the last audit entry
	// the audit channel has posted; retention never trims past it.
	AuditChannelCursor = "audit-channel"
	// outboxPending names the cursor holding the last entry of the batch being posted,
	// written before the post: after a crash it says which batch to look for in the
	// channel before posting it again.
	outboxPending = "audit-channel-pending"
)

// Batches: Slack allows about one message a second per channel, so the outbox posts
// at most one message per flush (OutboxEvery, default 1s), holding up to this many
// entries, one line each, within the message text limit.
const (
	outboxBatch      = 200 // entries read per flush
	outboxBatchLines = 30
	outboxBatchChars = maxMessageText - 200 // room for the footer
	// outboxHistory is how many of the channel's newest messages are searched for a
	// batch whose post was interrupted.
	outboxHistory = 100
)

// outbox copies the audit trail to the audit channel, oldest first, in batches of
// lines. The trail in the store is the outbox: one replica at a time (a lock) posts
// the entries after the saved cursor and then moves the cursor, so a restart of the
// bot or of Slack neither loses nor repeats an entry. A rate-limited post waits the
// Retry-After Slack gave.
func (b *Bot) outbox(ctx context.Context) {
	tick := time.NewTicker(b.cfg.OutboxEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// Post one more batch before stopping (bounded), then let another replica
			// take over at once.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, err := b.flushAudit(fctx); err != nil {
				b.log.WarnContext(fctx, "flushing the audit channel outbox on shutdown", "err", err)
			}
			_ = b.store.Unlock(fctx, outboxLock, b.cfg.Owner)
			cancel()
			return
		case <-tick.C:
		}
		wait, err := b.flushAudit(ctx)
		if err != nil && ctx.Err() == nil {
			b.log.WarnContext(ctx, "audit channel outbox", "err", err)
		}
		if wait > 0 {
			b.log.InfoContext(ctx, "audit channel rate-limited by Slack; waiting", "retry_after", wait.String())
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}
}

// flushAudit posts the next batch of entries the audit channel has not seen. It
// returns how long Slack asked to wait (Retry-After) when it refused the post.
func (b *Bot) flushAudit(ctx context.Context) (time.Duration, error) {
	if _, err := b.store.Lock(ctx, outboxLock, b.cfg.Owner, 30*time.Second); err != nil {
		return 0, nil // another replica posts
	}
	cursor, err := b.store.Cursor(ctx, AuditChannelCursor)
	if err != nil {
		return 0, err
	}
	// A batch recorded as being posted, past the cursor: a replica stopped between
	// the post and the cursor write, or before the post. Slack says which.
	pending, err := b.store.Cursor(ctx, outboxPending)
	if err != nil {
		return 0, err
	}
	if pending != "" && after(pending, cursor) {
		posted, err := b.auditBatchPosted(ctx, pending)
		if err != nil {
			return 0, err
		}
		if posted {
			if err := b.store.SetCursor(ctx, AuditChannelCursor, pending); err != nil {
				return 0, err
			}
			cursor = pending
		}
	}
	entries, err := b.store.Audit(ctx, cursorTime(cursor), outboxBatch)
	if err != nil {
		return 0, err
	}
	var todo []remediation.AuditEntry
	for _, e := range entries {
		if after(e.ID, cursor) {
			todo = append(todo, e)
		}
	}
	if len(todo) == 0 {
		b.cfg.Metrics.AuditLag(0) // caught up
		return 0, nil
	}
	b.cfg.Metrics.AuditLag(b.cfg.Clock().Sub(todo[0].Event.At))
	batch, lines := b.auditBatch(todo)
	last := batch[len(batch)-1].ID
	if err := b.store.SetCursor(ctx, outboxPending, last); err != nil {
		return 0, err
	}
	footer := tf("_audit entries `%s` … `%s`_", "_監査エントリ `%s` … `%s`_", batch[0].ID, last).In(b.cfg.Locale)
	msg := strings.Join(lines, "\n") + "\n" + footer
	if _, _, err := b.api.PostMessageContext(ctx, b.cfg.AuditChannel, slack.MsgOptionText(msg, false)); err != nil {
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			return rl.RetryAfter, nil // not posted: the same batch next time
		}
		return 0, err
	}
	if err := b.store.SetCursor(ctx, AuditChannelCursor, last); err != nil {
		return 0, err
	}
	if len(batch) == len(todo) && len(entries) < outboxBatch {
		b.cfg.Metrics.AuditLag(0) // caught up
	}
	return 0, nil
}

// auditBatch takes the entries that fit one message, and their lines.
func (b *Bot) auditBatch(todo []remediation.AuditEntry) ([]remediation.AuditEntry, []string) {
	var lines []string
	size := 0
	for i, e := range todo {
		line := shorten(msgAuditLine(e).In(b.cfg.Locale), outboxBatchChars)
		n := utf8.RuneCountInString(line) + 1
		if i > 0 && (i == outboxBatchLines || size+n > outboxBatchChars) {
			return todo[:i], lines
		}
		lines = append(lines, line)
		size += n
	}
	return todo, lines
}

// auditBatchPosted reports whether a batch ending at entry last is among the audit
// channel's newest messages (its footer names last).
func (b *Bot) auditBatchPosted(ctx context.Context, last string) (bool, error) {
	h, err := b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: b.cfg.AuditChannel, Limit: outboxHistory})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "missing_scope" {
		// An app installed before the history scopes: post again rather than stall the
		// channel for good (the batch may then appear twice).
		b.log.WarnContext(ctx, "cannot read the audit channel's history (add the channels:history and groups:history scopes from manifest.yaml): an interrupted batch may be posted twice", "err", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, m := range h.Messages {
		if strings.Contains(m.Text, "`"+last+"`") {
			return true, nil
		}
	}
	return false, nil
}

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
