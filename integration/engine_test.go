package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

func TestPlansHealTheSeedCases(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		t.Run("reset_external_id", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			before := r.caps(t, "Zoom")
			run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
			stale := run.Snapshot.StaleExternalID
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
			}
			if after := r.caps(t, "Zoom"); after != before {
				t.Errorf("provisioning %+v after the run, want the snapshot %+v", after, before)
			}
			au := r.appUser(t, "Zoom", run.Target.UserID)
			if au.ExternalID == "" || au.ExternalID == stale || au.SyncState != remediation.SyncSynchronized {
				t.Errorf("app user after fix: %+v (stale %s)", au, stale)
			}
			if got := r.pauses(run.Target.AppID); strings.Join(got, ",") != "off,on" {
				t.Errorf("provisioning switches = %v, want off,on", got)
			}
		})
		t.Run("group scoped, never DELETE while GROUP", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "group_scoped", remediation.PlanResetExternalID)
			if run.Steps[1].Kind != remediation.StepScopeUser || run.Steps[len(run.Steps)-1].Kind != remediation.StepScopeGroup {
				t.Fatalf("steps %+v: want scope_user first and scope_group last", run.Steps)
			}
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s", run.State, run.Error)
			}
			scopeUser := false
			for _, q := range r.org.Requests() {
				if q.Status == 403 {
					t.Errorf("Okta refused a call: %s %s", q.Method, q.Path)
				}
				if q.Method == "POST" && strings.Contains(q.Body, `"scope":"USER"`) {
					scopeUser = true
				}
				if q.Method == "DELETE" && !scopeUser {
					t.Errorf("DELETE %s before the assignment was made individual", q.Path)
				}
			}
			if au := r.appUser(t, "Zoom", run.Target.UserID); au.Scope != remediation.ScopeGroup {
				t.Errorf("scope after the fix = %s, want GROUP again", au.Scope)
			}
		})
		t.Run("relink_saas_user", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			before := r.caps(t, "Slack")
			run := r.propose(t, e, "slack_deactivated", remediation.PlanRelinkSaaSUser)
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s", run.State, run.Error)
			}
			au := r.appUser(t, "Slack", run.Target.UserID)
			acct, _ := r.org.SaaSAccountByID(run.Target.AppID, run.Snapshot.SaaSUserID)
			if au.ExternalID != run.Snapshot.SaaSUserID || !acct.Active {
				t.Errorf("externalId %q (want the member ID %q), account active %v", au.ExternalID, run.Snapshot.SaaSUserID, acct.Active)
			}
			if after := r.caps(t, "Slack"); after != before {
				t.Errorf("provisioning %+v after, want %+v", after, before)
			}
		})
		t.Run("manual provisioning switches without the Features API", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "features_unsupported", remediation.PlanResetExternalID)
			r.approve(t, e, run.ID)
			appID := run.Target.AppID
			before := r.caps(t, "Acme Wiki")
			run = r.settle(t, e, run.ID)
			if !waiting(run) || run.Steps[run.Cursor].Kind != remediation.StepProvisioningOffMan {
				t.Fatalf("want the run waiting at the manual off step, got %s at %d: %+v", run.State, run.Cursor, run.Steps)
			}
			if _, err := e.Confirm(context.Background(), run.ID, run.Cursor+1, "UOUTSIDER1"); !errors.Is(err, remediation.ErrDenied) {
				t.Errorf("an outsider confirmed a manual step: %v", err)
			}
			// The person does it in the Admin Console, then clicks Done.
			off := before
			off.LifecycleCreate, off.Profile, off.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
			if err := r.org.SetProvisioning(appID, off); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Confirm(context.Background(), run.ID, run.Cursor+1, requester); err != nil {
				t.Fatal(err)
			}
			run = r.settle(t, e, run.ID)
			if !waiting(run) || run.Steps[run.Cursor].Kind != remediation.StepRestoreMan {
				t.Fatalf("want the run waiting at the manual restore, got %s at %d", run.State, run.Cursor)
			}
			if err := r.org.SetProvisioning(appID, before); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Confirm(context.Background(), run.ID, run.Cursor+1, approver); err != nil {
				t.Fatal(err)
			}
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s", run.State, run.Error)
			}
		})
		t.Run("reassign ends with a verdict", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "stale_external_id", remediation.PlanReassign)
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			switch run.State {
			case remediation.StateSucceeded:
			case remediation.StateFailed:
				// When re-assigning does not help, resetting the External ID is next.
				if !strings.Contains(run.Outcome.EN, "reset_external_id") {
					t.Errorf("failed reassign does not point to fix 2: %s", run.Outcome.EN)
				}
			default:
				t.Fatalf("state %s", run.State)
			}
		})
	})
}

