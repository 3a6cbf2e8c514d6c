package slackadmin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// activeBody is the PatchOp that sets a member's `active`.
func activeBody(active bool) patchOp {
	return patchOp{
		Schemas:    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		Operations: []patchOpItem{{Op: "replace", Path: "active", Value: active}},
	}
}

// RenderCalls implements remediation.CallRenderer: the exact SCIM request SetActive
// sends for a set_account_active effect (the path under the configured base URL), for
// the dry run shown to approvers.
func (c *SCIM) RenderCalls(ef remediation.Effect) ([]remediation.Call, error) {
	if ef.Kind != remediation.EffectSetAccountActive {
		return nil, fmt.Errorf("slackadmin: no SCIM call for the %s effect: %w", ef.Kind, remediation.ErrPermanent)
	}
	body, err := json.Marshal(activeBody(ef.Active))
	if err != nil {
		return nil, fmt.Errorf("slackadmin: encoding PatchOp: %w", err)
	}
	path := c.base.EscapedPath() + "Users/" + url.PathEscape(ef.AccountID) // as do() joins them
	return []remediation.Call{{Method: http.MethodPatch, Path: path, Body: string(body)}}, nil
}

var _ remediation.CallRenderer = (*SCIM)(nil)
