package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiError is a Slack Web API failure: HTTP 200 with {"ok":false,"error":code},
// plus the details Slack adds for invalid_blocks.
type apiError struct {
	code string
	msgs []string // response_metadata.messages, "[ERROR] …" lines
	errs []string // top-level "errors"
}

func fail(code string) *apiError { return &apiError{code: code} }

type params map[string]string

func (p params) has(k string) bool { _, ok := p[k]; return ok }

type tokenKind int

const (
	botToken tokenKind = iota + 1
	appToken
)

type apiMethod struct {
	token tokenKind
	fn    func(p params) (map[string]any, *apiError)
}

func (w *Workspace) methods() map[string]apiMethod {
	return map[string]apiMethod{
		"auth.test":             {botToken, w.authTest},
		"apps.connections.open": {appToken, w.appsConnectionsOpen},
		"chat.postMessage":      {botToken, w.chatPostMessage},
		"chat.update":           {botToken, w.chatUpdate},
		"chat.postEphemeral":    {botToken, w.chatPostEphemeral},
		"chat.getPermalink":     {botToken, w.chatGetPermalink},
		"views.open":            {botToken, w.viewsOpen},
		"views.update":          {botToken, w.viewsUpdate},
		"users.info":            {botToken, w.usersInfo},
		"users.lookupByEmail":   {botToken, w.usersLookupByEmail},
		"usergroups.users.list": {botToken, w.usergroupsUsersList},
		"conversations.info":    {botToken, w.conversationsInfo},
		"conversations.history": {botToken, w.conversationsHistory},
	}
}

