package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
)

// fakeCaseStore is a hand-written CaseStore: runs by ID, the audit events appended, and
// kept diagnoses with their expiry on the test clock. err, when set, fails every call.
type fakeCaseStore struct {
	mu    sync.Mutex
	clock *testclock.Clock
	runs  map[string]Run
	audit []AuditEvent
	kept  map[string]KeptDiagnosis
	until map[string]time.Time
	err   error
}

func newFakeCaseStore(c *testclock.Clock) *fakeCaseStore {
	return &fakeCaseStore{clock: c, runs: map[string]Run{}, kept: map[string]KeptDiagnosis{}, until: map[string]time.Time{}}
}

func (s *fakeCaseStore) GetRun(_ context.Context, id string) (Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Run{}, s.err
	}
	r, ok := s.runs[id]
	if !ok {
		return Run{}, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	return r.Clone(), nil
}

func (s *fakeCaseStore) ListRuns(_ context.Context, f RunFilter) ([]Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Run
	for _, r := range s.runs {
		if len(f.States) == 0 || slices.Contains(f.States, r.State) {
			out = append(out, r.Clone())
		}
	}
	return out, s.err
}

func (s *fakeCaseStore) Append(_ context.Context, evs ...AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.audit = append(s.audit, evs...)
	return nil
}

func (s *fakeCaseStore) Audit(_ context.Context, since time.Time, _ int) ([]AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AuditEntry
	for i, ev := range s.audit {
		if !ev.At.Before(since) {
			out = append(out, AuditEntry{ID: fmt.Sprint(i), Event: ev})
		}
	}
	return out, s.err
}

func (s *fakeCaseStore) AuditFor(_ context.Context, q AuditFilter) ([]AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AuditEntry
	for i, ev := range s.audit {
		if !ev.At.Before(q.Since) && q.Matches(ev) {
			out = append(out, AuditEntry{ID: fmt.Sprint(i), Event: ev})
		}
	}
	if len(out) > q.Max() {
		out = out[len(out)-q.Max():]
	}
	return out, s.err
}

func (s *fakeCaseStore) KeepDiagnosis(_ context.Context, userID string, k KeptDiagnosis, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.kept[userID], s.until[userID] = k, s.clock.Now().Add(ttl)
	return nil
}

func (s *fakeCaseStore) KeptDiagnosis(_ context.Context, userID string) (KeptDiagnosis, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return KeptDiagnosis{}, s.err
	}
	k, ok := s.kept[userID]
	if !ok || !s.clock.Now().Before(s.until[userID]) {
		return KeptDiagnosis{}, fmt.Errorf("kept %s: %w", userID, ErrNotFound)
	}
	return k, nil
}

func (s *fakeCaseStore) events(t AuditType) []AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AuditEvent
	for _, ev := range s.audit {
		if ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

// fakeDecider is a hand-written engine: it records what it was asked; err fails every
// decision.
type fakeDecider struct {
	mu       sync.Mutex
	proposed []ProposeRequest
	calls    []string
	err      error
}

func (d *fakeDecider) Propose(_ context.Context, req ProposeRequest) (Run, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.proposed = append(d.proposed, req)
	if d.err != nil {
		return Run{}, d.err
	}
	return Run{ID: "run-abcdefghijklmnop", Plan: req.Plan, State: StateAwaitingApproval, Requester: req.Requester, Origin: req.Origin}, nil
}

func (d *fakeDecider) decide(what string) (Run, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, what)
	return Run{}, d.err
}

func (d *fakeDecider) Approve(_ context.Context, runID, by, _ string) (Run, error) {
	return d.decide("approve " + runID + " " + by)
}
func (d *fakeDecider) Reject(_ context.Context, runID, by, reason string) (Run, error) {
	return d.decide("reject " + runID + " " + by + " " + reason)
}
func (d *fakeDecider) Cancel(_ context.Context, runID, by, _ string) (Run, error) {
	return d.decide("cancel " + runID + " " + by)
}
func (d *fakeDecider) Confirm(_ context.Context, runID string, step int, by string) (Run, error) {
	return d.decide(fmt.Sprintf("confirm %s %d %s", runID, step, by))
}
func (d *fakeDecider) AttachMessage(_ context.Context, runID, channel, ts string) (Run, error) {
	return d.decide("attach " + runID + " " + channel + " " + ts)
}
func (d *fakeDecider) MarkHandled(_ context.Context, runID, by, note string) (Run, error) {
	return d.decide("handled " + runID + " " + by + " " + note)
}

