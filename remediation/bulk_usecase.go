package remediation

import (
	"context"
	"errors"
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
	uc.closeIncident(ctx, inc.ID, r.ID)
	return Proposal{Run: r, Risk: uc.Risk(r.Plan)}, nil
}

// incidentUpdater writes incidents back (the stores do; a read-only fake does not).
type incidentUpdater interface {
	UpdateIncident(ctx context.Context, in *Incident) error
}

// closeIncident records the bulk run proposed for an incident's users, so the watcher
// opens a new incident for later failures instead of listing these users again. It is
// best effort: the run is saved either way, and a failure is logged.
func (uc *UseCases) closeIncident(ctx context.Context, id, runID string) {
	u, ok := uc.incidents.(incidentUpdater)
	if !ok {
		return
	}
	for range 5 {
		in, err := uc.incidents.GetIncident(ctx, id)
		if err != nil || in.RunID != "" {
			return
		}
		in.RunID = runID
		if err = u.UpdateIncident(ctx, &in); !errors.Is(err, ErrConflict) {
			if err != nil {
				uc.log.WarnContext(ctx, "closing the incident of a bulk run", "incident", id, "run_id", runID, "err", err)
			}
			return
		}
	}
}
