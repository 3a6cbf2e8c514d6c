package main

import (
	"context"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/storage"
)

// backend is the Store and Scheduler the process uses, and how to let go of it.
type backend struct {
	store remediation.Store
	sched remediation.Scheduler
	trim  retainer
	close func() error
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
		return backend{}, err
	}
	opts := storage.RedisOptions{Logger: e.log}
	if storage.IsSentinelURL(cfg.RedisURL.Reveal()) {
		// Replication is asynchronous: a write only the old primary held is gone after
		// a failover, so a write counts once a replica has it (docs/operations.md).
		opts.Replicas = 1
	}
	s := storage.NewRedis(client, opts)
	return backend{store: s, sched: s, trim: s, close: client.Close}, nil
}
