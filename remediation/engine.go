package remediation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// Engine runs remediation plans as durable multi-step runs: it proposes them, takes
// approvals, executes their steps with write-ahead persistence, compensates on failure,
// verifies the outcome, and resumes runs whose engine died. Several engines (replicas)
// may share one Store and Scheduler: version checks and leases make each step happen once.
//
// Its files follow the questions it answers: planning.go (what would the fix do, on
// which snapshot), decide.go (who decided what: approve, reject, cancel, confirm),
// execute.go (doing and undoing steps), verify.go (did it work), worker.go (claim →
// handle → sweep, leases and their heartbeat), offline.go (when the store cannot be
// written), remind.go (who is waited on, reminded), ratewait.go (a long wait for an
// Okta budget, said).
//
// An Engine is built once by NewEngine and never changed afterwards.
type Engine struct {
	store     Store
	sched     Scheduler
	env       stepEnv
	oktaCalls CallRenderer
	saasCalls CallRenderer
	policy    *Policy
	notifier  Notifier
	observer  Observer
	clock     Clock
	log       *slog.Logger
	owner     string
	opts      EngineOptions

	// mu guards held: the runs this engine keeps in memory because the store could not
	// be written (offline.go).
	mu   sync.Mutex
	held map[string]*offlineRun
}

// EngineDeps are the ports an Engine works through.
type EngineDeps struct {
	Store     Store     // required
	Scheduler Scheduler // required
	Okta      OktaWriter
	// OktaCalls renders Okta effects as the exact HTTP calls the Okta adapter makes:
	// the dry run shown to approvers (required).
	OktaCalls CallRenderer
	// SaaS is the downstream SaaS directory (Slack SCIM); nil: relink_saas_user
	// cannot be proposed. SaaSCalls renders its effects (required with SaaS).
	SaaS      SaaSDirectory
	SaaSCalls CallRenderer
	Policy    *Policy // required
	// Notifier hears every change of a run (nil: nobody to tell). The bot needs the
	// engine and the engine notifies the bot: pass a NotifierRelay and connect the bot
	// to it once built.
	Notifier Notifier
	Observer Observer     // nil: no metrics
	Clock    Clock        // nil: the system clock
	Logger   *slog.Logger // nil: no logs
}

// EngineOptions tune an Engine; zero values take the defaults below.
type EngineOptions struct {
	// Owner identifies this engine in leases (default DefaultOwner()).
	Owner string
	// Lease is how long a run stays with the engine working it without a renewal
	// (default 5s). The engine renews it every Lease/3 while it works the run (the
	// heartbeat, worker.go), so a lease lapses only when its engine died or lost the
	// store: then another engine resumes the run at its next sweep.
	Lease time.Duration
	// VerifyTimeout bounds verification (default 5m); VerifyEvery is
	// the poll interval (default 5s, at least five polls within VerifyTimeout).
	VerifyTimeout time.Duration
	VerifyEvery   time.Duration
	// RetryBase is the first back-off after a transient error, doubled per attempt up
	// to MaxBackoff (defaults 2s and 5m); MaxAttempts bounds the attempts of one
	// forward step (default 5). An undo that is owed is retried without bound.
	RetryBase   time.Duration
	MaxBackoff  time.Duration
	MaxAttempts int
	// QueueRetry is how often a run waiting for another run's provisioning pause looks
	// again (default 5s).
	QueueRetry time.Duration
	// StoreRetry is the pause between the tries of a store write before the engine
	// stops a run for safety (default 200ms; 3 tries).
	StoreRetry time.Duration
}

// withDefaults is the one place where the defaults are set.
func (o EngineOptions) withDefaults() EngineOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Owner == "" {
		o.Owner = DefaultOwner()
	}
	def(&o.Lease, 5*time.Second)
	def(&o.VerifyTimeout, 5*time.Minute)
	def(&o.VerifyEvery, 5*time.Second)
	o.VerifyEvery = min(o.VerifyEvery, o.VerifyTimeout/5)
	def(&o.RetryBase, 2*time.Second)
	def(&o.MaxBackoff, 5*time.Minute)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	def(&o.QueueRetry, 5*time.Second)
	def(&o.StoreRetry, 200*time.Millisecond)
	return o
}

