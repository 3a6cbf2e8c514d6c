package remediation

import (
	"context"
	"errors"
	"time"
)

// This file answers "who is waited on, and have they been told lately": an approval
// request nobody answers reminds its approvers, a manual step nobody confirms reminds
// its assignee (Policy.Reminders). Reminders are tasks of the durable scheduler, so
// they survive restarts and one replica claims each; the run records when it last
// reminded (compare-and-swap), so a task handled twice reminds once.

// The reminder task kinds.
const (
	TaskRemindApproval TaskKind = "remind_approval" // remind the approvers of a request
	TaskRemindStep     TaskKind = "remind_step"     // remind the person a manual step waits for
)

// AuditReminded records a reminder: of the approvers (no step), or of the person a
// manual step waits for (Step set).
const AuditReminded AuditType = "reminded"

// Reminders say how long a person is waited on before being reminded, and again after
// each reminder; zero turns a reminder off.
type Reminders struct {
	// Approval: an approval request nobody answered reminds its approvers in the
	// thread, every Approval until it is decided or expires.
	Approval time.Duration `json:"approval,omitempty"`
	// ManualStep: a manual step nobody confirmed reminds its assignee, every
	// ManualStep until it is confirmed.
	ManualStep time.Duration `json:"manual_step,omitempty"`
}

// DefaultReminders are the reminders without a policy file saying otherwise.
func DefaultReminders() Reminders {
	return Reminders{Approval: 4 * time.Hour, ManualStep: 30 * time.Minute}
}

// every is the interval of reminder kind k (zero: off).
func (e *Engine) every(k TaskKind) time.Duration {
	if k == TaskRemindApproval {
		return e.policy.Reminders.Approval
	}
	return e.policy.Reminders.ManualStep
}

// waitedSince says since when r waits for the people a reminder of kind k is for, and
// whether it waits for them at all.
func (e *Engine) waitedSince(r *Run, k TaskKind) (time.Time, bool) {
	switch {
	case k == TaskRemindApproval && r.State == StateAwaitingApproval:
		// The request was (re-)made when its expiry was set.
		return r.ExpiresAt.Add(-e.policy.Rule(r.Plan).Expiry), true
	case k == TaskRemindStep && r.State == StateRunning && r.waitingForPerson():
		if s := r.Steps[r.Cursor]; s.StartedAt != nil {
			return *s.StartedAt, true
		}
	}
	return time.Time{}, false
}

// scheduleReminder schedules the next reminder of kind k for r, if it is on and due
// before the request expires. A failure is logged: a reminder is a courtesy.
func (e *Engine) scheduleReminder(ctx context.Context, r *Run, k TaskKind) {
	every := e.every(k)
	since, waiting := e.waitedSince(r, k)
	if every <= 0 || !waiting {
		return
	}
	due := since.Add(every)
	if r.RemindedAt.After(since) {
		due = r.RemindedAt.Add(every)
	}
	if k == TaskRemindApproval && !due.Before(r.ExpiresAt) {
		return // the expiry says it instead
	}
	if err := e.sched.Schedule(ctx, Task{Kind: k, RunID: r.ID, Due: due}); err != nil {
		e.log.WarnContext(ctx, "scheduling a reminder", "run_id", r.ID, "task", k, "err", err)
	}
}

// remind reminds the people run runID waits for, when it still waits for them and the
// reminder is due, and schedules the next one.
func (e *Engine) remind(ctx context.Context, runID string, k TaskKind) {
	if e.isOffline(runID) {
		return
	}
	now := e.now()
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		since, waiting := e.waitedSince(r, k)
		every := e.every(k)
		if !waiting || every <= 0 {
			return nil, errNothingToDo
		}
		if r.RemindedAt.After(since) {
			since = r.RemindedAt
		}
		if now.Before(since.Add(every)) {
			return nil, errNothingToDo // not due (a task handled twice, or rescheduled)
		}
		r.RemindedAt = now
		ev := e.event(r, AuditReminded, e.actor())
		if k == TaskRemindStep {
			s := r.Steps[r.Cursor]
			ev.Step, ev.Kind = r.Cursor+1, s.Kind
			ev.Detail = "reminded " + s.AssignedTo + " of the manual step waiting since " + since.UTC().Format(time.RFC3339)
		} else {
			ev.Detail = "reminded the approvers of the request; it expires " + r.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return []AuditEvent{ev}, nil
	})
	switch {
	case err == nil, errors.Is(err, errNothingToDo):
		e.scheduleReminder(ctx, &r, k)
	case errors.Is(err, ErrNotFound):
	default:
		e.log.WarnContext(ctx, "reminding", "run_id", runID, "task", k, "err", err)
		// Try again later: the worker reschedules a task whose handling failed.
		if ctx.Err() == nil {
			_ = e.sched.Schedule(ctx, Task{Kind: k, RunID: runID, Due: now.Add(e.backoff(2))})
		}
	}
}
