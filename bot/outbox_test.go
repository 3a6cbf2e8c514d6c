package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
	"github.com/okta-chatops/okta-chatops/storage"
)

const auditCh = "C0AUDIT001"

type outboxEnv struct {
	ws    *slacksim.Workspace
	api   *slack.Client
	store remediation.Store
	lags  *lagRecorder
}

func newOutboxEnv(t *testing.T, opts slacksim.Options, wrap ...func(http.Handler) http.Handler) *outboxEnv {
	t.Helper()
	ws := slacksim.New(opts)
	h := ws.Handler()
	for _, w := range wrap {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); ws.Close() })
	ws.AddChannel(auditCh, "okta-audit", true)
	o := ws.Options()
	return &outboxEnv{
		ws: ws, api: slack.New(o.BotToken, slack.OptionAPIURL(srv.URL+"/api/")),
		store: storage.NewMemory(storage.MemoryOptions{}), lags: &lagRecorder{},
	}
}

// replica is one bot process's outbox over the shared store.
func (x *outboxEnv) replica(owner string, store remediation.Store) *Bot {
	return New(Config{AuditChannel: auditCh, Owner: owner, Metrics: x.lags}, x.api, nil, store, nil)
}

func (x *outboxEnv) appendEvents(t *testing.T, n int) []remediation.AuditEntry {
	t.Helper()
	ctx := t.Context()
	before, err := x.store.Audit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ev := remediation.AuditEvent{Type: remediation.AuditStepDone, At: time.Now(), Actor: "engine:test",
			RunID: "run-1", Plan: remediation.PlanResetExternalID, Step: 3, Kind: "unassign",
			Detail: fmt.Sprintf("entry-%03d", len(before)+i)}
		if err := x.store.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	all, err := x.store.Audit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// posted returns every entry ID named in the audit channel's lines, in order, and
// how many messages hold them.
func (x *outboxEnv) posted(entries []remediation.AuditEntry) (ids []string, messages int) {
	msgs := x.ws.Messages(auditCh)
	for _, m := range msgs {
		for _, e := range entries {
			if strings.Contains(m.TextArg, e.Event.Detail+"\n") {
				ids = append(ids, e.ID)
			}
		}
	}
	return ids, len(msgs)
}

type lagRecorder struct {
	mu   sync.Mutex
	lags []time.Duration
}

func (l *lagRecorder) Command(CommandName, Outcome) {}
func (l *lagRecorder) Acked(time.Duration)          {}
func (l *lagRecorder) AuditLag(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lags = append(l.lags, d)
}

func (l *lagRecorder) last() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lags) == 0 {
		return -1
	}
	return l.lags[len(l.lags)-1]
}

