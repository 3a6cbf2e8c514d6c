package oktaadapter

import (
	"context"
	"errors"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Permission is what one read-only probe found out about the token.
type Permission struct {
	Scope string // the OAuth scope (or admin permission) the call needs
	Call  string // the read-only call made
	// OK is true when Okta answered; Missing when it refused (401/403); otherwise the
	// probe could not tell (Err says why).
	OK, Missing bool
	Err         error
}

// Probe tries one read-only call per permission the bot needs and reports which the
// token has. Writes (okta.apps.manage) cannot be tried without changing something, so
// they are not probed.
func (c *Client) Probe(ctx context.Context) []Permission {
	until := c.cfg.Clock().UTC().Format(logTime)
	probes := []struct{ scope, path string }{
		{"okta.users.read", "/api/v1/users?limit=1"},
		{"okta.apps.read", "/api/v1/apps?limit=1"},
		{"okta.groups.read", "/api/v1/groups?limit=1"},
		{"okta.logs.read", "/api/v1/logs?limit=1&until=" + until + "&since=" + c.cfg.Clock().Add(-time.Minute).UTC().Format(logTime)},
		{"okta.userTypes.read", "/api/v1/meta/types/user"},
	}
	out := make([]Permission, len(probes))
	for i, p := range probes {
		var v any
		_, err := c.raw(ctx, "GET "+p.path, "GET", p.path, nil, &v)
		out[i] = Permission{Scope: p.scope, Call: "GET " + p.path, OK: err == nil, Err: err,
			Missing: errors.Is(err, remediation.ErrDenied)}
	}
	return out
}
