package oktaadapter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage"
)

// With OnRateWait = remediation.SayRateWait (as the wiring sets it), a long wait for a
// spent budget reaches the listener of the waiting call's context.
func TestRateWaitReachesTheCallersListener(t *testing.T) {
	sc := newScaledClock(120)
	budgets := storage.NewMemoryBudgets()
	e := newSimEnv(t, oktasim.Options{Limits: oktasim.Limits{Apps: 20}, Clock: sc.Now}, func(cfg *Config) {
		cfg.Budgets, cfg.OnRateWait = budgets, remediation.SayRateWait
		cfg.Clock, cfg.Sleep = sc.Now, sc.Sleep
	})
	var mu sync.Mutex
	var heard []string
	ctx := remediation.WithRateWait(context.Background(), func(_ context.Context, bucket string, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, bucket)
	})
	app, user := e.appID(t, oktasim.LabelZoom), e.userID(t, "alice@example.com")
	for i := 0; i < 25; i++ {
		if _, err := e.c.GetAppUser(ctx, app, user); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) == 0 || heard[0] != BucketApps {
		t.Errorf("the caller heard %q, want a wait on %s", heard, BucketApps)
	}
}
