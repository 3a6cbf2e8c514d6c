package main

import (
	"os"
	"strings"
	"testing"
)

// No Docker engine runs here, so the Dockerfile is checked for what matters: a static
// build of this command, a non-root user on an empty image, and a HEALTHCHECK that uses
// the binary's own health subcommand (which TestServeBadInputAndHealth and
// TestHealthCommand exercise).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{
		"CGO_ENABLED=0 go build", "./cmd/okta-chatops", "FROM scratch", "USER 65532:65532",
		`HEALTHCHECK`, `CMD ["/okta-chatops", "health"]`, `ENTRYPOINT ["/okta-chatops"]`, `CMD ["serve"]`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

func TestHealthCommand(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	if code, _, stderr := runCLI(t, map[string]string{"HTTP_ADDR": x.vars["HTTP_ADDR"]}, "health"); code != 0 {
		t.Errorf("health exit %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, map[string]string{"HTTP_ADDR": freeAddr(t)}, "health"); code != 1 {
		t.Errorf("health against nothing exit %d, want 1", code)
	}
}
