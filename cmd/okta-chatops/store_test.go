package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/sim/slacksim"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// /readyz goes false as soon as the store stops answering, and the Redis client's
// dial errors reach the log as slog lines.
func TestReadyzFollowsTheStore(t *testing.T) {
	x := newE2E(t)
	srv := redistest.StartServer(t)
	x.serve(t, "REDIS_URL", srv.URL())
	ready := func() (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + x.vars["HTTP_ADDR"] + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The Socket Mode connection counts as up a moment after the workspace sees it.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for code, body := ready(); code != http.StatusOK; code, body = ready() {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q with Redis up", code, body)
		}
		<-tick.C
	}
	srv.Kill()
	if code, body := ready(); code != http.StatusServiceUnavailable || !strings.Contains(body, "store unreachable") {
		t.Fatalf("/readyz = %d %q with Redis stopped, want 503 store unreachable", code, body)
	}
}

// serve runs against a Sentinel-managed primary and a TLS-only Redis.
func TestServeOverSentinelAndTLS(t *testing.T) {
	t.Run("sentinel", func(t *testing.T) {
		x := newE2E(t)
		topo := redistest.StartSentinel(t)
		x.serve(t, "REDIS_URL", topo.URL())
		req, _ := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")
		if req.TS == "" {
			t.Fatal("no approval request")
		}
		n, err := topo.Replicas[0].Client.DBSize(t.Context()).Result()
		if err != nil || n == 0 {
			t.Fatalf("the replica holds %d keys (%v): serve did not write through the sentinels' primary", n, err)
		}
	})
	t.Run("tls", func(t *testing.T) {
		x := newE2E(t)
		srv := redistest.StartTLS(t)
		// A private CA is trusted the standard way, through SSL_CERT_FILE; this test
		// process has not loaded the system's pool before, so the variable is read.
		t.Setenv("SSL_CERT_FILE", srv.CAFile)
		x.serve(t, "REDIS_URL", srv.URL())
		req, _ := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")
		if req.TS == "" {
			t.Fatal("no approval request")
		}
	})
}

// With Slack's per-channel limit on (a burst of 3, then one a second), a fix still
// reaches its end, every thread line and every audit entry arrives, none twice, and
// the audit channel needs a handful of messages, not one per entry.
func TestServeWithinSlacksChannelLimit(t *testing.T) {
	x := newE2E(t)
	x.slack.LimitChannelPosts(slacksim.PostLimit{Burst: 3, Every: time.Second})
	x.serve(t)
	req, runID := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")
	if _, err := x.slack.Click(context.Background(), uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the verified result in the thread", func(m slacksim.Message) bool {
		return m.Channel == cOps && m.ThreadTS == req.TS && m.Contains("Fixed and verified")
	})
	code, out, _ := runCLI(t, map[string]string{"REDIS_URL": x.vars["REDIS_URL"]}, "audit", "export")
	if code != 0 {
		t.Fatal("audit export failed")
	}
	entries := strings.Count(strings.TrimSpace(out), "\n") + 1
	lines := func() map[string]int {
		seen := map[string]int{}
		for _, m := range x.slack.Messages(cAudit) {
			for _, l := range strings.Split(m.TextArg, "\n") {
				if strings.HasPrefix(l, ":scroll:") {
					seen[l]++
				}
			}
		}
		return seen
	}
	// Each batch is a new message: wait for the next one until every entry is in.
	for len(lines()) < entries {
		msgs := x.slack.Messages(cAudit)
		last := ""
		if len(msgs) > 0 {
			last = msgs[len(msgs)-1].TS
		}
		x.wait(t, "more audit lines", func(m slacksim.Message) bool { return m.Channel == cAudit && m.TS > last })
	}
	for l, n := range lines() {
		if n > 1 {
			t.Errorf("posted %d times: %s", n, l)
		}
	}
	msgs := len(x.slack.Messages(cAudit))
	if msgs*3 > entries {
		t.Errorf("%d audit channel messages for %d entries: not batched", msgs, entries)
	}
	posted := 0
	for _, m := range x.slack.AllMessages() {
		if m.Source == "chat.postMessage" {
			posted++
		}
	}
	t.Logf("%d audit entries in %d messages; %d messages posted in all, %d posts refused with 429 and retried after Retry-After",
		entries, msgs, posted, x.slack.Calls("chat.postMessage")-posted)
}
