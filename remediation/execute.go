package remediation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// This file answers "do the next step, or undo the ones done": the step loop of an owned
// run, with write-ahead persistence, retries, the app-level provisioning pause, and
// compensation in reverse order.

// errLostLease stops an engine whose run was taken over (its lease lapsed).
var errLostLease = errors.New("run taken over by another engine")

// save persists r (extending this engine's lease) with its audit events, then tells
// the notifier. A store that cannot be written after a few tries gives a *storeError;
// a run that is offline (offline.go) is kept in memory instead.
func (e *Engine) save(ctx context.Context, r *Run, evs ...AuditEvent) error {
	now := e.now()
	r.UpdatedAt = now
	if r.Owner == e.owner && !r.State.Terminal() {
		r.LeaseUntil = now.Add(e.opts.Lease)
	}
	if e.keepOffline(r, evs) {
		e.notify(ctx, *r, evs...)
		return nil
	}
	err := e.updateRetrying(ctx, r, evs)
	if errors.Is(err, ErrConflict) {
		// While an engine owns a run, the only other writers are a cancel request and
		// its own heartbeat: adopt them and write again. Anything else means the run
		// was taken over.
		cur, gerr := e.store.GetRun(ctx, r.ID)
		if gerr != nil || cur.Owner != r.Owner || cur.State.Terminal() {
			return errLostLease
		}
		r.Version, r.CancelRequested = cur.Version, cur.CancelRequested
		err = e.updateRetrying(ctx, r, evs)
	}
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return errLostLease
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &storeError{err: fmt.Errorf("saving run %s: %w", r.ID, err)}
	}
	e.notify(ctx, *r, evs...)
	return nil
}

// storeError is a store that could not be written, after retries.
type storeError struct{ err error }

func (s *storeError) Error() string { return s.err.Error() }
func (s *storeError) Unwrap() error { return s.err }

// updateRetrying writes r, trying again a few times (StoreRetry apart) when the store
// fails for another reason than a conflict: a blip of the store must not stop a run.
func (e *Engine) updateRetrying(ctx context.Context, r *Run, evs []AuditEvent) error {
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			t := time.NewTimer(e.opts.StoreRetry)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		err = e.store.UpdateRun(ctx, r, evs...)
		if err == nil || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// release gives up the run's locks once it has ended.
func (e *Engine) release(ctx context.Context, r *Run) {
	for _, key := range []string{PairKey(r.Target.UserID, r.Target.AppID), AppPauseKey(r.Target.AppID)} {
		if err := e.store.Unlock(ctx, key, r.ID); err != nil {
			e.log.WarnContext(ctx, "releasing lock", "run_id", r.ID, "lock", key, "err", err)
		}
	}
	_ = e.sched.Cancel(ctx, TaskExpire, r.ID)
}

// advance takes the run's lease and runs its steps until it waits (a manual step, a
// retry, a queue), ends, or reaches verification. Every step is persisted before it is
// done (write-ahead) and after, so an engine that dies at any point leaves a run that
// another resumes from what the store holds.
func (e *Engine) advance(ctx context.Context, runID string) error {
	r, err := e.store.GetRun(ctx, runID)
	if err != nil {
		return fmt.Errorf("run %s: %w", runID, err)
	}
	ctx = logctx.With(ctx, "okta_user_id", r.Target.UserID, "slack_user_id", r.Requester)
	ctx = e.runWaits(ctx, &r)
	now := e.now()
	switch {
	case r.State == StateVerifying:
		return e.verify(ctx, runID)
	case r.State != StateApproved && r.State != StateRunning:
		return nil
	case r.Owner != "" && r.Owner != e.owner && now.Before(r.LeaseUntil):
		return nil // another engine is working it
	case e.isOffline(runID):
		return nil // this engine holds it in memory until the store takes it back
	}
	var evs []AuditEvent
	if r.State == StateApproved {
		r.State = StateRunning
	} else if r.Owner != e.owner {
		ev := e.event(&r, AuditResumed, e.actor())
		ev.Detail = "previous engine " + r.Owner + " stopped; resuming at step " + fmt.Sprint(r.Cursor+1)
		evs = append(evs, ev)
	}
	r.Owner, r.RetryAt = e.owner, time.Time{}
	if err := e.save(ctx, &r, evs...); err != nil {
		if errors.Is(err, errLostLease) {
			return nil
		}
		return err
	}
	// The (user, app) lock lives as long as the run; refresh it whenever work resumes.
	if _, err := e.store.Lock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID, e.pairTTL(&r)); err != nil {
		e.log.WarnContext(ctx, "refreshing the user-app lock", "run_id", r.ID, "err", err)
	}
	// Runs on one app take turns: from the snapshot to the restore of provisioning only
	// one run works on the app, so no run snapshots another's pause.
	if !r.Compensating && !r.CancelRequested && r.Cursor < len(r.Steps) && !r.pastRestore() && !r.inRunbook() {
		ok, err := e.takePause(ctx, &r)
		if err != nil || !ok {
			if errors.Is(err, errLostLease) {
				return nil
			}
			return err
		}
	}
	stop := e.heartbeat(ctx, runID)
	err = e.run(ctx, &r)
	stop()
	var se *storeError
	switch {
	case errors.Is(err, errLostLease):
		return nil
	case errors.Is(err, context.Canceled):
		e.handBack(ctx, runID)
		return nil
	case errors.As(err, &se):
		return e.goOffline(ctx, &r, se)
	}
	return err
}

