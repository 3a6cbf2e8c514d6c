package remediation

import (
	"context"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
)

func TestSayRateWaitReachesTheListenerOnceEvery(t *testing.T) {
	SayRateWait(context.Background(), "apps", time.Minute) // no listener: nothing happens
	clock := testclock.New(testNow)
	var heard []string
	ctx := WithRateWait(context.Background(), OnceEvery(time.Minute, clock.Now, func(_ context.Context, bucket string, wait time.Duration) {
		heard = append(heard, bucket+" "+wait.String())
	}))
	SayRateWait(ctx, "apps", 10*time.Second)
	clock.Advance(59 * time.Second)
	SayRateWait(ctx, "logs", 20*time.Second) // within the minute: not said again
	clock.Advance(time.Second)
	SayRateWait(ctx, "users", 30*time.Second)
	if len(heard) != 2 || heard[0] != "apps 10s" || heard[1] != "users 30s" {
		t.Errorf("heard %q", heard)
	}
}
