package slacksim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

func slackErr(t *testing.T, err error) slack.SlackErrorResponse {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a Slack error response", err, err)
	}
	return se
}

func TestAuth(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	res, err := e.api.AuthTestContext(ctx)
	if err != nil || res.UserID != slacksim.DefaultBotUserID || res.BotID != slacksim.DefaultBotID || res.TeamID != slacksim.DefaultTeamID {
		t.Fatalf("auth.test = %+v, %v", res, err)
	}
	o := e.ws.Options()
	for _, tc := range []struct{ token, want string }{
		{"", "not_authed"},
		{"xoxb-wrong", "invalid_auth"},
		{o.AppToken, "not_allowed_token_type"},
	} {
		c := slack.New(tc.token, slack.OptionAPIURL(e.srv.URL+"/api/"))
		_, _, err := c.PostMessageContext(ctx, general, slack.MsgOptionText("hi", false))
		if err == nil || err.Error() != tc.want {
			t.Errorf("token %q: err = %v, want %s", tc.token, err, tc.want)
		}
	}
	// The bearer header works as well as the form field (JSON clients use it).
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/api/conversations.info", strings.NewReader(`{"channel":"`+general+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+o.BotToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("JSON call: %v %v", resp, err)
	}
	resp.Body.Close()
	if e.ws.Calls("conversations.info") != 1 || e.ws.Calls("chat.postMessage") != 3 {
		t.Errorf("calls: conversations.info=%d chat.postMessage=%d", e.ws.Calls("conversations.info"), e.ws.Calls("chat.postMessage"))
	}
}

func TestPostUpdateThreadEphemeral(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	ch, ts, msg, err := e.api.PostMessageWithResponseContext(ctx, general, slack.MsgOptionText("diagnosis", false), slack.MsgOptionBlocks(approvalBlocks("r1")...))
	if err != nil || ch != general || ts == "" || msg.User != slacksim.DefaultBotUserID || msg.BotID != slacksim.DefaultBotID || len(msg.Blocks.BlockSet) != 2 {
		t.Fatalf("postMessage = %q %q %+v %v", ch, ts, msg, err)
	}
	_, r1, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("step 1 done", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	// A reply to a reply lands in the parent's thread.
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("step 2 done", false), slack.MsgOptionTS(r1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("all done", false), slack.MsgOptionTS(ts), slack.MsgOptionBroadcast()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000000")); err == nil || err.Error() != "thread_not_found" {
		t.Errorf("reply to nothing: err = %v", err)
	}
	thread := e.ws.Thread(general, ts)
	if len(thread) != 3 || thread[0].TextArg != "step 1 done" || thread[1].ThreadTS != ts || thread[2].TextArg != "all done" {
		t.Fatalf("thread = %+v", thread)
	}
	top := e.ws.Messages(general)
	if len(top) != 2 || top[0].TS != ts || !top[1].ReplyBroadcast {
		t.Fatalf("top level = %+v", top)
	}
	if top[0].TS >= top[1].TS {
		t.Errorf("ts not increasing: %s then %s", top[0].TS, top[1].TS)
	}

	_, _, _, err = e.api.UpdateMessageContext(ctx, general, ts, slack.MsgOptionText("decided", false))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := e.ws.Message(general, ts)
	if len(got.Buttons()) != 2 || got.TextArg != "decided" {
		t.Errorf("an update without blocks keeps them: %+v", got)
	}
	if _, _, _, err := e.api.UpdateMessageContext(ctx, general, "9.000000", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("update unknown ts: %v", err)
	}
	ets, err := e.api.PostEphemeralContext(ctx, general, alice, slack.MsgOptionText("only you", false))
	if err != nil || ets == "" {
		t.Fatalf("postEphemeral: %q %v", ets, err)
	}
	if _, _, _, err := e.api.UpdateMessageContext(ctx, general, ets, slack.MsgOptionText("x", false)); err == nil || err.Error() != "cant_update_message" {
		t.Errorf("update an ephemeral: %v", err)
	}
	if _, err := e.api.PostEphemeralContext(ctx, general, "U0NOBODY", slack.MsgOptionText("x", false)); err == nil || err.Error() != "user_not_in_channel" {
		t.Errorf("ephemeral to nobody: %v", err)
	}
	if link, err := e.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: general, Ts: ts}); err != nil || !strings.Contains(link, general) {
		t.Errorf("permalink = %q, %v", link, err)
	}
}

func TestPostMessageRefusals(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	post := func(ch string, opts ...slack.MsgOption) error {
		_, _, err := e.api.PostMessageContext(ctx, ch, opts...)
		return err
	}
	text := slack.MsgOptionText("hi", false)
	if err := post("C0UNKNOWN", text); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
	if err := post(closed, text); err == nil || err.Error() != "not_in_channel" {
		t.Errorf("bot not in channel: %v", err)
	}
	if err := post(general); err == nil || err.Error() != "no_text" {
		t.Errorf("nothing to post: %v", err)
	}
	if err := post(general, slack.MsgOptionText(strings.Repeat("あ", 4001), false)); err == nil || err.Error() != "msg_too_long" {
		t.Errorf("4001 characters: %v", err)
	}
	if err := post(general, slack.MsgOptionText(strings.Repeat("あ", 4000), false)); err != nil {
		t.Errorf("4000 characters (counted as characters, not bytes): %v", err)
	}
	if err := post("#it-ops", text); err != nil {
		t.Errorf("post by channel name: %v", err)
	}
}

func section(s string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, s, false, false), nil, nil)
}

func button(actionID, value, label string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
}

func TestBlockKitLimits(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	withID := func(b *slack.SectionBlock, id string) *slack.SectionBlock { b.BlockID = id; return b }
	sec := func(id string) *slack.SectionBlock {
		return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "x", false, false), nil, nil)
	}
	long := strings.Repeat("a", 256)
	cases := []struct {
		name   string
		blocks []slack.Block
		want   string // a response_metadata message
	}{
		{"51 blocks", many, "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"},
		{"section text 3001", []slack.Block{section(strings.Repeat("a", 3001))}, "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"empty section text", []slack.Block{section("")}, "[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]"},
		{"button text 76", []slack.Block{slack.NewActionBlock("a", button("go", "v", strings.Repeat("b", 76)))}, "[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"},
		{"button value 2001", []slack.Block{slack.NewActionBlock("a", button("go", strings.Repeat("v", 2001), "Go"))}, "[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"},
		{"action_id 256", []slack.Block{slack.NewActionBlock("a", button(long, "v", "Go"))}, "[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"},
		{"block_id 256", []slack.Block{withID(sec(""), long)}, "[ERROR] must be less than 256 characters [json-pointer:/blocks/0/block_id]"},
		{"duplicate block_id", []slack.Block{withID(sec(""), "same"), withID(sec(""), "same")}, "[ERROR] duplicate block_id [json-pointer:/blocks/1/block_id]"},
		{"duplicate action_id in a block", []slack.Block{slack.NewActionBlock("a", button("propose_plan", "reassign:1", "Reassign"), button("propose_plan", "reset_external_id:1", "Reset"))}, "[ERROR] duplicate action_id [json-pointer:/blocks/0/elements/1/action_id]"},
		{"header text 151", []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))}, "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"},
	}
	for _, tc := range cases {
		_, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(tc.blocks...))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		se := slackErr(t, err)
		if se.Err != "invalid_blocks" || !slices.Contains(se.ResponseMetadata.Messages, tc.want) {
			t.Errorf("%s: error %q, messages %q; want invalid_blocks with %q", tc.name, se.Err, se.ResponseMetadata.Messages, tc.want)
		}
		// chat.update and chat.postEphemeral enforce the same rules.
		if _, err := e.api.PostEphemeralContext(ctx, general, alice, slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(tc.blocks...)); err == nil || err.Error() != "invalid_blocks" {
			t.Errorf("%s: postEphemeral err = %v", tc.name, err)
		}
	}
	// Limits exactly met are fine, and one action_id may repeat across blocks.
	ok := []slack.Block{
		section(strings.Repeat("a", 3000)),
		slack.NewActionBlock("p1", button("propose_plan", "reassign:1", strings.Repeat("b", 75))),
		slack.NewActionBlock("p2", button("propose_plan", "reset_external_id:1", "Reset")),
		slack.NewActionBlock("p3", button(strings.Repeat("a", 255), strings.Repeat("v", 2000), "Go")),
	}
	_, ts, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(ok...))
	if err != nil {
		t.Fatalf("valid blocks refused: %v", err)
	}
	if _, _, _, err := e.api.UpdateMessageContext(ctx, general, ts, slack.MsgOptionBlocks(many...)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("update with 51 blocks: %v", err)
	}
}

func TestUsersGroupsConversations(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	u, err := e.api.GetUserInfoContext(ctx, alice)
	if err != nil || u.Name != "alice" || u.Profile.Email != "alice@example.com" || u.Locale != "ja-JP" || u.RealName != "Alice Admin" {
		t.Fatalf("users.info = %+v, %v", u, err)
	}
	u, err = e.api.GetUserInfoContext(ctx, alice, slack.GetUserInfoOptionIncludeLocale(false))
	if err != nil || u.Locale != "" {
		t.Errorf("locale without include_locale: %q %v", u.Locale, err)
	}
	if _, err := e.api.GetUserInfoContext(ctx, "U0NOBODY"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	u, err = e.api.GetUserByEmailContext(ctx, "BOB@example.com")
	if err != nil || u.ID != bob {
		t.Errorf("lookupByEmail = %+v, %v", u, err)
	}
	if _, err := e.api.GetUserByEmailContext(ctx, "nobody@example.com"); err == nil || err.Error() != "users_not_found" {
		t.Errorf("unknown email: %v", err)
	}
	if err := e.ws.SetUserDeleted(bob, true); err != nil {
		t.Fatal(err)
	}
	if u, err := e.api.GetUserInfoContext(ctx, bob); err != nil || !u.Deleted {
		t.Errorf("deactivated user: %+v %v", u, err)
	}
	members, err := e.api.GetUserGroupMembersContext(ctx, "S0MANAGERS")
	if err != nil || !slices.Equal(members, []string{bob}) {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	if _, err := e.api.GetUserGroupMembersContext(ctx, "S0NONE"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	ch, err := e.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: general})
	if err != nil || ch.Name != "it-ops" || !ch.IsMember {
		t.Errorf("conversations.info = %+v, %v", ch, err)
	}
	if _, err := e.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0NONE"}); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	e.ws.RateLimit("chat.postMessage", 1, 2*time.Second)
	_, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want RateLimitedError with Retry-After 2s", err)
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("after the limit: %v", err)
	}
	if n := len(e.ws.Messages(general)); n != 1 {
		t.Errorf("%d messages, want 1 (the limited call posts nothing)", n)
	}
}

func TestWaitMessage(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := e.ws.WaitMessage(short, func(m slacksim.Message) bool { return true }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no message: err = %v", err)
	}
	got := make(chan slacksim.Message, 1)
	go func() {
		m, err := e.ws.WaitMessage(ctx, func(m slacksim.Message) bool { return m.Contains("verified") })
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	for i := 0; i < 3; i++ {
		if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText(fmt.Sprintf("step %d", i), false)); err != nil {
			t.Fatal(err)
		}
	}
	_, ts, _ := e.api.PostMessageContext(ctx, general, slack.MsgOptionBlocks(section("provisioning *verified*")))
	select {
	case m := <-got:
		if m.TS != ts || m.Text() != "provisioning *verified*" {
			t.Errorf("got %+v", m)
		}
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
}

func TestUnknownMethodAndJSONBlocks(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	o := e.ws.Options()
	form := url.Values{"token": {o.BotToken}, "channel": {general}, "blocks": {`[{"type":"section","text":{"type":"mrkdwn","text":"hello"}}]`}}
	resp, err := http.PostForm(e.srv.URL+"/api/chat.postMessage", form)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	// JSON body with blocks as an array, as JSON-speaking clients send them.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/api/chat.postMessage",
		strings.NewReader(`{"channel":"`+general+`","text":"fb","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"json"}}]}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+o.BotToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	msgs := e.ws.Messages(general)
	if len(msgs) != 2 || msgs[0].Text() != "hello" || msgs[1].Text() != "json" {
		t.Fatalf("messages = %+v", msgs)
	}
	resp, err = http.PostForm(e.srv.URL+"/api/no.such.method", url.Values{"token": {o.BotToken}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.OK || out.Error != "unknown_method" {
		t.Errorf("unknown method answered %+v, %v", out, err)
	}
}

// apps.connections.open fails as Slack's does: an unknown token, a bot token, a revoked
// app-level token.
func TestAppsConnectionsOpenFailures(t *testing.T) {
	w := slacksim.New(slacksim.Options{BotToken: "xoxb-1", AppToken: "xapp-1"})
	defer w.Close()
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	open := func(token string) string {
		req, _ := http.NewRequest("POST", srv.URL+"/api/apps.connections.open", strings.NewReader(""))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
			URL   string `json:"url"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if body.OK {
			return "ok"
		}
		return body.Error
	}
	for token, want := range map[string]string{"xapp-1": "ok", "xapp-other": "invalid_auth", "xoxb-1": "not_allowed_token_type", "": "not_authed"} {
		if got := open(token); got != want {
			t.Errorf("token %q: %s, want %s", token, got, want)
		}
	}
	w.RevokeToken("xapp-1")
	if got := open("xapp-1"); got != "token_revoked" {
		t.Errorf("revoked: %s", got)
	}
}

// Per channel, chat.postMessage lets a short burst through, then answers 429 with
// Retry-After until the bucket refills; other channels are not affected.
func TestChannelPostLimit(t *testing.T) {
	e := newEnv(t, slacksim.Options{ChannelPosts: slacksim.PostLimit{Burst: 3, Every: 200 * time.Millisecond}})
	ctx := testCtx(t)
	for i := range 3 {
		if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("burst", false)); err != nil {
			t.Fatalf("post %d of the burst: %v", i+1, err)
		}
	}
	_, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("one too many", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter < time.Second {
		t.Fatalf("4th post: %v, want RateLimitedError with Retry-After ≥ 1s", err)
	}
	e.ws.AddChannel("C0OTHER001", "other", true)
	if _, _, err := e.api.PostMessageContext(ctx, "C0OTHER001", slack.MsgOptionText("elsewhere", false)); err != nil {
		t.Fatalf("another channel: %v", err)
	}
	// Honouring Retry-After gets through.
	select {
	case <-time.After(rl.RetryAfter):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("after the wait", false)); err != nil {
		t.Fatalf("after Retry-After: %v", err)
	}
	if n := len(e.ws.Messages(general)); n != 4 {
		t.Errorf("%d messages in the channel, want 4 (the limited one posts nothing)", n)
	}
}

func TestConversationsHistory(t *testing.T) {
	e := newEnv(t, slacksim.Options{})
	ctx := testCtx(t)
	var tss []string
	for _, text := range []string{"one", "two", "three"} {
		_, ts, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText(text, false))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
	}
	if _, _, err := e.api.PostMessageContext(ctx, general, slack.MsgOptionText("a reply", false), slack.MsgOptionTS(tss[0])); err != nil {
		t.Fatal(err)
	}
	h, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: general, Limit: 2})
	if err != nil || len(h.Messages) != 2 || h.Messages[0].Text != "three" || h.Messages[1].Text != "two" || !h.HasMore {
		t.Fatalf("history = %+v, %v; want three, two (newest first) and more", h, err)
	}
	h, err = e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: general, Oldest: tss[0]})
	if err != nil || len(h.Messages) != 2 || h.HasMore {
		t.Fatalf("history after the first = %+v, %v; want two (oldest is exclusive, replies are not listed)", h, err)
	}
	if _, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0NONE"}); err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("unknown channel: %v", err)
	}
}
