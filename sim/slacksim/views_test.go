package slacksim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

func modal(reason string) slack.ModalViewRequest {
	input := slack.NewInputBlock("reason",
		slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "reason_input"))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Reject run", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		CallbackID:      "reject_reason",
		PrivateMetadata: reason,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{input}},
	}
}

// command runs a slash command acked by the bot and returns its delivery.
func command(t *testing.T, ctx context.Context, e *env, b *bot, user string) slacksim.Delivery {
	t.Helper()
	res := async(func() (slacksim.Delivery, error) { return e.ws.SlashCommand(ctx, user, general, "/okta-status", "") })
	ev := b.next(t, ctx, socketmode.EventTypeSlashCommand)
	b.sm.Ack(*ev.Request)
	r := wait(t, ctx, res)
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.d
}

func TestViewsOpenTriggerRules(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d := command(t, ctx, e, b, bob)

	v, err := e.api.OpenViewContext(ctx, d.TriggerID, modal("run-7"))
	if err != nil || v.ID == "" || v.PrivateMetadata != "run-7" || v.CallbackID != "reject_reason" || v.Hash == "" || v.AppID != slacksim.DefaultAppID {
		t.Fatalf("views.open = %+v, %v", v, err)
	}
	if views := e.ws.Views(bob); len(views) != 1 || views[0].ID != v.ID || views[0].Title != "Reject run" {
		t.Fatalf("views = %+v", views)
	}
	if _, err := e.api.OpenViewContext(ctx, d.TriggerID, modal("again")); err == nil || err.Error() != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v", err)
	}
	if _, err := e.api.OpenViewContext(ctx, "1.2.deadbeef", modal("x")); err == nil || err.Error() != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v", err)
	}
	d2 := command(t, ctx, e, b, bob)
	e.clock.Advance(3*time.Second + time.Millisecond)
	if _, err := e.api.OpenViewContext(ctx, d2.TriggerID, modal("late")); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("trigger after 3 s: %v", err)
	}
	d3 := command(t, ctx, e, b, bob)
	bad := modal("x")
	bad.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)
	_, err = e.api.OpenViewContext(ctx, d3.TriggerID, bad)
	if err == nil || err.Error() != "invalid_arguments" {
		t.Fatalf("title of 25: %v", err)
	}
	if se := slackErr(t, err); !strings.Contains(strings.Join(se.ResponseMetadata.Messages, " "), "[json-pointer:/view/title/text]") {
		t.Errorf("messages = %q", se.ResponseMetadata.Messages)
	}
	// A refused view does not use up the trigger.
	if _, err := e.api.OpenViewContext(ctx, d3.TriggerID, modal("ok")); err != nil {
		t.Errorf("trigger after a refused view: %v", err)
	}

	upd := modal("run-7")
	upd.Title = slack.NewTextBlockObject(slack.PlainTextType, "Rejecting", false, false)
	if _, err := e.api.UpdateViewContext(ctx, upd, "", "stale-hash", v.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	v2, err := e.api.UpdateViewContext(ctx, upd, "", v.Hash, v.ID)
	if err != nil || v2.Title.Text != "Rejecting" {
		t.Errorf("views.update = %+v, %v", v2, err)
	}
	if _, err := e.api.UpdateViewContext(ctx, upd, "", "", "V0NONE"); err == nil || err.Error() != "not_found" {
		t.Errorf("unknown view: %v", err)
	}
}

