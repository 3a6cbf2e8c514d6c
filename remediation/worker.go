package remediation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// This file is the worker loop: claim → handle → sweep.
//
// The contract is at-least-once. A task may be handled more than once (a replica dies
// after Claim, the sweep schedules again a run whose lease lapsed, two replicas race on
// a takeover), so handling is idempotent: every handler reads the run afresh, acts only
// in the states it expects, and writes with compare-and-swap; every step is persisted
// before it is done and its Check says, on a second delivery, whether its effect is
// already there. A task is never lost for good: the sweep finds every open run that
// nobody works (its lease lapsed) and schedules it again.

// Handle does one scheduled task.
func (e *Engine) Handle(ctx context.Context, t Task) error {
	ctx = logctx.With(ctx, "run_id", t.RunID)
	switch t.Kind {
	case TaskAdvance:
		return e.advance(ctx, t.RunID)
	case TaskVerify:
		return e.verify(ctx, t.RunID)
	case TaskExpire:
		e.expire(ctx, t.RunID)
		return nil
	case TaskRemindApproval, TaskRemindStep:
		e.remind(ctx, t.RunID, t.Kind)
		return nil
	}
	return fmt.Errorf("unknown task kind %q", t.Kind)
}

// Sweep finds runs that need work nobody has scheduled: runs whose engine died (their
// lease lapsed; a run waiting out a back-off is due at its RetryAt) and approval
// requests past their expiry. It first hands back to the store the runs this engine
// holds in memory (offline.go). Run it at start-up and periodically on every replica:
// the takeover time after a replica dies is at most Lease plus the sweep interval.
func (e *Engine) Sweep(ctx context.Context) error {
	e.tendOffline(ctx)
	now := e.now()
	runs, err := e.store.ListRuns(ctx, RunFilter{States: []RunState{StateApproved, StateRunning, StateVerifying, StateAwaitingApproval}})
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for _, r := range runs {
		if e.isOffline(r.ID) {
			continue
		}
		var t Task
		switch {
		case r.State == StateAwaitingApproval && !now.Before(r.ExpiresAt):
			t = Task{Kind: TaskExpire, RunID: r.ID, Due: now}
		case r.State == StateVerifying && now.After(r.LeaseUntil):
			t = Task{Kind: TaskVerify, RunID: r.ID, Due: now}
			if r.RetryAt.After(now) {
				t.Due = r.RetryAt // the next poll: not sooner
			}
		case r.State == StateRunning && r.waitingForPerson():
			// Nobody works a run that waits for a person; keep its claim on the app so
			// no other run pauses provisioning meanwhile.
			if !r.pastRestore() && !r.inRunbook() {
				if _, err := e.store.Lock(ctx, AppPauseKey(r.Target.AppID), r.ID, pauseTTL); err != nil {
					e.log.WarnContext(ctx, "keeping the app's provisioning pause for a waiting run", "run_id", r.ID, "err", err)
				}
			}
			continue
		case (r.State == StateRunning || r.State == StateApproved) && now.After(r.LeaseUntil):
			t = Task{Kind: TaskAdvance, RunID: r.ID, Due: now}
			if r.RetryAt.After(now) {
				t.Due = r.RetryAt // a back-off: not before it is due
			}
		default:
			continue
		}
		if err := e.sched.Schedule(ctx, t); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	return nil
}

// heartbeat renews the lease of a run this engine works, every Lease/3, until stop is
// called (stop waits for it to end). A renewal is a compare-and-swap on the stored run
// that changes only LeaseUntil; the step loop's own writes adopt it (save). A beat that
// loses a race is skipped: the next one comes soon.
func (e *Engine) heartbeat(ctx context.Context, runID string) (stop func()) {
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(max(e.opts.Lease/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-tick.C:
			}
			r, err := e.store.GetRun(hctx, runID)
			if err != nil || r.Owner != e.owner || r.State.Terminal() || e.isOffline(runID) {
				continue
			}
			r.LeaseUntil = e.now().Add(e.opts.Lease)
			if err := e.store.UpdateRun(hctx, &r); err != nil && hctx.Err() == nil && !errors.Is(err, ErrConflict) {
				e.log.WarnContext(hctx, "renewing a run's lease", "run_id", runID, "err", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// Work claims and handles due tasks until ctx ends, and sweeps every sweepEvery. poll
// is how often it looks for due tasks.
func (e *Engine) Work(ctx context.Context, poll, sweepEvery time.Duration, parallel int) error {
	if err := e.Sweep(ctx); err != nil {
		e.log.WarnContext(ctx, "sweep", "err", err)
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	lastSweep := e.now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(parallel, 1) + 1)
	defer func() { _ = g.Wait() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if now := e.now(); now.Sub(lastSweep) >= sweepEvery {
			lastSweep = now
			if err := e.Sweep(gctx); err != nil {
				e.log.WarnContext(ctx, "sweep", "err", err)
			}
		}
		tasks, err := e.sched.Claim(gctx, e.now(), max(parallel, 1))
		if err != nil {
			e.log.WarnContext(ctx, "claiming tasks", "err", err)
			continue
		}
		for _, t := range tasks {
			g.Go(func() error {
				if err := e.Handle(gctx, t); err != nil {
					e.log.WarnContext(gctx, "task failed", "run_id", t.RunID, "task", t.Kind, "err", err)
					// Worth another try later; the sweep would find it too.
					_ = e.sched.Schedule(gctx, Task{Kind: t.Kind, RunID: t.RunID, Due: e.now().Add(e.backoff(2))})
				}
				return nil
			})
		}
	}
}
