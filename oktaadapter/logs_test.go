package oktaadapter

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

func logEventJSON(i int) map[string]any {
	return map[string]any{
		"uuid": fmt.Sprintf("evt-%d", i), "published": "2026-02-28T10:00:00.000Z",
		"eventType": "application.provision.user.push_profile", "severity": "WARN", "version": "0",
		"displayMessage": "Push user profile update to external application",
		"outcome":        map[string]any{"result": "FAILURE", "reason": "No user returned for user U0123"},
		"transaction":    map[string]any{"type": "JOB", "id": "tx-1", "detail": map[string]any{}},
		"target": []any{
			map[string]any{"id": "00u1", "type": "User", "alternateId": "alice@example.com", "displayName": "Alice"},
			map[string]any{"id": "0oa1", "type": "AppInstance", "alternateId": "Slack", "displayName": "Slack"},
		},
		"actor": map[string]any{"id": "0oa1", "type": "PublicClientApp"},
	}
}

// pollingServer behaves like a System Log polling query: every page has a next link with
// a fresh cursor. pageSize events per page; after emptyAfter pages the pages are empty.
func pollingServer(pageSize, emptyAfter int, calls *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v1/logs?after=c%d>; rel="next"`, r.Host, n))
		events := []any{}
		if emptyAfter < 0 || n <= emptyAfter {
			for i := range pageSize {
				events = append(events, logEventJSON(n*100+i))
			}
		}
		writeJSON(w, 200, events)
	}
}

func TestSystemLogQueryAndMapping(t *testing.T) {
	var calls atomic.Int32
	c, rec, _ := newTestClient(t, pollingServer(2, 1, &calls))
	since := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("JST", 9*3600))
	evs, err := c.SystemLog(context.Background(), remediation.LogQuery{
		TargetIDs:  []string{"00u1", `0oa1" or target.id eq "00u9`},
		EventTypes: []string{"application.provision.user.", "app.user_management"},
		Outcome:    "FAILURE",
		Since:      since, Until: until,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	if e.UUID != "evt-100" || e.Result != "FAILURE" || e.Reason != "No user returned for user U0123" || e.TransactionID != "tx-1" ||
		e.Severity != "WARN" || !e.HasTarget("0oa1") || e.Targets[0].AlternateID != "alice@example.com" ||
		!e.Published.Equal(time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)) || e.DisplayMessage == "" {
		t.Errorf("mapped %+v", e)
	}
	q := rec.requests()[0].Query
	wantFilter := `target.id eq "00u1" and target.id eq "0oa1\" or target.id eq \"00u9" and (eventType sw "application.provision.user." or eventType sw "app.user_management") and outcome.result eq "FAILURE"`
	if got := q.Get("filter"); got != wantFilter {
		t.Errorf("filter\n got %s\nwant %s", got, wantFilter)
	}
	for k, want := range map[string]string{
		"since": "2026-02-01T00:00:00.000Z", "until": "2026-03-01T00:30:00.000Z", "sortOrder": "DESCENDING", "limit": "200",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// The second page was empty: paging stopped there although it had a next link.
	if n := calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (stop on the empty page)", n)
	}
}

func TestSystemLogStopsAtMaxEvents(t *testing.T) {
	var calls atomic.Int32
	c, rec, ft := newTestClient(t, pollingServer(2, -1, &calls)) // always full, always next
	evs, err := c.SystemLog(context.Background(), remediation.LogQuery{TargetIDs: []string{"00u1"}, MaxEvents: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 {
		t.Errorf("%d events, want 5", len(evs))
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	reqs := rec.requests()
	// No Until given: the query is bounded at now instead of polling.
	if got := reqs[0].Query.Get("until"); got != ft.Now().UTC().Format(logTime) {
		t.Errorf("until %q", got)
	}
	if _, ok := reqs[0].Query["since"]; ok {
		t.Error("since sent although zero")
	}
	// Later pages follow the next link and keep the original parameters.
	if got := reqs[1].Query.Get("after"); got != "c1" {
		t.Errorf("page 2 after=%q", got)
	}
	if got := reqs[1].Query.Get("filter"); got != `target.id eq "00u1"` {
		t.Errorf("page 2 filter=%q", got)
	}
	if got := reqs[0].Query.Get("limit"); got != "5" {
		t.Errorf("limit %q", got)
	}
}

func TestSystemLogDefaultMaxAndRepeatedNext(t *testing.T) {
	var calls atomic.Int32
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// The same next link every time: following it again would loop.
		w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v1/logs?after=same>; rel="next"`, r.Host))
		events := []any{}
		for i := range 3 {
			events = append(events, logEventJSON(i))
		}
		writeJSON(w, 200, events)
	})
	evs, err := c.SystemLog(context.Background(), remediation.LogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 || len(evs) != 6 {
		t.Errorf("%d requests, %d events; want 2 and 6", n, len(evs))
	}

	calls.Store(0)
	var served atomic.Int32
	c2, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v1/logs?after=%d>; rel="next"`, r.Host, n))
		events := []any{}
		for i := range 150 {
			events = append(events, logEventJSON(i))
		}
		writeJSON(w, 200, events)
	})
	evs, err = c2.SystemLog(context.Background(), remediation.LogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != DefaultMaxEvents || served.Load() != 2 {
		t.Errorf("%d events in %d requests, want %d in 2", len(evs), served.Load(), DefaultMaxEvents)
	}
}

func TestSystemLogRejectsInvertedWindow(t *testing.T) {
	c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []any{}) })
	now := time.Now()
	_, err := c.SystemLog(context.Background(), remediation.LogQuery{Since: now, Until: now.Add(-time.Hour)})
	remoteErr(t, err, remediation.ErrPermanent)
	if len(rec.requests()) != 0 {
		t.Error("sent a request")
	}
}

func TestLogFilterAlternatives(t *testing.T) {
	q := remediation.LogQuery{
		TargetIDs:  []string{"00u1"},
		EventTypes: []string{"application.provision", "application.user_membership"},
		Or:         []remediation.LogMatch{{TargetIDs: []string{"0oa1"}, EventTypes: []string{"application.integration."}}},
		Outcome:    "FAILURE",
	}
	want := `((target.id eq "00u1" and (eventType sw "application.provision" or eventType sw "application.user_membership")) or (target.id eq "0oa1" and eventType sw "application.integration.")) and outcome.result eq "FAILURE"`
	if got := logFilter(q); got != want {
		t.Errorf("filter\n got %s\nwant %s", got, want)
	}
	// An alternative without conditions matches every event: no filter at all.
	if got := logFilter(remediation.LogQuery{TargetIDs: []string{"00u1"}, Or: []remediation.LogMatch{{}}}); got != "" {
		t.Errorf("an empty alternative gave %q", got)
	}
	if got := logFilter(remediation.LogQuery{EventTypes: []string{"a"}}); got != `eventType sw "a"` {
		t.Errorf("one type: %q", got)
	}
}
