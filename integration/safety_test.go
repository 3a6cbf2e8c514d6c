package integration

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// errStoreDown is what a store that cannot be reached answers.
var errStoreDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

// failingStore is the real store and scheduler until down is set: then every call
// fails, as during a Redis outage.
type failingStore struct {
	remediation.Store
	sched remediation.Scheduler
	down  atomic.Bool
}

func (f *failingStore) err() error {
	if f.down.Load() {
		return errStoreDown
	}
	return nil
}

func (f *failingStore) CreateRun(ctx context.Context, r *remediation.Run, evs ...remediation.AuditEvent) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.CreateRun(ctx, r, evs...)
}

func (f *failingStore) GetRun(ctx context.Context, id string) (remediation.Run, error) {
	if err := f.err(); err != nil {
		return remediation.Run{}, err
	}
	return f.Store.GetRun(ctx, id)
}

func (f *failingStore) UpdateRun(ctx context.Context, r *remediation.Run, evs ...remediation.AuditEvent) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.UpdateRun(ctx, r, evs...)
}

func (f *failingStore) ListRuns(ctx context.Context, filter remediation.RunFilter) ([]remediation.Run, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Store.ListRuns(ctx, filter)
}

func (f *failingStore) Lock(ctx context.Context, key, owner string, ttl time.Duration) (string, error) {
	if err := f.err(); err != nil {
		return "", err
	}
	return f.Store.Lock(ctx, key, owner, ttl)
}

func (f *failingStore) Unlock(ctx context.Context, key, owner string) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.Unlock(ctx, key, owner)
}

func (f *failingStore) Append(ctx context.Context, evs ...remediation.AuditEvent) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.Append(ctx, evs...)
}

func (f *failingStore) Schedule(ctx context.Context, t remediation.Task) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.sched.Schedule(ctx, t)
}

func (f *failingStore) Cancel(ctx context.Context, kind remediation.TaskKind, runID string) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.sched.Cancel(ctx, kind, runID)
}

func (f *failingStore) Claim(ctx context.Context, now time.Time, n int) ([]remediation.Task, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.sched.Claim(ctx, now, n)
}

// heard is a Notifier that keeps what it was told.
type heard struct {
	mu     sync.Mutex
	events []remediation.AuditEvent
	alerts []remediation.Text
}

func (h *heard) RunChanged(_ context.Context, r remediation.Run, ev remediation.AuditEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
	if ev.Type == remediation.AuditAlert {
		h.alerts = append(h.alerts, r.Alert)
	}
}

func (h *heard) saw(t remediation.AuditType) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.Type == t {
			return true
		}
	}
	return false
}

func (h *heard) alert() remediation.Text {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.alerts) == 0 {
		return remediation.Text{}
	}
	return h.alerts[len(h.alerts)-1]
}

// drive hands due tasks to e until cond holds for the run, moving the clock a second
// when nothing is due, and sweeping now and then (as Work does).
func (r *rig) drive(t *testing.T, e *remediation.Engine, id string, what string, cond func(remediation.Run) bool) remediation.Run {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 600; i++ {
		run, err := r.store.GetRun(ctx, id)
		if err == nil && cond(run) {
			return run
		}
		tasks, _ := r.sched.Claim(ctx, r.clock.Now(), 16)
		for _, task := range tasks {
			_ = e.Handle(ctx, task)
		}
		if len(tasks) == 0 {
			if err := r.org.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(time.Second)
			if i%5 == 4 {
				_ = e.Sweep(ctx)
			}
		}
	}
	run, _ := r.store.GetRun(ctx, id)
	t.Fatalf("run %s: never %s: state %s cursor %d owed %v steps %+v", id, what, run.State, run.Cursor, run.OwedSince, run.Steps)
	return run
}

