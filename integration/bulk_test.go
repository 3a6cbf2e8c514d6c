package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// staleIncident adds n Zoom users failing as seed 000 and returns their incident.
func (r *rig) staleIncident(t testing.TB, prefix string, n int) remediation.Incident {
	t.Helper()
	zoom, _ := r.org.AppID("Zoom")
	ids, err := r.org.AddStaleUsers(context.Background(), zoom, prefix, n)
	if err != nil {
		t.Fatal(err)
	}
	in := remediation.Incident{ID: remediation.IncidentID(zoom, remediation.StaleExternalID, prefix),
		App: remediation.App{ID: zoom, Label: "Zoom", Name: "zoomus"}, Code: remediation.StaleExternalID,
		Plan: remediation.PlanResetExternalID, Source: remediation.IncidentFromScan}
	for i, id := range ids {
		in.Users = append(in.Users, remediation.IncidentUser{ID: id, Login: fmt.Sprintf("%s%d@example.com", prefix, i+1),
			Plans: []remediation.PlanID{remediation.PlanReassign, remediation.PlanResetExternalID}})
	}
	return in
}

func (r *rig) proposeBulk(t testing.TB, e *remediation.Engine, in remediation.Incident) remediation.Run {
	t.Helper()
	run, err := e.ProposeBulk(context.Background(), remediation.BulkRequest{Incident: in, Plan: remediation.PlanResetExternalID, Requester: requester})
	if err != nil {
		t.Fatalf("propose bulk: %v", err)
	}
	return run
}

// approveAll approves with both approvers (the bulk quorum above the threshold).
func (r *rig) approveAll(t testing.TB, e *remediation.Engine, id string) {
	t.Helper()
	for _, a := range []string{approver, approver2} {
		run, err := e.Approve(context.Background(), id, a, "ok")
		if err != nil {
			t.Fatalf("approve %s by %s: %v", id, a, err)
		}
		if run.State == remediation.StateApproved {
			return
		}
	}
}

// perUser counts the simulator's recorded requests of a method to each app user.
func (r *rig) perUser(appID, method string) map[string]int {
	out := map[string]int{}
	prefix := "/api/v1/apps/" + appID + "/users/"
	for _, q := range r.org.Requests() {
		if q.Method == method && strings.HasPrefix(q.Path, prefix) && q.Status < 300 {
			out[strings.TrimPrefix(q.Path, prefix)]++
		}
	}
	return out
}

func (r *rig) tooMany() int {
	n := 0
	for _, q := range r.org.Requests() {
		if q.Status == 429 {
			n++
		}
	}
	return n
}

