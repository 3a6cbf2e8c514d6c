package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// The new causes whose fix is a plan, healed by the engine against the simulator.
func TestPlansHealNewCauses(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		t.Run("assigned before provisioning: reassign", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "assigned_before_provisioning", remediation.PlanReassign)
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
			}
			if au := r.appUser(t, "Box", run.Target.UserID); au.ExternalID == "" || au.SyncState != remediation.SyncSynchronized {
				t.Errorf("app user after the fix: %+v", au)
			}
			if _, diag := r.diagnose(t, "assigned_before_provisioning"); !diag.Has(remediation.Healthy) {
				t.Errorf("after the fix: %v", diag.Findings)
			}
		})
		t.Run("conflicting Slack account: relink_saas_user links it", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			before := r.caps(t, "Slack")
			run := r.propose(t, e, "saas_account_conflict", remediation.PlanRelinkSaaSUser)
			existing := run.Snapshot.SaaSUserID
			if existing == "" {
				t.Fatal("the plan found no Slack account to link")
			}
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
			}
			if au := r.appUser(t, "Slack", run.Target.UserID); au.ExternalID != existing || au.SyncState != remediation.SyncSynchronized {
				t.Errorf("app user after the fix: %+v, want linked to %s", au, existing)
			}
			if after := r.caps(t, "Slack"); after != before {
				t.Errorf("provisioning %+v after the run, want the snapshot %+v", after, before)
			}
			if _, diag := r.diagnose(t, "saas_account_conflict"); !diag.Has(remediation.Healthy) {
				t.Errorf("after the fix: %v", diag.Findings)
			}
		})
		t.Run("rate limited: reassign relinks the same account once the limit passed", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "saas_rate_limited", remediation.PlanReassign)
			stale := run.Snapshot.StaleExternalID
			if stale == "" {
				t.Fatal("the Dropbox user has no externalId to keep")
			}
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
			}
			if au := r.appUser(t, "Dropbox Business", run.Target.UserID); au.ExternalID != stale {
				t.Errorf("externalId %q after the fix, want the same account %q", au.ExternalID, stale)
			}
		})
	})
}

