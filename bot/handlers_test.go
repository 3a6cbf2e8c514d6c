package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// Handler tests: the bot over a real Socket Mode websocket against the Slack
// simulator, with a hand-written fake of the use cases, so the handlers are checked in
// seconds without Okta, Redis or the engine.

const (
	hBotToken  = "xoxb-handler-test"
	hAppToken  = "xapp-handler-test"
	hRequester = "U0REQUEST1"
	hApprover  = "U0APPROVE1"
	hAlice     = "U0ALICE001"
	hOps       = "C0OPS00001"
	hRandom    = "C0RANDOM01"
	hRunID     = "run-abcdefghijklmnop"
)

// fakeUseCases records every call as a line ("Diagnose U0REQUEST1 C0OPS00001 …") and
// answers with what the test set. Admit refuses the IDs in refuse; errs fails the named
// method.
type fakeUseCases struct {
	mu       sync.Mutex
	calls    []string
	callers  []remediation.Caller
	refuse   map[string]error
	errs     map[string]error
	diag     remediation.Diagnosis
	runs     []remediation.Run
	entries  []remediation.AuditEntry
	proposal remediation.Proposal
	// rateWait, when set, makes Diagnose wait (twice) for an Okta budget, as the Okta
	// adapter reports it.
	rateWait time.Duration
}

func (f *fakeUseCases) record(c remediation.Caller, method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := method
	for _, a := range args {
		line += " " + fmt.Sprint(a)
	}
	f.calls = append(f.calls, line)
	f.callers = append(f.callers, c)
	return f.errs[method]
}

func (f *fakeUseCases) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeUseCases) Admit(_ context.Context, c remediation.Caller, what string) error {
	_ = f.record(c, "Admit", c.ID, c.Channel, what)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refuse[c.ID]
}

func (f *fakeUseCases) Diagnose(ctx context.Context, c remediation.Caller, userQuery, appQuery string) (remediation.Diagnosis, error) {
	if err := f.record(c, "Diagnose", c.ID, userQuery, appQuery); err != nil {
		return remediation.Diagnosis{}, err
	}
	if f.rateWait > 0 {
		remediation.SayRateWait(ctx, "apps", f.rateWait)
		remediation.SayRateWait(ctx, "logs", f.rateWait)
	}
	return f.diag, nil
}

func (f *fakeUseCases) Evidence(_ context.Context, c remediation.Caller, userID, appID string) (remediation.Diagnosis, error) {
	if err := f.record(c, "Evidence", c.ID, userID, appID); err != nil {
		return remediation.Diagnosis{}, err
	}
	return f.diag, nil
}

func (f *fakeUseCases) Propose(_ context.Context, c remediation.Caller, in remediation.ProposeInput) (remediation.Proposal, error) {
	if err := f.record(c, "Propose", c.ID, in.Plan, in.UserID, in.AppID); err != nil {
		return remediation.Proposal{}, err
	}
	p := f.proposal
	p.Run.Origin.Channel = c.Channel
	return p, nil
}

func (f *fakeUseCases) Posted(_ context.Context, runID, channel, ts string) error {
	return f.record(remediation.Caller{}, "Posted", runID, channel, ts != "")
}

func (f *fakeUseCases) Adopt(_ context.Context, runID, channel, ts string) {
	_ = f.record(remediation.Caller{}, "Adopt", runID, channel, ts != "")
}

func (f *fakeUseCases) Approve(_ context.Context, c remediation.Caller, runID string) (remediation.Run, error) {
	return remediation.Run{}, f.record(c, "Approve", c.ID, runID)
}

func (f *fakeUseCases) MayReject(_ context.Context, c remediation.Caller, runID string) error {
	return f.record(c, "MayReject", c.ID, runID)
}

func (f *fakeUseCases) Reject(_ context.Context, c remediation.Caller, runID, reason string) (remediation.Run, error) {
	return remediation.Run{}, f.record(c, "Reject", c.ID, c.Channel, runID, reason)
}

func (f *fakeUseCases) Cancel(_ context.Context, c remediation.Caller, runID, _ string) (remediation.Run, error) {
	return remediation.Run{}, f.record(c, "Cancel", c.ID, runID)
}

func (f *fakeUseCases) Confirm(_ context.Context, c remediation.Caller, runID string, step int) (remediation.Run, error) {
	return remediation.Run{}, f.record(c, "Confirm", c.ID, runID, step)
}

