package remediation

import (
	"context"
	"sync"
	"time"
)

// A call to Okta may wait for a rate budget that every replica shares (the Okta
// adapter paces rather than draw a 429). A long wait must not look like a hang: whoever
// waits on the call is told. The listener travels in the context, from the front end
// (a command, a click) or the engine (a run) down through the diagnosis or the steps to
// the adapter, which calls SayRateWait: the layers between know nothing of it.

// RateWait hears that an Okta call waits about wait for its budget (bucket: apps,
// logs, users or other). It must return quickly.
type RateWait func(ctx context.Context, bucket string, wait time.Duration)

type rateWaitKey struct{}

// WithRateWait returns ctx carrying f, told of the long rate waits of the calls made
// with it.
func WithRateWait(ctx context.Context, f RateWait) context.Context {
	return context.WithValue(ctx, rateWaitKey{}, f)
}

// SayRateWait tells the listener ctx carries (if any) that a call made with ctx waits
// for its Okta budget. Its signature is the Okta adapter's OnRateWait hook.
func SayRateWait(ctx context.Context, bucket string, wait time.Duration) {
	if f, ok := ctx.Value(rateWaitKey{}).(RateWait); ok && f != nil {
		f(ctx, bucket, wait)
	}
}

// OnceEvery wraps f so that it hears of one wait per interval at most (the first, then
// the next after interval): one line for a burst of paced calls, not one per call.
func OnceEvery(interval time.Duration, now func() time.Time, f RateWait) RateWait {
	var mu sync.Mutex
	var last time.Time
	return func(ctx context.Context, bucket string, wait time.Duration) {
		mu.Lock()
		t := now()
		if !last.IsZero() && t.Sub(last) < interval {
			mu.Unlock()
			return
		}
		last = t
		mu.Unlock()
		f(ctx, bucket, wait)
	}
}

// RunWaitNotifier is a Notifier that also hears when a run's Okta call waits long for
// its budget, to say so in the run's thread. It is not an audit event: nothing changed.
type RunWaitNotifier interface {
	RunWaits(ctx context.Context, r Run, bucket string, wait time.Duration)
}

// RunWaits implements RunWaitNotifier: it passes the wait on when the connected
// notifier hears of waits (a wait before Connect is not held: it is over by then).
func (n *NotifierRelay) RunWaits(ctx context.Context, r Run, bucket string, wait time.Duration) {
	n.mu.Lock()
	to := n.to
	n.mu.Unlock()
	if w, ok := to.(RunWaitNotifier); ok {
		w.RunWaits(ctx, r, bucket, wait)
	}
}

// runWaits is ctx for working run r: its long rate waits are said in its thread (once a
// minute at most).
func (e *Engine) runWaits(ctx context.Context, r *Run) context.Context {
	w, ok := e.notifier.(RunWaitNotifier)
	if !ok {
		return ctx
	}
	run := Run{ID: r.ID, Plan: r.Plan, Target: r.Target, Origin: r.Origin, State: r.State}
	return WithRateWait(ctx, OnceEvery(time.Minute, e.now, func(ctx context.Context, bucket string, wait time.Duration) {
		w.RunWaits(ctx, run, bucket, wait)
	}))
}