// A permanent failure at any write of fix 2 is compensated: provisioning ends exactly
// as it was.
func TestFailureAtEveryStepRestoresProvisioning(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		for failAt := 1; failAt <= 4; failAt++ { // off, unassign, externalId null, restore
			t.Run(fmt.Sprintf("write %d", failAt), func(t *testing.T) {
				r := newRig(t)
				e := r.engine(t, "A", withOkta(&writeHook{OktaWriter: r.okta, before: func(n int) error {
					if n == failAt {
						return &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: "injected", Status: 400, Code: "E0000001"}
					}
					return nil
				}}))
				before := r.caps(t, "Zoom")
				run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
				r.approve(t, e, run.ID)
				run = r.settle(t, e, run.ID)
				if run.State != remediation.StateCompensated {
					t.Fatalf("state %s (%s), want compensated", run.State, run.Error)
				}
				if after := r.caps(t, "Zoom"); after != before {
					t.Errorf("provisioning %+v after the failure, want %+v", after, before)
				}
				if run.ProvisioningPaused {
					t.Error("run still marks provisioning paused")
				}
				if failAt == 3 {
					// Undo in reverse order: the user is assigned again (undo of the
					// unassign) before provisioning is restored (undo of the off).
					var order []string
					for _, q := range r.org.Requests() {
						switch {
						case q.Method == "POST" && q.Path == "/api/v1/apps/"+run.Target.AppID+"/users":
							order = append(order, "assign")
						case q.Method == "PUT":
							order = append(order, "put")
						}
					}
					if strings.Join(order, ",") != "put,assign,put" {
						t.Errorf("compensation order = %v, want put(off),assign,put(restore)", order)
					}
				}
			})
		}
	})
}

// Transient Okta errors are retried with back-off and the run still succeeds.
func TestTransientErrorsAreRetried(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		e := r.engine(t, "A")
		remove := r.org.Inject(oktasim.Fault{Method: "DELETE", Status: 503, Count: 2})
		defer remove()
		run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
		r.approve(t, e, run.ID)
		run = r.settle(t, e, run.ID)
		if run.State != remediation.StateSucceeded {
			t.Fatalf("state %s: %s", run.State, run.Error)
		}
		if a := run.Steps[2].Attempts; run.Steps[2].Kind != remediation.StepUnassign || a != 3 {
			t.Errorf("unassign attempts = %d (step %s), want 3", a, run.Steps[2].Kind)
		}
	})
}

// An engine that dies before or right after any write (before it could persist) leaves
// a run that a second engine finishes, with provisioning restored.
func TestCrashAtEveryStepBoundary(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		for crashAt := 1; crashAt <= 4; crashAt++ {
			for _, when := range []string{"before", "after"} {
				t.Run(fmt.Sprintf("write %d %s", crashAt, when), func(t *testing.T) {
					r := newRig(t)
					ctx, crash := context.WithCancel(context.Background())
					defer crash()
					hook := &writeHook{OktaWriter: r.okta}
					if when == "before" {
						hook.before = func(n int) error {
							if n == crashAt {
								crash()
								return context.Canceled
							}
							return nil
						}
					} else {
						hook.after = func(n int, err error) error {
							if n == crashAt {
								crash() // the call took effect; the engine never hears of it
								return context.Canceled
							}
							return err
						}
					}
					a := r.engine(t, "A", withOkta(hook), func(d *remediation.EngineDeps, _ *remediation.EngineOptions) {
						d.Store = deadStore{Store: r.store, dead: func() bool { return ctx.Err() != nil }}
					})
					before := r.caps(t, "Zoom")
					run := r.propose(t, a, "stale_external_id", remediation.PlanResetExternalID)
					r.approve(t, a, run.ID)
					for i := 0; i < 20 && ctx.Err() == nil; i++ {
						tasks, _ := r.sched.Claim(ctx, r.clock.Now(), 16)
						for _, task := range tasks {
							_ = a.Handle(ctx, task)
						}
					}
					if ctx.Err() == nil {
						t.Fatal("engine A never reached the crash point")
					}
					// Engine B starts after A's lease lapsed.
					r.clock.Advance(31 * time.Second)
					b := r.engine(t, "B")
					if err := b.Sweep(context.Background()); err != nil {
						t.Fatal(err)
					}
					run = r.settle(t, b, run.ID)
					if run.State != remediation.StateSucceeded {
						t.Fatalf("state %s: %s", run.State, run.Error)
					}
					if after := r.caps(t, "Zoom"); after != before {
						t.Errorf("provisioning %+v, want %+v", after, before)
					}
					if !r.audited(t, remediation.AuditResumed, run.ID) {
						t.Error("no resumed event in the audit trail")
					}
				})
			}
		}
	})
}