func (f *fakeUseCases) MarkHandled(_ context.Context, c remediation.Caller, runID, note string) (remediation.Run, error) {
	return remediation.Run{}, f.record(c, "MarkHandled", c.ID, runID, note)
}

func (f *fakeUseCases) Status(_ context.Context, c remediation.Caller, runID string) ([]remediation.Run, error) {
	if err := f.record(c, "Status", c.ID, runID); err != nil {
		return nil, err
	}
	return f.runs, nil
}

func (f *fakeUseCases) Audit(_ context.Context, c remediation.Caller, q remediation.AuditQuery) ([]remediation.AuditEntry, error) {
	if err := f.record(c, "Audit", c.ID, q.RunID, q.UserQuery, q.AppQuery); err != nil {
		return nil, err
	}
	return f.entries, nil
}

func (f *fakeUseCases) Risk(remediation.PlanID) remediation.Risk { return remediation.RiskHigh }

// fakeStore is the bot's store: envelope dedupe, rate-limit counts (in one window that
// never ends) and the outbox's cursor; down fails every call.
type fakeStore struct {
	mu   sync.Mutex
	seen map[string]bool
	hits map[string]int
	down bool
}

var errStoreDown = errors.New("dial tcp: connection refused")

func (s *fakeStore) Once(_ context.Context, key string, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return false, errStoreDown
	}
	first := !s.seen[key]
	s.seen[key] = true
	return first, nil
}

func (s *fakeStore) Hit(_ context.Context, key string, _ time.Duration) (int, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return 0, 0, errStoreDown
	}
	s.hits[key]++
	return s.hits[key], 42 * time.Second, nil
}

func (s *fakeStore) Lock(context.Context, string, string, time.Duration) (string, error) {
	return "", errStoreDown
}
func (s *fakeStore) Unlock(context.Context, string, string) error    { return nil }
func (s *fakeStore) Cursor(context.Context, string) (string, error)  { return "", nil }
func (s *fakeStore) SetCursor(context.Context, string, string) error { return nil }
func (s *fakeStore) Audit(context.Context, time.Time, int) ([]remediation.AuditEntry, error) {
	return nil, nil
}

// fakeMetrics records the commands metric.
type fakeMetrics struct {
	mu       sync.Mutex
	commands []string
}

func (m *fakeMetrics) Command(name CommandName, outcome Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.commands = append(m.commands, string(name)+"/"+string(outcome))
}
func (m *fakeMetrics) Acked(time.Duration)    {}
func (m *fakeMetrics) AuditLag(time.Duration) {}

func (m *fakeMetrics) got() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.commands)
}

// directory is People over the simulated workspace's members.
type directory map[string]string // member → email

func (d directory) UserEmail(_ context.Context, id string) (string, error) {
	if e, ok := d[id]; ok {
		return e, nil
	}
	return "", errors.New("users_not_found")
}

func (d directory) LookupByEmail(_ context.Context, email string) (string, error) {
	for id, e := range d {
		if e == email {
			return id, nil
		}
	}
	return "", errors.New("users_not_found")
}

type handlerRig struct {
	ws      *slacksim.Workspace
	api     *slack.Client
	uc      *fakeUseCases
	store   *fakeStore
	metrics *fakeMetrics
	bot     *Bot
}

func newHandlerRig(t *testing.T) *handlerRig {
	t.Helper()
	ws := slacksim.New(slacksim.Options{BotToken: hBotToken, AppToken: hAppToken, PingInterval: time.Second})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() { srv.Close(); ws.Close() })
	ws.AddUser(slacksim.User{ID: hRequester, Name: "helpdesk", Email: "helpdesk@example.com", Locale: "en-US"})
	ws.AddUser(slacksim.User{ID: hApprover, Name: "itmanager", Email: "manager@example.com", Locale: "ja-JP"})
	ws.AddUser(slacksim.User{ID: hAlice, Name: "alice", Email: "alice@example.com"})
	ws.AddChannel(hOps, "it-ops", true)
	ws.AddChannel(hRandom, "random", true)

	r := &handlerRig{
		ws: ws,
		uc: &fakeUseCases{refuse: map[string]error{}, errs: map[string]error{}, diag: goldenDiagnosis(),
			proposal: remediation.Proposal{Run: *goldenRun(remediation.StateAwaitingApproval), Risk: remediation.RiskHigh}},
		store:   &fakeStore{seen: map[string]bool{}, hits: map[string]int{}},
		metrics: &fakeMetrics{},
	}
	r.uc.diag.User.Email = "alice@example.com"
	r.api = slack.New(hBotToken, slack.OptionAppLevelToken(hAppToken), slack.OptionAPIURL(srv.URL+"/api/"))
	b := New(Config{Locale: remediation.EN, NotifyUser: true, UserLimit: 3, Metrics: r.metrics}, r.api, r.uc, r.store,
		directory{hRequester: "helpdesk@example.com", hApprover: "manager@example.com", hAlice: "alice@example.com"})
	r.bot = b
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot.Run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := ws.WaitConnected(wctx, 1); err != nil {
		t.Fatalf("the bot did not connect: %v", err)
	}
	return r
}