// The store fails (a Redis outage) right after the unassign, with provisioning off. The
// engine takes no further step, restores provisioning and assigns the user again from
// memory, says so, and writes the run's record and outcome back once the store returns:
// empty (a restart without persistence) or holding the older record.
func TestStoreLostWhileProvisioningOff(t *testing.T) {
	_, client := redistest.Start(t)
	for _, c := range []struct {
		name       string
		lost, wipe bool
	}{
		{"store comes back empty", true, false},
		{"store comes back with the old record", false, false},
		{"store restarted empty without an outage", true, true},
	} {
		lost := c.lost
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if err := client.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			r := redisRig(t, client)
			fs := &failingStore{Store: r.store, sched: r.sched}
			h := &heard{}
			hook := &writeHook{OktaWriter: r.okta, after: func(n int, err error) error {
				if n == 2 { // the unassign took effect; provisioning is off
					if c.wipe {
						_ = client.FlushDB(context.Background()).Err()
					} else {
						fs.down.Store(true)
					}
				}
				return err
			}}
			e := r.engine(t, "A", withOkta(hook), func(d *remediation.EngineDeps, o *remediation.EngineOptions) {
				d.Store, d.Scheduler, d.Notifier = fs, fs, h
				o.StoreRetry = time.Millisecond
			})
			before := r.caps(t, "Zoom")
			run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
			r.approve(t, e, run.ID)
			for i := 0; i < 50 && !h.saw(remediation.AuditCompensated); i++ {
				tasks, _ := r.sched.Claim(ctx, r.clock.Now(), 16)
				for _, task := range tasks {
					_ = e.Handle(ctx, task)
				}
			}
			if !h.saw(remediation.AuditCompensated) {
				t.Fatalf("the run was not undone from memory; heard %+v", h.events)
			}
			if got := r.caps(t, "Zoom"); got != before {
				t.Errorf("provisioning %+v after the store failed, want the snapshot %+v", got, before)
			}
			if au := r.appUser(t, "Zoom", run.Target.UserID); au.ID == "" {
				t.Error("the user was left unassigned")
			}
			if got := strings.Join(r.pauses(run.Target.AppID), ","); got != "off,on" {
				t.Errorf("provisioning switches %s, want off,on", got)
			}
			for _, q := range r.org.Requests() {
				if q.Method == "POST" && strings.Contains(q.Body, "externalId") {
					t.Errorf("a step was taken after the store failed: %s %s", q.Method, q.Path)
				}
			}
			if a := h.alert(); !strings.Contains(a.EN, "store cannot be written") || a.JA == "" {
				t.Errorf("alert %+v", a)
			}
			if held := e.HeldInMemory(); len(held) != 1 || held[0] != run.ID {
				t.Fatalf("held in memory: %v", held)
			}

			// The store returns.
			if lost && !c.wipe {
				if err := client.FlushDB(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			fs.down.Store(false)
			if err := e.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := r.store.GetRun(ctx, run.ID)
			if err != nil {
				t.Fatalf("the run's record was not written back: %v", err)
			}
			if got.State != remediation.StateCompensated || got.Outcome.EN == "" || got.ProvisioningPaused {
				t.Errorf("written back: state %s outcome %q paused %v", got.State, got.Outcome.EN, got.ProvisioningPaused)
			}
			if !r.audited(t, remediation.AuditCompensated, run.ID) || !r.audited(t, remediation.AuditAlert, run.ID) {
				t.Error("the audit trail lacks what happened while the store was down")
			}
			if held := e.HeldInMemory(); len(held) != 0 {
				t.Errorf("still held in memory: %v", held)
			}
		})
	}
}

// ownedAt is the permanent error of a revoked token, until fixed.
func revokedUntil(fixed *atomic.Bool, from int) func(n int) error {
	return func(n int) error {
		if n >= from && !fixed.Load() {
			return &remediation.RemoteError{Kind: remediation.ErrDenied, Op: "injected", Status: 401, Code: "E0000011", Summary: "Invalid token provided"}
		}
		return nil
	}
}

// The API token is revoked after provisioning was turned off and the user unassigned:
// the undo cannot be made. The run says so loudly (what to restore, who is left
// unassigned), stays open across a restart, is retried with back-off, and completes by
// itself once the token works again.
func TestOwedUndoIsRetriedUntilItWorks(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		ctx := context.Background()
		r := newRig(t)
		var fixed atomic.Bool
		h := &heard{}
		notify := func(d *remediation.EngineDeps, _ *remediation.EngineOptions) { d.Notifier = h }
		a := r.engine(t, "A", withOkta(&writeHook{OktaWriter: r.okta, before: revokedUntil(&fixed, 3)}), notify)
		before := r.caps(t, "Zoom")
		run := r.propose(t, a, "stale_external_id", remediation.PlanResetExternalID)
		r.approve(t, a, run.ID)
		run = r.drive(t, a, run.ID, "owing its undo", func(x remediation.Run) bool { return !x.OwedSince.IsZero() })
		if run.State.Terminal() || !run.ProvisioningPaused {
			t.Fatalf("state %s paused %v: an owed undo must keep the run open", run.State, run.ProvisioningPaused)
		}
		for _, want := range []string{"STILL PAUSED", "Create Users: on", "Update User Attributes: on", "Deactivate Users: off", "LEFT UNASSIGNED", run.Target.UserLogin, "mark the run handled"} {
			if !strings.Contains(run.Alert.EN, want) {
				t.Errorf("alert lacks %q: %s", want, run.Alert.EN)
			}
		}
		if run.Alert.JA == "" || !h.saw(remediation.AuditAlert) {
			t.Error("the alert was not told, or not in Japanese")
		}
		attempts := run.Steps[2].Attempts

		// A restart: engine A is gone; B finds the run on its sweep and keeps trying.
		b := r.engine(t, "B", withOkta(&writeHook{OktaWriter: r.okta, before: revokedUntil(&fixed, 1)}))
		r.clock.Advance(time.Hour)
		run = r.drive(t, b, run.ID, "retried by the new engine", func(x remediation.Run) bool {
			return x.Owner == "B" && x.Steps[2].Attempts > attempts+1
		})
		if run.State.Terminal() || r.caps(t, "Zoom") == before {
			t.Fatalf("state %s: the run gave up, or provisioning came back while the token was refused", run.State)
		}
		if !run.RetryAt.After(r.clock.Now()) {
			t.Errorf("no back-off: retry at %v, now %v", run.RetryAt, r.clock.Now())
		}

		// The token works again: the run completes by itself.
		fixed.Store(true)
		r.clock.Advance(time.Hour)
		run = r.drive(t, b, run.ID, "undone", func(x remediation.Run) bool { return x.State.Terminal() })
		if run.State != remediation.StateCompensated {
			t.Fatalf("state %s: %s", run.State, run.Error)
		}
		if got := r.caps(t, "Zoom"); got != before {
			t.Errorf("provisioning %+v, want %+v", got, before)
		}
		if au := r.appUser(t, "Zoom", run.Target.UserID); au.ID == "" {
			t.Error("the user is still unassigned")
		}
		if _, err := b.MarkHandled(ctx, run.ID, approver, "done"); !errors.Is(err, remediation.ErrDenied) {
			t.Errorf("marking a finished run handled: %v", err)
		}
	})
}

