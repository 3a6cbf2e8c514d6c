package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/logctx"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// People resolves Slack members to email addresses and back (slackadmin.Directory):
// a mention typed as USER, and the affected user to mention in the channel.
type People interface {
	LookupByEmail(ctx context.Context, email string) (string, error)
	UserEmail(ctx context.Context, memberID string) (string, error)
}

// UseCases is the domain the bot serves (remediation.UseCases): every command and click
// becomes one of these calls, which check the policy and audit.
type UseCases interface {
	Admit(ctx context.Context, c remediation.Caller, what string) error
	Diagnose(ctx context.Context, c remediation.Caller, userQuery, appQuery string) (remediation.Diagnosis, error)
	Scan(ctx context.Context, c remediation.Caller, appQuery string, progress func(remediation.ScanProgress)) (remediation.ScanResult, error)
	Evidence(ctx context.Context, c remediation.Caller, userID, appID string) (remediation.Diagnosis, error)
	Propose(ctx context.Context, c remediation.Caller, in remediation.ProposeInput) (remediation.Proposal, error)
	Posted(ctx context.Context, runID, channel, ts string) error
	Adopt(ctx context.Context, runID, channel, ts string)
	Approve(ctx context.Context, c remediation.Caller, runID string) (remediation.Run, error)
	MayReject(ctx context.Context, c remediation.Caller, runID string) error
	Reject(ctx context.Context, c remediation.Caller, runID, reason string) (remediation.Run, error)
	Cancel(ctx context.Context, c remediation.Caller, runID, reason string) (remediation.Run, error)
	Confirm(ctx context.Context, c remediation.Caller, runID string, step int) (remediation.Run, error)
	MarkHandled(ctx context.Context, c remediation.Caller, runID, note string) (remediation.Run, error)
	Status(ctx context.Context, c remediation.Caller, runID string) ([]remediation.Run, error)
	Audit(ctx context.Context, c remediation.Caller, q remediation.AuditQuery) ([]remediation.AuditEntry, error)
	Risk(p remediation.PlanID) remediation.Risk
}