// Two runs on one app take turns: their provisioning pauses never overlap.
func TestConcurrentRunsOnOneAppNeverOverlapPauses(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		// These engines run on their own, on the real clock, with short waits.
		quick := func(d *remediation.EngineDeps, o *remediation.EngineOptions) {
			d.Clock, o.QueueRetry, o.VerifyEvery, o.RetryBase = nil, 5*time.Millisecond, 5*time.Millisecond, 5*time.Millisecond
		}
		a, b := r.engine(t, "A", quick), r.engine(t, "B", quick)
		run1 := r.propose(t, a, "stale_external_id", remediation.PlanResetExternalID) // alice on Zoom
		run2 := r.propose(t, b, "group_scoped", remediation.PlanResetExternalID)      // carol on Zoom
		r.approve(t, a, run1.ID)
		r.approve(t, b, run2.ID)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		for _, e := range []*remediation.Engine{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = e.Work(ctx, 2*time.Millisecond, time.Second, 2)
			}()
		}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(30 * time.Second)
		for done := false; !done; {
			select {
			case <-deadline:
				t.Fatal("runs did not end within 30s")
			case <-tick.C:
			}
			r1, _ := r.store.GetRun(context.Background(), run1.ID)
			r2, _ := r.store.GetRun(context.Background(), run2.ID)
			if done = r1.State.Terminal() && r2.State.Terminal(); done {
				if r1.State != remediation.StateSucceeded || r2.State != remediation.StateSucceeded {
					t.Errorf("states %s (%s), %s (%s)", r1.State, r1.Error, r2.State, r2.Error)
				}
			}
		}
		cancel()
		wg.Wait()
		got := strings.Join(r.pauses(run1.Target.AppID), ",")
		if got != "off,on,off,on" {
			t.Errorf("provisioning switches on the app = %s, want off,on,off,on (never two pauses at once)", got)
		}
		if !r.audited(t, remediation.AuditQueued, "") {
			t.Error("the second run never said it was queued")
		}
	})
}

// 50 concurrent approvals of one run execute it once.
func TestFiftyConcurrentApprovalsExecuteOnce(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		var approvers []string
		for i := 0; i < 50; i++ {
			approvers = append(approvers, fmt.Sprintf("UAPPR%05d", i))
		}
		r.policy.Approvers = approvers
		e := r.engine(t, "A")
		run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for _, who := range approvers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.Approve(context.Background(), run.ID, who, "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, remediation.ErrDenied):
					refused++
				default:
					t.Errorf("approve: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || refused != 49 {
			t.Fatalf("%d approvals took, %d refused; want 1 and 49", ok, refused)
		}
		run = r.settle(t, e, run.ID)
		if run.State != remediation.StateSucceeded {
			t.Fatalf("state %s", run.State)
		}
		deletes := 0
		for _, q := range r.org.Requests() {
			if q.Method == "DELETE" {
				deletes++
			}
		}
		if deletes != 1 {
			t.Errorf("%d DELETEs, want the run executed once", deletes)
		}
	})
}

