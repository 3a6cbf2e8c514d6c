package remediation

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels that adapters translate their errors into. Callers test with errors.Is.
var (
	// ErrNotFound: the user, app or assignment does not exist (Okta E0000007, redis.Nil).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the state changed under us (a compare-and-swap lost, a lock is held).
	ErrConflict = errors.New("conflict")
	// ErrDenied: the caller may not do this (Okta 401/403, a policy refusal).
	ErrDenied = errors.New("denied")
	// ErrRateLimited: the remote service asked us to slow down (HTTP 429); retry later.
	ErrRateLimited = errors.New("rate limited")
	// ErrTransient: worth retrying with back-off (5xx, timeouts, connection errors).
	ErrTransient = errors.New("transient failure")
	// ErrPermanent: retrying will not help (other 4xx, invalid input).
	ErrPermanent = errors.New("permanent failure")
	// ErrUnsupported: the app does not support the operation (Features API on an app type
	// without it); the caller falls back to a manual step.
	ErrUnsupported = errors.New("not supported for this app")
	// ErrAmbiguous: a name matched more than one user or app.
	ErrAmbiguous = errors.New("ambiguous")
	// ErrGroupScoped: Okta refused to remove a group-managed assignment (E0000046).
	ErrGroupScoped = errors.New("assignment is managed by a group")
)

// RemoteError is an error from a remote API, kept with what the audit trail needs:
// the HTTP status, the service's error code and summary, and its request id.
// Kind is one of the sentinels above, so errors.Is(err, ErrNotFound) works.
type RemoteError struct {
	Kind      error
	Op        string // what we were doing: the adapter names the call
	Status    int
	Code      string // e.g. "E0000007"
	Summary   string
	RequestID string
	Err       error // the underlying error, if any
}

func (e *RemoteError) Error() string {
	msg := e.Op
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Summary != "" {
		msg += ": " + e.Summary
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrNotFound) (and the other sentinels) match by Kind.
func (e *RemoteError) Is(target error) bool { return e.Kind == target }

// Unwrap exposes the underlying error (a context deadline, a network error).
func (e *RemoteError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is worth retrying with back-off.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrTransient) || errors.Is(err, ErrRateLimited)
}

// AmbiguousError says that a name matched several users or apps, naming the
// candidates so that the person can pick one. errors.Is(err, ErrAmbiguous) holds.
type AmbiguousError struct {
	What       Text     // "app" / "アプリ"
	Query      string   // what was asked for
	Candidates []string // e.g. `"Slack" (slack, 0oa…)`, at most a few
	More       int      // candidates matched but not listed
}

func (e *AmbiguousError) Error() string {
	msg := fmt.Sprintf("%q matches %d Okta %ss: %s", e.Query, len(e.Candidates)+e.More, e.What.EN, strings.Join(e.Candidates, ", "))
	if e.More > 0 {
		msg += fmt.Sprintf(" and %d more", e.More)
	}
	return msg
}

// Is makes errors.Is(err, ErrAmbiguous) hold.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// Text says the ambiguity in the person's terms, with the candidates.
func (e *AmbiguousError) Text() Text {
	list := strings.Join(e.Candidates, ", ")
	if e.More > 0 {
		list += fmt.Sprintf(" … (+%d)", e.More)
	}
	return Tf("%q matches more than one %s in Okta: %s. Name one by its exact label or its ID.",
		"%q に一致する%sが Okta に複数あります: %s。正確なラベルまたは ID で指定してください。",
		e.Query, e.What, list)
}
