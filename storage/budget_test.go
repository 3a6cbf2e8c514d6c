package storage

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// budgets is what both implementations offer (the oktaadapter.BudgetStore port).
type budgets interface {
	Take(ctx context.Context, bucket string, now time.Time, assume int, headroom float64) (time.Duration, error)
	Observe(ctx context.Context, bucket string, limit, remaining int, window int64, reset, now time.Time) error
}

func TestBudgets(t *testing.T) {
	_, client := redistest.Start(t)
	impls := map[string]func(t *testing.T) budgets{
		"memory": func(*testing.T) budgets { return NewMemoryBudgets() },
		"redis":  func(t *testing.T) budgets { return NewRedisBudgets(client, "test:"+t.Name()+":") },
	}
	for name, newBudgets := range impls {
		t.Run(name, func(t *testing.T) { budgetContract(t, newBudgets) })
	}
}

func budgetContract(t *testing.T, newBudgets func(t *testing.T) budgets) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	take := func(t *testing.T, b budgets, bucket string, now time.Time) time.Duration {
		t.Helper()
		d, err := b.Take(ctx, bucket, now, 20, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// observe records an answer of Okta's window that resets at reset; at names the
	// window's X-Rate-Limit-Reset when it is not reset itself.
	observe := func(t *testing.T, b budgets, bucket string, limit, remaining int, reset, now time.Time, at ...time.Time) {
		t.Helper()
		window := reset.Unix()
		if len(at) > 0 {
			window = at[0].Unix()
		}
		if err := b.Observe(ctx, bucket, limit, remaining, window, reset, now); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("an unknown budget is assumed until Okta answers", func(t *testing.T) {
		b := newBudgets(t)
		// 20 assumed, 2 in reserve: 18 go in the first minute, then a wait.
		for i := 0; i < 18; i++ {
			if d := take(t, b, "apps", t0); d != 0 {
				t.Fatalf("request %d waits %s", i, d)
			}
		}
		if d := take(t, b, "apps", t0.Add(20*time.Second)); d != 40*time.Second {
			t.Fatalf("wait %s, want 40s", d)
		}
		// Okta's answer (a bigger budget) takes over, with the 18 the estimate let
		// through: 82 remain, 10 in reserve, so 72 more go.
		now := t0.Add(20 * time.Second)
		observe(t, b, "apps", 100, 99, t0.Add(55*time.Second), now)
		went := 0
		for take(t, b, "apps", now) == 0 {
			went++
		}
		if went != 72 {
			t.Fatalf("%d went after Okta's answer, want 72", went)
		}
	})

	t.Run("counts down to the reserve, then waits for the reset", func(t *testing.T) {
		b := newBudgets(t)
		reset := t0.Add(40 * time.Second)
		observe(t, b, "apps", 100, 15, reset, t0)
		// 15 remain, the reserve is 10: five go, the sixth waits until the reset.
		for i := 0; i < 5; i++ {
			if d := take(t, b, "apps", t0); d != 0 {
				t.Fatalf("request %d waits %s", i, d)
			}
		}
		if d := take(t, b, "apps", t0.Add(10*time.Second)); d != 30*time.Second {
			t.Fatalf("wait %s, want 30s", d)
		}
		// Other buckets are untouched.
		if d := take(t, b, "logs", t0); d != 0 {
			t.Fatalf("logs wait %s", d)
		}
		// After the reset, an estimated full window: requests go again.
		if d := take(t, b, "apps", reset); d != 0 {
			t.Fatalf("after the reset: wait %s", d)
		}
	})

	t.Run("same window keeps the lower remaining, a later one replaces it", func(t *testing.T) {
		b := newBudgets(t)
		reset := t0.Add(30 * time.Second)
		observe(t, b, "logs", 120, 24, reset, t0) // the reserve is 12
		for i := 0; i < 8; i++ {                  // 16 left by our count
			take(t, b, "logs", t0)
		}
		// A late answer from before those requests says 23: our 16 stand.
		observe(t, b, "logs", 120, 23, reset.Add(time.Second), t0, reset)
		for i := 0; i < 4; i++ {
			if d := take(t, b, "logs", t0); d != 0 {
				t.Fatalf("request %d waits %s", i, d)
			}
		}
		if d := take(t, b, "logs", t0); d == 0 {
			t.Fatal("went beyond the reserve")
		}
		// An answer of an earlier window is ignored.
		observe(t, b, "logs", 120, 120, reset.Add(-time.Second), t0, reset.Add(-time.Minute))
		if d := take(t, b, "logs", t0); d == 0 {
			t.Fatal("an earlier window's answer refilled the budget")
		}
		// A later window replaces the budget.
		observe(t, b, "logs", 120, 100, reset.Add(time.Minute), t0.Add(31*time.Second))
		if d := take(t, b, "logs", t0.Add(31*time.Second)); d != 0 {
			t.Fatalf("new window: wait %s", d)
		}
	})

	t.Run("an estimated window gives way to Okta's", func(t *testing.T) {
		b := newBudgets(t)
		observe(t, b, "users", 600, 60, t0.Add(time.Second), t0)
		now := t0.Add(2 * time.Second)
		take(t, b, "users", now) // the window is over: estimated, 599 left
		// Okta's own answer for the new window, whose reset is sooner than our estimate:
		// its reset is taken, with the lower of the two counts.
		observe(t, b, "users", 600, 61, now.Add(50*time.Second), now)
		if d := take(t, b, "users", now); d != 0 {
			t.Fatalf("wait %s", d)
		}
		if d := take(t, b, "users", now); d != 50*time.Second {
			t.Fatalf("wait %s, want Okta's reset in 50s", d)
		}
	})

	t.Run("an estimate keeps counting what it let through", func(t *testing.T) {
		b := newBudgets(t)
		observe(t, b, "apps", 20, 5, t0.Add(time.Second), t0)
		now := t0.Add(2 * time.Second)
		went := 0
		for take(t, b, "apps", now) == 0 { // the estimated window: 19 left, then down to the reserve of 2
			went++
		}
		// A late answer of the window before, which our clock thinks still running,
		// does not end the estimate.
		observe(t, b, "apps", 20, 0, now.Add(500*time.Millisecond), now, t0.Add(time.Second))
		if d := take(t, b, "apps", now.Add(time.Second)); d == 0 || d < 50*time.Second {
			t.Fatalf("wait %s after a stale answer: the estimate was cut short", d)
		}
		// Okta answers the first of those: 19 left. The ones in flight still count.
		observe(t, b, "apps", 20, 19, now.Add(58*time.Second), now)
		if d := take(t, b, "apps", now); d == 0 || went != 18 {
			t.Fatalf("went %d, then wait %s: the estimate's count was forgotten", went, d)
		}
		// A stale answer of a window already over changes nothing.
		observe(t, b, "apps", 20, 20, now, now)
		if d := take(t, b, "apps", now); d == 0 {
			t.Fatal("a stale answer refilled the budget")
		}
	})

	t.Run("concurrent takes never overdraw", func(t *testing.T) {
		b := newBudgets(t)
		observe(t, b, "apps", 100, 60, t0.Add(time.Minute), t0)
		var mu sync.Mutex
		went := 0
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := b.Take(ctx, "apps", t0, 20, 0.1)
				if err != nil {
					t.Error(err)
					return
				}
				if d == 0 {
					mu.Lock()
					went++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if went != 50 {
			t.Fatalf("%d requests went, want 50 (60 remaining, 10 in reserve)", went)
		}
	})
}
