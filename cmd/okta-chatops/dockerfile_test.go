package main

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/okta-chatops/okta-chatops/config"
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

// docker-compose.yml: Redis with persistence on, the bot built from this Dockerfile,
// pointed at that Redis, more than one replica.
func TestCompose(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build       string            `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Deploy      struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	redis, bot := c.Services["redis"], c.Services["bot"]
	if !slices.Contains(redis.Command, "--appendonly") {
		t.Errorf("redis without persistence: %v", redis.Command)
	}
	if bot.Build != "." || bot.Environment["REDIS_URL"] != "redis://redis:6379/0" || bot.Deploy.Replicas < 2 || !slices.Equal(bot.Command, []string{"serve"}) {
		t.Errorf("bot service: %+v", bot)
	}
	if _, err := config.Load(config.Source{Getenv: func(k string) string { return bot.Environment[k] }, ReadFile: os.ReadFile}); err != nil {
		t.Errorf("the compose environment does not load: %v", err)
	}
}

// dockerIgnored reports whether the build context leaves out rel (a slash path) under
// patterns, as Docker reads .dockerignore: a pattern matches the path or one of its
// parent directories, "**/" matches any number of directories, a leading "/" is the
// context's root, "!" re-includes.
func dockerIgnored(patterns []string, rel string) bool {
	ignored := false
	for _, p := range patterns {
		keep := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		parts := strings.Split(rel, "/")
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			ok, _ := path.Match(p, prefix)
			if rest, found := strings.CutPrefix(p, "**/"); found && !ok {
				for j := 0; j < i && !ok; j++ {
					ok, _ = path.Match(rest, strings.Join(parts[j:i], "/"))
				}
			}
			if ok {
				ignored = !keep
				break
			}
		}
	}
	return ignored
}

// The image build context must not carry tokens (bot.env, any *.env, secrets, keys) or
// the repository's history, and must keep what the build needs.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := path.Match(strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/"), "x"); err != nil {
			t.Errorf("pattern %q does not parse: %v", line, err)
		}
		patterns = append(patterns, line)
	}
	for _, p := range []string{"bot.env", "prod.env", "deploy/staging.env", ".env", ".git", ".git/config", "secrets/okta.pem", "deploy/secrets/token", "okta.key", "keys/okta.pem"} {
		if !dockerIgnored(patterns, p) {
			t.Errorf("%s is sent to the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/okta-chatops/main.go", "remediation/engine.go", "sim/oktasim/org.go", "manifest.yaml"} {
		if dockerIgnored(patterns, p) {
			t.Errorf("%s is left out of the build context, but the build needs it", p)
		}
	}
}
