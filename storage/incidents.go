package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// incidentTTL bounds how long an incident is kept after its last write: long enough
// for any bulk run that fixes it, short enough that old alerts do not pile up.
const incidentTTL = 30 * 24 * time.Hour

var errNoIncidentID = errors.New("storage: an incident needs an ID")

func encodeIncident(in remediation.Incident) ([]byte, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("storage: encoding incident %s: %w", in.ID, err)
	}
	return b, nil
}

func decodeIncident(b []byte) (remediation.Incident, error) {
	var in remediation.Incident
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("storage: decoding an incident: %w", err)
	}
	return in, nil
}

// CreateIncident implements remediation.IncidentStore.
func (m *MemoryStore) CreateIncident(ctx context.Context, in *remediation.Incident) error {
	return m.writeIncident(ctx, in, true)
}

// UpdateIncident implements remediation.IncidentStore.
func (m *MemoryStore) UpdateIncident(ctx context.Context, in *remediation.Incident) error {
	return m.writeIncident(ctx, in, false)
}

func (m *MemoryStore) writeIncident(ctx context.Context, in *remediation.Incident, create bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if in.ID == "" {
		return errNoIncidentID
	}
	next := *in
	next.Version = in.Version + 1
	if create {
		next.Version = 1
	}
	b, err := encodeIncident(next)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.incidents == nil {
		m.incidents = map[string]memRun{}
	}
	old, ok := m.incidents[in.ID]
	switch {
	case create && ok:
		return fmt.Errorf("storage: create incident %s: %w", in.ID, remediation.ErrConflict)
	case !create && !ok:
		return fmt.Errorf("storage: update incident %s: %w", in.ID, remediation.ErrNotFound)
	case !create && old.version != in.Version:
		return fmt.Errorf("storage: update incident %s (version %d, stored %d): %w", in.ID, in.Version, old.version, remediation.ErrConflict)
	}
	m.incidents[in.ID] = memRun{version: next.Version, data: b}
	in.Version = next.Version
	return nil
}

// GetIncident implements remediation.IncidentStore.
func (m *MemoryStore) GetIncident(ctx context.Context, id string) (remediation.Incident, error) {
	if err := ctx.Err(); err != nil {
		return remediation.Incident{}, err
	}
	m.mu.Lock()
	e, ok := m.incidents[id]
	m.mu.Unlock()
	if !ok {
		return remediation.Incident{}, fmt.Errorf("storage: incident %s: %w", id, remediation.ErrNotFound)
	}
	return decodeIncident(e.data)
}

// incidentScript writes an incident held as a hash {v: version, d: JSON} if the stored
// version is ARGV[1] ("0": must not exist). It returns 1 when written, 0 when the
// version did not match (or it exists, for a create), -1 when it does not exist.
const incidentScript = `
local v = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '0' then
  if v then return 0 end
else
  if not v then return -1 end
  if v ~= ARGV[1] then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`

func (s *RedisStore) incidentKey(id string) string { return s.p + "incident:" + id }

// CreateIncident implements remediation.IncidentStore.
func (s *RedisStore) CreateIncident(ctx context.Context, in *remediation.Incident) error {
	return s.writeIncident(ctx, in, true)
}

// UpdateIncident implements remediation.IncidentStore.
func (s *RedisStore) UpdateIncident(ctx context.Context, in *remediation.Incident) error {
	return s.writeIncident(ctx, in, false)
}

func (s *RedisStore) writeIncident(ctx context.Context, in *remediation.Incident, create bool) error {
	if in.ID == "" {
		return errNoIncidentID
	}
	expect := in.Version
	if create {
		expect = 0
	} else if expect <= 0 {
		return fmt.Errorf("storage: update incident %s with no version: %w", in.ID, remediation.ErrConflict)
	}
	next := *in
	next.Version = expect + 1
	b, err := encodeIncident(next)
	if err != nil {
		return err
	}
	what := "update"
	if create {
		what = "create"
	}
	n, err := redis.NewScript(incidentScript).Run(ctx, s.c, []string{s.incidentKey(in.ID)},
		strconv.FormatInt(expect, 10), strconv.FormatInt(next.Version, 10), b, incidentTTL.Milliseconds()).Int()
	switch {
	case err != nil:
		return fmt.Errorf("storage: %s incident %s: %w", what, in.ID, err)
	case n == 0:
		return fmt.Errorf("storage: %s incident %s: %w", what, in.ID, remediation.ErrConflict)
	case n < 0:
		return fmt.Errorf("storage: update incident %s: %w", in.ID, remediation.ErrNotFound)
	}
	in.Version = next.Version
	return nil
}

// GetIncident implements remediation.IncidentStore.
func (s *RedisStore) GetIncident(ctx context.Context, id string) (remediation.Incident, error) {
	b, err := s.c.HGet(ctx, s.incidentKey(id), "d").Bytes()
	if errors.Is(err, redis.Nil) {
		return remediation.Incident{}, fmt.Errorf("storage: incident %s: %w", id, remediation.ErrNotFound)
	}
	if err != nil {
		return remediation.Incident{}, fmt.Errorf("storage: incident %s: %w", id, err)
	}
	return decodeIncident(b)
}
