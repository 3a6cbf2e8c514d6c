package slacksim_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

const (
	alice   = "U0ALICE01"
	bob     = "U0BOB0001"
	general = "C0GENERAL1"
	closed  = "C0NOBOT001"
)

type env struct {
	ws    *slacksim.Workspace
	srv   *httptest.Server
	clock *testclock.Clock
	api   *slack.Client
}

// newEnv starts a seeded workspace on an httptest server.
func newEnv(t *testing.T, opts slacksim.Options) *env {
	t.Helper()
	clock := testclock.New(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)) // trigger and response_url expiry
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	ws := slacksim.New(opts)
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() {
		ws.Close()
		srv.Close()
	})
	ws.AddUser(slacksim.User{ID: alice, Name: "alice", RealName: "Alice Admin", Email: "alice@example.com", Locale: "ja-JP"})
	ws.AddUser(slacksim.User{ID: bob, Name: "bob", RealName: "Bob Manager", Email: "bob@example.com", Locale: "en-US"})
	ws.AddUserGroup("S0MANAGERS", "it-managers", bob)
	ws.AddChannel(general, "it-ops", true)
	ws.AddChannel(closed, "random", false)
	o := ws.Options()
	api := slack.New(o.BotToken, slack.OptionAppLevelToken(o.AppToken), slack.OptionAPIURL(srv.URL+"/api/"))
	return &env{ws: ws, srv: srv, clock: clock, api: api}
}

// bot is a real slack-go Socket Mode client; its events are forwarded to a
// buffered channel so slack-go never blocks on a test that is not reading.
type bot struct {
	sm     *socketmode.Client
	events chan socketmode.Event
}

func (e *env) startBot(t *testing.T, opts ...socketmode.Option) *bot {
	t.Helper()
	opts = append([]socketmode.Option{socketmode.OptionLog(log.New(io.Discard, "", 0))}, opts...)
	sm := socketmode.New(e.api, opts...)
	b := &bot{sm: sm, events: make(chan socketmode.Event, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = sm.RunContext(ctx)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case ev := <-sm.Events:
				select {
				case b.events <- ev:
				default:
					t.Errorf("test bot event buffer full")
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return b
}

// next returns the next event of that type, skipping others.
func (b *bot) next(t *testing.T, ctx context.Context, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	for {
		select {
		case ev := <-b.events:
			if ev.Type == typ {
				return ev
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", typ, ctx.Err())
		}
	}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// result carries a Delivery out of a goroutine.
type result struct {
	d   slacksim.Delivery
	err error
}

func async(f func() (slacksim.Delivery, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		d, err := f()
		ch <- result{d, err}
	}()
	return ch
}

func wait(t *testing.T, ctx context.Context, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		t.Fatalf("waiting for delivery: %v", ctx.Err())
		return result{}
	}
}
