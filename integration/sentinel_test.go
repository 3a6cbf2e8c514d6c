package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// The Redis primary dies (SIGKILL) in the middle of an External ID reset, right after
// the unassign, with provisioning off; Sentinel promotes a replica. The engine, on a
// Sentinel REDIS_URL, must end with provisioning restored to its snapshot, the run
// healed or compensated (never lost), and no change applied twice.
func TestSentinelFailoverMidRunWithProvisioningOff(t *testing.T) {
	topo := redistest.StartSentinelN(t, 2) // a second replica follows the promoted one
	ctx := context.Background()
	client, err := storage.OpenRedis(ctx, topo.URL())
	if err != nil {
		t.Fatalf("OpenRedis(%s): %v", topo.URL(), err)
	}
	t.Cleanup(func() { _ = client.Close() })
	clock := testclock.New(time.Now().UTC())
	s := storage.NewRedis(client, storage.RedisOptions{Replicas: 1, Clock: clock.Now})
	r := newRigWith(t, s, s, clock)

	var failedOver bool
	hook := &writeHook{OktaWriter: r.okta, after: func(n int, err error) error {
		if n == 2 && err == nil { // the unassign took effect; provisioning is off
			old := topo.Primary.Addr
			topo.Primary.Kill()
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, werr := topo.WaitNewPrimary(wctx, old); werr != nil {
				t.Errorf("no new primary: %v", werr)
			}
			failedOver = true
		}
		return err
	}}
	e := r.engine(t, "A", withOkta(hook), func(_ *remediation.EngineDeps, o *remediation.EngineOptions) {
		o.StoreRetry = 50 * time.Millisecond
	})
	before := r.caps(t, "Zoom")
	run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
	r.approve(t, e, run.ID)
	got := r.drive(t, e, run.ID, "ended", func(run remediation.Run) bool { return run.State.Terminal() })
	if !failedOver {
		t.Fatal("the primary was never failed over: the test proved nothing")
	}
	if got.State != remediation.StateSucceeded && got.State != remediation.StateCompensated {
		t.Errorf("run ended %s (%s), want succeeded or compensated", got.State, got.Error)
	}
	if caps := r.caps(t, "Zoom"); caps != before {
		t.Errorf("provisioning %+v after the failover, want the snapshot %+v", caps, before)
	}
	if au := r.appUser(t, "Zoom", run.Target.UserID); au.ID == "" {
		t.Error("the user was left unassigned")
	}
	deletes, resets := 0, 0
	for _, q := range r.org.Requests() {
		if !strings.Contains(q.Path, "/users/"+run.Target.UserID) || q.Status >= 300 || q.Status == 0 {
			continue
		}
		switch {
		case q.Method == "DELETE":
			deletes++
		case q.Method == "POST" && strings.Contains(q.Body, `"externalId":null`):
			resets++
		}
	}
	if deletes != 1 || resets > 1 {
		t.Errorf("%d unassigns and %d External ID resets, want 1 and at most 1", deletes, resets)
	}
	if p := r.pauses(run.Target.AppID); len(p) == 0 || p[len(p)-1] != "on" || strings.Count(strings.Join(p, ","), "off") != 1 {
		t.Errorf("provisioning switches %v, want one pause ending on", p)
	}
	t.Logf("ended %s; provisioning switches %v", got.State, r.pauses(run.Target.AppID))
}