// fakePeople maps members to email addresses.
type fakePeople map[string]string

func (p fakePeople) UserEmail(_ context.Context, member string) (string, error) {
	if e, ok := p[member]; ok {
		return e, nil
	}
	return "", fmt.Errorf("member %s: %w", member, ErrNotFound)
}

func (p fakePeople) LookupByEmail(_ context.Context, email string) (string, error) {
	for m, e := range p {
		if e == email {
			return m, nil
		}
	}
	return "", fmt.Errorf("email %s: %w", email, ErrNotFound)
}

type ucRig struct {
	uc    *UseCases
	okta  *fakeOkta
	store *fakeCaseStore
	eng   *fakeDecider
	clock *testclock.Clock
}

// newUCRig: alice's Zoom has a stale External ID (two fixes proposed); U0HELP is a
// requester whose Okta manager is bob (U0BOB in Slack); U0MGR approves; commands are
// answered in C0OPS.
func newUCRig(t *testing.T) *ucRig {
	t.Helper()
	w := baseWorld()
	w.logs = append(w.logs, ev(30, evPushProfile, "FAILURE", staleMsg(stale), zoomID, "Zoom"))
	helper := User{ID: "00u1help00000000000", Login: "help@example.com", Email: "help@example.com", ManagerID: "00u1bob000000000000"}
	bob := User{ID: "00u1bob000000000000", Login: "bob@example.com", Email: "bob@example.com"}
	for _, u := range []User{helper, bob} {
		w.users[u.Email], w.users[u.ID] = u, u
	}
	clock := testclock.New(testNow)
	store := newFakeCaseStore(clock)
	eng := &fakeDecider{}
	policy := &Policy{Approvers: []string{"U0MGR"}, Requesters: []string{"U0HELP"},
		Plans: map[PlanID]PlanRule{PlanResetExternalID: {Manager: true}}}
	uc := NewUseCases(UseCasesConfig{
		Policy: policy, Diagnoser: &Diagnoser{Okta: w, Clock: clock.Now}, Engine: eng, Store: store,
		People:   fakePeople{"U0HELP": "help@example.com", "U0BOB": "bob@example.com", "U0ALICE": "alice@example.com"},
		Channels: []string{"C0OPS"}, KeepFor: 10 * time.Minute, Clock: clock.Now,
	})
	return &ucRig{uc: uc, okta: w, store: store, eng: eng, clock: clock}
}

func (r *ucRig) oktaCalls(name string) int {
	r.okta.mu.Lock()
	defer r.okta.mu.Unlock()
	n := 0
	for _, c := range r.okta.calls {
		if c == name {
			n++
		}
	}
	return n
}

var helpdesk = Caller{ID: "U0HELP", Channel: "C0OPS", Locale: JA}

func TestAdmit(t *testing.T) {
	for _, c := range []struct {
		name    string
		caller  Caller
		refused string // "" admitted; else a word of the audited detail
		wrongCh bool
	}{
		{name: "requester in an allowed channel", caller: helpdesk},
		{name: "approver in an allowed channel", caller: Caller{ID: "U0MGR", Channel: "C0OPS"}},
		{name: "requester in a direct message", caller: Caller{ID: "U0HELP", Channel: "D0DM", Direct: true}},
		{name: "requester in another channel", caller: Caller{ID: "U0HELP", Channel: "C0RANDOM"}, refused: "not an allowed channel (allowed: C0OPS)", wrongCh: true},
		{name: "outsider", caller: Caller{ID: "U0OUT", Channel: "C0OPS"}, refused: "You are not allowed"},
		{name: "the terminal", caller: Operator()},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newUCRig(t)
			err := r.uc.Admit(t.Context(), c.caller, "/okta-diagnose")
			refusals := r.store.events(AuditRefused)
			if c.refused == "" {
				if err != nil || len(refusals) != 0 {
					t.Fatalf("refused: %v, audited %v", err, refusals)
				}
				return
			}
			if !errors.Is(err, ErrDenied) || errors.Is(err, ErrWrongChannel) != c.wrongCh {
				t.Fatalf("err = %v, want a refusal (wrong channel %v)", err, c.wrongCh)
			}
			if len(refusals) != 1 || refusals[0].Actor != c.caller.ID || !strings.Contains(refusals[0].Detail, "/okta-diagnose in channel "+c.caller.Channel) ||
				!strings.Contains(refusals[0].Detail, c.refused) || !refusals[0].At.Equal(testNow) {
				t.Errorf("audited %+v", refusals)
			}
		})
	}
}

