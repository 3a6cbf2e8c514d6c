package remediation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// This file answers "who decided what": approvals, rejections, cancels, confirmations
// of manual steps, expiry, and a person taking over an owed restore. Each decision is
// a compare-and-swap on the run, judged by the policy against the state it applies to.

// decide applies one decision with compare-and-swap, re-reading on a conflict so that
// concurrent clicks are judged against the state the winner left.
func (e *Engine) decide(ctx context.Context, runID string, apply func(r *Run) ([]AuditEvent, error)) (Run, error) {
	ctx = logctx.With(ctx, "run_id", runID)
	for attempt := 0; ; attempt++ {
		r, err := e.store.GetRun(ctx, runID)
		if err != nil {
			return Run{}, fmt.Errorf("run %s: %w", runID, err)
		}
		evs, err := apply(&r)
		if err != nil {
			return r, err
		}
		r.UpdatedAt = e.now()
		err = e.store.UpdateRun(ctx, &r, evs...)
		if errors.Is(err, ErrConflict) && attempt < 20 {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("saving run %s: %w", runID, err)
		}
		e.notify(ctx, r, evs...)
		return r, nil
	}
}

// Approve records by's approval. With the quorum reached the run is approved and its
// execution scheduled. A refusal (*Refusal, errors.Is ErrDenied) says why not.
func (e *Engine) Approve(ctx context.Context, runID, by, reason string) (Run, error) {
	now := e.now()
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		if err := e.policy.MayDecide(ctx, r, by, now); err != nil {
			return nil, err
		}
		r.Decisions = append(r.Decisions, Decision{By: by, At: now, Approve: true, Reason: reason})
		ev := e.event(r, AuditApproved, by)
		ev.Detail = fmt.Sprintf("approval %d of %d", len(r.Decisions), r.Quorum)
		if reason != "" {
			ev.Detail += ": " + reason
		}
		if len(r.Decisions) >= r.Quorum {
			r.State = StateApproved
		}
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		if r.State == StateAwaitingApproval && !now.Before(r.ExpiresAt) {
			e.expire(ctx, runID)
		}
		return r, err
	}
	if r.State == StateApproved {
		_ = e.sched.Cancel(ctx, TaskExpire, r.ID)
		if err := e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: now}); err != nil {
			e.log.WarnContext(ctx, "scheduling run", "run_id", r.ID, "err", err)
		}
	}
	return r, nil
}

// Reject records by's rejection and ends the run.
func (e *Engine) Reject(ctx context.Context, runID, by, reason string) (Run, error) {
	now := e.now()
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		if err := e.policy.MayDecide(ctx, r, by, now); err != nil {
			return nil, err
		}
		r.Decisions = append(r.Decisions, Decision{By: by, At: now, Approve: false, Reason: reason})
		r.State = StateRejected
		r.Outcome = Tf("Rejected by %s: %s", "%s が却下しました: %s", by, reason)
		ev := e.event(r, AuditRejected, by)
		ev.Detail = reason
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		return r, err
	}
	e.release(ctx, &r)
	return r, nil
}

// Cancel stops a run. Before it started, it simply ends; while it runs, the engine
// stops at the next step boundary and undoes what it did (restoring provisioning).
func (e *Engine) Cancel(ctx context.Context, runID, by, reason string) (Run, error) {
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		if err := e.policy.MayCancel(ctx, r, by); err != nil {
			return nil, err
		}
		ev := e.event(r, AuditCancelled, by)
		ev.Detail = reason
		switch r.State {
		case StateAwaitingApproval, StateApproved:
			r.State = StateCancelled
			r.Outcome = Tf("Cancelled by %s before it started.", "開始前に %s が取り消しました。", by)
		case StateVerifying:
			r.State = StateCancelled
			r.Outcome = Tf("Cancelled by %s during verification; every step had run.", "検証中に %s が取り消しました(すべての手順は実行済み)。", by)
		default:
			r.CancelRequested = true
			ev.Detail = "cancel requested; undoing the steps done: " + reason
		}
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		return r, err
	}
	if r.State.Terminal() {
		e.release(ctx, &r)
	} else if err := e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: e.now()}); err != nil {
		e.log.WarnContext(ctx, "scheduling cancel", "run_id", r.ID, "err", err)
	}
	return r, nil
}

