package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
	"github.com/okta-chatops/okta-chatops/storage"
)

// bulkPolicy makes serve read a policy file with bulk rules.
func (x *e2e) bulkPolicy(t testing.TB, rules string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, []byte("bulk:\n"+rules), 0o600); err != nil {
		t.Fatal(err)
	}
	x.vars["OKTA_CHATOPS_POLICY_FILE"] = p
}

// staleIncident adds n Zoom users failing as the SaaS clean-up leaves them, saves
// their incident in the bot's Redis (as the watcher or a scan would), and posts an
// alert with its propose_bulk button in the ops channel.
func (x *e2e) staleIncident(t testing.TB, prefix string, n int) (remediation.Incident, slacksim.Message) {
	t.Helper()
	ctx := context.Background()
	zoom, _ := x.okta.Org.AppID("Zoom")
	ids, err := x.okta.Org.AddStaleUsers(ctx, zoom, prefix, n)
	if err != nil {
		t.Fatal(err)
	}
	in := remediation.Incident{ID: remediation.IncidentID(zoom, remediation.StaleExternalID, prefix),
		App: remediation.App{ID: zoom, Label: "Zoom", Name: "zoomus"}, Code: remediation.StaleExternalID,
		Plan: remediation.PlanResetExternalID, Source: remediation.IncidentFromWatch, FirstSeen: time.Now(), LastSeen: time.Now()}
	for i, id := range ids {
		in.Users = append(in.Users, remediation.IncidentUser{ID: id, Login: fmt.Sprintf("%s%d@example.com", prefix, i+1), SeenAt: time.Now()})
	}
	client, err := storage.OpenRedis(ctx, x.vars["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := storage.NewRedis(client, storage.RedisOptions{}).CreateIncident(ctx, &in); err != nil {
		t.Fatal(err)
	}
	api := slack.New(botToken, slack.OptionAPIURL(x.vars["SLACK_API_URL"]))
	value := bot.BulkValue{Plan: remediation.PlanResetExternalID, IncidentID: in.ID}.Encode()
	_, ts, err := api.PostMessageContext(ctx, cOps, slack.MsgOptionText("Zoom: "+prefix+" users fail", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("bulk", slack.NewButtonBlockElement(bot.ActionProposeBulk, value, slack.NewTextBlockObject(slack.PlainTextType, "Fix all", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	alert := x.wait(t, "the alert", func(m slacksim.Message) bool { return m.Channel == cOps && m.TS == ts })
	return in, alert
}

// proposeBulk clicks the alert's propose_bulk button as the requester and returns the
// approval request and the run ID.
func (x *e2e) proposeBulk(t testing.TB, in remediation.Incident, alert slacksim.Message) (slacksim.Message, string) {
	t.Helper()
	b, _ := alert.Button(bot.ActionProposeBulk)
	if _, err := x.slack.Click(context.Background(), uRequester, cOps, alert.TS, bot.ActionProposeBulk, b.Value); err != nil {
		t.Fatal(err)
	}
	req := x.wait(t, "the bulk approval request", inChannel(cOps, fmt.Sprintf("Bulk fix for %d users", len(in.Users))))
	approve, ok := req.Button("approve_run")
	if !ok {
		t.Fatalf("no approve_run button on %s", req.Text())
	}
	return req, approve.Value
}

// zoomWrites counts the successful requests of a method to each Zoom app user.
func (x *e2e) zoomWrites(method string) map[string]int {
	zoom, _ := x.okta.Org.AppID("Zoom")
	prefix := "/api/v1/apps/" + zoom + "/users/"
	out := map[string]int{}
	for _, q := range x.okta.Org.Requests() {
		if q.Method == method && strings.HasPrefix(q.Path, prefix) && q.Status >= 200 && q.Status < 300 {
			out[strings.TrimPrefix(q.Path, prefix)]++
		}
	}
	return out
}

func (x *e2e) zoomCaps(t testing.TB) oktasim.Capabilities {
	t.Helper()
	zoom, _ := x.okta.Org.AppID("Zoom")
	c, err := x.okta.Org.Provisioning(zoom)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A bulk fix from an alert: one approval request showing the count and the plan for
// one user; above the threshold one approval is not enough; with the second, a canary
// then batches heal every user, with one progress message in the thread.
func TestServeBulkRunHealsEveryUser(t *testing.T) {
	x := newE2E(t)
	x.bulkPolicy(t, "  batch_size: 3\n")
	x.serve(t)
	ctx := context.Background()
	before := x.zoomCaps(t)
	in, alert := x.staleIncident(t, "crowd", 8)
	req, runID := x.proposeBulk(t, in, alert)
	for _, want := range []string{"crowd1@example.com", "canary", "2 different approvers", "DELETE /api/v1/apps/"} {
		if !req.Contains(want) {
			t.Errorf("the request lacks %q:\n%s", want, req.Text())
		}
	}
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the first approval", func(m slacksim.Message) bool { return m.TS == req.TS && m.Contains("(1 of 2)") })
	if d := x.zoomWrites("DELETE"); len(d) != 0 {
		t.Fatalf("users unassigned after one approval of two: %v", d)
	}
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the refusal of a second approval by the same person", ephemeralTo(uApprover, "承認しています"))
	if _, err := x.slack.Click(ctx, uAlice, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	final := x.wait(t, "the final progress", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Every user is fixed and verified")
	})
	if !final.Contains("crowd8@example.com — fixed and verified") {
		t.Errorf("the final progress lacks each user's result:\n%s", final.Text())
	}
	progress := 0
	for _, m := range x.slack.Thread(cOps, req.TS) {
		if m.Contains("Bulk fix on Zoom") {
			progress++
		}
	}
	if progress != 1 {
		t.Errorf("%d progress messages in the thread, want one updated", progress)
	}
	if after := x.zoomCaps(t); after != before {
		t.Errorf("provisioning %+v after the bulk fix, want %+v", after, before)
	}
	deletes := x.zoomWrites("DELETE")
	for _, u := range in.Users {
		st, ok := x.okta.Org.AppUser(in.App.ID, u.ID)
		if !ok || st.ExternalID == "" || deletes[u.ID] != 1 {
			t.Errorf("%s: %+v, unassigned %d times", u.Login, st, deletes[u.ID])
		}
	}
}

// Past the failure limit the run stops with provisioning restored and the users after
// the failures untouched.
func TestServeBulkRunStopsOnFailures(t *testing.T) {
	x := newE2E(t)
	x.bulkPolicy(t, "  batch_size: 4\n  stop_after_failures: 2\n")
	x.serve(t)
	ctx := context.Background()
	before := x.zoomCaps(t)
	in, alert := x.staleIncident(t, "broken", 9)
	for _, u := range in.Users[1:] {
		x.okta.Org.Inject(oktasim.Fault{Method: "POST", PathPrefix: "/api/v1/apps/" + in.App.ID + "/users/" + u.ID, Status: 400})
	}
	req, runID := x.proposeBulk(t, in, alert)
	for _, by := range []string{uApprover, uAlice} {
		if _, err := x.slack.Click(ctx, by, cOps, req.TS, "approve_run", runID); err != nil {
			t.Fatal(err)
		}
	}
	final := x.wait(t, "the stop", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Stopped because 2 users failed")
	})
	if !final.Contains("not touched") {
		t.Errorf("the final progress does not list the users left untouched:\n%s", final.Text())
	}
	if after := x.zoomCaps(t); after != before {
		t.Errorf("provisioning %+v after the stop, want %+v", after, before)
	}
	deletes := x.zoomWrites("DELETE")
	for _, u := range in.Users[3:] {
		if deletes[u.ID] != 0 {
			t.Errorf("%s was touched after the run stopped", u.Login)
		}
	}
	for _, u := range in.Users[1:3] {
		if _, ok := x.okta.Org.AppUser(in.App.ID, u.ID); !ok {
			t.Errorf("failed %s is left unassigned", u.Login)
		}
	}
}

// A replica killed (SIGKILL) mid-bulk, with provisioning off: another replica resumes
// the run; every user is changed exactly once and provisioning ends restored.
func TestServeBulkKilledMidRun(t *testing.T) {
	x := newE2E(t)
	x.bulkPolicy(t, "  batch_size: 3\n")
	a := x.serveProcess(t)
	ctx := context.Background()
	before := x.zoomCaps(t)
	in, alert := x.staleIncident(t, "killed", 7)
	// Hold the unassign of user 6 (the third batch's second user): replica A is then
	// mid-batch, provisioning off.
	held := in.Users[5].ID
	hold := make(chan struct{})
	defer close(hold)
	x.okta.Org.Inject(oktasim.Fault{Method: "DELETE", PathPrefix: "/api/v1/apps/" + in.App.ID + "/users/" + held, Hold: hold, Count: 1})
	req, runID := x.proposeBulk(t, in, alert)
	for _, by := range []string{uApprover, uAlice} {
		if _, err := x.slack.Click(ctx, by, cOps, req.TS, "approve_run", runID); err != nil {
			t.Fatal(err)
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(30 * time.Second); ; <-tick.C {
		arrived := false
		for _, q := range x.okta.Org.Requests() {
			arrived = arrived || q.Method == "DELETE" && strings.HasSuffix(q.Path, "/users/"+held)
		}
		if arrived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica A never reached user 6\n%s", x.logs.String())
		}
	}
	if x.zoomCaps(t) == before {
		t.Fatal("provisioning is not off mid-batch")
	}
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	for gone := time.Now().Add(10 * time.Second); x.slack.Connections() > 0; <-tick.C {
		if time.Now().After(gone) {
			t.Fatal("the simulated workspace still counts the killed replica's socket")
		}
	}
	x.serveProcess(t) // replica B
	ctx30, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if _, err := x.slack.WaitMessage(ctx30, func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Every user is fixed and verified")
	}); err != nil {
		t.Fatalf("the run did not end healed after the takeover: %v\n%s", err, x.logs.String())
	}
	if after := x.zoomCaps(t); after != before {
		t.Errorf("provisioning %+v after the takeover, want %+v", after, before)
	}
	deletes, posts := x.zoomWrites("DELETE"), x.zoomWrites("POST")
	for _, u := range in.Users {
		if deletes[u.ID] != 1 || posts[u.ID] != 1 {
			t.Errorf("%s: %d DELETEs and %d POSTs answered, want one each", u.Login, deletes[u.ID], posts[u.ID])
		}
	}
}

// From /okta-scan to a bulk run: the scan's propose_bulk becomes one approval request,
// and with the two approvals every user is healed. For stale External IDs the scan offers
// the reset of the External ID, not the re-assignment that comes first in a diagnosis:
// with Zoom's "Deactivate Users" off re-assigning restores the stale ID, so a bulk
// re-assignment would stop at its canary.
// Alice, an approver, is one of the seeded users: her click is refused, and another
// approver's counts.
func TestServeScanToBulkRun(t *testing.T) {
	x := newE2E(t)
	x.serve(t, "VERIFY_TIMEOUT", "2s", "OKTA_CHATOPS_APPROVERS", uApprover+","+uAlice+","+uOutsider)
	ctx := context.Background()
	zoom, _ := x.okta.Org.AppID("Zoom")
	ids, err := x.okta.Org.AddStaleUsers(ctx, zoom, "scanned", 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-scan", "Zoom"); err != nil {
		t.Fatal(err)
	}
	sum := x.wait(t, "the scan's summary", func(m slacksim.Message) bool {
		_, ok := m.Button(bot.ActionProposeBulk)
		return m.Channel == cOps && ok && m.Contains("STALE_EXTERNAL_ID")
	})
	b, _ := sum.Button(bot.ActionProposeBulk)
	if _, err := x.slack.Click(ctx, uRequester, cOps, sum.TS, bot.ActionProposeBulk, b.Value); err != nil {
		t.Fatal(err)
	}
	req := x.wait(t, "the bulk approval request", inChannel(cOps, "Bulk fix for", "scanned1@example.com"))
	approve, _ := req.Button("approve_run")
	if _, err := x.slack.Click(ctx, uAlice, cOps, req.TS, "approve_run", approve.Value); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the refusal of alice, one of the users", ephemeralTo(uAlice, "Your own account (alice@example.com)"))
	for _, by := range []string{uApprover, uOutsider} {
		if _, err := x.slack.Click(ctx, by, cOps, req.TS, "approve_run", approve.Value); err != nil {
			t.Fatal(err)
		}
	}
	final := x.wait(t, "the end of the run", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Every user is fixed and verified")
	})
	if !final.Contains("scanned6@example.com — fixed and verified") {
		t.Errorf("the final progress lacks each user's result:\n%s", final.Text())
	}
	for _, id := range ids {
		if st, ok := x.okta.Org.AppUser(zoom, id); !ok || st.SyncState != "SYNCHRONIZED" {
			t.Errorf("user %s is not healed: %+v", id, st)
		}
	}
}
