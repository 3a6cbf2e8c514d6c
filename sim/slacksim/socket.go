package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one Socket Mode connection.
type conn struct {
	n    int // 1-based, in order of connection
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla allows one concurrent writer
	once sync.Once
	done chan struct{}
}

func (c *conn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return fmt.Errorf("setting write deadline: %w", err)
	}
	if err := c.ws.WriteJSON(v); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// envelope is one payload on its way to the bot, across its redeliveries.
type envelope struct {
	id         string
	typ        string
	payload    json.RawMessage
	accepts    bool
	attempts   int
	sentAt     time.Time
	ackedAt    time.Time
	ackPayload json.RawMessage
	ackedOn    int
}

func (e *envelope) delivery() Delivery {
	return Delivery{
		EnvelopeID: e.id,
		Type:       e.typ,
		Attempts:   e.attempts,
		SentAt:     e.sentAt,
		AckedAt:    e.ackedAt,
		AckPayload: append(json.RawMessage(nil), e.ackPayload...),
		AckedOn:    e.ackedOn,
	}
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin https://api.slack.com; other non-browser clients
	// send none. A browser page on another origin is refused.
	CheckOrigin: func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		return o == "" || o == "https://api.slack.com"
	},
	WriteBufferSize: 32 * 1024,
}

func (w *Workspace) serveLink(rw http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		http.Error(rw, "workspace closed", http.StatusServiceUnavailable)
		return
	}
	valid := w.tickets[ticket]
	delete(w.tickets, ticket) // a ticket is good for one dial
	w.mu.Unlock()
	if !valid {
		http.Error(rw, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(rw, r, nil)
	if err != nil {
		w.log.Warn("websocket upgrade failed", "error", err)
		return
	}
	c := &conn{ws: ws, done: make(chan struct{})}

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		_ = ws.Close()
		return
	}
	w.connSeq++
	c.n = w.connSeq
	tooMany := len(w.conns) >= w.opts.MaxConnections
	if !tooMany {
		w.conns = append(w.conns, c)
		w.notifyLocked()
	}
	num := len(w.conns)
	w.wg.Add(2) // this handler and its pinger
	w.mu.Unlock()
	defer w.wg.Done()
	log := w.log.With("connection", c.n)

	go w.pinger(c)
	defer w.unregister(c)

	if tooMany {
		log.Warn("too many websockets", "max", w.opts.MaxConnections)
		_ = c.writeJSON(map[string]any{"type": "disconnect", "reason": "too_many_websockets", "debug_info": w.debugInfo(c)})
		return
	}
	ws.SetPongHandler(func(string) error {
		w.mu.Lock()
		w.pongs++
		w.notifyLocked()
		w.mu.Unlock()
		return nil
	})
	hello := map[string]any{
		"type":            "hello",
		"num_connections": num,
		"debug_info": map[string]any{
			"host":                        fmt.Sprintf("applink-sim-%d", c.n),
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": w.opts.AppID},
	}
	if err := c.writeJSON(hello); err != nil {
		log.Warn("sending hello failed", "error", err)
		return
	}
	log.Debug("socket mode connected", "num_connections", num)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			log.Debug("socket mode connection ended", "error", err)
			return
		}
		if len(data) >= maxAckFrame {
			// Slack silently drops responses of 20 KB or more.
			log.Warn("ack frame too large, dropped", "bytes", len(data))
			continue
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &ack); err != nil || ack.EnvelopeID == "" {
			log.Warn("unreadable frame from client", "bytes", len(data))
			continue
		}
		w.ack(c, ack.EnvelopeID, ack.Payload)
	}
}

func (w *Workspace) debugInfo(c *conn) map[string]any {
	return map[string]any{"host": fmt.Sprintf("applink-sim-%d", c.n)}
}

func (w *Workspace) unregister(c *conn) {
	c.close()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, x := range w.conns {
		if x == c {
			w.conns = append(w.conns[:i], w.conns[i+1:]...)
			break
		}
	}
	w.notifyLocked()
}

func (w *Workspace) pinger(c *conn) {
	defer w.wg.Done()
	t := time.NewTicker(w.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-w.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
				c.close()
				return
			}
		}
	}
}

func (w *Workspace) ack(c *conn, id string, payload json.RawMessage) {
	w.mu.Lock()
	defer w.mu.Unlock()
	env, ok := w.envs[id]
	if !ok {
		w.log.Warn("ack for unknown envelope", "envelope_id", id)
		return
	}
	if !env.ackedAt.IsZero() {
		return // a second ack (after a redelivery) changes nothing
	}
	env.ackedAt = time.Now()
	env.ackedOn = c.n
	if len(payload) > 0 && string(payload) != "null" {
		env.ackPayload = append(json.RawMessage(nil), payload...)
	}
	w.notifyLocked()
}

