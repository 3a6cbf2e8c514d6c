package remediation

import (
	"context"
	"errors"
	"fmt"
	"testing"
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
