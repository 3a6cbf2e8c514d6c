package remediation

import (
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strings"
	"time"
)

// RunState is where a run is in its life: a run is saved awaiting approval, then
// approved → running → verifying → succeeded, or ends rejected | expired | cancelled |
// failed | compensated.
type RunState string

// The run states.
const (
	StateAwaitingApproval RunState = "awaiting_approval"
	StateApproved         RunState = "approved"
	StateRunning          RunState = "running"
	StateVerifying        RunState = "verifying"
	StateSucceeded        RunState = "succeeded"
	StateRejected         RunState = "rejected"
	StateExpired          RunState = "expired"
	StateCancelled        RunState = "cancelled"
	StateFailed           RunState = "failed"
	StateCompensated      RunState = "compensated"
)

// Terminal reports whether nothing more happens to a run in state s.
func (s RunState) Terminal() bool {
	switch s {
	case StateSucceeded, StateRejected, StateExpired, StateCancelled, StateFailed, StateCompensated:
		return true
	}
	return false
}

// StepStatus is where one step of a run is.
type StepStatus string

// The step statuses.
const (
	StepPending     StepStatus = "pending"
	StepRunning     StepStatus = "running"      // persisted before Do: a crash here means "check, then maybe redo"
	StepWaiting     StepStatus = "waiting"      // a manual step waiting for its person to confirm
	StepUndoWaiting StepStatus = "undo_waiting" // a manual step's undo waiting for its person
	StepDone        StepStatus = "done"
	StepSkipped     StepStatus = "skipped" // Check said it was already done
	StepFailed      StepStatus = "failed"
	StepCompensated StepStatus = "compensated"
)

// Target is the (user, app) a run acts on.
type Target struct {
	UserID    string `json:"user_id"`
	UserLogin string `json:"user_login"`
	AppID     string `json:"app_id"`
	AppLabel  string `json:"app_label"`
	AppName   string `json:"app_name"`
}

// Snapshot is the Okta state a plan was built from and approved against. Just before
// executing, the engine reads it again; if it changed, the run is re-planned.
type Snapshot struct {
	AppUser AppUser `json:"app_user"`
	// Provisioning is nil when the app has no Features API (the switch is manual).
	Provisioning *Provisioning `json:"provisioning,omitempty"`
	// StaleExternalID is the externalId Okta held when the plan was made: the one the
	// failure quotes ("No user returned for user …").
	StaleExternalID string `json:"stale_external_id,omitempty"`
	// SaaSUserID is the account to relink (the Slack member ID) for relink_saas_user.
	SaaSUserID string `json:"saas_user_id,omitempty"`
	// RegroupIDs are the app's groups that hold the user: a group-scoped assignment
	// returns to GROUP scope afterwards only if one exists.
	RegroupIDs []string  `json:"regroup_ids,omitempty"`
	ReadAt     time.Time `json:"read_at"`
}

