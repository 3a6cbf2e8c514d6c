package remediation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AuditType names what happened.
type AuditType string

// The audit event types.
const (
	AuditDiagnosed   AuditType = "diagnosed"
	AuditProposed    AuditType = "proposed"
	AuditApproved    AuditType = "approved"
	AuditRejected    AuditType = "rejected"
	AuditExpired     AuditType = "expired"
	AuditCancelled   AuditType = "cancelled"
	AuditReplanned   AuditType = "replanned"
	AuditStepStarted AuditType = "step_started"
	AuditStepDone    AuditType = "step_done"
	AuditStepSkipped AuditType = "step_skipped"
	AuditStepFailed  AuditType = "step_failed"
	AuditStepWaiting AuditType = "step_waiting"
	AuditConfirmed   AuditType = "step_confirmed"
	AuditCompensated AuditType = "compensated"
	AuditVerified    AuditType = "verified"
	AuditFailed      AuditType = "failed"
	AuditQueued      AuditType = "queued"
	AuditResumed     AuditType = "resumed"
	AuditLookup      AuditType = "lookup"
	AuditRefused     AuditType = "refused"
	// AuditAlert says loudly that people must act (Run.Alert says what): provisioning
	// left off, a user left unassigned, a store that cannot be written.
	AuditAlert AuditType = "alert"
	// AuditHandled records that a person put right by hand what a run owed.
	AuditHandled AuditType = "handled"
)

// AuditEvent is one thing that happened, with who did it and to what.
type AuditEvent struct {
	Type   AuditType `json:"type"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // a Slack user ID, "engine:<owner>", or "cli"
	RunID  string    `json:"run_id,omitempty"`
	Plan   PlanID    `json:"plan,omitempty"`
	UserID string    `json:"user_id,omitempty"`
	AppID  string    `json:"app_id,omitempty"`
	Step   int       `json:"step,omitempty"` // 1-based; 0 when not about a step
	Kind   StepKind  `json:"step_kind,omitempty"`
	Codes  []Code    `json:"codes,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// OktaRequestID and OktaError keep Okta's own references for a failed call.
	OktaRequestID string `json:"okta_request_id,omitempty"`
	OktaError     string `json:"okta_error,omitempty"`
}

// AuditEntry is an event as the trail holds it: each entry carries the hash of the one
// before, so removing or editing an entry breaks the chain.
type AuditEntry struct {
	ID    string     `json:"id"` // the store's ordering key (a Redis stream ID)
	Event AuditEvent `json:"event"`
	Prev  string     `json:"prev"`
	Hash  string     `json:"hash"`
}

// ChainHash is the hash of an entry holding ev after the entry whose hash is prev:
// SHA-256 over prev, a newline and the event's JSON.
func ChainHash(prev string, ev AuditEvent) string {
	b, err := json.Marshal(ev)
	if err != nil {
		// AuditEvent holds only strings, numbers and times: Marshal cannot fail.
		panic(fmt.Sprintf("audit: marshal: %v", err))
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal returns the entry for ev after prev.
func Seal(prev string, ev AuditEvent) AuditEntry {
	return AuditEntry{Event: ev, Prev: prev, Hash: ChainHash(prev, ev)}
}

// VerifyChain checks that every entry's hash is right and that each holds the hash of
// the one before it. first is the hash the first entry must follow ("" for the very
// start of the trail). It names the first entry that breaks the chain.
func VerifyChain(first string, entries []AuditEntry) error {
	prev := first
	for i, e := range entries {
		if e.Prev != prev {
			return fmt.Errorf("audit entry %d (%s): chain broken: holds previous hash %.12s…, the entry before has %.12s…", i+1, e.ID, e.Prev, prev)
		}
		if want := ChainHash(e.Prev, e.Event); e.Hash != want {
			return fmt.Errorf("audit entry %d (%s): content does not match its hash (edited?)", i+1, e.ID)
		}
		prev = e.Hash
	}
	return nil
}
