package remediation

import (
	"fmt"
	"strings"
	"time"
)

// Code names a finding (DESIGN §6). Stable: `diagnose --json` and the audit trail use it.
type Code string

// The findings catalogue.
const (
	StaleExternalID       Code = "STALE_EXTERNAL_ID"
	SaaSUserDeactivated   Code = "SAAS_USER_DEACTIVATED"
	GroupScopedAssignment Code = "GROUP_SCOPED_ASSIGNMENT"
	CustomUserType        Code = "CUSTOM_USER_TYPE"
	ProvisioningDisabled  Code = "PROVISIONING_DISABLED"
	FeaturesAPIUnsupport  Code = "FEATURES_API_UNSUPPORTED"
	NotAssigned           Code = "NOT_ASSIGNED"
	OktaUserNotActive     Code = "OKTA_USER_NOT_ACTIVE"
	SyncErrorOther        Code = "SYNC_ERROR_OTHER"
	Healthy               Code = "HEALTHY"

	// Beyond the seeds: the failures admins meet most (docs/troubleshooting.md).
	AppCredentialsInvalid          Code = "APP_CREDENTIALS_INVALID"
	MatchingUserNotFound           Code = "MATCHING_USER_NOT_FOUND"
	SaaSAccountConflict            Code = "SAAS_ACCOUNT_CONFLICT"
	AssignedBeforeProvisioning     Code = "ASSIGNED_BEFORE_PROVISIONING"
	AttributeRejected              Code = "ATTRIBUTE_REJECTED"
	SaaSRateLimited                Code = "SAAS_RATE_LIMITED"
	ProvisioningConnectionDisabled Code = "PROVISIONING_CONNECTION_DISABLED"
)

// Severity says how much a finding matters.
type Severity string

// Severities, most severe first.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Evidence kinds.
const (
	EvSystemLog    = "system_log"
	EvExternalID   = "external_id"
	EvSyncState    = "sync_state"
	EvScope        = "scope"
	EvProvisioning = "provisioning"
	EvUserStatus   = "user_status"
	EvUserType     = "user_type"
	EvGroupRule    = "group_rule"
	EvGroups       = "groups"
	EvAssignment   = "assignment"
	EvConnection   = "connection"
	EvAttribute    = "attribute"
	EvAffected     = "affected"
)

// Evidence is one fact a finding rests on, quoted from Okta.
type Evidence struct {
	Kind          string     `json:"kind"`
	Label         Text       `json:"label"`
	Value         string     `json:"value"`
	Note          Text       `json:"note,omitzero"`
	Time          *time.Time `json:"time,omitempty"`
	EventType     string     `json:"event_type,omitempty"`
	TransactionID string     `json:"transaction_id,omitempty"`
}

// Line renders the evidence as one line of text in locale l, e.g.
// "System Log 2026-11-20T10:00:00Z application.provision.user.push_profile FAILURE
// (transaction abc): Automatic profile push of …".
func (e Evidence) Line(l Locale) string {
	var b strings.Builder
	b.WriteString(e.Label.In(l))
	if e.Time != nil {
		b.WriteString(" " + e.Time.UTC().Format(time.RFC3339))
	}
	if e.EventType != "" {
		b.WriteString(" " + e.EventType)
	}
	if e.TransactionID != "" {
		if l == JA {
			b.WriteString(" (トランザクション " + e.TransactionID + ")")
		} else {
			b.WriteString(" (transaction " + e.TransactionID + ")")
		}
	}
	if e.Value != "" {
		b.WriteString(": " + e.Value)
	}
	if !e.Note.IsZero() {
		b.WriteString(" — " + e.Note.In(l))
	}
	return b.String()
}

// Finding is one named cause with its evidence and the plans that fix it.
type Finding struct {
	Code     Code       `json:"code"`
	Severity Severity   `json:"severity"`
	App      *App       `json:"app,omitempty"` // nil for findings about the user alone
	Summary  Text       `json:"summary"`
	Evidence []Evidence `json:"evidence"`
	Plans    []PlanID   `json:"plans"`
	// Advice is the next step when no plan applies, or what to know before running one.
	Advice Text `json:"advice,omitzero"`
	// Caveats are the known issues of custom user types that apply (CUSTOM_USER_TYPE).
	Caveats []Text `json:"caveats,omitempty"`
	// Runbook is the fix when it is a person's work in the Admin Console or at the
	// SaaS: the manual steps in order, each to be done and confirmed. Retry follows it.
	Runbook []Text `json:"runbook,omitempty"`
	// Retry is the plan that retries the user's provisioning once the runbook is done;
	// empty when Okta retries by itself or nothing is to be retried.
	Retry PlanID `json:"retry,omitempty"`
	// AppWide says the cause lies in the app's integration, not in this user: every
	// user of the app is affected, and fixing one user does nothing until it is fixed.
	AppWide bool `json:"app_wide,omitempty"`
}

func (f Finding) String() string {
	app := ""
	if f.App != nil {
		app = " [" + f.App.Label + "]"
	}
	return fmt.Sprintf("%s%s %s: %s", f.Code, app, f.Severity, f.Summary.EN)
}

// Diagnosis is the result of diagnosing a user (and one app, or all of the user's apps).
type Diagnosis struct {
	User     User      `json:"user"`
	App      *App      `json:"app,omitempty"` // the app asked about, if one was
	Apps     []App     `json:"apps"`          // every app checked
	Findings []Finding `json:"findings"`
	// Gaps are facts that could not be read (a permission missing, an endpoint failing):
	// the findings are drawn from what could be read and say so here.
	Gaps []Text    `json:"gaps,omitempty"`
	At   time.Time `json:"at"`
}

// Has reports whether the diagnosis holds a finding with code c.
func (d Diagnosis) Has(c Code) bool {
	for _, f := range d.Findings {
		if f.Code == c {
			return true
		}
	}
	return false
}

// Plans returns every plan the findings propose, in order of appearance, without repeats.
func (d Diagnosis) Plans() []PlanID {
	var out []PlanID
	seen := map[PlanID]bool{}
	for _, f := range d.Findings {
		for _, p := range f.Plans {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}
