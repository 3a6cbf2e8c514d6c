package bot

import (
	"errors"
	"testing"

	"github.com/okta-chatops/okta-chatops/remediation"
)

const (
	testUserID = "00u1alice0000000000"
	testAppID  = "0oa1zoom00000000000"
)

// The wire formats are a contract (DESIGN §6): these are the exact bytes.
func TestPayloadFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ProposeValue{Plan: remediation.PlanResetExternalID, UserID: testUserID, AppID: testAppID}.Encode(), "reset_external_id:" + testUserID + ":" + testAppID},
		{EvidenceValue{UserID: testUserID, AppID: testAppID}.Encode(), testUserID + ":" + testAppID},
		{EvidenceValue{UserID: testUserID}.Encode(), testUserID + ":"},
		{RunValue{RunID: testRunID}.Encode(), testRunID},
		{StepValue{RunID: testRunID, Step: 3}.Encode(), testRunID + ":3"},
		{RejectMetadata{RunID: testRunID, Channel: "C0OPS"}.Encode(), testRunID + "|C0OPS"},
		{DiagnoseValue{UserID: testUserID, AppID: testAppID}.Encode(), testUserID + ":" + testAppID},
		{BulkValue{Plan: remediation.PlanReassign, IncidentID: "inc-0123456789abcdef"}.Encode(), "reassign:inc-0123456789abcdef"},
	} {
		if c.got != c.want {
			t.Errorf("encoded %q, want %q", c.got, c.want)
		}
	}
	for _, c := range []struct{ got, want string }{
		{ActionProposePlan, "propose_plan"}, {ActionApproveRun, "approve_run"}, {ActionRejectRun, "reject_run"},
		{ActionConfirmStep, "confirm_step"}, {ActionShowEvidence, "show_evidence"}, {ActionCancelRun, "cancel_run"}, {ActionMarkHandled, "mark_handled"},
		{CallbackRejectRun, "reject_run"}, {ActionDiagnoseUser, "diagnose_user"}, {ActionProposeBulk, "propose_bulk"},
	} {
		if c.got != c.want {
			t.Errorf("action ID %q, want %q", c.got, c.want)
		}
	}
}

func TestPayloadDecodeRejectsWhatTheBotNeverMakes(t *testing.T) {
	bad := map[string][]string{
		"propose":  {"", "drop:00u1:0oa1", "reassign:00u1", "reassign::0oa1", "reassign:00u1:", "reassign:00u1:0oa1:x", "reassign:00u 1:0oa1", "reassign:00u1:<!channel>"},
		"evidence": {"", "00u1", ":0oa1", "00u1:0oa1:x", "00u1:0o-a1"},
		"run":      {"", "run-x", "run-ABCDEFGHIJKLMNOP", testRunID + " ", "<!channel>"},
		"step":     {"", testRunID, testRunID + ":", testRunID + ":0", testRunID + ":-1", testRunID + ":+3", testRunID + ":03", "run-x:3", testRunID + ":3:4"},
		"reject":   {"", testRunID, "run-x|C1", testRunID + "|C1|C2"},
		"diagnose": {"", "00u1", ":0oa1", "00u1:", "00u1:0oa1:x"},
		"bulk":     {"", "reassign", "reassign:", "drop:inc-0123456789abcdef", "reassign:inc-0123", "reassign:inc-0123456789ABCDEF", "reassign:inc-0123456789abcdef:x"},
	}
	decode := map[string]func(string) error{
		"propose":  func(s string) error { _, err := DecodeProposeValue(s); return err },
		"evidence": func(s string) error { _, err := DecodeEvidenceValue(s); return err },
		"run":      func(s string) error { _, err := DecodeRunValue(ActionApproveRun, s); return err },
		"step":     func(s string) error { _, err := DecodeStepValue(s); return err },
		"reject":   func(s string) error { _, err := DecodeRejectMetadata(s); return err },
		"diagnose": func(s string) error { _, err := DecodeDiagnoseValue(s); return err },
		"bulk":     func(s string) error { _, err := DecodeBulkValue(s); return err },
	}
	for kind, values := range bad {
		for _, v := range values {
			err := decode[kind](v)
			if err == nil {
				t.Errorf("%s %q accepted", kind, v)
				continue
			}
			if !errors.Is(err, remediation.ErrPermanent) {
				t.Errorf("%s %q: %v is not permanent", kind, v, err)
			}
		}
	}
}

