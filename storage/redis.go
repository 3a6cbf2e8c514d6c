package storage

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// DefaultPrefix starts every key the Redis store writes.
const DefaultPrefix = "okta-chatops:"

// RedisOptions configures a RedisStore; the zero value is usable.
type RedisOptions struct {
	// Prefix starts every key; default DefaultPrefix. On Redis Cluster, make it a hash
	// tag (e.g. "{okta-chatops}:") so the keys one transaction touches share a slot.
	Prefix string
	// Clock fills a zero Run.CreatedAt and AuditEvent.At; default time.Now. Lock and
	// Once TTLs run on Redis's own clock, whatever this says.
	Clock func() time.Time
	// Logger: default slog.Default().
	Logger *slog.Logger
	// Replicas is how many replicas must hold a write (a run, audit entries, a lock, a
	// dedupe key, a task, a cursor) before it counts as done (WAIT after it, on the
	// same connection); 0 does not wait. Redis replicates
	// asynchronously: with Sentinel, a write the primary acknowledged but no replica
	// received is lost when that replica is promoted, so a Sentinel deployment waits
	// for one. ReplicaTimeout bounds the wait (default 1s); a write not confirmed in
	// time is reported as a transient error, though the primary may keep it.
	Replicas       int
	ReplicaTimeout time.Duration
}

// RedisStore is the Store and Scheduler every replica shares. Keys (P = the prefix):
//
//	P run:<id>            string  the run's JSON (Version inside is the CAS guard)
//	P runs                zset    every run ID, scored by CreatedAt (Unix ms)
//	P runs:user:<userID>  zset    the user's runs, same score
//	P runs:app:<appID>    zset    the app's runs, same score
//	P runs:state:<state>  zset    the runs in that state, same score
//	P audit               stream  the trail: fields event (JSON), prev, hash
//	P audit:head          hash    id and hash of the trail's last entry
//	P audit:anchor        hash    id and hash of the last entry retention removed
//	P lock:<key>          string  the owner, with a PX expiry
//	P once:<key>          string  "1", with a PX expiry
//	P tasks:due           zset    "<kind>:<runID>", scored by due time (Unix ms)
//	P tasks               hash    "<kind>:<runID>" → the task's JSON
//
// A run, its index entries, its audit entries and the chain head change in one
// MULTI/EXEC under WATCH of the run key and the head key.
type RedisStore struct {
	c      redis.UniversalClient
	p      string
	now    func() time.Time
	log    *slog.Logger
	lock   *redis.Script
	unlock *redis.Script
	claim  *redis.Script

	replicas    int
	replicaWait time.Duration
}

var (
	_ remediation.Store     = (*RedisStore)(nil)
	_ remediation.Scheduler = (*RedisStore)(nil)
)

