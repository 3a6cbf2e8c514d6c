package oktaadapter

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// A caller about to make a run of calls waits for the reset when they would not fit
// above the headroom in this window, and not when they would.
func TestAwaitAppsBudget(t *testing.T) {
	serverNow := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c, _, ft := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		rateLimitHeaders(w, 100, 40, serverNow, serverNow.Add(30*time.Second))
		writeJSON(w, 200, appUserJSON("00u1", nil, "USER", "ACTIVE", "SYNCHRONIZED"))
	})
	ctx := context.Background()
	if _, err := c.GetAppUser(ctx, "0oa1", "00u1"); err != nil { // 40 left
		t.Fatal(err)
	}
	if err := c.AwaitAppsBudget(ctx, 25); err != nil {
		t.Fatal(err)
	}
	if s := ft.Sleeps(); len(s) != 0 {
		t.Fatalf("waited %v although 25 calls fit in the 40 left", s)
	}
	if err := c.AwaitAppsBudget(ctx, 35); err != nil {
		t.Fatal(err)
	}
	if s := ft.Sleeps(); len(s) != 1 || s[0] != 30*time.Second {
		t.Fatalf("waits %v, want one for the reset (30s) before 35 calls that do not fit", s)
	}
}
