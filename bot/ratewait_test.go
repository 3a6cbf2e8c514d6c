package bot

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// A diagnosis that waits long for an Okta budget says so privately to whoever asked,
// once; a run that waits says so in its thread.
func TestLongRateWaitIsSaid(t *testing.T) {
	h := newHandlerRig(t)
	h.uc.rateWait = 12 * time.Second
	h.slash(t, hApprover, hOps, "/okta-diagnose", "alice@example.com Zoom")
	h.wait(t, "the wait, privately, in Japanese", ephemeralTo(hApprover, "Okta の /api/v1/apps のレート制限"))
	h.wait(t, "the diagnosis", func(m slacksim.Message) bool { return m.Channel == hOps && !m.Ephemeral && len(m.Buttons()) > 0 })
	n := 0
	for _, m := range h.ws.Ephemerals(hApprover) {
		if m.Contains("レート制限") {
			n++
			if !m.Contains("約 12 秒") {
				t.Errorf("the wait: %s", m.Text())
			}
		}
	}
	if n != 1 {
		t.Errorf("%d wait messages for one command, want 1", n)
	}

	_, ts, err := h.api.PostMessage(hOps, slack.MsgOptionText("request", false))
	if err != nil {
		t.Fatal(err)
	}
	run := remediation.Run{ID: hRunID, Origin: remediation.Origin{Channel: hOps, ThreadTS: ts}}
	h.bot.RunWaits(t.Context(), run, "users", 90*time.Second)
	h.wait(t, "the wait in the run's thread", func(m slacksim.Message) bool {
		return m.ThreadTS == ts && m.Contains("Okta's /api/v1/users") && m.Contains("about 90 s")
	})
	h.bot.RunWaits(t.Context(), remediation.Run{ID: hRunID}, "users", time.Minute) // not posted yet: nowhere to say it
}