func (w *Workspace) serveAPI(rw http.ResponseWriter, r *http.Request) {
	w.learnBase(r)
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	w.mu.Lock()
	w.calls[name]++
	closed := w.closed
	var limited *rateLimit
	if l := w.limits[name]; l != nil && l.remaining > 0 {
		l.remaining--
		limited = l
	}
	w.mu.Unlock()
	log := w.log.With("method", name)
	if closed {
		http.Error(rw, "workspace closed", http.StatusServiceUnavailable)
		return
	}
	if limited != nil {
		rw.Header().Set("Retry-After", strconv.Itoa(int((limited.retryAfter+time.Second-1)/time.Second)))
		writeJSON(rw, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		log.Debug("rate limited")
		return
	}
	p, err := readParams(r)
	if err != nil {
		w.answer(rw, name, nil, &apiError{code: "invalid_form_data"})
		return
	}
	if name == "chat.postMessage" {
		w.mu.Lock()
		ok, wait := w.takePostLocked(p["channel"])
		w.mu.Unlock()
		if !ok {
			// Slack answers in whole seconds, at least one.
			rw.Header().Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
			writeJSON(rw, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
			log.Debug("channel post rate limited", "channel", p["channel"])
			return
		}
	}
	m, ok := w.methods()[name]
	if !ok {
		w.answer(rw, name, nil, fail("unknown_method"))
		return
	}
	tok := p["token"]
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tok = strings.TrimPrefix(h, "Bearer ")
	}
	switch {
	case tok == "":
		w.answer(rw, name, nil, fail("not_authed"))
		return
	case tok != w.opts.BotToken && tok != w.opts.AppToken:
		w.answer(rw, name, nil, fail("invalid_auth"))
		return
	case w.isRevoked(tok):
		w.answer(rw, name, nil, fail("token_revoked"))
		return
	case (m.token == botToken) != (tok == w.opts.BotToken):
		w.answer(rw, name, nil, fail("not_allowed_token_type"))
		return
	}
	body, aerr := m.fn(p)
	w.answer(rw, name, body, aerr)
}

func (w *Workspace) answer(rw http.ResponseWriter, method string, body map[string]any, aerr *apiError) {
	if aerr != nil {
		out := map[string]any{"ok": false, "error": aerr.code}
		if len(aerr.errs) > 0 {
			out["errors"] = aerr.errs
		}
		if len(aerr.msgs) > 0 {
			out["response_metadata"] = map[string]any{"messages": aerr.msgs}
		}
		w.log.Debug("web api error", "method", method, "error", aerr.code)
		writeJSON(rw, http.StatusOK, out)
		return
	}
	if body == nil {
		body = map[string]any{}
	}
	body["ok"] = true
	writeJSON(rw, http.StatusOK, body)
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

// readParams reads form-encoded bodies (what slack-go sends for most methods),
// JSON bodies (views.*, apps.connections.open) and query strings alike. A JSON
// value that is not a string is kept as its JSON text, so "blocks" and "view" read
// the same whichever encoding the client chose.
func readParams(r *http.Request) (params, error) {
	p := params{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		for k, v := range r.URL.Query() {
			p[k] = v[0]
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			return nil, fmt.Errorf("reading body: %w", err)
		}
		if len(strings.TrimSpace(string(raw))) == 0 {
			return p, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("decoding JSON body: %w", err)
		}
		for k, v := range m {
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				p[k] = s
				continue
			}
			if string(v) != "null" {
				p[k] = string(v)
			}
		}
		return p, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("parsing form: %w", err)
	}
	for k, v := range r.Form {
		p[k] = v[0]
	}
	return p, nil
}

func (w *Workspace) authTest(params) (map[string]any, *apiError) {
	return map[string]any{
		"url":     "https://" + w.opts.TeamDomain + ".slack.com/",
		"team":    w.opts.TeamDomain,
		"user":    "okta-chatops",
		"team_id": w.opts.TeamID,
		"user_id": w.opts.BotUserID,
		"bot_id":  w.opts.BotID,

		"is_enterprise_install": false,
	}, nil
}

func (w *Workspace) appsConnectionsOpen(params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ticket := randomHex(16)
	w.tickets[ticket] = true
	base := strings.Replace(w.baseLocked(), "http", "ws", 1)
	u := base + "/link/?ticket=" + ticket + "&app_id=" + url.QueryEscape(w.opts.AppID)
	return map[string]any{"url": u}, nil
}

// checkContent applies Slack's rules on a message's text and blocks.
func (w *Workspace) checkContent(p params, requireContent bool) *apiError {
	text, blocks := p["text"], p["blocks"]
	if requireContent && text == "" && (blocks == "" || blocks == "[]") && p["attachments"] == "" {
		return fail("no_text")
	}
	if runeLen(text) > w.opts.MaxTextChars {
		return fail("msg_too_long")
	}
	if blocks != "" {
		if e := validateBlocks(json.RawMessage(blocks), "/blocks", maxMessageBlocks, false); !e.ok() {
			return blocksError(e)
		}
	}
	return nil
}

func blocksError(e blockErrors) *apiError {
	if e.format {
		return fail("invalid_blocks_format")
	}
	aerr := &apiError{code: "invalid_blocks", errs: e.msgs}
	for _, m := range e.msgs {
		aerr.msgs = append(aerr.msgs, "[ERROR] "+m)
	}
	return aerr
}

// channelLocked resolves a channel ID or name (with or without #).
func (w *Workspace) channelLocked(ref string) *channel {
	if c, ok := w.channels[ref]; ok {
		return c
	}
	name := strings.TrimPrefix(ref, "#")
	for _, c := range w.channels {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (w *Workspace) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type":    "message",
		"text":    m.TextArg,
		"user":    m.User,
		"bot_id":  m.BotID,
		"app_id":  w.opts.AppID,
		"ts":      m.TS,
		"team":    w.opts.TeamID,
		"channel": m.Channel,
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = json.RawMessage(m.Blocks)
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if !m.EditedAt.IsZero() {
		out["edited"] = map[string]any{"user": m.User, "ts": fmt.Sprintf("%d.000000", m.EditedAt.Unix())}
	}
	return out
}

func rawBlocks(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func truthy(s string) bool { return s == "true" || s == "1" }

func (w *Workspace) chatPostMessage(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := w.channelLocked(p["channel"])
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	if !ch.botMember {
		return nil, fail("not_in_channel")
	}
	if e := w.checkContent(p, true); e != nil {
		return nil, e
	}
	threadTS := p["thread_ts"]
	if threadTS != "" {
		parent := w.findLocked(ch.id, threadTS)
		if parent == nil || parent.Ephemeral {
			// Slack's documentation does not name this case; a reply to nothing is
			// a bot bug worth surfacing, so it is refused rather than posted.
			return nil, fail("thread_not_found")
		}
		if parent.ThreadTS != "" {
			threadTS = parent.ThreadTS // a reply to a reply joins the parent's thread
		}
	}
	m := &Message{
		Channel:        ch.id,
		TS:             w.newTSLocked(),
		ThreadTS:       threadTS,
		User:           w.opts.BotUserID,
		BotID:          w.opts.BotID,
		TextArg:        p["text"],
		Blocks:         rawBlocks(p["blocks"]),
		ReplyBroadcast: threadTS != "" && truthy(p["reply_broadcast"]),
		Source:         "chat.postMessage",
		PostedAt:       w.now(),
	}
	w.messages = append(w.messages, m)
	w.notifyLocked()
	w.log.Debug("message posted", "channel", m.Channel, "ts", m.TS, "thread_ts", m.ThreadTS)
	return map[string]any{"channel": ch.id, "ts": m.TS, "message": w.messageJSON(m)}, nil
}

// conversationsHistory lists a channel's top-level messages, newest first (Slack:
// limit default 100, at most 999; oldest/latest exclusive unless inclusive).
func (w *Workspace) conversationsHistory(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := w.channelLocked(p["channel"])
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	if !ch.botMember {
		return nil, fail("not_in_channel")
	}
	limit := 100
	if v, err := strconv.Atoi(p["limit"]); err == nil && v > 0 {
		limit = min(v, 999)
	}
	inclusive := truthy(p["inclusive"])
	inRange := func(ts string) bool {
		if o := p["oldest"]; o != "" && (ts < o || (ts == o && !inclusive)) {
			return false
		}
		if l := p["latest"]; l != "" && (ts > l || (ts == l && !inclusive)) {
			return false
		}
		return true
	}
	msgs := []any{}
	more := false
	for i := len(w.messages) - 1; i >= 0; i-- {
		m := w.messages[i]
		if m.Channel != ch.id || m.ThreadTS != "" || m.Ephemeral || m.Deleted || !inRange(m.TS) {
			continue
		}
		if len(msgs) == limit {
			more = true
			break
		}
		msgs = append(msgs, w.messageJSON(m))
	}
	return map[string]any{"messages": msgs, "has_more": more, "pin_count": 0}, nil
}

func (w *Workspace) chatUpdate(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := w.channelLocked(p["channel"])
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	m := w.findLocked(ch.id, p["ts"])
	if m == nil || m.Deleted {
		return nil, fail("message_not_found")
	}
	if m.Ephemeral || m.User != w.opts.BotUserID {
		return nil, fail("cant_update_message")
	}
	if e := w.checkContent(p, false); e != nil {
		return nil, e
	}
	w.editLocked(m, p)
	w.notifyLocked()
	return map[string]any{"channel": ch.id, "ts": m.TS, "text": m.TextArg, "message": w.messageJSON(m)}, nil
}

// editLocked applies an update: text and blocks replace the current ones when
// given; blocks left out are kept and "[]" clears them, as slack-go relies on.
func (w *Workspace) editLocked(m *Message, p params) {
	m.Edits = append(m.Edits, Edit{Text: m.TextArg, Blocks: m.Blocks, At: w.now()})
	if p.has("text") {
		m.TextArg = p["text"]
	}
	if p.has("blocks") {
		m.Blocks = rawBlocks(p["blocks"])
	}
	m.EditedAt = w.now()
}

func (w *Workspace) chatPostEphemeral(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := w.channelLocked(p["channel"])
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	if !ch.botMember {
		return nil, fail("not_in_channel")
	}
	u, ok := w.users[p["user"]]
	if !ok || u.Deleted {
		return nil, fail("user_not_in_channel")
	}
	if e := w.checkContent(p, true); e != nil {
		return nil, e
	}
	m := &Message{
		Channel:     ch.id,
		TS:          w.newTSLocked(),
		ThreadTS:    p["thread_ts"],
		User:        w.opts.BotUserID,
		BotID:       w.opts.BotID,
		TextArg:     p["text"],
		Blocks:      rawBlocks(p["blocks"]),
		Ephemeral:   true,
		EphemeralTo: u.ID,
		Source:      "chat.postEphemeral",
		PostedAt:    w.now(),
	}
	w.messages = append(w.messages, m)
	w.notifyLocked()
	return map[string]any{"message_ts": m.TS}, nil
}

func (w *Workspace) chatGetPermalink(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := w.channelLocked(p["channel"])
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	m := w.findLocked(ch.id, p["message_ts"])
	if m == nil || m.Ephemeral {
		return nil, fail("message_not_found")
	}
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", w.opts.TeamDomain, ch.id, strings.ReplaceAll(m.TS, ".", ""))
	return map[string]any{"channel": ch.id, "permalink": link}, nil
}

func (w *Workspace) userJSON(u *User, locale bool) map[string]any {
	out := map[string]any{
		"id":        u.ID,
		"team_id":   w.opts.TeamID,
		"name":      u.Name,
		"deleted":   u.Deleted,
		"real_name": u.RealName,
		"is_bot":    u.IsBot,
		"is_admin":  false,
		"is_owner":  false,
		"tz":        "Asia/Tokyo",
		"profile": map[string]any{
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            u.Name,
			"display_name_normalized": u.Name,
			"email":                   u.Email,
			"team":                    w.opts.TeamID,
		},
		"is_app_user": false,
	}
	if locale && u.Locale != "" {
		out["locale"] = u.Locale
	}
	return out
}

func (w *Workspace) usersInfo(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.users[p["user"]]
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"user": w.userJSON(u, truthy(p["include_locale"]))}, nil
}

func (w *Workspace) usersLookupByEmail(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	email := strings.ToLower(strings.TrimSpace(p["email"]))
	for _, u := range w.users {
		if email != "" && strings.ToLower(u.Email) == email {
			return map[string]any{"user": w.userJSON(u, false)}, nil
		}
	}
	return nil, fail("users_not_found")
}

func (w *Workspace) usergroupsUsersList(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	g, ok := w.groups[p["usergroup"]]
	if !ok {
		return nil, fail("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, g.members...)}, nil
}

func (w *Workspace) conversationsInfo(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := w.channelLocked(p["channel"])
	if ch == nil {
		return nil, fail("channel_not_found")
	}
	return map[string]any{"channel": map[string]any{
		"id":          ch.id,
		"name":        ch.name,
		"is_channel":  true,
		"is_private":  false,
		"is_archived": false,
		"is_member":   ch.botMember,
		"created":     0,
	}}, nil
}

func (w *Workspace) isRevoked(tok string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.revoked[tok]
}