// NewRedis returns a store on client. It does not own client: the caller closes it.
func NewRedis(client redis.UniversalClient, opts RedisOptions) *RedisStore {
	s := &RedisStore{c: client, p: opts.Prefix, now: opts.Clock, log: opts.Logger,
		replicas: opts.Replicas, replicaWait: opts.ReplicaTimeout}
	if s.replicaWait <= 0 {
		s.replicaWait = time.Second
	}
	if s.p == "" {
		s.p = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.lock = redis.NewScript(lockScript)
	s.unlock = redis.NewScript(unlockScript)
	s.claim = redis.NewScript(claimScript)
	return s
}

// OpenRedis connects to REDIS_URL and pings it: redis:// or rediss:// (TLS, verified
// against the system's trust store), and with a master_name= query parameter Redis
// Sentinel (the host and any addr= parameters are sentinels), read by
// redis.ParseFailoverURL. Its errors show the URL with the password redacted, or not
// at all when it does not parse (url.Parse quotes what it cannot read, which may be
// the password).
func OpenRedis(ctx context.Context, rawURL string) (*redis.Client, error) {
	return OpenRedisTLS(ctx, rawURL, nil)
}

// OpenRedisTLS is OpenRedis trusting roots for rediss:// instead of the system's trust
// store (nil: the system's; on Linux SSL_CERT_FILE and SSL_CERT_DIR point it at a
// private CA without code).
func OpenRedisTLS(ctx context.Context, rawURL string, roots *x509.CertPool) (*redis.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("storage: the redis URL does not parse (not shown: it may hold a password)")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("storage: redis URL %s: the scheme must be redis:// or rediss://", u.Redacted())
	}
	var c *redis.Client
	if IsSentinelURL(rawURL) {
		opts, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("storage: redis URL %s: %w", u.Redacted(), err)
		}
		if opts.TLSConfig != nil && roots != nil {
			opts.TLSConfig.RootCAs = roots
		}
		c = redis.NewFailoverClient(opts)
	} else {
		opts, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("storage: redis URL %s: %w", u.Redacted(), err)
		}
		if opts.TLSConfig != nil && roots != nil {
			opts.TLSConfig.RootCAs = roots
		}
		c = redis.NewClient(opts)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("storage: redis at %s: ping: %w", u.Redacted(), err)
	}
	return c, nil
}

// IsSentinelURL reports whether a REDIS_URL names Redis Sentinel (master_name=).
func IsSentinelURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Query().Get("master_name") != ""
}

func (s *RedisStore) runKey(id string) string { return s.p + "run:" + id }
func (s *RedisStore) auditKey() string        { return s.p + "audit" }
func (s *RedisStore) headKey() string         { return s.p + "audit:head" }

// indexKeys are the sorted sets that hold r; an empty field is indexed nowhere because
// an empty filter field matches everything.
func (s *RedisStore) indexKeys(r remediation.Run) []string {
	keys := []string{s.p + "runs", s.p + "runs:state:" + string(r.State)}
	if r.Target.UserID != "" {
		keys = append(keys, s.p+"runs:user:"+r.Target.UserID)
	}
	if r.Target.AppID != "" {
		keys = append(keys, s.p+"runs:app:"+r.Target.AppID)
	}
	return keys
}

// CreateRun implements remediation.Store.
func (s *RedisStore) CreateRun(ctx context.Context, r *remediation.Run, events ...remediation.AuditEvent) error {
	next := *r
	if err := prepareCreate(&next, s.now); err != nil {
		return err
	}
	err := s.commit(ctx, &runWrite{run: next, create: true}, events)
	if err != nil {
		return fmt.Errorf("storage: create run %s: %w", r.ID, err)
	}
	*r = next
	return nil
}

// UpdateRun implements remediation.Store.
func (s *RedisStore) UpdateRun(ctx context.Context, r *remediation.Run, events ...remediation.AuditEvent) error {
	if r.ID == "" {
		return errNoRunID
	}
	next := *r
	next.Version++
	if err := s.commit(ctx, &runWrite{run: next, expect: r.Version}, events); err != nil {
		return fmt.Errorf("storage: update run %s: %w", r.ID, err)
	}
	r.Version = next.Version
	return nil
}

// Append implements remediation.Store.
func (s *RedisStore) Append(ctx context.Context, events ...remediation.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := s.commit(ctx, nil, events); err != nil {
		return fmt.Errorf("storage: append audit: %w", err)
	}
	return nil
}

// runWrite is the run half of a commit: the run to store, and what must be true of the
// stored one (absent for a create, at version expect for an update).
type runWrite struct {
	run    remediation.Run
	create bool
	expect int64
}

// maxCommitAttempts bounds retries after the chain head moved. Each lost attempt means
// another writer committed, so the loop always progresses; the bound only stops a
// writer starved for unreasonably long.
const maxCommitAttempts = 1000

