package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

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
	if code, body := ready(); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q with Redis up", code, body)
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
