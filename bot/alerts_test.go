package bot

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

func alertIncident(users int) remediation.Incident {
	in := remediation.Incident{ID: remediation.IncidentID("0oazoom", remediation.StaleExternalID, "evt-1"),
		App: remediation.App{ID: "0oazoom", Label: "Zoom"}, Code: remediation.StaleExternalID,
		Source: remediation.IncidentFromWatch, FirstSeen: goldenAt, LastSeen: goldenAt}
	for i := range users {
		in.Users = append(in.Users, remediation.IncidentUser{ID: fmt.Sprintf("00u%017d", i), Login: fmt.Sprintf("user%d@example.com", i),
			Plans: []remediation.PlanID{remediation.PlanResetExternalID}, SeenAt: goldenAt})
	}
	if users >= 2 {
		in.Plan = remediation.PlanResetExternalID
	}
	return in
}

func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	b, err := slack.Blocks{BlockSet: blocks}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIncidentBlocksListTwentyThenCount(t *testing.T) {
	for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
		in := alertIncident(37)
		fallback, blocks := incidentBlocks(in, l)
		if len(blocks) > maxBlocks || fallback == "" {
			t.Fatalf("%s: %d blocks, fallback %q", l, len(blocks), fallback)
		}
		js := blocksJSON(t, blocks)
		if n := strings.Count(js, `"action_id":"`+ActionDiagnoseUser+`"`); n != alertUsers {
			t.Errorf("%s: %d diagnose_user buttons, want %d", l, n, alertUsers)
		}
		if !strings.Contains(js, "17") || !strings.Contains(js, "37") {
			t.Errorf("%s: the count of the users not listed (17) or of all (37) is missing: %s", l, js)
		}
		if !strings.Contains(js, `"value":"reset_external_id:`+in.ID+`"`) {
			t.Errorf("%s: no propose_bulk with the plan and the incident: %s", l, js)
		}
		if !strings.Contains(js, `"value":"00u00000000000000000:0oazoom"`) {
			t.Errorf("%s: diagnose_user value: %s", l, js)
		}
		if l == remediation.JA && (!strings.Contains(js, "外部ID") || strings.Contains(js, "アサイン")) {
			t.Errorf("ja wording: %s", js)
		}
	}
}

func TestIncidentBlocksOneUserHasNoBulkButton(t *testing.T) {
	_, blocks := incidentBlocks(alertIncident(1), remediation.EN)
	if js := blocksJSON(t, blocks); strings.Contains(js, ActionProposeBulk) || !strings.Contains(js, ActionDiagnoseUser) {
		t.Errorf("one user: %s", js)
	}
}

func TestIncidentBlocksAppWideShowsTheRunbook(t *testing.T) {
	in := alertIncident(3)
	in.Code, in.AppWide, in.Plan = remediation.AppCredentialsInvalid, true, ""
	for i := range in.Users {
		in.Users[i].Plans = nil
	}
	for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
		_, blocks := incidentBlocks(in, l)
		js := blocksJSON(t, blocks)
		if strings.Contains(js, ActionDiagnoseUser) || strings.Contains(js, ActionProposeBulk) {
			t.Errorf("%s: an app-wide alert has per-user buttons: %s", l, js)
		}
		want := "Test API Credentials"
		if !strings.Contains(js, want) || !strings.Contains(js, "user2@example.com") {
			t.Errorf("%s: no runbook or users: %s", l, js)
		}
	}
}

func newAlertRig(t *testing.T) (*slacksim.Workspace, *Alerts) {
	t.Helper()
	ws := slacksim.New(slacksim.Options{BotToken: hBotToken, AppToken: hAppToken})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() { srv.Close(); ws.Close() })
	ws.AddChannel(hOps, "it-ops", true)
	api := slack.New(hBotToken, slack.OptionAPIURL(srv.URL+"/api/"))
	return ws, NewAlerts(AlertsConfig{Channel: hOps, Locale: remediation.EN}, api)
}