// A person may take an owed undo over: the run ends and stops being retried.
func TestOwedUndoMarkedHandled(t *testing.T) {
	ctx := context.Background()
	r := memoryRig(t)
	var fixed atomic.Bool
	e := r.engine(t, "A", withOkta(&writeHook{OktaWriter: r.okta, before: revokedUntil(&fixed, 2)}))
	run := r.propose(t, e, "stale_external_id", remediation.PlanResetExternalID)
	r.approve(t, e, run.ID)
	run = r.drive(t, e, run.ID, "owing its undo", func(x remediation.Run) bool { return !x.OwedSince.IsZero() })
	if strings.Contains(run.Alert.EN, "UNASSIGNED") || !strings.Contains(run.Alert.EN, "STILL PAUSED") {
		t.Errorf("the unassign never happened, provisioning is off: alert %s", run.Alert.EN)
	}
	if _, err := e.MarkHandled(ctx, run.ID, "UOUTSIDER1", "me"); !errors.Is(err, remediation.ErrDenied) {
		t.Errorf("an outsider marked it handled: %v", err)
	}
	got, err := e.MarkHandled(ctx, run.ID, approver, "restored by hand in the Admin Console")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != remediation.StateFailed || !strings.Contains(got.Outcome.EN, "restored by hand") {
		t.Errorf("state %s outcome %s", got.State, got.Outcome.EN)
	}
	if !r.audited(t, remediation.AuditHandled, run.ID) {
		t.Error("no handled event")
	}
	// The (user, app) pair is free again.
	if _, err := r.store.Lock(ctx, remediation.PairKey(run.Target.UserID, run.Target.AppID), "someone", time.Minute); err != nil {
		t.Errorf("the pair lock was kept: %v", err)
	}
}

// While an engine works a run, its heartbeat keeps the lease: another engine sweeping
// and claiming all along does not take the run over, however long a call takes.
func TestHeartbeatKeepsTheLease(t *testing.T) {
	ctx := context.Background()
	r := memoryRig(t)
	entered, release := make(chan struct{}), make(chan struct{})
	real := func(d *remediation.EngineDeps, o *remediation.EngineOptions) {
		d.Clock, o.Lease, o.VerifyEvery, o.RetryBase = nil, 150*time.Millisecond, 5*time.Millisecond, 5*time.Millisecond
	}
	a := r.engine(t, "A", real, withOkta(&writeHook{OktaWriter: r.okta, before: func(n int) error {
		if n == 2 { // the unassign, with provisioning off, takes long
			close(entered)
			<-release
		}
		return nil
	}}))
	b := r.engine(t, "B", real)
	run := r.propose(t, a, "stale_external_id", remediation.PlanResetExternalID)
	r.approve(t, a, run.ID)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tasks, _ := r.sched.Claim(ctx, time.Now(), 16)
		for _, task := range tasks {
			_ = a.Handle(ctx, task)
		}
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("engine A never reached the unassign")
	}
	// Five leases long, B sweeps and claims as a live replica would.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(750 * time.Millisecond); time.Now().Before(end); <-tick.C {
		if err := b.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		tasks, _ := r.sched.Claim(ctx, time.Now(), 16)
		for _, task := range tasks {
			_ = b.Handle(ctx, task)
		}
	}
	got, _ := r.store.GetRun(ctx, run.ID)
	if got.Owner != "A" || r.audited(t, remediation.AuditResumed, run.ID) {
		t.Errorf("engine B took the run over while A was working it (owner %s)", got.Owner)
	}
	close(release)
	<-done
	run = r.settle(t, a, run.ID)
	if run.State != remediation.StateSucceeded {
		t.Fatalf("state %s: %s", run.State, run.Error)
	}
}