func (r *handlerRig) wait(t *testing.T, what string, match func(slacksim.Message) bool) slacksim.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m, err := r.ws.WaitMessage(ctx, match)
	if err != nil {
		t.Fatalf("waiting for %s: %v\nmessages: %+v\nuse cases called: %q", what, err, r.ws.AllMessages(), r.uc.called())
	}
	return m
}

func (r *handlerRig) slash(t *testing.T, user, channel, command, text string) {
	t.Helper()
	if _, err := r.ws.SlashCommand(t.Context(), user, channel, command, text); err != nil {
		t.Fatal(err)
	}
}

func (r *handlerRig) click(t *testing.T, user string, m slacksim.Message, actionID, value string) {
	t.Helper()
	if _, err := r.ws.Click(t.Context(), user, m.Channel, m.TS, actionID, value); err != nil {
		t.Fatal(err)
	}
}

// ephemeralTo matches a private answer to user containing s.
func ephemeralTo(user, s string) func(slacksim.Message) bool {
	return func(m slacksim.Message) bool { return m.Ephemeral && m.EphemeralTo == user && m.Contains(s) }
}

func (r *handlerRig) wantCalls(t *testing.T, want ...string) {
	t.Helper()
	if got := r.uc.called(); !slices.Equal(got, want) {
		t.Errorf("use cases called:\n got %q\nwant %q", got, want)
	}
}

func TestHandlerDiagnosePostsInTheChannelAndTheEvidencePrivately(t *testing.T) {
	r := newHandlerRig(t)
	r.slash(t, hRequester, hOps, "/okta-diagnose", "<@"+hAlice+"|alice> Zoom")
	posted := r.wait(t, "the diagnosis in the channel", func(m slacksim.Message) bool {
		return m.Channel == hOps && !m.Ephemeral && m.Contains("alice@example.com")
	})
	r.wait(t, "the private evidence", ephemeralTo(hRequester, "8dFq2xZ"))
	if strings.Contains(string(posted.Blocks), "8dFq2xZ") {
		t.Errorf("the channel message shows the evidence")
	}
	if !posted.Contains("<@" + hAlice + ">") {
		t.Errorf("the affected user is not mentioned (NOTIFY_USER): %s", posted.Text())
	}
	// The mention became alice's email; the use case got who and where.
	r.wantCalls(t, "Admit "+hRequester+" "+hOps+" /okta-diagnose", "Diagnose "+hRequester+" alice@example.com Zoom")
	if c := r.uc.callers[1]; c.Locale != remediation.EN || c.Direct {
		t.Errorf("caller %+v", c)
	}
	var plans []string
	for _, b := range posted.Buttons() {
		if b.ActionID == ActionProposePlan {
			v, err := DecodeProposeValue(b.Value)
			if err != nil {
				t.Errorf("a propose button's value does not decode: %v", err)
			}
			plans = append(plans, string(v.Plan))
		}
	}
	if !slices.Equal(plans, []string{"reassign", "reset_external_id"}) {
		t.Errorf("propose buttons %v", plans)
	}
	if got := r.metrics.got(); !slices.Equal(got, []string{"diagnose/ok"}) {
		t.Errorf("metrics %v", got)
	}
}

