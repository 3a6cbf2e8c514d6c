package remediation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Incident is many users of one app failing for one cause, gathered by the System Log
// watcher or by a scan of the app, so that one alert shows them and one approval fixes
// them all (a bulk run). The watcher keeps one open incident per (app, finding code):
// new users join it and its alert message is updated, never posted again.
type Incident struct {
	ID   string `json:"id"`
	App  App    `json:"app"`
	Code Code   `json:"code"`
	// Plan is the plan every listed user shares (the bulk fix), "" when there is none.
	Plan PlanID `json:"plan,omitempty"`
	// AppWide: the cause is the app's (refused credentials, a disabled connection), so
	// the incident is the app's, with its runbook, not one alert per user.
	AppWide bool           `json:"app_wide,omitempty"`
	Users   []IncidentUser `json:"users"`
	// Source says who found it: IncidentFromWatch or IncidentFromScan.
	Source    string    `json:"source"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// RunID is the bulk run proposed for these users. From then on the incident is
	// closed: later failures of the app and code open a new one, so a fixed incident
	// does not offer its users again.
	RunID string `json:"run_id,omitempty"`
	// Channel and MessageTS locate the alert message that is updated as users join.
	Channel   string `json:"channel,omitempty"`
	MessageTS string `json:"message_ts,omitempty"`
	// Version is the store's compare-and-swap version (as Run.Version).
	Version int64 `json:"version"`
}

// Where an incident was found.
const (
	IncidentFromWatch = "watch"
	IncidentFromScan  = "scan"
)

// IncidentUser is one affected user of an incident.
type IncidentUser struct {
	ID    string `json:"id"`
	Login string `json:"login"`
	// Email is the user's Okta email when the finder read it ("" otherwise: a System
	// Log event names the login only). A bulk run keeps it to refuse a user approving
	// the fix of their own account.
	Email string   `json:"email,omitempty"`
	Plans []PlanID `json:"plans,omitempty"`
	// SeenAt is when the failure happened (the System Log event's time) or was found.
	SeenAt time.Time `json:"seen_at"`
}

// HasUser reports whether the user is already listed.
func (in *Incident) HasUser(id string) bool {
	for _, u := range in.Users {
		if u.ID == id {
			return true
		}
	}
	return false
}

// IncidentID names an incident: the same app, code and opening key always give the
// same ID, so two replicas that open "the same" incident meet on one record
// (CreateIncident then answers ErrConflict to the second). opening distinguishes a
// later incident of the same (app, code) from an earlier, closed one.
func IncidentID(appID string, code Code, opening string) string {
	h := sha256.Sum256([]byte(appID + "\x00" + string(code) + "\x00" + opening))
	return "inc-" + hex.EncodeToString(h[:8])
}

// IncidentStore keeps incidents, shared by replicas.
type IncidentStore interface {
	// CreateIncident saves a new incident with Version 1 (it sets in.Version);
	// ErrConflict if the ID exists.
	CreateIncident(ctx context.Context, in *Incident) error
	// GetIncident reads an incident; ErrNotFound if there is none (or it was trimmed).
	GetIncident(ctx context.Context, id string) (Incident, error)
	// UpdateIncident writes in only if the stored version still equals in.Version, then
	// sets in.Version to the next; ErrConflict when someone else wrote first.
	UpdateIncident(ctx context.Context, in *Incident) error
}
