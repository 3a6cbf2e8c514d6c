package integration

import (
	"context"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// reminders counts the reminders audited for a run, and those of one step.
func (r *rig) reminders(t *testing.T, runID string) (approval, step int) {
	t.Helper()
	entries, err := r.store.Audit(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Event.Type == remediation.AuditReminded && en.Event.RunID == runID {
			if en.Event.Step > 0 {
				step++
			} else {
				approval++
			}
		}
	}
	return approval, step
}

// tick moves the clock and lets both replicas claim and handle what fell due (several
// times, as their workers would), without the step loop's settle.
func (r *rig) tick(t *testing.T, d time.Duration, engines ...*remediation.Engine) {
	t.Helper()
	r.clock.Advance(d)
	ctx := context.Background()
	for range 3 {
		for _, e := range engines {
			tasks, err := r.sched.Claim(ctx, r.clock.Now(), 16)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if err := e.Handle(ctx, task); err != nil {
					t.Fatalf("task %s: %v", task.Kind, err)
				}
			}
		}
	}
}

// Nothing waits silently: an unanswered approval request reminds its approvers every
// Reminders.Approval until it expires, and then says it expired; one reminder each
// time, however many replicas claim tasks.
func TestApprovalRequestRemindsThenExpires(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		r.policy.TTL = 3 * time.Hour
		r.policy.Reminders = remediation.Reminders{Approval: time.Hour, ManualStep: 10 * time.Minute}
		a, b := r.engine(t, "A"), r.engine(t, "B")
		run := r.propose(t, a, "stale_external_id", remediation.PlanReassign)
		r.tick(t, 59*time.Minute, a, b)
		if n, _ := r.reminders(t, run.ID); n != 0 {
			t.Fatalf("%d reminders before one was due", n)
		}
		r.tick(t, time.Minute, a, b)
		if n, _ := r.reminders(t, run.ID); n != 1 {
			t.Fatalf("%d reminders after an hour, want 1", n)
		}
		// A task handled twice (a redelivery) reminds once.
		if err := a.Handle(context.Background(), remediation.Task{Kind: remediation.TaskRemindApproval, RunID: run.ID, Due: r.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		r.tick(t, 30*time.Minute, a, b)
		if n, _ := r.reminders(t, run.ID); n != 1 {
			t.Fatalf("%d reminders after 1h30, want 1", n)
		}
		r.tick(t, 30*time.Minute, a, b)
		if n, _ := r.reminders(t, run.ID); n != 2 {
			t.Fatalf("%d reminders after 2h, want 2", n)
		}
		// At 3h it expires instead of reminding a third time.
		r.tick(t, time.Hour, a, b)
		got, err := r.store.GetRun(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != remediation.StateExpired || !r.audited(t, remediation.AuditExpired, run.ID) {
			t.Fatalf("state %s after the expiry", got.State)
		}
		r.tick(t, 5*time.Hour, a, b)
		if n, _ := r.reminders(t, run.ID); n != 2 {
			t.Errorf("%d reminders in all, want 2 (none after the expiry)", n)
		}
	})
}

// An approved request reminds nobody; a manual step nobody confirms reminds its
// assignee every Reminders.ManualStep, and stops once confirmed.
func TestManualStepReminds(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		r.policy.TTL = 3 * time.Hour
		r.policy.Reminders = remediation.Reminders{Approval: time.Hour, ManualStep: 10 * time.Minute}
		a, b := r.engine(t, "A"), r.engine(t, "B")
		run := r.propose(t, a, "app_credentials_invalid", remediation.PlanReassign)
		r.approve(t, a, run.ID)
		run = r.settle(t, a, run.ID)
		if !waiting(run) || run.Cursor != 0 {
			t.Fatalf("want the first manual step waiting, got %s at %d", run.State, run.Cursor)
		}
		r.tick(t, 9*time.Minute, a, b)
		if _, n := r.reminders(t, run.ID); n != 0 {
			t.Fatalf("%d step reminders before one was due", n)
		}
		r.tick(t, time.Minute, a, b)
		r.tick(t, 10*time.Minute, a, b)
		if ap, n := r.reminders(t, run.ID); n != 2 || ap != 0 {
			t.Fatalf("%d step and %d approval reminders after 20 minutes, want 2 and 0", n, ap)
		}
		if _, err := a.Confirm(context.Background(), run.ID, 1, requester); err != nil {
			t.Fatal(err)
		}
		run = r.settle(t, a, run.ID)
		if !waiting(run) || run.Cursor != 1 {
			t.Fatalf("want the second manual step waiting, got %s at %d", run.State, run.Cursor)
		}
		// The second step is reminded from the time it began waiting.
		r.tick(t, 9*time.Minute, a, b)
		if _, n := r.reminders(t, run.ID); n != 2 {
			t.Fatalf("%d step reminders, want still 2", n)
		}
		r.tick(t, time.Minute, a, b)
		if _, n := r.reminders(t, run.ID); n != 3 {
			t.Fatalf("%d step reminders, want 3", n)
		}
		entries, _ := r.store.Audit(context.Background(), time.Time{}, 0)
		last := entries[len(entries)-1].Event
		if last.Type != remediation.AuditReminded || last.Step != 2 || last.Kind != remediation.StepRunbook {
			t.Errorf("last event %+v, want a reminder of step 2", last)
		}
	})
}