// A cause whose fix is a person's work is a run that begins with the runbook's manual
// steps, each confirmed with Done, then retries; the retry is no fix until the person
// has fixed the integration.
func TestRunbookRunsHealNewCauses(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		t.Run("app credentials refused: re-authenticate, then reassign", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			sc, diag := r.diagnose(t, "app_credentials_invalid")
			f := diag.Findings[0]
			if f.Code != remediation.AppCredentialsInvalid || len(f.Runbook) == 0 || len(f.Plans) != 1 || f.Plans[0] != remediation.PlanReassign {
				t.Fatalf("finding %s plans %v runbook %d", f.Code, f.Plans, len(f.Runbook))
			}
			run, err := e.Propose(context.Background(), remediation.ProposeRequest{Diagnosis: diag, Plan: remediation.PlanReassign, Requester: requester})
			if err != nil {
				t.Fatal(err)
			}
			if !run.AppWide {
				t.Error("the run of an app-wide cause does not say so")
			}
			n := len(f.Runbook)
			for i := 0; i < n; i++ {
				s := run.Steps[i]
				if s.Kind != remediation.StepRunbook || s.Instructions != f.Runbook[i] || len(s.Calls) != 0 {
					t.Fatalf("step %d = %+v, want manual step %q", i+1, s, f.Runbook[i].EN)
				}
			}
			if run.Steps[n].Kind != remediation.StepSnapshot || run.Steps[len(run.Steps)-1].Kind != remediation.StepAssign {
				t.Fatalf("steps after the runbook: %+v", run.Steps[n:])
			}
			dr := remediation.DryRun(&run)
			if !dr[0].Manual || dr[0].Instructions != f.Runbook[0] {
				t.Errorf("dry run step 1 = %+v", dr[0])
			}
			appID := run.Target.AppID
			r.approve(t, e, run.ID)
			for i := 0; i < n; i++ {
				run = r.settle(t, e, run.ID)
				if !waiting(run) || run.Cursor != i || run.Steps[i].AssignedTo != requester {
					t.Fatalf("want the run waiting for %s at manual step %d, got %s at %d: %+v", requester, i+1, run.State, run.Cursor, run.Steps[run.Cursor])
				}
				// No Okta write, and no claim on the app's provisioning, while a person works.
				for _, q := range r.org.Requests() {
					if q.Method != "GET" {
						t.Fatalf("Okta was changed before the runbook was done: %s %s", q.Method, q.Path)
					}
				}
				if _, err := r.store.Lock(context.Background(), remediation.AppPauseKey(appID), "probe", time.Minute); err != nil {
					t.Fatalf("the app's provisioning pause is held during the runbook: %v", err)
				}
				_ = r.store.Unlock(context.Background(), remediation.AppPauseKey(appID), "probe")
				if _, err := e.Confirm(context.Background(), run.ID, i+1, "UOUTSIDER1"); !errors.Is(err, remediation.ErrDenied) {
					t.Errorf("an outsider confirmed a manual step: %v", err)
				}
				if i == 1 {
					// The admin enters a new token in the Admin Console.
					if err := r.org.SetCredentialsValid(appID, true); err != nil {
						t.Fatal(err)
					}
				}
				who := requester
				if i%2 == 1 {
					who = approver
				}
				if _, err := e.Confirm(context.Background(), run.ID, i+1, who); err != nil {
					t.Fatal(err)
				}
			}
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
			}
			if _, diag := r.diagnose(t, sc.Name); !diag.Has(remediation.Healthy) {
				t.Errorf("after the fix: %v", diag.Findings)
			}
		})
		t.Run("app credentials still refused: the retry does not verify", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "app_credentials_invalid", remediation.PlanReassign)
			r.approve(t, e, run.ID)
			for run = r.settle(t, e, run.ID); waiting(run); run = r.settle(t, e, run.ID) {
				if _, err := e.Confirm(context.Background(), run.ID, run.Cursor+1, requester); err != nil {
					t.Fatal(err)
				}
			}
			if run.State != remediation.StateFailed {
				t.Fatalf("state %s, want failed: the token was never fixed", run.State)
			}
		})
		t.Run("cancelled during the runbook: nothing changed", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "attribute_rejected", remediation.PlanReassign)
			r.approve(t, e, run.ID)
			run = r.settle(t, e, run.ID)
			if _, err := e.Confirm(context.Background(), run.ID, 1, requester); err != nil {
				t.Fatal(err)
			}
			run = r.settle(t, e, run.ID)
			if !waiting(run) || run.Cursor != 1 {
				t.Fatalf("want step 2 waiting, got %s at %d", run.State, run.Cursor)
			}
			if _, err := e.Cancel(context.Background(), run.ID, requester, "not now"); err != nil {
				t.Fatal(err)
			}
			tasks, err := r.sched.Claim(context.Background(), r.clock.Now(), 16)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if err := e.Handle(context.Background(), task); err != nil {
					t.Fatal(err)
				}
			}
			run = r.settle(t, e, run.ID)
			if run.State != remediation.StateCancelled {
				t.Fatalf("state %s, want cancelled", run.State)
			}
			for _, q := range r.org.Requests() {
				if q.Method != "GET" {
					t.Errorf("Okta was changed: %s %s", q.Method, q.Path)
				}
			}
		})
		t.Run("matching user not found: enable Create Users, then reassign", func(t *testing.T) {
			r := newRig(t)
			e := r.engine(t, "A")
			run := r.propose(t, e, "matching_user_not_found", remediation.PlanReassign)
			r.approve(t, e, run.ID)
			appID := run.Target.AppID
			run = r.settle(t, e, run.ID)
			// The admin enables Create Users: the snapshot taken at the proposal no
			// longer holds, and the run goes on without asking again.
			c := r.caps(t, "Expensify")
			c.LifecycleCreate = "ENABLED"
			if err := r.org.SetProvisioning(appID, c); err != nil {
				t.Fatal(err)
			}
			for ; waiting(run); run = r.settle(t, e, run.ID) {
				if _, err := e.Confirm(context.Background(), run.ID, run.Cursor+1, requester); err != nil {
					t.Fatal(err)
				}
			}
			if run.State != remediation.StateSucceeded {
				t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
			}
		})
	})
}