// A bulk run fixes a canary alone, verifies it, then the others in batches, each
// within its own provisioning pause; every user heals, each changed once, and the
// provisioning settings end as they began.
func TestBulkHealsEveryUser(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		r.policy.Bulk = remediation.BulkRules{BatchSize: 5}
		e := r.engine(t, "A")
		before := r.caps(t, "Zoom")
		in := r.staleIncident(t, "crowd", 12)
		r.org.ResetRequests()
		run := r.proposeBulk(t, e, in)
		if run.Quorum != 2 || len(run.Bulk.Users) != 12 || len(run.Steps) == 0 || len(run.Steps[0].Calls) == 0 {
			t.Fatalf("proposal: quorum %d, %d users, dry run %+v", run.Quorum, len(run.Bulk.Users), run.Steps)
		}
		// One approval is not enough above the threshold; the same approver twice neither.
		if got, err := e.Approve(context.Background(), run.ID, approver, ""); err != nil || got.State != remediation.StateAwaitingApproval {
			t.Fatalf("first approval: %s %v", got.State, err)
		}
		if _, err := e.Approve(context.Background(), run.ID, approver, ""); !errors.Is(err, remediation.ErrDenied) {
			t.Fatalf("a second approval by the same person: %v, want a refusal", err)
		}
		if got, err := e.Approve(context.Background(), run.ID, approver2, ""); err != nil || got.State != remediation.StateApproved {
			t.Fatalf("second approval: %s %v", got.State, err)
		}
		run = r.settle(t, e, run.ID)
		if run.State != remediation.StateSucceeded {
			t.Fatalf("state %s: %s %s", run.State, run.Error, run.Outcome.EN)
		}
		if c := run.Bulk.Counts(); c.Fixed != 12 {
			t.Errorf("counts %+v, want 12 fixed", c)
		}
		zoom := in.App.ID
		for _, u := range in.Users {
			au := r.appUser(t, "Zoom", u.ID)
			if au.ExternalID == "" || au.SyncState != remediation.SyncSynchronized {
				t.Errorf("%s after the bulk fix: %+v", u.Login, au)
			}
		}
		if after := r.caps(t, "Zoom"); after != before {
			t.Errorf("provisioning %+v after the run, want %+v", after, before)
		}
		// canary, 5, 5, 1: four pauses, each restored.
		if got := strings.Join(r.pauses(zoom), ","); got != "off,on,off,on,off,on,off,on" {
			t.Errorf("provisioning switches %s, want four off,on pairs", got)
		}
		// The canary was fixed and verified before anyone else was touched.
		var order []string
		for _, q := range r.org.Requests() {
			if q.Method == "DELETE" || q.Method == "PUT" {
				order = append(order, q.Method)
			}
		}
		if strings.Join(order[:4], ",") != "PUT,DELETE,PUT,PUT" {
			t.Errorf("first writes %v: want the canary alone in the first pause", order[:4])
		}
		for _, u := range in.Users {
			if n := r.perUser(zoom, "DELETE")[u.ID]; n != 1 {
				t.Errorf("%s unassigned %d times, want once", u.Login, n)
			}
		}
		if n := r.tooMany(); n != 0 {
			t.Errorf("%d answers 429", n)
		}
		listings := 0
		for _, q := range r.org.Requests() {
			if q.Method == "GET" && q.Path == "/api/v1/apps/"+zoom+"/users" {
				listings++
			}
		}
		if listings != 2 { // the two batches of 5; the canary and the last user are read alone
			t.Errorf("%d listings of the app's users, want one per batch of 5", listings)
		}
		changed := 0
		entries, _ := r.store.Audit(context.Background(), r.clock.Now().Add(-1e12), 0)
		for _, en := range entries {
			if en.Event.RunID == run.ID && en.Event.Type == remediation.AuditUserChanged {
				changed++
			}
		}
		if changed != 12 {
			t.Errorf("%d user_changed audit entries, want one per user (12)", changed)
		}
	})
}

// Past the failure limits the run stops: provisioning restored, nobody else touched,
// and the users that failed are assigned again.
func TestBulkStopsOnFailures(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		r := newRig(t)
		r.policy.Bulk = remediation.BulkRules{BatchSize: 10, StopAfterFailures: 100, MaxFailureRate: 0.2}
		e := r.engine(t, "A")
		before := r.caps(t, "Zoom")
		in := r.staleIncident(t, "fail", 20)
		zoom := in.App.ID
		// Users 3..20 cannot be changed: Okta refuses their externalId write.
		for _, u := range in.Users[2:] {
			r.org.Inject(oktasim.Fault{Method: "POST", PathPrefix: "/api/v1/apps/" + zoom + "/users/" + u.ID, Status: 400})
		}
		r.org.ResetRequests()
		run := r.proposeBulk(t, e, in)
		r.approveAll(t, e, run.ID)
		run = r.settle(t, e, run.ID)
		if run.State != remediation.StateFailed || !strings.Contains(run.Error, "more than 20%") {
			t.Fatalf("state %s: %s", run.State, run.Error)
		}
		if after := r.caps(t, "Zoom"); after != before {
			t.Errorf("provisioning %+v after the stop, want %+v", after, before)
		}
		if p := r.pauses(zoom); len(p) == 0 || p[len(p)-1] != "on" {
			t.Errorf("provisioning switches %v: want it back on at the end", p)
		}
		c := run.Bulk.Counts()
		if c.Failed == 0 || c.Left == 0 || c.Fixed < 1 {
			t.Errorf("counts %+v: want the canary fixed, some failed and the rest untouched", c)
		}
		deletes := r.perUser(zoom, "DELETE")
		for i, u := range run.Bulk.Users {
			switch run.Bulk.UserResult(i) {
			case remediation.BulkUntouched:
				if deletes[u.ID] != 0 {
					t.Errorf("untouched %s was unassigned", u.Login)
				}
			case remediation.BulkFailed:
				if _, ok := r.org.AppUser(zoom, u.ID); !ok {
					t.Errorf("failed %s is left unassigned", u.Login)
				}
			}
		}
	})
}

