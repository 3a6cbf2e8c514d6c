package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// failZoomUsers adds n users assigned to Zoom, then deletes their Zoom accounts and
// pushes their profiles: n "No user returned" failures land in the System Log.
func failZoomUsers(t testing.TB, org *oktasim.Org, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	zoom, ok := org.AppID(oktasim.LabelZoom)
	if !ok {
		t.Fatal("no Zoom app")
	}
	var ids, logins []string
	for i := range n {
		login := fmt.Sprintf("%s%d@example.com", prefix, i)
		id, err := org.AddUser(oktasim.UserSpec{Login: login, FirstName: "Burst", LastName: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := org.AssignUser(zoom, id); err != nil {
			t.Fatal(err)
		}
		ids, logins = append(ids, id), append(logins, login)
	}
	if err := org.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		st, _ := org.AppUser(zoom, id)
		if err := org.SaaSDeleteAccount(zoom, st.ExternalID); err != nil {
			t.Fatal(err)
		}
		if err := org.PushProfile(zoom, id); err != nil {
			t.Fatal(err)
		}
	}
	return logins
}

// zoomStaleAlerts are the alert messages for (Zoom, STALE_EXTERNAL_ID) in the channel.
func zoomStaleAlerts(ws *slacksim.Workspace) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range ws.Messages(cOps) {
		if m.ThreadTS == "" && !m.Ephemeral && m.Contains("STALE_EXTERNAL_ID") && m.Contains("Zoom") {
			out = append(out, m)
		}
	}
	return out
}

func containsAll(m slacksim.Message, logins []string) bool {
	for _, l := range logins {
		if !m.Contains(l) {
			return false
		}
	}
	return true
}

var watchVars = []string{"OKTA_CHATOPS_CHANNELS", cOps, "OKTA_CHATOPS_WATCH_INTERVAL", "1s"}

