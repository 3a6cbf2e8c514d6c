// Package storage implements remediation.Store and remediation.Scheduler twice: on
// Redis (RedisStore, what every replica shares in production) and in memory
// (MemoryStore, the embedded mode when REDIS_URL is unset, whose state dies with the
// process). One contract test suite holds both to the same behaviour. It also keeps
// Okta's rate budgets shared by the replicas (RedisBudgets, MemoryBudgets: see
// budget.go), the oktaadapter.BudgetStore port.
//
// It owns the persistence of runs (JSON, compare-and-swap on Run.Version, indexes by
// user, app and state), locks, dedupe keys, the hash-chained audit trail and the
// scheduled tasks. It translates its errors into remediation's sentinels: a missing
// key is remediation.ErrNotFound, a lost compare-and-swap or a held lock is
// remediation.ErrConflict.
//
// # The audit trail and time
//
// Each entry's ID is "<ms>-<seq>" like a Redis stream ID, where ms is the event's own
// At in Unix milliseconds, raised to the previous entry's ms when At is earlier. IDs
// therefore grow with the chain's order, and Audit(since) starts at the first entry
// whose ID is at or after since: one range read, no scan. The store's clock (and
// Redis's clock) never enters an entry's ID, so an injected clock works. Because a
// late writer's entry takes its predecessor's time, Audit(since) never misses an entry
// whose At is at or after since, and may include one whose At is a little earlier
// (written late across replicas). Times are compared at millisecond resolution.
package storage