func TestApprovalRefusals(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		ctx := context.Background()
		r := newRig(t)
		e := r.engine(t, "A")
		run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
		for _, c := range []struct{ who, want string }{
			{requester, "you cannot approve or reject it yourself"},
			{"UOUTSIDER1", "not an approver"},
		} {
			_, err := e.Approve(ctx, run.ID, c.who, "")
			ref, ok := remediation.AsRefusal(err)
			if !ok || !strings.Contains(ref.Reason.EN, c.want) || ref.Reason.JA == "" {
				t.Errorf("approve by %s: %v, want a refusal saying %q", c.who, err, c.want)
			}
		}
		if got, _ := r.store.GetRun(ctx, run.ID); got.Version != run.Version || got.State != remediation.StateAwaitingApproval {
			t.Errorf("a refused approval changed the run: version %d→%d state %s", run.Version, got.Version, got.State)
		}

		// The affected user cannot approve their own fix.
		run2 := run
		run2.AffectedSlackUser = approver2
		run2.UpdatedAt = r.clock.Now()
		if err := r.store.UpdateRun(ctx, &run2); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Approve(ctx, run.ID, approver2, ""); err == nil || !strings.Contains(err.Error(), "your own account") {
			t.Errorf("affected user approving: %v", err)
		}

		// Expired: refused, and the run ends expired.
		r.clock.Advance(2 * time.Hour)
		if _, err := e.Approve(ctx, run.ID, approver, ""); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("approving an expired run: %v", err)
		}
		if got, _ := r.store.GetRun(ctx, run.ID); got.State != remediation.StateExpired {
			t.Errorf("state after expiry = %s", got.State)
		}
		if _, err := e.Approve(ctx, run.ID, approver, ""); !errors.Is(err, remediation.ErrDenied) {
			t.Errorf("approving a decided run: %v", err)
		}
	})
}

// Provisioning that was already off before the fix stays off after it.
func TestProvisioningAlreadyOffStaysOff(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		e := r.engine(t, "A")
		zoom, _ := r.org.AppID("Zoom")
		off := r.caps(t, "Zoom")
		off.LifecycleCreate, off.Profile, off.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
		if err := r.org.SetProvisioning(zoom, off); err != nil {
			t.Fatal(err)
		}
		run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
		r.approve(t, e, run.ID)
		run = r.settle(t, e, run.ID)
		if run.State != remediation.StateSucceeded {
			t.Fatalf("state %s: %s", run.State, run.Error)
		}
		if got := r.caps(t, "Zoom"); got != off {
			t.Errorf("provisioning %+v after the fix, want it still off %+v", got, off)
		}
	})
}

// When Okta changes between approval and execution, the run is re-planned and asks
// again instead of acting on what was approved.
func TestReplanWhenOktaChanged(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		e := r.engine(t, "A")
		run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
		r.approve(t, e, run.ID)
		zoom, _ := r.org.AppID("Zoom")
		changed := r.caps(t, "Zoom")
		changed.Profile = oktasim.Disabled
		if err := r.org.SetProvisioning(zoom, changed); err != nil {
			t.Fatal(err)
		}
		tasks, _ := r.sched.Claim(context.Background(), r.clock.Now(), 16)
		for _, task := range tasks {
			_ = e.Handle(context.Background(), task)
		}
		got, _ := r.store.GetRun(context.Background(), run.ID)
		if got.State != remediation.StateAwaitingApproval || len(got.Decisions) != 0 || got.Snapshot.Provisioning.Capabilities.Profile != remediation.Disabled {
			t.Fatalf("after the change: state %s decisions %v snapshot %+v", got.State, got.Decisions, got.Snapshot.Provisioning)
		}
		if !r.audited(t, remediation.AuditReplanned, run.ID) {
			t.Error("no replanned event")
		}
		for _, q := range r.org.Requests() {
			if q.Method == "DELETE" || q.Method == "PUT" {
				t.Errorf("a stale plan acted: %s %s", q.Method, q.Path)
			}
		}
	})
}

