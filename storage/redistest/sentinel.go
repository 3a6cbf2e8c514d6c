package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MasterName is the name the Sentinel topology's sentinels monitor.
const MasterName = "okta-chatops"

// Sentinel is a Redis Sentinel topology on loopback ports: a primary, its replicas
// and three sentinels (quorum 2), all killed when the test ends. Primary and Replicas
// are the roles at the start; a failover swaps them (PrimaryAddr says who leads).
type Sentinel struct {
	Primary   *Server
	Replicas  []*Server
	Sentinels []*Server
}

// StartSentinel starts a primary, one replica and three sentinels, and waits until
// every sentinel knows the replica and the other sentinels, so a failover can be
// asked for at once.
func StartSentinel(t testing.TB) *Sentinel { return StartSentinelN(t, 1) }

// StartSentinelN is StartSentinel with n replicas. A store that waits for one replica
// per write (storage.RedisOptions.Replicas) needs two to keep writing after its
// primary is killed: the promoted one and another that follows it.
func StartSentinelN(t testing.TB, n int) *Sentinel {
	t.Helper()
	primary := StartServer(t)
	host, port, _ := net.SplitHostPort(primary.Addr)
	topo := &Sentinel{Primary: primary}
	for range n {
		topo.Replicas = append(topo.Replicas, StartServer(t, "--replicaof", host, port))
	}
	for i := range 3 {
		topo.Sentinels = append(topo.Sentinels, startSentinel(t, i, host, port))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := poll(ctx, func() (bool, error) {
		for _, s := range topo.Sentinels {
			m, err := s.Client.Do(ctx, "SENTINEL", "MASTER", MasterName).Result()
			if err != nil {
				return false, nil
			}
			f := fields(m)
			if f["num-slaves"] != strconv.Itoa(n) || f["num-other-sentinels"] != "2" {
				return false, nil
			}
		}
		for _, r := range topo.Replicas {
			info, err := r.Client.Info(ctx, "replication").Result()
			if err != nil || !strings.Contains(info, "master_link_status:up") {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("redistest: the sentinels did not discover the topology: %v", err)
	}
	return topo
}

// URL is the REDIS_URL of the topology: the first sentinel as the host, the others
// as addr= parameters, and master_name (as redis.ParseFailoverURL reads it).
func (s *Sentinel) URL() string {
	u := "redis://" + s.Sentinels[0].Addr + "/0?master_name=" + MasterName
	for _, o := range s.Sentinels[1:] {
		u += "&addr=" + o.Addr
	}
	return u
}

// PrimaryAddr is the address the sentinels currently give for the primary.
func (s *Sentinel) PrimaryAddr(ctx context.Context) (string, error) {
	a, err := s.Sentinels[0].Client.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName).StringSlice()
	if err != nil {
		return "", fmt.Errorf("sentinel get-master-addr-by-name: %w", err)
	}
	if len(a) != 2 {
		return "", fmt.Errorf("sentinel get-master-addr-by-name: %v", a)
	}
	return net.JoinHostPort(a[0], a[1]), nil
}

// Failover asks a sentinel to promote a replica now, and returns the new primary once
// every sentinel names it and it accepts writes.
func (s *Sentinel) Failover(ctx context.Context) (*Server, error) {
	old, err := s.PrimaryAddr(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Sentinels[0].Client.Do(ctx, "SENTINEL", "FAILOVER", MasterName).Err(); err != nil {
		return nil, fmt.Errorf("sentinel failover: %w", err)
	}
	return s.WaitNewPrimary(ctx, old)
}

// WaitNewPrimary waits until every sentinel names the same primary other than old,
// and that server says it is a primary; it returns that server.
func (s *Sentinel) WaitNewPrimary(ctx context.Context, old string) (*Server, error) {
	var leader *Server
	err := poll(ctx, func() (bool, error) {
		var addr string
		for _, sn := range s.Sentinels {
			a, err := sn.Client.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName).StringSlice()
			if err != nil || len(a) != 2 {
				return false, nil
			}
			got := net.JoinHostPort(a[0], a[1])
			if got == old || (addr != "" && got != addr) {
				return false, nil
			}
			addr = got
		}
		leader = s.server(addr)
		if leader == nil {
			return false, fmt.Errorf("the sentinels name %s, which is not in the topology", addr)
		}
		info, err := leader.Client.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:master"), nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for a new primary: %w", err)
	}
	return leader, nil
}

// WaitRole waits until srv reports role ("master" or "slave") in INFO replication.
func (s *Sentinel) WaitRole(ctx context.Context, srv *Server, role string) error {
	return poll(ctx, func() (bool, error) {
		info, err := srv.Client.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:"+role+"\r\n"), nil
	})
}

func (s *Sentinel) server(addr string) *Server {
	for _, srv := range append([]*Server{s.Primary}, s.Replicas...) {
		if srv.Addr == addr {
			return srv
		}
	}
	return nil
}

func startSentinel(t testing.TB, i int, masterHost, masterPort string) *Server {
	t.Helper()
	bin := lookPath(t, "redis-server")
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			lastErr = err
			continue
		}
		dir := t.TempDir()
		// A sentinel rewrites its config file, so each needs its own.
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
			"sentinel monitor %s %s %s 2\n"+
			"sentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 5000\n"+
			"sentinel parallel-syncs %s 1\n",
			port, dir, MasterName, masterHost, masterPort, MasterName, MasterName, MasterName)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatalf("redistest: %v", err)
		}
		s, err := launch(t, bin, []string{conf, "--sentinel"}, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("redistest: sentinel: %v", lastErr)
	return nil
}

// poll calls cond every 20 ms until it holds, fails, or ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// fields turns a map reply (RESP3) or a flat [k1 v1 k2 v2 …] one (RESP2) into a map.
func fields(reply any) map[string]string {
	m := map[string]string{}
	switch r := reply.(type) {
	case map[any]any:
		for k, v := range r {
			m[fmt.Sprint(k)] = fmt.Sprint(v)
		}
	case []any:
		for i := 0; i+1 < len(r); i += 2 {
			m[fmt.Sprint(r[i])] = fmt.Sprint(r[i+1])
		}
	}
	return m
}
