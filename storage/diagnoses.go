package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// keptDiagnosis is a kept diagnosis in the memory store, as the JSON Redis would hold
// (a deep copy) and when it expires.
type keptDiagnosis struct {
	data  []byte
	until time.Time
}

// KeepDiagnosis implements remediation.DiagnosisCache; the TTL runs on the store's clock.
func (m *MemoryStore) KeepDiagnosis(ctx context.Context, userID string, k remediation.KeptDiagnosis, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validTTL(ttl); err != nil {
		return err
	}
	if userID == "" {
		return errors.New("storage: a kept diagnosis needs a user ID")
	}
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("storage: encoding a diagnosis: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.kept == nil {
		m.kept = map[string]keptDiagnosis{}
	}
	for id, old := range m.kept {
		if !now.Before(old.until) {
			delete(m.kept, id)
		}
	}
	m.kept[userID] = keptDiagnosis{data: b, until: now.Add(ttl)}
	return nil
}

// KeptDiagnosis implements remediation.DiagnosisCache.
func (m *MemoryStore) KeptDiagnosis(ctx context.Context, userID string) (remediation.KeptDiagnosis, error) {
	if err := ctx.Err(); err != nil {
		return remediation.KeptDiagnosis{}, err
	}
	m.mu.Lock()
	e, ok := m.kept[userID]
	now := m.now()
	m.mu.Unlock()
	if !ok || !now.Before(e.until) {
		return remediation.KeptDiagnosis{}, fmt.Errorf("storage: kept diagnosis of %s: %w", userID, remediation.ErrNotFound)
	}
	return decodeKept(e.data)
}

func decodeKept(b []byte) (remediation.KeptDiagnosis, error) {
	var k remediation.KeptDiagnosis
	if err := json.Unmarshal(b, &k); err != nil {
		return k, fmt.Errorf("storage: decoding a kept diagnosis: %w", err)
	}
	return k, nil
}

func (s *RedisStore) keptKey(userID string) string { return s.p + "diagnosis:" + userID }

// KeepDiagnosis implements remediation.DiagnosisCache.
func (s *RedisStore) KeepDiagnosis(ctx context.Context, userID string, k remediation.KeptDiagnosis, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	if userID == "" {
		return errors.New("storage: a kept diagnosis needs a user ID")
	}
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("storage: encoding a diagnosis: %w", err)
	}
	if err := s.c.Set(ctx, s.keptKey(userID), b, ttl).Err(); err != nil {
		return fmt.Errorf("storage: keeping the diagnosis of %s: %w", userID, err)
	}
	return nil
}

// KeptDiagnosis implements remediation.DiagnosisCache.
func (s *RedisStore) KeptDiagnosis(ctx context.Context, userID string) (remediation.KeptDiagnosis, error) {
	b, err := s.c.Get(ctx, s.keptKey(userID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return remediation.KeptDiagnosis{}, fmt.Errorf("storage: kept diagnosis of %s: %w", userID, remediation.ErrNotFound)
	}
	if err != nil {
		return remediation.KeptDiagnosis{}, fmt.Errorf("storage: kept diagnosis of %s: %w", userID, err)
	}
	return decodeKept(b)
}
