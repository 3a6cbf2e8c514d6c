package slacksim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// responseBody is what a response_url accepts (slack-go's Msg / WebhookMessage).
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponseURL answers like Slack's response_url endpoint: 200 "ok" on success;
// plain-text errors otherwise (as incoming webhooks do): 404 once the URL has been
// used 5 times or is older than 30 minutes, 400 for a message Slack would refuse.
// Slack documents the 5-uses/30-minutes rule but not the body of the refusal;
// "used_url" and "expired_url" are this simulator's words for it.
func (w *Workspace) serveResponseURL(rw http.ResponseWriter, r *http.Request) {
	w.learnBase(r)
	if r.Method != http.MethodPost {
		http.Error(rw, "invalid_method", http.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		plain(rw, http.StatusBadRequest, "invalid_payload")
		return
	}
	var body responseBody
	if err := json.Unmarshal(raw, &body); err != nil {
		plain(rw, http.StatusBadRequest, "invalid_payload")
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ru, ok := w.respURLs[id]
	switch {
	case !ok:
		plain(rw, http.StatusNotFound, "no_service")
		return
	case ru.uses >= responseURLUses:
		plain(rw, http.StatusNotFound, "used_url")
		return
	case w.now().Sub(ru.created) > responseURLTTL:
		plain(rw, http.StatusNotFound, "expired_url")
		return
	}
	status, code := w.respondLocked(ru, body, "response_url")
	if code != "" {
		plain(rw, status, code)
		return
	}
	ru.uses++
	plain(rw, http.StatusOK, "ok")
}

func plain(rw http.ResponseWriter, status int, body string) {
	rw.Header().Set("Content-Type", "text/html")
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, body)
}

// respondLocked applies a response (from a response_url or an ack) and returns the
// HTTP status and error code Slack would answer ("" when accepted).
func (w *Workspace) respondLocked(ru *responseURL, body responseBody, source string) (int, string) {
	var orig *Message
	if ru.origTS != "" {
		orig = w.findLocked(ru.channel, ru.origTS)
	}
	if body.DeleteOriginal {
		if orig == nil || orig.Deleted {
			return http.StatusNotFound, "message_not_found"
		}
		orig.Deleted = true
		w.notifyLocked()
		return http.StatusOK, ""
	}
	hasBlocks := len(body.Blocks) > 0 && string(body.Blocks) != "null" && string(body.Blocks) != "[]"
	if body.Text == "" && !hasBlocks {
		return http.StatusBadRequest, "no_text"
	}
	if runeLen(body.Text) > w.opts.MaxTextChars {
		return http.StatusBadRequest, "msg_too_long"
	}
	if hasBlocks {
		if e := validateBlocks(body.Blocks, "/blocks", maxMessageBlocks, false); !e.ok() {
			return http.StatusBadRequest, blocksError(e).code
		}
	}
	if body.ReplaceOriginal && orig != nil && !orig.Deleted {
		p := params{"text": body.Text}
		if hasBlocks {
			p["blocks"] = string(body.Blocks)
		} else {
			p["blocks"] = "" // a replacement without blocks has none
		}
		w.editLocked(orig, p)
		w.notifyLocked()
		return http.StatusOK, ""
	}
	m := &Message{
		Channel:  ru.channel,
		TS:       w.newTSLocked(),
		ThreadTS: body.ThreadTS,
		User:     w.opts.BotUserID,
		BotID:    w.opts.BotID,
		TextArg:  body.Text,
		Source:   source,
		PostedAt: w.now(),
	}
	if hasBlocks {
		m.Blocks = append(json.RawMessage(nil), body.Blocks...)
	}
	if body.ResponseType != "in_channel" {
		m.Ephemeral, m.EphemeralTo = true, ru.user
	}
	w.messages = append(w.messages, m)
	if ru.origTS == "" {
		// For a command, "the original" is the last response it produced.
		ru.origTS, ru.ephemeral = m.TS, m.Ephemeral
	}
	w.notifyLocked()
	return http.StatusOK, ""
}
