package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
	t, err := openTerminal(ctx, e, flags["locale"])
	if err != nil {
		return err
	}
	defer t.close()
	uc, locale := t.uc, t.locale
	res, err := uc.Scan(ctx, remediation.Operator(), appQ, func(p remediation.ScanProgress) {
		e.log.InfoContext(ctx, "scanning", "app", p.App.Label, "checked", p.Checked, "suspect", p.Suspect, "done", p.Done)
	})
	if err != nil {
		return terminalError(err, locale)
	}
	if flags["json"] != "" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(report.ScanJSON(res, locale))
	}
	return report.ScanText(e.stdout, res, locale)
}
