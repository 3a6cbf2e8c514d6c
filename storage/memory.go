package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// MemoryOptions configures a MemoryStore; the zero value is usable.
type MemoryOptions struct {
	// Clock measures lock and Once TTLs and fills a zero Run.CreatedAt and
	// AuditEvent.At; default time.Now.
	Clock func() time.Time
}

// MemoryStore is the embedded Store and Scheduler for a single process (REDIS_URL
// unset): the same semantics as RedisStore, lost on restart. Runs are kept as the JSON
// RedisStore would hold, which makes every read and write a deep copy: callers can
// never alias stored state.
type MemoryStore struct {
	now func() time.Time

	mu        sync.Mutex
	runs      map[string]memRun
	audit     []memEntry
	head      chainHead
	anchor    Anchor
	leases    map[string]lease // locks ("lock:<key>") and Once keys ("once:<key>")
	sweepAt   int
	tasks     map[string]remediation.Task // by taskMember
	cursors   map[string]string
	hits      map[string]window
	kept      map[string]keptDiagnosis // by Okta user ID
	incidents map[string]memRun        // by incident ID
}

// window is a fixed-window counter of Hit.
type window struct {
	count int
	ends  time.Time
}

type memRun struct {
	version int64
	data    []byte
}

type memEntry struct {
	id    entryID
	entry remediation.AuditEntry
}

// lease is a lock (owner set) or a Once key (owner empty) that lives until until.
type lease struct {
	owner string
	until time.Time
}

var (
	_ remediation.Store     = (*MemoryStore)(nil)
	_ remediation.Scheduler = (*MemoryStore)(nil)
)