// commit writes w (if any) and appends events as one MULTI/EXEC. WATCH on the run key
// makes the version check and the write atomic; WATCH on the head key (and the
// stream) makes the chain linear: two writers that read the same head cannot both
// commit. When EXEC fails it starts over from the reads, so a moved head is retried
// and a changed run is reported as ErrConflict by the version check.
func (s *RedisStore) commit(ctx context.Context, w *runWrite, events []remediation.AuditEvent) error {
	var keys []string
	if w != nil {
		keys = append(keys, s.runKey(w.run.ID))
	}
	if len(events) > 0 {
		keys = append(keys, s.headKey(), s.auditKey())
	}
	for attempt := 1; ; attempt++ {
		err := s.c.Watch(ctx, func(tx *redis.Tx) error {
			if err := s.commitTx(ctx, tx, w, events); err != nil {
				return err
			}
			return s.waitReplicas(ctx, tx)
		}, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
		if attempt == maxCommitAttempts {
			s.log.WarnContext(ctx, "audit chain contended, giving up", "attempts", attempt)
			return fmt.Errorf("audit chain busy after %d attempts: %w", attempt, remediation.ErrConflict)
		}
		// A short random pause spreads contending writers out so one of them wins soon.
		pause := time.Duration(rand.Int64N(int64(min(attempt, 8)) * int64(time.Millisecond)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (s *RedisStore) commitTx(ctx context.Context, tx *redis.Tx, w *runWrite, events []remediation.AuditEvent) error {
	var (
		old     *remediation.Run
		newData []byte
	)
	if w != nil {
		stored, err := getRun(ctx, tx, s.runKey(w.run.ID))
		switch {
		case w.create && err == nil:
			return fmt.Errorf("run exists: %w", remediation.ErrConflict)
		case w.create && errors.Is(err, remediation.ErrNotFound):
		case err != nil:
			return err
		case stored.Version != w.expect:
			return fmt.Errorf("stored version %d, expected %d: %w", stored.Version, w.expect, remediation.ErrConflict)
		default:
			old = &stored
		}
		if newData, err = json.Marshal(w.run); err != nil {
			return fmt.Errorf("encode run: %w", err)
		}
	}
	var (
		entries []remediation.AuditEntry
		head    chainHead
	)
	if len(events) > 0 {
		h, err := s.readHead(ctx, tx)
		if err != nil {
			return err
		}
		entries, head = seal(h, s.now, events)
	}
	_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if w != nil {
			p.Set(ctx, s.runKey(w.run.ID), newData, 0)
			newKeys := s.indexKeys(w.run)
			if old != nil {
				for _, k := range s.indexKeys(*old) {
					if !slices.Contains(newKeys, k) {
						p.ZRem(ctx, k, w.run.ID)
					}
				}
			}
			score := float64(w.run.CreatedAt.UnixMilli())
			for _, k := range newKeys {
				p.ZAdd(ctx, k, redis.Z{Score: score, Member: w.run.ID})
			}
		}
		for _, e := range entries {
			ev, err := json.Marshal(e.Event)
			if err != nil {
				return fmt.Errorf("encode audit event: %w", err)
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: s.auditKey(), ID: e.ID, Values: []string{"event", string(ev), "prev", e.Prev, "hash", e.Hash}})
		}
		if len(entries) > 0 {
			p.HSet(ctx, s.headKey(), "id", head.ID.String(), "hash", head.Hash)
		}
		return nil
	})
	return err
}

// waitReplicas waits until s.replicas replicas hold every write made on tx's
// connection (WAIT counts per connection, so it must follow EXEC on the same one).
func (s *RedisStore) waitReplicas(ctx context.Context, tx *redis.Tx) error {
	if s.replicas <= 0 {
		return nil
	}
	n, err := tx.Wait(ctx, s.replicas, s.replicaWait).Result()
	if err != nil {
		return fmt.Errorf("waiting for replicas: %w", err)
	}
	if n < int64(s.replicas) {
		return fmt.Errorf("written on the primary but %d of %d replicas confirmed it within %v (a failover now would lose it): %w",
			n, s.replicas, s.replicaWait, remediation.ErrTransient)
	}
	return nil
}

// redisConn is what durably's callers write through: the client, or one connection.
type redisConn interface {
	redis.Cmdable
	redis.Scripter
}

// durably runs f, and with Replicas set, on one connection followed by the wait for
// the replicas: locks, dedupe keys, scheduled tasks and cursors must survive a
// failover as runs do (a lost lock lets a second replica in; a lost cursor re-posts).
func (s *RedisStore) durably(ctx context.Context, f func(c redisConn) error) error {
	if s.replicas <= 0 {
		return f(s.c)
	}
	return s.c.Watch(ctx, func(tx *redis.Tx) error {
		if err := f(tx); err != nil {
			return err
		}
		return s.waitReplicas(ctx, tx)
	})
}

// getRun reads and decodes one run; redis.Nil becomes remediation.ErrNotFound.
func getRun(ctx context.Context, c redis.Cmdable, key string) (remediation.Run, error) {
	b, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return remediation.Run{}, fmt.Errorf("no run at %s: %w", key, remediation.ErrNotFound)
	}
	if err != nil {
		return remediation.Run{}, fmt.Errorf("read %s: %w", key, err)
	}
	var r remediation.Run
	if err := json.Unmarshal(b, &r); err != nil {
		return remediation.Run{}, fmt.Errorf("decode %s: %w", key, err)
	}
	return r, nil
}

// readHead reads where the next entry links to. The head key and the stream's last
// entry agree unless someone edited Redis by hand; then the head's hash is kept (the
// chain shows the break, VerifyChain names it) and the ID is raised past the stream's
// last one, because an XADD refused inside EXEC would not undo the run write beside it.
func (s *RedisStore) readHead(ctx context.Context, tx *redis.Tx) (chainHead, error) {
	v, err := tx.HMGet(ctx, s.headKey(), "id", "hash").Result()
	if err != nil {
		return chainHead{}, fmt.Errorf("read audit head: %w", err)
	}
	var h chainHead
	if id, _ := v[0].(string); id != "" {
		if h.ID, err = parseEntryID(id); err != nil {
			return chainHead{}, err
		}
	}
	h.Hash, _ = v[1].(string)
	last, err := tx.XRevRangeN(ctx, s.auditKey(), "+", "-", 1).Result()
	if err != nil {
		return chainHead{}, fmt.Errorf("read audit tail: %w", err)
	}
	if len(last) == 1 && last[0].ID != h.ID.String() {
		lastID, err := parseEntryID(last[0].ID)
		if err != nil {
			return chainHead{}, err
		}
		s.log.ErrorContext(ctx, "audit head does not match the trail's last entry: the trail was edited outside okta-chatops",
			"head_id", h.ID.String(), "last_id", last[0].ID)
		if h.ID.less(lastID) {
			h.ID = lastID
		}
	}
	return h, nil
}

// GetRun implements remediation.Store.
func (s *RedisStore) GetRun(ctx context.Context, id string) (remediation.Run, error) {
	r, err := getRun(ctx, s.c, s.runKey(id))
	if err != nil {
		return remediation.Run{}, fmt.Errorf("storage: get run %s: %w", id, err)
	}
	return r, nil
}

// ListRuns implements remediation.Store. One index narrows the candidates (user, else
// app, else states); the runs' own JSON decides, so a run read between an index read
// and its own read is still filtered correctly.
func (s *RedisStore) ListRuns(ctx context.Context, f remediation.RunFilter) ([]remediation.Run, error) {
	var sets []string
	switch {
	case f.UserID != "":
		sets = []string{s.p + "runs:user:" + f.UserID}
	case f.AppID != "":
		sets = []string{s.p + "runs:app:" + f.AppID}
	case len(f.States) > 0:
		for _, st := range f.States {
			sets = append(sets, s.p+"runs:state:"+string(st))
		}
	default:
		sets = []string{s.p + "runs"}
	}
	var keys []string
	seen := map[string]bool{} // a run moving between two states may be read in both
	for _, set := range sets {
		ids, err := s.c.ZRange(ctx, set, 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("storage: list runs: read %s: %w", set, err)
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				keys = append(keys, s.runKey(id))
			}
		}
	}
	var runs []remediation.Run
	const batch = 500
	for len(keys) > 0 {
		n := min(batch, len(keys))
		vals, err := s.c.MGet(ctx, keys[:n]...).Result()
		if err != nil {
			return nil, fmt.Errorf("storage: list runs: %w", err)
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // indexed but gone: retention removed it between the two reads
			}
			var r remediation.Run
			if err := json.Unmarshal([]byte(str), &r); err != nil {
				return nil, fmt.Errorf("storage: list runs: decode %s: %w", keys[i], err)
			}
			if matches(f, r) {
				runs = append(runs, r)
			}
		}
		keys = keys[n:]
	}
	return newestFirst(runs, f.Limit), nil
}