func TestDiagnoseIsAuditedAndKept(t *testing.T) {
	r := newUCRig(t)
	d, err := r.uc.Diagnose(t.Context(), helpdesk, "alice@example.com", "Zoom")
	if err != nil {
		t.Fatal(err)
	}
	evs := r.store.events(AuditDiagnosed)
	if len(evs) != 1 || evs[0].Actor != "U0HELP" || evs[0].UserID != aliceID || evs[0].AppID != zoomID ||
		!slices.Equal(evs[0].Codes, []Code{StaleExternalID}) || evs[0].Detail != "in channel C0OPS" {
		t.Errorf("audited %+v", evs)
	}
	k, err := r.store.KeptDiagnosis(t.Context(), aliceID)
	if err != nil || k.Fingerprint != Fingerprint(d) || k.Fingerprint == "" {
		t.Errorf("kept %+v, %v", k, err)
	}

	// The terminal is audited the same way, as the operator.
	if _, err := r.uc.Diagnose(t.Context(), Operator(), "alice@example.com", "Zoom"); err != nil {
		t.Fatal(err)
	}
	if evs := r.store.events(AuditDiagnosed); len(evs) != 2 || evs[1].Actor != OperatorActor || evs[1].Detail != "in a terminal" {
		t.Errorf("terminal diagnosis audited as %+v", evs)
	}

	// A store that fails does not fail the diagnosis (it is logged).
	r.store.err = errors.New("store down")
	if _, err := r.uc.Diagnose(t.Context(), helpdesk, "alice@example.com", "Zoom"); err != nil {
		t.Errorf("a store failure failed the diagnosis: %v", err)
	}
}

func TestProposeRestsOnTheDiagnosisShown(t *testing.T) {
	r := newUCRig(t)
	ctx := t.Context()
	if _, err := r.uc.Diagnose(ctx, helpdesk, "alice@example.com", "Zoom"); err != nil {
		t.Fatal(err)
	}
	logsBefore := r.oktaCalls("SystemLog")
	p, err := r.uc.Propose(ctx, helpdesk, ProposeInput{Plan: PlanReassign, UserID: aliceID, AppID: zoomID})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rediagnosed || r.oktaCalls("SystemLog") != logsBefore {
		t.Errorf("the click diagnosed again (rediagnosed %v, System Log reads %d → %d)", p.Rediagnosed, logsBefore, r.oktaCalls("SystemLog"))
	}
	req := r.eng.proposed[0]
	if req.Diagnosis.User.ID != aliceID || req.Plan != PlanReassign || req.AppID != zoomID || req.Requester != "U0HELP" ||
		req.Origin != (Origin{Channel: "C0OPS", Locale: JA}) || req.AffectedSlackUser != "U0ALICE" {
		t.Errorf("engine asked %+v", req)
	}
	if req.RequesterManager != "" {
		t.Errorf("reassign's rule does not ask for the manager, yet %q was found", req.RequesterManager)
	}
	if p.Risk != RiskMedium {
		t.Errorf("risk %s", p.Risk)
	}

	// Once the kept diagnosis expired, the click diagnoses again.
	r.clock.Advance(11 * time.Minute)
	p, err = r.uc.Propose(ctx, helpdesk, ProposeInput{Plan: PlanReassign, UserID: aliceID, AppID: zoomID})
	if err != nil || !p.Rediagnosed || r.oktaCalls("SystemLog") == logsBefore {
		t.Errorf("after expiry: rediagnosed %v, err %v", p.Rediagnosed, err)
	}
}