// handBack gives up this engine's lease on a run it stops working on (shutdown), so
// another engine resumes it at once instead of after the lease lapses. The step that
// was running stays marked running: its Check tells the next engine whether it happened.
func (e *Engine) handBack(ctx context.Context, runID string) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	r, err := e.store.GetRun(hctx, runID)
	if err != nil || r.Owner != e.owner || r.State.Terminal() {
		return
	}
	r.LeaseUntil = time.Time{}
	if err := e.store.UpdateRun(hctx, &r); err != nil {
		return // someone else wrote first: they hold it now
	}
	if err := e.sched.Schedule(hctx, Task{Kind: TaskAdvance, RunID: runID, Due: e.now()}); err != nil {
		e.log.WarnContext(hctx, "handing a run back", "run_id", runID, "err", err)
	}
}

// run is the step loop of an owned run.
func (e *Engine) run(ctx context.Context, r *Run) error {
	defs := stepDefs()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.CancelRequested && !r.Compensating {
			r.Compensating = true
			r.Cursor = min(r.Cursor, len(r.Steps)-1)
		}
		if r.Compensating {
			done, err := e.compensateOne(ctx, r, defs)
			if err != nil || done {
				return err
			}
			continue
		}
		if r.Cursor >= len(r.Steps) {
			return e.startVerify(ctx, r)
		}
		wait, err := e.stepOne(ctx, r, defs)
		if err != nil || wait {
			return err
		}
	}
}

// takePause claims the app's provisioning pause for r, or queues r behind the run that
// holds it (and says so once).
func (e *Engine) takePause(ctx context.Context, r *Run) (bool, error) {
	holder, err := e.store.Lock(ctx, AppPauseKey(r.Target.AppID), r.ID, pauseTTL)
	if err == nil {
		if r.QueuedBehind != "" {
			r.QueuedBehind = ""
			return true, e.save(ctx, r)
		}
		return true, nil
	}
	if !errors.Is(err, ErrConflict) {
		return false, e.retryLater(ctx, r, fmt.Errorf("locking provisioning of %s: %w", r.Target.AppLabel, err))
	}
	if other, gerr := e.store.GetRun(ctx, holder); errors.Is(gerr, ErrNotFound) || (gerr == nil && other.State.Terminal()) {
		// The holder ended without releasing (it died between its end and the release):
		// free the lock in its name and try again.
		if err := e.store.Unlock(ctx, AppPauseKey(r.Target.AppID), holder); err == nil {
			if _, err := e.store.Lock(ctx, AppPauseKey(r.Target.AppID), r.ID, pauseTTL); err == nil {
				return true, nil
			}
		}
	}
	var evs []AuditEvent
	if r.QueuedBehind != holder {
		r.QueuedBehind = holder
		ev := e.event(r, AuditQueued, e.actor())
		ev.Detail = "waiting for run " + holder + " to restore provisioning on " + r.Target.AppLabel
		evs = append(evs, ev)
	}
	r.LeaseUntil = e.now() // let whoever claims the next task take it
	r.RetryAt = e.now().Add(e.opts.QueueRetry)
	if err := e.store.UpdateRun(ctx, r, evs...); err != nil {
		return false, errLostLease
	}
	e.notify(ctx, *r, evs...)
	return false, e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: r.RetryAt})
}

