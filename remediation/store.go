package remediation

import (
	"context"
	"time"
)

// The store is split by consumer: the engine needs runs, locks and audit appends
// (EngineStore); the use cases need run reads and the audit trail (CaseStore); the bot
// declares its own narrow interfaces (dedupe, rate-limit hits, the outbox cursor).
// Store is the union, which storage implements in full (Redis and the embedded
// in-memory store) and one contract test suite holds to the same behaviour.

// RunReader reads runs.
type RunReader interface {
	// GetRun reads a run; ErrNotFound if there is none.
	GetRun(ctx context.Context, id string) (Run, error)
	// ListRuns returns the runs matching f, newest first.
	ListRuns(ctx context.Context, f RunFilter) ([]Run, error)
}

// RunStore keeps runs.
type RunStore interface {
	RunReader
	// CreateRun saves a new run with Version 1 (it sets r.Version) and appends events to
	// the audit trail in the same atomic write. ErrConflict if the ID exists.
	CreateRun(ctx context.Context, r *Run, events ...AuditEvent) error
	// UpdateRun writes r only if the stored version still equals r.Version, then sets
	// r.Version to the next version; events are appended to the audit trail in the same
	// atomic write. ErrConflict when someone else wrote first (re-read and retry);
	// ErrNotFound when the run does not exist.
	UpdateRun(ctx context.Context, r *Run, events ...AuditEvent) error
}

// Locker holds named locks shared by replicas.
type Locker interface {
	// Lock takes the named lock for owner for ttl. Taking a lock one already holds
	// extends it. When another owner holds it, it returns that owner and ErrConflict.
	Lock(ctx context.Context, key, owner string, ttl time.Duration) (holder string, err error)
	// Unlock releases the lock only if owner holds it (compare-and-delete); releasing a
	// lock one does not hold is not an error and changes nothing.
	Unlock(ctx context.Context, key, owner string) error
}

// AuditAppender adds events that change no run (a diagnosis, a lookup, a refusal) to
// the audit trail.
type AuditAppender interface {
	Append(ctx context.Context, events ...AuditEvent) error
}

// AuditReader reads the audit trail.
type AuditReader interface {
	// Audit reads the trail, oldest first, from entries at or after since; limit ≤ 0
	// means all.
	Audit(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error)
}

// EngineStore is what the engine needs: runs, locks and audit appends.
type EngineStore interface {
	RunStore
	Locker
	AuditAppender
}

// CaseStore is what the use cases (UseCases) need: run reads, the audit trail, and the
// diagnoses just shown, kept for the propose click.
type CaseStore interface {
	RunReader
	AuditAppender
	AuditReader
	AuditSearcher
	DiagnosisCache
}

// Store keeps runs, locks, dedupe keys and the audit trail: every port above in one.
type Store interface {
	EngineStore
	CaseStore
	IncidentStore

	// Once reports whether key is seen for the first time within ttl (dedupe of clicks,
	// envelopes and retries across replicas). Only one caller gets true.
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)

	// Hit counts one event against a fixed window: it returns how many events the key
	// has seen in the current window (this one included) and how long until the window
	// ends. Shared across replicas: it backs the command rate limits.
	Hit(ctx context.Context, key string, window time.Duration) (count int, resetIn time.Duration, err error)

	// AuditHead returns the hash of the newest entry as the store recorded it when
	// appending ("" for an empty trail), kept apart from the entries so that removing
	// the newest ones shows (audit export checks it).
	AuditHead(ctx context.Context) (string, error)

	// Cursor reads a named position (e.g. the last audit entry posted to Slack); "" if
	// none was saved. SetCursor saves it.
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error
}

// AuditSearcher reads the newest entries about one subject.
type AuditSearcher interface {
	// AuditFor returns the newest q.Limit entries about one subject, oldest first,
	// reading back from the newest entry no further than q.Since (what /okta-audit
	// needs, without reading the whole retention period).
	AuditFor(ctx context.Context, q AuditFilter) ([]AuditEntry, error)
}

// AuditFilter selects audit entries about one subject; empty fields match everything.
type AuditFilter struct {
	UserID, AppID, RunID string
	// Since: entries before it are not read (zero: back to the oldest kept).
	Since time.Time
	// Limit is how many of the newest matching entries to return (≤ 0: 20).
	Limit int
}

// Matches reports whether e is about q's subject.
func (q AuditFilter) Matches(e AuditEvent) bool {
	return (q.UserID == "" || e.UserID == q.UserID) && (q.AppID == "" || e.AppID == q.AppID) &&
		(q.RunID == "" || e.RunID == q.RunID)
}

// Max is the number of entries q asks for.
func (q AuditFilter) Max() int {
	if q.Limit <= 0 {
		return 20
	}
	return q.Limit
}

// RunFilter selects runs; empty fields match everything.
type RunFilter struct {
	UserID string
	AppID  string
	States []RunState
	Limit  int // ≤ 0: no limit
}

// Task is a unit of scheduled work on a run.
type Task struct {
	Kind  TaskKind  `json:"kind"`
	RunID string    `json:"run_id"`
	Due   time.Time `json:"due"`
}

// TaskKind says what a task does.
type TaskKind string

// The task kinds.
const (
	TaskAdvance TaskKind = "advance" // run the next step(s) of a run
	TaskExpire  TaskKind = "expire"  // expire an approval request that reached its expiry
	TaskVerify  TaskKind = "verify"  // poll whether the fix took effect
)

// Scheduler is durable scheduled work. A task is identified by (Kind, RunID): scheduling
// it again replaces its due time. Claim hands each due task to exactly one caller,
// across replicas; a claimed task that is not finished is found again by the engine's
// sweep of runs whose lease lapsed, so a crash after Claim loses nothing.
type Scheduler interface {
	Schedule(ctx context.Context, t Task) error
	Cancel(ctx context.Context, kind TaskKind, runID string) error
	// Claim removes and returns up to max tasks due at or before now.
	Claim(ctx context.Context, now time.Time, max int) ([]Task, error)
}
