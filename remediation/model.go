package remediation

import (
	"strings"
	"time"
)

// Okta user statuses that matter to provisioning.
const (
	UserActive        = "ACTIVE"
	UserSuspended     = "SUSPENDED"
	UserDeprovisioned = "DEPROVISIONED"
	UserStaged        = "STAGED"
	UserProvisioned   = "PROVISIONED"
	UserLockedOut     = "LOCKED_OUT"
	UserPasswordExp   = "PASSWORD_EXPIRED"
	UserRecovery      = "RECOVERY"
)

// App user sync states and scopes (DESIGN §3).
const (
	SyncDisabled     = "DISABLED"
	SyncError        = "ERROR"
	SyncOutOfSync    = "OUT_OF_SYNC"
	SyncSynchronized = "SYNCHRONIZED"
	SyncSyncing      = "SYNCING"

	ScopeUser  = "USER"
	ScopeGroup = "GROUP"
)

// Capability statuses of the Features API.
const (
	Enabled  = "ENABLED"
	Disabled = "DISABLED"
)

// User is an Okta user, reduced to what diagnosis and remediation need.
type User struct {
	ID          string    `json:"id"`
	Login       string    `json:"login"`
	Email       string    `json:"email,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Status      string    `json:"status"`
	TypeID      string    `json:"type_id,omitempty"`
	ManagerID   string    `json:"manager_id,omitempty"`
	Created     time.Time `json:"created,omitzero"`
}

// App is an Okta application instance.
type App struct {
	ID     string `json:"id"`
	Name   string `json:"name"` // the catalogue name, e.g. "slack"
	Label  string `json:"label"`
	Status string `json:"status,omitempty"`
	// SignOnMode, e.g. SAML_2_0: some custom-user-type caveats apply to SAML apps only.
	SignOnMode string `json:"sign_on_mode,omitempty"`
}

// AppUser is a user's assignment to an app, as Okta's app user resource holds it.
// ExternalID is empty when Okta holds null.
type AppUser struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	SyncState  string     `json:"sync_state"`
	Scope      string     `json:"scope"`
	ExternalID string     `json:"external_id"`
	LastSync   *time.Time `json:"last_sync,omitempty"`
	Updated    *time.Time `json:"last_updated,omitempty"`
}

// PasswordCapability is update.password of USER_PROVISIONING; Seed and Change are kept so
// a snapshot can be restored exactly.
type PasswordCapability struct {
	Status string `json:"status,omitempty"`
	Seed   string `json:"seed,omitempty"`
	Change string `json:"change,omitempty"`
}

// Capabilities is the capabilities object of the USER_PROVISIONING feature.
// An empty status means the capability is absent from Okta's answer.
type Capabilities struct {
	LifecycleCreate     string             `json:"lifecycle_create,omitempty"`
	Profile             string             `json:"profile,omitempty"`
	LifecycleDeactivate string             `json:"lifecycle_deactivate,omitempty"`
	Password            PasswordCapability `json:"password,omitzero"`
}

// Off returns c with every provisioning capability that acts on the SaaS side disabled
// (DESIGN §6: create.lifecycleCreate, update.profile, update.lifecycleDeactivate, and
// update.password when enabled). Absent capabilities stay absent.
func (c Capabilities) Off() Capabilities {
	off := func(s string) string {
		if s == "" {
			return ""
		}
		return Disabled
	}
	c.LifecycleCreate = off(c.LifecycleCreate)
	c.Profile = off(c.Profile)
	c.LifecycleDeactivate = off(c.LifecycleDeactivate)
	c.Password.Status = off(c.Password.Status)
	return c
}

// Pushing reports whether Okta pushes to the SaaS at all: creating or updating accounts.
func (c Capabilities) Pushing() bool {
	return c.LifecycleCreate == Enabled || c.Profile == Enabled
}

// Provisioning is the app's USER_PROVISIONING feature as the Features API shows it.
type Provisioning struct {
	Status       string       `json:"status"` // ENABLED or DISABLED
	Capabilities Capabilities `json:"capabilities"`
}

// LogTarget is one target of a System Log event.
type LogTarget struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternate_id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
}

// LogEvent is a System Log event, reduced to what a diagnosis cites.
type LogEvent struct {
	UUID           string      `json:"uuid"`
	Published      time.Time   `json:"published"`
	EventType      string      `json:"event_type"`
	DisplayMessage string      `json:"display_message,omitempty"`
	Severity       string      `json:"severity,omitempty"`
	Result         string      `json:"result,omitempty"` // SUCCESS, FAILURE, ...
	Reason         string      `json:"reason,omitempty"`
	TransactionID  string      `json:"transaction_id,omitempty"`
	Targets        []LogTarget `json:"targets,omitempty"`
}

// Message is the event's most specific text: the outcome reason if any, else the
// display message.
func (e LogEvent) Message() string {
	if e.Reason != "" {
		return e.Reason
	}
	return e.DisplayMessage
}

// HasTarget reports whether the event names id among its targets.
func (e LogEvent) HasTarget(id string) bool {
	for _, t := range e.Targets {
		if t.ID == id {
			return true
		}
	}
	return false
}

// LogQuery is a bounded System Log query. Empty fields are not filtered on.
// Until is always set by callers that want a bounded (non-polling) query.
type LogQuery struct {
	TargetIDs  []string // every id must be a target of the event
	EventTypes []string // prefixes, e.g. "application.provision.user."
	Outcome    string   // SUCCESS or FAILURE
	Since      time.Time
	Until      time.Time
	MaxEvents  int // stop paging after this many events; 0 means a sensible default
	// Or adds alternatives: an event matches when it matches TargetIDs and EventTypes,
	// or any of these (e.g. the user's provisioning events, or the integration events
	// of the app, which target the app and not the user). Outcome applies to all.
	Or []LogMatch
}

// Matches reports whether e matches the query's targets and event types (Outcome and
// the time bounds aside), as Okta's filter would: for fakes and for checking answers.
func (q LogQuery) Matches(e LogEvent) bool {
	if (LogMatch{TargetIDs: q.TargetIDs, EventTypes: q.EventTypes}).matches(e) {
		return true
	}
	for _, m := range q.Or {
		if m.matches(e) {
			return true
		}
	}
	return false
}

func (m LogMatch) matches(e LogEvent) bool {
	for _, id := range m.TargetIDs {
		if !e.HasTarget(id) {
			return false
		}
	}
	if len(m.EventTypes) == 0 {
		return true
	}
	for _, t := range m.EventTypes {
		if strings.HasPrefix(e.EventType, t) {
			return true
		}
	}
	return false
}

// LogMatch is one alternative of a LogQuery: every id must be a target of the event
// and its type must begin with one of the prefixes (empty: any).
type LogMatch struct {
	TargetIDs  []string
	EventTypes []string
}

// UserType is an Okta user type.
type UserType struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Default     bool   `json:"default"`
}

// GroupRule is an Okta group rule, reduced to what matters:
// whether it is active, its expression, and the groups it assigns.
type GroupRule struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Status     string   `json:"status"` // ACTIVE, INACTIVE, INVALID
	Expression string   `json:"expression,omitempty"`
	GroupIDs   []string `json:"group_ids"`
}

// Group is an Okta group.
type Group struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AppGroup is a group assigned to an app.
type AppGroup struct {
	GroupID  string `json:"group_id"`
	Priority int    `json:"priority"`
}

// Assignment is a user's app together with the assignment, as listed for the user.
type Assignment struct {
	App     App     `json:"app"`
	AppUser AppUser `json:"app_user"`
}
