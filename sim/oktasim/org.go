package oktasim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the SSWS API token an Org accepts when Options.Token is empty.
const DefaultToken = "00sim-okta-api-token-not-a-secret"

// Capability and feature statuses (Okta's EnabledStatus).
const (
	Enabled  = "ENABLED"
	Disabled = "DISABLED"
)

// Options configure an Org. The zero value is usable.
type Options struct {
	// Token is the SSWS API token the Org accepts; empty means DefaultToken.
	// Bearer tokens issued by /oauth2/v1/token are accepted too.
	Token string
	// Clock is the Org's notion of now (timestamps, log events, rate-limit windows,
	// token expiry); nil means time.Now. It must be safe for concurrent use.
	// Delays (ProvisionDelay, Fault.Latency) use real time regardless, so a frozen
	// clock never blocks.
	Clock func() time.Time
	// ProvisionDelay is how long after an assignment (or push) the SaaS side
	// completes. 0 means the work is done before the HTTP response is written, which
	// keeps tests deterministic; responses still show the state Okta had when it
	// accepted the request.
	ProvisionDelay time.Duration
	// Logger receives debug logs of requests and provisioning; nil discards them.
	Logger *slog.Logger
	// Limits are the per-minute rate-limit budgets; zero fields take Okta's defaults.
	Limits Limits
	// Seed makes generated IDs reproducible; 0 uses a fixed default seed.
	Seed uint64
}

// Limits are per-minute request budgets per rate-limit bucket (DESIGN §3).
type Limits struct {
	Apps  int // /api/v1/apps*, default 100
	Logs  int // /api/v1/logs, default 120
	Users int // /api/v1/users*, default 600
	Other int // everything else, default 600
}

// Capabilities is the USER_PROVISIONING capabilities object of an app, as the Features
// API shows it. Empty statuses mean DISABLED; empty password seed/change take Okta's
// defaults (RANDOM, KEEP_EXISTING).
type Capabilities struct {
	LifecycleCreate     string
	Profile             string
	LifecycleDeactivate string
	Password            PasswordCapability
}

// PasswordCapability is update.password of USER_PROVISIONING.
type PasswordCapability struct {
	Status string
	Seed   string // OKTA or RANDOM
	Change string // CHANGE or KEEP_EXISTING
}

// AllEnabled returns capabilities with every switch ENABLED (Okta's defaults for a
// freshly configured provisioning connection are similar).
func AllEnabled() Capabilities {
	return Capabilities{LifecycleCreate: Enabled, Profile: Enabled, LifecycleDeactivate: Enabled,
		Password: PasswordCapability{Status: Enabled, Seed: "RANDOM", Change: "KEEP_EXISTING"}}
}

func (c Capabilities) normalized() Capabilities {
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	c.LifecycleCreate = def(c.LifecycleCreate, Disabled)
	c.Profile = def(c.Profile, Disabled)
	c.LifecycleDeactivate = def(c.LifecycleDeactivate, Disabled)
	c.Password.Status = def(c.Password.Status, Disabled)
	c.Password.Seed = def(c.Password.Seed, "RANDOM")
	c.Password.Change = def(c.Password.Change, "KEEP_EXISTING")
	return c
}

// Org is a simulated Okta org with one simulated SaaS per app. It is safe for
// concurrent use. Create it with New, serve it with Handler, stop it with Close.
type Org struct {
	opts  Options
	token string
	log   *slog.Logger

	ctx    context.Context // cancelled by Close; background work stops with it
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the Org starts

	mu          sync.Mutex
	rng         *rand.Rand
	seq         int64         // monotonic counter for log cursors and request ids
	logLateness time.Duration // events emitted now are published this long before they are stored
	orgID       string
	realmID     string
	adminID     string
	defaultType string
	users       []*user
	types       []*userType
	groups      []*group
	rules       []*groupRule
	apps        []*app
	logs        []*logEvent
	clients     map[string]*oauthClient
	tokens      map[string]time.Time // bearer token → expiry
	buckets     map[string]*bucket
	faults      []*faultEntry
	recorded    []Request
	queue       []task        // provisioning work, applied in order by one worker
	wake        chan struct{} // nudges the worker when queue grows
	shift       time.Duration // added to the clock while NewSeeded replays a story in the past
	pending     int           // scheduled provisioning tasks not yet applied
	idle        chan struct{} // closed when pending drops to 0

	// causes holds the injected integration failures per app id (causes.go).
	causes map[string]*appCause
}