// NewMemory returns an empty in-memory store.
func NewMemory(opts MemoryOptions) *MemoryStore {
	m := &MemoryStore{
		now:    opts.Clock,
		runs:   map[string]memRun{},
		leases: map[string]lease{},
		tasks:  map[string]remediation.Task{},
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

// CreateRun implements remediation.Store.
func (m *MemoryStore) CreateRun(ctx context.Context, r *remediation.Run, events ...remediation.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	next := *r
	if err := prepareCreate(&next, m.now); err != nil {
		return err
	}
	data, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("storage: create run %s: encode: %w", r.ID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.runs[next.ID]; ok {
		return fmt.Errorf("storage: create run %s: run exists: %w", r.ID, remediation.ErrConflict)
	}
	m.runs[next.ID] = memRun{version: next.Version, data: data}
	m.appendLocked(events)
	*r = next
	return nil
}

// UpdateRun implements remediation.Store.
func (m *MemoryStore) UpdateRun(ctx context.Context, r *remediation.Run, events ...remediation.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.ID == "" {
		return errNoRunID
	}
	next := *r
	next.Version++
	data, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("storage: update run %s: encode: %w", r.ID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, ok := m.runs[r.ID]
	if !ok {
		return fmt.Errorf("storage: update run %s: %w", r.ID, remediation.ErrNotFound)
	}
	if stored.version != r.Version {
		return fmt.Errorf("storage: update run %s: stored version %d, expected %d: %w", r.ID, stored.version, r.Version, remediation.ErrConflict)
	}
	m.runs[r.ID] = memRun{version: next.Version, data: data}
	m.appendLocked(events)
	r.Version = next.Version
	return nil
}

// GetRun implements remediation.Store.
func (m *MemoryStore) GetRun(ctx context.Context, id string) (remediation.Run, error) {
	if err := ctx.Err(); err != nil {
		return remediation.Run{}, err
	}
	m.mu.Lock()
	stored, ok := m.runs[id]
	m.mu.Unlock()
	if !ok {
		return remediation.Run{}, fmt.Errorf("storage: get run %s: %w", id, remediation.ErrNotFound)
	}
	return decodeRun(stored)
}

func decodeRun(s memRun) (remediation.Run, error) {
	var r remediation.Run
	if err := json.Unmarshal(s.data, &r); err != nil {
		return remediation.Run{}, fmt.Errorf("storage: decode run: %w", err)
	}
	return r, nil
}

// ListRuns implements remediation.Store.
func (m *MemoryStore) ListRuns(ctx context.Context, f remediation.RunFilter) ([]remediation.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	stored := make([]memRun, 0, len(m.runs))
	for _, s := range m.runs {
		stored = append(stored, s)
	}
	m.mu.Unlock()
	var runs []remediation.Run
	for _, s := range stored {
		r, err := decodeRun(s)
		if err != nil {
			return nil, err
		}
		if matches(f, r) {
			runs = append(runs, r)
		}
	}
	return newestFirst(runs, f.Limit), nil
}

// Append implements remediation.Store.
func (m *MemoryStore) Append(ctx context.Context, events ...remediation.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appendLocked(events)
	return nil
}

func (m *MemoryStore) appendLocked(events []remediation.AuditEvent) {
	entries, head := seal(m.head, m.now, events)
	for _, e := range entries {
		id, err := parseEntryID(e.ID)
		if err != nil {
			panic(err) // seal made this ID: it always parses
		}
		m.audit = append(m.audit, memEntry{id: id, entry: e})
	}
	m.head = head
}

// Audit implements remediation.Store; see the package doc for how since maps to IDs.
func (m *MemoryStore) Audit(ctx context.Context, since time.Time, limit int) ([]remediation.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	start := sinceID(since)
	i, _ := slices.BinarySearchFunc(m.audit, start, func(e memEntry, id entryID) int {
		if e.id.less(id) {
			return -1
		}
		if id.less(e.id) {
			return 1
		}
		return 0
	})
	tail := m.audit[i:]
	if limit > 0 && len(tail) > limit {
		tail = tail[:limit]
	}
	out := make([]remediation.AuditEntry, len(tail))
	for j, e := range tail {
		out[j] = e.entry
		out[j].Event.Codes = append([]remediation.Code(nil), e.entry.Event.Codes...)
	}
	return out, nil
}

// live returns the lease at k if it has not expired by now.
func (m *MemoryStore) live(k string, now time.Time) (lease, bool) {
	l, ok := m.leases[k]
	if !ok || !now.Before(l.until) {
		return lease{}, false
	}
	return l, true
}

// put stores a lease; expired ones are swept whenever the map has doubled since the
// last sweep, which keeps the cost per call constant on average.
func (m *MemoryStore) put(k string, l lease, now time.Time) {
	m.leases[k] = l
	if len(m.leases) < m.sweepAt {
		return
	}
	for key, old := range m.leases {
		if !now.Before(old.until) {
			delete(m.leases, key)
		}
	}
	m.sweepAt = max(64, 2*len(m.leases))
}

// Lock implements remediation.Store; the TTL runs on the store's clock.
func (m *MemoryStore) Lock(ctx context.Context, key, owner string, ttl time.Duration) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := validTTL(ttl); err != nil {
		return "", err
	}
	if owner == "" {
		return "", fmt.Errorf("storage: lock needs an owner")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	k := "lock:" + key
	if l, ok := m.live(k, now); ok && l.owner != owner {
		return l.owner, fmt.Errorf("storage: lock %s is held by %s: %w", key, l.owner, remediation.ErrConflict)
	}
	m.put(k, lease{owner: owner, until: now.Add(ttl)}, now)
	return owner, nil
}

// Unlock implements remediation.Store.
func (m *MemoryStore) Unlock(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := "lock:" + key
	if l, ok := m.live(k, m.now()); ok && l.owner == owner {
		delete(m.leases, k)
	}
	return nil
}

// Once implements remediation.Store; the TTL runs on the store's clock.
func (m *MemoryStore) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := validTTL(ttl); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	k := "once:" + key
	if _, ok := m.live(k, now); ok {
		return false, nil
	}
	m.put(k, lease{until: now.Add(ttl)}, now)
	return true, nil
}

// Schedule implements remediation.Scheduler.
func (m *MemoryStore) Schedule(ctx context.Context, t remediation.Task) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validTask(t.Kind, t.RunID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tasks[taskMember(t.Kind, t.RunID)] = t
	return nil
}

// Cancel implements remediation.Scheduler.
func (m *MemoryStore) Cancel(ctx context.Context, kind remediation.TaskKind, runID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tasks, taskMember(kind, runID))
	return nil
}

// Claim implements remediation.Scheduler; limit ≤ 0 claims every due task. The order
// is RedisStore's: due time (ms), then kind and run ID.
func (m *MemoryStore) Claim(ctx context.Context, now time.Time, limit int) ([]remediation.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []remediation.Task
	for _, t := range m.tasks {
		if dueScore(t.Due) <= dueScore(now) {
			due = append(due, t)
		}
	}
	slices.SortFunc(due, func(a, b remediation.Task) int {
		if c := cmp.Compare(dueScore(a.Due), dueScore(b.Due)); c != 0 {
			return c
		}
		return cmp.Compare(taskMember(a.Kind, a.RunID), taskMember(b.Kind, b.RunID))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	for _, t := range due {
		delete(m.tasks, taskMember(t.Kind, t.RunID))
	}
	return due, nil
}

// Cursor implements remediation.Store.
func (m *MemoryStore) Cursor(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursors[name], nil
}

// SetCursor implements remediation.Store.
func (m *MemoryStore) SetCursor(ctx context.Context, name, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursors == nil {
		m.cursors = map[string]string{}
	}
	m.cursors[name] = value
	return nil
}

// Hit implements remediation.Store.
func (m *MemoryStore) Hit(ctx context.Context, key string, win time.Duration) (int, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if err := validTTL(win); err != nil {
		return 0, 0, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hits == nil {
		m.hits = map[string]window{}
	}
	w := m.hits[key]
	if !now.Before(w.ends) {
		w = window{ends: now.Add(win)}
	}
	w.count++
	m.hits[key] = w
	return w.count, w.ends.Sub(now), nil
}

// AuditHead implements remediation.Store.
func (m *MemoryStore) AuditHead(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.head.Hash, nil
}