// A burst of failures gives one grouped alert; a restart neither repeats it nor misses
// a later failure, which joins the same message.
func TestServeWatchGroupsABurstAcrossARestart(t *testing.T) {
	x := newE2E(t)
	stop := x.serve(t, watchVars...)
	burst := failZoomUsers(t, x.okta.Org, "burst", 8)
	alert := x.wait(t, "one alert listing the whole burst", func(m slacksim.Message) bool {
		return m.Channel == cOps && m.ThreadTS == "" && m.Contains("STALE_EXTERNAL_ID") && containsAll(m, burst)
	})
	if n := len(zoomStaleAlerts(x.slack)); n != 1 {
		t.Fatalf("%d alert messages for one burst, want 1", n)
	}
	var diagnose, bulk int
	for _, b := range alert.Buttons() {
		switch b.ActionID {
		case "diagnose_user":
			diagnose++
		case "propose_bulk":
			bulk++
			if !regexp.MustCompile(`^reset_external_id:inc-[0-9a-f]{16}$`).MatchString(b.Value) {
				t.Errorf("propose_bulk value %q", b.Value)
			}
		}
	}
	if diagnose < len(burst) || bulk != 1 {
		t.Errorf("%d diagnose_user and %d propose_bulk buttons", diagnose, bulk)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	x.serve(t, watchVars...)
	later := failZoomUsers(t, x.okta.Org, "later", 1)
	updated := x.wait(t, "the same alert updated with the later failure", func(m slacksim.Message) bool {
		return m.TS == alert.TS && m.Contains(later[0])
	})
	if n := len(zoomStaleAlerts(x.slack)); n != 1 {
		t.Fatalf("%d alert messages after a restart, want the one updated", n)
	}
	for _, l := range append(burst, later...) {
		if n := strings.Count(updated.Text(), l); n != 1 {
			t.Errorf("%s listed %d times", l, n)
		}
	}
	if !strings.Contains(x.logs.String(), "watching the System Log for provisioning failures") {
		t.Error("serve did not say it watches")
	}
	// Diagnose, clicked on the alert, posts that user's diagnosis in the channel.
	var diag slacksim.Button
	for _, b := range updated.Buttons() {
		if b.ActionID == "diagnose_user" {
			diag = b
			break
		}
	}
	if _, err := x.slack.Click(context.Background(), uRequester, cOps, updated.TS, diag.ActionID, diag.Value); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the diagnosis of the first user", func(m slacksim.Message) bool {
		return m.Channel == cOps && !m.Ephemeral && m.TS != alert.TS && m.Contains(burst[0]) && m.Contains("STALE_EXTERNAL_ID")
	})
	resp, err := http.Get("http://" + x.vars["HTTP_ADDR"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`okta_chatops_alerts_total{action="updated"} 1`, "okta_chatops_watch_lag_seconds "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Two replicas: one polls (one lease holder), and a burst still gives one alert.
func TestServeWatchTwoReplicasOnePoller(t *testing.T) {
	x := newE2E(t)
	x.serve(t, watchVars...)
	x.serve(t, append([]string{"HTTP_ADDR", freeAddr(t)}, watchVars...)...)
	burst := failZoomUsers(t, x.okta.Org, "pair", 3)
	x.wait(t, "the alert", func(m slacksim.Message) bool {
		return m.Channel == cOps && m.ThreadTS == "" && containsAll(m, burst)
	})
	// A second failure after the first alert: both replicas have polled by now.
	more := failZoomUsers(t, x.okta.Org, "pairmore", 1)
	x.wait(t, "the alert updated", func(m slacksim.Message) bool { return m.Channel == cOps && m.Contains(more[0]) })
	if n := len(zoomStaleAlerts(x.slack)); n != 1 {
		t.Fatalf("%d alert messages from two replicas, want 1", n)
	}
	owners := map[string]bool{}
	for _, line := range strings.Split(x.logs.String(), "\n") {
		if strings.Contains(line, "watcher lease taken") {
			if i := strings.Index(line, "owner="); i >= 0 {
				owners[strings.Fields(line[i:])[0]] = true
			}
		}
	}
	if len(owners) != 1 {
		t.Fatalf("replicas that took the watcher lease: %v, want exactly one", owners)
	}
}

// Without an alert channel watching is off, and serve says so.
func TestServeWatchOffWithoutAChannel(t *testing.T) {
	x := newE2E(t)
	x.serve(t) // returns once connected: the line is written before the connection starts
	if !strings.Contains(x.logs.String(), "watching the System Log is off") || !strings.Contains(x.logs.String(), "OKTA_CHATOPS_ALERT_CHANNEL") {
		t.Fatalf("serve did not say watching is off and why:\n%s", x.logs.String())
	}
}

// BenchmarkWatchDetectionDelay measures the time from a provisioning failure landing in
// the System Log to the alert in Slack that lists it (posted, or updated with one more
// user), through serve over Socket Mode with Redis, polling every second. At an
// interval I the delay is at most I plus what this measures beyond I/2 on average.
func BenchmarkWatchDetectionDelay(b *testing.B) {
	x := newE2E(b)
	x.serve(b, watchVars...)
	org := x.okta.Org
	zoom, _ := org.AppID(oktasim.LabelZoom)
	ctx := context.Background()
	ids := make([]string, b.N)
	for i := range b.N {
		id, err := org.AddUser(oktasim.UserSpec{Login: fmt.Sprintf("bench%d@example.com", i), FirstName: "Bench", LastName: fmt.Sprint(i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := org.AssignUser(zoom, id); err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	if err := org.WaitIdle(ctx); err != nil {
		b.Fatal(err)
	}
	var total, worst time.Duration
	b.ResetTimer()
	for i, id := range ids {
		st, _ := org.AppUser(zoom, id)
		if err := org.SaaSDeleteAccount(zoom, st.ExternalID); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := org.PushProfile(zoom, id); err != nil {
			b.Fatal(err)
		}
		want := fmt.Sprintf("· %d user", i+1) // "1 user", "2 users", …
		x.wait(b, "the alert with one more user", func(m slacksim.Message) bool {
			return m.Channel == cOps && m.ThreadTS == "" && m.Contains("STALE_EXTERNAL_ID") && m.Contains(want)
		})
		d := time.Since(start)
		total += d
		worst = max(worst, d)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/detection")
	b.ReportMetric(float64(worst.Milliseconds()), "ms-max")
}

func TestAnswerChannelsIncludeTheAlertChannel(t *testing.T) {
	tests := []struct {
		channels []string
		alert    string
		interval time.Duration
		want     []string
	}{
		{nil, "C0ALERT001", time.Minute, nil}, // anywhere stays anywhere
		{[]string{cOps}, cOps, time.Minute, []string{cOps}},
		{[]string{cOps}, "C0ALERT001", time.Minute, []string{cOps, "C0ALERT001"}},
		{[]string{cOps}, "C0ALERT001", 0, []string{cOps}}, // not watching
	}
	for _, tt := range tests {
		got := answerChannels(config.Config{Channels: tt.channels, AlertChannel: tt.alert, WatchInterval: tt.interval})
		if !slices.Equal(got, tt.want) {
			t.Errorf("answerChannels(%v, %s, %v) = %v, want %v", tt.channels, tt.alert, tt.interval, got, tt.want)
		}
	}
}
