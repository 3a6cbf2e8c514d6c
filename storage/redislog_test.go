package storage

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRedisLoggerRateLimits(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := &RedisLogger{Log: slog.New(slog.NewTextHandler(&buf, nil)), Every: 10 * time.Second, Now: func() time.Time { return now }}
	ctx := context.Background()
	for range 50 { // five seconds of a dial failure every 100 ms
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %s", 5, "connection refused")
		now = now.Add(100 * time.Millisecond)
	}
	now = now.Add(6 * time.Second)
	l.Printf(ctx, "sentinel: new master=%q", "okta-chatops")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (one per 10 s):\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "failed to dial after 5 attempts") || !strings.Contains(lines[0], "similar_lines_suppressed=0") {
		t.Fatalf("first line: %s", lines[0])
	}
	if !strings.Contains(lines[1], "new master") || !strings.Contains(lines[1], "similar_lines_suppressed=49") {
		t.Fatalf("second line: %s", lines[1])
	}
}
