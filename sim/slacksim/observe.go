package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
)

// Messages returns the channel's top-level messages (and thread replies broadcast to
// the channel), oldest first, as they are now. Ephemeral and deleted messages are
// not included.
func (w *Workspace) Messages(channelID string) []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Message
	for _, m := range w.messages {
		if m.Channel == channelID && !m.Ephemeral && !m.Deleted && (m.ThreadTS == "" || m.ReplyBroadcast) {
			out = append(out, cloneMessage(m))
		}
	}
	return out
}

// Thread returns the replies to the message ts in the channel, oldest first,
// without the parent. Ephemeral replies are not included.
func (w *Workspace) Thread(channelID, ts string) []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Message
	for _, m := range w.messages {
		if m.Channel == channelID && m.ThreadTS == ts && !m.Ephemeral && !m.Deleted {
			out = append(out, cloneMessage(m))
		}
	}
	return out
}

// Message returns the message with that ts in the channel, ephemeral or not.
func (w *Workspace) Message(channelID, ts string) (Message, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.findLocked(channelID, ts)
	if m == nil {
		return Message{}, false
	}
	return cloneMessage(m), true
}

// Ephemerals returns the ephemeral messages shown to the user, oldest first.
func (w *Workspace) Ephemerals(userID string) []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Message
	for _, m := range w.messages {
		if m.Ephemeral && m.EphemeralTo == userID && !m.Deleted {
			out = append(out, cloneMessage(m))
		}
	}
	return out
}

// AllMessages returns every message (top level, replies, ephemeral; deleted ones
// too), in posting order: a transcript.
func (w *Workspace) AllMessages() []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Message, 0, len(w.messages))
	for _, m := range w.messages {
		out = append(out, cloneMessage(m))
	}
	return out
}

// Views returns the views opened for the user, in opening order.
func (w *Workspace) Views(userID string) []View {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []View
	for _, v := range w.viewSeq {
		if v.UserID == userID {
			out = append(out, cloneView(v))
		}
	}
	return out
}

// WaitMessage blocks until a message (top level, reply, ephemeral or an updated
// version) satisfies match, and returns the first such message in posting order.
func (w *Workspace) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	var found Message
	err := w.waitFor(ctx, func() bool {
		for _, m := range w.messages {
			if m.Deleted {
				continue
			}
			if c := cloneMessage(m); match(c) {
				found = c
				return true
			}
		}
		return false
	})
	if err != nil {
		return Message{}, fmt.Errorf("slacksim: waiting for a message: %w", err)
	}
	return found, nil
}

// WaitView blocks until a view satisfies match.
func (w *Workspace) WaitView(ctx context.Context, match func(View) bool) (View, error) {
	var found View
	err := w.waitFor(ctx, func() bool {
		for _, v := range w.viewSeq {
			if c := cloneView(v); match(c) {
				found = c
				return true
			}
		}
		return false
	})
	if err != nil {
		return View{}, fmt.Errorf("slacksim: waiting for a view: %w", err)
	}
	return found, nil
}

func (w *Workspace) findLocked(channelID, ts string) *Message {
	for _, m := range w.messages {
		if m.Channel == channelID && m.TS == ts {
			return m
		}
	}
	return nil
}

func cloneMessage(m *Message) Message {
	c := *m
	c.Blocks = append(json.RawMessage(nil), m.Blocks...)
	c.Edits = append([]Edit(nil), m.Edits...)
	return c
}

func cloneView(v *View) View {
	c := *v
	c.Blocks = append(json.RawMessage(nil), v.Blocks...)
	c.Raw = append(json.RawMessage(nil), v.Raw...)
	if v.SubmitErrors != nil {
		c.SubmitErrors = map[string]string{}
		for k, e := range v.SubmitErrors {
			c.SubmitErrors[k] = e
		}
	}
	return c
}