// stepOne does the step at the cursor. wait is true when the run must wait (a manual
// step, a retry later, a re-plan).
func (e *Engine) stepOne(ctx context.Context, r *Run, defs map[StepKind]stepDef) (wait bool, err error) {
	i := r.Cursor
	s := &r.Steps[i]
	def := defs[s.Kind]
	now := e.now()
	if s.Status == StepWaiting {
		return true, nil
	}
	if def.manual {
		s.Status, s.StartedAt, s.AssignedTo = StepWaiting, &now, r.Requester
		ev := e.stepEvent(r, AuditStepWaiting, i)
		ev.Detail = "asked " + r.Requester + ": " + r.instructions(i, def).EN
		if err := e.save(ctx, r, ev); err != nil {
			return true, err
		}
		e.scheduleReminder(ctx, r, TaskRemindStep)
		return true, nil
	}
	resume := s.Status == StepRunning || s.Attempts > 0
	s.Status, s.StartedAt = StepRunning, &now
	s.Attempts++
	if err := e.save(ctx, r, e.stepEvent(r, AuditStepStarted, i)); err != nil {
		return true, err
	}
	already := false
	if resume && def.check != nil {
		already, err = def.check(ctx, e.env, r)
	}
	if err == nil && !already {
		err = def.doStep(ctx, e.env, r)
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return true, ctx.Err()
	case errors.Is(err, ErrStale):
		return true, e.replan(ctx, r, err)
	case IsRetryable(err) && s.Attempts < e.opts.MaxAttempts:
		e.observeStep(s, "retry")
		s.Status, s.Error = StepPending, err.Error()
		ev := e.stepEvent(r, AuditStepFailed, i)
		fillOkta(&ev, err)
		ev.Detail = fmt.Sprintf("attempt %d failed, retrying in %s: %v", s.Attempts, e.backoff(s.Attempts), err)
		r.RetryAt = e.now().Add(e.backoff(s.Attempts))
		if err := e.save(ctx, r, ev); err != nil {
			return true, err
		}
		return true, e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: r.RetryAt})
	default:
		e.observeStep(s, "failed")
		end := e.now()
		s.Status, s.Error, s.EndedAt = StepFailed, err.Error(), &end
		r.Error = fmt.Sprintf("step %d (%s) failed: %v", i+1, s.Kind, err)
		r.Compensating = true
		ev := e.stepEvent(r, AuditStepFailed, i)
		fillOkta(&ev, err)
		ev.Detail = err.Error()
		return false, e.save(ctx, r, ev)
	}
	typ, outcome := AuditStepDone, "done"
	if already {
		typ, outcome = AuditStepSkipped, "skipped"
	}
	e.observeStep(s, outcome)
	end := e.now()
	s.Status, s.Error, s.EndedAt = StepDone, "", &end
	if s.Kind.pausesProvisioning() {
		r.ProvisioningPaused = true
	}
	if s.Kind.restoresProvisioning() {
		r.ProvisioningPaused = false
		e.observeResume(r)
	}
	r.Cursor++
	ev := e.stepEvent(r, typ, i)
	if already {
		ev.Detail = "already in place"
	}
	if s.Kind.restoresProvisioning() {
		// The pause is over: let the next run on this app go.
		_ = e.store.Unlock(ctx, AppPauseKey(r.Target.AppID), r.ID)
	}
	return false, e.save(ctx, r, ev)
}

func (e *Engine) stepEvent(r *Run, t AuditType, i int) AuditEvent {
	ev := e.event(r, t, e.actor())
	ev.Step, ev.Kind = i+1, r.Steps[i].Kind
	return ev
}

// fillOkta copies Okta's references of a failed call into the audit event.
func fillOkta(ev *AuditEvent, err error) {
	var re *RemoteError
	if errors.As(err, &re) {
		ev.OktaRequestID = re.RequestID
		ev.OktaError = re.Code
	}
}

// retryLater records a transient trouble outside a step and tries again after a pause.
func (e *Engine) retryLater(ctx context.Context, r *Run, err error) error {
	e.log.WarnContext(ctx, "run will retry", "run_id", r.ID, "err", err)
	return e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: e.now().Add(e.backoff(1))})
}

