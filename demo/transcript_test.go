package demo

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

func section(text string) json.RawMessage {
	b, _ := json.Marshal([]map[string]any{{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}})
	return b
}

// A request message edited after the last step must be printed after that step, even
// when the demo looks at the workspace only once, at the end.
func TestTranscriptPrintsEditsWhenTheyHappened(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	request := slacksim.Message{Channel: channel, TS: "1.0", Blocks: section("✅ Fixed and verified\nCancel"), PostedAt: at(0),
		Edits: []slacksim.Edit{
			{Blocks: section("Fix requested\nApprove"), At: at(2)},
			{Blocks: section("Approved — running\nCancel"), At: at(9)},
		}}
	msgs := []slacksim.Message{request}
	for i, s := range []string{"Started step 1/2", "Done step 1/2", "Started step 2/2", "Done step 2/2", "Fixed (thread)"} {
		msgs = append(msgs, slacksim.Message{Channel: channel, TS: "2." + string(rune('0'+i)), ThreadTS: "1.0", TextArg: s, PostedAt: at(3 + i)})
	}
	// The audit channel is not part of #it-ops' transcript.
	msgs = append(msgs, slacksim.Message{Channel: auditChan, TS: "3.0", TextArg: "audit line", PostedAt: at(1)})

	var out bytes.Buffer
	tr := newTranscript(&out, remediation.EN)
	tr.flush(msgs)
	got := out.String()
	order := []string{"Fix requested", "(updated) Approved — running", "Started step 1/2", "Done step 2/2", "Fixed (thread)", "(updated) ✅ Fixed and verified"}
	last := -1
	for _, s := range order {
		i := strings.Index(got, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in:\n%s", s, got)
		}
		last = i
	}
	if strings.Contains(got, "audit line") {
		t.Errorf("audit channel printed:\n%s", got)
	}
	// Nothing is printed twice; a later edit is printed once it happens.
	out.Reset()
	tr.flush(msgs)
	if out.Len() != 0 {
		t.Errorf("printed again: %s", out.String())
	}
	request.Edits = append(request.Edits, slacksim.Edit{Blocks: request.Blocks, At: at(20)})
	request.Blocks = section("✅ Fixed and verified\nAudit: 12 entries")
	msgs[0] = request
	tr.flush(msgs)
	if got := out.String(); got != "🤖 #it-ops (updated) Audit: 12 entries\n" {
		t.Errorf("late edit: %q", got)
	}
}

func TestTranscriptJapanese(t *testing.T) {
	var out bytes.Buffer
	tr := newTranscript(&out, remediation.JA)
	tr.flush([]slacksim.Message{{Channel: channel, TS: "1.0", TextArg: "x", Ephemeral: true, EphemeralTo: requester, PostedAt: time.Unix(1, 0)}})
	if got := out.String(); got != "🤖 (@helpdesk にのみ表示) x\n" {
		t.Errorf("%q", got)
	}
}
