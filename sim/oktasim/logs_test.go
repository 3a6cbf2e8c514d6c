package oktasim

import (
	"fmt"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
)

// logWorld: three users provisioned to Slack a minute apart, one failing.
func logWorld(t *testing.T) (*env, *testclock.Clock, []string) {
	clk := newClock()
	e := newEnv(t, Options{Clock: clk.Now})
	app := e.app("zoomus", "Zoom", slackCaps(Disabled))
	var users []string
	for i := range 3 {
		u := e.user(fmt.Sprintf("u%d@example.com", i))
		users = append(users, u)
		e.ok(e.org.AssignUser(app, u))
		clk.Advance(time.Minute)
	}
	e.ok(e.org.SaaSDeleteAccount(app, e.appUser(app, users[1]).ExternalID))
	e.ok(e.org.PushProfile(app, users[1]))
	clk.Advance(time.Minute)
	return e, clk, users
}

func logTypes(t *testing.T, r resp) []string {
	var out []string
	for _, v := range r.list(t) {
		m := v.(map[string]any)
		res, _ := outcome(m)
		out = append(out, m["eventType"].(string)+":"+res)
	}
	return out
}

func TestLogFilters(t *testing.T) {
	e, _, users := logWorld(t)
	bounded := "since=2026-02-02T00:00:00.000Z&until=2026-02-03T00:00:00.000Z"
	cases := []struct {
		filter string
		want   int
	}{
		{`eventType eq "application.provision.user.push"`, 3},
		{`eventType sw "application.provision.user."`, 4},
		{`eventType sw "application.provision.user." and outcome.result eq "FAILURE"`, 1},
		{`target.id eq "` + users[1] + `" and (eventType eq "application.provision.user.push_profile" or eventType eq "application.provision.user.push")`, 2},
		{`outcome.result eq "FAILURE" or outcome.result eq "SKIPPED"`, 1},
		{`target.id eq "` + users[0] + `"`, 3}, // create, membership add, push
	}
	for _, c := range cases {
		r := e.must(e.call("GET", "/api/v1/logs?"+bounded+"&filter="+urlq(c.filter), nil), 200)
		if got := r.list(t); len(got) != c.want {
			t.Errorf("filter %s: %d events %v, want %d", c.filter, len(got), logTypes(t, r), c.want)
		}
	}
	for _, bad := range []string{`eventType eq`, `eventType eq "x" and`, `nope eq "x"`, `(eventType eq "x"`} {
		wantError(t, e.call("GET", "/api/v1/logs?"+bounded+"&filter="+urlq(bad), nil), 400, "E0000001", "Api validation failed: filter")
	}
	wantError(t, e.call("GET", "/api/v1/logs?since=yesterday", nil), 400, "E0000001", "Api validation failed: since")
	wantError(t, e.call("GET", "/api/v1/logs?sortOrder=RANDOM", nil), 400, "E0000001", "")
}

func TestLogTimeBoundsAndOrder(t *testing.T) {
	e, clk, users := logWorld(t)
	start := time.Date(2026, 2, 2, 11, 16, 6, 250e6, time.UTC)
	q := func(extra string) resp {
		return e.must(e.call("GET", "/api/v1/logs?filter="+urlq(`eventType eq "application.provision.user.push"`)+extra, nil), 200)
	}
	// since is inclusive, until exclusive.
	r := q("&since=" + start.Add(time.Minute).Format(time.RFC3339Nano) + "&until=" + start.Add(2*time.Minute).Format(time.RFC3339Nano))
	if l := r.list(t); len(l) != 1 || l[0].(map[string]any)["target"].([]any)[0].(map[string]any)["id"] != users[1] {
		t.Fatalf("window: %s", r.raw)
	}
	asc := q("&until=" + clk.Now().Format(time.RFC3339)).list(t)
	desc := q("&until=" + clk.Now().Format(time.RFC3339) + "&sortOrder=DESCENDING").list(t)
	if len(asc) != 3 || len(desc) != 3 || asc[0].(map[string]any)["uuid"] != desc[2].(map[string]any)["uuid"] {
		t.Fatalf("asc/desc mismatch")
	}
	p0, _ := time.Parse(time.RFC3339, asc[0].(map[string]any)["published"].(string))
	p2, _ := time.Parse(time.RFC3339, asc[2].(map[string]any)["published"].(string))
	if !p0.Before(p2) {
		t.Fatalf("ascending order broken: %v %v", p0, p2)
	}
}