func TestHandlerRefusalsAnswerPrivatelyAndGoNoFurther(t *testing.T) {
	r := newHandlerRig(t)
	r.uc.refuse[hRequester] = &remediation.WrongChannel{Allowed: []string{hOps}}
	r.slash(t, hRequester, hRandom, "/okta-diagnose", "alice@example.com")
	r.wait(t, "the wrong-channel answer", ephemeralTo(hRequester, "<#"+hOps+">"))

	r.uc.refuse[hApprover] = &remediation.Refusal{Reason: remediation.T("You are not allowed.", "権限がありません。"), Approvers: []string{hAlice}}
	r.slash(t, hApprover, hOps, "/okta-status", "")
	r.wait(t, "the refusal in Japanese, naming whom to ask", ephemeralTo(hApprover, "権限がありません。 依頼先: <@"+hAlice+">"))

	r.wantCalls(t, "Admit "+hRequester+" "+hRandom+" /okta-diagnose", "Admit "+hApprover+" "+hOps+" /okta-status")
	if got := r.metrics.got(); !slices.Equal(got, []string{"diagnose/refused", "status/refused"}) {
		t.Errorf("metrics %v", got)
	}
}

func TestHandlerBadInputAndRateLimits(t *testing.T) {
	r := newHandlerRig(t)
	// One at a time (the bot handles envelopes concurrently), the fourth in the minute
	// over UserLimit 3.
	for i, cmd := range [][2]string{{"/okta-diagnose", ""}, {"/okta-frobnicate", "x"}, {"/okta-help", ""}, {"/okta-help", ""}} {
		r.slash(t, hRequester, hOps, cmd[0], cmd[1])
		r.waitEphemerals(t, hRequester, i+1)
	}
	r.wait(t, "the rate-limit answer", ephemeralTo(hRequester, "try again in 42 s"))
	if got := r.metrics.got(); !slices.Equal(got, []string{"diagnose/bad_input", "invalid/bad_input", "help/ok", "help/rate_limited"}) {
		t.Errorf("metrics %v", got)
	}
	r.wantCalls(t) // none reached the use cases
}

func TestHandlerStatusAndAudit(t *testing.T) {
	r := newHandlerRig(t)
	r.uc.runs = []remediation.Run{*goldenRun(remediation.StateRunning)}
	r.slash(t, hRequester, hOps, "/okta-status", "")
	r.wait(t, "the status", ephemeralTo(hRequester, hRunID))

	r.uc.entries = []remediation.AuditEntry{{ID: "1-0", Event: remediation.AuditEvent{Type: remediation.AuditDiagnosed, At: goldenAt, Actor: hRequester, Detail: "first-entry"}}}
	r.slash(t, hRequester, hOps, "/okta-audit", "<@"+hAlice+">")
	r.wait(t, "the audit lines", ephemeralTo(hRequester, "first-entry"))
	r.uc.entries = nil
	r.slash(t, hRequester, hOps, "/okta-audit", "Zoom")
	r.wait(t, "no entries", ephemeralTo(hRequester, "No audit entries found."))
	r.wantCalls(t,
		"Admit "+hRequester+" "+hOps+" /okta-status", "Status "+hRequester+" ",
		"Admit "+hRequester+" "+hOps+" /okta-audit", "Audit "+hRequester+"  alice@example.com ",
		"Admit "+hRequester+" "+hOps+" /okta-audit", "Audit "+hRequester+"   Zoom")
}

// diagnosed posts a diagnosis to click on.
func (r *handlerRig) diagnosed(t *testing.T) slacksim.Message {
	t.Helper()
	r.slash(t, hRequester, hOps, "/okta-diagnose", "alice@example.com Zoom")
	return r.wait(t, "the diagnosis", func(m slacksim.Message) bool {
		return m.Channel == hOps && !m.Ephemeral && len(m.Buttons()) > 0
	})
}