// task is provisioning work due at a (real) time; one worker applies tasks in FIFO
// order so that, e.g., a deactivation pushed by an unassignment always lands before
// the reactivation pushed by the assignment that follows it.
type task struct {
	due time.Time
	fn  func()
}

// New returns an empty org holding only the default user type ("user"). Call Close
// when done.
func New(opts Options) *Org {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 0x0C7A
	}
	token := opts.Token
	if token == "" {
		token = DefaultToken
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Org{
		opts:    opts,
		token:   token,
		log:     opts.Logger,
		ctx:     ctx,
		cancel:  cancel,
		rng:     rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)),
		clients: map[string]*oauthClient{},
		tokens:  map[string]time.Time{},
		buckets: map[string]*bucket{},
		idle:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	close(o.idle)
	if opts.ProvisionDelay > 0 {
		o.wg.Add(1)
		go o.worker()
	}
	o.orgID = o.newID("00o")
	o.realmID = o.newID("guo")
	o.adminID = o.newID("00u")
	now := o.now()
	o.types = append(o.types, &userType{
		id: o.newID("oty"), name: "user", displayName: "User",
		description: "Okta user profile template with default permission settings",
		isDefault:   true, createdBy: o.adminID, created: now, lastUpdated: now,
	})
	o.defaultType = o.types[0].id
	return o
}

// Close stops background provisioning work and waits for every goroutine the Org
// started. Scheduled but unapplied work is dropped. The Handler must not be used after.
func (o *Org) Close() {
	o.cancel()
	o.wg.Wait()
}

// now is the org clock truncated to milliseconds, the precision Okta shows.
// Caller holds mu (or the Org is not yet shared).
func (o *Org) now() time.Time { return o.opts.Clock().Add(o.shift).UTC().Truncate(time.Millisecond) }

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newID returns an Okta-looking 20-character id with the given prefix. Caller holds mu
// (or the Org is not yet shared).
func (o *Org) newID(prefix string) string {
	return prefix + o.randString(alnum, 20-len(prefix))
}

func (o *Org) randString(alphabet string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[o.rng.IntN(len(alphabet))])
	}
	return b.String()
}

// nextSeq returns a process-unique increasing number. Caller holds mu.
func (o *Org) nextSeq() int64 {
	o.seq++
	return o.seq
}

// WaitIdle blocks until every scheduled provisioning task has been applied, or ctx
// ends. Use it instead of sleeping after an assignment when ProvisionDelay > 0.
func (o *Org) WaitIdle(ctx context.Context) error {
	o.mu.Lock()
	ch := o.idle
	o.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("oktasim: waiting for provisioning: %w", ctx.Err())
	}
}

// schedule runs fn (under mu) ProvisionDelay from now. With no delay fn runs inline,
// so the caller (holding mu) sees its effect at once. Caller holds mu.
func (o *Org) schedule(fn func()) {
	if o.opts.ProvisionDelay <= 0 {
		fn()
		return
	}
	if o.ctx.Err() != nil {
		return
	}
	if o.pending == 0 {
		o.idle = make(chan struct{})
	}
	o.pending++
	o.queue = append(o.queue, task{due: time.Now().Add(o.opts.ProvisionDelay), fn: fn})
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// worker applies queued tasks in order when they are due, until Close.
func (o *Org) worker() {
	defer o.wg.Done()
	for {
		o.mu.Lock()
		has := len(o.queue) > 0
		var due time.Time
		if has {
			due = o.queue[0].due
		}
		o.mu.Unlock()
		if !has {
			select {
			case <-o.wake:
				continue
			case <-o.ctx.Done():
				return
			}
		}
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-o.ctx.Done():
				t.Stop()
				return
			}
		}
		o.mu.Lock()
		t := o.queue[0]
		o.queue = o.queue[1:]
		t.fn()
		o.pending--
		if o.pending == 0 {
			close(o.idle)
		}
		o.mu.Unlock()
	}
}