// cancel_run stops a bulk run between users, restoring provisioning.
func TestBulkCancelBetweenUsers(t *testing.T) {
	r := memoryRig(t)
	r.policy.Bulk = remediation.BulkRules{BatchSize: 10}
	var e *remediation.Engine
	var runID atomic.Value
	var n atomic.Int32
	hook := &writeHook{OktaWriter: r.okta, after: func(_ int, err error) error {
		// Cancel during the second batch's third user.
		if n.Add(1) == 10 {
			if _, cerr := e.Cancel(context.Background(), runID.Load().(string), requester, "enough"); cerr != nil {
				t.Errorf("cancel: %v", cerr)
			}
		}
		return err
	}}
	e = r.engine(t, "A", withOkta(hook))
	before := r.caps(t, "Zoom")
	in := r.staleIncident(t, "stop", 15)
	run := r.proposeBulk(t, e, in)
	runID.Store(run.ID)
	r.approveAll(t, e, run.ID)
	run = r.settle(t, e, run.ID)
	if run.State != remediation.StateCancelled {
		t.Fatalf("state %s: %s", run.State, run.Error)
	}
	if after := r.caps(t, "Zoom"); after != before {
		t.Errorf("provisioning %+v after the cancel, want %+v", after, before)
	}
	c := run.Bulk.Counts()
	if c.Left == 0 || c.Fixed == 0 || c.Failed != 0 {
		t.Errorf("counts %+v: want some fixed, none failed, the rest untouched", c)
	}
	for i, u := range run.Bulk.Users {
		if run.Bulk.UserResult(i) == remediation.BulkUntouched {
			if au, ok := r.org.AppUser(in.App.ID, u.ID); !ok || au.ExternalID == "" {
				t.Errorf("untouched %s changed: %+v", u.Login, au)
			}
		}
	}
}

// An engine that dies before or right after any Okta write of a bulk run leaves it to
// another engine, which resumes where the store says: every user is changed exactly
// once, nobody is skipped, and provisioning ends restored.
func TestBulkCrashResumesWithoutRedoing(t *testing.T) {
	backends(t, func(t *testing.T, newRig func(t *testing.T) *rig) {
		for _, crashAt := range []int{1, 2, 3, 4, 6, 9, 13} {
			for _, when := range []string{"before", "after"} {
				t.Run(fmt.Sprintf("write %d %s", crashAt, when), func(t *testing.T) {
					r := newRig(t)
					r.policy.Bulk = remediation.BulkRules{BatchSize: 3}
					ctx, crash := context.WithCancel(context.Background())
					defer crash()
					hook := &writeHook{OktaWriter: r.okta}
					if when == "before" {
						hook.before = func(n int) error {
							if n == crashAt {
								crash()
								return context.Canceled
							}
							return nil
						}
					} else {
						hook.after = func(n int, err error) error {
							if n == crashAt {
								crash()
								return context.Canceled
							}
							return err
						}
					}
					a := r.engine(t, "A", withOkta(hook), func(d *remediation.EngineDeps, _ *remediation.EngineOptions) {
						d.Store = deadStore{Store: r.store, dead: func() bool { return ctx.Err() != nil }}
					})
					before := r.caps(t, "Zoom")
					in := r.staleIncident(t, "crash", 7)
					r.org.ResetRequests()
					run := r.proposeBulk(t, a, in)
					r.approveAll(t, a, run.ID)
					for i := 0; i < 50 && ctx.Err() == nil; i++ {
						tasks, _ := r.sched.Claim(ctx, r.clock.Now(), 16)
						for _, task := range tasks {
							_ = a.Handle(ctx, task)
						}
						if len(tasks) == 0 {
							r.clock.Advance(time.Second)
						}
					}
					if ctx.Err() == nil {
						t.Fatal("engine A never reached the crash point")
					}
					r.clock.Advance(31 * time.Second)
					b := r.engine(t, "B")
					if err := b.Sweep(context.Background()); err != nil {
						t.Fatal(err)
					}
					run = r.settle(t, b, run.ID)
					if run.State != remediation.StateSucceeded {
						t.Fatalf("state %s: %s", run.State, run.Error)
					}
					if after := r.caps(t, "Zoom"); after != before {
						t.Errorf("provisioning %+v, want %+v", after, before)
					}
					zoom := in.App.ID
					deletes, posts := r.perUser(zoom, "DELETE"), r.perUser(zoom, "POST")
					for _, u := range in.Users {
						if deletes[u.ID] != 1 || posts[u.ID] != 1 {
							t.Errorf("%s: %d DELETEs and %d POSTs, want one each", u.Login, deletes[u.ID], posts[u.ID])
						}
					}
					if !r.audited(t, remediation.AuditResumed, run.ID) {
						t.Error("no resumed event in the audit trail")
					}
				})
			}
		}
	})
}

