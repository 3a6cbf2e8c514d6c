package storage

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
)

// harness is one fresh, empty store under test, with the ways in that only a test (or
// an attacker) has.
type harness struct {
	store remediation.Store
	sched remediation.Scheduler
	clock *testclock.Clock
	// editEntry rewrites the stored audit entry id in place, behind the store's back.
	editEntry func(t *testing.T, id string, edit func(*remediation.AuditEvent))
	// deleteEntry removes the stored audit entry id behind the store's back.
	deleteEntry func(t *testing.T, id string)
}

// eventually polls cond until it holds; TTLs on Redis run on Redis's own clock, so
// expiry is waited for, never slept for.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func sampleRun(id, user, app string, state remediation.RunState, created time.Time) remediation.Run {
	return remediation.Run{
		ID:        id,
		Plan:      remediation.PlanResetExternalID,
		Target:    remediation.Target{UserID: user, UserLogin: user + "@example.com", AppID: app, AppLabel: "Slack " + app},
		Requester: "U_REQ",
		Origin:    remediation.Origin{Channel: "C1", Locale: remediation.JA},
		State:     state,
		Snapshot: remediation.Snapshot{
			AppUser:      remediation.AppUser{ID: user, Status: "PROVISIONED", ExternalID: "W123"},
			Provisioning: &remediation.Provisioning{Status: "ENABLED", Capabilities: remediation.Capabilities{LifecycleCreate: "ENABLED"}},
			RegroupIDs:   []string{"00g1"},
			ReadAt:       created,
		},
		Steps:     []remediation.StepRecord{{Kind: "read_external_id", Status: remediation.StepPending}},
		Approvers: []string{"U_MGR"},
		Quorum:    1,
		Decisions: []remediation.Decision{{By: "U_MGR", At: created, Approve: true}},
		ExpiresAt: created.Add(24 * time.Hour),
		CreatedAt: created,
		UpdatedAt: created,
	}
}

func event(typ remediation.AuditType, runID, detail string, at time.Time) remediation.AuditEvent {
	return remediation.AuditEvent{Type: typ, At: at, Actor: "U_REQ", RunID: runID, Detail: detail, Codes: []remediation.Code{"STALE_EXTERNAL_ID"}}
}

func ids(runs []remediation.Run) string {
	var s []string
	for _, r := range runs {
		s = append(s, r.ID)
	}
	return strings.Join(s, ",")
}