func TestProposeDiagnosesAgainWhenTheKeptOneDoesNotFit(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(r *ucRig)
	}{
		{"nothing kept", func(*ucRig) {}},
		{"kept one proposes another plan", func(r *ucRig) {
			d, _ := r.uc.diag.Diagnose(t.Context(), "alice@example.com", "Zoom")
			d.Findings[0].Plans = []PlanID{PlanReassign}
			_ = r.store.KeepDiagnosis(t.Context(), aliceID, KeptDiagnosis{Diagnosis: d}, time.Hour)
		}},
		{"kept one is about another app", func(r *ucRig) {
			d, _ := r.uc.diag.Diagnose(t.Context(), "alice@example.com", "Zoom")
			d.Findings[0].App = &App{ID: slackID}
			_ = r.store.KeepDiagnosis(t.Context(), aliceID, KeptDiagnosis{Diagnosis: d}, time.Hour)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newUCRig(t)
			c.setup(r)
			before := r.oktaCalls("SystemLog")
			p, err := r.uc.Propose(t.Context(), helpdesk, ProposeInput{Plan: PlanResetExternalID, UserID: aliceID, AppID: zoomID})
			if err != nil || !p.Rediagnosed || r.oktaCalls("SystemLog") == before {
				t.Errorf("rediagnosed %v, err %v", p.Rediagnosed, err)
			}
			if k, err := r.store.KeptDiagnosis(t.Context(), aliceID); err != nil || !proposes(k.Diagnosis, ProposeInput{Plan: PlanResetExternalID, UserID: aliceID, AppID: zoomID}) {
				t.Errorf("the new diagnosis was not kept: %v", err)
			}
		})
	}
}

func TestProposeAddsTheRequestersManager(t *testing.T) {
	r := newUCRig(t)
	if _, err := r.uc.Propose(t.Context(), helpdesk, ProposeInput{Plan: PlanResetExternalID, UserID: aliceID, AppID: zoomID}); err != nil {
		t.Fatal(err)
	}
	if m := r.eng.proposed[0].RequesterManager; m != "U0BOB" {
		t.Errorf("manager %q, want U0BOB (help → Okta → bob → Slack)", m)
	}
	// A requester without a manager in Okta: none, and no failure.
	r.okta.users["help@example.com"] = User{ID: "00u1help00000000000", Email: "help@example.com"}
	if _, err := r.uc.Propose(t.Context(), helpdesk, ProposeInput{Plan: PlanResetExternalID, UserID: aliceID, AppID: zoomID}); err != nil {
		t.Fatal(err)
	}
	if m := r.eng.proposed[1].RequesterManager; m != "" {
		t.Errorf("manager %q, want none", m)
	}
}

func TestProposeFromADirectMessageGoesToTheFirstChannel(t *testing.T) {
	r := newUCRig(t)
	dm := Caller{ID: "U0HELP", Channel: "D0DM", Direct: true, Locale: EN}
	if _, err := r.uc.Propose(t.Context(), dm, ProposeInput{Plan: PlanReassign, UserID: aliceID, AppID: zoomID}); err != nil {
		t.Fatal(err)
	}
	if o := r.eng.proposed[0].Origin; o.Channel != "C0OPS" || o.Locale != EN {
		t.Errorf("origin %+v", o)
	}
}

