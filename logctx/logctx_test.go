package logctx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestContextAttributesReachEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler{slog.NewTextHandler(&buf, nil)})
	ctx := With(context.Background(), "run_id", "run-1")
	ctx = With(ctx, "okta_user_id", "00u1")
	log.InfoContext(ctx, "step done", "step", 2)
	log.With("component", "engine").WarnContext(ctx, "retry")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, l := range lines[:2] {
		if !strings.Contains(l, "run_id=run-1") || !strings.Contains(l, "okta_user_id=00u1") {
			t.Errorf("line lacks the context's attributes: %s", l)
		}
	}
	if strings.Contains(lines[2], "run_id") {
		t.Errorf("attributes leaked into a line without the context: %s", lines[2])
	}
}
