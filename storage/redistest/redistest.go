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
	s := StartServer(t)
	return s.URL(), s.Client
}

// Server is one redis-server process started by a test.
type Server struct {
	// Addr is host:port of its plain-text port (empty for a TLS-only server).
	Addr string
	// Client talks to Addr (nil for a TLS-only server); closed when the test ends.
	Client *redis.Client

	cmd    *exec.Cmd
	exited chan struct{}
	out    *syncBuffer
}

// URL is the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Kill stops the server at once (SIGKILL), as a crash would; it returns when the
// process is gone. Killing twice is harmless.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Output is what the server printed so far (for failure messages).
func (s *Server) Output() string { return s.out.String() }

// StartServer runs redis-server on a free loopback port with no persistence, plus
// extra arguments (e.g. "--replicaof", host, port); the server is killed when t ends.
func StartServer(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := lookPath(t, "redis-server")
	// The port is free when we look but may be taken before redis binds it: try again.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			lastErr = err
			continue
		}
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)
		s, err := launch(t, bin, args, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

// lookPath finds a Redis binary, skipping the test when it is missing unless
// RequireEnv says it must be there.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := name + " is not on PATH (install it: apt-get install redis-server)"
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s, and %s=1 requires it", msg, RequireEnv)
		}
		t.Skipf("%s; skipping (set %s=1 to fail instead)", msg, RequireEnv)
	}
	return bin
}

// launch starts bin with args and waits until a client made by dial (by default a
// plain client on addr) answers PING.
func launch(t testing.TB, bin string, args []string, addr string, dial *redis.Options) (*Server, error) {
	out := &syncBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, exited: make(chan struct{}), out: out}
	go func() { _ = cmd.Wait(); close(s.exited) }()

	if dial == nil {
		dial = &redis.Options{Addr: addr}
	}
	client := redis.NewClient(dial)
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
		case <-s.exited:
			_ = client.Close()
			return nil, fmt.Errorf("%s on %s exited:\n%s", bin, dial.Addr, out.String())
		case <-ctx.Done():
			_ = client.Close()
			s.Kill()
			return nil, fmt.Errorf("%s on %s did not answer PING within %v (%v):\n%s", bin, dial.Addr, startTimeout, err, out.String())
		case <-tick.C:
		}
	}
	t.Cleanup(func() {
		_ = client.Close()
		s.Kill()
	})
	if dial.TLSConfig == nil {
		s.Addr, s.Client = addr, client
	} else {
		// A TLS server's test client is the caller's business; this one only waited.
		_ = client.Close()
	}
	return s, nil
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
