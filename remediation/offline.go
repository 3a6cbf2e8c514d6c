package remediation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// This file answers "what if the store cannot be written while a fix is under way".
// Safety comes before progress: the engine takes no further step, restores the
// provisioning settings from the snapshot it holds in memory, undoes the steps done
// (assigning the user again), and tells the thread and the audit channel through the
// Notifier from memory. It keeps the run and its audit events in memory until the store
// takes them back: when the store comes back without the run (a restart without
// persistence, a failover to a replica that lagged), the run's record and its outcome
// are written anew.

// offlineRun is a run this engine holds in memory because the store could not be
// written: its latest state, the audit events the store has not seen, and the version
// the store last accepted.
type offlineRun struct {
	run     Run
	events  []AuditEvent
	version int64
	// busy is true while a goroutine undoes the run's steps: nobody else touches it.
	busy bool
}

func (e *Engine) isOffline(runID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.held[runID]
	return ok
}

// keepOffline records r and evs in memory when r is offline; it reports whether it did.
func (e *Engine) keepOffline(r *Run, evs []AuditEvent) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.held[r.ID]
	if !ok {
		return false
	}
	o.run = r.Clone()
	o.events = append(o.events, evs...)
	return true
}

// goOffline stops a run whose store cannot be written: from now on the run lives in
// memory. While the fix is under way (before provisioning is restored), it undoes the
// steps done at once, from memory.
func (e *Engine) goOffline(ctx context.Context, r *Run, cause error) error {
	e.log.ErrorContext(ctx, "the store cannot be written: stopping the run for safety, undoing from memory", "run_id", r.ID, "err", cause)
	e.mu.Lock()
	o := &offlineRun{run: r.Clone(), version: r.Version, busy: true}
	e.held[r.ID] = o
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		o.busy = false
		e.mu.Unlock()
	}()
	if r.Bulk != nil {
		return e.bulkOffline(ctx, r, cause) // bulk.go
	}
	midFix := !r.State.Terminal() && r.Cursor < len(r.Steps) && !r.pastRestore()
	if !midFix {
		return nil // nothing at risk: the record waits in memory for the store
	}
	if !r.Compensating {
		r.Compensating = true
		r.Cursor = min(r.Cursor, len(r.Steps)-1)
		r.Error = fmt.Sprintf("the bot's store could not be written at step %d: %v", r.Cursor+1, cause)
	}
	r.Alert = Tf("The bot's store cannot be written (%v): the fix on %s for %s stops here for safety. Provisioning is being restored and the steps done undone, from memory.",
		"ボットのストアに書き込めません(%v)。安全のため、%s の %s に対する対処をここで中止します。メモリ上の情報からプロビジョニング設定を復元し、実行済みの手順を元に戻します。",
		cause, r.Target.AppLabel, r.Target.UserLogin)
	ev := e.event(r, AuditAlert, e.actor())
	ev.Detail = r.Alert.EN
	_ = e.save(ctx, r, ev) // in memory
	return e.compensateOffline(ctx, r)
}

// compensateOffline undoes the steps of an offline run until it ends or must wait.
func (e *Engine) compensateOffline(ctx context.Context, r *Run) error {
	defs := stepDefs()
	for {
		done, err := e.compensateOne(ctx, r, defs)
		if err != nil || done {
			return err
		}
	}
}

// tendOffline works the runs held in memory: it retries an undo that is due, then
// tries to hand each run back to the store. It runs with every sweep.
func (e *Engine) tendOffline(ctx context.Context) {
	e.mu.Lock()
	ids := slices.Sorted(maps.Keys(e.held))
	e.mu.Unlock()
	for _, id := range ids {
		e.mu.Lock()
		o := e.held[id]
		if o == nil || o.busy {
			e.mu.Unlock()
			continue
		}
		o.busy = true
		r := o.run.Clone()
		e.mu.Unlock()
		if r.Bulk != nil && !r.State.Terminal() && !e.now().Before(r.RetryAt) {
			if err := e.bulkOffline(ctx, &r, nil); err != nil { // bulk.go
				e.log.WarnContext(ctx, "restoring an offline bulk run", "run_id", id, "err", err)
			}
		} else if r.Compensating && !r.State.Terminal() && !e.now().Before(r.RetryAt) && !r.waitingForPerson() {
			if err := e.compensateOffline(ctx, &r); err != nil {
				e.log.WarnContext(ctx, "undoing an offline run", "run_id", id, "err", err)
			}
		}
		err := e.writeBack(ctx, id)
		e.mu.Lock()
		o.busy = false
		e.mu.Unlock()
		if err != nil {
			e.log.WarnContext(ctx, "the store still cannot take back a run held in memory", "run_id", id, "err", err)
		}
	}
}

// writeBack hands an offline run back to the store: it re-creates the record when the
// store lost it, writes over an older copy, or, when another engine took the run over
// meanwhile, appends only the audit events this engine holds.
func (e *Engine) writeBack(ctx context.Context, id string) error {
	e.mu.Lock()
	o := e.held[id]
	r, events, version := o.run.Clone(), slices.Clone(o.events), o.version
	e.mu.Unlock()
	cur, err := e.store.GetRun(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		err = e.store.CreateRun(ctx, &r, events...)
	case err != nil:
	case cur.Version <= version || cur.Owner == e.owner && !cur.State.Terminal():
		r.Version = cur.Version
		r.CancelRequested = r.CancelRequested || cur.CancelRequested
		err = e.store.UpdateRun(ctx, &r, events...)
	default:
		err = e.store.Append(ctx, events...)
	}
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.held[id] == o {
		delete(e.held, id)
	}
	e.mu.Unlock()
	e.log.InfoContext(ctx, "a run held in memory is back in the store", "run_id", id, "state", string(r.State))
	if r.State.Terminal() {
		e.release(ctx, &r)
		return nil
	}
	due := e.now()
	if r.RetryAt.After(due) {
		due = r.RetryAt
	}
	if !r.waitingForPerson() {
		if err := e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: id, Due: due}); err != nil {
			e.log.WarnContext(ctx, "scheduling a run back from memory (the sweep will find it)", "run_id", id, "err", err)
		}
	}
	return nil
}

// HeldInMemory returns the IDs of the runs this engine holds in memory because the store
// could not be written (for /readyz and tests).
func (e *Engine) HeldInMemory() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.held))
}
