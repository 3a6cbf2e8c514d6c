package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/logctx"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
	"github.com/okta-chatops/okta-chatops/storage/redistest"
)

// The cast of the end-to-end tests.
const (
	uOutsider  = "U0OUTSIDE1"
	cRandom    = "C0RANDOM01"
	uRequester = "U0REQUEST1"
	uApprover  = "U0APPROVE1"
	uAlice     = "U0ALICE001"
	cOps       = "C0OPS00001"
	cAudit     = "C0AUDIT001"
	botToken   = "xoxb-e2e-bot-token"
	appToken   = "xapp-e2e-app-token"
)

// e2e is the simulated Slack workspace, the simulated Okta org (with Slack's SCIM), a
// real redis-server, and `okta-chatops serve` itself, run through its command line.
type e2e struct {
	slack *slacksim.Workspace
	okta  *simServer
	vars  map[string]string
	logs  *syncBuffer
}

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

func newE2E(t testing.TB) *e2e {
	t.Helper()
	redisURL, _ := redistest.Start(t)
	ws := slacksim.New(slacksim.Options{BotToken: botToken, AppToken: appToken, PingInterval: time.Second})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() { srv.Close(); ws.Close() })
	ws.AddUser(slacksim.User{ID: uRequester, Name: "helpdesk", Email: "helpdesk@example.com", Locale: "en-US"})
	ws.AddUser(slacksim.User{ID: uApprover, Name: "itmanager", Email: "manager@example.com", Locale: "ja-JP"})
	ws.AddUser(slacksim.User{ID: uAlice, Name: "alice", Email: "alice@example.com"})
	ws.AddUser(slacksim.User{ID: uOutsider, Name: "curious", Email: "curious@example.com"})
	ws.AddChannel(cOps, "it-ops", true)
	ws.AddChannel(cRandom, "random", true)
	ws.AddChannel(cAudit, "okta-audit", true)

	okta, err := startSim(env{log: slog.New(slog.DiscardHandler)}, "127.0.0.1:0", oktasim.Limits{Apps: 10000, Logs: 10000, Users: 10000, Other: 10000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = okta.Close() })
	return &e2e{
		slack: ws, okta: okta, logs: &syncBuffer{},
		vars: map[string]string{
			"SLACK_BOT_TOKEN": botToken, "SLACK_APP_TOKEN": appToken, "SLACK_API_URL": srv.URL + "/api/",
			"SLACK_SCIM_URL": okta.URL + scimPath, "SLACK_SCIM_TOKEN": okta.SCIMToken,
			"OKTA_ORG_URL": okta.URL, "OKTA_API_TOKEN": okta.Token, "OKTA_ALLOW_HTTP": "true",
			"REDIS_URL": redisURL, "OKTA_CHATOPS_APPROVERS": uApprover + "," + uAlice, "OKTA_CHATOPS_REQUESTERS": uRequester,
			"OKTA_CHATOPS_AUDIT_CHANNEL": cAudit, "HTTP_ADDR": freeAddr(t), "VERIFY_TIMEOUT": "20s",
		},
	}
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serve starts `okta-chatops serve` and returns a function that stops it (as SIGTERM
// would) and returns its exit code.
func (x *e2e) serve(t testing.TB, overrides ...string) (stop func() int) {
	t.Helper()
	vars := map[string]string{}
	for k, v := range x.vars {
		vars[k] = v
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		vars[overrides[i]] = overrides[i+1]
	}
	want := x.slack.Connections() + 1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		e := env{
			args: []string{"serve"}, stdout: io.Discard, stderr: x.logs,
			src: config.Source{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile},
			log: slog.New(logctx.Handler{Handler: slog.NewTextHandler(x.logs, &slog.HandlerOptions{Level: slog.LevelDebug})}),
		}
		done <- run(ctx, e)
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer wcancel()
	if err := x.slack.WaitConnected(wctx, want); err != nil {
		cancel()
		t.Fatalf("serve did not connect over Socket Mode: %v\n%s", err, x.logs.String())
	}
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(15 * time.Second):
				t.Errorf("serve did not stop within 15s")
				code = -1
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return stop
}

func (x *e2e) wait(t testing.TB, what string, match func(slacksim.Message) bool) slacksim.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := x.slack.WaitMessage(ctx, match)
	if err != nil {
		var all []string
		for _, m := range x.slack.AllMessages() {
			all = append(all, fmt.Sprintf("[%s %s thread=%s eph=%s] %s", m.Channel, m.TS, m.ThreadTS, m.EphemeralTo, m.Text()))
		}
		t.Fatalf("waiting for %s: %v\nmessages:\n%s\nlogs:\n%s", what, err, strings.Join(all, "\n"), x.logs.String())
	}
	return m
}

