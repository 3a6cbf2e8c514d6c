package remediation

import "time"

// Clock tells the time. It is the one clock type of the project: the engine, the
// diagnosis, the bot and the adapters take one, tests inject internal/testclock.
// A nil Clock means the system clock (see Clock.Now).
type Clock func() time.Time

// SystemClock is the wall clock.
func SystemClock() time.Time { return time.Now() }

// Now reads the clock in UTC; a nil Clock reads the system clock.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
