package main

import (
	"context"
	"testing"

	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// Okta refuses the token (401) after provisioning was turned off and the user
// unassigned: the fix fails and its undo cannot be made. The thread and the audit
// channel are told loudly what is left (the settings to restore, the user left
// unassigned); once Okta accepts the token again, the run undoes itself.
func TestServeOwedUndoSaidLoudlyAndCompletedLater(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()
	zoom, _ := x.okta.Org.AppID("Zoom")
	before, err := x.okta.Org.Provisioning(zoom)
	if err != nil {
		t.Fatal(err)
	}
	req, runID := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")
	hold := make(chan struct{})
	removeHold := x.okta.Org.Inject(oktasim.Fault{Method: "DELETE", Hold: hold, Count: 1})
	defer removeHold()
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the unassign", func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains("Started step 3/5") })
	// From now on the token is refused for every write but the DELETE in flight.
	removePut := x.okta.Org.Inject(oktasim.Fault{Method: "PUT", PathPrefix: "/api/v1/apps/", Status: 401})
	removePost := x.okta.Org.Inject(oktasim.Fault{Method: "POST", PathPrefix: "/api/v1/apps/", Status: 401})
	close(hold)

	x.wait(t, "the alert in the audit channel", inChannel(cAudit, "IS STILL PAUSED", "Create Users: on", "IS LEFT UNASSIGNED", runID))
	x.wait(t, "the alert in the thread", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("IS STILL PAUSED") && m.Contains("mark the run handled")
	})
	if caps, _ := x.okta.Org.Provisioning(zoom); caps == before {
		t.Fatal("provisioning came back although the token was refused")
	}

	// The token works again: the run finishes its undo by itself.
	removePut()
	removePost()
	x.wait(t, "the run undone", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("every step done was undone")
	})
	if caps, _ := x.okta.Org.Provisioning(zoom); caps != before {
		t.Errorf("provisioning %+v after the undo, want %+v", caps, before)
	}
}
