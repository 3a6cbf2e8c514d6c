package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/remediation"
)

const auditUsage = "usage: okta-chatops audit export [--since 2026-11-01T00:00:00Z|24h]"

// runAudit: `okta-chatops audit export [--since T]` prints the audit trail as JSON
// lines (oldest first) and checks its hash chain; a broken chain fails the command
// after printing what it read.
func runAudit(ctx context.Context, e env) error {
	pos, flags, err := parseArgs(e.args, nil, []string{"since"})
	if err != nil {
		return usageError{fmt.Errorf("%w; %s", err, auditUsage)}
	}
	if len(pos) != 1 || pos[0] != "export" {
		return usagef("%s", auditUsage)
	}
	since, err := parseSince(flags["since"], time.Now())
	if err != nil {
		return err
	}
	cfg, err := config.Load(e.src)
	if err != nil {
		return usageError{err}
	}
	if cfg.RedisURL == "" {
		// The embedded store lives inside a running `serve`: a new process would read an
		// empty one and print nothing, which looks like an empty trail.
		return usagef("REDIS_URL is not set: the audit trail is kept in Redis (the embedded store of a running serve cannot be read from another process)")
	}
	b, err := openBackend(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer b.close()
	// The head first: entries appended after it are newer, not a sign of tampering.
	head, err := b.store.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("reading the audit trail's head: %w", err)
	}
	// Retention removes the oldest entries and keeps the last one's hash: the trail
	// starts there.
	anchor, err := b.trim.AuditAnchor(ctx)
	if err != nil {
		return fmt.Errorf("reading the audit trail's anchor: %w", err)
	}
	entries, err := b.store.Audit(ctx, since, 0)
	if err != nil {
		return fmt.Errorf("reading the audit trail: %w", err)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, en := range entries {
		if err := enc.Encode(en); err != nil {
			return err
		}
	}
	if len(entries) == 0 {
		if head != "" && head != anchor.Hash && since.IsZero() {
			return errors.New("the audit trail's hash chain is inconsistent (tampered with or damaged): it is empty but its head records entries")
		}
		return nil
	}
	first := entries[0].Prev
	if since.IsZero() {
		// The whole trail: it must start at the beginning, or at the anchor retention
		// left.
		first = anchor.Hash
	}
	if err := remediation.VerifyChain(first, entries); err != nil {
		return fmt.Errorf("the audit trail's hash chain is inconsistent (tampered with or damaged): %w", err)
	}
	if head != "" && !slices.ContainsFunc(entries, func(e remediation.AuditEntry) bool { return e.Hash == head }) {
		return fmt.Errorf("the audit trail's hash chain is inconsistent (tampered with or damaged): its newest entries are missing (the head records %.12s…, which no entry has)", head)
	}
	if anchor.ID != "" && since.IsZero() {
		e.log.Info("audit hash chain shows no inconsistency from the retention anchor on", "entries", len(entries), "anchor_id", anchor.ID)
		return nil
	}
	e.log.Info("audit hash chain shows no inconsistency", "entries", len(entries))
	return nil
}

// parseSince accepts an RFC 3339 time or a Go duration meaning "that long ago".
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usagef("--since %q: give an RFC 3339 time (2026-11-01T00:00:00Z) or a duration (24h)", s)
}
