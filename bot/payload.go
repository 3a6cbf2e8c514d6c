package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// What travels in Slack payloads: a button's value and a modal's private_metadata come
// back to the bot verbatim in a later envelope. Each has one type with an encoder and
// a decoder here, so the handlers never split ad-hoc strings. The formats are a
// contract (DESIGN §6: the acceptance suite clicks buttons by their values) and must
// stay byte-identical.

// errBadPayload marks a value or metadata the bot did not make (or an older, different
// format): the click changes nothing.
var errBadPayload = fmt.Errorf("bad payload: %w", remediation.ErrPermanent)

func badPayload(what, v string) error {
	return fmt.Errorf("%s %q: %w", what, shorten(v, 80), errBadPayload)
}

// ProposeValue is the propose_plan button's value: "<plan>:<Okta user ID>:<Okta app
// ID>" (it begins with the plan ID and a colon).
type ProposeValue struct {
	Plan   remediation.PlanID
	UserID string
	AppID  string
}

// Encode renders the value.
func (v ProposeValue) Encode() string { return string(v.Plan) + ":" + v.UserID + ":" + v.AppID }

// DecodeProposeValue reads a propose_plan value: a known plan and two non-empty IDs.
func DecodeProposeValue(s string) (ProposeValue, error) {
	plan, rest, ok1 := strings.Cut(s, ":")
	user, app, ok2 := strings.Cut(rest, ":")
	v := ProposeValue{Plan: remediation.PlanID(plan), UserID: user, AppID: app}
	if !ok1 || !ok2 || !v.Plan.Known() || !isOktaID(user) || !isOktaID(app) {
		return ProposeValue{}, badPayload(ActionProposePlan, s)
	}
	return v, nil
}

// EvidenceValue is the show_evidence button's value: "<Okta user ID>:<Okta app ID>"
// (the app ID is empty for an all-apps diagnosis).
type EvidenceValue struct {
	UserID string
	AppID  string
}

// Encode renders the value.
func (v EvidenceValue) Encode() string { return v.UserID + ":" + v.AppID }

// DecodeEvidenceValue reads a show_evidence value.
func DecodeEvidenceValue(s string) (EvidenceValue, error) {
	user, app, ok := strings.Cut(s, ":")
	if !ok || !isOktaID(user) || (app != "" && !isOktaID(app)) {
		return EvidenceValue{}, badPayload(ActionShowEvidence, s)
	}
	return EvidenceValue{UserID: user, AppID: app}, nil
}

// DiagnoseValue is the diagnose_user button's value in an alert: "<Okta user ID>:<Okta
// app ID>".
type DiagnoseValue struct {
	UserID string
	AppID  string
}

// Encode renders the value.
func (v DiagnoseValue) Encode() string { return v.UserID + ":" + v.AppID }

// DecodeDiagnoseValue reads a diagnose_user value: two Okta IDs.
func DecodeDiagnoseValue(s string) (DiagnoseValue, error) {
	user, app, ok := strings.Cut(s, ":")
	if !ok || !isOktaID(user) || !isOktaID(app) {
		return DiagnoseValue{}, badPayload(ActionDiagnoseUser, s)
	}
	return DiagnoseValue{UserID: user, AppID: app}, nil
}

// BulkValue is the propose_bulk button's value: "<plan>:<incident ID>" (it begins
// with the plan ID and a colon). The users are the incident's, read from the store:
// hundreds of IDs would not fit Slack's 2,000 characters.
type BulkValue struct {
	Plan       remediation.PlanID
	IncidentID string
}

// Encode renders the value.
func (v BulkValue) Encode() string { return string(v.Plan) + ":" + v.IncidentID }

// DecodeBulkValue reads a propose_bulk value: a known plan and an incident ID.
func DecodeBulkValue(s string) (BulkValue, error) {
	plan, id, ok := strings.Cut(s, ":")
	v := BulkValue{Plan: remediation.PlanID(plan), IncidentID: id}
	if !ok || !v.Plan.Known() || !isIncidentID(id) {
		return BulkValue{}, badPayload(ActionProposeBulk, s)
	}
	return v, nil
}

// isIncidentID: "inc-" and 16 lower-case hex digits (remediation.IncidentID).
func isIncidentID(s string) bool {
	rest, ok := strings.CutPrefix(s, "inc-")
	if !ok || len(rest) != 16 {
		return false
	}
	for _, c := range []byte(rest) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// RunValue is the value of approve_run, reject_run, cancel_run and mark_handled: the
// run ID alone.
type RunValue struct{ RunID string }

// Encode renders the value.
func (v RunValue) Encode() string { return v.RunID }

// DecodeRunValue reads a run button's value (action names the button, for the error).
func DecodeRunValue(action, s string) (RunValue, error) {
	if !isRunID(s) {
		return RunValue{}, badPayload(action, s)
	}
	return RunValue{RunID: s}, nil
}

// StepValue is the confirm_step button's value: "<run ID>:<step>", the step 1-based.
type StepValue struct {
	RunID string
	Step  int
}

// Encode renders the value.
func (v StepValue) Encode() string { return v.RunID + ":" + strconv.Itoa(v.Step) }

// DecodeStepValue reads a confirm_step value.
func DecodeStepValue(s string) (StepValue, error) {
	id, n, ok := strings.Cut(s, ":")
	step, err := strconv.Atoi(n)
	// Atoi accepts "+3" and "03": only the canonical form round-trips.
	if !ok || err != nil || !isRunID(id) || step < 1 || strconv.Itoa(step) != n {
		return StepValue{}, badPayload(ActionConfirmStep, s)
	}
	return StepValue{RunID: id, Step: step}, nil
}

// RejectMetadata is the reject modal's private_metadata: "<run ID>|<channel>", the
// channel where the Reject button was clicked (to answer a refusal there).
type RejectMetadata struct {
	RunID   string
	Channel string
}

// Encode renders the metadata.
func (m RejectMetadata) Encode() string { return m.RunID + "|" + m.Channel }

// DecodeRejectMetadata reads the reject modal's private_metadata.
func DecodeRejectMetadata(s string) (RejectMetadata, error) {
	id, channel, ok := strings.Cut(s, "|")
	if !ok || !isRunID(id) || strings.Contains(channel, "|") {
		return RejectMetadata{}, badPayload(CallbackRejectRun, s)
	}
	return RejectMetadata{RunID: id, Channel: channel}, nil
}

// isOktaID matches an Okta object ID as a payload carries it: letters and digits, at
// most 64 of them (Okta's are 20).
func isOktaID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Outcome is how a slash command ended, a label of the commands metric.
type Outcome string

// The outcomes.
const (
	OutcomeOK          Outcome = "ok"
	OutcomeRefused     Outcome = "refused"
	OutcomeRateLimited Outcome = "rate_limited"
	OutcomeBadInput    Outcome = "bad_input"
	OutcomeError       Outcome = "error"
)

// CmdInvalid labels, in metrics, a slash command the bot does not know.
const CmdInvalid CommandName = "invalid"

// metricName is the commands metric's label for a slash command as Slack sent it:
// a known command's name, else CmdInvalid (so a typo cannot grow the label set).
func metricName(command string) CommandName {
	if n, ok := commandFromSlack(command); ok {
		return n
	}
	return CmdInvalid
}
