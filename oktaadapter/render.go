package oktaadapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// RenderCalls implements remediation.CallRenderer: it renders an effect as the exact
// HTTP calls this adapter makes for it (method, path, JSON body), for the dry run shown
// to approvers. The bodies are built by the same functions the calls use, and a test
// per plan holds the rendering equal to what the simulated org receives.
func (c *Client) RenderCalls(ef remediation.Effect) ([]remediation.Call, error) {
	return RenderCalls(ef)
}

// RenderCalls is Client.RenderCalls without a client (the rendering needs none).
func RenderCalls(ef remediation.Effect) ([]remediation.Call, error) {
	call := func(method, path string, body any) ([]remediation.Call, error) {
		b, err := encodeBody(body)
		if err != nil {
			return nil, err
		}
		return []remediation.Call{{Method: method, Path: path, Body: b}}, nil
	}
	switch ef.Kind {
	case remediation.EffectReadAppUser:
		return call(http.MethodGet, appUserPath(ef.AppID, ef.UserID), nil)
	case remediation.EffectReadProvisioning:
		return call(http.MethodGet, featurePath(ef.AppID), nil)
	case remediation.EffectSetProvisioning:
		return call(http.MethodPut, featurePath(ef.AppID), capabilitiesObject(ef.Capabilities))
	case remediation.EffectSetScope:
		return call(http.MethodPost, appUserPath(ef.AppID, ef.UserID), scopeBody(ef.Scope))
	case remediation.EffectUnassign:
		return call(http.MethodDelete, appUserPath(ef.AppID, ef.UserID), nil)
	case remediation.EffectAssign:
		return call(http.MethodPost, "/api/v1/apps/"+seg(ef.AppID)+"/users", assignBody(ef.UserID))
	case remediation.EffectSetExternalID:
		return call(http.MethodPost, appUserPath(ef.AppID, ef.UserID), externalIDBody(ef.ExternalID))
	}
	return nil, fmt.Errorf("oktaadapter: no Okta call for the %s effect: %w", ef.Kind, remediation.ErrPermanent)
}

func appUserPath(appID, userID string) string {
	return "/api/v1/apps/" + seg(appID) + "/users/" + seg(userID)
}

func featurePath(appID string) string {
	return "/api/v1/apps/" + seg(appID) + "/features/" + featureProvisioning
}

// assignBody is the body of an individual assignment.
func assignBody(userID string) okta.AppUser {
	return okta.AppUser{Id: userID, Scope: remediation.ScopeUser}
}

// scopeBody converts an assignment to USER (individual) or GROUP.
func scopeBody(scope string) okta.AppUser { return okta.AppUser{Scope: scope} }

// externalIDBody writes the externalId; nil encodes as JSON null, which the SDK's
// AppUser (a string with omitempty) cannot send.
func externalIDBody(externalID *string) map[string]any {
	var v any
	if externalID != nil {
		v = *externalID
	}
	return map[string]any{"externalId": v}
}

// encodeBody encodes as the SDK's request executor does (no HTML escaping); "" for no
// body.
func encodeBody(body any) (string, error) {
	if body == nil {
		return "", nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return "", fmt.Errorf("oktaadapter: encoding a request body: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

var _ remediation.CallRenderer = (*Client)(nil)
