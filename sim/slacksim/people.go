package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// verificationToken is the deprecated token Slack still puts in payloads.
const verificationToken = "sim-verification-token"

func newEnvelopeID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (w *Workspace) teamJSON() map[string]any {
	return map[string]any{"id": w.opts.TeamID, "domain": w.opts.TeamDomain}
}

func (w *Workspace) personJSON(u User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": w.opts.TeamID}
}

// SlashCommand types `command text` as userID in channelID and delivers Slack's
// slash_commands payload (with a fresh trigger_id and response_url) over Socket
// Mode. It returns once the envelope is acked (or redelivered MaxRetries times
// without one: ErrNotAcked). A message in the ack payload is shown the way Slack
// shows it: ephemeral to the user, or in the channel with response_type in_channel.
func (w *Workspace) SlashCommand(ctx context.Context, userID, channelID, command, text string) (Delivery, error) {
	w.mu.Lock()
	u, err := w.actorLocked(userID)
	if err != nil {
		w.mu.Unlock()
		return Delivery{}, err
	}
	chName := channelID
	if ch := w.channelLocked(channelID); ch != nil {
		chName = ch.name
	}
	triggerID := w.newTriggerLocked(u.ID)
	respURL := w.newResponseURLLocked(channelID, u.ID, "", false)
	w.mu.Unlock()

	payload, err := json.Marshal(map[string]any{
		"token":                 verificationToken,
		"team_id":               w.opts.TeamID,
		"team_domain":           w.opts.TeamDomain,
		"channel_id":            channelID,
		"channel_name":          chName,
		"user_id":               u.ID,
		"user_name":             u.Name,
		"command":               command,
		"text":                  text,
		"api_app_id":            w.opts.AppID,
		"is_enterprise_install": "false", // a string: Slack form-encodes commands
		"response_url":          respURL,
		"trigger_id":            triggerID,
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("slacksim: encoding slash command: %w", err)
	}
	env := &envelope{id: newEnvelopeID(), typ: "slash_commands", payload: payload, accepts: true}
	d, err := w.deliver(ctx, env)
	d.TriggerID, d.ResponseURL = triggerID, respURL
	if err != nil {
		return d, err
	}
	if len(d.AckPayload) > 0 {
		d.ResponseError = w.postAckResponse(channelID, u.ID, d.AckPayload)
	}
	return d, nil
}

// postAckResponse shows a message carried by a slash command's ack.
func (w *Workspace) postAckResponse(channelID, userID string, raw json.RawMessage) string {
	var body struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return "invalid_payload"
	}
	if body.Text == "" && len(body.Blocks) == 0 {
		return "" // a bare ack
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, code := w.respondLocked(&responseURL{channel: channelID, user: userID}, responseBody{
		Text: body.Text, Blocks: body.Blocks, ResponseType: body.ResponseType,
	}, "ack")
	return code
}

// Click clicks, as userID, the button with that action_id and value in the message
// ts of channelID, and delivers Slack's block_actions payload. The button must be
// in the message as it is now: a test cannot click what the bot never rendered
// (ErrNotRendered), nor someone else's ephemeral message.
func (w *Workspace) Click(ctx context.Context, userID, channelID, messageTS, actionID, value string) (Delivery, error) {
	w.mu.Lock()
	m := w.findLocked(channelID, messageTS)
	if m == nil || m.Deleted || (m.Ephemeral && m.EphemeralTo != userID) {
		w.mu.Unlock()
		return Delivery{}, fmt.Errorf("slacksim: click by %s: no message %s in %s visible to them: %w", userID, messageTS, channelID, ErrNotRendered)
	}
	var btn *Button
	for _, b := range m.Buttons() {
		if b.ActionID == actionID && b.Value == value {
			b := b
			btn = &b
			break
		}
	}
	if btn == nil {
		w.mu.Unlock()
		return Delivery{}, fmt.Errorf("slacksim: click by %s on %s/%s: no button action_id=%q value=%q: %w", userID, channelID, messageTS, actionID, value, ErrNotRendered)
	}
	u, err := w.actorLocked(userID)
	if err != nil {
		w.mu.Unlock()
		return Delivery{}, err
	}
	chName := channelID
	if ch := w.channelLocked(channelID); ch != nil {
		chName = ch.name
	}
	triggerID := w.newTriggerLocked(u.ID)
	respURL := w.newResponseURLLocked(channelID, u.ID, m.TS, m.Ephemeral)
	actionTS := w.newTSLocked()
	container := map[string]any{
		"type":         "message",
		"message_ts":   m.TS,
		"channel_id":   channelID,
		"is_ephemeral": m.Ephemeral,
	}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	action := map[string]any{
		"action_id": btn.ActionID,
		"block_id":  btn.BlockID,
		"text":      map[string]any{"type": "plain_text", "text": btn.Text, "emoji": true},
		"value":     btn.Value,
		"type":      "button",
		"action_ts": actionTS,
	}
	if btn.Style != "" {
		action["style"] = btn.Style
	}
	p := map[string]any{
		"type":                  "block_actions",
		"user":                  w.personJSON(u),
		"api_app_id":            w.opts.AppID,
		"token":                 verificationToken,
		"container":             container,
		"trigger_id":            triggerID,
		"team":                  w.teamJSON(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": channelID, "name": chName},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          respURL,
		"actions":               []any{action},
	}
	if !m.Ephemeral {
		// Slack includes the message for channel messages only.
		p["message"] = w.messageJSON(m)
	}
	w.mu.Unlock()

	payload, err := json.Marshal(p)
	if err != nil {
		return Delivery{}, fmt.Errorf("slacksim: encoding block_actions: %w", err)
	}
	env := &envelope{id: newEnvelopeID(), typ: "interactive", payload: payload}
	d, err := w.deliver(ctx, env)
	d.TriggerID, d.ResponseURL = triggerID, respURL
	return d, err
}

// Submit submits, as userID, the open modal viewID with values[block_id][action_id]
// and delivers Slack's view_submission payload (private_metadata and callback_id
// as the bot set them). Every value must name an input the view has; a required
// input left empty is refused, as Slack's client refuses it. The ack's
// response_action is applied: errors keep the view open (View.SubmitErrors),
// update replaces it, clear closes the user's views, none closes it.
func (w *Workspace) Submit(ctx context.Context, userID, viewID string, values map[string]map[string]string) (Delivery, error) {
	w.mu.Lock()
	v, ok := w.views[viewID]
	if !ok || v.Closed || v.UserID != userID {
		w.mu.Unlock()
		return Delivery{}, fmt.Errorf("slacksim: submit by %s: no open view %s of theirs", userID, viewID)
	}
	state, err := viewState(v.Blocks, values)
	if err != nil {
		w.mu.Unlock()
		return Delivery{}, fmt.Errorf("slacksim: submit %s: %w", viewID, err)
	}
	u, err := w.actorLocked(userID)
	if err != nil {
		w.mu.Unlock()
		return Delivery{}, err
	}
	view := w.viewJSON(v)
	view["state"] = map[string]any{"values": state}
	p := map[string]any{
		"type":                  "view_submission",
		"team":                  w.teamJSON(),
		"user":                  w.personJSON(u),
		"api_app_id":            w.opts.AppID,
		"token":                 verificationToken,
		"trigger_id":            w.newTriggerLocked(u.ID),
		"view":                  view,
		"response_urls":         []any{},
		"is_enterprise_install": false,
		"enterprise":            nil,
	}
	w.mu.Unlock()

	payload, err := json.Marshal(p)
	if err != nil {
		return Delivery{}, fmt.Errorf("slacksim: encoding view_submission: %w", err)
	}
	env := &envelope{id: newEnvelopeID(), typ: "interactive", payload: payload, accepts: true}
	d, err := w.deliver(ctx, env)
	d.TriggerID = p["trigger_id"].(string)
	if err != nil {
		return d, err
	}
	d.ResponseError = w.applyViewResponse(v, d.AckPayload)
	return d, nil
}

// viewState builds state.values for the submitted inputs.
func viewState(blocks json.RawMessage, values map[string]map[string]string) (map[string]any, error) {
	state := map[string]any{}
	used := 0
	for _, b := range decodeBlocks(blocks) {
		if b["type"] != "input" {
			continue
		}
		blockID, _ := b["block_id"].(string)
		el := mapOf(b["element"])
		actionID, _ := el["action_id"].(string)
		typ, _ := el["type"].(string)
		val, given := values[blockID][actionID]
		if given {
			used++
		}
		optional, _ := b["optional"].(bool)
		if (!given || val == "") && !optional {
			return nil, fmt.Errorf("required input %s/%s left empty", blockID, actionID)
		}
		entry := map[string]any{"type": typ}
		switch typ {
		case "static_select", "radio_buttons":
			var chosen any
			if given {
				opts, _ := el["options"].([]any)
				for _, o := range opts {
					if mapOf(o)["value"] == val {
						chosen = o
					}
				}
				if chosen == nil {
					return nil, fmt.Errorf("input %s/%s has no option %q", blockID, actionID, val)
				}
			}
			entry["selected_option"] = chosen
		default:
			if given {
				entry["value"] = val
			} else {
				entry["value"] = nil
			}
		}
		state[blockID] = map[string]any{actionID: entry}
	}
	n := 0
	for _, acts := range values {
		n += len(acts)
	}
	if used != n {
		return nil, fmt.Errorf("values name inputs the view does not have")
	}
	return state, nil
}

func (w *Workspace) applyViewResponse(v *View, raw json.RawMessage) string {
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &resp); err != nil {
			return "invalid_payload"
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.notifyLocked()
	v.SubmitErrors = nil
	switch resp.ResponseAction {
	case "errors":
		v.SubmitErrors = resp.Errors
	case "update", "push":
		spec, aerr := parseView(string(resp.View))
		if aerr != nil {
			return aerr.code
		}
		target := v
		if resp.ResponseAction == "push" {
			target = &View{ID: w.newIDLocked("V"), UserID: v.UserID, OpenedAt: w.now()}
			w.views[target.ID] = target
			w.viewSeq = append(w.viewSeq, target)
		} else {
			target.Updates++
		}
		w.fillView(target, spec, string(resp.View))
	case "clear":
		for _, x := range w.viewSeq {
			if x.UserID == v.UserID {
				x.Closed = true
			}
		}
	default:
		v.Closed = true
	}
	return ""
}

// Event delivers an Events API event (for example an app_mention) in Slack's
// event_callback wrapper, as an events_api envelope.
func (w *Workspace) Event(ctx context.Context, event map[string]any) (Delivery, error) {
	w.mu.Lock()
	eventID := fmt.Sprintf("Ev0SIM%06d", w.nextSeqLocked())
	now := w.now()
	w.mu.Unlock()
	payload, err := json.Marshal(map[string]any{
		"token":      verificationToken,
		"team_id":    w.opts.TeamID,
		"api_app_id": w.opts.AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": now.Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": w.opts.TeamID, "user_id": w.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("slacksim: encoding event: %w", err)
	}
	return w.deliver(ctx, &envelope{id: newEnvelopeID(), typ: "events_api", payload: payload})
}

// actorLocked returns the person acting; a deactivated account cannot act.
func (w *Workspace) actorLocked(id string) (User, error) {
	u := w.userLocked(id)
	if u.Deleted {
		return u, fmt.Errorf("slacksim: %s is deactivated and cannot use Slack", id)
	}
	return u, nil
}

// Now is the workspace clock, for tests that reason about trigger expiry.
func (w *Workspace) Now() time.Time { return w.now() }
