package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/preflight"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/slackadmin"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/telemetry"
)

// runServe: `okta-chatops serve [--check]` runs the bot: Socket Mode, the remediation
// engine and the health endpoints, until SIGINT/SIGTERM. With --check it validates the
// configuration and reachability (Slack auth.test, the Okta token, Redis) and exits.
func runServe(ctx context.Context, e env) error {
	_, flags, err := parseArgs(e.args, []string{"check"}, nil)
	if err != nil {
		return err
	}
	cfg, err := config.Load(e.src)
	if err != nil {
		return usageError{err}
	}
	svc, err := newService(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer svc.close()
	if flags["check"] != "" {
		store := "store: ok (Redis answered)"
		if cfg.RedisURL == "" {
			store = "store: embedded in memory (REDIS_URL unset: state is lost on restart and not shared by replicas)"
		}
		return preflight.Check(ctx, e.stdout, svc.api, svc.okta, cfg.OktaClientID != "", store)
	}
	return svc.run(ctx, e)
}

// service is everything `serve` runs, wired from the configuration.
type service struct {
	cfg     config.Config
	api     *slack.Client
	okta    *oktaadapter.Client
	store   remediation.Store
	eng     *remediation.Engine
	bot     *bot.Bot
	metrics *telemetry.Metrics
	retain  *storage.RetentionJob
	// watch polls the System Log for new failures; nil when watching is off
	// (watchOff says why).
	watch    *remediation.Watcher
	watchOff string
	close    func() error
}

func newService(ctx context.Context, cfg config.Config, e env) (*service, error) {
	if err := errors.Join(cfg.RequireSlack(), cfg.RequireOkta()); err != nil {
		return nil, usageError{err}
	}
	locale, err := remediation.ParseLocale(cfg.Locale)
	if err != nil {
		return nil, usageError{err}
	}
	policy, err := cfg.Policy(e.src.ReadFile)
	if err != nil {
		return nil, usageError{err}
	}
	m := telemetry.New()
	api := slack.New(cfg.SlackBotToken.Reveal(), slack.OptionAppLevelToken(cfg.SlackAppToken.Reveal()), slack.OptionAPIURL(cfg.SlackAPIURL))
	people := slackadmin.NewDirectory(api)
	policy.Groups = people
	var scim *slackadmin.SCIM
	if cfg.SlackSCIMToken != "" {
		scim, err = slackadmin.NewSCIM(slackadmin.SCIMConfig{BaseURL: cfg.SlackSCIMURL, Token: cfg.SlackSCIMToken.Reveal(), Logger: e.log})
		if err != nil {
			return nil, usageError{err}
		}
	}
	b, err := openBackend(ctx, cfg, e)
	if err != nil {
		return nil, err
	}
	okta, err := newOkta(ctx, cfg, e, m.OktaCall, b.budgets)
	if err != nil {
		_ = b.close()
		return nil, usageError{err}
	}
	// The bot needs the engine and the engine notifies the bot: the relay is connected
	// to the bot once both exist.
	relay := &remediation.NotifierRelay{}
	deps := remediation.EngineDeps{Store: b.store, Scheduler: b.sched, Notifier: relay,
		Okta: okta, OktaCalls: okta, Policy: policy, Logger: e.log, Observer: m}
	if scim != nil {
		deps.SaaS, deps.SaaSCalls = scim, scim
	}
	eng, err := remediation.NewEngine(deps, remediation.EngineOptions{VerifyTimeout: cfg.VerifyTimeout})
	if err != nil {
		_ = b.close()
		return nil, err
	}
	diag := &remediation.Diagnoser{Okta: okta, Logger: e.log}
	uc := remediation.NewUseCases(remediation.UseCasesConfig{Policy: policy, Diagnoser: diag, Engine: eng, Store: b.store,
		Incidents: b.store, People: people, Channels: answerChannels(cfg), Logger: e.log,
		Scanner: &remediation.Scanner{Okta: okta, Incidents: b.store}})
	bt := bot.New(bot.Config{Locale: locale, AuditChannel: cfg.AuditChannel, NotifyUser: cfg.NotifyUser,
		Logger: e.log, Owner: eng.Owner(), Metrics: m}, api, uc, b.store, people)
	relay.Connect(bt)
	m.WatchState(b.store, okta)
	retain := &storage.RetentionJob{Store: b.trim, Keep: cfg.Retention, Every: time.Hour, Owner: eng.Owner(),
		Clock: time.Now, Logger: e.log}
	if cfg.AuditChannel != "" {
		retain.AuditCursor = bot.AuditChannelCursor
	}
	svc := &service{cfg: cfg, api: api, okta: okta, store: b.store, eng: eng, bot: bt, metrics: m, retain: retain, close: b.close}
	switch {
	case cfg.WatchInterval == 0:
		svc.watchOff = "OKTA_CHATOPS_WATCH_INTERVAL is 0"
	case cfg.AlertChannel == "":
		svc.watchOff = "no alert channel: set OKTA_CHATOPS_ALERT_CHANNEL (or OKTA_CHATOPS_CHANNELS, whose first channel is the default)"
	default:
		alerts := bot.NewAlerts(bot.AlertsConfig{Channel: cfg.AlertChannel, Locale: locale, Logger: e.log}, api)
		svc.watch, err = remediation.NewWatcher(remediation.WatchConfig{Poller: okta, Store: b.store, Alerter: alerts,
			Interval: cfg.WatchInterval, Owner: eng.Owner(), Logger: e.log, Observer: m})
		if err != nil {
			_ = b.close()
			return nil, err
		}
	}
	return svc, nil
}

// answerChannels are where the bot answers: OKTA_CHATOPS_CHANNELS (empty: anywhere)
// and, when watching, the alert channel, whose diagnose_user buttons are clicked there.
func answerChannels(cfg config.Config) []string {
	if len(cfg.Channels) == 0 || cfg.WatchInterval == 0 || cfg.AlertChannel == "" || slices.Contains(cfg.Channels, cfg.AlertChannel) {
		return cfg.Channels
	}
	return append(slices.Clone(cfg.Channels), cfg.AlertChannel)
}

// run serves until ctx ends or a fatal error happens.
func (s *service) run(ctx context.Context, e env) error {
	if _, err := s.api.AuthTestContext(ctx); err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "invalid_auth" || se.Err == "not_authed" || se.Err == "token_revoked" || se.Err == "account_inactive") {
			return usageError{fmt.Errorf("SLACK_BOT_TOKEN was refused by Slack (auth.test: %v)", err)}
		}
		// Not a verdict on the token (Slack unreachable for a moment, say): Socket Mode
		// retries on its own, and /readyz says whether it got through.
		e.log.Warn("slack auth.test failed; starting anyway", "err", err)
	}
	if len(s.eng.Policy().Approvers) == 0 {
		e.log.Warn("no approvers configured (OKTA_CHATOPS_APPROVERS or the policy file): fixes can be proposed but never approved")
	}
	if s.watch != nil {
		e.log.Info("watching the System Log for provisioning failures", "alert_channel", s.cfg.AlertChannel, "interval", s.cfg.WatchInterval.String())
	} else {
		e.log.Warn("watching the System Log is off: no alerts of new provisioning failures", "reason", s.watchOff)
	}
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return usageError{fmt.Errorf("HTTP_ADDR %s: %v", s.cfg.HTTPAddr, err)}
	}
	srv := &http.Server{Handler: healthHandler(s.bot, s.store, s.metrics.Handler()), ReadHeaderTimeout: 5 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	// Sweeping every second keeps the takeover of a dead replica's run within the
	// engine's lease (5s) plus a second.
	g.Go(func() error { return s.eng.Work(gctx, 200*time.Millisecond, time.Second, 4) })
	g.Go(func() error { return s.bot.Run(gctx) })
	g.Go(func() error { return s.retain.Run(gctx) })
	if s.watch != nil {
		g.Go(func() error { return s.watch.Run(gctx) })
	}
	e.log.Info("okta-chatops serving", "http_addr", ln.Addr().String(), "okta_org", s.cfg.OktaOrgURL, "locale", s.cfg.Locale, "redis", s.cfg.RedisURL != "")
	err = g.Wait()
	if errors.Is(err, bot.ErrFatal) {
		return fmt.Errorf("%v: check SLACK_APP_TOKEN / SLACK_BOT_TOKEN and that Socket Mode is enabled for the app", err)
	}
	return err
}

// healthHandler serves /healthz (the process answers), /readyz (the Socket Mode
// connection is up and the store answers) and /metrics.
func healthHandler(bt *bot.Bot, store remediation.Store, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !bt.Ready() {
			http.Error(w, "slack socket mode not connected", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := store.Cursor(ctx, "readyz"); err != nil {
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