// The store fails mid-batch, provisioning off: the engine changes no one else,
// undoes the user under way and restores provisioning from memory, says so, and
// writes the run back once the store returns.
func TestBulkStoreLostMidBatch(t *testing.T) {
	_, client := redistest.Start(t)
	ctx := context.Background()
	r := redisRig(t, client)
	r.policy.Bulk = remediation.BulkRules{BatchSize: 3}
	fs := &failingStore{Store: r.store, sched: r.sched}
	h := &heard{}
	hook := &writeHook{OktaWriter: r.okta, after: func(n int, err error) error {
		if n == 6 { // user 2's unassign took effect; provisioning is off
			fs.down.Store(true)
		}
		return err
	}}
	e := r.engine(t, "A", withOkta(hook), func(d *remediation.EngineDeps, o *remediation.EngineOptions) {
		d.Store, d.Scheduler, d.Notifier = fs, fs, h
		o.StoreRetry = time.Millisecond
	})
	before := r.caps(t, "Zoom")
	in := r.staleIncident(t, "lost", 6)
	r.org.ResetRequests()
	run := r.proposeBulk(t, e, in)
	r.approveAll(t, e, run.ID)
	for i := 0; i < 50 && !h.saw(remediation.AuditFailed); i++ {
		tasks, _ := r.sched.Claim(ctx, r.clock.Now(), 16)
		for _, task := range tasks {
			_ = e.Handle(ctx, task)
		}
	}
	if !h.saw(remediation.AuditFailed) {
		t.Fatalf("the bulk run did not stop from memory; heard %+v", h.events)
	}
	if got := r.caps(t, "Zoom"); got != before {
		t.Errorf("provisioning %+v after the store failed, want %+v", got, before)
	}
	if _, ok := r.org.AppUser(in.App.ID, in.Users[1].ID); !ok {
		t.Error("the user under way was left unassigned")
	}
	if posts := r.perUser(in.App.ID, "POST"); posts[in.Users[1].ID]+posts[in.Users[2].ID] != 0 {
		t.Errorf("a change was made after the store failed: %v", posts)
	}
	if a := h.alert(); !strings.Contains(a.EN, "store cannot be written") || a.JA == "" {
		t.Errorf("alert %+v", a)
	}
	fs.down.Store(false)
	if err := e.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := r.store.GetRun(ctx, run.ID)
	if err != nil || got.State != remediation.StateFailed || got.Bulk.Paused {
		t.Fatalf("written back: %v, state %s", err, got.State)
	}
	if held := e.HeldInMemory(); len(held) != 0 {
		t.Errorf("still held in memory: %v", held)
	}
}

// At or under the threshold the plan's own quorum applies; above it, the bulk quorum.
func TestBulkQuorumThreshold(t *testing.T) {
	r := memoryRig(t)
	r.policy.Bulk = remediation.BulkRules{Threshold: 3, Quorum: 2}
	e := r.engine(t, "A")
	in := r.staleIncident(t, "few", 4)
	small := in
	small.ID, small.Users = remediation.IncidentID(in.App.ID, in.Code, "small"), in.Users[:3]
	run := r.proposeBulk(t, e, small)
	if run.Quorum != 1 {
		t.Errorf("3 users (threshold 3): quorum %d, want the plan's 1", run.Quorum)
	}
	if _, err := e.Cancel(context.Background(), run.ID, requester, "again"); err != nil {
		t.Fatal(err)
	}
	if run = r.proposeBulk(t, e, in); run.Quorum != 2 {
		t.Errorf("4 users (threshold 3): quorum %d, want 2", run.Quorum)
	}
}
