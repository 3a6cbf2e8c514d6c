package integration

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

const (
	requester = "UREQUESTER1"
	approver  = "UAPPROVER01"
	approver2 = "UAPPROVER02"
)

// rig joins the simulator, the adapter, a store (memory or a real redis-server) and
// engines sharing them.
type rig struct {
	*world
	store  remediation.Store
	sched  remediation.Scheduler
	clock  *testclock.Clock
	policy *remediation.Policy
}

var prefixSeq atomic.Int64

// backends runs f against the embedded store and against a real redis-server.
func backends(t *testing.T, f func(t *testing.T, newRig func(t *testing.T) *rig)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(t *testing.T) *rig { return memoryRig(t) })
	})
	t.Run("redis", func(t *testing.T) {
		_, client := redistest.Start(t)
		f(t, func(t *testing.T) *rig { return redisRig(t, client) })
	})
}

// benchBackends is backends for benchmarks.
func benchBackends(b *testing.B, f func(b *testing.B, newRig func(tb testing.TB) *rig)) {
	b.Run("memory", func(b *testing.B) { f(b, memoryRig) })
	b.Run("redis", func(b *testing.B) {
		_, client := redistest.Start(b)
		f(b, func(tb testing.TB) *rig { return redisRig(tb, client) })
	})
}

func memoryRig(tb testing.TB) *rig {
	clock := testclock.New(time.Now().UTC())
	m := storage.NewMemory(storage.MemoryOptions{Clock: clock.Now})
	return newRigWith(tb, m, m, clock)
}

func redisRig(tb testing.TB, client *redis.Client) *rig {
	clock := testclock.New(time.Now().UTC())
	s := storage.NewRedis(client, storage.RedisOptions{Prefix: fmt.Sprintf("t%d:", prefixSeq.Add(1)), Clock: clock.Now})
	return newRigWith(tb, s, s, clock)
}

func newRigWith(t testing.TB, st remediation.Store, sc remediation.Scheduler, clock *testclock.Clock) *rig {
	return &rig{
		world: newWorld(t, func(o *oktasim.Options) {
			o.Limits = oktasim.Limits{Apps: 1e6, Logs: 1e6, Users: 1e6, Other: 1e6}
		}),
		store: st, sched: sc, clock: clock,
		policy: &remediation.Policy{Approvers: []string{approver, approver2}, Requesters: []string{requester}, TTL: time.Hour},
	}
}

// orgSaaS is the Slack side of the simulator seen through the SaaS port (the SCIM
// adapter's own tests cover the wire).
type orgSaaS struct {
	org   *oktasim.Org
	appID string
}

func (s orgSaaS) FindAccount(_ context.Context, email string) (remediation.SaaSAccount, error) {
	for _, a := range s.org.SaaSAccounts(s.appID) {
		if strings.EqualFold(a.UserName, email) {
			return remediation.SaaSAccount{ID: a.ID, UserName: a.UserName, Active: a.Active}, nil
		}
	}
	return remediation.SaaSAccount{}, fmt.Errorf("slack account %s: %w", email, remediation.ErrNotFound)
}

func (s orgSaaS) GetAccount(_ context.Context, id string) (remediation.SaaSAccount, error) {
	a, ok := s.org.SaaSAccountByID(s.appID, id)
	if !ok {
		return remediation.SaaSAccount{}, fmt.Errorf("slack account %s: %w", id, remediation.ErrNotFound)
	}
	return remediation.SaaSAccount{ID: a.ID, UserName: a.UserName, Active: a.Active}, nil
}

// RenderCalls renders the reactivation as the SCIM adapter would (its own tests and the
// dry-run tests hold the real rendering against the wire).
func (s orgSaaS) RenderCalls(ef remediation.Effect) ([]remediation.Call, error) {
	return []remediation.Call{{Method: "PATCH", Path: "/scim/v2/Users/" + ef.AccountID}}, nil
}

func (s orgSaaS) SetActive(_ context.Context, id string, active bool) error {
	if active {
		return s.org.SaaSReactivateAccount(s.appID, id)
	}
	return s.org.SaaSDeactivateAccount(s.appID, id)
}

// engineTweak changes what an engine of the rig is built with.
type engineTweak func(*remediation.EngineDeps, *remediation.EngineOptions)

