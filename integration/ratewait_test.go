package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// slowBudget is the Okta port as the adapter behaves when a shared budget is spent:
// every read of an app user first waits (and says so through the context's listener).
type slowBudget struct {
	remediation.OktaWriter
}

func (s slowBudget) GetAppUser(ctx context.Context, appID, userID string) (remediation.AppUser, error) {
	remediation.SayRateWait(ctx, "apps", 40*time.Second)
	return s.OktaWriter.GetAppUser(ctx, appID, userID)
}

// waitsHeard is a notifier that hears run waits.
type waitsHeard struct {
	mu    sync.Mutex
	waits []string
}

func (w *waitsHeard) RunChanged(context.Context, remediation.Run, remediation.AuditEvent) {}
func (w *waitsHeard) RunWaits(_ context.Context, r remediation.Run, bucket string, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waits = append(w.waits, r.ID+" "+bucket+" "+d.String())
}

// A run whose Okta calls wait for a spent budget tells its notifier (the bot says it
// in the thread), once a minute at most, with the run it is about; the notifier is
// reached through the relay the wiring uses.
func TestRunRateWaitsAreSaid(t *testing.T) {
	r := memoryRig(t)
	heard := &waitsHeard{}
	relay := &remediation.NotifierRelay{}
	relay.Connect(heard)
	e := r.engine(t, "A", withOkta(slowBudget{r.okta}), func(d *remediation.EngineDeps, _ *remediation.EngineOptions) { d.Notifier = relay })
	run := r.propose(t, e, "assigned_before_provisioning", remediation.PlanReassign)
	r.approve(t, e, run.ID)
	run = r.settle(t, e, run.ID)
	if run.State != remediation.StateSucceeded {
		t.Fatalf("state %s: %s", run.State, run.Error)
	}
	heard.mu.Lock()
	defer heard.mu.Unlock()
	if len(heard.waits) == 0 || heard.waits[0] != run.ID+" apps 40s" {
		t.Fatalf("waits heard %q, want the run's wait on apps first", heard.waits)
	}
	// The run reads the app user several times within a few seconds of the test clock
	// (the snapshot, the checks, the verification polls): one line, not one per call,
	// per piece of work.
	if len(heard.waits) > 3 {
		t.Errorf("%d waits said for one run, want few: %q", len(heard.waits), heard.waits)
	}
}