func inChannel(ch string, must ...string) func(slacksim.Message) bool {
	return func(m slacksim.Message) bool {
		if m.Channel != ch || m.Ephemeral {
			return false
		}
		for _, s := range must {
			if !m.Contains(s) {
				return false
			}
		}
		return true
	}
}

func ephemeralTo(user string, must string) func(slacksim.Message) bool {
	return func(m slacksim.Message) bool {
		return m.Ephemeral && m.EphemeralTo == user && m.Contains(must)
	}
}

// requestFix types /okta-diagnose as the requester, waits for the diagnosis naming
// code, clicks the propose_plan button of plan, and returns the approval request and
// its run ID.
func (x *e2e) requestFix(t testing.TB, userApp, code string, plan string) (slacksim.Message, string) {
	t.Helper()
	ctx := context.Background()
	if _, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-diagnose", userApp); err != nil {
		t.Fatal(err)
	}
	diag := x.wait(t, "the diagnosis", inChannel(cOps, code))
	value := ""
	for _, b := range diag.Buttons() {
		if b.ActionID == "propose_plan" && strings.HasPrefix(b.Value, plan+":") {
			value = b.Value
		}
	}
	if value == "" {
		t.Fatalf("no propose_plan button for %s: %+v", plan, diag.Buttons())
	}
	if _, err := x.slack.Click(ctx, uRequester, cOps, diag.TS, "propose_plan", value); err != nil {
		t.Fatal(err)
	}
	req := x.wait(t, "the approval request", func(m slacksim.Message) bool {
		b, ok := m.Button("approve_run")
		return ok && m.Channel == cOps && strings.HasPrefix(b.Value, "run-")
	})
	b, _ := req.Button("approve_run")
	return req, b.Value
}

