package storage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// RedisLogger carries go-redis's own log lines (dial failures, sentinel switches) to
// slog, at most one line per Every: while Redis is down the client retries several
// times a second, and each retry would otherwise be a line. The first line after a
// quiet spell goes out at once; the ones held back are counted in the next.
//
// go-redis offers only a package-level hook for this (redis.SetLogger), so main sets
// it once, for the whole process.
type RedisLogger struct {
	Log   *slog.Logger
	Every time.Duration // default 10s
	Now   func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Printf implements go-redis's internal.Logging.
func (l *RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	every := l.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	l.mu.Lock()
	t := now()
	if !l.last.IsZero() && t.Sub(l.last) < every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.last = t
	n := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	l.Log.WarnContext(ctx, "redis client", "detail", msg, "similar_lines_suppressed", n)
}
