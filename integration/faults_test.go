package integration

import (
	"context"
	"sync"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// writeHook wraps the Okta port and calls hook before (and after) every write, numbered
// from 1, so a test can fail or "crash" the engine at any step.
type writeHook struct {
	remediation.OktaWriter
	mu     sync.Mutex
	n      int
	before func(n int) error // a non-nil error is returned instead of the call
	after  func(n int, err error) error
}

func (w *writeHook) call(ctx context.Context, f func() error) error {
	w.mu.Lock()
	w.n++
	n := w.n
	w.mu.Unlock()
	if w.before != nil {
		if err := w.before(n); err != nil {
			return err
		}
	}
	err := f()
	if w.after != nil {
		return w.after(n, err)
	}
	return err
}

func (w *writeHook) AssignUser(ctx context.Context, appID, userID string) (au remediation.AppUser, err error) {
	err = w.call(ctx, func() error { au, err = w.OktaWriter.AssignUser(ctx, appID, userID); return err })
	return au, err
}

func (w *writeHook) SetAppUserScope(ctx context.Context, appID, userID, scope string) (au remediation.AppUser, err error) {
	err = w.call(ctx, func() error { au, err = w.OktaWriter.SetAppUserScope(ctx, appID, userID, scope); return err })
	return au, err
}

func (w *writeHook) SetExternalID(ctx context.Context, appID, userID string, id *string) (au remediation.AppUser, err error) {
	err = w.call(ctx, func() error { au, err = w.OktaWriter.SetExternalID(ctx, appID, userID, id); return err })
	return au, err
}

func (w *writeHook) UnassignUser(ctx context.Context, appID, userID string) error {
	return w.call(ctx, func() error { return w.OktaWriter.UnassignUser(ctx, appID, userID) })
}

func (w *writeHook) SetProvisioning(ctx context.Context, appID string, c remediation.Capabilities) (p remediation.Provisioning, err error) {
	err = w.call(ctx, func() error { p, err = w.OktaWriter.SetProvisioning(ctx, appID, c); return err })
	return p, err
}

// deadStore is the store as a killed process sees it: once dead, nothing it writes
// arrives (so a crash cannot hand its lease back the way a shutdown does).
type deadStore struct {
	remediation.Store
	dead func() bool
}

func (d deadStore) UpdateRun(ctx context.Context, r *remediation.Run, evs ...remediation.AuditEvent) error {
	if d.dead() {
		return context.Canceled
	}
	return d.Store.UpdateRun(ctx, r, evs...)
}
