package remediation

import (
	"strings"
	"testing"
	"time"
)

func bulkOf(statuses ...BulkUserStatus) *Bulk {
	b := &Bulk{Rules: BulkRules{}.WithDefaults(), CanaryDone: true}
	for i, s := range statuses {
		b.Users = append(b.Users, BulkUser{ID: string(rune('a' + i)), Status: s})
	}
	return b
}

// The limits stop a run: the canary's failure at once, a count of failures, and a
// rate once enough users were attempted.
func TestBulkJudge(t *testing.T) {
	F, X, P, S := BulkFixed, BulkFailed, BulkPending, BulkSkipped
	for _, c := range []struct {
		name   string
		b      *Bulk
		canary bool
		want   string
	}{
		{"canary failed", bulkOf(X, P, P), false, "canary"},
		{"one failure among two is no rate yet", bulkOf(F, X, P), true, ""},
		{"three failures", bulkOf(F, F, F, F, F, F, F, F, F, F, F, F, F, F, X, X, X, P), true, "3 users failed"},
		{"more than 20% of five", bulkOf(F, F, F, X, X, P), true, "2 of the 5 users attempted failed"},
		{"20% exactly goes on", bulkOf(F, F, F, F, X, S, S, P), true, ""},
		{"skipped users are not attempted", bulkOf(F, X, S, S, S, S, S, P), true, ""},
	} {
		c.b.CanaryDone = c.canary
		c.b.judge(&Run{})
		if got := c.b.Stopped.EN; (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: stopped %q, want %q", c.name, got, c.want)
		}
		if c.want != "" && c.b.Stopped.JA == "" {
			t.Errorf("%s: no Japanese reason", c.name)
		}
	}
}

func TestBulkCountsAndEstimate(t *testing.T) {
	b := bulkOf(BulkFixed, BulkFailed, BulkSkipped, BulkChanged, BulkApplied, BulkPending)
	c := b.Counts()
	if c != (BulkCounts{Total: 6, Fixed: 1, Failed: 1, Skipped: 2, Left: 2, Applied: 1}) {
		t.Errorf("counts %+v", c)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b.StartedAt = now.Add(-40 * time.Second) // 4 done in 40s: 10s each
	if got := b.Estimate(now); got != 20*time.Second {
		t.Errorf("estimate %s, want 20s", got)
	}
	if b.UserResult(5) != BulkUntouched || b.UserResult(0) != BulkFixed {
		t.Errorf("results %s %s", b.UserResult(5), b.UserResult(0))
	}
	if (&Bulk{Users: b.Users}).Estimate(now) != 0 {
		t.Error("an estimate before any pace")
	}
}

// A user's own steps leave the snapshot and the provisioning switches to the batch.
func TestBulkUserSteps(t *testing.T) {
	prov := &Provisioning{Capabilities: Capabilities{LifecycleCreate: Enabled, Profile: Enabled}}
	for _, c := range []struct {
		plan PlanID
		s    Snapshot
		want string
	}{
		{PlanResetExternalID, Snapshot{Provisioning: prov, AppUser: AppUser{Scope: ScopeUser}}, "unassign, external_id_null"},
		{PlanResetExternalID, Snapshot{Provisioning: prov, AppUser: AppUser{Scope: ScopeGroup}, RegroupIDs: []string{"00g1"}}, "scope_user, unassign, external_id_null, scope_group"},
		{PlanReassign, Snapshot{AppUser: AppUser{Scope: ScopeUser}}, "unassign, assign"},
		{PlanRelinkSaaSUser, Snapshot{Provisioning: prov, SaaSUserID: "U1"}, "saas_reactivate, unassign, external_id_set"},
	} {
		steps, err := userSteps(c.plan, c.s)
		if err != nil || stepList(steps) != c.want {
			t.Errorf("%s: %s (%v), want %s", c.plan, stepList(steps), err, c.want)
		}
	}
}

// A clone shares no users or steps with the run it came from.
func TestBulkClone(t *testing.T) {
	r := Run{Bulk: bulkOf(BulkWorking)}
	r.Bulk.Users[0].Steps = []BulkStep{{Kind: StepUnassign, Status: StepRunning}}
	c := r.Clone()
	c.Bulk.Users[0].Steps[0].Status = StepDone
	c.Bulk.Users[0].Status = BulkFixed
	if r.Bulk.Users[0].Steps[0].Status != StepRunning || r.Bulk.Users[0].Status != BulkWorking {
		t.Error("the clone shares memory with the run")
	}
}
