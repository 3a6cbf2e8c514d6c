package slacksim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

func TestHelloAndSlashCommandAck(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)

	hello := b.next(t, ctx, socketmode.EventTypeHello)
	if hello.Request.NumConnections != 1 || hello.Request.ConnectionInfo.AppID != slacksim.DefaultAppID {
		t.Fatalf("hello = %+v", hello.Request)
	}
	if hello.Request.DebugInfo.Host == "" {
		t.Errorf("hello without debug_info.host")
	}
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}

	res := async(func() (slacksim.Delivery, error) {
		return e.ws.SlashCommand(ctx, alice, general, "/okta-diagnose", "alice@example.com slack")
	})
	ev := b.next(t, ctx, socketmode.EventTypeSlashCommand)
	cmd, ok := ev.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("data is %T", ev.Data)
	}
	if cmd.Command != "/okta-diagnose" || cmd.Text != "alice@example.com slack" || cmd.UserID != alice ||
		cmd.UserName != "alice" || cmd.ChannelID != general || cmd.ChannelName != "it-ops" ||
		cmd.TeamID != slacksim.DefaultTeamID || cmd.APIAppID != slacksim.DefaultAppID || cmd.TriggerID == "" {
		t.Errorf("slash command = %+v", cmd)
	}
	if !strings.HasPrefix(cmd.ResponseURL, e.srv.URL+"/response/") {
		t.Errorf("response_url = %q, want one on the simulator", cmd.ResponseURL)
	}
	if !ev.Request.AcceptsResponsePayload || ev.Request.RetryAttempt != 0 || ev.Request.EnvelopeID == "" {
		t.Errorf("envelope = %+v", ev.Request)
	}
	b.sm.Ack(*ev.Request)

	r := wait(t, ctx, res)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.d.Acked() || r.d.Attempts != 1 || r.d.EnvelopeID != ev.Request.EnvelopeID || r.d.Type != "slash_commands" {
		t.Errorf("delivery = %+v", r.d)
	}
	if l := r.d.AckLatency(); l <= 0 || l > 3*time.Second {
		t.Errorf("ack latency = %v", l)
	}
	if r.d.TriggerID != cmd.TriggerID || r.d.ResponseURL != cmd.ResponseURL {
		t.Errorf("delivery trigger/response_url do not match the payload")
	}
}

func TestUnackedEnvelopeIsRedelivered(t *testing.T) {
	e := newEnv(t, slacksim.Options{AckTimeout: 150 * time.Millisecond})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res := async(func() (slacksim.Delivery, error) {
		return e.ws.SlashCommand(ctx, alice, general, "/okta-status", "")
	})
	first := b.next(t, ctx, socketmode.EventTypeSlashCommand) // not acked
	second := b.next(t, ctx, socketmode.EventTypeSlashCommand)
	if second.Request.EnvelopeID != first.Request.EnvelopeID {
		t.Errorf("redelivery has envelope_id %q, want %q", second.Request.EnvelopeID, first.Request.EnvelopeID)
	}
	if second.Request.RetryAttempt != 1 || second.Request.RetryReason != "timeout" {
		t.Errorf("redelivery retry_attempt=%d retry_reason=%q", second.Request.RetryAttempt, second.Request.RetryReason)
	}
	if first.Data.(slack.SlashCommand).TriggerID != second.Data.(slack.SlashCommand).TriggerID {
		t.Errorf("redelivery changed the payload")
	}
	b.sm.Ack(*second.Request)
	r := wait(t, ctx, res)
	if r.err != nil || r.d.Attempts != 2 || !r.d.Acked() {
		t.Fatalf("delivery = %+v, err = %v", r.d, r.err)
	}
}

func TestNeverAckedGivesUp(t *testing.T) {
	e := newEnv(t, slacksim.Options{AckTimeout: 50 * time.Millisecond, MaxRetries: 2})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d, err := e.ws.SlashCommand(ctx, alice, general, "/okta-help", "")
	if !errors.Is(err, slacksim.ErrNotAcked) {
		t.Fatalf("err = %v, want ErrNotAcked", err)
	}
	if d.Attempts != 3 || d.Acked() {
		t.Errorf("delivery = %+v, want 3 unacked attempts", d)
	}
	for i := 0; i < 3; i++ {
		ev := b.next(t, ctx, socketmode.EventTypeSlashCommand)
		if ev.Request.RetryAttempt != i {
			t.Errorf("attempt %d has retry_attempt %d", i, ev.Request.RetryAttempt)
		}
	}
}

func TestRedeliveryMovesToAnotherConnection(t *testing.T) {
	e := newEnv(t, slacksim.Options{AckTimeout: 150 * time.Millisecond})
	ctx := testCtx(t)
	b1 := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	b2 := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if h := b2.next(t, ctx, socketmode.EventTypeHello); h.Request.NumConnections != 2 {
		t.Errorf("second hello num_connections = %d", h.Request.NumConnections)
	}
	res := async(func() (slacksim.Delivery, error) {
		return e.ws.SlashCommand(ctx, alice, general, "/okta-status", "")
	})
	// Round robin: the first attempt goes to the first connection, which does not
	// ack; the retry goes to the second one.
	b1.next(t, ctx, socketmode.EventTypeSlashCommand)
	ev := b2.next(t, ctx, socketmode.EventTypeSlashCommand)
	b2.sm.Ack(*ev.Request)
	r := wait(t, ctx, res)
	if r.err != nil || r.d.AckedOn != 2 || r.d.Attempts != 2 {
		t.Fatalf("delivery = %+v, err = %v", r.d, r.err)
	}
}