func TestHandlerProposeApproveReject(t *testing.T) {
	r := newHandlerRig(t)
	diag := r.diagnosed(t)
	d := goldenDiagnosis()
	r.click(t, hRequester, diag, ActionProposePlan, ProposeValue{Plan: remediation.PlanResetExternalID, UserID: d.User.ID, AppID: d.App.ID}.Encode())
	req := r.wait(t, "the approval request", func(m slacksim.Message) bool {
		_, ok := m.Button(ActionApproveRun)
		return m.Channel == hOps && ok
	})
	if b, _ := req.Button(ActionApproveRun); b.Value != hRunID {
		t.Errorf("approve value %q", b.Value)
	}

	// The request is visible before the bot records where it is (Adopt covers a click
	// in between): wait for the record, so the order of calls is fixed.
	waitCall(t, r.uc, "Posted "+hRunID+" "+hOps+" true")
	r.click(t, hApprover, req, ActionApproveRun, hRunID)
	waitCall(t, r.uc, "Approve "+hApprover+" "+hRunID) // clicks are handled concurrently
	r.click(t, hApprover, req, ActionRejectRun, hRunID)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	v, err := r.ws.WaitView(ctx, func(v slacksim.View) bool { return v.UserID == hApprover && v.CallbackID == CallbackRejectRun })
	if err != nil {
		t.Fatal(err)
	}
	if m, err := DecodeRejectMetadata(v.PrivateMetadata); err != nil || m != (RejectMetadata{RunID: hRunID, Channel: hOps}) {
		t.Errorf("modal metadata %q: %+v %v", v.PrivateMetadata, m, err)
	}
	if _, err := r.ws.Submit(t.Context(), hApprover, v.ID, map[string]map[string]string{reasonBlock: {reasonAction: " not now "}}); err != nil {
		t.Fatal(err)
	}
	waitCall(t, r.uc, "Reject "+hApprover+" "+hOps+" "+hRunID+" not now")
	r.wantCalls(t,
		"Admit "+hRequester+" "+hOps+" /okta-diagnose", "Diagnose "+hRequester+" alice@example.com Zoom",
		"Propose "+hRequester+" reset_external_id "+d.User.ID+" "+d.App.ID, "Posted "+hRunID+" "+hOps+" true",
		"Adopt "+hRunID+" "+hOps+" true", "Approve "+hApprover+" "+hRunID,
		"Adopt "+hRunID+" "+hOps+" true", "MayReject "+hApprover+" "+hRunID,
		"Reject "+hApprover+" "+hOps+" "+hRunID+" not now")
}

