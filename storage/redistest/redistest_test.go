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
