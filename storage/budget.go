package storage

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Okta's rate-limit budgets are per org, so replicas must share what they know of
// them. A budget holds what Okta's X-Rate-Limit-* headers last said of a bucket (its
// limit, what remains, when the window resets), lowered by one for every request
// let through since: a request takes one unit, or learns how long to wait for the
// reset when taking it would eat into the reserve.
//
// Rules (the same for both implementations; budget_test.go holds them to it):
//   - Take with no budget known, or after the window's reset, starts an estimated
//     window (the limit assumed, or the last one Okta gave; a minute long) and counts
//     the request in it: a cold start of many replicas does not burst past the
//     budget before Okta's first answer. Okta's next answer corrects the estimate.
//   - Take lets the request go and counts it while more than the reserve
//     (ceil(limit × headroom)) remains; otherwise it returns the time to the reset.
//   - Observe names Okta's window by its X-Rate-Limit-Reset (epoch seconds, the same
//     for every replica). An answer whose window is over, or of a window no later than
//     the last one known, is ignored, except that an answer of the very window held
//     keeps the lower remaining (requests still in flight are counted by us, others'
//     requests by Okta). An answer of a later window replaces a budget Okta gave, and
//     corrects an estimate: Okta's limit less what the estimate let through, or Okta's
//     remaining if lower; Okta's window and reset.

// estimatedWindow is the window assumed after a reset until Okta says otherwise.
const estimatedWindow = time.Minute

type budget struct {
	limit, remaining int
	window           int64     // Okta's X-Rate-Limit-Reset of the last window known
	reset            time.Time // when the window resets, on the caller's clock
	estimated        bool      // a window after window, not yet seen by Okta
}

func reserveOf(limit int, headroom float64) int {
	return int(math.Ceil(float64(limit) * headroom))
}

// MemoryBudgets keeps the budgets of one process (the embedded mode).
type MemoryBudgets struct {
	mu sync.Mutex
	m  map[string]*budget
}

// NewMemoryBudgets returns an empty budget store.
func NewMemoryBudgets() *MemoryBudgets { return &MemoryBudgets{m: map[string]*budget{}} }

// Take reserves one request of bucket at now; 0 means go, otherwise wait that long.
// assume is the limit assumed while Okta has said nothing of the bucket.
func (s *MemoryBudgets) Take(_ context.Context, bucket string, now time.Time, assume int, headroom float64) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[bucket]
	if b == nil {
		b = &budget{limit: assume}
		s.m[bucket] = b
	}
	switch {
	case !now.Before(b.reset):
		b.remaining, b.reset, b.estimated = b.limit-1, now.Add(estimatedWindow), true
		return 0, nil
	case b.remaining > reserveOf(b.limit, headroom):
		b.remaining--
		return 0, nil
	}
	return b.reset.Sub(now), nil
}

// Observe records what Okta's headers said of bucket: window is X-Rate-Limit-Reset,
// reset the same instant on the caller's clock.
func (s *MemoryBudgets) Observe(_ context.Context, bucket string, limit, remaining int, window int64, reset, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[bucket]
	switch {
	case !now.Before(reset):
	case b == nil:
		s.m[bucket] = &budget{limit: limit, remaining: remaining, window: window, reset: reset}
	case window > b.window && b.estimated:
		// What the estimate let through counts against Okta's limit, whatever it is.
		used := b.limit - b.remaining
		b.limit, b.remaining, b.window, b.reset, b.estimated = limit, min(limit-used, remaining), window, reset, false
	case window > b.window:
		s.m[bucket] = &budget{limit: limit, remaining: remaining, window: window, reset: reset}
	case window == b.window && !b.estimated:
		b.limit, b.remaining = limit, min(b.remaining, remaining)
	}
	return nil
}

// RedisBudgets keeps the budgets in Redis, shared by every replica: one hash per
// bucket (P budget:<bucket>: limit, remaining, window, reset in Unix ms, est), changed only by
// the two scripts below, so a check and its decrement are one atomic step. Times come
// from the caller's clock, as Okta's resets do.
type RedisBudgets struct {
	c       redis.UniversalClient
	p       string
	take    *redis.Script
	observe *redis.Script
}

// NewRedisBudgets returns budgets on client under prefix (default DefaultPrefix). It
// does not own client.
func NewRedisBudgets(client redis.UniversalClient, prefix string) *RedisBudgets {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &RedisBudgets{c: client, p: prefix, take: redis.NewScript(takeScript), observe: redis.NewScript(observeScript)}
}

func (s *RedisBudgets) key(bucket string) string { return s.p + "budget:" + bucket }

// KEYS[1] budget; ARGV now ms, headroom, window ms, limit assumed. Returns the wait
// in ms (0: go).
const takeScript = `
local b = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset')
local now = tonumber(ARGV[1])
if not b[1] then
  b = {ARGV[4], ARGV[4], now}
end
local limit, remaining, reset = tonumber(b[1]), tonumber(b[2]), tonumber(b[3])
if now >= reset then
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', limit - 1, 'reset', now + tonumber(ARGV[3]), 'est', 1)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 3)
  return 0
end
if remaining > math.ceil(limit * tonumber(ARGV[2])) then
  redis.call('HINCRBY', KEYS[1], 'remaining', -1)
  return 0
end
return reset - now
`

// KEYS[1] budget; ARGV limit, remaining, window, reset ms, now ms, ttl ms.
const observeScript = `
local b = redis.call('HMGET', KEYS[1], 'remaining', 'window', 'est', 'limit')
local limit, remaining, window, reset = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = tonumber(ARGV[5])
if now >= reset then
  return 0
end
local held = tonumber(b[2] or '0')
if (not b[1]) or (window > held and b[3] ~= '1') then
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining, 'window', window, 'reset', reset, 'est', 0)
elseif window > held then
  local used = tonumber(b[4]) - tonumber(b[1])
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', math.min(limit - used, remaining), 'window', window, 'reset', reset, 'est', 0)
elseif window == held and b[3] ~= '1' then
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', math.min(tonumber(b[1]), remaining))
else
  return 0
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
return 1
`

// Take reserves one request of bucket at now; 0 means go, otherwise wait that long.
// assume is the limit assumed while Okta has said nothing of the bucket.
func (s *RedisBudgets) Take(ctx context.Context, bucket string, now time.Time, assume int, headroom float64) (time.Duration, error) {
	ms, err := s.take.Run(ctx, s.c, []string{s.key(bucket)}, now.UnixMilli(), headroom, estimatedWindow.Milliseconds(), assume).Int64()
	if err != nil {
		return 0, fmt.Errorf("storage: take okta budget %s: %w", bucket, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Observe records what Okta's headers said of bucket: window is X-Rate-Limit-Reset,
// reset the same instant on the caller's clock.
func (s *RedisBudgets) Observe(ctx context.Context, bucket string, limit, remaining int, window int64, reset, now time.Time) error {
	// Kept a little past its reset, then forgotten: a budget is only news for a minute.
	ttl := max(reset.Sub(now), 0) + 2*estimatedWindow
	err := s.observe.Run(ctx, s.c, []string{s.key(bucket)}, limit, remaining, window, reset.UnixMilli(), now.UnixMilli(), ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("storage: record okta budget %s: %w", bucket, err)
	}
	return nil
}
