package remediation

import (
	"context"
	"sync"
)

// NotifierRelay is a Notifier that passes every notification on to the Notifier
// connected to it. It breaks a construction cycle: the bot needs the engine (to call
// it) and the engine notifies the bot. The wiring builds the relay, gives it to
// NewEngine, builds the bot with the engine, then connects the bot to the relay.
// Notifications that arrive before Connect are held (in order, up to maxHeld) and
// delivered at Connect, so nothing said during start-up is lost.
type NotifierRelay struct {
	mu   sync.Mutex
	to   Notifier
	held []heldNote
}

type heldNote struct {
	ctx context.Context
	r   Run
	ev  AuditEvent
}

// maxHeld bounds what a relay holds before it is connected.
const maxHeld = 1000

// Connect sends the held notifications to n, then every later one. Connecting a
// relay twice replaces nothing: the first Notifier stays.
func (n *NotifierRelay) Connect(to Notifier) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.to != nil || to == nil {
		return
	}
	n.to = to
	for _, h := range n.held {
		to.RunChanged(h.ctx, h.r, h.ev)
	}
	n.held = nil
}

// RunChanged implements Notifier.
func (n *NotifierRelay) RunChanged(ctx context.Context, r Run, ev AuditEvent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.to != nil {
		n.to.RunChanged(ctx, r, ev)
		return
	}
	if len(n.held) < maxHeld {
		n.held = append(n.held, heldNote{ctx: context.WithoutCancel(ctx), r: r, ev: ev})
	}
}