// A burst of 45 entries (about three fixes) reaches the audit channel in two
// messages, within Slack's per-channel limit, every entry once and in order.
func TestOutboxBatchesWithinSlacksLimit(t *testing.T) {
	x := newOutboxEnv(t, slacksim.Options{ChannelPosts: slacksim.PostLimit{Burst: 1, Every: time.Second}})
	entries := x.appendEvents(t, 45)
	b := x.replica("a", x.store)
	ctx := t.Context()
	for range 2 {
		wait, err := b.flushAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if wait > 0 { // the second post inside the same second: honour Retry-After
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
			if _, err := b.flushAudit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids, msgs := x.posted(entries)
	if msgs != 2 || len(ids) != 45 {
		t.Fatalf("%d entries in %d messages, want 45 in 2", len(ids), msgs)
	}
	for i := range ids {
		if ids[i] != entries[i].ID {
			t.Fatalf("entry %d is %s, want %s (order)", i, ids[i], entries[i].ID)
		}
	}
	if posts, ok := x.ws.Calls("chat.postMessage"), 2; posts > ok+1 {
		t.Fatalf("%d chat.postMessage calls for 2 messages: the outbox does not wait after a 429", posts)
	}
	if wait, err := b.flushAudit(ctx); err != nil || wait != 0 {
		t.Fatal(wait, err)
	}
	if msgs := len(x.ws.Messages(auditCh)); msgs != 2 || x.lags.last() != 0 {
		t.Fatalf("caught up: %d messages (want 2), lag %v (want 0)", msgs, x.lags.last())
	}
}

// A 429 posts nothing and moves nothing; the outbox returns Slack's Retry-After and
// posts the same batch next time.
func TestOutboxHonoursRetryAfter(t *testing.T) {
	x := newOutboxEnv(t, slacksim.Options{})
	entries := x.appendEvents(t, 3)
	b := x.replica("a", x.store)
	x.ws.RateLimit("chat.postMessage", 1, 3*time.Second)
	wait, err := b.flushAudit(t.Context())
	if err != nil || wait != 3*time.Second {
		t.Fatalf("flush = %v, %v; want Retry-After 3s", wait, err)
	}
	if len(x.ws.Messages(auditCh)) != 0 {
		t.Fatal("posted although rate-limited")
	}
	if x.lags.last() <= 0 {
		t.Fatalf("lag %v while behind, want > 0", x.lags.last())
	}
	if _, err := b.flushAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ids, msgs := x.posted(entries); msgs != 1 || len(ids) != 3 {
		t.Fatalf("%d entries in %d messages after the wait", len(ids), msgs)
	}
}

// crashingStore fails the audit channel's cursor write once: the replica "dies"
// between its post and the cursor write.
type crashingStore struct {
	remediation.Store
	once sync.Once
}

func (c *crashingStore) SetCursor(ctx context.Context, name, value string) error {
	crash := false
	if name == AuditChannelCursor {
		c.once.Do(func() { crash = true })
	}
	if crash {
		return errors.New("killed")
	}
	return c.Store.SetCursor(ctx, name, value)
}

// A replica killed between a post and its cursor write: the next one finds the batch
// in the channel and does not post it again; then it posts what came after.
func TestOutboxKilledBetweenPostAndCursorDoesNotRepost(t *testing.T) {
	x := newOutboxEnv(t, slacksim.Options{})
	entries := x.appendEvents(t, 5)
	dying := x.replica("a", &crashingStore{Store: x.store})
	if _, err := dying.flushAudit(t.Context()); err == nil {
		t.Fatal("the cursor write did not fail")
	}
	if _, msgs := x.posted(entries); msgs != 1 {
		t.Fatalf("%d messages after the first post", msgs)
	}
	if err := x.store.Unlock(t.Context(), outboxLock, "a"); err != nil { // the lock lapses
		t.Fatal(err)
	}
	entries = x.appendEvents(t, 2)
	next := x.replica("b", x.store)
	for range 2 {
		if _, err := next.flushAudit(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	ids, msgs := x.posted(entries)
	if msgs != 2 || len(ids) != 7 {
		t.Fatalf("%d entries in %d messages, want 7 in 2 (none twice)", len(ids), msgs)
	}
	if c, _ := x.store.Cursor(t.Context(), AuditChannelCursor); c != entries[6].ID {
		t.Fatalf("cursor %s, want %s", c, entries[6].ID)
	}
}

// A replica killed after recording the batch but before posting it: the batch is not
// in the channel, so the next replica posts it.
func TestOutboxKilledBeforePostPostsOnce(t *testing.T) {
	x := newOutboxEnv(t, slacksim.Options{})
	entries := x.appendEvents(t, 4)
	if err := x.store.SetCursor(t.Context(), outboxPending, entries[3].ID); err != nil {
		t.Fatal(err)
	}
	b := x.replica("b", x.store)
	if _, err := b.flushAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ids, msgs := x.posted(entries); msgs != 1 || len(ids) != 4 {
		t.Fatalf("%d entries in %d messages, want 4 in 1", len(ids), msgs)
	}
}

// An app installed without the history scopes: the outbox cannot look the batch up,
// says so, and posts it rather than stalling the channel.
func TestOutboxWithoutHistoryScopePostsAnyway(t *testing.T) {
	noHistory := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/conversations.history") {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"ok":false,"error":"missing_scope","needed":"channels:history","provided":"chat:write"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	x := newOutboxEnv(t, slacksim.Options{}, noHistory)
	entries := x.appendEvents(t, 2)
	if err := x.store.SetCursor(t.Context(), outboxPending, entries[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := x.replica("b", x.store).flushAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ids, msgs := x.posted(entries); msgs != 1 || len(ids) != 2 {
		t.Fatalf("%d entries in %d messages, want 2 in 1", len(ids), msgs)
	}
}
