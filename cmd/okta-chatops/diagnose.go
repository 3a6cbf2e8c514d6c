package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/report"
	"github.com/okta-chatops/okta-chatops/storage"
)

const diagnoseUsage = "usage: okta-chatops diagnose USER [APP] [--json] [--locale en|ja]"

// runDiagnose: `okta-chatops diagnose USER [APP] [--json]` against the org of the
// environment. With --json, stdout holds exactly one JSON object.
func runDiagnose(ctx context.Context, e env) error {
	pos, flags, err := parseArgs(e.args, []string{"json", "help", "h"}, []string{"locale"})
	if err != nil {
		return usageError{fmt.Errorf("%w\n%s", err, diagnoseUsage)}
	}
	if flags["help"] != "" || flags["h"] != "" {
		fmt.Fprintln(e.stdout, diagnoseUsage)
		return nil
	}
	if len(pos) == 0 {
		return usagef("no USER given (a login, an email address or an Okta user ID)\n%s", diagnoseUsage)
	}
	userQ, appQ := pos[0], strings.Join(pos[1:], " ")
	appQ = strings.Trim(appQ, `"'“”`)

	t, err := openTerminal(ctx, e, flags["locale"])
	if err != nil {
		return err
	}
	defer t.close()
	uc, locale := t.uc, t.locale
	diag, err := uc.Diagnose(ctx, remediation.Operator(), userQ, appQ)
	if err != nil {
		return terminalError(err, locale)
	}
	if flags["json"] != "" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(report.JSON(diag, locale))
	}
	return report.Text(e.stdout, diag, locale)
}

// terminal is what a terminal command (diagnose, scan) runs on: the use cases over the
// org of the environment, audited in REDIS_URL's store when one is configured.
type terminal struct {
	uc     *remediation.UseCases
	locale remediation.Locale
	close  func()
}

func openTerminal(ctx context.Context, e env, localeFlag string) (terminal, error) {
	cfg, err := config.Load(e.src)
	if err != nil {
		return terminal{}, usageError{err}
	}
	locale, err := pickLocale(localeFlag, cfg.Locale)
	if err != nil {
		return terminal{}, err
	}
	if err := cfg.RequireOkta(); err != nil {
		return terminal{}, usageError{err}
	}
	okta, err := newOkta(ctx, cfg, e, nil, nil)
	if err != nil {
		return terminal{}, usageError{err}
	}
	store, closeStore, err := auditStore(ctx, cfg, e.log)
	if err != nil {
		return terminal{}, usageError{err}
	}
	// The terminal saves no incident: a bulk fix is proposed and approved in Slack.
	uc := remediation.NewUseCases(remediation.UseCasesConfig{Policy: &remediation.Policy{},
		Diagnoser: &remediation.Diagnoser{Okta: okta, Logger: e.log}, Scanner: &remediation.Scanner{Okta: okta},
		Store: store, Logger: e.log})
	return terminal{uc: uc, locale: locale, close: func() { _ = closeStore() }}, nil
}

// terminalError is the one line a terminal command prints for err: a refused token is
// a configuration problem the operator must fix (exit 2), anything else exit 1.
func terminalError(err error, locale remediation.Locale) error {
	if errors.Is(err, remediation.ErrDenied) {
		return usageError{fmt.Errorf("%s\ncheck OKTA_API_TOKEN (or the OAuth client) and its admin role", remediation.ErrorText(err).In(locale))}
	}
	return errors.New(remediation.ErrorText(err).In(locale))
}

// auditStore is where a terminal diagnosis is audited: the Redis of REDIS_URL, shared
// with serve; without it, a store of this process alone (nothing is kept). A
// configured Redis that cannot be reached is an error: the diagnosis would go
// unrecorded.
func auditStore(ctx context.Context, cfg config.Config, log *slog.Logger) (remediation.CaseStore, func() error, error) {
	if cfg.RedisURL == "" {
		return storage.NewMemory(storage.MemoryOptions{}), func() error { return nil }, nil
	}
	client, err := storage.OpenRedis(ctx, cfg.RedisURL.Reveal())
	if err != nil {
		return nil, nil, fmt.Errorf("%w\nREDIS_URL is set, so the diagnosis is recorded in its audit trail; unset it to diagnose without a record", err)
	}
	return storage.NewRedis(client, storage.RedisOptions{Logger: log}), client.Close, nil
}

func pickLocale(flag, configured string) (remediation.Locale, error) {
	s := configured
	if flag != "" {
		s = flag
	}
	l, err := remediation.ParseLocale(s)
	if err != nil {
		return l, usagef("--locale: %v", err)
	}
	return l, nil
}

// newOkta builds the Okta adapter from the configuration; observe (optional) hears of
// every call, for metrics.
// newOkta builds the Okta client; budgets (nil: this process paces alone) shares
// Okta's rate budgets with the other replicas.
func newOkta(ctx context.Context, cfg config.Config, e env, observe func(op string, status int, d time.Duration), budgets oktaadapter.BudgetStore) (*oktaadapter.Client, error) {
	return oktaadapter.New(ctx, oktaadapter.Config{
		OrgURL:         cfg.OktaOrgURL,
		APIToken:       cfg.OktaAPIToken.Reveal(),
		ClientID:       cfg.OktaClientID,
		PrivateKey:     cfg.OktaPrivateKey.Reveal(),
		PrivateKeyID:   cfg.OktaPrivateKeyID,
		Scopes:         cfg.OktaScopes,
		AllowHTTP:      cfg.OktaAllowHTTP,
		RequestTimeout: 30 * time.Second,
		Logger:         e.log,
		Observe:        observe,
		Budgets:        budgets,
		// A long wait for a budget is said to whoever waits on the call (a command, a
		// click, a run): the listener travels in the call's context.
		OnRateWait: remediation.SayRateWait,
	})
}
