package storage

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// TestRedisStore runs the contract, and what only Redis has, against one real
// redis-server; each subtest gets its own key prefix, so they never see each other.
func TestRedisStore(t *testing.T) {
	url, client := redistest.Start(t)

	newHarness := func(t *testing.T) harness {
		clock := testclock.New(time.Time{})
		prefix := "test:" + t.Name() + ":"
		s := NewRedis(client, RedisOptions{Prefix: prefix, Clock: clock.Now, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
		stream := prefix + "audit"
		return harness{
			store: s,
			sched: s,
			clock: clock,
			editEntry: func(t *testing.T, id string, edit func(*remediation.AuditEvent)) {
				// A stream entry cannot be changed in place: rewrite the whole stream, as
				// someone with write access to Redis could.
				ctx := t.Context()
				msgs, err := client.XRange(ctx, stream, "-", "+").Result()
				if err != nil {
					t.Fatalf("XRANGE: %v", err)
				}
				if err := client.Del(ctx, stream).Err(); err != nil {
					t.Fatalf("DEL: %v", err)
				}
				for _, m := range msgs {
					ev := m.Values["event"].(string)
					if m.ID == id {
						var e remediation.AuditEvent
						if err := json.Unmarshal([]byte(ev), &e); err != nil {
							t.Fatalf("decode: %v", err)
						}
						edit(&e)
						b, _ := json.Marshal(e)
						ev = string(b)
					}
					if err := client.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: m.ID, Values: []string{
						"event", ev, "prev", m.Values["prev"].(string), "hash", m.Values["hash"].(string),
					}}).Err(); err != nil {
						t.Fatalf("XADD: %v", err)
					}
				}
			},
			deleteEntry: func(t *testing.T, id string) {
				if n, err := client.XDel(t.Context(), stream, id).Result(); err != nil || n != 1 {
					t.Fatalf("XDEL %s: %d, %v", id, n, err)
				}
			},
		}
	}

	t.Run("contract", func(t *testing.T) { testStore(t, newHarness); testIncidents(t, newHarness) })

	t.Run("index sets hold exactly the current state", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		p := "test:" + t.Name() + ":"
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		if err := h.store.CreateRun(ctx, &r); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		r.State = remediation.StateApproved
		if err := h.store.UpdateRun(ctx, &r); err != nil {
			t.Fatalf("UpdateRun: %v", err)
		}
		members := func(key string) string {
			m, err := client.ZRange(ctx, p+key, 0, -1).Result()
			if err != nil {
				t.Fatalf("ZRANGE %s: %v", key, err)
			}
			return strings.Join(m, ",")
		}
		for key, want := range map[string]string{
			"runs":                         "run-1",
			"runs:user:00u1":               "run-1",
			"runs:app:0oa1":                "run-1",
			"runs:state:approved":          "run-1",
			"runs:state:awaiting_approval": "",
		} {
			if got := members(key); got != want {
				t.Errorf("%s holds [%s], want [%s]", key, got, want)
			}
		}
		score, err := client.ZScore(ctx, p+"runs:state:approved", "run-1").Result()
		if err != nil || int64(score) != r.CreatedAt.UnixMilli() {
			t.Errorf("index score = %v, %v; want CreatedAt in ms %d", score, err, r.CreatedAt.UnixMilli())
		}
		if n, err := client.Exists(ctx, p+"run:run-1").Result(); err != nil || n != 1 {
			t.Errorf("run key %srun:run-1 missing: %d, %v", p, n, err)
		}
	})

	t.Run("a trail edited outside the store: writes go on, the break shows", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		p := "test:" + t.Name() + ":"
		for _, d := range []string{"one", "two"} {
			if err := h.store.Append(ctx, event(remediation.AuditLookup, "", d, h.clock.Now())); err != nil {
				t.Fatalf("Append: %v", err)
			}
		}
		all, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		// Drop the last entry: the head still names it, the stream ends before it.
		if err := client.XDel(ctx, p+"audit", all[1].ID).Err(); err != nil {
			t.Fatalf("XDEL: %v", err)
		}
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		if err := h.store.CreateRun(ctx, &r, event(remediation.AuditProposed, "run-1", "three", h.clock.Now())); err != nil {
			t.Fatalf("CreateRun after the edit: %v", err)
		}
		// Lose the head: the next entry links to nothing, above the stream's last ID.
		if err := client.Del(ctx, p+"audit:head").Err(); err != nil {
			t.Fatalf("DEL: %v", err)
		}
		h.clock.Advance(-time.Hour) // and make its At older than everything
		if err := h.store.Append(ctx, event(remediation.AuditLookup, "", "four", h.clock.Now())); err != nil {
			t.Fatalf("Append after losing the head: %v", err)
		}
		got, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		var details []string
		for _, e := range got {
			details = append(details, e.Event.Detail)
		}
		if strings.Join(details, ",") != "one,three,four" {
			t.Fatalf("trail = %v, want one,three,four", details)
		}
		if err := remediation.VerifyChain("", got[:1]); err != nil {
			t.Fatalf("VerifyChain before the edit: %v", err)
		}
		if err := remediation.VerifyChain("", got[:2]); err == nil || !strings.Contains(err.Error(), "audit entry 2") {
			t.Errorf("VerifyChain across the removed entry: %v, want entry 2 named", err)
		}
		if err := remediation.VerifyChain(got[1].Hash, got[2:]); err == nil {
			t.Errorf("VerifyChain across the lost head passed, want a break")
		}
	})

	t.Run("re-entrant lock extends its TTL", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		key := "test:" + t.Name() + ":lock:k"
		if _, err := h.store.Lock(ctx, "k", "a", 2*time.Second); err != nil {
			t.Fatalf("Lock: %v", err)
		}
		if _, err := h.store.Lock(ctx, "k", "a", time.Hour); err != nil {
			t.Fatalf("re-entrant Lock: %v", err)
		}
		if ttl, err := client.PTTL(ctx, key).Result(); err != nil || ttl < 59*time.Minute {
			t.Fatalf("PTTL after re-taking for an hour = %v, %v", ttl, err)
		}
		if _, err := h.store.Lock(ctx, "k", "b", time.Hour*2); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("Lock by b: %v, want ErrConflict", err)
		}
		if ttl, err := client.PTTL(ctx, key).Result(); err != nil || ttl > time.Hour {
			t.Fatalf("a refused Lock changed the TTL: %v, %v", ttl, err)
		}
	})

	t.Run("default prefix", func(t *testing.T) {
		ctx := t.Context()
		s := NewRedis(client, RedisOptions{})
		if err := s.Schedule(ctx, remediation.Task{Kind: remediation.TaskVerify, RunID: "run-default-prefix", Due: time.Now()}); err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		t.Cleanup(func() { client.Del(context.Background(), DefaultPrefix+"tasks", DefaultPrefix+"tasks:due") })
		if n, err := client.Exists(ctx, "okta-chatops:tasks", "okta-chatops:tasks:due").Result(); err != nil || n != 2 {
			t.Fatalf("keys under okta-chatops: %d, %v", n, err)
		}
	})

	t.Run("OpenRedis", func(t *testing.T) {
		ctx := t.Context()
		c, err := OpenRedis(ctx, url)
		if err != nil {
			t.Fatalf("OpenRedis(%s): %v", url, err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		const secret = "s3cr3t-Pa55"
		addr := strings.TrimPrefix(strings.TrimSuffix(url, "/0"), "redis://")
		for _, bad := range []string{
			"redis://user:" + secret + "@" + addr + "/0", // the server has no password: AUTH fails
			"redis://:" + secret + "@" + addr + "/x",     // bad database number
			"redis://:" + secret + "@host:port:bad/0",    // does not parse
			"redis://:" + secret + "%zz@" + addr,         // does not parse, in the password itself
			"http://:" + secret + "@" + addr,             // wrong scheme
		} {
			c, err := OpenRedis(ctx, bad)
			if err == nil {
				_ = c.Close()
				t.Errorf("OpenRedis(%q) succeeded, want an error", bad)
				continue
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "Pa55") {
				t.Errorf("OpenRedis error shows the password: %v", err)
			}
		}
		// Nothing listens on port 1; go-redis retries until the context ends.
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err = OpenRedis(cctx, "redis://:"+secret+"@127.0.0.1:1/0")
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), secret) {
			t.Errorf("OpenRedis of a dead address: %v, want an error naming the address, not the password", err)
		}
	})
}