// From a slash command to a verified fix and the audit channel, over Socket Mode.
func TestServeEndToEnd(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()

	d, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-diagnose", "alice@example.com Zoom")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Acked() || d.AckedAt.Sub(d.SentAt) > 3*time.Second {
		t.Fatalf("slash command not acked within 3s: %+v", d)
	}
	diag := x.wait(t, "the diagnosis in the channel", inChannel(cOps, "STALE_EXTERNAL_ID", "No user returned for user"))
	var proposeValue string
	for _, b := range diag.Buttons() {
		if b.ActionID == "propose_plan" && strings.HasPrefix(b.Value, "reset_external_id:") {
			proposeValue = b.Value
		}
	}
	if proposeValue == "" {
		t.Fatalf("no propose_plan button for reset_external_id: %+v", diag.Buttons())
	}
	before := len(x.okta.Org.Requests())
	if _, err := x.slack.Click(ctx, uRequester, cOps, diag.TS, "propose_plan", proposeValue); err != nil {
		t.Fatal(err)
	}
	req := x.wait(t, "the approval request", func(m slacksim.Message) bool {
		_, ok := m.Button("approve_run")
		return m.Channel == cOps && ok
	})
	// The click rests on the diagnosis just shown: only the reads of the run's snapshot,
	// no System Log query.
	var reads []string
	for _, q := range x.okta.Org.Requests()[before:] {
		if strings.HasPrefix(q.Path, "/api/v1/logs") {
			t.Errorf("the propose click read the System Log: %s %s?%s", q.Method, q.Path, q.Query)
		}
		reads = append(reads, q.Method+" "+q.Path)
	}
	if len(reads) > 4 {
		t.Errorf("the propose click made %d Okta calls, want at most 4: %q", len(reads), reads)
	}
	approve, _ := req.Button("approve_run")
	if !strings.HasPrefix(approve.Value, "run-") || !req.Contains("PUT /api/v1/apps/") || !req.Contains(`{"externalId":null}`) || !req.Contains("<@"+uApprover+">") {
		t.Errorf("approval request lacks the run ID, dry run or approvers:\n%s", req.Text())
	}
	runID := approve.Value

	// The requester may not approve their own request; the affected user neither.
	if _, err := x.slack.Click(ctx, uRequester, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the self-approval refusal", ephemeralTo(uRequester, "cannot approve"))
	if _, err := x.slack.Click(ctx, uAlice, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the affected user's refusal", ephemeralTo(uAlice, "your own account"))

	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the verified result in the thread", func(m slacksim.Message) bool {
		return m.Channel == cOps && m.ThreadTS == req.TS && m.Contains("Fixed and verified")
	})
	thread := x.slack.Thread(cOps, req.TS)
	var lines []string
	for _, m := range thread {
		lines = append(lines, m.Text())
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"Started step 2/5", "Done step 2/5", "Done step 5/5"} {
		if !strings.Contains(all, want) {
			t.Errorf("thread lacks %q:\n%s", want, all)
		}
	}
	updated := x.wait(t, "the request message updated", func(m slacksim.Message) bool {
		return m.Channel == cOps && m.TS == req.TS && m.Updated() && m.Contains("Fixed and verified")
	})
	if _, ok := updated.Button("approve_run"); ok {
		t.Error("the decided request still shows its buttons")
	}
	x.wait(t, "the audit channel", inChannel(cAudit, "`verified`", runID))
	for _, typ := range []string{"`diagnosed`", "`proposed`", "`approved`", "`step_done`"} {
		x.wait(t, "audit "+typ, inChannel(cAudit, typ))
	}

	// /metrics shows the series of issue 5 after the run.
	resp, err := http.Get("http://" + x.vars["HTTP_ADDR"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`okta_chatops_commands_total{command="diagnose",outcome="ok"} 1`,
		`okta_chatops_ack_latency_seconds_count`,
		`okta_chatops_okta_calls_total{endpoint="DELETE /api/v1/apps/{appId}/users/{userId}",status="204"} 1`,
		`okta_chatops_okta_call_seconds_bucket`,
		`okta_chatops_okta_rate_limit_remaining{bucket="apps"}`,
		`okta_chatops_runs{state="running"} 0`,
		`okta_chatops_runs_ended_total{state="succeeded"} 1`,
		`okta_chatops_step_duration_seconds_count{kind="provisioning_off",outcome="done"} 1`,
		`okta_chatops_provisioning_off_window_seconds_count 1`,
		`okta_chatops_audit_outbox_lag_seconds`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A restart while a run awaits approval loses nothing: the new process takes the click.
func TestServeRestartWhileAwaitingApproval(t *testing.T) {
	x := newE2E(t)
	stop := x.serve(t)
	ctx := context.Background()
	if _, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-diagnose", "bob@example.com Slack"); err != nil {
		t.Fatal(err)
	}
	diag := x.wait(t, "the diagnosis", inChannel(cOps, "SAAS_USER_DEACTIVATED"))
	b, ok := diag.Button("propose_plan")
	if !ok || !strings.HasPrefix(b.Value, "relink_saas_user:") {
		t.Fatalf("buttons %+v", diag.Buttons())
	}
	if _, err := x.slack.Click(ctx, uRequester, cOps, diag.TS, "propose_plan", b.Value); err != nil {
		t.Fatal(err)
	}
	req := x.wait(t, "the approval request", func(m slacksim.Message) bool { _, ok := m.Button("approve_run"); return ok })
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d on stop:\n%s", code, x.logs.String())
	}
	x.serve(t)
	approve, _ := req.Button("approve_run")
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", approve.Value); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the verified relink", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && (m.Contains("Fixed and verified") || m.Contains("対処が完了"))
	})
}