func (r *rig) engine(t testing.TB, owner string, tweaks ...engineTweak) *remediation.Engine {
	t.Helper()
	slackID, _ := r.org.AppID("Slack")
	saas := orgSaaS{org: r.org, appID: slackID}
	deps := remediation.EngineDeps{
		Store: r.store, Scheduler: r.sched, Okta: r.okta, OktaCalls: r.okta, SaaS: saas, SaaSCalls: saas,
		Policy: r.policy, Clock: r.clock.Now,
	}
	opts := remediation.EngineOptions{
		Owner: owner, Lease: 30 * time.Second, VerifyTimeout: time.Minute, VerifyEvery: time.Second,
		RetryBase: time.Second, MaxAttempts: 3, QueueRetry: 2 * time.Second,
	}
	for _, tw := range tweaks {
		tw(&deps, &opts)
	}
	e, err := remediation.NewEngine(deps, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// withOkta builds the engine on another Okta port (a hook around the real one).
func withOkta(o remediation.OktaWriter) engineTweak {
	return func(d *remediation.EngineDeps, _ *remediation.EngineOptions) { d.Okta = o }
}

func (r *rig) diagnose(t testing.TB, name string) (oktasim.Scenario, remediation.Diagnosis) {
	t.Helper()
	sc := scenario(t, name)
	d := &remediation.Diagnoser{Okta: r.okta}
	diag, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel)
	if err != nil {
		t.Fatalf("diagnose %s: %v", name, err)
	}
	return sc, diag
}

func (r *rig) propose(t testing.TB, e *remediation.Engine, name string, plan remediation.PlanID) remediation.Run {
	t.Helper()
	_, diag := r.diagnose(t, name)
	run, err := e.Propose(context.Background(), remediation.ProposeRequest{Diagnosis: diag, Plan: plan, Requester: requester})
	if err != nil {
		t.Fatalf("propose %s on %s: %v", plan, name, err)
	}
	return run
}

func (r *rig) approve(t testing.TB, e *remediation.Engine, id string) {
	t.Helper()
	if _, err := e.Approve(context.Background(), id, approver, "ok"); err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
}

// settle hands due tasks to e until the run ends or waits for a person, moving the
// clock a second whenever nothing is due (letting retries and verification polls fall
// due) and letting the simulator finish its provisioning in between.
func (r *rig) settle(t testing.TB, e *remediation.Engine, id string) remediation.Run {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 500; i++ {
		run, err := r.store.GetRun(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.State.Terminal() || waiting(run) {
			return run
		}
		tasks, err := r.sched.Claim(ctx, r.clock.Now(), 16)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			if err := e.Handle(ctx, task); err != nil {
				t.Logf("task %s %s: %v", task.Kind, task.RunID, err)
			}
		}
		if len(tasks) == 0 {
			if err := r.org.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(time.Second)
			if i%10 == 9 {
				if err := e.Sweep(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	run, _ := r.store.GetRun(ctx, id)
	t.Fatalf("run %s did not settle: state %s cursor %d steps %+v", id, run.State, run.Cursor, run.Steps)
	return run
}

func waiting(r remediation.Run) bool {
	return r.Cursor >= 0 && r.Cursor < len(r.Steps) &&
		(r.Steps[r.Cursor].Status == remediation.StepWaiting || r.Steps[r.Cursor].Status == remediation.StepUndoWaiting)
}

func (r *rig) caps(t testing.TB, app string) oktasim.Capabilities {
	t.Helper()
	id, ok := r.org.AppID(app)
	if !ok {
		t.Fatalf("no app %s", app)
	}
	c, err := r.org.Provisioning(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pauses returns, from the simulator's request log, the PUTs to USER_PROVISIONING of an
// app as "off"/"on" in arrival order.
func (r *rig) pauses(appID string) []string {
	var out []string
	for _, q := range r.org.Requests() {
		if q.Method == "PUT" && q.Path == "/api/v1/apps/"+appID+"/features/USER_PROVISIONING" && q.Status == 200 {
			if strings.Contains(q.Body, `"lifecycleCreate":{"status":"DISABLED"}`) {
				out = append(out, "off")
			} else {
				out = append(out, "on")
			}
		}
	}
	return out
}
