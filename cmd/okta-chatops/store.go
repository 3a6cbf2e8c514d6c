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
	trim    trimmer
	close   func() error
}

// trimmer is what retention and `audit export` need of a store beyond
// remediation.Store; both stores have it.
type trimmer interface {
	storage.RetentionStore
	AuditAnchor(ctx context.Context) (storage.Anchor, error)
}

// openBackend connects to REDIS_URL, or falls back to the embedded in-memory store
// with a loud warning: runs, approvals and the audit trail are lost on restart.
func openBackend(ctx context.Context, cfg config.Config, e env) (backend, error) {
	if cfg.RedisURL == "" {
		e.log.Warn("REDIS_URL is not set: using the embedded in-memory store; runs, approvals and the audit trail are LOST when this process stops, and replicas do not share them")
		m := storage.NewMemory(storage.MemoryOptions{})
		return backend{store: m, sched: m, trim: m, close: func() error { return nil }}, nil
	}
	client, err := storage.OpenRedis(ctx, cfg.RedisURL.Reveal())
	if err != nil {
		// The URL's form was checked with the configuration: what is left is Redis not
		// answering, or refusing the credentials in the URL.
		return backend{}, fmt.Errorf("REDIS_URL: Redis cannot be used (unreachable, or it refused the credentials): %w", err)
	}
	opts := storage.RedisOptions{Logger: e.log}
	if storage.IsSentinelURL(cfg.RedisURL.Reveal()) {
		// Replication is asynchronous: a write only the old primary held is gone after
		// a failover, so a write counts once a replica has it (docs/operations.md).
		opts.Replicas = 1
	}
	s := storage.NewRedis(client, opts)
	return backend{store: s, sched: s, budgets: storage.NewRedisBudgets(client, ""), trim: s, close: client.Close}, nil
}
