package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// goldenScan is a scan of Zoom: three stale users sharing reassign, one suspended.
func goldenScan() remediation.ScanResult {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	app := remediation.App{ID: "0oa1zoom00000000000", Name: "zoomus", Label: "Zoom"}
	r := remediation.ScanResult{App: app, At: at, Checked: 1200, Counts: map[remediation.Code]int{}}
	for i, login := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		r.Failing = append(r.Failing, remediation.ScanFailure{User: remediation.User{ID: "00u" + strings.Repeat("x", 16) + string(rune('1'+i)), Login: login},
			Code: remediation.StaleExternalID, Plans: []remediation.PlanID{remediation.PlanReassign, remediation.PlanResetExternalID}})
		r.Counts[remediation.StaleExternalID]++
	}
	r.Failing = append(r.Failing, remediation.ScanFailure{User: remediation.User{ID: "00uxxxxxxxxxxxxxxxx9", Login: "d@example.com"}, Code: remediation.OktaUserNotActive, Plans: []remediation.PlanID{}})
	r.Counts[remediation.OktaUserNotActive]++
	r.Offers = []remediation.Incident{{ID: remediation.IncidentID(app.ID, remediation.StaleExternalID, "scan"), App: app, Code: remediation.StaleExternalID,
		Plan: remediation.PlanReassign, Source: remediation.IncidentFromScan,
		Users: []remediation.IncidentUser{{ID: "u1"}, {ID: "u2"}, {ID: "u3"}}}}
	return r
}

func (f *fakeUseCases) Scan(_ context.Context, c remediation.Caller, appQuery string, progress func(remediation.ScanProgress)) (remediation.ScanResult, error) {
	if err := f.record(c, "Scan", c.ID, appQuery); err != nil {
		return remediation.ScanResult{}, err
	}
	r := goldenScan()
	progress(remediation.ScanProgress{App: r.App, Checked: 500})
	progress(remediation.ScanProgress{App: r.App, Checked: r.Checked, Done: true})
	return r, nil
}

func TestHandlerScanPostsProgressThenTheSummary(t *testing.T) {
	r := newHandlerRig(t)
	r.slash(t, hRequester, hOps, "/okta-scan", `"Zoom"`)
	r.wait(t, "the private acknowledgement", ephemeralTo(hRequester, "Scanning every user assigned to Zoom"))
	done := r.wait(t, "the summary in the channel", func(m slacksim.Message) bool {
		return m.Channel == hOps && !m.Ephemeral && m.Contains("1200 assigned users checked, 4 failing")
	})
	if !done.Contains("STALE_EXTERNAL_ID") || !done.Contains("a@example.com") || !done.Contains("OKTA_USER_NOT_ACTIVE") {
		t.Errorf("summary: %s", done.Blocks)
	}
	var bulk []string
	for _, b := range done.Buttons() {
		if b.ActionID == ActionProposeBulk {
			v, err := DecodeBulkValue(b.Value)
			if err != nil || v.Plan != remediation.PlanReassign {
				t.Errorf("propose_bulk %q: %v", b.Value, err)
			}
			bulk = append(bulk, b.Value)
		}
	}
	if len(bulk) != 1 {
		t.Errorf("propose_bulk buttons: %v", bulk)
	}
	r.wantCalls(t, "Admit "+hRequester+" "+hOps+" /okta-scan", "Scan "+hRequester+" Zoom")
	if got := r.metrics.got(); !slices.Equal(got, []string{"scan/ok"}) {
		t.Errorf("metrics %v", got)
	}
}

func TestHandlerScanErrorsAndBadInput(t *testing.T) {
	r := newHandlerRig(t)
	r.slash(t, hRequester, hOps, "/okta-scan", "")
	r.wait(t, "the usage", ephemeralTo(hRequester, "Say which app to scan."))
	r.uc.errs["Scan"] = remediation.ErrNotFound
	r.slash(t, hRequester, hOps, "/okta-scan", "Nope")
	r.wait(t, "the progress message says it did not finish", func(m slacksim.Message) bool {
		return m.Channel == hOps && !m.Ephemeral && m.Contains("did not finish")
	})
}

func TestThrottle(t *testing.T) {
	c := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newThrottle(c.Now, 2*time.Second)
	if th.due() {
		t.Error("due at once")
	}
	c.Advance(1999 * time.Millisecond)
	if th.due() {
		t.Error("due before 2 s")
	}
	c.Advance(time.Millisecond)
	if !th.due() || th.due() {
		t.Error("not due once at 2 s")
	}
}

func TestParseScan(t *testing.T) {
	for text, want := range map[string]string{"Zoom": "Zoom", ` "Acme Wiki" `: "Acme Wiki", "0oa1zoom00000000000": "0oa1zoom00000000000", "<https://x|Box>": "Box"} {
		cmd, err := ParseCommand("/okta-scan", text)
		if err != nil || cmd.Name != CmdScan || cmd.App != want {
			t.Errorf("%q: %+v %v", text, cmd, err)
		}
	}
	for _, text := range []string{"", "  ", "<@U123ABC>", "<#C123|ops>"} {
		if _, err := ParseCommand("/okta-scan", text); err == nil {
			t.Errorf("%q accepted", text)
		}
	}
	if cmd, err := ParseCommand("/okta-help", "scan"); err != nil || cmd.Topic != CmdScan {
		t.Errorf("help scan: %+v %v", cmd, err)
	}
	if !strings.Contains(Usage("").EN, "/okta-scan APP") || !strings.Contains(Usage("").JA, "割り当てられた全ユーザー") {
		t.Error("the help does not list /okta-scan")
	}
}
