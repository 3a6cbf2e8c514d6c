package main

import (
	"context"
	"strings"
	"testing"

	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// A bulk run's own user cannot approve it, though an approver: their Slack email is one
// of the users' logins (letter case aside). An approver whose email Slack does not show
// is refused too. Both are told privately, the request counts neither, and two other
// approvers are still needed above the threshold.
func TestServeBulkRunRefusesItsOwnUsers(t *testing.T) {
	const uSelf, uNoMail = "U0SELF0001", "U0NOMAIL01"
	x := newE2E(t)
	x.slack.AddUser(slacksim.User{ID: uSelf, Name: "self3", Email: "Self3@Example.com", Locale: "en-US"})
	x.slack.AddUser(slacksim.User{ID: uNoMail, Name: "nomail", Locale: "ja-JP"})
	x.serve(t, "OKTA_CHATOPS_APPROVERS", strings.Join([]string{uApprover, uAlice, uSelf, uNoMail}, ","))
	ctx := context.Background()
	in, alert := x.staleIncident(t, "self", 6)
	req, runID := x.proposeBulk(t, in, alert)

	if _, err := x.slack.Click(ctx, uSelf, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the own-account refusal", ephemeralTo(uSelf, "Your own account (Self3@Example.com) is among the users of this bulk fix"))
	if _, err := x.slack.Click(ctx, uNoMail, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the no-email refusal", ephemeralTo(uNoMail, "メールアドレスを取得できなかった"))

	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the first approval that counts", func(m slacksim.Message) bool { return m.TS == req.TS && m.Contains("(1 of 2)") })
	for _, m := range append(x.slack.Messages(cOps), x.slack.Thread(cOps, req.TS)...) {
		if m.Contains("Approved by <@"+uSelf+">") || m.Contains("Approved by <@"+uNoMail+">") {
			t.Errorf("a refused approver shows in the channel: %s", m.Text())
		}
	}
	if d := x.zoomWrites("DELETE"); len(d) != 0 {
		t.Fatalf("users unassigned before the quorum: %v", d)
	}
	if _, err := x.slack.Click(ctx, uAlice, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the healed run", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Every user is fixed and verified")
	})
}