func TestServeBadInputAndHealth(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()
	if _, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-diagnose", ""); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the usage answer", ephemeralTo(uRequester, "/okta-diagnose"))
	resp, err := http.Get("http://" + x.vars["HTTP_ADDR"] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz = %d while connected", resp.StatusCode)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	code, _, stderr := runCLI(t, map[string]string{"SLACK_BOT_TOKEN": "xoxp-wrong"}, "serve")
	if code != 2 || !strings.Contains(stderr, "SLACK_BOT_TOKEN must start with xoxb-") || !strings.Contains(stderr, "OKTA_ORG_URL") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// BenchmarkSlashCommandAck pushes 200 slash commands at once through the simulated
// workspace to one `serve` and reports the Socket Mode ack latency (Slack wants an ack
// within 3 s; the target is p99 under 100 ms on a 2-core machine).
func BenchmarkSlashCommandAck(b *testing.B) {
	for _, bc := range []struct{ name, command, text string }{
		{"help", "/okta-help", ""},
		{"diagnose", "/okta-diagnose", "alice@example.com Zoom"},
	} {
		b.Run(bc.name, func(b *testing.B) { benchAck(b, bc.command, bc.text) })
	}
}

func benchAck(b *testing.B, command, text string) {
	const burst = 200
	// 200 different requesters, each within the per-person limit, on a fresh workspace
	// and Redis per burst so the global limit (300 a minute) never refuses one.
	users := make([]string, burst)
	for i := range users {
		users[i] = fmt.Sprintf("U0BENCH%03d", i)
	}
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		x := newE2E(b)
		for _, u := range users {
			x.slack.AddUser(slacksim.User{ID: u, Name: strings.ToLower(u), Email: strings.ToLower(u) + "@example.com"})
		}
		x.serve(b, "OKTA_CHATOPS_REQUESTERS", strings.Join(users, ","))
		b.StartTimer()
		lat := make([]time.Duration, burst)
		var wg sync.WaitGroup
		errs := make(chan error, burst)
		for j := 0; j < burst; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				d, err := x.slack.SlashCommand(ctx, users[j], cOps, command, text)
				if err != nil {
					errs <- err
					return
				}
				lat[j] = d.AckedAt.Sub(d.SentAt)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		all = append(all, lat...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "ack-p50-ms")
	b.ReportMetric(pct(0.99), "ack-p99-ms")
	b.ReportMetric(pct(1.0), "ack-max-ms")
}

// Who may ask and who may see (issue 6): an outsider's command, click and audit query
// are refused, audited and change nothing; a command in another channel is refused;
// evidence never reaches the channel.
func TestServeAccessControl(t *testing.T) {
	x := newE2E(t)
	x.serve(t, "OKTA_CHATOPS_CHANNELS", cOps)
	ctx := context.Background()

	for _, c := range []struct{ command, text string }{{"/okta-diagnose", "alice@example.com Zoom"}, {"/okta-audit", "alice@example.com"}, {"/okta-status", ""}} {
		if _, err := x.slack.SlashCommand(ctx, uOutsider, cOps, c.command, c.text); err != nil {
			t.Fatal(err)
		}
	}
	x.waitEphemerals(t, uOutsider, "not allowed to use okta-chatops", 3)
	for _, m := range x.slack.Messages(cOps) {
		if !m.Ephemeral {
			t.Errorf("an outsider's command posted in the channel: %s", m.Text())
		}
	}
	x.wait(t, "the refusals in the audit channel", func(m slacksim.Message) bool {
		return m.Channel == cAudit && m.Contains("`refused`") && m.Contains(uOutsider)
	})

	if _, err := x.slack.SlashCommand(ctx, uRequester, cRandom, "/okta-diagnose", "alice@example.com Zoom"); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the wrong-channel answer", ephemeralTo(uRequester, "does not answer in this channel"))

	if _, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-diagnose", "alice@example.com Zoom"); err != nil {
		t.Fatal(err)
	}
	diag := x.wait(t, "the diagnosis", inChannel(cOps, "STALE_EXTERNAL_ID"))
	x.wait(t, "the evidence, privately to the requester", func(m slacksim.Message) bool {
		return m.Ephemeral && m.EphemeralTo == uRequester && m.Contains("application.provision.user.push_profile")
	})
	b, _ := diag.Button("propose_plan")
	if _, err := x.slack.Click(ctx, uOutsider, cOps, diag.TS, "propose_plan", b.Value); err != nil {
		t.Fatal(err)
	}
	x.waitEphemerals(t, uOutsider, "not allowed to use okta-chatops", 4)
	ev, ok := diag.Button("show_evidence")
	if !ok {
		t.Fatalf("no show_evidence button: %+v", diag.Buttons())
	}
	if _, err := x.slack.Click(ctx, uOutsider, cOps, diag.TS, "show_evidence", ev.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := x.slack.Click(ctx, uApprover, cOps, diag.TS, "show_evidence", ev.Value); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the evidence shown to the approver", func(m slacksim.Message) bool {
		return m.Ephemeral && m.EphemeralTo == uApprover && m.Contains("externalId")
	})
	x.waitEphemerals(t, uOutsider, "not allowed to use okta-chatops", 5)

	// Nothing the outsider did made a run, and no channel message holds the evidence.
	userID, _ := x.okta.Org.UserID("alice@example.com")
	appID, _ := x.okta.Org.AppID("Zoom")
	au, _ := x.okta.Org.AppUser(appID, userID)
	for _, m := range x.slack.Messages(cOps) {
		if m.Ephemeral {
			continue
		}
		if _, ok := m.Button("approve_run"); ok {
			t.Error("an approval request was posted although only an outsider proposed")
		}
		if m.Contains(au.ExternalID) || m.Contains("application.provision") {
			t.Errorf("evidence in a channel message: %s", m.Text())
		}
	}

	// Lookups are in the audit trail: who looked up whom, from which channel.
	code, out, stderr := runCLI(t, map[string]string{"REDIS_URL": x.vars["REDIS_URL"]}, "audit", "export")
	if code != 0 {
		t.Fatalf("audit export: %d %s", code, stderr)
	}
	if !strings.Contains(out, `"type":"diagnosed"`) || !strings.Contains(out, `"actor":"`+uRequester+`"`) || !strings.Contains(out, "in channel "+cOps) ||
		!strings.Contains(out, `"type":"refused"`) || !strings.Contains(out, `"actor":"`+uApprover+`"`) || !strings.Contains(out, "evidence shown in channel") {
		t.Errorf("audit export lacks the lookups and refusals:\n%s", out)
	}
}

