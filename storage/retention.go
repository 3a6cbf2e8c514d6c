package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Anchor is the last audit entry retention removed: its ID and hash. The first entry
// kept links to Hash, so the trail that is left verifies from the anchor
// (remediation.VerifyChain(anchor.Hash, entries)). The zero Anchor: nothing removed.
type Anchor struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
}

// auditPage is how many entries one backward read of AuditFor takes.
const auditPage = 500

// AuditFor implements remediation.Store. It reads the
// trail backwards from the newest entry, a page at a time, and stops at Limit matches
// or at Since: a busy subject costs a page or two, and only a subject with few
// entries costs a read back to Since.
func (s *RedisStore) AuditFor(ctx context.Context, q remediation.AuditFilter) ([]remediation.AuditEntry, error) {
	var out []remediation.AuditEntry
	start, stop := "+", sinceID(q.Since).String()
	for {
		msgs, err := s.c.XRevRangeN(ctx, s.auditKey(), start, stop, auditPage).Result()
		if err != nil {
			return nil, fmt.Errorf("storage: read audit: %w", err)
		}
		for _, m := range msgs {
			e, err := decodeEntry(m)
			if err != nil {
				return nil, fmt.Errorf("storage: read audit: %w", err)
			}
			if q.Matches(e.Event) {
				out = append(out, e)
				if len(out) == q.Max() {
					slices.Reverse(out)
					return out, nil
				}
			}
		}
		if len(msgs) < auditPage {
			slices.Reverse(out)
			return out, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

func decodeEntry(m redis.XMessage) (remediation.AuditEntry, error) {
	e := remediation.AuditEntry{ID: m.ID}
	e.Prev, _ = m.Values["prev"].(string)
	e.Hash, _ = m.Values["hash"].(string)
	ev, _ := m.Values["event"].(string)
	if err := json.Unmarshal([]byte(ev), &e.Event); err != nil {
		return remediation.AuditEntry{}, fmt.Errorf("entry %s: decode event: %w", m.ID, err)
	}
	return e, nil
}

func (s *RedisStore) anchorKey() string { return s.p + "audit:anchor" }

// AuditAnchor returns the last entry retention removed (zero if none).
func (s *RedisStore) AuditAnchor(ctx context.Context) (Anchor, error) {
	v, err := s.c.HMGet(ctx, s.anchorKey(), "id", "hash").Result()
	if err != nil {
		return Anchor{}, fmt.Errorf("storage: audit anchor: %w", err)
	}
	var a Anchor
	a.ID, _ = v[0].(string)
	a.Hash, _ = v[1].(string)
	return a, nil
}

// TrimAudit removes the entries older than before, but none after upTo (an entry ID;
// "" for no bound: the audit channel's cursor, so that entries it has not posted yet
// stay), and records the last one removed as the anchor, in one MULTI/EXEC. It
// returns how many it removed.
func (s *RedisStore) TrimAudit(ctx context.Context, before time.Time, upTo string) (int, error) {
	end := "(" + sinceID(before).String()
	if upTo != "" {
		bound, err := parseEntryID(upTo)
		if err != nil {
			return 0, err
		}
		if bound.less(sinceID(before)) {
			end = bound.String()
		}
	}
	last, err := s.c.XRevRangeN(ctx, s.auditKey(), end, "-", 1).Result()
	if err != nil {
		return 0, fmt.Errorf("storage: trim audit: %w", err)
	}
	if len(last) == 0 {
		return 0, nil
	}
	lastID, err := parseEntryID(last[0].ID)
	if err != nil {
		return 0, err
	}
	hash, _ := last[0].Values["hash"].(string)
	var n *redis.IntCmd
	_, err = s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		// MINID keeps the entries at or after the one just past the last removed.
		n = p.XTrimMinID(ctx, s.auditKey(), entryID{lastID.ms, lastID.seq + 1}.String())
		p.HSet(ctx, s.anchorKey(), "id", last[0].ID, "hash", hash)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: trim audit: %w", err)
	}
	return int(n.Val()), nil
}

// TrimRuns removes the runs that ended (a terminal state) before before, with their
// index entries. A run still in progress is kept however old it is.
func (s *RedisStore) TrimRuns(ctx context.Context, before time.Time) (int, error) {
	// Runs are scored by CreatedAt, and a run ends after it was created: the runs
	// created before the cutoff hold every candidate.
	ids, err := s.c.ZRangeByScore(ctx, s.p+"runs", &redis.ZRangeBy{Min: "-inf", Max: "(" + fmt.Sprint(before.UnixMilli())}).Result()
	if err != nil {
		return 0, fmt.Errorf("storage: trim runs: %w", err)
	}
	removed := 0
	for _, id := range ids {
		key := s.runKey(id)
		err := s.c.Watch(ctx, func(tx *redis.Tx) error {
			r, err := getRun(ctx, tx, key)
			if errors.Is(err, remediation.ErrNotFound) {
				// Indexed but gone: drop the index entries.
				_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.ZRem(ctx, s.p+"runs", id)
					return nil
				})
				return err
			}
			if err != nil {
				return err
			}
			if !expired(r, before) {
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, key)
				for _, k := range s.indexKeys(r) {
					p.ZRem(ctx, k, id)
				}
				return nil
			})
			if err == nil {
				removed++
			}
			return err
		}, key)
		if err != nil && !errors.Is(err, redis.TxFailedErr) { // changed meanwhile: not old any more
			return removed, fmt.Errorf("storage: trim run %s: %w", id, err)
		}
	}
	return removed, nil
}