// waitEphemerals waits until user has received n private messages.
func (r *handlerRig) waitEphemerals(t *testing.T, user string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.ws.Ephemerals(user)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s got %d private messages, want %d: %+v", user, len(r.ws.Ephemerals(user)), n, r.ws.Ephemerals(user))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCall waits until the fake has been called with line: a view submission answers
// nothing in Slack to wait on.
func waitCall(t *testing.T, uc *fakeUseCases, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(uc.called(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("no call %q in %q", line, uc.called())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHandlerClickRefusedAndEvidence(t *testing.T) {
	r := newHandlerRig(t)
	diag := r.diagnosed(t)
	d := goldenDiagnosis()
	r.uc.errs["Propose"] = &remediation.Refusal{Reason: remediation.T("Run run-x is already in progress.", "実行中です。")}
	r.click(t, hApprover, diag, ActionProposePlan, ProposeValue{Plan: remediation.PlanReassign, UserID: d.User.ID, AppID: d.App.ID}.Encode())
	r.wait(t, "the refusal, privately, in the clicker's language", ephemeralTo(hApprover, "実行中です。"))

	r.click(t, hApprover, diag, ActionShowEvidence, EvidenceValue{UserID: d.User.ID, AppID: d.App.ID}.Encode())
	r.wait(t, "the evidence, privately", ephemeralTo(hApprover, "8dFq2xZ"))
	if c := r.uc.called(); c[len(c)-1] != "Evidence "+hApprover+" "+d.User.ID+" "+d.App.ID {
		t.Errorf("calls %q", c)
	}
}

func TestHandlerConfirmAndCancel(t *testing.T) {
	r := newHandlerRig(t)
	run := goldenRun(remediation.StateRunning)
	run.Origin = remediation.Origin{Channel: hOps}
	_, blocks := manualStepBlocks(run, remediation.AuditEvent{Type: remediation.AuditStepWaiting, Step: 2}, remediation.EN)
	_, ts, err := r.api.PostMessage(hOps, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText("step", false))
	if err != nil {
		t.Fatal(err)
	}
	m := r.wait(t, "the manual step", func(m slacksim.Message) bool { return m.TS == ts })
	r.click(t, hRequester, m, ActionConfirmStep, hRunID+":2")
	waitCall(t, r.uc, "Confirm "+hRequester+" "+hRunID+" 2")

	_, blocks = requestBlocks(run, remediation.RiskHigh, remediation.EN)
	if _, ts, err = r.api.PostMessage(hOps, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText("req", false)); err != nil {
		t.Fatal(err)
	}
	m = r.wait(t, "the running request", func(m slacksim.Message) bool { return m.TS == ts })
	r.click(t, hRequester, m, ActionCancelRun, hRunID)
	waitCall(t, r.uc, "Cancel "+hRequester+" "+hRunID)
}

// A value the bot never made (an old format, a forged one) changes nothing and says so.
func TestHandlerBadPayloadChangesNothing(t *testing.T) {
	r := newHandlerRig(t)
	bad := []struct{ action, value string }{
		{ActionProposePlan, "drop_tables:00u1:0oa1"},
		{ActionApproveRun, "run-x"},
		{ActionConfirmStep, hRunID + ":0"},
		{ActionShowEvidence, "00u1"},
		{ActionMarkHandled, "run-x"},
	}
	var els []slack.BlockElement
	for _, b := range bad {
		els = append(els, button(b.action, b.value, b.action, ""))
	}
	_, ts, err := r.api.PostMessage(hOps, slack.MsgOptionBlocks(slack.NewActionBlock("forged", els...)), slack.MsgOptionText("forged", false))
	if err != nil {
		t.Fatal(err)
	}
	m := r.wait(t, "the forged message", func(m slacksim.Message) bool { return m.TS == ts })
	for i, b := range bad {
		r.click(t, hRequester, m, b.action, b.value)
		r.waitEphemerals(t, hRequester, i+1)
	}
	for _, e := range r.ws.Ephemerals(hRequester) {
		if !e.Contains("bad payload") {
			t.Errorf("answer %q", e.Text())
		}
	}
	r.wantCalls(t)
}

func TestHandlerStoreDownSaysSo(t *testing.T) {
	r := newHandlerRig(t)
	diag := r.diagnosed(t)
	r.store.mu.Lock()
	r.store.down = true
	r.store.mu.Unlock()
	n := len(r.uc.called())
	r.slash(t, hRequester, hOps, "/okta-status", "")
	r.wait(t, "the store-down answer to a command", ephemeralTo(hRequester, "store is unavailable; nothing was changed"))
	d := goldenDiagnosis()
	r.click(t, hApprover, diag, ActionProposePlan, ProposeValue{Plan: remediation.PlanReassign, UserID: d.User.ID, AppID: d.App.ID}.Encode())
	r.wait(t, "the store-down answer to a click, in Japanese", ephemeralTo(hApprover, "データストアに接続できない"))
	if got := r.uc.called(); len(got) != n {
		t.Errorf("a use case ran without the store: %q", got[n:])
	}
}

// A run that owes an undo is said loudly in its thread and the audit channel with a
// mark_handled button; a click goes to the use case (which allows approvers only), and
// its refusal is answered privately.
func TestHandlerMarkHandled(t *testing.T) {
	r := newHandlerRig(t)
	_, ts, err := r.api.PostMessage(hOps, slack.MsgOptionText("request", false))
	if err != nil {
		t.Fatal(err)
	}
	run := goldenRun(remediation.StateRunning)
	run.Origin = remediation.Origin{Channel: hOps, ThreadTS: ts}
	run.OwedSince = goldenAt
	run.Alert = remediation.T("PROVISIONING TO Zoom IS STILL PAUSED <restore it>.", "Zoom へのプロビジョニングは一時停止したままです。")
	r.bot.RunChanged(t.Context(), *run, remediation.AuditEvent{Type: remediation.AuditAlert, RunID: hRunID})
	m := r.wait(t, "the alert in the thread", func(m slacksim.Message) bool {
		_, ok := m.Button(ActionMarkHandled)
		return m.Channel == hOps && m.ThreadTS == ts && ok
	})
	if !m.Contains("STILL PAUSED") || !m.Contains(hRunID) {
		t.Errorf("the alert: %s", m.Text())
	}
	if strings.Contains(string(m.Blocks), "<restore it>") {
		t.Errorf("the alert's text is not escaped: %s", m.Blocks)
	}
	b, _ := m.Button(ActionMarkHandled)
	if b.Value != hRunID {
		t.Errorf("mark_handled value %q", b.Value)
	}
	r.click(t, hApprover, m, ActionMarkHandled, b.Value)
	waitCall(t, r.uc, "MarkHandled "+hApprover+" "+hRunID+" "+markHandledNote)

	r.uc.errs["MarkHandled"] = &remediation.Refusal{Reason: remediation.T("Only an approver of this run can mark it handled.", "この実行を対応済みにできるのは、承認者のみです。")}
	r.click(t, hRequester, m, ActionMarkHandled, b.Value)
	r.wait(t, "the refusal, privately", ephemeralTo(hRequester, "Only an approver of this run can mark it handled."))
}