// waitEphemerals waits until user got at least n private messages containing must.
// (The workspace is never called from inside a WaitMessage match: it holds its lock.)
func (x *e2e) waitEphemerals(t testing.TB, user, must string, n int) {
	t.Helper()
	for len(ephemeralsTo(x.slack, user, must)) < n {
		seen := map[string]bool{}
		for _, m := range x.slack.Ephemerals(user) {
			seen[m.TS] = true
		}
		x.wait(t, fmt.Sprintf("%d private answers to %s containing %q (have %d)", n, user, must, len(ephemeralsTo(x.slack, user, must))),
			func(m slacksim.Message) bool { return m.Ephemeral && m.EphemeralTo == user && !seen[m.TS] })
	}
}

func ephemeralsTo(ws *slacksim.Workspace, user, must string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range ws.Ephemerals(user) {
		if m.Contains(must) {
			out = append(out, m)
		}
	}
	return out
}

// Two replicas against one Redis and one workspace: every envelope is handled once,
// and the per-person rate limit (20 a minute) holds across them.
func TestServeTwoReplicasShareDedupeAndRateLimit(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	x.serve(t, "HTTP_ADDR", freeAddr(t))
	ctx := context.Background()
	const n = 25
	for i := 0; i < n; i++ {
		if _, err := x.slack.SlashCommand(ctx, uRequester, cOps, "/okta-help", ""); err != nil {
			t.Fatal(err)
		}
	}
	x.waitEphemerals(t, uRequester, "", n)
	limited := len(ephemeralsTo(x.slack, uRequester, "Too many commands"))
	if got := len(x.slack.Ephemerals(uRequester)); got != n || limited != n-20 {
		t.Errorf("%d answers (want %d, one per command), %d rate-limited (want %d)", got, n, limited, n-20)
	}
}

// serve --check validates the configuration and reachability and reports the Okta
// permissions the token has, and what a missing one breaks.
func TestServeCheck(t *testing.T) {
	x := newE2E(t)
	remove := x.okta.Org.Inject(oktasim.Fault{PathPrefix: "/api/v1/logs", Status: 403})
	defer remove()
	var out, errb bytes.Buffer
	e := env{args: []string{"serve", "--check"}, stdout: &out, stderr: &errb,
		src: config.Source{Getenv: func(k string) string { return x.vars[k] }, ReadFile: os.ReadFile},
		log: slog.New(slog.DiscardHandler)}
	if code := run(context.Background(), e); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	for _, want := range []string{"slack: ok", "okta.users.read      ok", "okta.apps.read       ok", "okta.logs.read       MISSING",
		"without okta.logs.read", "okta.apps.manage     not probed", "store: ok (Redis answered)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--check output lacks %q:\n%s", want, out.String())
		}
	}
	if x.slack.Connections() != 0 {
		t.Error("--check connected over Socket Mode")
	}
}

