package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// runWith runs the command line with x's environment and the given overrides.
func (x *e2e) runWith(overrides map[string]string, args ...string) (code int, stdout, stderr string) {
	vars := map[string]string{}
	for k, v := range x.vars {
		vars[k] = v
	}
	for k, v := range overrides {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	e := env{args: args, stdout: &out, stderr: &errb,
		src: config.Source{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile},
		log: slog.New(slog.DiscardHandler)}
	code = run(context.Background(), e)
	return code, out.String(), errb.String()
}

func oneLine(t *testing.T, stderr string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
}

// serve --check checks each Slack token by the call that needs it, without opening a
// Socket Mode connection, and names the variable whose token was refused.
func TestServeCheckNamesEachToken(t *testing.T) {
	x := newE2E(t)
	code, out, stderr := x.runWith(nil, "serve", "--check")
	if code != 0 || !strings.Contains(out, "SLACK_BOT_TOKEN accepted") || !strings.Contains(out, "SLACK_APP_TOKEN accepted") {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	if x.slack.Calls("apps.connections.open") != 1 || x.slack.Connections() != 0 {
		t.Errorf("apps.connections.open calls %d, connections %d", x.slack.Calls("apps.connections.open"), x.slack.Connections())
	}
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"wrong app token":    {map[string]string{"SLACK_APP_TOKEN": "xapp-not-this-one"}, "SLACK_APP_TOKEN was refused by Slack (apps.connections.open: invalid_auth)"},
		"bot token as app":   {map[string]string{"SLACK_APP_TOKEN": "xapp-" + botToken}, "SLACK_APP_TOKEN was refused"},
		"wrong bot token":    {map[string]string{"SLACK_BOT_TOKEN": "xoxb-not-this-one"}, "SLACK_BOT_TOKEN was refused by Slack (auth.test: invalid_auth)"},
		"refused okta token": {map[string]string{"OKTA_API_TOKEN": "not-the-token"}, "OKTA_API_TOKEN was refused by Okta (HTTP 401 E0000011"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := x.runWith(tc.vars, "serve", "--check")
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 1 and %q:\n%s\n%s", code, tc.want, stderr, out)
			}
			oneLine(t, stderr)
		})
	}
	t.Run("role without permissions", func(t *testing.T) {
		remove := x.okta.Org.Inject(oktasim.Fault{PathPrefix: "/api/v1/users", Status: 403})
		defer remove()
		code, out, stderr := x.runWith(nil, "serve", "--check")
		if code != 1 || !strings.Contains(stderr, "OKTA_API_TOKEN is accepted, but its role cannot read users or apps (HTTP 403)") ||
			strings.Contains(stderr, "refused by Okta") || !strings.Contains(out, "okta.users.read      MISSING") {
			t.Errorf("exit %d:\n%s\n%s", code, stderr, out)
		}
	})
	t.Run("revoked app token", func(t *testing.T) {
		x.slack.RevokeToken(appToken)
		code, _, stderr := x.runWith(nil, "serve", "--check")
		if code != 1 || !strings.Contains(stderr, "SLACK_APP_TOKEN was refused by Slack (apps.connections.open: token_revoked)") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

// A REDIS_URL that cannot be used is one line naming REDIS_URL, whoever reads it.
func TestRedisURLUnusable(t *testing.T) {
	x := newE2E(t)
	url, client := redistest.Start(t)
	if err := client.ConfigSet(context.Background(), "requirepass", "the-password").Err(); err != nil {
		t.Fatal(err)
	}
	closed := "redis://" + freeAddr(t) + "/0"
	wrongPassword := strings.Replace(url, "redis://", "redis://:not-the-password@", 1)
	for name, redisURL := range map[string]string{"unreachable": closed, "refused credentials": wrongPassword} {
		for _, args := range [][]string{{"serve", "--check"}, {"audit", "export"}} {
			t.Run(name+" "+strings.Join(args, " "), func(t *testing.T) {
				code, _, stderr := x.runWith(map[string]string{"REDIS_URL": redisURL}, args...)
				if code != 1 || !strings.Contains(stderr, "REDIS_URL: Redis cannot be used") {
					t.Errorf("exit %d: %s", code, stderr)
				}
				oneLine(t, stderr)
				if strings.Contains(stderr, "not-the-password") {
					t.Errorf("the password was shown: %s", stderr)
				}
			})
		}
	}
}

// audit export reads the trail from Redis: without REDIS_URL it has nothing true to
// print, and says so.
func TestAuditExportNeedsRedis(t *testing.T) {
	code, stdout, stderr := runCLI(t, map[string]string{}, "audit", "export")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "REDIS_URL is not set") {
		t.Errorf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	oneLine(t, stderr)
}