func TestAlertsPostThenUpdateWithinTheChannelRate(t *testing.T) {
	ws, a := newAlertRig(t)
	ws.LimitChannelPosts(slacksim.PostLimit{Burst: 1, Every: time.Second})
	ctx := context.Background()
	in := alertIncident(1)
	ch, ts, err := a.ShowIncident(ctx, in)
	if err != nil || ch != hOps || ts == "" {
		t.Fatalf("post: %s %s %v", ch, ts, err)
	}
	in.Channel, in.MessageTS = ch, ts
	in.Users = alertIncident(5).Users
	in.Plan = remediation.PlanResetExternalID
	ws.RateLimit("chat.update", 1, time.Second)
	if _, ts2, err := a.ShowIncident(ctx, in); err != nil || ts2 != ts {
		t.Fatalf("update: %s %v", ts2, err)
	}
	msgs := ws.Messages(hOps)
	if len(msgs) != 1 || !msgs[0].Updated() || !msgs[0].Contains("user4@example.com") {
		t.Fatalf("want one message, updated with the new users: %+v", msgs)
	}
	// A replica died after posting and before keeping the ts: the alert is found in
	// the channel and updated, not posted again.
	lost := in
	lost.Channel, lost.MessageTS = "", ""
	if _, ts3, err := a.ShowIncident(ctx, lost); err != nil || ts3 != ts {
		t.Fatalf("show after a lost ts: %s (want %s) %v", ts3, ts, err)
	}
	if n := len(ws.Messages(hOps)); n != 1 {
		t.Fatalf("%d messages after a lost ts, want 1", n)
	}
	// A second incident's post waits for the channel's rate instead of failing.
	other := alertIncident(1)
	other.ID = remediation.IncidentID("0oabox", remediation.StaleExternalID, "evt-2")
	if _, _, err := a.ShowIncident(ctx, other); err != nil {
		t.Fatalf("second post: %v", err)
	}
	if n := len(ws.Messages(hOps)); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
}

func TestHandlerDiagnoseUserClick(t *testing.T) {
	r := newHandlerRig(t)
	_, a := newAlertRigOn(t, r)
	d := goldenDiagnosis()
	in := alertIncident(2)
	in.Users[0].ID, in.App.ID = d.User.ID, d.App.ID
	if _, _, err := a.ShowIncident(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	alert := r.wait(t, "the alert", func(m slacksim.Message) bool { return m.Channel == hOps && len(m.Buttons()) > 0 })
	r.click(t, hRequester, alert, ActionDiagnoseUser, DiagnoseValue{UserID: d.User.ID, AppID: d.App.ID}.Encode())
	r.wait(t, "the diagnosis in the channel", func(m slacksim.Message) bool {
		return m.Channel == hOps && !m.Ephemeral && m.TS != alert.TS && m.Contains("alice@example.com")
	})
	r.wait(t, "the evidence, privately", ephemeralTo(hRequester, "8dFq2xZ"))
	r.wantCalls(t, "Admit "+hRequester+" "+hOps+" "+ActionDiagnoseUser, "Diagnose "+hRequester+" "+d.User.ID+" "+d.App.ID)

	// Not allowed: a private refusal, no diagnosis.
	r.uc.refuse[hAlice] = &remediation.Refusal{Reason: remediation.T("You may not diagnose.", "診断できません。")}
	r.click(t, hAlice, alert, ActionDiagnoseUser, DiagnoseValue{UserID: d.User.ID, AppID: d.App.ID}.Encode())
	r.wait(t, "the refusal", ephemeralTo(hAlice, "You may not diagnose."))
	if n := len(r.uc.called()); n != 3 {
		t.Errorf("calls after a refusal: %q", r.uc.called())
	}
}

// newAlertRigOn posts alerts into the handler rig's workspace.
func newAlertRigOn(t *testing.T, r *handlerRig) (*slacksim.Workspace, *Alerts) {
	t.Helper()
	return r.ws, NewAlerts(AlertsConfig{Channel: hOps, Locale: remediation.EN}, r.api)
}
