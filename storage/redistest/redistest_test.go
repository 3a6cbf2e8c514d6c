package redistest

import (
	"net"
	"testing"
)

func TestStartServesAndStops(t *testing.T) {
	var addr string
	t.Run("serve", func(t *testing.T) {
		url, client := Start(t)
		if err := client.Set(t.Context(), "k", "v", 0).Err(); err != nil {
			t.Fatalf("SET on %s: %v", url, err)
		}
		addr = client.Options().Addr
	})
	if addr == "" {
		t.Skip("the server did not start (skipped above)")
	}
	// Cleanup has run: the server must be gone, not left behind by the test.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("redis-server still listens on %s after its test ended", addr)
	}
}

func TestStartTLS(t *testing.T) {
	s := StartTLS(t)
	if s.TLSAddr == "" || s.Roots == nil {
		t.Fatalf("no TLS address or roots: %+v", s)
	}
	if c, err := net.Dial("tcp", s.TLSAddr); err != nil {
		t.Fatalf("TLS port not listening: %v", err)
	} else {
		c.Close()
	}
}

func TestStartSentinelAndFailover(t *testing.T) {
	topo := StartSentinel(t)
	ctx := t.Context()
	addr, err := topo.PrimaryAddr(ctx)
	if err != nil || addr != topo.Primary.Addr {
		t.Fatalf("primary = %q, %v; want %s", addr, err, topo.Primary.Addr)
	}
	leader, err := topo.Failover(ctx)
	if err != nil {
		t.Fatalf("failover: %v", err)
	}
	if addr, err := topo.PrimaryAddr(ctx); err != nil || leader != topo.Replicas[0] || addr != leader.Addr {
		t.Fatalf("after failover primary = %q, %v; want %s", addr, err, topo.Replicas[0].Addr)
	}
	if err := topo.WaitRole(ctx, topo.Primary, "slave"); err != nil {
		t.Fatalf("the old primary did not become a replica: %v", err)
	}
}
