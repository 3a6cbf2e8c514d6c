package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/storage"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// runCLI runs the command line as main does, with the given environment.
func runCLI(t *testing.T, envVars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{
		args: args, stdout: &out, stderr: &errb,
		src: config.Source{Getenv: func(k string) string { return envVars[k] }, ReadFile: os.ReadFile},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	code = run(context.Background(), e)
	return code, out.String(), errb.String()
}

func simEnv(t *testing.T) (map[string]string, *simServer) {
	t.Helper()
	s, err := startSim(env{log: slog.New(slog.NewTextHandler(io.Discard, nil))}, "127.0.0.1:0", oktasim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return map[string]string{"OKTA_ORG_URL": s.URL, "OKTA_API_TOKEN": s.Token, "OKTA_ALLOW_HTTP": "true"}, s
}

func TestDiagnoseJSONContract(t *testing.T) {
	vars, _ := simEnv(t)
	code, stdout, stderr := runCLI(t, vars, "diagnose", "alice@example.com", "Zoom", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var got struct {
		User     map[string]any `json:"user"`
		App      map[string]any `json:"app"`
		Findings []struct {
			Code     string   `json:"code"`
			Severity string   `json:"severity"`
			Summary  string   `json:"summary"`
			Evidence []string `json:"evidence"`
			Plans    []string `json:"plans"`
		} `json:"findings"`
	}
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Error("stdout holds more than one JSON value")
	}
	if got.User["id"] == "" || got.User["login"] != "alice@example.com" || got.App["label"] != "Zoom" || got.App["id"] == "" {
		t.Errorf("user/app = %v %v", got.User, got.App)
	}
	if len(got.Findings) != 1 || got.Findings[0].Code != "STALE_EXTERNAL_ID" || got.Findings[0].Severity != "error" ||
		strings.Join(got.Findings[0].Plans, ",") != "reassign,reset_external_id" || got.Findings[0].Summary == "" ||
		!strings.Contains(strings.Join(got.Findings[0].Evidence, "\n"), "No user returned for user") {
		t.Errorf("findings = %+v", got.Findings)
	}
}

func TestDiagnoseJapanese(t *testing.T) {
	vars, _ := simEnv(t)
	vars["OKTA_CHATOPS_LOCALE"] = "ja"
	code, stdout, _ := runCLI(t, vars, "diagnose", "bob@example.com", "Slack")
	if code != 0 || !strings.Contains(stdout, "根拠") || !strings.Contains(stdout, "SAAS_USER_DEACTIVATED") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestDiagnoseExitCodes(t *testing.T) {
	vars, _ := simEnv(t)
	tests := []struct {
		name   string
		vars   map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no user", vars, []string{"diagnose", "--json"}, 2, "no USER given"},
		{"unknown flag", vars, []string{"diagnose", "alice@example.com", "--jsn"}, 2, "unknown flag --jsn"},
		{"no configuration", map[string]string{}, []string{"diagnose", "alice@example.com"}, 2, "OKTA_ORG_URL is not set"},
		{"http without allow", map[string]string{"OKTA_ORG_URL": vars["OKTA_ORG_URL"], "OKTA_API_TOKEN": "x"}, []string{"diagnose", "a@b.c"}, 2, "OKTA_ALLOW_HTTP"},
		{"wrong token", map[string]string{"OKTA_ORG_URL": vars["OKTA_ORG_URL"], "OKTA_API_TOKEN": "wrong", "OKTA_ALLOW_HTTP": "true"}, []string{"diagnose", "alice@example.com"}, 2, "OKTA_API_TOKEN"},
		{"unknown user", vars, []string{"diagnose", "nobody@example.com", "--json"}, 1, "Not found in Okta"},
		{"unknown app", vars, []string{"diagnose", "alice@example.com", "No Such App"}, 1, "No Such App"},
		{"unreachable okta", map[string]string{"OKTA_ORG_URL": "http://127.0.0.1:1", "OKTA_API_TOKEN": "x", "OKTA_ALLOW_HTTP": "true"}, []string{"diagnose", "a@b.c"}, 1, "could not be reached"},
		{"unknown command", vars, []string{"frobnicate"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d stderr %q, want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty on failure: %q", stdout)
			}
			if strings.Contains(stderr, "wrong") && tt.name == "wrong token" {
				t.Errorf("the token leaked into the error: %s", stderr)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo plays every scenario")
	}
	code, stdout, stderr := runCLI(t, map[string]string{}, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d: %s\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "(12/12)") || strings.Count(stdout, "healed: the diagnosis is HEALTHY again") != 6 || strings.Contains(stdout, "%!") {
		t.Errorf("demo transcript:\n%s", stdout)
	}
	// The incident, in the order it happened: one grouped alert, the click, two approvals,
	// a canary then batches in one progress message, each user's result, all healed.
	inOrder(t, stdout, "🤖 #okta-alerts 🚨", "· 30 users ·", "@helpdesk clicks [Fix all 30 users: Reset the External ID",
		"*Bulk fix for 30 users* of *Zoom*", "@itmanager clicks [Approve]", "(1 of 2)", "@secops clicks [Approve]", "(2 of 2)",
		"batch 1 (canary)", "batch 2", "batch 3", "batch 4", "Every user is fixed and verified: 30 fixed, 0 failed",
		"zoomuser30@example.com — fixed and verified", "healed: all 30 users are SYNCHRONIZED")
	// One alert message lists the 30 users; a later failure of the same cause (the
	// other scenarios' Zoom users, after the bulk fix was proposed) opens a new incident
	// with its own alert instead of listing the 30 again.
	if n := alertsListing(stdout, "zoomuser1@example.com"); n != 1 {
		t.Errorf("%d alert messages list the 30 users, want 1:\n%s", n, stdout)
	}
	if strings.Contains(stdout, "· 32 users ·") {
		t.Errorf("the fixed incident listed later failures with its 30 users:\n%s", stdout)
	}
	// The manual Admin Console steps of the app without the Features API, with Done.
	if strings.Count(stdout, "in the Admin Console") < 2 || !strings.Contains(stdout, "clicks [Done]") {
		t.Errorf("no manual step in the transcript:\n%s", stdout)
	}
	// An outcome is never printed before the run's last step.
	step := regexp.MustCompile(`(Started|Done|confirmed) step (\d+)/(\d+)`)
	pending := false
	for i, line := range strings.Split(stdout, "\n") {
		if m := step.FindStringSubmatch(line); m != nil {
			pending = m[1] == "Started" || m[2] != m[3]
		}
		if pending && strings.Contains(line, "Fixed and verified") {
			t.Fatalf("line %d: outcome before the last step:\n%s", i+1, stdout)
		}
	}
	// The app-wide cause: its runbook's manual steps, the person fixing the credentials
	// during one of them, then the retry heals.
	inOrder(t, stdout, "Atlassian Cloud refuses Okta's API token", "@helpdesk does this step in the Admin Console → clicks [Done]",
		"@helpdesk enters a new Atlassian Cloud API token", "confirmed step 3/6", "Fixed and verified", "healed: the diagnosis is HEALTHY again")
	// The app-wide cause reaches Slack with its manual steps.
	if !strings.Contains(stdout, "`APP_CREDENTIALS_INVALID`") || !strings.Contains(stdout, "*Manual steps:*\n      1. In the Admin Console, open Applications → Applications → Atlassian Cloud → Provisioning → Integration and click Edit.") {
		t.Errorf("the app-wide cause or its manual steps are missing from the transcript:\n%s", stdout)
	}
}

// alertsListing counts the alert messages posted in #okta-alerts (not their updates)
// whose text mentions who.
func alertsListing(transcript, who string) int {
	n := 0
	for _, seg := range strings.Split(transcript, "🤖 #okta-alerts 🚨")[1:] {
		lines := strings.Split(seg, "\n")
		body := []string{lines[0]}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "      ") {
				break
			}
			body = append(body, l)
		}
		if strings.Contains(strings.Join(body, "\n"), who) {
			n++
		}
	}
	return n
}

func TestDemoJapanese(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo plays every scenario")
	}
	code, stdout, stderr := runCLI(t, map[string]string{"OKTA_CHATOPS_LOCALE": "ja"}, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"(12/12)", "ハッシュチェーンに不整合はありません", "管理コンソールでプロビジョニングを無効にし"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	inOrder(t, stdout, "🤖 #okta-alerts 🚨", "· 30 人 ·", "@secops がクリック [", "30 人全員が新しい外部IDで Zoom と同期済み")
	if n := strings.Count(stdout, "解消: 診断結果が HEALTHY に戻りました"); n != 6 || strings.Contains(stdout, "%!") {
		t.Errorf("%d scenarios healed, want 6:\n%s", n, stdout)
	}
}

// inOrder checks that each of wants appears in s after the one before it.
func inOrder(t *testing.T, s string, wants ...string) {
	t.Helper()
	rest := s
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%q is missing, or not after what comes before it, in:\n%s", w, s)
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestAuditExportBadSince(t *testing.T) {
	if code, _, stderr := runCLI(t, map[string]string{}, "audit", "export", "--since", "yesterday"); code != 2 || !strings.Contains(stderr, "--since") {
		t.Errorf("bad --since: exit %d %s", code, stderr)
	}
}

// audit export checks the chain and that nothing was cut from either end.
func TestAuditExportDetectsTampering(t *testing.T) {
	url, client := redistest.Start(t)
	ctx := context.Background()
	store := storage.NewRedis(client, storage.RedisOptions{})
	for i := 0; i < 3; i++ {
		if err := store.Append(ctx, remediation.AuditEvent{Type: remediation.AuditDiagnosed, Actor: "U1", Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{"REDIS_URL": url}
	code, out, stderr := runCLI(t, vars, "audit", "export")
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Fatalf("intact trail: exit %d, %d lines, %s", code, strings.Count(out, "\n"), stderr)
	}
	ids, err := client.XRange(ctx, storage.DefaultPrefix+"audit", "-", "+").Result()
	if err != nil || len(ids) != 3 {
		t.Fatalf("stream: %v %v", ids, err)
	}
	// Remove the newest entry: the chain that is left is intact, but the head knows.
	client.XDel(ctx, storage.DefaultPrefix+"audit", ids[2].ID)
	if code, _, stderr := runCLI(t, vars, "audit", "export"); code != 1 || !strings.Contains(stderr, "newest entries are missing") {
		t.Errorf("cut at the end: exit %d %s", code, stderr)
	}
	// Remove the oldest: the first entry no longer starts the chain.
	client.XDel(ctx, storage.DefaultPrefix+"audit", ids[0].ID)
	if code, _, stderr := runCLI(t, vars, "audit", "export"); code != 1 || !strings.Contains(stderr, "tampered") {
		t.Errorf("cut at the start: exit %d %s", code, stderr)
	}
}

// A terminal diagnosis goes through the same use case as Slack's: with REDIS_URL it is
// in the audit trail, and its output is unchanged.
func TestDiagnoseIsAuditedWithRedis(t *testing.T) {
	vars, _ := simEnv(t)
	url, client := redistest.Start(t)
	vars["REDIS_URL"] = url
	code, stdout, stderr := runCLI(t, vars, "diagnose", "alice@example.com", "Zoom", "--json")
	if code != 0 || !strings.HasPrefix(stdout, "{") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	entries, err := storage.NewRedis(client, storage.RedisOptions{}).Audit(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d audit entries, want 1: %+v", len(entries), entries)
	}
	ev := entries[0].Event
	if ev.Type != remediation.AuditDiagnosed || ev.Actor != remediation.OperatorActor || ev.Detail != "in a terminal" ||
		ev.UserID == "" || ev.AppID == "" || len(ev.Codes) != 1 || ev.Codes[0] != "STALE_EXTERNAL_ID" {
		t.Errorf("audited %+v", ev)
	}

	// A configured Redis that cannot be reached: no unrecorded diagnosis.
	vars["REDIS_URL"] = "redis://127.0.0.1:1"
	if code, stdout, stderr := runCLI(t, vars, "diagnose", "alice@example.com", "Zoom"); code != 2 || stdout != "" || !strings.Contains(stderr, "REDIS_URL") {
		t.Errorf("unreachable Redis: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
