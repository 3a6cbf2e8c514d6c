package main

import (
	"context"
	"fmt"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage"
)

// backend is the Store and Scheduler the process uses, and how to let go of it.
type backend struct {
	store remediation.Store
	sched remediation.Scheduler
	// budgets shares Okta's rate budgets between replicas; nil in the embedded mode,
	// where the Okta client paces on its own responses.
	budgets oktaadapter.BudgetStore
	close   func() error
}

// openBackend connects to REDIS_URL, or falls back to the embedded in-memory store
// with a loud warning: runs, approvals and the audit trail are lost on restart.
func openBackend(ctx context.Context, cfg config.Config, e env) (backend, error) {
	if cfg.RedisURL == "" {
		e.log.Warn("REDIS_URL is not set: using the embedded in-memory store; runs, approvals and the audit trail are LOST when this process stops, and replicas do not share them")
		m := storage.NewMemory(storage.MemoryOptions{})
		return backend{store: m, sched: m, close: func() error { return nil }}, nil
	}
	client, err := storage.OpenRedis(ctx, cfg.RedisURL.Reveal())
	if err != nil {
		// The URL's form was checked with the configuration: what is left is Redis not
		// answering, or refusing the credentials in the URL.
		return backend{}, fmt.Errorf("REDIS_URL: Redis cannot be used (unreachable, or it refused the credentials): %w", err)
	}
	s := storage.NewRedis(client, storage.RedisOptions{Logger: e.log})
	return backend{store: s, sched: s, budgets: storage.NewRedisBudgets(client, ""), close: client.Close}, nil
}
