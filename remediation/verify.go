package remediation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// This file answers "did the fix work": verification reads Okta (and the SaaS) afresh
// until the fix holds or the verification timeout passes.

func (e *Engine) startVerify(ctx context.Context, r *Run) error {
	r.State = StateVerifying
	r.VerifyDeadline = e.now().Add(e.opts.VerifyTimeout)
	if err := e.save(ctx, r); err != nil {
		return err
	}
	_ = e.store.Unlock(ctx, AppPauseKey(r.Target.AppID), r.ID)
	return e.verify(ctx, r.ID)
}

// verify checks once whether the fix took effect (reading Okta afresh), ends the run
// when it did or when the verification timeout passed, and otherwise polls again later.
func (e *Engine) verify(ctx context.Context, runID string) error {
	r, err := e.store.GetRun(ctx, runID)
	if err != nil {
		return fmt.Errorf("run %s: %w", runID, err)
	}
	if r.State != StateVerifying {
		return nil
	}
	ctx = logctx.With(ctx, "okta_user_id", r.Target.UserID, "slack_user_id", r.Requester)
	ctx = e.runWaits(ctx, &r)
	ok, why, err := e.verified(ctx, &r)
	now := e.now()
	switch {
	case err != nil && IsRetryable(err) && now.Before(r.VerifyDeadline):
		return e.pollAgain(ctx, &r)
	case err != nil:
		ok, why = false, "verification could not read Okta: "+err.Error()
	case !ok && now.Before(r.VerifyDeadline):
		return e.pollAgain(ctx, &r)
	}
	var ev AuditEvent
	if ok {
		r.State = StateSucceeded
		r.Outcome = Tf("Fixed and verified: %s", "対処が完了し、確認できました: %s", why)
		ev = e.event(&r, AuditVerified, e.actor())
	} else {
		r.State = StateFailed
		r.Error = "not verified within " + e.opts.VerifyTimeout.String() + ": " + why
		r.Outcome = Tf("Every step ran, but the fix could not be verified: %s.", "すべての手順を実行しましたが、解消を確認できませんでした: %s。", why)
		if r.Plan == PlanReassign {
			r.Outcome.EN += " Next, try resetting the External ID with provisioning paused (reset_external_id)."
			r.Outcome.JA += " 次は、プロビジョニングを一時停止して外部ID をリセットする対処(reset_external_id)を試してください。"
		}
		ev = e.event(&r, AuditFailed, e.actor())
	}
	ev.Detail = why
	if err := e.store.UpdateRun(ctx, &r, ev); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil // someone else finished it
		}
		return err
	}
	e.notify(ctx, r, ev)
	e.release(ctx, &r)
	return nil
}

// verified reads the app user (and the Slack account) and says whether the fix holds:
// SYNCHRONIZED with a non-empty externalId other than the stale one (the Slack member
// ID for a relink, whose account must be active). When provisioning was off before the
// run, nothing is pushed, so only the assignment and the externalId are checked.
func (e *Engine) verified(ctx context.Context, r *Run) (bool, string, error) {
	au, assigned, err := e.env.isAssigned(ctx, r)
	if err != nil {
		return false, "", err
	}
	if !assigned {
		return false, r.Target.UserLogin + " is not assigned to " + r.Target.AppLabel, nil
	}
	pushing := r.Snapshot.Provisioning == nil || r.Snapshot.Provisioning.Capabilities.Pushing()
	state := fmt.Sprintf("syncState %s, externalId %q", au.SyncState, au.ExternalID)
	switch r.Plan {
	case PlanRelinkSaaSUser:
		if au.ExternalID != r.Snapshot.SaaSUserID {
			return false, "externalId is " + au.ExternalID + ", not the Slack member ID " + r.Snapshot.SaaSUserID, nil
		}
		acct, err := e.env.saas.GetAccount(ctx, r.Snapshot.SaaSUserID)
		if err != nil {
			return false, "", err
		}
		if !acct.Active {
			return false, "the Slack account " + acct.ID + " is still deactivated", nil
		}
	default:
		if !pushing {
			if r.Plan == PlanResetExternalID && au.ExternalID != "" {
				return false, "externalId was not cleared (" + state + ")", nil
			}
			return true, "assigned; provisioning to " + r.Target.AppLabel + " was off before the fix and stays off, so no account was pushed (" + state + ")", nil
		}
		switch {
		case au.ExternalID == "":
			return false, "no new account yet (" + state + ")", nil
		case au.ExternalID == r.Snapshot.StaleExternalID && r.staleAccount():
			return false, "no new account yet (" + state + ")", nil
		case au.ExternalID == r.Snapshot.StaleExternalID && !syncedSince(au, r.retryStarted()):
			// The account still exists at the SaaS and Okta is linked to it again:
			// healed once Okta pushed to it after the fix began.
			return false, "not pushed since the fix began (" + state + ")", nil
		}
	}
	if pushing && au.SyncState != SyncSynchronized {
		return false, "not synchronized yet (" + state + ")", nil
	}
	return true, state, nil
}

// staleAccount reports whether the externalId Okta held names an account the SaaS no
// longer has (the finding says so, or the plan clears it): the same ID again is no fix.
func (r *Run) staleAccount() bool {
	return r.Finding == StaleExternalID || r.Finding == SaaSUserDeactivated || r.Plan == PlanResetExternalID
}

// retryStarted is when the run began to change Okta: its first step after the
// runbook's manual steps started (the run's creation if none did).
func (r *Run) retryStarted() time.Time {
	if i := r.runbookSteps(); i < len(r.Steps) && r.Steps[i].StartedAt != nil {
		return *r.Steps[i].StartedAt
	}
	return r.CreatedAt
}

// syncedSince reports whether Okta synchronised the app user after t.
func syncedSince(au AppUser, t time.Time) bool {
	return au.SyncState == SyncSynchronized && au.LastSync != nil && au.LastSync.After(t)
}

// pollAgain schedules the next verification poll, and notes when it is due in the run
// so that the sweep does not poll sooner (it schedules runs whose lease lapsed).
func (e *Engine) pollAgain(ctx context.Context, r *Run) error {
	r.RetryAt = e.now().Add(e.opts.VerifyEvery)
	if err := e.store.UpdateRun(ctx, r); err != nil && !errors.Is(err, ErrConflict) {
		e.log.WarnContext(ctx, "noting the next verification poll", "run_id", r.ID, "err", err)
	}
	return e.sched.Schedule(ctx, Task{Kind: TaskVerify, RunID: r.ID, Due: r.RetryAt})
}
