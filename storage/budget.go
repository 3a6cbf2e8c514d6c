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
//   - Take with no budget known lets the request go: only Okta's answer says what
//     the budget is.
//   - Take after the window's reset starts an estimated window (the full limit, a
//     minute long) and lets the request go; Okta's next answer replaces the estimate.
//   - Take lets the request go and counts it while more than the reserve
//     (ceil(limit × headroom)) remains; otherwise it returns the time to the reset.
//   - Observe of a window already over is ignored. Of a later window (a reset more
//     than budgetSlack after the one held), or when the one held is over, it replaces
//     the budget. Of the same window (or of the window an estimate stands for), it
//     keeps the lower remaining (requests still in flight are counted by us, others'
//     requests by Okta) and takes Okta's reset. Of an earlier window, it is ignored.

// budgetSlack is how far apart two replicas' views of the same reset may be: the reset
// is measured against the Date header, which has whole seconds.
const budgetSlack = 2 * time.Second

// estimatedWindow is the window assumed after a reset until Okta says otherwise.
const estimatedWindow = time.Minute

type budget struct {
	limit, remaining int
	reset            time.Time
	estimated        bool
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
func (s *MemoryBudgets) Take(_ context.Context, bucket string, now time.Time, headroom float64) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[bucket]
	switch {
	case b == nil:
		return 0, nil
	case !now.Before(b.reset):
		b.remaining, b.reset, b.estimated = b.limit-1, now.Add(estimatedWindow), true
		return 0, nil
	case b.remaining > reserveOf(b.limit, headroom):
		b.remaining--
		return 0, nil
	}
	return b.reset.Sub(now), nil
}

// Observe records what Okta's headers said of bucket.
func (s *MemoryBudgets) Observe(_ context.Context, bucket string, limit, remaining int, reset, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[bucket]
	switch {
	case !now.Before(reset):
	case b == nil || !now.Before(b.reset) || reset.After(b.reset.Add(budgetSlack)):
		s.m[bucket] = &budget{limit: limit, remaining: remaining, reset: reset}
	case b.estimated:
		b.limit, b.remaining, b.reset, b.estimated = limit, min(b.remaining, remaining), reset, false
	case !reset.Before(b.reset.Add(-budgetSlack)):
		b.limit, b.remaining = limit, min(b.remaining, remaining)
	}
	return nil
}

// RedisBudgets keeps the budgets in Redis, shared by every replica: one hash per
// bucket (P budget:<bucket>: limit, remaining, reset in Unix ms, est), changed only by
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

// KEYS[1] budget; ARGV now ms, headroom, window ms. Returns the wait in ms (0: go).
const takeScript = `
local b = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset')
if not b[1] then return 0 end
local limit, remaining, reset = tonumber(b[1]), tonumber(b[2]), tonumber(b[3])
local now = tonumber(ARGV[1])
if now >= reset then
  redis.call('HSET', KEYS[1], 'remaining', limit - 1, 'reset', now + tonumber(ARGV[3]), 'est', 1)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 3)
  return 0
end
if remaining > math.ceil(limit * tonumber(ARGV[2])) then
  redis.call('HINCRBY', KEYS[1], 'remaining', -1)
  return 0
end
return reset - now
`

// KEYS[1] budget; ARGV limit, remaining, reset ms, now ms, slack ms, ttl ms.
const observeScript = `
local b = redis.call('HMGET', KEYS[1], 'remaining', 'reset', 'est')
local limit, remaining, reset = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now, slack = tonumber(ARGV[4]), tonumber(ARGV[5])
if now >= reset then
  return 0
end
if (not b[1]) or now >= tonumber(b[2]) or reset > tonumber(b[2]) + slack then
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining, 'reset', reset, 'est', 0)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
elseif b[3] == '1' then
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', math.min(tonumber(b[1]), remaining), 'reset', reset, 'est', 0)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
elseif reset >= tonumber(b[2]) - slack then
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', math.min(tonumber(b[1]), remaining))
end
return 1
`

// Take reserves one request of bucket at now; 0 means go, otherwise wait that long.
func (s *RedisBudgets) Take(ctx context.Context, bucket string, now time.Time, headroom float64) (time.Duration, error) {
	ms, err := s.take.Run(ctx, s.c, []string{s.key(bucket)}, now.UnixMilli(), headroom, estimatedWindow.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("storage: take okta budget %s: %w", bucket, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Observe records what Okta's headers said of bucket.
func (s *RedisBudgets) Observe(ctx context.Context, bucket string, limit, remaining int, reset, now time.Time) error {
	// Kept a little past its reset, then forgotten: a budget is only news for a minute.
	ttl := max(reset.Sub(now), 0) + 2*estimatedWindow
	err := s.observe.Run(ctx, s.c, []string{s.key(bucket)}, limit, remaining, reset.UnixMilli(), now.UnixMilli(),
		budgetSlack.Milliseconds(), ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("storage: record okta budget %s: %w", bucket, err)
	}
	return nil
}