// Deduper sees each envelope once across replicas and redeliveries.
type Deduper interface {
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Limiter counts commands in fixed windows shared by replicas.
type Limiter interface {
	Hit(ctx context.Context, key string, window time.Duration) (count int, resetIn time.Duration, err error)
}

// OutboxStore is what the audit channel outbox needs: the trail, a cursor into it and
// a lock so one replica posts at a time.
type OutboxStore interface {
	Lock(ctx context.Context, key, owner string, ttl time.Duration) (holder string, err error)
	Unlock(ctx context.Context, key, owner string) error
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error
	Audit(ctx context.Context, since time.Time, limit int) ([]remediation.AuditEntry, error)
}

// Store is everything the bot keeps in the shared store (storage implements it).
type Store interface {
	Deduper
	Limiter
	OutboxStore
}

// Metrics hears what the bot does, for the metrics endpoint. Calls must be cheap.
type Metrics interface {
	// Command: a slash command (its name, or CmdInvalid) ended with outcome.
	Command(name CommandName, outcome Outcome)
	// Acked: an envelope was acknowledged d after the bot received it.
	Acked(d time.Duration)
	// AuditLag: the newest audit entry not yet in the audit channel is d old (0: none).
	AuditLag(d time.Duration)
}

type noMetrics struct{}

func (noMetrics) Command(CommandName, Outcome) {}
func (noMetrics) Acked(time.Duration)          {}
func (noMetrics) AuditLag(time.Duration)       {}

// Config configures the bot.
type Config struct {
	// Locale is OKTA_CHATOPS_LOCALE: the language of channel messages, and of replies
	// to people whose Slack locale is unknown.
	Locale remediation.Locale
	// AuditChannel is OKTA_CHATOPS_AUDIT_CHANNEL ("" = no audit channel).
	AuditChannel string
	// NotifyUser is OKTA_CHATOPS_NOTIFY_USER: mention the affected user in the channel.
	NotifyUser bool
	// UserLimit and GlobalLimit bound the commands per minute of one person and of
	// everyone (defaults 20 and 300), counted in the store so replicas share them.
	UserLimit, GlobalLimit int
	// Workers bounds the envelopes handled at once (default 4: on a 2-core machine more
	// concurrent work delays acks); Queue bounds the
	// envelopes waiting for a worker (default 256).
	Workers, Queue int
	// Owner names this replica in locks (default host:pid).
	Owner  string
	Clock  remediation.Clock
	Logger *slog.Logger
	// OutboxEvery is how often the audit channel outbox looks for new entries
	// (default 1s).
	OutboxEvery time.Duration
	// Metrics: nil for none.
	Metrics Metrics
}

// Bot is the Slack side of okta-chatops: it answers slash commands and clicks over
// Socket Mode, posts diagnoses and approval requests, reports runs' progress in their
// threads, and copies the audit trail to the audit channel.
type Bot struct {
	cfg    Config
	api    *slack.Client
	uc     UseCases
	store  Store
	people People
	log    *slog.Logger

	jobs  chan job
	notes chan note
	ready atomic.Bool

	localeMu sync.Mutex
	locales  map[string]remediation.Locale // Slack user → locale, as users.info says
}

// job is an acknowledged envelope waiting for a worker.
type job struct {
	envelopeID string
	slash      *slack.SlashCommand
	action     *slack.InteractionCallback
}

// note is a run change the engine reported, waiting to be posted; or, with say set, a
// line to post.
type note struct {
	run remediation.Run
	ev  remediation.AuditEvent
	say *say
}

// New builds the bot. api must be configured with the app-level token for Socket Mode.
func New(cfg Config, api *slack.Client, uc UseCases, store Store, people People) *Bot {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Owner == "" {
		cfg.Owner = remediation.DefaultOwner()
	}
	if cfg.Clock == nil {
		cfg.Clock = remediation.SystemClock
	}
	if cfg.OutboxEvery <= 0 {
		cfg.OutboxEvery = time.Second
	}
	if cfg.Locale == "" {
		cfg.Locale = remediation.EN
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.UserLimit <= 0 {
		cfg.UserLimit = 20
	}
	if cfg.GlobalLimit <= 0 {
		cfg.GlobalLimit = 300
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bot{
		cfg: cfg, api: api, uc: uc, store: store, people: people, log: log,
		jobs: make(chan job, cfg.Queue), notes: make(chan note, 1024),
		locales: map[string]remediation.Locale{},
	}
}

// Ready reports whether the Socket Mode connection is up (for /readyz).
func (b *Bot) Ready() bool { return b.ready.Load() }

// ErrFatal marks a Slack error the bot cannot recover from by reconnecting (a revoked or
// invalid token, a disabled Socket Mode link): the process should stop and say so.
var ErrFatal = errors.New("fatal slack error")

// fatalCodes are apps.connections.open errors that reconnecting cannot fix.
func isFatalCode(msg string) bool {
	switch msg {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "link_disabled", "not_allowed_token_type":
		return true
	}
	return false
}

// Run connects over Socket Mode and serves until ctx ends or a fatal error happens.
func (b *Bot) Run(ctx context.Context) error {
	sm := socketmode.New(b.api)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := sm.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		// RunContext only returns with an error: a connection it could not (re)open.
		if isFatalCode(err.Error()) {
			return fmt.Errorf("slack socket mode: %s: %w", err, ErrFatal)
		}
		return fmt.Errorf("slack socket mode: %w", err)
	})
	g.Go(func() error { return b.receive(ctx, sm) })
	for i := 0; i < b.cfg.Workers; i++ {
		g.Go(func() error { b.work(ctx); return nil })
	}
	g.Go(func() error { b.postNotes(ctx); return nil })
	if b.cfg.AuditChannel != "" {
		g.Go(func() error { b.outbox(ctx); return nil })
	}
	err := g.Wait()
	b.ready.Store(false)
	return err
}

// receive acknowledges every envelope at once, before any work, then queues it.
func (b *Bot) receive(ctx context.Context, sm *socketmode.Client) error {
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return nil
		case evt = <-sm.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnecting:
			b.ready.Store(false)
		case socketmode.EventTypeConnected:
			b.ready.Store(true)
			b.log.InfoContext(ctx, "slack socket mode connected")
		case socketmode.EventTypeConnectionError:
			b.ready.Store(false)
			if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
				if ce.ErrorObj != nil && isFatalCode(ce.ErrorObj.Error()) {
					return fmt.Errorf("slack socket mode: %s: %w", ce.ErrorObj, ErrFatal)
				}
				b.log.WarnContext(ctx, "slack socket mode connection failed; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", ce.ErrorObj)
			}
		case socketmode.EventTypeInvalidAuth:
			return fmt.Errorf("slack socket mode: invalid_auth: %w", ErrFatal)
		case socketmode.EventTypeDisconnect:
			b.ready.Store(false)
		case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
			if evt.Request == nil {
				continue
			}
			// Ack first: Slack retries an envelope not acknowledged within 3 seconds.
			received := time.Now()
			if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
				b.log.WarnContext(ctx, "acking envelope", "envelope_id", evt.Request.EnvelopeID, "err", err)
			}
			b.cfg.Metrics.Acked(time.Since(received))
			j := job{envelopeID: evt.Request.EnvelopeID}
			switch d := evt.Data.(type) {
			case slack.SlashCommand:
				j.slash = &d
			case slack.InteractionCallback:
				j.action = &d
			default:
				continue
			}
			select {
			case b.jobs <- j:
			default:
				b.log.WarnContext(ctx, "work queue full; refusing an envelope", "envelope_id", j.envelopeID)
				if j.slash != nil {
					b.respond(ctx, j.slash.ResponseURL, msgBusy().In(b.cfg.Locale))
				}
			}
		case socketmode.EventTypeEventsAPI:
			if evt.Request != nil {
				_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
			}
		}
	}
}

