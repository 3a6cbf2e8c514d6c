package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// bulkDecider is the fake engine that also takes bulk proposals.
type bulkDecider struct {
	*fakeDecider
	bulk []BulkRequest
}

func (d *bulkDecider) ProposeBulk(_ context.Context, req BulkRequest) (Run, error) {
	d.bulk = append(d.bulk, req)
	return Run{ID: "run-bulkbulkbulkbulk", Plan: req.Plan, State: StateAwaitingApproval, Origin: req.Origin}, nil
}

type incidents map[string]Incident

func (in incidents) GetIncident(_ context.Context, id string) (Incident, error) {
	if i, ok := in[id]; ok {
		return i, nil
	}
	return Incident{}, fmt.Errorf("incident %s: %w", id, ErrNotFound)
}

// A propose_bulk click: the requester rule applies (refusals audited), the incident is
// read from the store, and a request typed in a direct message goes to the first
// allowed channel.
func TestProposeBulkUseCase(t *testing.T) {
	r := newUCRig(t)
	eng := &bulkDecider{fakeDecider: r.eng}
	inc := Incident{ID: IncidentID(zoomID, StaleExternalID, "x"), App: App{ID: zoomID, Label: "Zoom"}, Code: StaleExternalID, Plan: PlanResetExternalID,
		Users: []IncidentUser{{ID: "00u1", Login: "a@example.com"}, {ID: "00u2", Login: "b@example.com"}}}
	r.uc.eng, r.uc.incidents = eng, incidents{inc.ID: inc}
	ctx := context.Background()

	if _, err := r.uc.ProposeBulk(ctx, Caller{ID: "U0OUT", Channel: "C0OPS"}, BulkInput{Plan: PlanResetExternalID, IncidentID: inc.ID}); !errors.Is(err, ErrDenied) {
		t.Fatalf("an outsider's bulk proposal: %v, want a refusal", err)
	}
	if len(r.store.events(AuditRefused)) != 1 || len(eng.bulk) != 0 {
		t.Errorf("refusal not audited, or the engine was asked: %d", len(eng.bulk))
	}
	p, err := r.uc.ProposeBulk(ctx, Caller{ID: "U0HELP", Channel: "D0DM", Direct: true, Locale: JA}, BulkInput{Plan: PlanResetExternalID, IncidentID: inc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(eng.bulk) != 1 || eng.bulk[0].Incident.ID != inc.ID || eng.bulk[0].Origin.Channel != "C0OPS" || eng.bulk[0].Requester != "U0HELP" || p.Risk != RiskHigh {
		t.Errorf("asked %+v, risk %s", eng.bulk, p.Risk)
	}
	if _, err := r.uc.ProposeBulk(ctx, helpdesk, BulkInput{Plan: PlanResetExternalID, IncidentID: "inc-0000000000000000"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown incident: %v", err)
	}
}

// bulkDecisionRig: a bulk run awaiting two approvals for alice (login = email), carol
// (login "carol", email kept from the scan) and dave (login "dave.login", no email
// kept; Okta has his email). Everyone in People approves; U0NOMAIL shows no email.
func bulkDecisionRig(t *testing.T) (*ucRig, string) {
	t.Helper()
	r := newUCRig(t)
	dave := User{ID: "00u1dave00000000000", Login: "dave.login", Email: "dave@example.com"}
	r.okta.users[dave.Email], r.okta.users[dave.ID], r.okta.users[dave.Login] = dave, dave, dave
	r.uc.people = fakePeople{"U0MGR": "mgr@example.com", "U0MGR2": "mgr2@example.com", "U0ALICE": "alice@example.com",
		"U0CAROL": "carol@example.com", "U0DAVE": "dave@example.com"}
	const id = "run-bulkbulkbulkbulk"
	r.store.runs[id] = Run{ID: id, Plan: PlanResetExternalID, State: StateAwaitingApproval, Requester: "U0HELP", Quorum: 2,
		Approvers: []string{"U0MGR", "U0MGR2", "U0ALICE", "U0CAROL", "U0DAVE", "U0NOMAIL"}, ExpiresAt: testNow.Add(time.Hour),
		Bulk: &Bulk{Users: []BulkUser{{ID: aliceID, Login: "alice@example.com"}, {ID: "00u1carol0000000000", Login: "carol", Email: "Carol@Example.COM"},
			{ID: dave.ID, Login: dave.Login}}}}
	return r, id
}

// Nobody approves or rejects the bulk fix of their own account, whether their email is
// a user's login, a user's kept email (letter case aside), or their Okta user's; each
// refusal is audited and reaches no engine.
func TestBulkRunUsersMayNotDecide(t *testing.T) {
	for _, who := range []string{"U0ALICE", "U0CAROL", "U0DAVE"} {
		t.Run(who, func(t *testing.T) {
			r, id := bulkDecisionRig(t)
			c := Caller{ID: who, Channel: "C0OPS"}
			_, err := r.uc.Approve(t.Context(), c, id)
			ref, ok := AsRefusal(err)
			if !ok || !strings.Contains(ref.Reason.EN, "Your own account") || !strings.Contains(ref.Reason.JA, "ご自身のアカウント") {
				t.Fatalf("approve: %v, want the own-account refusal", err)
			}
			if err := r.uc.MayReject(t.Context(), c, id); !errors.Is(err, ErrDenied) {
				t.Errorf("may reject: %v", err)
			}
			if _, err := r.uc.Reject(t.Context(), c, id, "no"); !errors.Is(err, ErrDenied) {
				t.Errorf("reject: %v", err)
			}
			if len(r.eng.calls) != 0 {
				t.Errorf("the engine was asked: %q", r.eng.calls)
			}
			refusals := r.store.events(AuditRefused)
			if len(refusals) != 3 || refusals[0].Actor != who || !strings.Contains(refusals[0].Detail, "approve "+id+" in channel C0OPS: Your own account") {
				t.Errorf("audited %+v", refusals)
			}
			// The string match needs no Okta call; only dave's login is not his email.
			if n := r.oktaCalls("FindUser"); (who == "U0DAVE") != (n > 0) {
				t.Errorf("%d Okta lookups", n)
			}
		})
	}
}

// Approvers who are not among the users reach the engine, one decision each; the
// engine counts them against the quorum (the end-to-end test shows two are needed).
func TestBulkRunOtherApproversCount(t *testing.T) {
	r, id := bulkDecisionRig(t)
	for _, who := range []string{"U0MGR", "U0MGR2"} {
		if _, err := r.uc.Approve(t.Context(), Caller{ID: who, Channel: "C0OPS"}, id); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
	if err := r.uc.MayReject(t.Context(), Caller{ID: "U0MGR", Channel: "C0OPS"}, id); err != nil {
		t.Errorf("may reject: %v", err)
	}
	want := []string{"approve " + id + " U0MGR", "approve " + id + " U0MGR2"}
	if !slices.Equal(r.eng.calls, want) || len(r.store.events(AuditRefused)) != 0 {
		t.Errorf("engine asked %q (want %q), refusals %+v", r.eng.calls, want, r.store.events(AuditRefused))
	}
	// A single-user run needs no lookup: its affected member was named at proposal.
	r.store.runs["run-singlesinglesing"] = Run{ID: "run-singlesinglesing", State: StateAwaitingApproval, ExpiresAt: testNow.Add(time.Hour)}
	if _, err := r.uc.Approve(t.Context(), Caller{ID: "U0NOMAIL", Channel: "C0OPS"}, "run-singlesinglesing"); err != nil {
		t.Errorf("single-user run: %v", err)
	}
}

// When who clicks cannot be told apart from the users (no email in Slack, Okta not
// answering), an approval is refused with the reason, audited; a rejection goes on.
func TestBulkRunUnknownApproverIsRefused(t *testing.T) {
	r, id := bulkDecisionRig(t)
	c := Caller{ID: "U0NOMAIL", Channel: "C0OPS"}
	_, err := r.uc.Approve(t.Context(), c, id)
	ref, ok := AsRefusal(err)
	if !ok || !strings.Contains(ref.Reason.EN, "could not read your email address") || !strings.Contains(ref.Reason.JA, "メールアドレスを取得できなかった") ||
		!strings.Contains(ref.Reason.EN, "3 users") {
		t.Fatalf("approve without an email: %v", err)
	}
	if refusals := r.store.events(AuditRefused); len(refusals) != 1 || !strings.Contains(refusals[0].Detail, "could not read your email") {
		t.Errorf("audited %+v", refusals)
	}
	if _, err := r.uc.Reject(t.Context(), c, id, "not now"); err != nil {
		t.Errorf("reject without an email: %v", err)
	}

	r.okta.errs = map[string]error{"FindUser": fmt.Errorf("okta: %w", ErrTransient)}
	_, err = r.uc.Approve(t.Context(), Caller{ID: "U0MGR", Channel: "C0OPS"}, id)
	if ref, ok := AsRefusal(err); !ok || !strings.Contains(ref.Reason.EN, "Okta could not be asked") || !strings.Contains(ref.Reason.JA, "Okta で確認できなかった") {
		t.Errorf("approve with Okta down: %v", err)
	}
	// Only the rejection reached the engine.
	if want := []string{"reject " + id + " U0NOMAIL not now"}; !slices.Equal(r.eng.calls, want) {
		t.Errorf("engine asked %q", r.eng.calls)
	}

	r.uc.people = nil
	if _, err := r.uc.Approve(t.Context(), Caller{ID: "U0MGR", Channel: "C0OPS"}, id); !errors.Is(err, ErrDenied) {
		t.Errorf("approve with no member directory: %v", err)
	}
}

// updatableIncidents is an incident store that takes writes (compare-and-swap).
type updatableIncidents struct{ incidents }

func (in updatableIncidents) UpdateIncident(_ context.Context, i *Incident) error {
	old, ok := in.incidents[i.ID]
	if !ok {
		return fmt.Errorf("incident %s: %w", i.ID, ErrNotFound)
	}
	if old.Version != i.Version {
		return fmt.Errorf("incident %s: %w", i.ID, ErrConflict)
	}
	i.Version++
	in.incidents[i.ID] = *i
	return nil
}

// Proposing a bulk fix closes its incident (it records the run), so the watcher lists
// later failures in a new one.
func TestProposeBulkClosesTheIncident(t *testing.T) {
	r := newUCRig(t)
	eng := &bulkDecider{fakeDecider: r.eng}
	inc := Incident{ID: IncidentID(zoomID, StaleExternalID, "y"), App: App{ID: zoomID, Label: "Zoom"}, Code: StaleExternalID,
		Plan: PlanResetExternalID, Users: []IncidentUser{{ID: "00u1", Login: "a@example.com"}, {ID: "00u2", Login: "b@example.com"}}, Version: 1}
	store := updatableIncidents{incidents{inc.ID: inc}}
	r.uc.eng, r.uc.incidents = eng, store
	p, err := r.uc.ProposeBulk(context.Background(), helpdesk, BulkInput{Plan: PlanResetExternalID, IncidentID: inc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := store.incidents[inc.ID]; got.RunID != p.Run.ID || got.Version != 2 {
		t.Errorf("incident after the proposal: run %q version %d, want %q and 2", got.RunID, got.Version, p.Run.ID)
	}
}
