package storage

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
)

func newMemoryHarness(t *testing.T) harness {
	clock := testclock.New(time.Time{})
	m := NewMemory(MemoryOptions{Clock: clock.Now})
	find := func(t *testing.T, id string) int {
		t.Helper()
		for i, e := range m.audit {
			if e.entry.ID == id {
				return i
			}
		}
		t.Fatalf("no audit entry %s", id)
		return -1
	}
	return harness{
		store: m,
		sched: m,
		clock: clock,
		editEntry: func(t *testing.T, id string, edit func(*remediation.AuditEvent)) {
			m.mu.Lock()
			defer m.mu.Unlock()
			edit(&m.audit[find(t, id)].entry.Event)
		},
		deleteEntry: func(t *testing.T, id string) {
			m.mu.Lock()
			defer m.mu.Unlock()
			i := find(t, id)
			m.audit = append(m.audit[:i], m.audit[i+1:]...)
		},
	}
}

func TestMemoryStore(t *testing.T) {
	testStore(t, newMemoryHarness)
	testIncidents(t, newMemoryHarness)
}

// Redis proves the same with PTTL (TestRedisStore); here the clock is ours to move.
func TestMemoryLockRetakeExtends(t *testing.T) {
	h := newMemoryHarness(t)
	ctx := t.Context()
	if _, err := h.store.Lock(ctx, "k", "a", 10*time.Second); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	h.clock.Advance(8 * time.Second)
	if _, err := h.store.Lock(ctx, "k", "a", 10*time.Second); err != nil {
		t.Fatalf("re-entrant Lock: %v", err)
	}
	h.clock.Advance(8 * time.Second) // 16 s after the first take: only the extension holds it
	if holder, err := h.store.Lock(ctx, "k", "b", time.Second); !errors.Is(err, remediation.ErrConflict) || holder != "a" {
		t.Fatalf("Lock by b 16 s in: holder %q err %v, want a still holding", holder, err)
	}
	h.clock.Advance(2 * time.Second)
	if holder, err := h.store.Lock(ctx, "k", "b", time.Second); err != nil || holder != "b" {
		t.Fatalf("Lock by b after the extension lapsed: holder %q err %v", holder, err)
	}
}

// Expired leases must not pile up in a long-lived process.
func TestMemoryExpiredLeasesAreSwept(t *testing.T) {
	h := newMemoryHarness(t)
	m := h.store.(*MemoryStore)
	for i := range 1000 {
		if _, err := m.Once(t.Context(), fmt.Sprintf("key-%d", i), time.Second); err != nil {
			t.Fatalf("Once: %v", err)
		}
		h.clock.Advance(2 * time.Second)
	}
	m.mu.Lock()
	n := len(m.leases)
	m.mu.Unlock()
	if n > 128 {
		t.Fatalf("%d leases kept after 1000 expired ones, want at most 128", n)
	}
}