// work handles queued envelopes until ctx ends. An envelope already taken is finished
// even when shutdown begins meanwhile (within a bound): it was acknowledged, so Slack
// will not send it again.
func (b *Bot) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-b.jobs:
			// Finish the job even if shutdown begins, but within shutdownGrace of it.
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
			stop := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancel) })
			b.handle(jctx, j)
			stop()
			cancel()
		}
	}
}

// jobTimeout bounds the handling of one envelope (a diagnosis of many apps is the
// slowest); shutdownGrace bounds what is left of it once shutdown begins.
const (
	jobTimeout    = 2 * time.Minute
	shutdownGrace = 10 * time.Second
)

// handle runs one envelope, once across replicas and redeliveries.
func (b *Bot) handle(ctx context.Context, j job) {
	user := ""
	switch {
	case j.slash != nil:
		user = j.slash.UserID
	case j.action != nil:
		user = j.action.User.ID
	}
	ctx = logctx.With(ctx, "envelope_id", j.envelopeID, "slack_user_id", user)
	first, err := b.store.Once(ctx, "envelope:"+j.envelopeID, 24*time.Hour)
	if err != nil {
		// Without the store nothing can be done safely (not even knowing whether another
		// replica has this envelope): say so rather than stay silent.
		b.log.WarnContext(ctx, "dedupe", "envelope_id", j.envelopeID, "err", err)
		b.storeDown(ctx, j, user)
		return
	}
	if !first {
		return // another replica (or an earlier delivery) handles it
	}
	switch {
	case j.slash != nil:
		b.handleSlash(ctx, *j.slash)
	case j.action != nil:
		b.handleInteraction(ctx, *j.action)
	}
}

// localeOf is the language to answer user in: their Slack locale when Slack says, else
// the configured one.
func (b *Bot) localeOf(ctx context.Context, user string) remediation.Locale {
	b.localeMu.Lock()
	l, ok := b.locales[user]
	b.localeMu.Unlock()
	if ok {
		return l
	}
	l = b.cfg.Locale
	if u, err := b.api.GetUserInfoContext(ctx, user, slack.GetUserInfoOptionIncludeLocale(true)); err == nil && u.Locale != "" {
		if pl, err := remediation.ParseLocale(u.Locale); err == nil {
			l = pl
		}
	}
	b.localeMu.Lock()
	b.locales[user] = l
	b.localeMu.Unlock()
	return l
}

// respond answers a slash command privately through its response_url.
func (b *Bot) respond(ctx context.Context, responseURL, msg string, blocks ...slack.Block) {
	if responseURL == "" {
		return
	}
	wm := &slack.WebhookMessage{Text: shorten(msg, maxMessageText), ResponseType: slack.ResponseTypeEphemeral}
	if len(blocks) > 0 {
		wm.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	if err := slack.PostWebhookContext(ctx, responseURL, wm); err != nil {
		b.log.WarnContext(ctx, "answering through response_url", "err", scrubURL(err, responseURL))
	}
}

// whisper answers one person privately in a channel.
func (b *Bot) whisper(ctx context.Context, channel, user, msg string) {
	if _, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(shorten(msg, maxMessageText), false)); err != nil {
		b.log.WarnContext(ctx, "posting ephemeral", "channel", channel, "slack_user_id", user, "err", err)
	}
}

// scrubURL keeps a response_url (which lets anyone holding it post as the bot) out of
// logs.
func scrubURL(err error, url string) string {
	return strings.ReplaceAll(err.Error(), url, "[response_url]")
}