// Audit implements remediation.Store; see the package doc for how since maps to IDs.
func (s *RedisStore) Audit(ctx context.Context, since time.Time, limit int) ([]remediation.AuditEntry, error) {
	var (
		msgs []redis.XMessage
		err  error
	)
	start := sinceID(since).String()
	if limit > 0 {
		msgs, err = s.c.XRangeN(ctx, s.auditKey(), start, "+", int64(limit)).Result()
	} else {
		msgs, err = s.c.XRange(ctx, s.auditKey(), start, "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("storage: read audit: %w", err)
	}
	entries := make([]remediation.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		e, err := decodeEntry(m)
		if err != nil {
			return nil, fmt.Errorf("storage: read audit: %w", err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// lockScript takes KEYS[1] for ARGV[1] for ARGV[2] ms, or extends it when ARGV[1]
// holds it already; it returns the holder. One script, so "check the owner, then set
// the expiry" cannot interleave with another replica's take.
const lockScript = `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return cur
`

// unlockScript deletes KEYS[1] only while ARGV[1] holds it: a lock that expired and
// was taken by someone else is not theirs to release.
const unlockScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// Lock implements remediation.Store. The TTL runs on Redis's clock; taking it again
// sets the TTL to ttl from now.
func (s *RedisStore) Lock(ctx context.Context, key, owner string, ttl time.Duration) (string, error) {
	if err := validTTL(ttl); err != nil {
		return "", err
	}
	if owner == "" {
		return "", errors.New("storage: lock needs an owner")
	}
	var holder string
	err := s.durably(ctx, func(c redisConn) error {
		var err error
		holder, err = s.lock.Run(ctx, c, []string{s.p + "lock:" + key}, owner, max(ttl.Milliseconds(), 1)).Text()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("storage: lock %s: %w", key, err)
	}
	if holder != owner {
		return holder, fmt.Errorf("storage: lock %s is held by %s: %w", key, holder, remediation.ErrConflict)
	}
	return holder, nil
}

// Unlock implements remediation.Store.
func (s *RedisStore) Unlock(ctx context.Context, key, owner string) error {
	if err := s.durably(ctx, func(c redisConn) error {
		return s.unlock.Run(ctx, c, []string{s.p + "lock:" + key}, owner).Err()
	}); err != nil {
		return fmt.Errorf("storage: unlock %s: %w", key, err)
	}
	return nil
}

// Once implements remediation.Store. The TTL runs on Redis's clock.
func (s *RedisStore) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := validTTL(ttl); err != nil {
		return false, err
	}
	var first bool
	err := s.durably(ctx, func(c redisConn) error {
		var err error
		first, err = c.SetNX(ctx, s.p+"once:"+key, "1", ttl).Result()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage: once %s: %w", key, err)
	}
	return first, nil
}

func (s *RedisStore) dueKey() string  { return s.p + "tasks:due" }
func (s *RedisStore) taskKey() string { return s.p + "tasks" }

// Schedule implements remediation.Scheduler.
func (s *RedisStore) Schedule(ctx context.Context, t remediation.Task) error {
	if err := validTask(t.Kind, t.RunID); err != nil {
		return err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("storage: schedule %s %s: %w", t.Kind, t.RunID, err)
	}
	m := taskMember(t.Kind, t.RunID)
	err = s.durably(ctx, func(c redisConn) error {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.ZAdd(ctx, s.dueKey(), redis.Z{Score: float64(dueScore(t.Due)), Member: m})
			p.HSet(ctx, s.taskKey(), m, b)
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: schedule %s %s: %w", t.Kind, t.RunID, err)
	}
	return nil
}

// Cancel implements remediation.Scheduler.
func (s *RedisStore) Cancel(ctx context.Context, kind remediation.TaskKind, runID string) error {
	m := taskMember(kind, runID)
	err := s.durably(ctx, func(c redisConn) error {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.ZRem(ctx, s.dueKey(), m)
			p.HDel(ctx, s.taskKey(), m)
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: cancel %s %s: %w", kind, runID, err)
	}
	return nil
}

// claimScript pops up to ARGV[2] (-1: all) members of KEYS[1] scored at or below
// ARGV[1], earliest first, with their payloads from KEYS[2]. Popping inside one script
// is what hands each task to exactly one caller.
const claimScript = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(ids) do
  local task = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if task then
    table.insert(out, task)
  end
end
return out
`

// Claim implements remediation.Scheduler; limit ≤ 0 claims every due task.
func (s *RedisStore) Claim(ctx context.Context, now time.Time, limit int) ([]remediation.Task, error) {
	n := int64(limit)
	if n <= 0 {
		n = -1
	}
	raw, err := s.claim.Run(ctx, s.c, []string{s.dueKey(), s.taskKey()}, strconv.FormatInt(dueScore(now), 10), n).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("storage: claim tasks: %w", err)
	}
	tasks := make([]remediation.Task, 0, len(raw))
	for _, r := range raw {
		var t remediation.Task
		if err := json.Unmarshal([]byte(r), &t); err != nil {
			// Already popped: dropping it is all we can do, so say so loudly.
			s.log.ErrorContext(ctx, "claimed task does not decode; dropped", "task", r, "error", err)
			continue
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// Cursor implements remediation.Store.
func (s *RedisStore) Cursor(ctx context.Context, name string) (string, error) {
	v, err := s.c.Get(ctx, s.p+"cursor:"+name).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("storage: cursor %s: %w", name, err)
	}
	return v, nil
}

// SetCursor implements remediation.Store.
func (s *RedisStore) SetCursor(ctx context.Context, name, value string) error {
	if err := s.durably(ctx, func(c redisConn) error { return c.Set(ctx, s.p+"cursor:"+name, value, 0).Err() }); err != nil {
		return fmt.Errorf("storage: cursor %s: %w", name, err)
	}
	return nil
}

// hitScript counts one event in a fixed window: the first event of a window starts its
// expiry.
const hitScript = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`

// Hit implements remediation.Store.
func (s *RedisStore) Hit(ctx context.Context, key string, win time.Duration) (int, time.Duration, error) {
	if err := validTTL(win); err != nil {
		return 0, 0, err
	}
	res, err := s.c.Eval(ctx, hitScript, []string{s.p + "hits:" + key}, win.Milliseconds()).Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("storage: hit %s: %w", key, err)
	}
	n, _ := res[0].(int64)
	ttl, _ := res[1].(int64)
	return int(n), time.Duration(max(ttl, 0)) * time.Millisecond, nil
}

// AuditHead implements remediation.Store.
func (s *RedisStore) AuditHead(ctx context.Context) (string, error) {
	h, err := s.c.HGet(ctx, s.headKey(), "hash").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("storage: audit head: %w", err)
	}
	return h, nil
}
