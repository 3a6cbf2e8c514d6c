package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealth: `okta-chatops health` asks the running bot's /healthz (on HTTP_ADDR) and
// exits 0 when it answers; the container image's HEALTHCHECK uses it, as the image
// holds no shell or curl.
func runHealth(ctx context.Context, e env) error {
	addr := e.src.Getenv("HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("HTTP_ADDR %q: %v", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not healthy: /healthz answered %s", resp.Status)
	}
	return nil
}
