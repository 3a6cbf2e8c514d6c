package slacksim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for Options left empty.
const (
	DefaultBotToken   = "xoxb-0000000000-sim-bot-token"
	DefaultAppToken   = "xapp-1-A0SIMAPP01-sim-app-token"
	DefaultTeamID     = "T0SIMTEAM1"
	DefaultAppID      = "A0SIMAPP01"
	DefaultBotUserID  = "U0SIMBOT01"
	DefaultBotID      = "B0SIMBOT01"
	DefaultTeamDomain = "okta-chatops-sim"
)

// Slack's documented windows: a trigger_id lives 3 s and is exchanged once; a
// response_url takes 5 posts within 30 minutes; an envelope must be acked in 3 s.
const (
	triggerTTL        = 3 * time.Second
	responseURLTTL    = 30 * time.Minute
	responseURLUses   = 5
	defaultAckTimeout = 3 * time.Second
	maxAckFrame       = 20 * 1024
)

// Errors returned by the people-side API.
var (
	// ErrNotAcked: the envelope was delivered MaxRetries+1 times without an ack.
	ErrNotAcked = errors.New("slacksim: envelope not acknowledged")
	// ErrNotRendered: Click named a button the message does not have.
	ErrNotRendered = errors.New("slacksim: no such button in that message")
	// ErrClosed: the workspace was closed.
	ErrClosed = errors.New("slacksim: workspace closed")
)

// Options configures a Workspace. Every field has a usable zero value.
type Options struct {
	BotToken   string // xoxb- token the Web API accepts
	AppToken   string // xapp- token apps.connections.open accepts
	TeamID     string
	TeamDomain string
	AppID      string
	BotUserID  string
	BotID      string
	// BaseURL is where the workspace is served (e.g. an httptest.Server URL), used in
	// response_urls and Socket Mode URLs. Empty: learnt from the Host of each
	// request, which is always right for a bot that reaches the Web API first.
	BaseURL string
	// Clock stamps messages and decides trigger_id and response_url expiry; nil
	// means time.Now. It must be safe for concurrent use. AckTimeout and
	// PingInterval run on real time because they pace real network I/O.
	Clock  func() time.Time
	Logger *slog.Logger
	// AckTimeout is how long an envelope waits for its ack before it is sent again
	// (Slack: 3 s). MaxRetries is how many times it is sent again (default 3, as
	// the Events API does); negative means never.
	AckTimeout time.Duration
	MaxRetries int
	// PingInterval is how often each connection is pinged (default 10 s, well
	// inside slack-go's default 30 s ping timeout).
	PingInterval time.Duration
	// MaxConnections is how many Socket Mode connections may be open (Slack: 10).
	MaxConnections int
	// MaxTextChars is the longest `text` accepted; longer is msg_too_long. Slack's
	// documentation speaks of truncating at 40,000 characters, but Slack answers
	// msg_too_long well below that in practice (reported by Slack's own SDK
	// maintainers) and DESIGN §4 budgets 4,000: the default is 4000, the strictest
	// behaviour a bot may meet.
	MaxTextChars int
	// ChannelPosts, when Burst > 0, limits chat.postMessage per channel as Slack does
	// (about one message a second per channel; short bursts pass, then HTTP 429 with
	// Retry-After). Zero: unlimited, for tests that are not about pacing.
	ChannelPosts PostLimit
}

// PostLimit is a token bucket per channel: Burst posts at once, then one more each
// Every (default 1s). It runs on real time, as Slack's limit paces real requests.
type PostLimit struct {
	Burst int
	Every time.Duration
}

// Workspace is a simulated Slack workspace. It is safe for concurrent use.
type Workspace struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	done     chan struct{}
	wg       sync.WaitGroup
	baseURL  string
	seq      int64 // for IDs
	lastTS   int64 // microseconds of the last ts handed out
	users    map[string]*User
	groups   map[string]*userGroup
	channels map[string]*channel
	messages []*Message // every message, in posting order
	views    map[string]*View
	viewSeq  []*View
	triggers map[string]*trigger
	respURLs map[string]*responseURL
	calls    map[string]int
	limits   map[string]*rateLimit
	buckets  map[string]*bucket // chat.postMessage per channel (Options.ChannelPosts)
	tickets  map[string]bool
	revoked  map[string]bool // tokens revoked with RevokeToken
	conns    []*conn
	connSeq  int
	rr       int // round robin over conns
	pongs    int
	envs     map[string]*envelope
}