// NewEngine builds an engine from its ports and options.
func NewEngine(deps EngineDeps, opts EngineOptions) (*Engine, error) {
	var missing []error
	if deps.Store == nil {
		missing = append(missing, errors.New("engine: no Store"))
	}
	if deps.Scheduler == nil {
		missing = append(missing, errors.New("engine: no Scheduler"))
	}
	if deps.Okta == nil || deps.OktaCalls == nil {
		missing = append(missing, errors.New("engine: no Okta port or no renderer of its calls"))
	}
	if deps.SaaS != nil && deps.SaaSCalls == nil {
		missing = append(missing, errors.New("engine: a SaaS directory without a renderer of its calls"))
	}
	if deps.Policy == nil {
		missing = append(missing, errors.New("engine: no Policy"))
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	saas := deps.SaaS
	if saas == nil {
		saas = noSaaS{}
	}
	return &Engine{
		store: deps.Store, sched: deps.Scheduler,
		env:       stepEnv{okta: deps.Okta, saas: saas},
		oktaCalls: deps.OktaCalls, saasCalls: deps.SaaSCalls,
		policy: deps.Policy, notifier: deps.Notifier, observer: deps.Observer,
		clock: deps.Clock, log: log, owner: opts.Owner, opts: opts,
		held: map[string]*offlineRun{},
	}, nil
}

// Policy is the approval policy the engine applies (read-only).
func (e *Engine) Policy() *Policy { return e.policy }

// Owner is this engine's name in leases.
func (e *Engine) Owner() string { return e.owner }

func (e *Engine) now() time.Time { return e.clock.Now() }

// DefaultOwner names this process in leases: host, pid and a random suffix, so a
// restarted process (pid 1 again in a container) or a second engine in one process is a
// different owner.
func DefaultOwner() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

// backoff is the wait before attempt n+1 (n ≥ 1): RetryBase·2^(n-1), at most MaxBackoff.
func (e *Engine) backoff(n int) time.Duration {
	d := e.opts.RetryBase
	for i := 1; i < n && d < e.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, e.opts.MaxBackoff)
}

// pairTTL bounds the (user, app) lock should its run be abandoned for good.
func (e *Engine) pairTTL(r *Run) time.Duration {
	return r.ExpiresAt.Sub(e.now()) + e.opts.VerifyTimeout + time.Hour
}

// pauseTTL bounds the app's provisioning-pause lock. It is long on purpose: while a
// run's engine is dead the pause must stay claimed until another engine resumes the
// run (after one lease) and restores provisioning.
const pauseTTL = time.Hour

// noSaaS stands in for a SaaS directory that is not configured.
type noSaaS struct{}

var errNoSaaS = errors.New("no SaaS directory (Slack SCIM) is configured")

func (noSaaS) FindAccount(context.Context, string) (SaaSAccount, error) {
	return SaaSAccount{}, errors.Join(errNoSaaS, ErrPermanent)
}
func (noSaaS) GetAccount(context.Context, string) (SaaSAccount, error) {
	return SaaSAccount{}, errors.Join(errNoSaaS, ErrPermanent)
}
func (noSaaS) SetActive(context.Context, string, bool) error {
	return errors.Join(errNoSaaS, ErrPermanent)
}

func (e *Engine) event(r *Run, t AuditType, actor string) AuditEvent {
	return AuditEvent{Type: t, At: e.now(), Actor: actor, RunID: r.ID, Plan: r.Plan, UserID: r.Target.UserID, AppID: r.Target.AppID}
}

func (e *Engine) actor() string { return "engine:" + e.owner }

// notify logs the events, counts ended runs and tells the notifier.
func (e *Engine) notify(ctx context.Context, r Run, evs ...AuditEvent) {
	for _, ev := range evs {
		e.log.InfoContext(ctx, "run "+string(ev.Type), "state", string(r.State), "step", ev.Step, "step_kind", string(ev.Kind), "actor", ev.Actor)
	}
	if e.observer != nil {
		for _, ev := range evs {
			if endsRun(ev.Type) && r.State.Terminal() {
				e.observer.RunEnded(r.State)
			}
		}
	}
	if e.notifier == nil {
		return
	}
	for _, ev := range evs {
		e.notifier.RunChanged(ctx, r.Clone(), ev)
	}
}

var errNothingToDo = errors.New("nothing to do")
