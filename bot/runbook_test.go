package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// A cause whose fix is a person's work shows its manual steps, numbered, in the channel
// and in private, and offers no fix button it does not have.
func TestDiagnosisShowsRunbook(t *testing.T) {
	app := remediation.App{ID: "0oa1atl", Name: "atlassian", Label: "Atlassian Cloud"}
	d := remediation.Diagnosis{
		User: remediation.User{ID: "00u1kenji", Login: "kenji@example.com", Status: "ACTIVE"},
		App:  &app, Apps: []remediation.App{app},
		Findings: []remediation.Finding{{
			Code: remediation.AppCredentialsInvalid, Severity: remediation.SevError, App: &app, AppWide: true,
			Summary: remediation.T("Refused: every user of Atlassian Cloud is affected.", "拒否されています。"),
			Plans:   []remediation.PlanID{},
			Runbook: []remediation.Text{remediation.T("Open <Integration> & click Edit.", "[Integration(統合)] を開きます。"), remediation.T("Save.", "保存します。")},
			Retry:   remediation.PlanReassign,
			Advice:  remediation.T("Then retry.", "その後、再試行します。"),
		}},
	}
	for _, view := range []diagnosisView{forChannel, forAllowed} {
		for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
			_, blocks := diagnosisBlocks(d, "U0REQ", "", view, l)
			b, err := json.Marshal(blocks)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			want := []string{`*Manual steps:*\n1. Open \u0026lt;Integration\u0026gt; \u0026amp; click Edit.\n2. Save.`, "Then retry."}
			if l == remediation.JA {
				want = []string{`*手動で行う手順:*\n1. [Integration(統合)] を開きます。\n2. 保存します。`, "その後、再試行します。"}
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("view %d %s lacks %q:\n%s", view, l, w, s)
				}
			}
			if strings.Contains(s, ActionProposePlan) {
				t.Errorf("view %d %s: a fix button for a finding without plans", view, l)
			}
		}
	}
}

// runbookRun is a run of an app-wide cause: two manual steps, then the re-assignment.
func runbookRun() *remediation.Run {
	r := goldenRun(remediation.StateRunning)
	r.Plan, r.Finding, r.AppWide = remediation.PlanReassign, remediation.AppCredentialsInvalid, true
	r.Target.AppLabel = "Atlassian Cloud"
	r.Steps = []remediation.StepRecord{
		{Kind: remediation.StepRunbook, Status: remediation.StepWaiting, AssignedTo: hRequester,
			Instructions: remediation.T("Enter a new API token & click Save.", "新しい API トークンを入力して保存します。")},
		{Kind: remediation.StepRunbook, Status: remediation.StepPending,
			Instructions: remediation.T("Check the service account.", "サービスアカウントを確認します。")},
		{Kind: remediation.StepSnapshot, Status: remediation.StepPending},
		{Kind: remediation.StepUnassign, Status: remediation.StepPending},
		{Kind: remediation.StepAssign, Status: remediation.StepPending},
	}
	return r
}

// The request of an app-wide cause shows the manual steps first and says that the
// retry helps only once the integration is fixed.
func TestRunbookRequestSaysTheRetryWaitsForTheIntegration(t *testing.T) {
	r := runbookRun()
	r.State = remediation.StateAwaitingApproval
	for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
		_, blocks := requestBlocks(r, remediation.RiskMedium, l)
		b, err := json.Marshal(blocks)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		want := []string{"helps only once the integration is fixed", "1. Manual step", "Enter a new API token \\u0026amp; click Save."}
		if l == remediation.JA {
			want = []string{"連携を修正した後でなければ効果がありません", "新しい API トークンを入力して保存します。"}
		}
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: the request lacks %q:\n%s", l, w, s)
			}
		}
	}
	r.AppWide = false
	_, blocks := requestBlocks(r, remediation.RiskMedium, remediation.EN)
	if b, _ := json.Marshal(blocks); strings.Contains(string(b), "integration is fixed") {
		t.Error("a request for one user's cause says the integration must be fixed")
	}
}

// Each manual step of a runbook reaches the run's thread, asking its person, with a
// Done button (confirm_step) that confirms that very step.
func TestRunbookStepReachesTheThreadWithDone(t *testing.T) {
	h := newHandlerRig(t)
	_, ts, err := h.api.PostMessage(hOps, slack.MsgOptionText("request", false))
	if err != nil {
		t.Fatal(err)
	}
	run := runbookRun()
	run.Origin = remediation.Origin{Channel: hOps, ThreadTS: ts}
	h.bot.RunChanged(t.Context(), *run, remediation.AuditEvent{Type: remediation.AuditStepWaiting, RunID: hRunID, Step: 1})
	m := h.wait(t, "the manual step in the thread", func(m slacksim.Message) bool {
		_, ok := m.Button(ActionConfirmStep)
		return m.Channel == hOps && m.ThreadTS == ts && ok
	})
	if !m.Contains("Enter a new API token") || !m.Contains("<@"+hRequester+">") || !m.Contains("1/5") {
		t.Errorf("the manual step message: %s", m.Text())
	}
	done, _ := m.Button(ActionConfirmStep)
	if done.Value != hRunID+":1" {
		t.Errorf("Done value %q, want %s:1", done.Value, hRunID)
	}
	h.click(t, hApprover, m, ActionConfirmStep, done.Value)
	waitCall(t, h.uc, "Confirm "+hApprover+" "+hRunID+" 1")
}
