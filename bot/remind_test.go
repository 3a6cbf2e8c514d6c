package bot

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// Reminders reach the run's thread: the approvers of an unanswered request are
// mentioned; the person a manual step waits for is mentioned again with a fresh Done
// button; an expired request says so in the thread and on the request itself.
func TestRemindersAndExpiryReachTheThread(t *testing.T) {
	h := newHandlerRig(t)
	run := goldenRun(remediation.StateAwaitingApproval)
	fallback, blocks := requestBlocks(run, remediation.RiskHigh, remediation.EN)
	_, ts, err := h.api.PostMessage(hOps, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}
	run.Origin = remediation.Origin{Channel: hOps, ThreadTS: ts}
	inThread := func(s string) func(slacksim.Message) bool {
		return func(m slacksim.Message) bool { return m.Channel == hOps && m.ThreadTS == ts && m.Contains(s) }
	}

	h.bot.RunChanged(t.Context(), *run, remediation.AuditEvent{Type: remediation.AuditReminded, RunID: hRunID})
	m := h.wait(t, "the approval reminder", inThread("Reminder: this request still waits for approval"))
	if !m.Contains("<@U0APPROVE1>") || !m.Contains("S0MANAGERS") {
		t.Errorf("the reminder does not mention the approvers: %s", m.Text())
	}

	step := runbookRun()
	step.Origin = run.Origin
	step.Steps[0].Status = remediation.StepWaiting
	h.bot.RunChanged(t.Context(), *step, remediation.AuditEvent{Type: remediation.AuditReminded, RunID: hRunID, Step: 1, Kind: remediation.StepRunbook})
	m = h.wait(t, "the step reminder", inThread("Reminder, still waiting"))
	if !m.Contains("<@"+hRequester+">") || !m.Contains("Enter a new API token") {
		t.Errorf("the step reminder: %s", m.Text())
	}
	if b, ok := m.Button(ActionConfirmStep); !ok || b.Value != hRunID+":1" {
		t.Errorf("the step reminder's Done button: %+v %v", b, ok)
	}

	run.State = remediation.StateExpired
	h.bot.RunChanged(t.Context(), *run, remediation.AuditEvent{Type: remediation.AuditExpired, RunID: hRunID})
	h.wait(t, "the expiry in the thread", inThread("Expired without approval"))
	h.wait(t, "the request updated", func(m slacksim.Message) bool {
		_, open := m.Button(ActionApproveRun)
		return m.TS == ts && !open && m.Contains("Expired without approval")
	})
}
