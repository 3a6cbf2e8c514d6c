package main

import (
	"context"
	"strings"
	"testing"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
	"github.com/okta-chatops/okta-chatops/storage"
)

// /okta-scan over Socket Mode against a generated app of 1,500 users: acked, a progress
// message in the channel that becomes the summary per code with a propose_bulk button
// for the incident saved in Redis, one audit entry; an outsider is refused.
func TestServeScan(t *testing.T) {
	x := newE2E(t)
	big, err := x.okta.Org.GenerateApp(oktasim.BigAppSpec{Label: "Big Zoom", Users: 1500, Stale: 4, Unknown: 1, Suspended: 1})
	if err != nil {
		t.Fatal(err)
	}
	x.serve(t)
	ctx := context.Background()

	d, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-scan", "Big Zoom")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Acked() {
		t.Fatalf("slash command not acked: %+v", d)
	}
	x.wait(t, "the private acknowledgement", ephemeralTo(uRequester, "Scanning every user assigned to Big Zoom"))
	sum := x.wait(t, "the summary", inChannel(cOps, "1500 assigned users checked, 6 failing", "STALE_EXTERNAL_ID", "SYNC_ERROR_OTHER", "OKTA_USER_NOT_ACTIVE"))
	if !sum.Updated() || !strings.Contains(sum.Edits[0].Text, "Scanning Big Zoom") {
		t.Errorf("the summary is not the progress message updated: edits %+v", sum.Edits)
	}
	var value string
	for _, b := range sum.Buttons() {
		if b.ActionID == bot.ActionProposeBulk {
			value = b.Value
		}
	}
	v, err := bot.DecodeBulkValue(value)
	if err != nil || v.Plan != "reset_external_id" {
		t.Fatalf("propose_bulk %q: %v (buttons %+v)", value, err, sum.Buttons())
	}
	client, err := storage.OpenRedis(ctx, x.vars["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	in, err := storage.NewRedis(client, storage.RedisOptions{}).GetIncident(ctx, v.IncidentID)
	if err != nil || len(in.Users) != 4 || in.App.ID != big.AppID || in.Source != "scan" {
		t.Fatalf("incident %s: %+v %v", v.IncidentID, in, err)
	}
	x.wait(t, "the scan in the audit channel", func(m slacksim.Message) bool {
		return m.Channel == cAudit && m.Contains("`scanned`")
	})

	if _, err := x.slack.SlashCommand(ctx, uOutsider, cOps, "/okta-scan", "Big Zoom"); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the outsider's refusal", ephemeralTo(uOutsider, "not allowed to use okta-chatops"))
}