// testStore is the contract both stores keep. newHarness returns a fresh, empty store.
func testStore(t *testing.T, newHarness func(t *testing.T) harness) {
	t.Run("create, get, not found", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		r.Version = 7 // CreateRun decides the version, not the caller
		if err := h.store.CreateRun(ctx, &r, event(remediation.AuditProposed, "run-1", "", h.clock.Now())); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		if r.Version != 1 {
			t.Errorf("Version after create = %d, want 1", r.Version)
		}
		got, err := h.store.GetRun(ctx, "run-1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("GetRun returned\n%+v\nwant\n%+v", got, r)
		}

		dup := sampleRun("run-1", "00u2", "0oa2", remediation.StateAwaitingApproval, h.clock.Now())
		if err := h.store.CreateRun(ctx, &dup); !errors.Is(err, remediation.ErrConflict) {
			t.Errorf("CreateRun of an existing ID: err = %v, want ErrConflict", err)
		}
		if _, err := h.store.GetRun(ctx, "run-missing"); !errors.Is(err, remediation.ErrNotFound) {
			t.Errorf("GetRun of a missing run: err = %v, want ErrNotFound", err)
		}
		missing := sampleRun("run-missing", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		missing.Version = 1
		if err := h.store.UpdateRun(ctx, &missing); !errors.Is(err, remediation.ErrNotFound) {
			t.Errorf("UpdateRun of a missing run: err = %v, want ErrNotFound", err)
		}

		zero := sampleRun("run-2", "00u1", "0oa1", remediation.StateAwaitingApproval, time.Time{})
		h.clock.Advance(time.Minute)
		if err := h.store.CreateRun(ctx, &zero); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		if !zero.CreatedAt.Equal(h.clock.Now()) {
			t.Errorf("a zero CreatedAt became %v, want the clock's %v", zero.CreatedAt, h.clock.Now())
		}
	})

	t.Run("callers cannot alias stored runs", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		if err := h.store.CreateRun(ctx, &r); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		r.Steps[0].Status = remediation.StepDone
		r.Snapshot.Provisioning.Status = "DISABLED"
		r.Approvers[0] = "U_EVIL"
		got, err := h.store.GetRun(ctx, "run-1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		if got.Steps[0].Status != remediation.StepPending || got.Snapshot.Provisioning.Status != "ENABLED" || got.Approvers[0] != "U_MGR" {
			t.Fatalf("a change to the caller's run after CreateRun reached the store: %+v", got)
		}
		got.Steps[0].Status = remediation.StepFailed
		again, err := h.store.GetRun(ctx, "run-1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		if again.Steps[0].Status != remediation.StepPending {
			t.Fatalf("a change to a run GetRun returned reached the store")
		}
	})

	t.Run("update is compare-and-swap on the version", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		if err := h.store.CreateRun(ctx, &r); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		stale := r
		r.State = remediation.StateAwaitingApproval
		if err := h.store.UpdateRun(ctx, &r); err != nil {
			t.Fatalf("UpdateRun: %v", err)
		}
		if r.Version != 2 {
			t.Errorf("Version after update = %d, want 2", r.Version)
		}
		stale.State = remediation.StateCancelled
		if err := h.store.UpdateRun(ctx, &stale); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("UpdateRun with a stale version: err = %v, want ErrConflict", err)
		}
		if stale.Version != 1 {
			t.Errorf("a failed UpdateRun changed the caller's Version to %d", stale.Version)
		}
		got, err := h.store.GetRun(ctx, "run-1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		if got.Version != 2 || got.State != remediation.StateAwaitingApproval {
			t.Errorf("stored run is version %d in %s, want version 2 in awaiting_approval", got.Version, got.State)
		}
	})

	t.Run("of 50 concurrent updates of one version exactly one wins, with its audit", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateApproved, h.clock.Now())
		if err := h.store.CreateRun(ctx, &r); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []int
		)
		for i := range 50 {
			wg.Go(func() {
				mine := r
				mine.Owner = fmt.Sprintf("engine-%d", i)
				mine.State = remediation.StateRunning
				err := h.store.UpdateRun(ctx, &mine, event(remediation.AuditStepStarted, "run-1", mine.Owner, h.clock.Now()))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, i)
					mu.Unlock()
				case !errors.Is(err, remediation.ErrConflict):
					t.Errorf("updater %d: err = %v, want nil or ErrConflict", i, err)
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d updates won (%v), want exactly 1", len(winners), winners)
		}
		got, err := h.store.GetRun(ctx, "run-1")
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		want := fmt.Sprintf("engine-%d", winners[0])
		if got.Version != 2 || got.Owner != want {
			t.Errorf("stored run: version %d owner %q, want version 2 owner %q", got.Version, got.Owner, want)
		}
		entries, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(entries) != 1 || entries[0].Event.Detail != want {
			t.Errorf("audit holds %d entries (%+v), want only the winner's", len(entries), entries)
		}
	})

	t.Run("a failed write appends no audit", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		if err := h.store.CreateRun(ctx, &r, event(remediation.AuditProposed, "run-1", "created", h.clock.Now())); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		dup := r
		if err := h.store.CreateRun(ctx, &dup, event(remediation.AuditProposed, "run-1", "duplicate", h.clock.Now())); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("duplicate CreateRun: err = %v, want ErrConflict", err)
		}
		stale := r
		stale.Version = 99
		if err := h.store.UpdateRun(ctx, &stale, event(remediation.AuditCancelled, "run-1", "stale", h.clock.Now())); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("stale UpdateRun: err = %v, want ErrConflict", err)
		}
		ghost := sampleRun("run-ghost", "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
		ghost.Version = 1
		if err := h.store.UpdateRun(ctx, &ghost, event(remediation.AuditCancelled, "run-ghost", "ghost", h.clock.Now())); !errors.Is(err, remediation.ErrNotFound) {
			t.Fatalf("UpdateRun of a missing run: err = %v, want ErrNotFound", err)
		}
		entries, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(entries) != 1 || entries[0].Event.Detail != "created" {
			t.Fatalf("audit = %+v, want only the successful create's entry", entries)
		}
	})

	t.Run("indexes follow state changes; newest first; limit", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		base := h.clock.Now()
		runs := []remediation.Run{
			sampleRun("run-a", "00u1", "0oa1", remediation.StateAwaitingApproval, base),
			sampleRun("run-b", "00u1", "0oa2", remediation.StateRunning, base.Add(time.Minute)),
			sampleRun("run-c", "00u2", "0oa1", remediation.StateAwaitingApproval, base.Add(2*time.Minute)),
			sampleRun("run-d", "00u2", "0oa2", remediation.StateSucceeded, base.Add(3*time.Minute)),
		}
		for i := range runs {
			if err := h.store.CreateRun(ctx, &runs[i]); err != nil {
				t.Fatalf("CreateRun %s: %v", runs[i].ID, err)
			}
		}
		check := func(name string, f remediation.RunFilter, want string) {
			t.Helper()
			got, err := h.store.ListRuns(ctx, f)
			if err != nil {
				t.Fatalf("%s: ListRuns: %v", name, err)
			}
			if ids(got) != want {
				t.Errorf("%s: ListRuns(%+v) = [%s], want [%s]", name, f, ids(got), want)
			}
		}
		check("all", remediation.RunFilter{}, "run-d,run-c,run-b,run-a")
		check("limit", remediation.RunFilter{Limit: 2}, "run-d,run-c")
		check("user", remediation.RunFilter{UserID: "00u1"}, "run-b,run-a")
		check("app", remediation.RunFilter{AppID: "0oa1"}, "run-c,run-a")
		check("user and app", remediation.RunFilter{UserID: "00u2", AppID: "0oa1"}, "run-c")
		check("state", remediation.RunFilter{States: []remediation.RunState{remediation.StateAwaitingApproval}}, "run-c,run-a")
		check("states", remediation.RunFilter{States: []remediation.RunState{remediation.StateRunning, remediation.StateSucceeded}}, "run-d,run-b")
		check("app and state", remediation.RunFilter{AppID: "0oa2", States: []remediation.RunState{remediation.StateRunning}}, "run-b")
		check("nobody", remediation.RunFilter{UserID: "00u9"}, "")

		a := runs[0]
		a.State = remediation.StateApproved
		if err := h.store.UpdateRun(ctx, &a); err != nil {
			t.Fatalf("UpdateRun: %v", err)
		}
		check("left its old state", remediation.RunFilter{States: []remediation.RunState{remediation.StateAwaitingApproval}}, "run-c")
		check("entered its new state", remediation.RunFilter{States: []remediation.RunState{remediation.StateApproved}}, "run-a")
		check("user still finds it", remediation.RunFilter{UserID: "00u1", States: []remediation.RunState{remediation.StateApproved}}, "run-a")
		stale := runs[2]
		stale.Version = 5
		stale.State = remediation.StateCancelled
		if err := h.store.UpdateRun(ctx, &stale); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("stale UpdateRun: err = %v, want ErrConflict", err)
		}
		check("a failed update moves nothing", remediation.RunFilter{States: []remediation.RunState{remediation.StateCancelled}}, "")
	})

	t.Run("locks: exclusive, re-entrant, owner-only unlock, expiry", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		key := remediation.AppPauseKey("0oa1")
		if holder, err := h.store.Lock(ctx, key, "run-a", time.Minute); err != nil || holder != "run-a" {
			t.Fatalf("Lock free key: holder %q err %v", holder, err)
		}
		if holder, err := h.store.Lock(ctx, key, "run-b", time.Minute); !errors.Is(err, remediation.ErrConflict) || holder != "run-a" {
			t.Fatalf("Lock held key: holder %q err %v, want run-a and ErrConflict", holder, err)
		}
		if holder, err := h.store.Lock(ctx, key, "run-a", time.Minute); err != nil || holder != "run-a" {
			t.Fatalf("re-entrant Lock: holder %q err %v", holder, err)
		}
		if err := h.store.Unlock(ctx, key, "run-b"); err != nil {
			t.Fatalf("Unlock by a non-owner: %v, want nil", err)
		}
		if holder, err := h.store.Lock(ctx, key, "run-b", time.Minute); !errors.Is(err, remediation.ErrConflict) || holder != "run-a" {
			t.Fatalf("after a non-owner's Unlock: holder %q err %v, want run-a still holding", holder, err)
		}
		if err := h.store.Unlock(ctx, key, "run-a"); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		if holder, err := h.store.Lock(ctx, key, "run-b", time.Minute); err != nil || holder != "run-b" {
			t.Fatalf("Lock after Unlock: holder %q err %v", holder, err)
		}
		if _, err := h.store.Lock(ctx, remediation.AppPauseKey("0oa2"), "run-a", time.Minute); err != nil {
			t.Fatalf("Lock on another key: %v", err)
		}

		// Shorten run-b's lease, then let it lapse: run-a takes over.
		if _, err := h.store.Lock(ctx, key, "run-b", 30*time.Millisecond); err != nil {
			t.Fatalf("re-entrant Lock with a short TTL: %v", err)
		}
		h.clock.Advance(31 * time.Millisecond)
		eventually(t, "run-b's lock to expire", func() bool {
			holder, err := h.store.Lock(ctx, key, "run-a", time.Minute)
			if err != nil && !errors.Is(err, remediation.ErrConflict) {
				t.Fatalf("Lock: %v", err)
			}
			return err == nil && holder == "run-a"
		})
		if err := h.store.Unlock(ctx, key, "run-b"); err != nil {
			t.Fatalf("Unlock by the expired owner: %v", err)
		}
		if holder, err := h.store.Lock(ctx, key, "run-b", time.Minute); !errors.Is(err, remediation.ErrConflict) || holder != "run-a" {
			t.Fatalf("the expired owner's Unlock released the new owner's lock: holder %q err %v", holder, err)
		}
	})

	t.Run("once: one of 50 concurrent callers; again after the TTL", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			firsts int
		)
		for range 50 {
			wg.Go(func() {
				first, err := h.store.Once(ctx, "envelope:E1", time.Minute)
				if err != nil {
					t.Errorf("Once: %v", err)
				}
				if first {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if firsts != 1 {
			t.Fatalf("%d callers saw envelope:E1 first, want 1", firsts)
		}
		// A short TTL so Redis (whose clock the test cannot move) lets it lapse soon.
		if first, err := h.store.Once(ctx, "envelope:E2", 30*time.Millisecond); err != nil || !first {
			t.Fatalf("Once of another key: %v %v, want true", first, err)
		}
		h.clock.Advance(31 * time.Millisecond)
		eventually(t, "envelope:E2 to expire", func() bool {
			first, err := h.store.Once(ctx, "envelope:E2", time.Minute)
			if err != nil {
				t.Fatalf("Once: %v", err)
			}
			return first
		})
		if first, err := h.store.Once(ctx, "envelope:E1", time.Minute); err != nil || first {
			t.Fatalf("Once of envelope:E1 within its TTL: %v %v, want false", first, err)
		}
	})

	t.Run("audit: chained, oldest first, since, limit", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		t0 := h.clock.Now()
		r := sampleRun("run-1", "00u1", "0oa1", remediation.StateAwaitingApproval, t0)
		if err := h.store.Append(ctx, event(remediation.AuditDiagnosed, "", "diagnosed", t0)); err != nil {
			t.Fatalf("Append: %v", err)
		}
		if err := h.store.CreateRun(ctx, &r,
			event(remediation.AuditProposed, "run-1", "proposed", t0.Add(time.Minute)),
			event(remediation.AuditApproved, "run-1", "approved", t0.Add(2*time.Minute))); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		h.clock.Advance(3 * time.Minute)
		r.State = remediation.StateRunning
		if err := h.store.UpdateRun(ctx, &r, event(remediation.AuditStepStarted, "run-1", "clock-stamped", time.Time{})); err != nil {
			t.Fatalf("UpdateRun: %v", err)
		}
		all, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		var details []string
		for _, e := range all {
			details = append(details, e.Event.Detail)
		}
		if got := strings.Join(details, ","); got != "diagnosed,proposed,approved,clock-stamped" {
			t.Fatalf("audit order = %s", got)
		}
		if err := remediation.VerifyChain("", all); err != nil {
			t.Fatalf("VerifyChain: %v", err)
		}
		if !all[3].Event.At.Equal(t0.Add(3 * time.Minute)) {
			t.Errorf("a zero At became %v, want the clock's %v", all[3].Event.At, t0.Add(3*time.Minute))
		}
		if len(all[1].Event.Codes) != 1 || all[1].Event.Codes[0] != "STALE_EXTERNAL_ID" {
			t.Errorf("event codes = %v", all[1].Event.Codes)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID == "" || all[i].ID == all[i-1].ID {
				t.Errorf("entry IDs %q then %q: want distinct, non-empty", all[i-1].ID, all[i].ID)
			}
		}

		tail, err := h.store.Audit(ctx, t0.Add(time.Minute), 0)
		if err != nil {
			t.Fatalf("Audit since: %v", err)
		}
		if len(tail) != 3 || tail[0].Event.Detail != "proposed" {
			t.Fatalf("Audit(since t0+1m) = %d entries starting %+v, want 3 from proposed", len(tail), tail)
		}
		if err := remediation.VerifyChain(tail[0].Prev, tail); err != nil {
			t.Errorf("a window of the trail does not verify from its first Prev: %v", err)
		}
		if tail, err := h.store.Audit(ctx, t0.Add(90*time.Second), 0); err != nil || len(tail) != 2 || tail[0].Event.Detail != "approved" {
			t.Errorf("Audit(since t0+90s) = %+v, %v; want approved, clock-stamped", tail, err)
		}
		if tail, err := h.store.Audit(ctx, t0.Add(time.Hour), 0); err != nil || len(tail) != 0 {
			t.Errorf("Audit(since the future) = %+v, %v; want none", tail, err)
		}
		head, err := h.store.Audit(ctx, time.Time{}, 2)
		if err != nil || len(head) != 2 || head[1].Event.Detail != "proposed" {
			t.Errorf("Audit(limit 2) = %+v, %v; want diagnosed, proposed", head, err)
		}
	})

	t.Run("audit: since never misses an entry written late", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		t0 := h.clock.Now()
		for _, ev := range []remediation.AuditEvent{
			event(remediation.AuditLookup, "", "first", t0.Add(time.Minute)),
			// Another replica's event, stamped earlier but written after.
			event(remediation.AuditLookup, "", "late", t0.Add(30*time.Second)),
			event(remediation.AuditLookup, "", "last", t0.Add(2*time.Minute)),
		} {
			if err := h.store.Append(ctx, ev); err != nil {
				t.Fatalf("Append: %v", err)
			}
		}
		got, err := h.store.Audit(ctx, t0.Add(30*time.Second), 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(got) != 3 {
			t.Fatalf("Audit(since the late event's At) = %d entries, want all 3", len(got))
		}
		if err := remediation.VerifyChain("", got); err != nil {
			t.Fatalf("VerifyChain: %v", err)
		}
		// The late entry sits at its predecessor's time: a window starting there has it.
		if got, err := h.store.Audit(ctx, t0.Add(time.Minute), 0); err != nil || len(got) != 3 {
			t.Fatalf("Audit(since the first event's At) = %d entries, %v; want 3", len(got), err)
		}
		if got, err := h.store.Audit(ctx, t0.Add(61*time.Second), 0); err != nil || len(got) != 1 || got[0].Event.Detail != "last" {
			t.Fatalf("Audit(since after both) = %+v, %v; want only last", got, err)
		}
	})

	t.Run("audit: 20 concurrent writers make one unbroken chain", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		const writers, each = 20, 5
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					detail := fmt.Sprintf("w%d-%d", w, i)
					var err error
					if w%2 == 0 {
						err = h.store.Append(ctx, event(remediation.AuditLookup, "", detail, h.clock.Now()))
					} else {
						r := sampleRun("run-"+detail, "00u1", "0oa1", remediation.StateAwaitingApproval, h.clock.Now())
						err = h.store.CreateRun(ctx, &r, event(remediation.AuditProposed, r.ID, detail, h.clock.Now()))
					}
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
					}
				}
			})
		}
		wg.Wait()
		all, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(all) != writers*each {
			t.Fatalf("audit holds %d entries, want %d", len(all), writers*each)
		}
		if err := remediation.VerifyChain("", all); err != nil {
			t.Fatalf("the chain forked or broke: %v", err)
		}
		seen := map[string]bool{}
		for _, e := range all {
			if seen[e.Event.Detail] {
				t.Errorf("event %s is in the trail twice", e.Event.Detail)
			}
			seen[e.Event.Detail] = true
		}
	})

	t.Run("audit: an edited entry is detected", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		for _, d := range []string{"one", "two", "three"} {
			if err := h.store.Append(ctx, event(remediation.AuditApproved, "run-1", d, h.clock.Now())); err != nil {
				t.Fatalf("Append: %v", err)
			}
		}
		all, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		h.editEntry(t, all[1].ID, func(ev *remediation.AuditEvent) { ev.Actor = "U_SOMEONE_ELSE" })
		edited, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if edited[1].Event.Actor != "U_SOMEONE_ELSE" {
			t.Fatalf("the test's edit did not reach the store")
		}
		err = remediation.VerifyChain("", edited)
		if err == nil || !strings.Contains(err.Error(), "audit entry 2") {
			t.Fatalf("VerifyChain after editing entry 2: %v, want an error naming entry 2", err)
		}
	})

	t.Run("audit: a removed entry is detected", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		for _, d := range []string{"one", "two", "three"} {
			if err := h.store.Append(ctx, event(remediation.AuditApproved, "run-1", d, h.clock.Now())); err != nil {
				t.Fatalf("Append: %v", err)
			}
		}
		all, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		h.deleteEntry(t, all[1].ID)
		left, err := h.store.Audit(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(left) != 2 {
			t.Fatalf("the test's removal did not reach the store: %d entries", len(left))
		}
		if err := remediation.VerifyChain("", left); err == nil || !strings.Contains(err.Error(), "chain broken") {
			t.Fatalf("VerifyChain after removing entry 2: %v, want a broken chain", err)
		}
	})

	t.Run("hit: counts within a window, shared by concurrent callers", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		var wg sync.WaitGroup
		counts := make([]int, 20)
		for i := range counts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, reset, err := h.store.Hit(ctx, "cmd:U1", time.Minute)
				if err != nil || reset <= 0 || reset > time.Minute {
					t.Errorf("hit: %d %v %v", n, reset, err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		slices.Sort(counts)
		for i, n := range counts {
			if n != i+1 {
				t.Fatalf("counts %v, want 1..20 each once", counts)
			}
		}
		if n, _, _ := h.store.Hit(ctx, "cmd:U2", time.Minute); n != 1 {
			t.Errorf("keys are not separate: %d", n)
		}
	})

	t.Run("audit head: the newest entry's hash", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		if head, err := h.store.AuditHead(ctx); err != nil || head != "" {
			t.Fatalf("empty trail head = %q, %v", head, err)
		}
		for i := 0; i < 3; i++ {
			if err := h.store.Append(ctx, event(remediation.AuditLookup, "", fmt.Sprint(i), h.clock.Now())); err != nil {
				t.Fatal(err)
			}
		}
		entries, _ := h.store.Audit(ctx, time.Time{}, 0)
		if head, err := h.store.AuditHead(ctx); err != nil || len(entries) != 3 || head != entries[2].Hash {
			t.Errorf("head = %q, %v; want the last entry's hash", head, err)
		}
	})

	t.Run("cursors: empty until set, then the last value", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		if v, err := h.store.Cursor(ctx, "audit-channel"); err != nil || v != "" {
			t.Fatalf("unset cursor = %q, %v", v, err)
		}
		for _, v := range []string{"1700000000000-0", "1700000000001-3"} {
			if err := h.store.SetCursor(ctx, "audit-channel", v); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := h.store.Cursor(ctx, "audit-channel"); err != nil || v != "1700000000001-3" {
			t.Errorf("cursor = %q, %v", v, err)
		}
		if v, _ := h.store.Cursor(ctx, "other"); v != "" {
			t.Errorf("cursors are not separate: %q", v)
		}
	})

	t.Run("kept diagnoses: per user, replaced, deep copies, gone after the TTL", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		if _, err := h.store.KeptDiagnosis(ctx, "00u1"); !errors.Is(err, remediation.ErrNotFound) {
			t.Fatalf("nothing kept: err = %v, want ErrNotFound", err)
		}
		at := h.clock.Now()
		d := remediation.Diagnosis{
			User: remediation.User{ID: "00u1", Login: "alice@example.com"},
			Findings: []remediation.Finding{{Code: "STALE_EXTERNAL_ID", App: &remediation.App{ID: "0oa1", Label: "Slack"},
				Plans: []remediation.PlanID{remediation.PlanReassign}, Summary: remediation.T("gone", "削除済み")}},
			At: at,
		}
		k := remediation.KeptDiagnosis{Diagnosis: d, Fingerprint: remediation.Fingerprint(d), KeptAt: at}
		if err := h.store.KeepDiagnosis(ctx, "00u1", k, time.Minute); err != nil {
			t.Fatal(err)
		}
		got, err := h.store.KeptDiagnosis(ctx, "00u1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Fingerprint != k.Fingerprint || remediation.Fingerprint(got.Diagnosis) != k.Fingerprint || !got.KeptAt.Equal(at) {
			t.Errorf("kept diagnosis changed on the way: %+v", got)
		}
		got.Diagnosis.Findings[0].App.Label = "edited"
		if again, _ := h.store.KeptDiagnosis(ctx, "00u1"); again.Diagnosis.Findings[0].App.Label != "Slack" {
			t.Errorf("a caller's edit reached the stored diagnosis")
		}
		if _, err := h.store.KeptDiagnosis(ctx, "00u2"); !errors.Is(err, remediation.ErrNotFound) {
			t.Errorf("another user: err = %v, want ErrNotFound", err)
		}
		d.Findings = nil
		k2 := remediation.KeptDiagnosis{Diagnosis: d, Fingerprint: remediation.Fingerprint(d), KeptAt: at}
		if k2.Fingerprint == k.Fingerprint {
			t.Fatalf("different diagnoses share a fingerprint")
		}
		if err := h.store.KeepDiagnosis(ctx, "00u1", k2, 30*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if got, err := h.store.KeptDiagnosis(ctx, "00u1"); err != nil || got.Fingerprint != k2.Fingerprint {
			t.Fatalf("not replaced: %v %v", got.Fingerprint, err)
		}
		h.clock.Advance(31 * time.Millisecond)
		eventually(t, "the kept diagnosis to expire", func() bool {
			_, err := h.store.KeptDiagnosis(ctx, "00u1")
			return errors.Is(err, remediation.ErrNotFound)
		})
		if err := h.store.KeepDiagnosis(ctx, "00u1", k, 0); err == nil {
			t.Errorf("a zero TTL was accepted")
		}
	})

	t.Run("scheduler: due order, replace, cancel, limit", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		now := h.clock.Now()
		for _, task := range []remediation.Task{
			{Kind: remediation.TaskVerify, RunID: "run-1", Due: now.Add(3 * time.Second)},
			{Kind: remediation.TaskAdvance, RunID: "run-2", Due: now.Add(1 * time.Second)},
			{Kind: remediation.TaskExpire, RunID: "run-3", Due: now.Add(2 * time.Second)},
			{Kind: remediation.TaskAdvance, RunID: "run-1", Due: now.Add(time.Hour)},
			{Kind: remediation.TaskExpire, RunID: "run-4", Due: now.Add(4 * time.Second)},
		} {
			if err := h.sched.Schedule(ctx, task); err != nil {
				t.Fatalf("Schedule: %v", err)
			}
		}
		// Replace: the verify of run-1 moves past now+5s; the advance of run-1 comes due.
		if err := h.sched.Schedule(ctx, remediation.Task{Kind: remediation.TaskVerify, RunID: "run-1", Due: now.Add(10 * time.Second)}); err != nil {
			t.Fatalf("Schedule again: %v", err)
		}
		if err := h.sched.Schedule(ctx, remediation.Task{Kind: remediation.TaskAdvance, RunID: "run-1", Due: now.Add(1500 * time.Millisecond)}); err != nil {
			t.Fatalf("Schedule again: %v", err)
		}
		if err := h.sched.Cancel(ctx, remediation.TaskExpire, "run-4"); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if err := h.sched.Cancel(ctx, remediation.TaskExpire, "run-never"); err != nil {
			t.Fatalf("Cancel of an unknown task: %v", err)
		}
		if got, err := h.sched.Claim(ctx, now, 0); err != nil || len(got) != 0 {
			t.Fatalf("Claim before anything is due = %+v, %v", got, err)
		}
		names := func(ts []remediation.Task) string {
			var s []string
			for _, task := range ts {
				s = append(s, taskMember(task.Kind, task.RunID))
			}
			return strings.Join(s, ",")
		}
		got, err := h.sched.Claim(ctx, now.Add(5*time.Second), 2)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		if names(got) != "advance:run-2,advance:run-1" {
			t.Fatalf("Claim(limit 2) = %s, want advance:run-2,advance:run-1 (earliest due first)", names(got))
		}
		if !got[0].Due.Equal(now.Add(time.Second)) {
			t.Errorf("claimed task due %v, want %v", got[0].Due, now.Add(time.Second))
		}
		got, err = h.sched.Claim(ctx, now.Add(5*time.Second), 0)
		if err != nil || names(got) != "expire:run-3" {
			t.Fatalf("second Claim = %s, %v; want expire:run-3 (run-4 cancelled, verify moved)", names(got), err)
		}
		got, err = h.sched.Claim(ctx, now.Add(10*time.Second), 0)
		if err != nil || names(got) != "verify:run-1" {
			t.Fatalf("Claim at the replaced due time = %s, %v; want verify:run-1", names(got), err)
		}
		if got, err := h.sched.Claim(ctx, now.Add(time.Hour), 0); err != nil || len(got) != 0 {
			t.Fatalf("Claim after everything was claimed = %+v, %v", got, err)
		}
	})

	t.Run("scheduler: 20 concurrent claimers get each task exactly once", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		now := h.clock.Now()
		const tasks = 200
		for i := range tasks {
			task := remediation.Task{Kind: remediation.TaskAdvance, RunID: fmt.Sprintf("run-%03d", i), Due: now.Add(-time.Duration(i) * time.Millisecond)}
			if err := h.sched.Schedule(ctx, task); err != nil {
				t.Fatalf("Schedule: %v", err)
			}
		}
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts = map[string]int{}
		)
		for range 20 {
			wg.Go(func() {
				for {
					got, err := h.sched.Claim(ctx, now, 3)
					if err != nil {
						t.Errorf("Claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, task := range got {
						counts[task.RunID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(counts) != tasks {
			t.Errorf("%d distinct tasks claimed, want %d", len(counts), tasks)
		}
		for id, n := range counts {
			if n != 1 {
				t.Errorf("task %s claimed %d times", id, n)
			}
		}
	})
}