// StepRecord is the persisted progress of one step.
type StepRecord struct {
	Kind        StepKind   `json:"kind"`
	Status      StepStatus `json:"status"`
	Attempts    int        `json:"attempts,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	AssignedTo  string     `json:"assigned_to,omitempty"`  // manual steps: who is asked
	ConfirmedBy string     `json:"confirmed_by,omitempty"` // manual steps: who confirmed
	// Calls are the exact HTTP calls of the step as its adapter rendered them when the
	// plan was made (the dry run); none for a manual step.
	Calls []Call `json:"calls,omitempty"`
	// Instructions is what a person does for a runbook step (StepRunbook): the manual
	// steps of the finding, one per step.
	Instructions Text `json:"instructions,omitzero"`
}

// Decision is one approval or rejection, recorded with who, when and why.
type Decision struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Approve bool      `json:"approve"`
	Reason  string    `json:"reason,omitempty"`
}

// Origin is where a run was asked for, so progress can be posted there.
type Origin struct {
	Channel  string `json:"channel,omitempty"`
	ThreadTS string `json:"thread_ts,omitempty"` // the approval request message
	Locale   Locale `json:"locale,omitempty"`
}

// Run is one remediation: a plan on a target, its approvals, steps and outcome.
// Version is the compare-and-swap guard: every write must present the version it read.
type Run struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	Plan    PlanID `json:"plan"`
	Target  Target `json:"target"`
	Finding Code   `json:"finding,omitempty"`
	// AppWide says the cause lies in the app's integration (every user of the app is
	// affected): the retry helps only once the runbook's steps fixed the integration.
	AppWide   bool   `json:"app_wide,omitempty"`
	Requester string `json:"requester"`
	// AffectedSlackUser is the affected user's Slack ID when known: they may not approve.
	AffectedSlackUser string `json:"affected_slack_user,omitempty"`
	Origin            Origin `json:"origin"`

	State    RunState     `json:"state"`
	Snapshot Snapshot     `json:"snapshot"`
	Steps    []StepRecord `json:"steps"`
	// Cursor is the index of the next step to run (or, while compensating, to undo).
	Cursor int `json:"cursor"`

	Approvers []string   `json:"approvers"` // who may approve (user and user-group IDs)
	Quorum    int        `json:"quorum"`
	Decisions []Decision `json:"decisions,omitempty"`
	ExpiresAt time.Time  `json:"expires_at"`

	// Owner and LeaseUntil say which engine works the run; a lease past its time means
	// its owner died and another may take the run over.
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`

	// ProvisioningPaused is true between "provisioning off" and its restore: the
	// app-level lock is held and the restore must happen whatever else does.
	ProvisioningPaused bool `json:"provisioning_paused,omitempty"`
	// Compensating is true once the run undoes its done steps (a failure or a cancel);
	// Cursor then walks backwards.
	Compensating bool `json:"compensating,omitempty"`
	// CancelRequested asks the engine to stop at the next step boundary and undo.
	CancelRequested bool `json:"cancel_requested,omitempty"`
	// QueuedBehind names the run holding the app's provisioning pause while this one waits.
	QueuedBehind string `json:"queued_behind,omitempty"`
	// RetryAt is when a run that waits to try again (a back-off) is due: the sweep
	// leaves it alone until then.
	RetryAt time.Time `json:"retry_at,omitzero"`
	// OwedSince is set when an undo or a restore of provisioning failed for a reason
	// retrying may not cure (a revoked token): the run stays open, retried with
	// back-off until it works or a person marks it handled (Engine.MarkHandled).
	OwedSince time.Time `json:"owed_since,omitzero"`
	// RemindedAt is when the people the run waits for were last reminded (remind.go).
	RemindedAt time.Time `json:"reminded_at,omitzero"`
	// Alert is the loud message of a run that needs people: what is left off or
	// unassigned and how to put it back by hand.
	Alert          Text      `json:"alert,omitzero"`
	VerifyDeadline time.Time `json:"verify_deadline,omitzero"`
	Outcome        Text      `json:"outcome,omitzero"`
	Error          string    `json:"error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// NewRunID returns a new run ID, "run-" and 16 base32 characters.
func NewRunID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "run-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// PairKey names the (user, app) lock: one active run per pair.
func PairKey(userID, appID string) string { return "pair:" + userID + ":" + appID }

// AppPauseKey names the app-level lock held while provisioning is paused.
func AppPauseKey(appID string) string { return "pause:" + appID }

// StepKind names what a step does; the plans are sequences of them.
type StepKind string

// Clone returns a copy of r that shares no memory with it, for handing a run to
// someone (a notifier) while the engine keeps working on the original.
func (r Run) Clone() Run {
	r.Steps = slices.Clone(r.Steps)
	r.Decisions = slices.Clone(r.Decisions)
	r.Approvers = slices.Clone(r.Approvers)
	r.Snapshot.RegroupIDs = slices.Clone(r.Snapshot.RegroupIDs)
	for i := range r.Steps {
		r.Steps[i].Calls = slices.Clone(r.Steps[i].Calls)
	}
	if p := r.Snapshot.Provisioning; p != nil {
		cp := *p
		r.Snapshot.Provisioning = &cp
	}
	for i, s := range r.Steps {
		// StartedAt and EndedAt point at times the engine replaces, never mutates, but
		// copy them anyway so a receiver may keep them.
		if s.StartedAt != nil {
			v := *s.StartedAt
			r.Steps[i].StartedAt = &v
		}
		if s.EndedAt != nil {
			v := *s.EndedAt
			r.Steps[i].EndedAt = &v
		}
	}
	return r
}
