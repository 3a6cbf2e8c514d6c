package storage

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// errNoRunID guards the key space: a run without an ID would share one key with every
// other run without an ID.
var errNoRunID = errors.New("storage: run has no ID")

// prepareCreate sets what CreateRun promises: Version 1, and CreatedAt from the clock
// when the caller left it zero (the indexes order runs by it).
func prepareCreate(r *remediation.Run, now func() time.Time) error {
	if r.ID == "" {
		return errNoRunID
	}
	r.Version = 1
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	return nil
}

// matches reports whether r is selected by f (empty fields match everything).
func matches(f remediation.RunFilter, r remediation.Run) bool {
	if f.UserID != "" && r.Target.UserID != f.UserID {
		return false
	}
	if f.AppID != "" && r.Target.AppID != f.AppID {
		return false
	}
	return len(f.States) == 0 || slices.Contains(f.States, r.State)
}

// newestFirst orders runs by CreatedAt, newest first, then by ID so ties are stable,
// and applies the filter's limit.
func newestFirst(runs []remediation.Run, limit int) []remediation.Run {
	slices.SortFunc(runs, func(a, b remediation.Run) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if limit > 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	return runs
}

// taskMember identifies a task by (kind, run); kinds hold no colon, run IDs may.
func taskMember(kind remediation.TaskKind, runID string) string {
	return string(kind) + ":" + runID
}

// dueScore is a task's due time as both stores compare it: Unix milliseconds.
func dueScore(t time.Time) int64 { return t.UnixMilli() }

func validTask(kind remediation.TaskKind, runID string) error {
	if kind == "" || runID == "" {
		return errors.New("storage: a task needs a kind and a run ID")
	}
	return nil
}

func validTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return errors.New("storage: ttl must be positive")
	}
	return nil
}
