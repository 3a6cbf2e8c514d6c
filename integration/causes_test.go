package integration

import (
	"testing"

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
	})
}
