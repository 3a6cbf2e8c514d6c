package slackadmin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Directory resolves Slack members and emails with the Web API (users.lookupByEmail,
// users.info) through slack-go. The bot token needs users:read and users:read.email.
// Retries are not done here: slack-go's OptionRetry, or the caller, decides.
type Directory struct {
	api *slack.Client
}

// NewDirectory wraps a slack-go client (e.g. slack.New(botToken,
// slack.OptionAPIURL(apiURL))).
func NewDirectory(client *slack.Client) *Directory {
	return &Directory{api: client}
}

// LookupByEmail returns the member ID of the workspace member with this email
// (users.lookupByEmail); ErrNotFound when there is none. Slack may not find a
// deactivated member this way: SCIM.FindAccount does.
func (d *Directory) LookupByEmail(ctx context.Context, email string) (string, error) {
	const op = "users.lookupByEmail"
	if email == "" {
		return "", &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: "empty email"}
	}
	u, err := d.api.GetUserByEmailContext(ctx, email)
	if err != nil {
		return "", webAPIError(op, err)
	}
	return u.ID, nil
}

// UserEmail returns the email of a member (users.info, profile.email); ErrNotFound
// when the member does not exist or shows no email (a bot, or a token without
// users:read.email).
func (d *Directory) UserEmail(ctx context.Context, memberID string) (string, error) {
	const op = "users.info"
	if memberID == "" {
		return "", &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: "empty member ID"}
	}
	u, err := d.api.GetUserInfoContext(ctx, memberID)
	if err != nil {
		return "", webAPIError(op, err)
	}
	if u.Profile.Email == "" {
		return "", &remediation.RemoteError{Kind: remediation.ErrNotFound, Op: op,
			Summary: fmt.Sprintf("member %s shows no email (a bot, or the token lacks users:read.email)", memberID)}
	}
	return u.Profile.Email, nil
}

// GroupMembers lists the members of a user group (usergroups.users.list), so approver
// sets may name user groups (remediation.GroupResolver).
func (d *Directory) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	const op = "usergroups.users.list"
	if groupID == "" {
		return nil, &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: "empty user group ID"}
	}
	members, err := d.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		return nil, webAPIError(op, err)
	}
	return members, nil
}

// webAPIError translates a slack-go error into a *remediation.RemoteError.
func webAPIError(op string, err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &remediation.RemoteError{Kind: remediation.ErrRateLimited, Op: op, Status: http.StatusTooManyRequests,
			Summary: fmt.Sprintf("retry after %s", rl.RetryAfter), Err: err}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		re := &remediation.RemoteError{Kind: kindForWebAPIError(se.Err), Op: op, Code: se.Err}
		if se.Needed != "" {
			re.Summary = "needs scope " + se.Needed
		}
		return re
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		kind := kindForStatus(sc.Code)
		if sc.Code == http.StatusNotFound {
			kind = remediation.ErrPermanent // a wrong API URL, not a missing user
		}
		return &remediation.RemoteError{Kind: kind, Op: op, Status: sc.Code, Err: err}
	}
	// Transport errors: timeouts, refused connections, a cancelled context.
	return &remediation.RemoteError{Kind: remediation.ErrTransient, Op: op, Err: err}
}

// kindForWebAPIError maps the Web API's "error" codes (ok:false answers, HTTP 200).
func kindForWebAPIError(code string) error {
	switch code {
	case "users_not_found", "user_not_found":
		return remediation.ErrNotFound
	case "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired",
		"no_permission", "missing_scope", "not_allowed_token_type", "access_denied",
		"ekm_access_denied", "team_access_not_granted", "org_login_required":
		return remediation.ErrDenied
	case "ratelimited", "rate_limited":
		return remediation.ErrRateLimited
	case "fatal_error", "internal_error", "service_unavailable", "request_timeout":
		return remediation.ErrTransient
	default:
		return remediation.ErrPermanent
	}
}
