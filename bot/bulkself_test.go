package bot

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// A bulk run's own user clicks Approve, then Reject, on its request: each refusal
// reaches them privately, no reject dialog opens, and the request is left as it was.
func TestHandlerBulkRunOwnUserRefusedPrivately(t *testing.T) {
	r := newHandlerRig(t)
	run := goldenBulkRun(remediation.StateAwaitingApproval, 8)
	run.Origin = remediation.Origin{Channel: hOps}
	text, blocks := requestBlocks(run, remediation.RiskHigh, remediation.EN)
	_, ts, err := r.api.PostMessage(hOps, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
	if err != nil {
		t.Fatal(err)
	}
	req := r.wait(t, "the bulk request", func(m slacksim.Message) bool { return m.TS == ts })
	own := &remediation.Refusal{Reason: remediation.T("Your own account (alice@example.com) is among the users of this bulk fix, so you cannot approve or reject it.",
		"この一括対処の対象にご自身のアカウント(alice@example.com)が含まれているため、承認・却下できません。")}
	r.uc.errs["Approve"], r.uc.errs["MayReject"] = own, own

	r.click(t, hAlice, req, ActionApproveRun, hRunID)
	r.wait(t, "the approval refused privately", ephemeralTo(hAlice, "Your own account (alice@example.com)"))
	r.click(t, hAlice, req, ActionRejectRun, hRunID)
	r.waitEphemerals(t, hAlice, 2)
	waitCall(t, r.uc, "MayReject "+hAlice+" "+hRunID)
	if v := r.ws.Views(hAlice); len(v) != 0 {
		t.Errorf("a reject dialog opened: %+v", v)
	}
	if m, _ := r.ws.Message(hOps, ts); m.Text() != req.Text() {
		t.Errorf("the request changed:\n%s", m.Text())
	}
	for _, m := range r.ws.Messages(hOps) {
		if !m.Ephemeral && m.TS != ts && m.Contains("alice@example.com) is among") {
			t.Errorf("the refusal shows in the channel: %s", m.Text())
		}
	}
}