// Two replicas: a run started on one is finished by the other when the first stops
// mid-step, and the audit channel gets every entry exactly once.
func TestServeReplicaStopsMidRun(t *testing.T) {
	x := newE2E(t)
	stopA := x.serve(t)
	ctx := context.Background()
	req, _ := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")
	approve, _ := req.Button("approve_run")

	// Hold the unassign, so replica A is in the middle of the run, provisioning off.
	hold := make(chan struct{})
	remove := x.okta.Org.Inject(oktasim.Fault{Method: "DELETE", Hold: hold, Count: 1})
	defer remove()
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", approve.Value); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "replica A starting the unassign", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Started step 3/5")
	})
	x.serve(t, "HTTP_ADDR", freeAddr(t)) // replica B
	if code := stopA(); code != 0 {      // A stops (SIGTERM) with the DELETE in flight
		t.Fatalf("replica A exited %d", code)
	}
	close(hold) // Okta answers the DELETE A no longer waits for
	x.wait(t, "replica B finishing the run", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Fixed and verified")
	})
	x.wait(t, "the verified entry in the audit channel", inChannel(cAudit, "`verified`", approve.Value))

	// Every audit entry reached the audit channel exactly once.
	code, out, _ := runCLI(t, map[string]string{"REDIS_URL": x.vars["REDIS_URL"]}, "audit", "export")
	if code != 0 {
		t.Fatal("audit export failed")
	}
	if !strings.Contains(out, `"type":"resumed"`) {
		t.Error("no resumed event: replica B did not take the run over")
	}
	// Every log line about the run says which run, whose account and who asked.
	for _, line := range strings.Split(x.logs.String(), "\n") {
		if strings.Contains(line, "msg=\"run ") && (!strings.Contains(line, "run_id="+approve.Value) || !strings.Contains(line, "slack_user_id=")) {
			t.Errorf("a run log line without its context: %s", line)
		}
	}
	if !strings.Contains(x.logs.String(), "okta_user_id=") {
		t.Error("no log line names the Okta user")
	}
	entries := strings.Count(strings.TrimSpace(out), "\n") + 1
	// The audit channel gets batches of lines, one line per entry.
	lines := func() []string {
		var ls []string
		for _, m := range x.slack.Messages(cAudit) {
			for _, l := range strings.Split(m.TextArg, "\n") {
				if strings.HasPrefix(l, ":scroll:") {
					ls = append(ls, l)
				}
			}
		}
		return ls
	}
	deadline := time.Now().Add(10 * time.Second)
	for msgs := x.slack.Messages(cAudit); len(lines()) < entries && time.Now().Before(deadline); msgs = x.slack.Messages(cAudit) {
		last := msgs[len(msgs)-1].TS
		x.wait(t, "more audit posts", func(m slacksim.Message) bool { return m.Channel == cAudit && m.TS > last })
	}
	posted := map[string]int{}
	for _, l := range lines() {
		posted[l]++
	}
	if len(lines()) != entries {
		t.Errorf("%d audit lines for %d entries", len(lines()), entries)
	}
	for text, n := range posted {
		if n > 1 {
			t.Errorf("posted %d times: %s", n, text)
		}
	}
}

// Reject asks for a reason in a modal; the request then shows the rejection and why.
func TestServeRejectWithReason(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()
	req, _ := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reassign")
	reject, _ := req.Button("reject_run")
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "reject_run", reject.Value); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	view, err := x.slack.WaitView(wctx, func(v slacksim.View) bool { return v.UserID == uApprover && v.CallbackID == "reject_run" })
	if err != nil {
		t.Fatalf("no reject modal: %v", err)
	}
	if _, err := x.slack.Submit(ctx, uApprover, view.ID, map[string]map[string]string{"reason": {"reason": "not during the quarter close"}}); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "the request showing the rejection", func(m slacksim.Message) bool {
		_, buttons := m.Button("approve_run")
		return m.TS == req.TS && m.Updated() && !buttons && m.Contains("not during the quarter close")
	})
	x.wait(t, "the rejection in the audit channel", inChannel(cAudit, "`rejected`", reject.Value))
}

