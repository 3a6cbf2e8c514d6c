package remediation

import "context"

// OktaWriter is what the engine needs from Okta: the reads to snapshot, check and
// verify, and the writes of the fixes (docs/background.md). Implementations translate errors into
// this package's sentinels (ErrTransient and ErrRateLimited are retried).
type OktaWriter interface {
	GetAppUser(ctx context.Context, appID, userID string) (AppUser, error)
	GetProvisioning(ctx context.Context, appID string) (Provisioning, error)
	ListAppGroups(ctx context.Context, appID string) ([]AppGroup, error)
	ListUserGroups(ctx context.Context, userID string) ([]Group, error)

	// AssignUser assigns the user to the app individually (scope USER).
	AssignUser(ctx context.Context, appID, userID string) (AppUser, error)
	// SetAppUserScope converts an assignment to USER (individual) or back to GROUP.
	SetAppUserScope(ctx context.Context, appID, userID, scope string) (AppUser, error)
	// SetExternalID writes the app user's externalId; nil sends JSON null. Okta
	// re-assigns an unassigned user on this call.
	SetExternalID(ctx context.Context, appID, userID string, externalID *string) (AppUser, error)
	// UnassignUser removes the assignment; ErrGroupScoped for a GROUP-scoped one.
	UnassignUser(ctx context.Context, appID, userID string) error
	// SetProvisioning writes USER_PROVISIONING's capabilities exactly as given.
	SetProvisioning(ctx context.Context, appID string, c Capabilities) (Provisioning, error)
}

// SaaSAccount is the user's account in the downstream SaaS (a Slack member).
type SaaSAccount struct {
	ID       string `json:"id"`
	UserName string `json:"user_name"`
	Email    string `json:"email,omitempty"`
	Active   bool   `json:"active"`
}

// SaaSDirectory is the SaaS side the Slack variant needs (Slack's SCIM API).
type SaaSDirectory interface {
	// FindAccount finds the account of an email address, active or not.
	FindAccount(ctx context.Context, email string) (SaaSAccount, error)
	GetAccount(ctx context.Context, id string) (SaaSAccount, error)
	// SetActive reactivates (true) or deactivates (false) the account.
	SetActive(ctx context.Context, id string, active bool) error
}

// Notifier hears about a run's progress, to tell people (the bot posts it in the
// request's thread). It must not block for long; errors are logged, not fatal: the
// audit trail is the record, notifications are a courtesy.
type Notifier interface {
	RunChanged(ctx context.Context, r Run, ev AuditEvent)
}
