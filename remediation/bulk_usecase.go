package remediation

import (
	"context"
	"fmt"
)

// BulkDecider is what the bulk use case needs from the engine (the Engine implements
// it).
type BulkDecider interface {
	ProposeBulk(ctx context.Context, req BulkRequest) (Run, error)
}

// IncidentReader reads the incidents the watcher and the scans gathered.
type IncidentReader interface {
	GetIncident(ctx context.Context, id string) (Incident, error)
}

// BulkInput is a click on an incident's bulk fix: the plan, for the incident's users.
type BulkInput struct {
	Plan       PlanID
	IncidentID string
}

// ProposeBulk saves one bulk run of the plan for the users of the incident, awaiting
// approval (the policy applies as for Propose: an allowed requester; the bulk quorum
// above the threshold). A request made in a direct message goes to the first allowed
// channel, where the approvers are.
func (uc *UseCases) ProposeBulk(ctx context.Context, c Caller, in BulkInput) (Proposal, error) {
	what := "propose " + string(in.Plan) + " for the users of incident " + in.IncidentID
	if err := uc.mayRequest(ctx, c, what); err != nil {
		return Proposal{}, err
	}
	eng, ok := uc.eng.(BulkDecider)
	if !ok || uc.incidents == nil {
		return Proposal{}, fmt.Errorf("bulk runs are not available here: %w", ErrPermanent)
	}
	inc, err := uc.incidents.GetIncident(ctx, in.IncidentID)
	if err != nil {
		return Proposal{}, fmt.Errorf("incident %s: %w", in.IncidentID, err)
	}
	channel := c.Channel
	if c.Direct && len(uc.channels) > 0 {
		channel = uc.channels[0]
	}
	r, err := eng.ProposeBulk(ctx, BulkRequest{Incident: inc, Plan: in.Plan, Requester: c.ID, Origin: Origin{Channel: channel, Locale: c.Locale}})
	if err != nil {
		uc.refused(ctx, c, what, err)
		return Proposal{}, err
	}
	return Proposal{Run: r, Risk: uc.Risk(r.Plan)}, nil
}