func TestLogPagingBounded(t *testing.T) {
	e, clk, _ := logWorld(t)
	next := "/api/v1/logs?limit=2&since=2026-02-01T00:00:00Z&until=" + clk.Now().Format(time.RFC3339)
	var total, pages int
	for next != "" {
		pages++
		if pages > 20 {
			t.Fatal("bounded paging never ends")
		}
		r := e.must(e.call("GET", next, nil), 200)
		total += len(r.list(t))
		next = r.links()["next"]
	}
	all := e.must(e.call("GET", "/api/v1/logs?limit=1000&since=2026-02-01T00:00:00Z&until="+clk.Now().Format(time.RFC3339), nil), 200)
	if n := len(all.list(t)); total != n || n < 10 {
		t.Fatalf("paged %d events, one page has %d", total, n)
	}
	if all.links()["next"] != "" {
		t.Fatal("a bounded query that returned everything still has rel=next")
	}
}

func TestLogPollingAlwaysHasNext(t *testing.T) {
	e, clk, users := logWorld(t)
	filter := "&filter=" + urlq(`target.id eq "`+users[2]+`"`)
	r := e.must(e.call("GET", "/api/v1/logs?since=2026-02-01T00:00:00Z"+filter, nil), 200)
	if len(r.list(t)) == 0 || r.links()["next"] == "" {
		t.Fatalf("first polling page: %d events, next %q", len(r.list(t)), r.links()["next"])
	}
	next := r.links()["next"]
	empty := e.must(e.call("GET", next, nil), 200)
	if len(empty.list(t)) != 0 || empty.links()["next"] == "" {
		t.Fatalf("empty polling page: %s, next %q", empty.raw, empty.links()["next"])
	}
	// A new event shows up on the next poll.
	e.ok(e.org.PushProfile(mustApp(t, e, "Zoom"), users[2]))
	clk.Advance(time.Second)
	more := e.must(e.call("GET", empty.links()["next"], nil), 200)
	if got := logTypes(t, more); len(got) != 1 || got[0] != "application.provision.user.push_profile:SUCCESS" {
		t.Fatalf("after a new event: %v", got)
	}
}

func mustApp(t *testing.T, e *env, label string) string {
	id, ok := e.org.AppID(label)
	if !ok {
		t.Fatalf("no app %s", label)
	}
	return id
}

// TestLogPollingAsOktaRecommends: the watcher's query (since, no until, ASCENDING, a
// filter for failures) always has a next link; an empty page's next link is the same
// cursor; new events, late ones included, appear behind it, each exactly once.
func TestLogPollingAsOktaRecommends(t *testing.T) {
	e, clk, users := logWorld(t)
	app := mustApp(t, e, "Zoom")
	filter := "&sortOrder=ASCENDING&limit=2&filter=" + urlq(`(eventType sw "application.provision.user" or eventType sw "application.integration.") and outcome.result eq "FAILURE"`)
	first := e.must(e.call("GET", "/api/v1/logs?since="+clk.Now().Add(-time.Hour).Format(time.RFC3339)+filter, nil), 200)
	if got := logTypes(t, first); len(got) != 1 || got[0] != "application.provision.user.push_profile:FAILURE" {
		t.Fatalf("first page: %v", got)
	}
	next := first.links()["next"]
	if next == "" {
		t.Fatal("a polling page has no next link")
	}
	empty := e.must(e.call("GET", next, nil), 200)
	if len(empty.list(t)) != 0 || empty.links()["next"] != next {
		t.Fatalf("caught up: %d events, next %q, want the same cursor %q", len(empty.list(t)), empty.links()["next"], next)
	}
	// Two new failures, the second arriving a minute late: published before the first.
	for i, u := range []string{users[0], users[2]} {
		e.ok(e.org.SaaSDeleteAccount(app, e.appUser(app, u).ExternalID))
		e.org.SetLogLateness(time.Duration(i) * time.Minute)
		e.ok(e.org.PushProfile(app, u))
		clk.Advance(time.Second)
	}
	e.org.SetLogLateness(0)
	seen := map[string]int{}
	for range 5 {
		r := e.must(e.call("GET", next, nil), 200)
		for _, v := range r.list(t) {
			m := v.(map[string]any)
			for _, tg := range m["target"].([]any) {
				if tm := tg.(map[string]any); tm["type"] == "User" {
					seen[tm["id"].(string)]++
				}
			}
		}
		if r.links()["next"] == "" {
			t.Fatal("a polling page has no next link")
		}
		if len(r.list(t)) == 0 && r.links()["next"] != next {
			t.Fatal("an empty page moved the cursor")
		}
		next = r.links()["next"]
	}
	if len(seen) != 2 || seen[users[0]] != 1 || seen[users[2]] != 1 {
		t.Fatalf("users seen behind the cursor: %v (want %s and the late %s once each)", seen, users[0], users[2])
	}
	// A bounded query over the last 30 seconds by published time misses the late one.
	bounded := e.must(e.call("GET", "/api/v1/logs?since="+clk.Now().Add(-30*time.Second).Format(time.RFC3339Nano)+"&until="+clk.Now().Format(time.RFC3339Nano)+filter, nil), 200)
	if n := len(bounded.list(t)); n != 1 {
		t.Fatalf("bounded query over 30s: %d events, want 1 (the late event is published earlier)", n)
	}
}
