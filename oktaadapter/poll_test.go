package oktaadapter

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// drain polls from cursor until an empty page, returning the events and the cursor.
func drain(t *testing.T, c *Client, cursor string, since time.Time) ([]remediation.LogEvent, string) {
	t.Helper()
	var out []remediation.LogEvent
	for range 100 {
		page, err := c.PollLog(context.Background(), cursor, since)
		if err != nil {
			t.Fatal(err)
		}
		if page.Next == "" {
			t.Fatal("a polling page without a next link")
		}
		if len(page.Events) == 0 {
			if cursor != "" && page.Next != cursor {
				t.Fatalf("an empty page moved the cursor: %q → %q", cursor, page.Next)
			}
			return out, page.Next
		}
		out = append(out, page.Events...)
		cursor = page.Next
	}
	t.Fatal("polling never caught up")
	return nil, ""
}

func TestSimPollLogAsOktaRecommends(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	e.c.logPageSize = 2
	zoom := e.appID(t, oktasim.LabelZoom)
	since := e.ft.Now().Add(-24 * time.Hour)
	seeded, cursor := drain(t, e.c, "", since)
	if len(seeded) == 0 {
		t.Fatal("the seeded failures were not found")
	}
	for _, ev := range seeded {
		if ev.Result != "FAILURE" || !(strings.HasPrefix(ev.EventType, "application.provision.user") || strings.HasPrefix(ev.EventType, "application.integration.")) {
			t.Errorf("an event the filter should drop: %s %s", ev.EventType, ev.Result)
		}
	}
	// The first request is a polling query: since, no until, ascending, the filter.
	var first *oktasim.Request
	for _, r := range e.org.Requests() {
		if r.Path == "/api/v1/logs" {
			first = &r
			break
		}
	}
	q, _ := url.ParseQuery(first.Query)
	if q.Get("since") == "" || q.Has("until") || q.Get("sortOrder") != "ASCENDING" || !strings.Contains(q.Get("filter"), `outcome.result eq "FAILURE"`) {
		t.Fatalf("first query %s", first.Query)
	}

	// New failures appear behind the cursor, a late one included, each once.
	var users []string
	for _, login := range []string{"poll1@example.com", "poll2@example.com"} {
		id, err := e.org.AddUser(oktasim.UserSpec{Login: login, FirstName: "Poll", LastName: "Test"})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, id)
	}
	for i, u := range users {
		if err := e.org.AssignUser(zoom, u); err != nil {
			t.Fatal(err)
		}
		if err := e.org.WaitIdle(context.Background()); err != nil {
			t.Fatal(err)
		}
		st, _ := e.org.AppUser(zoom, u)
		if err := e.org.SaaSDeleteAccount(zoom, st.ExternalID); err != nil {
			t.Fatal(err)
		}
		e.org.SetLogLateness(time.Duration(i) * 10 * time.Minute)
		if err := e.org.PushProfile(zoom, u); err != nil {
			t.Fatal(err)
		}
		e.ft.Advance(time.Second)
	}
	e.org.SetLogLateness(0)
	got, _ := drain(t, e.c, cursor, time.Time{})
	seen := map[string]int{}
	for _, ev := range got {
		for _, tg := range ev.Targets {
			if tg.Type == "User" {
				seen[tg.ID]++
			}
		}
		if m, ok := remediation.RecognizeEvent(ev); !ok || m.Code != remediation.StaleExternalID {
			t.Errorf("event %q not recognised as STALE_EXTERNAL_ID", ev.Reason)
		}
	}
	if len(got) != 2 || seen[users[0]] != 1 || seen[users[1]] != 1 {
		t.Fatalf("after two failures (one late): %d events, users %v", len(got), seen)
	}
}

func TestPollLogRefusesAForeignCursor(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	for _, cur := range []string{"https://evil.example.com/api/v1/logs?after=1", "/api/v1/users?limit=1", "/api/v1/logs?x=/../../users"} {
		if _, err := e.c.PollLog(context.Background(), cur, time.Time{}); err == nil {
			t.Errorf("cursor %q accepted", cur)
		}
	}
}