type userGroup struct {
	id, handle string
	members    []string
}

type channel struct {
	id, name  string
	botMember bool
}

type trigger struct {
	id     string
	user   string
	issued time.Time
	used   bool
}

type responseURL struct {
	id        string
	channel   string
	user      string
	origTS    string // the message a click came from; for a command, the last response
	ephemeral bool   // whether origTS is an ephemeral message
	created   time.Time
	uses      int
}

// bucket holds a channel's post tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

// takePostLocked takes a chat.postMessage token of channel, or says how long until
// one is there; w.mu must be held.
func (w *Workspace) takePostLocked(channel string) (ok bool, wait time.Duration) {
	lim := w.opts.ChannelPosts
	if lim.Burst <= 0 {
		return true, 0
	}
	every := lim.Every
	if every <= 0 {
		every = time.Second
	}
	now := time.Now()
	b := w.buckets[channel]
	if b == nil {
		b = &bucket{tokens: float64(lim.Burst), at: now}
		w.buckets[channel] = b
	}
	b.tokens = min(float64(lim.Burst), b.tokens+float64(now.Sub(b.at))/float64(every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(every))
}

type rateLimit struct {
	remaining  int
	retryAfter time.Duration
}

// New returns a workspace with no users, groups or channels. Call Close when done.
func New(opts Options) *Workspace {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&opts.BotToken, DefaultBotToken)
	def(&opts.AppToken, DefaultAppToken)
	def(&opts.TeamID, DefaultTeamID)
	def(&opts.TeamDomain, DefaultTeamDomain)
	def(&opts.AppID, DefaultAppID)
	def(&opts.BotUserID, DefaultBotUserID)
	def(&opts.BotID, DefaultBotID)
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = defaultAckTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	}
	if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 10 * time.Second
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 10
	}
	if opts.MaxTextChars <= 0 {
		opts.MaxTextChars = 4000
	}
	return &Workspace{
		opts:     opts,
		log:      opts.Logger.With("component", "slacksim"),
		changed:  make(chan struct{}),
		done:     make(chan struct{}),
		baseURL:  strings.TrimSuffix(opts.BaseURL, "/"),
		users:    map[string]*User{},
		groups:   map[string]*userGroup{},
		channels: map[string]*channel{},
		views:    map[string]*View{},
		triggers: map[string]*trigger{},
		respURLs: map[string]*responseURL{},
		calls:    map[string]int{},
		limits:   map[string]*rateLimit{},
		buckets:  map[string]*bucket{},
		tickets:  map[string]bool{},
		revoked:  map[string]bool{},
		envs:     map[string]*envelope{},
	}
}

// Options returns the effective options (defaults filled in).
func (w *Workspace) Options() Options { return w.opts }

// Handler serves the Web API (/api/), response_urls (/response/) and Socket Mode
// (/link/).
func (w *Workspace) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", w.serveAPI)
	mux.HandleFunc("/response/", w.serveResponseURL)
	mux.HandleFunc("/link/", w.serveLink)
	return mux
}

// Close drops every connection and waits for every goroutine the workspace started.
// Calls in progress return ErrClosed.
func (w *Workspace) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.wg.Wait()
		return
	}
	w.closed = true
	close(w.done)
	conns := append([]*conn(nil), w.conns...)
	w.notifyLocked()
	w.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	w.wg.Wait()
}

// AddUser adds or replaces a user.
func (w *Workspace) AddUser(u User) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cp := u
	w.users[u.ID] = &cp
	w.notifyLocked()
}

// AddUserGroup adds or replaces a user group (S…) with its members.
func (w *Workspace) AddUserGroup(id, handle string, members ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.groups[id] = &userGroup{id: id, handle: handle, members: append([]string(nil), members...)}
	w.notifyLocked()
}