// An app without the Features API: the bot asks for the manual switches in the thread
// with a Done button (confirm_step), and goes on when the person confirms.
func TestServeManualSteps(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()
	req, _ := x.requestFix(t, "frank@example.com Acme Wiki", "FEATURES_API_UNSUPPORTED", "reset_external_id")
	approve, _ := req.Button("approve_run")
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", approve.Value); err != nil {
		t.Fatal(err)
	}
	appID, _ := x.okta.Org.AppID("Acme Wiki")
	before, _ := x.okta.Org.Provisioning(appID)
	for i, turn := range []string{"off", "on"} {
		step := x.wait(t, "the Done button for turning provisioning "+turn, func(m slacksim.Message) bool {
			_, ok := m.Button("confirm_step")
			return m.ThreadTS == req.TS && ok && strings.HasSuffix(mustButton(m).Value, fmt.Sprint(":", 2+i*3))
		})
		caps := before
		if turn == "off" {
			caps.LifecycleCreate, caps.Profile, caps.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
		}
		if err := x.okta.Org.SetProvisioning(appID, caps); err != nil {
			t.Fatal(err)
		}
		done := mustButton(step)
		if _, err := x.slack.Click(ctx, uRequester, cOps, step.TS, "confirm_step", done.Value); err != nil {
			t.Fatal(err)
		}
	}
	x.wait(t, "the verified fix", func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains("Fixed and verified") })
}

func mustButton(m slacksim.Message) slacksim.Button {
	b, _ := m.Button("confirm_step")
	return b
}

// Cancel and undo, clicked while a fix runs: the run stops at the next step boundary,
// undoes what it did, and provisioning is back as it was.
func TestServeCancelWhileRunning(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()
	req, _ := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")
	approve, _ := req.Button("approve_run")
	appID, _ := x.okta.Org.AppID("Zoom")
	before, _ := x.okta.Org.Provisioning(appID)
	hold := make(chan struct{})
	remove := x.okta.Org.Inject(oktasim.Fault{Method: "DELETE", Hold: hold, Count: 1})
	defer remove()
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", approve.Value); err != nil {
		t.Fatal(err)
	}
	running := x.wait(t, "the cancel button", func(m slacksim.Message) bool {
		_, ok := m.Button("cancel_run")
		return m.TS == req.TS && ok
	})
	x.wait(t, "the unassign under way", func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains("Started step 3/5") })
	if _, err := x.slack.Click(ctx, uRequester, cOps, running.TS, "cancel_run", approve.Value); err != nil {
		t.Fatal(err)
	}
	// Let the DELETE finish only once the cancel is recorded; otherwise the run could
	// end before the click is handled.
	x.wait(t, "the cancel recorded", inChannel(cAudit, "`cancelled`", approve.Value))
	close(hold)
	x.wait(t, "the run cancelled and undone", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Cancelled: every step done was undone")
	})
	if after, _ := x.okta.Org.Provisioning(appID); after != before {
		t.Errorf("provisioning %+v after the cancel, want %+v", after, before)
	}
}

// An app-wide cause end to end: the diagnosis proposes the retry; the request says it
// helps only once the integration is fixed; the runbook's manual steps come to the
// thread one by one with Done; once the admin has entered a new token, the retry heals.
func TestServeAppWideRunbook(t *testing.T) {
	x := newE2E(t)
	x.serve(t)
	ctx := context.Background()
	req, runID := x.requestFix(t, "kenji.mori@example.com Atlassian Cloud", "APP_CREDENTIALS_INVALID", "reassign")
	if !req.Contains("helps only once the integration is fixed") {
		t.Errorf("the request does not say the retry waits for the integration: %s", req.Text())
	}
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	appID, _ := x.okta.Org.AppID("Atlassian Cloud")
	for i := 1; i <= 3; i++ {
		step := x.wait(t, fmt.Sprintf("manual step %d with its Done button", i), func(m slacksim.Message) bool {
			_, ok := m.Button("confirm_step")
			return m.ThreadTS == req.TS && ok && mustButton(m).Value == fmt.Sprint(runID, ":", i)
		})
		if i == 1 && !step.Contains("Provisioning → Integration") {
			t.Errorf("the first manual step does not say what to do: %s", step.Text())
		}
		if i == 2 {
			if err := x.okta.Org.SetCredentialsValid(appID, true); err != nil { // the admin's new token
				t.Fatal(err)
			}
		}
		if _, err := x.slack.Click(ctx, uRequester, cOps, step.TS, "confirm_step", mustButton(step).Value); err != nil {
			t.Fatal(err)
		}
	}
	x.wait(t, "the verified fix", func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains("Fixed and verified") })
}