// expired reports whether retention may remove r: it ended before the cutoff.
func expired(r remediation.Run, before time.Time) bool {
	return r.State.Terminal() && r.UpdatedAt.Before(before) && r.CreatedAt.Before(before)
}

// AuditFor implements remediation.Store.
func (m *MemoryStore) AuditFor(ctx context.Context, q remediation.AuditFilter) ([]remediation.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	start := sinceID(q.Since)
	var out []remediation.AuditEntry
	for i := len(m.audit) - 1; i >= 0 && len(out) < q.Max(); i-- {
		e := m.audit[i]
		if e.id.less(start) {
			break
		}
		if q.Matches(e.entry.Event) {
			c := e.entry
			c.Event.Codes = append([]remediation.Code(nil), c.Event.Codes...)
			out = append(out, c)
		}
	}
	slices.Reverse(out)
	return out, nil
}

// AuditAnchor: see RedisStore.AuditAnchor.
func (m *MemoryStore) AuditAnchor(ctx context.Context) (Anchor, error) {
	if err := ctx.Err(); err != nil {
		return Anchor{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.anchor, nil
}

// TrimAudit: see RedisStore.TrimAudit.
func (m *MemoryStore) TrimAudit(ctx context.Context, before time.Time, upTo string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	end := sinceID(before)
	inclusive := false
	if upTo != "" {
		bound, err := parseEntryID(upTo)
		if err != nil {
			return 0, err
		}
		if bound.less(end) {
			end, inclusive = bound, true
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for n < len(m.audit) && (m.audit[n].id.less(end) || (inclusive && m.audit[n].id == end)) {
		n++
	}
	if n == 0 {
		return 0, nil
	}
	last := m.audit[n-1].entry
	m.anchor = Anchor{ID: last.ID, Hash: last.Hash}
	m.audit = slices.Clone(m.audit[n:])
	return n, nil
}

// TrimRuns: see RedisStore.TrimRuns.
func (m *MemoryStore) TrimRuns(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, mr := range m.runs {
		var r remediation.Run
		if err := json.Unmarshal(mr.data, &r); err != nil {
			return n, fmt.Errorf("storage: trim runs: decode %s: %w", id, err)
		}
		if expired(r, before) {
			delete(m.runs, id)
			n++
		}
	}
	return n, nil
}