// compensateOne undoes the step at the cursor (walking backwards). done is true when
// the run ended or must wait.
func (e *Engine) compensateOne(ctx context.Context, r *Run, defs map[StepKind]stepDef) (done bool, err error) {
	if r.Cursor < 0 {
		return true, e.finishCompensation(ctx, r)
	}
	i := r.Cursor
	s := &r.Steps[i]
	def := defs[s.Kind]
	undo := false
	switch s.Status {
	case StepDone:
		undo = true
	case StepRunning, StepFailed, StepPending:
		// Perhaps done: an engine may have died after Do, or a failed call may have
		// taken effect. Check says whether there is something to undo.
		if def.check != nil && def.undo != nil {
			undo, err = def.check(ctx, e.env, r)
			if err != nil {
				return e.compensationTrouble(ctx, r, i, err)
			}
		}
	case StepUndoWaiting:
		return true, nil // a person is asked to undo a manual step
	case StepWaiting:
		// A manual step never confirmed was never done: nothing to undo.
		s.Status = StepPending
	}
	if undo && def.manual && s.Kind.pausesProvisioning() {
		// Provisioning was turned off by hand: a person must turn it back on.
		now := e.now()
		s.Status, s.StartedAt, s.AssignedTo, s.ConfirmedBy = StepUndoWaiting, &now, r.Requester, ""
		ev := e.stepEvent(r, AuditStepWaiting, i)
		ev.Detail = "asked " + r.Requester + " to undo: " + manualProvisioning(r, true).EN
		if err := e.save(ctx, r, ev); err != nil {
			return true, err
		}
		e.scheduleReminder(ctx, r, TaskRemindStep)
		return true, nil
	}
	if undo && def.undo != nil {
		if err := def.undo(ctx, e.env, r); err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			return e.compensationTrouble(ctx, r, i, err)
		}
		s.Status = StepCompensated
		if s.Kind.pausesProvisioning() && r.ProvisioningPaused {
			r.ProvisioningPaused = false
			e.observeResume(r)
		}
		ev := e.stepEvent(r, AuditCompensated, i)
		r.Cursor--
		return false, e.save(ctx, r, ev)
	}
	r.Cursor--
	return false, nil
}

// compensationTrouble handles an undo that failed. Provisioning must come back and
// the user must not stay unassigned, so an undo is retried with back-off for as long as
// it takes, whatever the error: a transient one quietly; after a permanent one (a
// revoked token, say) the run owes the undo, says so loudly once (Run.Alert: the exact
// settings to restore by hand, who is left unassigned), stays open on the sweep's books
// across restarts, completes by itself once Okta accepts the calls again, or ends when
// a person marks it handled (MarkHandled).
func (e *Engine) compensationTrouble(ctx context.Context, r *Run, i int, err error) (bool, error) {
	s := &r.Steps[i]
	s.Attempts++
	r.RetryAt = e.now().Add(e.backoff(s.Attempts))
	var evs []AuditEvent
	if s.Attempts == 1 || !IsRetryable(err) && r.OwedSince.IsZero() {
		ev := e.stepEvent(r, AuditStepFailed, i)
		fillOkta(&ev, err)
		ev.Detail = fmt.Sprintf("undo failed, retrying in %s: %v", e.backoff(s.Attempts), err)
		evs = append(evs, ev)
	}
	if !IsRetryable(err) && r.OwedSince.IsZero() {
		r.OwedSince = e.now()
		r.Alert = owedAlert(r, err)
		ev := e.event(r, AuditAlert, e.actor())
		ev.Detail = r.Alert.EN
		evs = append(evs, ev)
		e.log.ErrorContext(ctx, "a run owes an undo it cannot make; retrying with back-off", "run_id", r.ID,
			"provisioning_paused", r.ProvisioningPaused, "left_unassigned", r.leftUnassigned(), "err", err)
	}
	if err := e.save(ctx, r, evs...); err != nil {
		return true, err
	}
	if err := e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: r.RetryAt}); err != nil {
		e.log.WarnContext(ctx, "scheduling the retry of an undo (the sweep will find it)", "run_id", r.ID, "err", err)
	}
	return true, nil
}

