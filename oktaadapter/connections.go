package oktaadapter

import (
	"context"
	"errors"
	"net/http"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// connectionResponse is Okta's ProvisioningConnectionResponse, reduced to what the
// diagnosis reads. okta-sdk-golang v2 has no type for it, so it is read through the
// SDK's request executor.
type connectionResponse struct {
	AuthScheme string `json:"authScheme"`
	Status     string `json:"status"`
	Profile    struct {
		AuthScheme string `json:"authScheme"`
	} `json:"profile"`
}

// GetConnection reads the app's default provisioning connection. An app without one
// (404 / E0000007, or 400 for an app type without the endpoint) is not an error: its
// status is UNKNOWN, as Okta itself says for apps whose provisioning it cannot tell.
// A 404 because the app itself is gone stays remediation.ErrNotFound, and 401, 403,
// 429 and 5xx stay the errors they are.
func (c *Client) GetConnection(ctx context.Context, appID string) (remediation.Connection, error) {
	const op = "GET /api/v1/apps/{appId}/connections/default"
	if err := checkID(op, "app ID", appID); err != nil {
		return remediation.Connection{}, err
	}
	var body connectionResponse
	_, err := c.raw(ctx, op, http.MethodGet, "/api/v1/apps/"+seg(appID)+"/connections/default", nil, &body)
	if err != nil {
		var re *remediation.RemoteError
		if !errors.As(err, &re) {
			return remediation.Connection{}, err
		}
		switch {
		case re.Status == http.StatusBadRequest:
		case re.Status == http.StatusNotFound:
			// As with the Features API, only the app can tell "no connection" from "no app".
			if _, aerr := c.getApp(ctx, appID); aerr != nil {
				return remediation.Connection{}, err
			}
		default:
			return remediation.Connection{}, err
		}
		return remediation.Connection{Status: remediation.ConnectionUnknown}, nil
	}
	conn := remediation.Connection{Status: body.Status, AuthScheme: body.Profile.AuthScheme}
	if conn.AuthScheme == "" {
		conn.AuthScheme = body.AuthScheme
	}
	switch conn.Status {
	case remediation.Enabled, remediation.Disabled:
	default:
		// Okta's default is DISABLED, but an answer without a status tells nothing.
		conn.Status = remediation.ConnectionUnknown
	}
	return conn, nil
}