// Connections returns how many Socket Mode connections are open.
func (w *Workspace) Connections() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

// WaitConnected blocks until at least n connections are open.
func (w *Workspace) WaitConnected(ctx context.Context, n int) error {
	if err := w.waitFor(ctx, func() bool { return len(w.conns) >= n }); err != nil {
		return fmt.Errorf("slacksim: waiting for %d connections: %w", n, err)
	}
	return nil
}

// Pongs returns how many pongs the clients have sent: each answers a ping, so a
// growing count shows pings arrive.
func (w *Workspace) Pongs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pongs
}

// WaitPongs blocks until the clients have answered at least n pings in total.
func (w *Workspace) WaitPongs(ctx context.Context, n int) error {
	if err := w.waitFor(ctx, func() bool { return w.pongs >= n }); err != nil {
		return fmt.Errorf("slacksim: waiting for %d pongs: %w", n, err)
	}
	return nil
}

// Disconnect sends {"type":"disconnect","reason":reason} on every open connection,
// as Slack does before it recycles them ("refresh_requested", "warning",
// "link_disabled"). Slack closes the socket soon after; slack-go closes it itself
// and reconnects. It returns how many connections were told.
func (w *Workspace) Disconnect(reason string) int {
	w.mu.Lock()
	conns := append([]*conn(nil), w.conns...)
	w.mu.Unlock()
	n := 0
	for _, c := range conns {
		if err := c.writeJSON(map[string]any{"type": "disconnect", "reason": reason, "debug_info": w.debugInfo(c)}); err == nil {
			n++
		}
	}
	return n
}

// Drop closes every open connection without a word, like a network failure.
// It returns how many were dropped.
func (w *Workspace) Drop() int {
	w.mu.Lock()
	conns := append([]*conn(nil), w.conns...)
	w.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	return len(conns)
}

func (w *Workspace) pickConn() *conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.conns) == 0 {
		return nil
	}
	c := w.conns[w.rr%len(w.conns)]
	w.rr++
	return c
}

// deliver sends the envelope until it is acked, redelivering after AckTimeout.
func (w *Workspace) deliver(ctx context.Context, env *envelope) (Delivery, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return env.delivery(), ErrClosed
	}
	w.envs[env.id] = env
	w.mu.Unlock()
	log := w.log.With("envelope_id", env.id, "type", env.typ)

	for attempt := 0; attempt <= w.opts.MaxRetries; attempt++ {
		reason := ""
		if attempt > 0 {
			reason = "timeout"
		}
		frame := map[string]any{
			"envelope_id":              env.id,
			"type":                     env.typ,
			"accepts_response_payload": env.accepts,
			"payload":                  env.payload,
			"retry_attempt":            attempt,
			"retry_reason":             reason,
		}
		if c := w.pickConn(); c != nil {
			w.mu.Lock()
			if env.sentAt.IsZero() {
				env.sentAt = time.Now()
			}
			env.attempts++
			w.mu.Unlock()
			if err := c.writeJSON(frame); err != nil {
				log.Warn("envelope write failed", "connection", c.n, "error", err)
				w.mu.Lock()
				env.attempts--
				w.mu.Unlock()
				c.close()
			} else {
				log.Debug("envelope sent", "connection", c.n, "retry_attempt", attempt)
			}
		} else {
			log.Debug("no connection for envelope", "retry_attempt", attempt)
		}
		timer := time.NewTimer(w.opts.AckTimeout)
		acked, err := w.waitUntil(ctx, timer.C, func() bool { return !env.ackedAt.IsZero() })
		timer.Stop()
		if err != nil {
			w.mu.Lock()
			d := env.delivery()
			w.mu.Unlock()
			return d, fmt.Errorf("slacksim: delivering %s: %w", env.typ, err)
		}
		if acked {
			w.mu.Lock()
			d := env.delivery()
			w.mu.Unlock()
			log.Debug("envelope acked", "ack_latency", d.AckLatency(), "attempts", d.Attempts)
			return d, nil
		}
	}
	w.mu.Lock()
	d := env.delivery()
	w.mu.Unlock()
	return d, fmt.Errorf("slacksim: %s %s after %d attempts: %w", env.typ, env.id, d.Attempts, ErrNotAcked)
}

// waitUntil is waitFor with a deadline channel: it reports whether cond became true
// before the deadline fired.
func (w *Workspace) waitUntil(ctx context.Context, deadline <-chan time.Time, cond func() bool) (bool, error) {
	for {
		w.mu.Lock()
		if cond() {
			w.mu.Unlock()
			return true, nil
		}
		if w.closed {
			w.mu.Unlock()
			return false, ErrClosed
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}