func TestPayloadRoundTrips(t *testing.T) {
	pv := ProposeValue{Plan: remediation.PlanRelinkSaaSUser, UserID: testUserID, AppID: testAppID}
	if got, err := DecodeProposeValue(pv.Encode()); err != nil || got != pv {
		t.Errorf("propose: %+v %v", got, err)
	}
	for _, ev := range []EvidenceValue{{UserID: testUserID, AppID: testAppID}, {UserID: testUserID}} {
		if got, err := DecodeEvidenceValue(ev.Encode()); err != nil || got != ev {
			t.Errorf("evidence: %+v %v", got, err)
		}
	}
	if got, err := DecodeRunValue(ActionCancelRun, RunValue{RunID: testRunID}.Encode()); err != nil || got.RunID != testRunID {
		t.Errorf("run: %+v %v", got, err)
	}
	sv := StepValue{RunID: testRunID, Step: 12}
	if got, err := DecodeStepValue(sv.Encode()); err != nil || got != sv {
		t.Errorf("step: %+v %v", got, err)
	}
	for _, m := range []RejectMetadata{{RunID: testRunID, Channel: "C0OPS"}, {RunID: testRunID}} {
		if got, err := DecodeRejectMetadata(m.Encode()); err != nil || got != m {
			t.Errorf("reject metadata: %+v %v", got, err)
		}
	}
}

func TestAlertPayloadRoundTrips(t *testing.T) {
	dv := DiagnoseValue{UserID: testUserID, AppID: testAppID}
	if got, err := DecodeDiagnoseValue(dv.Encode()); err != nil || got != dv {
		t.Errorf("diagnose: %+v %v", got, err)
	}
	bv := BulkValue{Plan: remediation.PlanResetExternalID, IncidentID: remediation.IncidentID("0oa1", "STALE_EXTERNAL_ID", "x")}
	if got, err := DecodeBulkValue(bv.Encode()); err != nil || got != bv {
		t.Errorf("bulk: %+v %v", got, err)
	}
}

func FuzzDecodeBulkValue(f *testing.F) {
	f.Add("reassign:inc-0123456789abcdef")
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := DecodeBulkValue(s); err == nil && v.Encode() != s {
			t.Errorf("%q decoded to %+v, which encodes to %q", s, v, v.Encode())
		}
	})
}

// Whatever arrives, a decoder either refuses it or returns what encodes back to
// exactly the same bytes: nothing is read loosely.
func FuzzDecodeProposeValue(f *testing.F) {
	f.Add("reassign:" + testUserID + ":" + testAppID)
	f.Add("reset_external_id:a:b:c")
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := DecodeProposeValue(s); err == nil && v.Encode() != s {
			t.Errorf("%q decoded to %+v, which encodes to %q", s, v, v.Encode())
		}
	})
}

func FuzzDecodeEvidenceValue(f *testing.F) {
	f.Add(testUserID + ":" + testAppID)
	f.Add(testUserID + ":")
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := DecodeEvidenceValue(s); err == nil && v.Encode() != s {
			t.Errorf("%q decoded to %+v, which encodes to %q", s, v, v.Encode())
		}
	})
}

func FuzzDecodeRunValue(f *testing.F) {
	f.Add(testRunID)
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := DecodeRunValue(ActionApproveRun, s); err == nil && v.Encode() != s {
			t.Errorf("%q decoded to %+v, which encodes to %q", s, v, v.Encode())
		}
	})
}

func FuzzDecodeStepValue(f *testing.F) {
	f.Add(testRunID + ":3")
	f.Add(testRunID + ":+3")
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := DecodeStepValue(s); err == nil && v.Encode() != s {
			t.Errorf("%q decoded to %+v, which encodes to %q", s, v, v.Encode())
		}
	})
}

func FuzzDecodeRejectMetadata(f *testing.F) {
	f.Add(testRunID + "|C0OPS")
	f.Add(testRunID + "|")
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := DecodeRejectMetadata(s); err == nil && m.Encode() != s {
			t.Errorf("%q decoded to %+v, which encodes to %q", s, m, m.Encode())
		}
	})
}

func TestMetricName(t *testing.T) {
	for cmd, want := range map[string]CommandName{"/okta-diagnose": CmdDiagnose, "/OKTA-STATUS": CmdStatus, "/okta-foo": CmdInvalid, "/other": CmdInvalid} {
		if got := metricName(cmd); got != want {
			t.Errorf("metricName(%q) = %q, want %q", cmd, got, want)
		}
	}
}
