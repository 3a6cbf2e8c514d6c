package remediation

import "testing"

// Wordings as admins paste them from the Tasks page and the System Log: Okta's message
// first, the SaaS's after it, with display names, quoted IDs and vendor phrasing.
func TestRecognize(t *testing.T) {
	const push = "Automatic profile push of alice@example.com to app Zoom failed: Error while trying to push profile update for alice@example.com: "
	const prov = "Automatic provisioning of user Hanako Sato to app Slack failed: Error while trying to create user hanako@example.com: "
	tests := []struct {
		msg       string
		code      Code
		extID     string
		attr, val string
	}{
		// STALE_EXTERNAL_ID: seed wording, display names, quotes, backticks, UUIDs.
		{msg: push + "No user returned for user 8dFq2xZ", code: StaleExternalID, extID: "8dFq2xZ"},
		{msg: "No user returned for user 00abc.", code: StaleExternalID, extID: "00abc"},
		// Zoom's IDs are base64url: they may begin with - or _.
		{msg: push + "No user returned for user -Xlp0lqFzIOUoryVfioUOl", code: StaleExternalID, extID: "-Xlp0lqFzIOUoryVfioUOl"},
		{msg: push + "No user returned for user _Xlp0lq", code: StaleExternalID, extID: "_Xlp0lq"},
		{msg: "No user returned for user  U123 ; x", code: StaleExternalID, extID: "U123"},
		{msg: "Automatic profile push of Alice Sato to app Zoom failed: Error while trying to push profile update for Alice Sato: no user returned for user 'b1f0c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'", code: StaleExternalID, extID: "b1f0c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
		{msg: "Automatic profile push of Ken Mori to app AWS IAM Identity Center failed: Error while trying to push profile update for ken@example.com: No user returned for user `9067729b3d-1a2b3c4d-5e6f`.", code: StaleExternalID, extID: "9067729b3d-1a2b3c4d-5e6f"},
		{msg: push + `No user returned for user "U0ABCDEF12" (status 404)`, code: StaleExternalID, extID: "U0ABCDEF12"},
		{msg: push + "NO USER RETURNED FOR USER with id: 1234567890", code: StaleExternalID, extID: "1234567890"},
		// Zoom's base64url IDs hold '_' and '-', and may begin with either.
		{msg: push + "No user returned for user aB3_dE-fGhIjKlMnOpQrSt", code: StaleExternalID, extID: "aB3_dE-fGhIjKlMnOpQrSt"},
		{msg: push + "No user returned for user _x9KqLmN-pQrStUvWxYz01", code: StaleExternalID, extID: "_x9KqLmN-pQrStUvWxYz01"},

		// SAAS_USER_DEACTIVATED.
		{msg: push + "User account is inactive", code: SaaSUserDeactivated},
		{msg: "Automatic provisioning of Bob Suzuki to app Slack failed: user account is inactive.", code: SaaSUserDeactivated},
		{msg: prov + "The user account is deactivated (account_state=disabled)", code: SaaSUserDeactivated},
		{msg: push + "Authentication failed: the service account svc-okta is disabled", code: AppCredentialsInvalid},
		{msg: push + "The service account is disabled", code: AppCredentialsInvalid},
		{msg: push + "Slack API error: missing_scope (needed: admin)", code: AppCredentialsInvalid},

		// ASSIGNED_BEFORE_PROVISIONING: the whole sentence is Okta's own.
		{msg: "User was assigned this application before Provisioning was enabled and not provisioned in the downstream application. Please click on the \"Provision User\" button to provision this user.", code: AssignedBeforeProvisioning},
		{msg: "Automatic provisioning of Taro Yamada to app Box failed: user was assigned this app before provisioning was enabled", code: AssignedBeforeProvisioning},

		// MATCHING_USER_NOT_FOUND.
		{msg: "Automatic provisioning of user Kenji Mori to app Expensify failed: Matching user not found.", code: MatchingUserNotFound},
		{msg: "Automatic profile push of kenji@example.com to app Concur failed: Error while trying to push profile update for kenji@example.com: MATCHING USER NOT FOUND", code: MatchingUserNotFound},
		{msg: "Import matching failed: no matching user for kenji@example.com", code: MatchingUserNotFound},

		// APP_CREDENTIALS_INVALID.
		{msg: push + "The credentials used to connect to the API were invalid.", code: AppCredentialsInvalid},
		{msg: prov + "Unauthorized (401): Token is invalid or expired", code: AppCredentialsInvalid},
		{msg: "Automatic provisioning of user Mei Ito to app Atlassian Cloud failed: Error while trying to create user mei@example.com: Invalid SCIM token", code: AppCredentialsInvalid},
		{msg: prov + "Slack API error: invalid_auth", code: AppCredentialsInvalid},
		{msg: prov + "HTTP 401 returned by https://api.example.com/scim/v2/Users", code: AppCredentialsInvalid},
		{msg: push + "Authentication failed for the service account svc-okta@example.com", code: AppCredentialsInvalid},
		{msg: push + "Error: token_revoked", code: AppCredentialsInvalid},

		// SAAS_RATE_LIMITED.
		{msg: push + "Rate Limit Exceeded", code: SaaSRateLimited},
		{msg: prov + "HTTP 429 Too Many Requests: retry after 60 seconds", code: SaaSRateLimited},
		{msg: push + "Request was throttled. Expected available in 38 seconds.", code: SaaSRateLimited},
		{msg: push + "{\"ok\":false,\"error\":\"ratelimited\"}", code: SaaSRateLimited},

		// SAAS_ACCOUNT_CONFLICT.
		{msg: prov + "Conflict. Errors reported by remote server: A user with email hanako@example.com already exists.", code: SaaSAccountConflict},
		{msg: prov + "userName 'hanako@example.com' already exists", code: SaaSAccountConflict},
		{msg: prov + "The email address is already in use by another account", code: SaaSAccountConflict},
		{msg: prov + `{"Errors":{"description":"email_taken","code":409}}`, code: SaaSAccountConflict},
		{msg: prov + `409: {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"uniqueness","detail":"User exists"}`, code: SaaSAccountConflict},

		// ATTRIBUTE_REJECTED, with the attribute and, where quoted, the value.
		{msg: push + "Invalid value specified for property 'usageLocation' of resource 'User'.", code: AttributeRejected, attr: "usageLocation"},
		{msg: push + `VALIDATION_ERROR: "phoneNumber" with value "+81 3-1234" fails to match the required pattern`, code: AttributeRejected, attr: "phoneNumber", val: "+81 3-1234"},
		{msg: push + "Property `department` (value 'Sales & Marketing') is invalid", code: AttributeRejected, attr: "department", val: "Sales & Marketing"},
		{msg: push + "Invalid value 'Tokyo HQ' for attribute 'officeLocation'", code: AttributeRejected, attr: "officeLocation", val: "Tokyo HQ"},
		{msg: push + "invalid data type for attribute costCenter", code: AttributeRejected, attr: "costCenter"},
		{msg: push + "Validation error: title: must be a string of at most 64 characters", code: AttributeRejected, attr: "title"},
		{msg: push + "Invalid value", code: AttributeRejected},
	}
	for _, tt := range tests {
		m, ok := Recognize(tt.msg)
		if !ok || m.Code != tt.code {
			t.Errorf("Recognize(%q) = %v, %v; want %v", tt.msg, m.Code, ok, tt.code)
			continue
		}
		if m.ExternalID != tt.extID || m.Attribute != tt.attr || m.Value != tt.val {
			t.Errorf("Recognize(%q) = id %q attr %q value %q; want %q %q %q", tt.msg, m.ExternalID, m.Attribute, m.Value, tt.extID, tt.attr, tt.val)
		}
	}
}

// Names in Okta's own part of a message must not be taken for a cause.
func TestRecognizeIgnoresOktaPart(t *testing.T) {
	for _, msg := range []string{
		"",
		"No user returned for user",
		"Push user's profile to external application",
		"Automatic profile push of conflict.team@example.com to app Room 401 Booking failed: Error while trying to push profile update for conflict.team@example.com: Something unexpected happened",
		"Automatic provisioning of user Rate Limit Tester to app Wiki failed: Internal Server Error",
	} {
		if m, ok := Recognize(msg); ok {
			t.Errorf("Recognize(%q) = %v, want nothing", msg, m.Code)
		}
	}
}

func TestRecognizeEvent(t *testing.T) {
	// The reason says only that the push failed; the display message has the SaaS's words.
	e := LogEvent{Reason: "Automatic profile push of Mei Ito to app Box failed",
		DisplayMessage: "Push user's profile to external application: The credentials used to connect to the API were invalid."}
	if m, ok := RecognizeEvent(e); !ok || m.Code != AppCredentialsInvalid {
		t.Errorf("from displayMessage: %v %v", m.Code, ok)
	}
	if got := failureMessage(e); got != e.DisplayMessage+" ("+e.Reason+")" {
		t.Errorf("failureMessage = %q", got)
	}
	// Only a display message.
	e = LogEvent{DisplayMessage: "Automatic provisioning of user Mei Ito to app Box failed: Rate limit exceeded"}
	if m, ok := RecognizeEvent(e); !ok || m.Code != SaaSRateLimited {
		t.Errorf("displayMessage only: %v %v", m.Code, ok)
	}
	// The reason wins when both say something.
	e = LogEvent{Reason: "No user returned for user X1", DisplayMessage: "Rate limit exceeded"}
	if m, ok := RecognizeEvent(e); !ok || m.Code != StaleExternalID {
		t.Errorf("reason first: %v %v", m.Code, ok)
	}
}
