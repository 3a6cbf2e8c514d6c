package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireEnv names the variable that turns a missing redis-server into a failure.
const RequireEnv = "OKTA_CHATOPS_REQUIRE_REDIS"

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Start runs redis-server on 127.0.0.1 and returns its URL and a client on it; both
// are closed and the server stopped when t ends. A server costs a few milliseconds but
// is shared state: tests that share one should use their own key prefix (or FLUSHDB).
func Start(t testing.TB) (url string, client *redis.Client) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server is not on PATH (install it: apt-get install redis-server)"
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s, and %s=1 requires it", msg, RequireEnv)
		}
		t.Skipf("%s; skipping (set %s=1 to fail instead)", msg, RequireEnv)
	}
	// The port is free when we look but may be taken before redis binds it: try again.
	var lastErr error
	for range 3 {
		url, client, err := start(t, bin)
		if err == nil {
			return url, client
		}
		lastErr = err
	}
	t.Fatalf("redistest: %v", lastErr)
	return "", nil
}

func start(t testing.TB, bin string) (string, *redis.Client, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	out := &syncBuffer{}
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	client := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := client.Ping(ctx).Err()
		if err == nil {
			break
		}
		select {
		case <-exited:
			_ = client.Close()
			return "", nil, fmt.Errorf("redis-server on port %d exited:\n%s", port, out.String())
		case <-ctx.Done():
			_ = client.Close()
			stop()
			return "", nil, fmt.Errorf("redis-server on port %d did not answer PING within %v (%v):\n%s", port, startTimeout, err, out.String())
		case <-tick.C:
		}
	}
	t.Cleanup(func() {
		_ = client.Close()
		stop()
	})
	return "redis://" + addr + "/0", client, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects the server's output for error messages; the process writes to it
// from exec's copying goroutine while a failing test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