// Confirm records that a person did a manual step (1-based) and lets the run go on.
func (e *Engine) Confirm(ctx context.Context, runID string, step int, by string) (Run, error) {
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		if err := e.policy.MayConfirm(ctx, r, step, by); err != nil {
			return nil, err
		}
		s := &r.Steps[step-1]
		now := e.now()
		s.ConfirmedBy, s.EndedAt = by, &now
		ev := e.event(r, AuditConfirmed, by)
		ev.Step, ev.Kind = step, s.Kind
		if s.Status == StepUndoWaiting {
			s.Status = StepCompensated
			r.ProvisioningPaused = false
			r.Cursor = step - 2
		} else {
			s.Status = StepDone
			if s.Kind.pausesProvisioning() {
				r.ProvisioningPaused = true
			}
			if s.Kind.restoresProvisioning() {
				r.ProvisioningPaused = false
			}
			r.Cursor = step
		}
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		return r, err
	}
	if err := e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: e.now()}); err != nil {
		e.log.WarnContext(ctx, "scheduling run", "run_id", r.ID, "err", err)
	}
	return r, nil
}

// MarkHandled records that a person put right by hand what a run still owed (the
// provisioning settings to restore, a user to assign again: see Run.Alert) and ends the
// run failed, so the engine stops retrying it. Only a run that owes a restore or an
// undo can be marked; the requester or an approver may do it.
func (e *Engine) MarkHandled(ctx context.Context, runID, by, note string) (Run, error) {
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		if err := e.policy.MayCancel(ctx, r, by); err != nil {
			return nil, err
		}
		if r.OwedSince.IsZero() {
			return nil, refuse("This run owes nothing to put right by hand.", "この実行には手動で対応すべき残作業はありません。")
		}
		r.State = StateFailed
		r.ProvisioningPaused = false
		r.Outcome = Tf("%s put right by hand what the fix could not undo: %s", "対処で元に戻せなかった内容を %s が手動で対応しました: %s", by, note)
		ev := e.event(r, AuditHandled, by)
		ev.Detail = note
		return []AuditEvent{ev, e.event(r, AuditFailed, by)}, nil
	})
	if err != nil {
		return r, err
	}
	e.release(ctx, &r)
	return r, nil
}

// AttachMessage records where a run's approval request was posted, so its progress goes
// to that message's thread.
func (e *Engine) AttachMessage(ctx context.Context, runID, channel, ts string) (Run, error) {
	return e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		r.Origin.Channel, r.Origin.ThreadTS = channel, ts
		return nil, nil
	})
}

// expire ends an approval request that reached its expiry (or schedules the check
// again for when it does).
func (e *Engine) expire(ctx context.Context, runID string) {
	now := e.now()
	var due time.Time
	r, err := e.decide(ctx, runID, func(r *Run) ([]AuditEvent, error) {
		if r.State != StateAwaitingApproval {
			return nil, errNothingToDo
		}
		if now.Before(r.ExpiresAt) {
			due = r.ExpiresAt
			return nil, errNothingToDo
		}
		r.State = StateExpired
		r.Outcome = T("The approval request expired; nothing was changed.", "承認依頼が期限切れになりました。変更は行われていません。")
		return []AuditEvent{e.event(r, AuditExpired, e.actor())}, nil
	})
	switch {
	case err == nil:
		e.release(ctx, &r)
	case errors.Is(err, errNothingToDo):
		if !due.IsZero() {
			_ = e.sched.Schedule(ctx, Task{Kind: TaskExpire, RunID: runID, Due: due})
		}
	default:
		e.log.WarnContext(ctx, "expiring run", "run_id", runID, "err", err)
	}
}