func TestRefusedClicksAreAuditedAndChangeNothing(t *testing.T) {
	r := newUCRig(t)
	ctx := t.Context()
	out := Caller{ID: "U0OUT", Channel: "C0OPS"}
	if _, err := r.uc.Propose(ctx, out, ProposeInput{Plan: PlanReassign, UserID: aliceID, AppID: zoomID}); !errors.Is(err, ErrDenied) {
		t.Errorf("propose by an outsider: %v", err)
	}
	if _, err := r.uc.Evidence(ctx, out, aliceID, zoomID); !errors.Is(err, ErrDenied) {
		t.Errorf("evidence for an outsider: %v", err)
	}
	if len(r.eng.proposed) != 0 || r.oktaCalls("FindUser") != 0 {
		t.Errorf("a refused click reached the engine or Okta: %v %v", r.eng.proposed, r.okta.calls)
	}
	// The engine's refusals (the policy of decisions) are audited too.
	r.eng.err = &Refusal{Reason: T("You are not an approver for this fix.", "この対処の承認者ではありません。")}
	r.store.runs["run-abcdefghijklmnop"] = Run{ID: "run-abcdefghijklmnop", State: StateAwaitingApproval, ExpiresAt: testNow.Add(time.Hour)}
	if _, err := r.uc.Approve(ctx, out, "run-abcdefghijklmnop"); !errors.Is(err, ErrDenied) {
		t.Errorf("approve: %v", err)
	}
	if _, err := r.uc.Confirm(ctx, out, "run-abcdefghijklmnop", 2); !errors.Is(err, ErrDenied) {
		t.Errorf("confirm: %v", err)
	}
	var details []string
	for _, ev := range r.store.events(AuditRefused) {
		details = append(details, ev.Detail)
	}
	for _, want := range []string{"propose reassign for " + aliceID, "show evidence of " + aliceID, "approve run-abcdefghijklmnop in channel C0OPS: You are not an approver",
		"confirm step 2 of run-abcdefghijklmnop"} {
		if !slices.ContainsFunc(details, func(d string) bool { return strings.Contains(d, want) }) {
			t.Errorf("no refusal audited with %q in %q", want, details)
		}
	}
	// An error that is not a refusal (Okta down, a lost run) is not a person refused.
	n := len(details)
	r.eng.err = fmt.Errorf("run x: %w", ErrNotFound)
	if _, err := r.uc.Cancel(ctx, helpdesk, "run-abcdefghijklmnop", "no"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel: %v", err)
	}
	if got := len(r.store.events(AuditRefused)); got != n {
		t.Errorf("a failure was audited as a refusal")
	}
}

func TestEvidenceIsAuditedAsALookup(t *testing.T) {
	r := newUCRig(t)
	d, err := r.uc.Evidence(t.Context(), helpdesk, aliceID, zoomID)
	if err != nil || !d.Has(StaleExternalID) {
		t.Fatalf("%v %v", d.Findings, err)
	}
	evs := r.store.events(AuditLookup)
	if len(evs) != 1 || evs[0].Detail != "evidence shown in channel C0OPS" || evs[0].UserID != aliceID || evs[0].AppID != zoomID {
		t.Errorf("audited %+v", evs)
	}
}

func TestMayReject(t *testing.T) {
	r := newUCRig(t)
	run := Run{ID: "run-abcdefghijklmnop", State: StateAwaitingApproval, Requester: "U0HELP", Approvers: []string{"U0MGR"}, ExpiresAt: testNow.Add(time.Hour)}
	r.store.runs[run.ID] = run
	if err := r.uc.MayReject(t.Context(), Caller{ID: "U0MGR", Channel: "C0OPS"}, run.ID); err != nil {
		t.Errorf("the approver may not reject: %v", err)
	}
	if err := r.uc.MayReject(t.Context(), helpdesk, run.ID); !errors.Is(err, ErrDenied) {
		t.Errorf("the requester may reject their own request: %v", err)
	}
	if evs := r.store.events(AuditRefused); len(evs) != 1 || !strings.Contains(evs[0].Detail, "reject "+run.ID) {
		t.Errorf("audited %+v", evs)
	}
	if err := r.uc.MayReject(t.Context(), helpdesk, "run-zzzzzzzzzzzzzzzz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown run: %v", err)
	}
}