// AddChannel adds or replaces a public channel; botMember says whether the bot has
// been invited (without it chat.postMessage answers not_in_channel).
func (w *Workspace) AddChannel(id, name string, botMember bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.channels[id] = &channel{id: id, name: strings.TrimPrefix(name, "#"), botMember: botMember}
	w.notifyLocked()
}

// SetUserDeleted deactivates or reactivates a user, as SCIM would.
func (w *Workspace) SetUserDeleted(id string, deleted bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.users[id]
	if !ok {
		return fmt.Errorf("slacksim: no user %s", id)
	}
	u.Deleted = deleted
	w.notifyLocked()
	return nil
}

// RateLimit makes the next n calls to method answer HTTP 429 with
// {"ok":false,"error":"ratelimited"} and Retry-After in whole seconds.
func (w *Workspace) RateLimit(method string, n int, retryAfter time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limits[method] = &rateLimit{remaining: n, retryAfter: retryAfter}
}

// LimitChannelPosts sets Options.ChannelPosts from now on (a zero PostLimit lifts it).
func (w *Workspace) LimitChannelPosts(l PostLimit) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.opts.ChannelPosts = l
	w.buckets = map[string]*bucket{}
}

// Calls returns how many times a Web API method was called (answered or not).
func (w *Workspace) Calls(method string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[method]
}

// notifyLocked wakes every waiter; w.mu must be held.
func (w *Workspace) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// waitFor blocks until cond (called with w.mu held) is true, ctx ends or the
// workspace closes.
func (w *Workspace) waitFor(ctx context.Context, cond func() bool) error {
	_, err := w.waitUntil(ctx, nil, cond)
	return err
}

func (w *Workspace) now() time.Time { return w.opts.Clock() }

// newTSLocked hands out a message ts: seconds.microseconds from the clock, strictly
// increasing so that two messages never share a ts even under a frozen clock.
func (w *Workspace) newTSLocked() string {
	micro := w.now().UnixMicro()
	if micro <= w.lastTS {
		micro = w.lastTS + 1
	}
	w.lastTS = micro
	return fmt.Sprintf("%d.%06d", micro/1e6, micro%1e6)
}

func (w *Workspace) nextSeqLocked() int64 {
	w.seq++
	return w.seq
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// newID returns an uppercase Slack-style ID with the given prefix (V, …).
func (w *Workspace) newIDLocked(prefix string) string {
	return fmt.Sprintf("%s0SIM%06d", prefix, w.nextSeqLocked())
}

// newTriggerLocked issues a trigger_id for user, in Slack's "n.n.hex" shape.
func (w *Workspace) newTriggerLocked(user string) string {
	now := w.now()
	id := fmt.Sprintf("%d.%d.%s", now.UnixMilli(), w.nextSeqLocked(), randomHex(16))
	w.triggers[id] = &trigger{id: id, user: user, issued: now}
	return id
}

// newResponseURLLocked issues a response_url for a command or a click.
func (w *Workspace) newResponseURLLocked(channelID, user, origTS string, ephemeral bool) string {
	id := fmt.Sprintf("%s/%d/%s", w.opts.TeamID, w.nextSeqLocked(), randomHex(12))
	w.respURLs[id] = &responseURL{id: id, channel: channelID, user: user, origTS: origTS, ephemeral: ephemeral, created: w.now()}
	return w.baseLocked() + "/response/" + id
}

func (w *Workspace) baseLocked() string {
	if w.baseURL == "" {
		return "http://127.0.0.1"
	}
	return w.baseURL
}

// learnBase remembers where the workspace is served, from a request.
func (w *Workspace) learnBase(r *http.Request) {
	if w.opts.BaseURL != "" || r.Host == "" {
		return
	}
	w.mu.Lock()
	w.baseURL = "http://" + r.Host
	w.mu.Unlock()
}

// userLocked returns the user, or a stub so that payloads can still be built for
// an ID the test did not seed.
func (w *Workspace) userLocked(id string) User {
	if u, ok := w.users[id]; ok {
		return *u
	}
	return User{ID: id, Name: strings.ToLower(id)}
}

// RevokeToken makes Slack answer token_revoked to every later Web API call made with
// token (the bot or the app-level token), as it does after an admin revokes it or the
// app is uninstalled.
func (w *Workspace) RevokeToken(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.revoked[token] = true
}
