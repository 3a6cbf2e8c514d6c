package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/report"
)

const scanUsage = "usage: okta-chatops scan APP [--json] [--locale en|ja]"

// runScan: `okta-chatops scan APP [--json]` checks every user assigned to the app.
// With --json, stdout holds exactly one JSON object; progress goes to the log (stderr).
func runScan(ctx context.Context, e env) error {
	pos, flags, err := parseArgs(e.args, []string{"json", "help", "h"}, []string{"locale"})
	if err != nil {
		return usageError{fmt.Errorf("%w\n%s", err, scanUsage)}
	}
	if flags["help"] != "" || flags["h"] != "" {
		fmt.Fprintln(e.stdout, scanUsage)
		return nil
	}
	appQ := strings.Trim(strings.Join(pos, " "), `"'“”`)
	if strings.TrimSpace(appQ) == "" {
		return usagef("no APP given (a label, a name or an Okta app ID)\n%s", scanUsage)
	}
	cfg, err := config.Load(e.src)
	if err != nil {
		return usageError{err}
	}
	locale, err := pickLocale(flags["locale"], cfg.Locale)
	if err != nil {
		return err
	}
	if err := cfg.RequireOkta(); err != nil {
		return usageError{err}
	}
	okta, err := newOkta(ctx, cfg, e, nil, nil)
	if err != nil {
		return usageError{err}
	}
	store, closeStore, err := auditStore(ctx, cfg, e.log)
	if err != nil {
		return usageError{err}
	}
	defer func() { _ = closeStore() }()
	// The terminal saves no incident: a bulk fix is proposed and approved in Slack.
	uc := remediation.NewUseCases(remediation.UseCasesConfig{Policy: &remediation.Policy{},
		Diagnoser: &remediation.Diagnoser{Okta: okta, Logger: e.log}, Scanner: &remediation.Scanner{Okta: okta},
		Store: store, Logger: e.log})
	res, err := uc.Scan(ctx, remediation.Operator(), appQ, func(p remediation.ScanProgress) {
		e.log.InfoContext(ctx, "scanning", "app", p.App.Label, "checked", p.Checked, "suspect", p.Suspect, "done", p.Done)
	})
	if err != nil {
		if errors.Is(err, remediation.ErrDenied) {
			return usageError{fmt.Errorf("%s\ncheck OKTA_API_TOKEN (or the OAuth client) and its admin role", remediation.ErrorText(err).In(locale))}
		}
		return errors.New(remediation.ErrorText(err).In(locale))
	}
	if flags["json"] != "" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(report.ScanJSON(res, locale))
	}
	return report.ScanText(e.stdout, res, locale)
}