func TestStatus(t *testing.T) {
	r := newUCRig(t)
	r.store.runs["run-a"] = Run{ID: "run-a", State: StateRunning}
	r.store.runs["run-b"] = Run{ID: "run-b", State: StateSucceeded}
	runs, err := r.uc.Status(t.Context(), helpdesk, "")
	if err != nil || len(runs) != 1 || runs[0].ID != "run-a" {
		t.Errorf("runs under way: %v %v", runs, err)
	}
	runs, err = r.uc.Status(t.Context(), helpdesk, "run-b")
	if err != nil || len(runs) != 1 || runs[0].ID != "run-b" {
		t.Errorf("one run: %v %v", runs, err)
	}
	if _, err := r.uc.Status(t.Context(), helpdesk, "run-c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
}

func TestAuditQuery(t *testing.T) {
	r := newUCRig(t)
	ctx := t.Context()
	for i := range 25 {
		_ = r.store.Append(ctx, AuditEvent{Type: AuditDiagnosed, At: testNow, UserID: aliceID, AppID: zoomID, Detail: fmt.Sprint(i)})
	}
	_ = r.store.Append(ctx, AuditEvent{Type: AuditProposed, At: testNow, RunID: "run-a", UserID: "00u1other", AppID: slackID})

	got, err := r.uc.Audit(ctx, helpdesk, AuditQuery{UserQuery: "alice@example.com"})
	if err != nil || len(got) != maxAuditLines || got[0].Event.Detail != "5" || got[19].Event.Detail != "24" {
		t.Fatalf("by user: %d entries, %v", len(got), err)
	}
	if got, _ := r.uc.Audit(ctx, helpdesk, AuditQuery{AppQuery: "Slack"}); len(got) != 1 || got[0].Event.RunID != "run-a" {
		t.Errorf("by app: %+v", got)
	}
	if got, _ := r.uc.Audit(ctx, helpdesk, AuditQuery{RunID: "run-a"}); len(got) != 1 {
		t.Errorf("by run: %+v", got)
	}
	if evs := r.store.events(AuditLookup); len(evs) != 3 || evs[0].Actor != "U0HELP" || evs[0].Detail != "audit query in channel C0OPS" {
		t.Errorf("lookups audited: %+v", evs)
	}
	// Nothing found: nothing to audit.
	if got, err := r.uc.Audit(ctx, helpdesk, AuditQuery{RunID: "run-none"}); err != nil || len(got) != 0 || len(r.store.events(AuditLookup)) != 3 {
		t.Errorf("nothing found: %v %v", got, err)
	}
	if _, err := r.uc.Audit(ctx, helpdesk, AuditQuery{UserQuery: "nobody@example.com"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

// Marking an owed undo handled is for approvers only: the requester, who may cancel,
// may not end a run that may still leave provisioning off; a refusal is audited and
// reaches no engine.
func TestMarkHandledIsForApproversOnly(t *testing.T) {
	r := newUCRig(t)
	run := Run{ID: "run-abcdefghijklmnop", State: StateRunning, Requester: "U0HELP", Approvers: []string{"U0MGR"}, OwedSince: testNow}
	r.store.runs[run.ID] = run
	for _, who := range []string{"U0HELP", "U0OUT"} {
		if _, err := r.uc.MarkHandled(t.Context(), Caller{ID: who, Channel: "C0OPS"}, run.ID, "restored by hand"); !errors.Is(err, ErrDenied) {
			t.Errorf("%s marked the run handled: %v", who, err)
		}
	}
	if len(r.eng.calls) != 0 {
		t.Errorf("a refused mark reached the engine: %v", r.eng.calls)
	}
	if evs := r.store.events(AuditRefused); len(evs) != 2 || !strings.Contains(evs[0].Detail, "mark "+run.ID+" handled") {
		t.Errorf("audited %+v", evs)
	}
	if _, err := r.uc.MarkHandled(t.Context(), Caller{ID: "U0MGR", Channel: "C0OPS"}, run.ID, "restored by hand"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.eng.calls, []string{"handled " + run.ID + " U0MGR restored by hand"}) {
		t.Errorf("engine calls %v", r.eng.calls)
	}
	if _, err := r.uc.MarkHandled(t.Context(), Caller{ID: "U0MGR"}, "run-zzzzzzzzzzzzzzzz", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown run: %v", err)
	}
}
