package slacksim

import (
	"encoding/json"
	"strings"
	"time"
)

// User is a member of the simulated workspace.
type User struct {
	ID       string // U…
	Name     string // the handle, e.g. "alice"
	RealName string
	Email    string
	Locale   string // e.g. "en-US", "ja-JP"; returned by users.info only with include_locale=true
	IsBot    bool
	Deleted  bool // a deactivated account: Slack cannot delete users
}

// Button is a button element found in a message's blocks.
type Button struct {
	BlockID  string
	ActionID string
	Value    string
	Text     string
	Style    string
	URL      string
}

// Edit is an earlier version of a message, kept when the message was updated.
type Edit struct {
	Text   string
	Blocks json.RawMessage
	At     time.Time
}

// Message is a message as the simulated workspace shows it.
//
// The Slack `text` argument is kept in TextArg; with blocks it is only the
// notification fallback, so Text() returns what people actually see.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // empty for a top-level message; the parent's ts for a reply
	User     string // author: the bot user ID for everything the bot posts
	BotID    string
	TextArg  string
	Blocks   json.RawMessage // as posted, nil when the message has no blocks

	ReplyBroadcast bool   // a thread reply also shown in the channel
	Ephemeral      bool   // visible to EphemeralTo only
	EphemeralTo    string // user ID
	Source         string // how it was posted: "chat.postMessage", "chat.postEphemeral", "response_url", "ack"
	Deleted        bool   // removed through a response_url delete_original

	Edits    []Edit // earlier versions, oldest first
	PostedAt time.Time
	EditedAt time.Time // zero unless updated
}

// Updated reports whether the message was edited after it was posted.
func (m Message) Updated() bool { return len(m.Edits) > 0 }

// Buttons returns the buttons in the message's blocks, in order.
func (m Message) Buttons() []Button { return blockButtons(m.Blocks) }

// Button returns the first button with that action_id.
func (m Message) Button(actionID string) (Button, bool) {
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			return b, true
		}
	}
	return Button{}, false
}

// Text returns what a person reads: the text of every block (sections, fields,
// headers, context, rich text, markdown, button labels) joined by newlines, or the
// text argument when the message has no blocks.
func (m Message) Text() string {
	if len(m.Blocks) == 0 || string(m.Blocks) == "[]" || string(m.Blocks) == "null" {
		return m.TextArg
	}
	return strings.Join(blockTexts(m.Blocks), "\n")
}

// Contains reports whether the visible text or the text argument contains s.
func (m Message) Contains(s string) bool {
	return strings.Contains(m.Text(), s) || strings.Contains(m.TextArg, s)
}

// View is a modal opened by the bot.
type View struct {
	ID              string
	UserID          string // whom it was opened for
	ExternalID      string
	CallbackID      string
	PrivateMetadata string
	Hash            string
	Title           string
	Blocks          json.RawMessage
	Raw             json.RawMessage // the view as the bot last sent it
	Closed          bool
	Updates         int
	OpenedAt        time.Time
	SubmitErrors    map[string]string // response_action "errors" from the last submission
}

// Delivery reports what happened to one envelope.
type Delivery struct {
	EnvelopeID string
	Type       string // slash_commands, interactive, events_api
	Attempts   int    // how many times it was written to a connection
	SentAt     time.Time
	AckedAt    time.Time // zero when never acked
	AckPayload json.RawMessage
	// AckedOn is the connection (1-based, in order of connection) that carried the
	// first ack.
	AckedOn int
	// TriggerID and ResponseURL are those of the payload, for the caller's
	// convenience (a test that wants to open a view or use the response_url).
	TriggerID   string
	ResponseURL string
	// ResponseError is set when the ack carried a message that Slack would refuse.
	ResponseError string
}

// Acked reports whether the envelope was acknowledged.
func (d Delivery) Acked() bool { return !d.AckedAt.IsZero() }

// AckLatency is the time from the first send to the ack.
func (d Delivery) AckLatency() time.Duration {
	if !d.Acked() {
		return 0
	}
	return d.AckedAt.Sub(d.SentAt)
}
