package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	b, err := openBackend(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer b.close()
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
		return nil
	}
	if err := remediation.VerifyChain(entries[0].Prev, entries); err != nil {
		return fmt.Errorf("the audit trail has been tampered with: %w", err)
	}
	e.log.Info("audit chain verified", "entries", len(entries))
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