func TestDisconnectAndDropReconnect(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if c := b.next(t, ctx, socketmode.EventTypeConnected); c.Data.(*socketmode.ConnectedEvent).ConnectionCount != 0 {
		t.Fatalf("first connection count = %+v", c.Data)
	}
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := e.ws.Disconnect("refresh_requested"); n != 1 {
		t.Fatalf("Disconnect told %d connections", n)
	}
	if c := b.next(t, ctx, socketmode.EventTypeConnected); c.Data.(*socketmode.ConnectedEvent).ConnectionCount != 1 {
		t.Fatalf("after refresh: %+v", c.Data)
	}
	if got := e.ws.Calls("apps.connections.open"); got != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", got)
	}
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := e.ws.Drop(); n != 1 {
		t.Fatalf("Drop dropped %d", n)
	}
	if c := b.next(t, ctx, socketmode.EventTypeConnected); c.Data.(*socketmode.ConnectedEvent).ConnectionCount != 2 {
		t.Fatalf("after drop: %+v", c.Data)
	}
	// The reconnected client still gets envelopes.
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res := async(func() (slacksim.Delivery, error) { return e.ws.SlashCommand(ctx, alice, general, "/okta-help", "") })
	ev := b.next(t, ctx, socketmode.EventTypeSlashCommand)
	b.sm.Ack(*ev.Request)
	if r := wait(t, ctx, res); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestPingsKeepSlackGoConnected(t *testing.T) {
	e := newEnv(t, slacksim.Options{PingInterval: 20 * time.Millisecond})
	ctx := testCtx(t)
	// slack-go reconnects when no ping arrives within its ping interval.
	e.startBot(t, socketmode.OptionPingInterval(300*time.Millisecond))
	if err := e.ws.WaitPongs(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if got := e.ws.Calls("apps.connections.open"); got != 1 {
		t.Errorf("client reconnected (%d opens): pings did not keep it alive", got)
	}
}

func TestAppsConnectionsOpenNeedsAppToken(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	o := e.ws.Options()
	wrong := slack.New(o.BotToken, slack.OptionAppLevelToken(o.BotToken), slack.OptionAPIURL(e.srv.URL+"/api/"))
	if _, _, err := wrong.StartSocketModeContext(ctx); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("bot token on apps.connections.open: err = %v", err)
	}
	_, url, err := e.api.StartSocketModeContext(ctx)
	if err != nil || !strings.HasPrefix(url, "ws://"+strings.TrimPrefix(e.srv.URL, "http://")+"/link/?ticket=") {
		t.Errorf("url = %q, err = %v", url, err)
	}
}

func TestEventsAPIEnvelope(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res := async(func() (slacksim.Delivery, error) {
		return e.ws.Event(ctx, map[string]any{
			"type": "app_mention", "user": alice, "channel": general,
			"text": "<@" + slacksim.DefaultBotUserID + "> help", "ts": "1700000000.000100",
		})
	})
	ev := b.next(t, ctx, socketmode.EventTypeEventsAPI)
	outer, ok := ev.Data.(slackevents.EventsAPIEvent)
	if !ok || outer.Type != slackevents.CallbackEvent || outer.TeamID != slacksim.DefaultTeamID {
		t.Fatalf("events_api data = %#v", ev.Data)
	}
	mention, ok := outer.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || mention.User != alice || mention.Channel != general {
		t.Fatalf("inner event = %#v", outer.InnerEvent.Data)
	}
	if ev.Request.AcceptsResponsePayload {
		t.Errorf("events_api envelopes do not accept a response payload")
	}
	b.sm.Ack(*ev.Request)
	if r := wait(t, ctx, res); r.err != nil || r.d.Type != "events_api" {
		t.Fatalf("%+v %v", r.d, r.err)
	}
}

func TestDeactivatedUserCannotAct(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	if err := e.ws.SetUserDeleted(alice, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ws.SlashCommand(ctx, alice, general, "/okta-help", ""); err == nil {
		t.Errorf("a deactivated user ran a command")
	}
}

func TestCloseEndsDeliveriesAndConnections(t *testing.T) {
	e := newEnv(t, slacksim.Options{AckTimeout: time.Minute})
	ctx := testCtx(t)
	b := e.startBot(t)
	if err := e.ws.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res := async(func() (slacksim.Delivery, error) { return e.ws.SlashCommand(ctx, alice, general, "/okta-help", "") })
	b.next(t, ctx, socketmode.EventTypeSlashCommand) // never acked
	e.ws.Close()
	if r := wait(t, ctx, res); !errors.Is(r.err, slacksim.ErrClosed) {
		t.Errorf("pending delivery after Close: %v", r.err)
	}
	if n := e.ws.Connections(); n != 0 {
		t.Errorf("%d connections after Close", n)
	}
	if _, err := e.api.AuthTestContext(ctx); err == nil {
		t.Errorf("Web API answers after Close")
	}
}