// owedAlert says what a run leaves undone and how to put it back by hand.
func owedAlert(r *Run, err error) Text {
	out := Tf("The fix on %s for %s failed and could not be undone (%v). The bot retries with back-off until Okta accepts the calls again.",
		"%s の %s に対する対処が失敗し、元に戻せませんでした(%v)。Okta が呼び出しを受け付けるようになるまで、ボットが間隔を空けて再試行します。",
		r.Target.AppLabel, r.Target.UserLogin, err)
	if r.ProvisioningPaused && r.Snapshot.Provisioning != nil {
		out = Tf("%s PROVISIONING TO %s IS STILL PAUSED. To restore it by hand: Admin Console → Applications → %s → Provisioning → To App: %s.",
			"%s %s へのプロビジョニングは一時停止したままです。手動で戻す場合: 管理コンソール → [アプリケーション] → %s → [プロビジョニング] → [To App(アプリへ)]: %s。",
			out, r.Target.AppLabel, r.Target.AppLabel, r.Snapshot.Provisioning.Capabilities.Describe())
	}
	if r.leftUnassigned() {
		out = Tf("%s %s IS LEFT UNASSIGNED from %s: assign it again (Admin Console → Applications → %s → Assignments).",
			"%s %s は %s への割り当てが解除されたままです。再度割り当ててください(管理コンソール → [アプリケーション] → %s → [割り当て])。",
			out, r.Target.UserLogin, r.Target.AppLabel, r.Target.AppLabel)
	}
	return Tf("%s Once done by hand, mark the run handled.", "%s 手動で対応した場合は、この実行を対応済みにしてください。", out)
}

// leftUnassigned reports whether the run unassigned the user and nothing assigned them
// again yet.
func (r *Run) leftUnassigned() bool {
	unassigned := false
	for _, s := range r.Steps {
		switch s.Kind {
		case StepUnassign:
			unassigned = s.Status == StepDone || s.Status == StepRunning
		case StepAssign, StepExternalIDNull, StepExternalIDSet:
			if s.Status == StepDone {
				unassigned = false
			}
		}
	}
	return unassigned
}

func (e *Engine) finishCompensation(ctx context.Context, r *Run) error {
	ev := e.event(r, AuditCompensated, e.actor())
	if r.CancelRequested {
		r.State = StateCancelled
		r.Outcome = T("Cancelled: every step done was undone and provisioning restored.", "取り消しました。実行済みの手順はすべて元に戻し、プロビジョニング設定も復元しました。")
		ev.Type = AuditCancelled
	} else {
		r.State = StateCompensated
		r.Outcome = Tf("The fix failed (%s); every step done was undone and provisioning restored.", "対処に失敗しました(%s)。実行済みの手順はすべて元に戻し、プロビジョニング設定も復元しました。", r.Error)
	}
	r.RetryAt = time.Time{}
	ev.Detail = r.Error
	if err := e.save(ctx, r, ev); err != nil {
		return err
	}
	e.release(ctx, r)
	return nil
}

// replan re-reads Okta, lays the plan out again and asks for approval anew.
func (e *Engine) replan(ctx context.Context, r *Run, why error) error {
	ev := e.event(r, AuditReplanned, e.actor())
	ev.Detail = why.Error()
	user := User{ID: r.Target.UserID, Login: r.Target.UserLogin}
	_ = e.store.Unlock(ctx, AppPauseKey(r.Target.AppID), r.ID)
	if err := e.plan(ctx, r, user); err != nil {
		r.State = StateFailed
		r.Error = "re-planning failed: " + err.Error()
		r.Outcome = T("Okta changed since the approval and the fix no longer applies; diagnose again.", "承認後に Okta の状態が変わり、この対処は適用できなくなりました。再度診断してください。")
		if err := e.save(ctx, r, ev, e.event(r, AuditFailed, e.actor())); err != nil {
			return err
		}
		e.release(ctx, r)
		return nil
	}
	r.Owner, r.LeaseUntil = "", time.Time{}
	r.Outcome = Tf("Okta changed since the approval (%s): the plan was rebuilt and needs approval again.", "承認後に Okta の状態が変わったため(%s)、計画を作り直しました。再度承認が必要です。", why.Error())
	if err := e.store.UpdateRun(ctx, r, ev); err != nil {
		return errLostLease
	}
	e.notify(ctx, *r, ev)
	e.scheduleReminder(ctx, r, TaskRemindApproval)
	return e.sched.Schedule(ctx, Task{Kind: TaskExpire, RunID: r.ID, Due: r.ExpiresAt})
}

// pastRestore reports whether provisioning has been restored already (the steps left
// need no turn on the app).
func (r *Run) pastRestore() bool {
	for i := 0; i < r.Cursor && i < len(r.Steps); i++ {
		if r.Steps[i].Kind.restoresProvisioning() {
			return true
		}
	}
	return false
}

// waitingForPerson reports whether the run waits for someone to confirm a manual step.
func (r *Run) waitingForPerson() bool {
	if r.Cursor < 0 || r.Cursor >= len(r.Steps) {
		return false
	}
	st := r.Steps[r.Cursor].Status
	return st == StepWaiting || st == StepUndoWaiting
}