// A cancel while the run works stops it at the next step and undoes what it did.
func TestCancelWhileRunningRestoresProvisioning(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		before := r.caps(t, "Zoom")
		var runID string
		var e *remediation.Engine
		e = r.engine(t, "A", withOkta(&writeHook{OktaWriter: r.okta, after: func(n int, err error) error {
			if n == 2 { // the unassign: provisioning is off now
				if _, cerr := e.Cancel(context.Background(), runID, requester, "changed my mind"); cerr != nil {
					t.Errorf("cancel: %v", cerr)
				}
			}
			return err
		}}))
		run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
		runID = run.ID
		r.approve(t, e, run.ID)
		run = r.settle(t, e, run.ID)
		if run.State != remediation.StateCancelled {
			t.Fatalf("state %s (%s), want cancelled", run.State, run.Error)
		}
		if after := r.caps(t, "Zoom"); after != before {
			t.Errorf("provisioning %+v after cancel, want %+v", after, before)
		}
	})
}

func (r *rig) appUser(t *testing.T, app, userID string) remediation.AppUser {
	t.Helper()
	id, _ := r.org.AppID(app)
	au, err := r.okta.GetAppUser(context.Background(), id, userID)
	if err != nil {
		t.Fatal(err)
	}
	return au
}

func (r *rig) audited(t *testing.T, typ remediation.AuditType, runID string) bool {
	t.Helper()
	entries, err := r.store.Audit(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := remediation.VerifyChain("", entries); err != nil {
		t.Errorf("audit chain: %v", err)
	}
	for _, en := range entries {
		if en.Event.Type == typ && (runID == "" || en.Event.RunID == runID) {
			return true
		}
	}
	return false
}

// With manager approval in the policy, the requester's manager may approve too.
func TestManagerMayApprove(t *testing.T) {
	r := memoryRig(t)
	r.policy.Plans = map[remediation.PlanID]remediation.PlanRule{remediation.PlanResetExternalID: {Manager: true}}
	e := r.engine(t, "A")
	_, diag := r.diagnose(t, "stale_external_id")
	run, err := e.Propose(context.Background(), remediation.ProposeRequest{Diagnosis: diag, Plan: remediation.PlanResetExternalID,
		Requester: requester, RequesterManager: "UMANAGER01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Approve(context.Background(), run.ID, "UMANAGER01", "my report"); err != nil {
		t.Errorf("the requester's manager could not approve: %v", err)
	}
	// Without the rule, a manager passed along is not an approver.
	r2 := memoryRig(t)
	e2 := r2.engine(t, "A")
	_, diag2 := r2.diagnose(t, "stale_external_id")
	run2, err := e2.Propose(context.Background(), remediation.ProposeRequest{Diagnosis: diag2, Plan: remediation.PlanResetExternalID,
		Requester: requester, RequesterManager: "UMANAGER01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Approve(context.Background(), run2.ID, "UMANAGER01", ""); !errors.Is(err, remediation.ErrDenied) {
		t.Errorf("manager approved without the rule: %v", err)
	}
}

// A shutdown mid-step hands the lease back: another engine resumes the run at once,
// without waiting for the lease to lapse.
func TestShutdownHandsTheRunBack(t *testing.T) {
	r := memoryRig(t)
	ctx, shutdown := context.WithCancel(context.Background())
	a := r.engine(t, "A", withOkta(&writeHook{OktaWriter: r.okta, before: func(n int) error {
		if n == 2 { // the unassign: provisioning is off
			shutdown()
			return context.Canceled
		}
		return nil
	}}))
	before := r.caps(t, "Zoom")
	run := r.propose(t, a, "stale_external_id", remediation.PlanResetExternalID)
	r.approve(t, a, run.ID)
	for ctx.Err() == nil {
		tasks, _ := r.sched.Claim(ctx, r.clock.Now(), 16)
		for _, task := range tasks {
			_ = a.Handle(ctx, task)
		}
	}
	got, _ := r.store.GetRun(context.Background(), run.ID)
	if !got.LeaseUntil.IsZero() {
		t.Fatalf("lease not handed back: %v", got.LeaseUntil)
	}
	b := r.engine(t, "B") // same clock: no lease lapse needed
	run = r.settle(t, b, run.ID)
	if run.State != remediation.StateSucceeded {
		t.Fatalf("state %s: %s", run.State, run.Error)
	}
	if after := r.caps(t, "Zoom"); after != before {
		t.Errorf("provisioning %+v, want %+v", after, before)
	}
}
