package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
)

// Prober tries one read-only Okta call per permission (oktaadapter.Client).
type Prober interface {
	Probe(ctx context.Context) []oktaadapter.Permission
}

// Check reports whether Slack and Okta accept the configured credentials, naming the
// variable behind each verdict: the bot token (auth.test), the app-level token
// (apps.connections.open, which hands out a Socket Mode URL; the URL is not dialled, so
// no connection is opened), and the Okta token, telling a token Okta refuses (401) from
// one it accepts but whose role lacks a permission (403), probed permission by
// permission with read-only calls.
//
// oauth says the Okta client is an OAuth service app rather than an API token; store is
// the line that says which store the bot will use.
func Check(ctx context.Context, out io.Writer, api *slack.Client, okta Prober, oauth bool, store string) error {
	var errs []error
	if at, err := api.AuthTestContext(ctx); err != nil {
		errs = append(errs, slackTokenError("SLACK_BOT_TOKEN", "auth.test", err))
	} else {
		fmt.Fprintf(out, "slack: ok (team %s, bot user %s; SLACK_BOT_TOKEN accepted)\n", at.Team, at.UserID)
	}
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		errs = append(errs, slackTokenError("SLACK_APP_TOKEN", "apps.connections.open", err))
	} else {
		fmt.Fprintln(out, "slack: ok (SLACK_APP_TOKEN accepted: apps.connections.open gave a Socket Mode URL, not dialled)")
	}
	oktaToken := "OKTA_API_TOKEN"
	if oauth {
		oktaToken = "the OAuth client (OKTA_CLIENT_ID, OKTA_PRIVATE_KEY, OKTA_SCOPES)"
	}
	fmt.Fprintln(out, "okta permissions (read-only probes):")
	missing := map[string]bool{}
	reached := false
	var refused *remediation.RemoteError
	for _, p := range okta.Probe(ctx) {
		state := "ok"
		var re *remediation.RemoteError
		switch {
		case errors.As(p.Err, &re) && re.Status == http.StatusUnauthorized:
			state, refused, reached = "REFUSED", re, true
		case p.Missing:
			state, missing[p.Scope] = "MISSING", true
			reached = true
		case p.Err != nil:
			state = "unknown: " + remediation.ErrorText(p.Err).EN
		default:
			reached = true
		}
		fmt.Fprintf(out, "  %-20s %-8s %s\n", p.Scope, state, p.Call)
	}
	fmt.Fprintln(out, "  okta.apps.manage     not probed (a write): every fix needs it — assign, unassign, externalId, scope, USER_PROVISIONING")
	switch {
	case !reached:
		errs = append(errs, errors.New("okta: no probe got an answer from OKTA_ORG_URL"))
	case refused != nil:
		errs = append(errs, fmt.Errorf("okta: %s was refused by Okta (HTTP 401 %s %s): the token is wrong, expired or revoked — not a missing permission", oktaToken, refused.Code, refused.Summary))
	case missing["okta.users.read"] || missing["okta.apps.read"]:
		errs = append(errs, fmt.Errorf("okta: %s is accepted, but its role cannot read users or apps (HTTP 403): nothing will work", oktaToken))
	default:
		if missing["okta.logs.read"] {
			fmt.Fprintln(out, "  ⇒ without okta.logs.read the diagnosis cannot see the failure messages: STALE_EXTERNAL_ID and SAAS_USER_DEACTIVATED will not be named, and no fix proposed for them")
		}
		if missing["okta.groups.read"] {
			fmt.Fprintln(out, "  ⇒ without okta.groups.read group-scoped fixes cannot return the user to their group, and the custom-user-type group rule check is blind")
		}
		if missing["okta.userTypes.read"] {
			fmt.Fprintln(out, "  ⇒ without okta.userTypes.read CUSTOM_USER_TYPE is never named")
		}
	}
	fmt.Fprintln(out, store)
	return errors.Join(errs...)
}

// slackTokenError names the variable whose token Slack refused, or says the call
// failed for another reason.
func slackTokenError(variable, method string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
			return fmt.Errorf("slack: %s was refused by Slack (%s: %s)", variable, method, se.Err)
		case "not_allowed_token_type":
			if variable == "SLACK_APP_TOKEN" {
				return fmt.Errorf("slack: %s is not an app-level token with connections:write (%s: %s)", variable, method, se.Err)
			}
			return fmt.Errorf("slack: %s is not a bot token (%s: %s)", variable, method, se.Err)
		}
	}
	return fmt.Errorf("slack: %s could not be checked (%s: %v)", variable, method, err)
}
