package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// TestRedisSentinelFailover writes runs without pause through a Sentinel REDIS_URL
// while the primary fails over (asked of a sentinel, or killed), and shows that every
// write the store acknowledged is on the new primary, the trail's chain still holds,
// and the client follows the new primary by itself.
func TestRedisSentinelFailover(t *testing.T) {
	for _, how := range []string{"sentinel failover", "primary killed"} {
		t.Run(how, func(t *testing.T) {
			// The store waits for one replica per write. A kill needs a second replica,
			// left to follow the promoted one, or writes stop until the dead server
			// returns. A requested failover uses one replica: with two, the old primary
			// keeps its other replica (and WAIT keeps succeeding) for a moment after the
			// promotion, and those writes are dropped when the sentinels move it
			// (docs/operations.md says so).
			replicas := 1
			if how == "primary killed" {
				replicas = 2
			}
			topo := redistest.StartSentinelN(t, replicas)
			ctx := t.Context()
			client, err := OpenRedis(ctx, topo.URL())
			if err != nil {
				t.Fatalf("OpenRedis(%s): %v", topo.URL(), err)
			}
			t.Cleanup(func() { _ = client.Close() })
			s := NewRedis(client, RedisOptions{Replicas: 1})

			w := startWriter(ctx, s)
			w.waitAcked(t, 20)
			before := w.ackedCount()
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var leader *redistest.Server
			switch how {
			case "sentinel failover":
				leader, err = topo.Failover(wctx)
			default:
				topo.Primary.Kill()
				leader, err = topo.WaitNewPrimary(wctx, topo.Primary.Addr)
			}
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			w.waitAcked(t, before+20) // the client found the new primary
			acked, failed := w.stop()
			t.Logf("%s: %d writes acknowledged, %d refused during the failover", how, len(acked), failed)

			// Read the new primary directly, not through the failover client.
			direct := NewRedis(leader.Client, RedisOptions{})
			for _, id := range acked {
				if _, err := direct.GetRun(ctx, id); err != nil {
					t.Errorf("acknowledged run %s is not on the new primary: %v", id, err)
				}
			}
			entries, err := direct.Audit(ctx, time.Time{}, 0)
			if err != nil {
				t.Fatalf("audit: %v", err)
			}
			if err := remediation.VerifyChain("", entries); err != nil {
				t.Fatalf("chain after failover: %v", err)
			}
			if len(entries) < len(acked) {
				t.Fatalf("%d audit entries for %d acknowledged runs", len(entries), len(acked))
			}
			if how == "sentinel failover" {
				if err := topo.WaitRole(wctx, topo.Primary, "slave"); err != nil {
					t.Fatalf("the old primary did not become a replica: %v", err)
				}
			}
		})
	}
}

// writer creates runs one after another until stopped, remembering which ones the
// store acknowledged.
type writer struct {
	mu     sync.Mutex
	acked  []string
	failed int
	more   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func startWriter(ctx context.Context, s *RedisStore) *writer {
	ctx, cancel := context.WithCancel(ctx)
	w := &writer{more: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; ctx.Err() == nil; i++ {
			id := fmt.Sprintf("run-%05d", i)
			at := base.Add(time.Duration(i) * time.Millisecond)
			r := sampleRun(id, "00u1", "0oa1", remediation.StateRunning, at)
			wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
			err := s.CreateRun(wctx, &r, event(remediation.AuditProposed, id, "", at))
			wcancel()
			w.mu.Lock()
			if err == nil {
				w.acked = append(w.acked, id)
			} else if ctx.Err() == nil {
				w.failed++
			}
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

func (w *writer) ackedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *writer) waitAcked(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for w.ackedCount() < n {
		select {
		case <-w.more:
		case <-deadline:
			t.Fatalf("only %d of %d writes acknowledged within 60s", w.ackedCount(), n)
		}
	}
}

func (w *writer) stop() ([]string, int) {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acked, w.failed
}

// TestRedisWaitsForReplicas: with Replicas set and no replica, a write is reported as
// not durable (transient), not as done.
func TestRedisWaitsForReplicas(t *testing.T) {
	_, client := redistest.Start(t)
	s := NewRedis(client, RedisOptions{Prefix: "wait:", Replicas: 1, ReplicaTimeout: 50 * time.Millisecond})
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := sampleRun("r1", "00u1", "0oa1", remediation.StateRunning, now)
	err := s.CreateRun(t.Context(), &r, event(remediation.AuditProposed, "r1", "", now))
	if !errors.Is(err, remediation.ErrTransient) {
		t.Fatalf("CreateRun with no replica = %v, want ErrTransient", err)
	}
	ctx := t.Context()
	for what, err := range map[string]error{
		"SetCursor": s.SetCursor(ctx, "c", "1-0"),
		"Lock":      func() error { _, err := s.Lock(ctx, "k", "me", time.Minute); return err }(),
		"Once":      func() error { _, err := s.Once(ctx, "k", time.Minute); return err }(),
		"Schedule":  s.Schedule(ctx, remediation.Task{Kind: remediation.TaskAdvance, RunID: "r1", Due: now}),
	} {
		if !errors.Is(err, remediation.ErrTransient) {
			t.Errorf("%s with no replica = %v, want ErrTransient", what, err)
		}
	}
	// With a replica, the same calls succeed.
	primary := redistest.StartServer(t)
	host, port, _ := strings.Cut(primary.Addr, ":")
	redistest.StartServer(t, "--replicaof", host, port)
	s = NewRedis(primary.Client, RedisOptions{Prefix: "wait:", Replicas: 1})
	deadline := time.Now().Add(10 * time.Second)
	for err := s.SetCursor(ctx, "c", "1-0"); err != nil; err = s.SetCursor(ctx, "c", "1-0") {
		if time.Now().After(deadline) { // the replica's first sync takes a moment
			t.Fatalf("SetCursor with a replica: %v", err)
		}
	}
	if _, err := s.Lock(ctx, "k", "me", time.Minute); err != nil {
		t.Fatalf("Lock with a replica: %v", err)
	}
}

// TestRedisTLS: rediss:// connects to a TLS-only redis-server whose certificate a CA
// made by the test signed, when the client trusts that CA, and is refused otherwise.
func TestRedisTLS(t *testing.T) {
	srv := redistest.StartTLS(t)
	ctx := t.Context()
	c, err := OpenRedisTLS(ctx, srv.URL(), srv.Roots)
	if err != nil {
		t.Fatalf("OpenRedisTLS(%s): %v", srv.URL(), err)
	}
	defer c.Close()
	s := NewRedis(c, RedisOptions{})
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := sampleRun("r1", "00u1", "0oa1", remediation.StateRunning, now)
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatalf("CreateRun over TLS: %v", err)
	}
	if _, err := s.GetRun(ctx, "r1"); err != nil {
		t.Fatalf("GetRun over TLS: %v", err)
	}

	// The system's trust store does not know the test's CA: verification is on.
	if c, err := OpenRedis(ctx, srv.URL()); err == nil {
		c.Close()
		t.Fatal("OpenRedis trusted a certificate from an unknown CA")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted CA: %v, want a certificate error", err)
	}
	// A plain redis:// client cannot talk to the TLS port.
	plain := redis.NewClient(&redis.Options{Addr: srv.TLSAddr, MaxRetries: -1, DialTimeout: time.Second})
	defer plain.Close()
	if err := plain.Ping(ctx).Err(); err == nil {
		t.Fatal("a plain-text PING was answered on the TLS port")
	}
}
