package testclock

import (
	"sync"
	"time"
)

// Clock is a manual clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock at t, or at a fixed default instant when t is zero.
func New(t time.Time) *Clock {
	if t.IsZero() {
		t = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) // fixed, so golden output is stable
	}
	return &Clock{t: t}
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
