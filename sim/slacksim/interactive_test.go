package slacksim_test

import (
	"errors"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

func approvalBlocks(runID string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Approve* reset_external_id for alice?", false, false), nil, nil),
		slack.NewActionBlock("decide",
			slack.NewButtonBlockElement("approve_run", runID, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("reject_run", runID, slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false)).WithStyle(slack.StyleDanger),
		),
	}
}

func TestClickOnlyWhatWasRendered(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	_, ts, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("approval needed", false), slack.MsgOptionBlocks(approvalBlocks("run-1")...))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := e.ws.WaitMessage(ctx, func(m slacksim.Message) bool { return m.TS == ts })
	if err != nil {
		t.Fatal(err)
	}
	if btns := msg.Buttons(); len(btns) != 2 || btns[0].ActionID != "approve_run" || btns[0].Value != "run-1" || btns[0].Text != "Approve" || btns[0].BlockID != "decide" {
		t.Fatalf("buttons = %+v", btns)
	}
	if !msg.Contains("reset_external_id") || msg.TextArg != "approval needed" {
		t.Errorf("text = %q / %q", msg.Text(), msg.TextArg)
	}

	for _, bad := range []struct{ action, value string }{
		{"approve_run", "run-2"},    // value never rendered
		{"confirm_step", "run-1:3"}, // action never rendered
	} {
		if _, err := e.ws.Click(ctx, bob, general, ts, bad.action, bad.value); !errors.Is(err, slacksim.ErrNotRendered) {
			t.Errorf("click %v: err = %v, want ErrNotRendered", bad, err)
		}
	}
	if _, err := e.ws.Click(ctx, bob, general, "1.000001", "approve_run", "run-1"); !errors.Is(err, slacksim.ErrNotRendered) {
		t.Errorf("click on a missing message: err = %v", err)
	}

	res := async(func() (slacksim.Delivery, error) { return e.ws.Click(ctx, bob, general, ts, "approve_run", "run-1") })
	ev := b.next(t, ctx, socketmode.EventTypeInteractive)
	cb, ok := ev.Data.(slack.InteractionCallback)
	if !ok {
		t.Fatalf("data is %T", ev.Data)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != bob || cb.Channel.ID != general ||
		cb.Container.MessageTs != ts || cb.Message.Timestamp != ts || cb.TriggerID == "" || cb.ResponseURL == "" ||
		cb.APIAppID != slacksim.DefaultAppID || cb.Team.ID != slacksim.DefaultTeamID {
		t.Errorf("callback = %+v", cb)
	}
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions = %+v", cb.ActionCallback)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "approve_run" || act.Value != "run-1" || act.BlockID != "decide" || act.ActionTs == "" || act.Type != "button" {
		t.Errorf("action = %+v", act)
	}
	b.sm.Ack(*ev.Request)
	if r := wait(t, ctx, res); r.err != nil || !r.d.Acked() {
		t.Fatalf("click delivery = %+v, %v", r.d, r.err)
	}

	// Once the bot removes the buttons, they can no longer be clicked.
	if _, _, _, err := e.api.UpdateMessageContext(ctx, general, ts, slack.MsgOptionText("approved by bob", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ws.Click(ctx, bob, general, ts, "approve_run", "run-1"); !errors.Is(err, slacksim.ErrNotRendered) {
		t.Errorf("click after update: err = %v", err)
	}
	got, _ := e.ws.Message(general, ts)
	if !got.Updated() || got.Text() != "approved by bob" || len(got.Edits) != 1 || len(got.Edits[0].Blocks) == 0 {
		t.Errorf("updated message = %+v", got)
	}
}

func TestClickOnEphemeralIsPrivate(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ts, err := e.api.PostEphemeralContext(ctx, general, alice, slack.MsgOptionText("only alice", false), slack.MsgOptionBlocks(approvalBlocks("run-9")...))
	if err != nil {
		t.Fatal(err)
	}
	if eph := e.ws.Ephemerals(alice); len(eph) != 1 || eph[0].TS != ts || !eph[0].Ephemeral {
		t.Fatalf("ephemerals = %+v", eph)
	}
	if len(e.ws.Messages(general)) != 0 {
		t.Errorf("an ephemeral message shows in the channel")
	}
	if _, err := e.ws.Click(ctx, bob, general, ts, "approve_run", "run-9"); !errors.Is(err, slacksim.ErrNotRendered) {
		t.Errorf("bob clicked alice's ephemeral: err = %v", err)
	}
	res := async(func() (slacksim.Delivery, error) { return e.ws.Click(ctx, alice, general, ts, "reject_run", "run-9") })
	ev := b.next(t, ctx, socketmode.EventTypeInteractive)
	cb := ev.Data.(slack.InteractionCallback)
	if !cb.Container.IsEphemeral || cb.Message.Timestamp != "" {
		t.Errorf("ephemeral click: container = %+v, message ts = %q (Slack sends no message)", cb.Container, cb.Message.Timestamp)
	}
	b.sm.Ack(*ev.Request)
	if r := wait(t, ctx, res); r.err != nil {
		t.Fatal(r.err)
	}
}