func TestSubmitView(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d := command(t, ctx, e, b, bob)
	v, err := e.api.OpenViewContext(ctx, d.TriggerID, modal("run-7"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ws.Submit(ctx, alice, v.ID, map[string]map[string]string{"reason": {"reason_input": "x"}}); err == nil {
		t.Errorf("alice submitted bob's view")
	}
	if _, err := e.ws.Submit(ctx, bob, v.ID, map[string]map[string]string{"nope": {"reason_input": "x"}}); err == nil {
		t.Errorf("submitted an input the view does not have")
	}
	if _, err := e.ws.Submit(ctx, bob, v.ID, nil); err == nil {
		t.Errorf("submitted with a required input empty")
	}

	// First submission: the bot answers with a validation error; the view stays.
	values := map[string]map[string]string{"reason": {"reason_input": "wrong app"}}
	res := async(func() (slacksim.Delivery, error) { return e.ws.Submit(ctx, bob, v.ID, values) })
	ev := b.next(t, ctx, socketmode.EventTypeInteractive)
	cb := ev.Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != v.ID || cb.View.PrivateMetadata != "run-7" ||
		cb.View.CallbackID != "reject_reason" || cb.User.ID != bob {
		t.Fatalf("view_submission = %+v", cb)
	}
	if got := cb.View.State.Values["reason"]["reason_input"].Value; got != "wrong app" {
		t.Errorf("state value = %q", got)
	}
	if !ev.Request.AcceptsResponsePayload {
		t.Errorf("view_submission must accept a response payload")
	}
	b.sm.Ack(*ev.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": "too short"}))
	if r := wait(t, ctx, res); r.err != nil {
		t.Fatal(r.err)
	}
	if views := e.ws.Views(bob); views[0].Closed || views[0].SubmitErrors["reason"] != "too short" {
		t.Errorf("after errors: %+v", views[0])
	}

	// Second submission: a bare ack closes the view.
	res = async(func() (slacksim.Delivery, error) { return e.ws.Submit(ctx, bob, v.ID, values) })
	ev = b.next(t, ctx, socketmode.EventTypeInteractive)
	b.sm.Ack(*ev.Request)
	if r := wait(t, ctx, res); r.err != nil {
		t.Fatal(r.err)
	}
	if views := e.ws.Views(bob); !views[0].Closed {
		t.Errorf("view still open after a bare ack")
	}
	if _, err := e.ws.Submit(ctx, bob, v.ID, values); err == nil {
		t.Errorf("submitted a closed view")
	}
}

func TestResponseURL(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d := command(t, ctx, e, b, alice)
	respond := func(opts ...slack.MsgOption) error {
		_, _, err := e.api.PostMessageContext(ctx, general, opts...)
		return err
	}
	if err := respond(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("diagnosing…", false)); err != nil {
		t.Fatalf("use 1: %v", err)
	}
	if eph := e.ws.Ephemerals(alice); len(eph) != 1 || eph[0].TextArg != "diagnosing…" || eph[0].Source != "response_url" {
		t.Fatalf("ephemerals = %+v", eph)
	}
	if err := respond(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionBlocks(section("diagnosis posted"))); err != nil {
		t.Fatalf("use 2: %v", err)
	}
	if msgs := e.ws.Messages(general); len(msgs) != 1 || msgs[0].Text() != "diagnosis posted" {
		t.Fatalf("in_channel response: %+v", msgs)
	}
	// A refused message does not count as a use.
	if err := respond(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionBlocks(section(strings.Repeat("a", 3001)))); err == nil {
		t.Errorf("invalid blocks through response_url accepted")
	}
	for i := 3; i <= 5; i++ {
		if err := respond(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("update", false)); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	err := respond(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("sixth", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Fatalf("sixth use: err = %v, want HTTP 404", err)
	}

	// 30 minutes later a fresh URL is expired too.
	d2 := command(t, ctx, e, b, alice)
	e.clock.Advance(30*time.Minute + time.Second)
	err = respond(slack.MsgOptionResponseURL(d2.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("late", false))
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Fatalf("after 30 min: err = %v, want HTTP 404", err)
	}
}

func TestClickResponseURLReplacesOriginal(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	_, ts, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("approve?", false), slack.MsgOptionBlocks(approvalBlocks("r2")...))
	if err != nil {
		t.Fatal(err)
	}
	res := async(func() (slacksim.Delivery, error) { return e.ws.Click(ctx, bob, general, ts, "approve_run", "r2") })
	ev := b.next(t, ctx, socketmode.EventTypeInteractive)
	b.sm.Ack(*ev.Request)
	r := wait(t, ctx, res)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionReplaceOriginal(r.d.ResponseURL), slack.MsgOptionText("approved by <@"+bob+">", false)); err != nil {
		t.Fatal(err)
	}
	m, _ := e.ws.Message(general, ts)
	if m.TextArg != "approved by <@"+bob+">" || len(m.Buttons()) != 0 || !m.Updated() {
		t.Errorf("replaced message = %+v", m)
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionDeleteOriginal(r.d.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if len(e.ws.Messages(general)) != 0 {
		t.Errorf("delete_original left the message")
	}
}

func TestAckResponseIsShown(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res := async(func() (slacksim.Delivery, error) { return e.ws.SlashCommand(ctx, alice, general, "/okta-help", "") })
	ev := b.next(t, ctx, socketmode.EventTypeSlashCommand)
	b.sm.Ack(*ev.Request, map[string]any{"text": "Usage: /okta-diagnose USER [APP]"})
	r := wait(t, ctx, res)
	if r.err != nil || r.d.ResponseError != "" {
		t.Fatalf("%+v %v", r.d, r.err)
	}
	if eph := e.ws.Ephemerals(alice); len(eph) != 1 || eph[0].TextArg != "Usage: /okta-diagnose USER [APP]" || eph[0].Source != "ack" {
		t.Errorf("ephemerals = %+v", eph)
	}
}

// rawDial opens a Socket Mode connection without slack-go, to do what it refuses to.
func rawDial(t *testing.T, ctx context.Context, e *env) *websocket.Conn {
	t.Helper()
	_, u, err := e.api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := websocket.DefaultDialer.DialContext(ctx, u, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetReadDeadline(dl)
	}
	return c
}

func TestSocketModeEdges(t *testing.T) {
	e := newEnv(t, slacksim.Options{MaxConnections: 1, AckTimeout: 100 * time.Millisecond})
	ctx := testCtx(t)
	c1 := rawDial(t, ctx, e)
	var hello map[string]any
	if err := c1.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("hello = %v, %v", hello, err)
	}
	// The connection after the limit is told too_many_websockets.
	c2 := rawDial(t, ctx, e)
	var msg map[string]any
	if err := c2.ReadJSON(&msg); err != nil || msg["type"] != "disconnect" || msg["reason"] != "too_many_websockets" {
		t.Fatalf("extra connection got %v, %v", msg, err)
	}
	// A ticket dials once; a foreign Origin is refused.
	_, u, _ := e.api.StartSocketModeContext(ctx)
	if c, _, err := websocket.DefaultDialer.DialContext(ctx, u, http.Header{"Origin": {"https://evil.example"}}); err == nil {
		c.Close()
		t.Errorf("foreign origin accepted")
	}
	if c, _, err := websocket.DefaultDialer.DialContext(ctx, u, nil); err == nil {
		c.Close()
		t.Errorf("used ticket accepted")
	}

	// An ack of 20 KB or more is dropped, so the envelope comes again.
	res := async(func() (slacksim.Delivery, error) { return e.ws.SlashCommand(ctx, alice, general, "/okta-help", "") })
	var env struct {
		EnvelopeID   string `json:"envelope_id"`
		RetryAttempt int    `json:"retry_attempt"`
	}
	if err := c1.ReadJSON(&env); err != nil {
		t.Fatal(err)
	}
	big := map[string]any{"envelope_id": env.EnvelopeID, "payload": map[string]any{"text": strings.Repeat("x", 20*1024)}}
	if err := c1.WriteJSON(big); err != nil {
		t.Fatal(err)
	}
	if err := c1.ReadJSON(&env); err != nil || env.RetryAttempt != 1 {
		t.Fatalf("redelivery after a dropped ack: %+v %v", env, err)
	}
	if err := c1.WriteJSON(map[string]any{"envelope_id": env.EnvelopeID}); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, ctx, res); r.err != nil || r.d.Attempts != 2 {
		t.Fatalf("%+v %v", r.d, r.err)
	}
}
