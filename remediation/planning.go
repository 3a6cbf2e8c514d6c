package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// This file answers "what would the fix do, and on which state of Okta": the proposal,
// the snapshot a plan is built and approved against, and the dry run.

// ProposeRequest asks for a plan from a diagnosis.
type ProposeRequest struct {
	Diagnosis Diagnosis
	// AppID picks the app whose finding proposed the plan (empty: the diagnosis's app).
	AppID     string
	Plan      PlanID
	Requester string
	// AffectedSlackUser is the affected user's Slack ID, when known (they cannot approve).
	AffectedSlackUser string
	// RequesterManager is the Slack ID of the requester's Okta manager, when the plan's
	// rule asks for manager approval and the caller could find them.
	RequesterManager string
	Origin           Origin
}

// Propose builds the plan against Okta as it is now, saves the run awaiting approval
// (before anyone is asked, so a restart never loses it) and schedules its expiry.
func (e *Engine) Propose(ctx context.Context, req ProposeRequest) (Run, error) {
	if err := e.policy.MayRequest(ctx, req.Requester); err != nil {
		return Run{}, err
	}
	finding, runbook := proposingFinding(req)
	if finding == nil {
		return Run{}, refuse("The diagnosis does not propose %q here; diagnose again.", "診断結果はここで %q を提案していません。再度診断してください。", req.Plan)
	}
	now := e.now()
	r := Run{
		ID:      NewRunID(),
		Plan:    req.Plan,
		Finding: finding.Code,
		AppWide: finding.AppWide,
		Steps:   runbook,
		Target: Target{
			UserID: req.Diagnosis.User.ID, UserLogin: req.Diagnosis.User.Login,
			AppID: finding.App.ID, AppLabel: finding.App.Label, AppName: finding.App.Name,
		},
		Requester:         req.Requester,
		AffectedSlackUser: req.AffectedSlackUser,
		Origin:            req.Origin,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	if err := e.plan(ctx, &r, req.Diagnosis.User); err != nil {
		return Run{}, err
	}
	if m := req.RequesterManager; m != "" && e.policy.Rule(r.Plan).Manager && !slices.Contains(r.Approvers, m) {
		r.Approvers = append(slices.Clone(r.Approvers), m)
	}
	if len(r.Approvers) == 0 {
		return Run{}, refuse("No approvers are configured for %s: ask the bot's operator to add approvers (or a policy file).",
			"%s の承認者が設定されていません。ボットの運用担当者に承認者(またはポリシーファイル)の設定を依頼してください。", r.Plan)
	}
	if holder, err := e.store.Lock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID, e.pairTTL(&r)); err != nil {
		if errors.Is(err, ErrConflict) {
			return Run{}, refuse("Run %s is already in progress for %s on %s; one run per user and app at a time.",
				"%s の %s に対する実行 %s がすでに進行中です。同じユーザーとアプリの実行は一度に 1 つです。", holder, r.Target.UserLogin, r.Target.AppLabel)
		}
		return Run{}, fmt.Errorf("locking %s on %s: %w", r.Target.UserLogin, r.Target.AppLabel, err)
	}
	ctx = logctx.With(ctx, "run_id", r.ID, "okta_user_id", r.Target.UserID)
	ev := e.event(&r, AuditProposed, r.Requester)
	ev.Codes = []Code{r.Finding}
	ev.Detail = fmt.Sprintf("%d steps; approvers %v, quorum %d, expires %s", len(r.Steps), r.Approvers, r.Quorum, r.ExpiresAt.Format(time.RFC3339))
	if err := e.store.CreateRun(ctx, &r, ev); err != nil {
		_ = e.store.Unlock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID)
		return Run{}, fmt.Errorf("saving run: %w", err)
	}
	e.notify(ctx, r, ev)
	if err := e.sched.Schedule(ctx, Task{Kind: TaskExpire, RunID: r.ID, Due: r.ExpiresAt}); err != nil {
		// The sweep expires runs the scheduler lost; the run itself is saved.
		e.log.WarnContext(ctx, "scheduling expiry", "run_id", r.ID, "err", err)
	}
	e.scheduleReminder(ctx, &r, TaskRemindApproval)
	return r, nil
}

// proposingFinding is the finding of the diagnosis that proposes req's plan on its app
// (the first with a runbook, else the last), and the run's runbook steps: the manual
// steps of every finding there whose fix is a person's work followed by this plan.
func proposingFinding(req ProposeRequest) (*Finding, []StepRecord) {
	var finding *Finding
	var runbook []StepRecord
	seen := map[Text]bool{}
	for i, f := range req.Diagnosis.Findings {
		if f.App == nil || (req.AppID != "" && f.App.ID != req.AppID) || !slices.Contains(f.Plans, req.Plan) {
			continue
		}
		if finding == nil || len(finding.Runbook) == 0 {
			finding = &req.Diagnosis.Findings[i]
		}
		if f.Retry != req.Plan {
			continue
		}
		for _, t := range f.Runbook {
			if !seen[t] {
				seen[t] = true
				runbook = append(runbook, StepRecord{Kind: StepRunbook, Status: StepPending, Instructions: t})
			}
		}
	}
	return finding, runbook
}

// plan reads Okta now and lays out r's snapshot, steps, dry run and approval
// requirement.
func (e *Engine) plan(ctx context.Context, r *Run, user User) error {
	s, err := e.env.readSnapshot(ctx, r, true)
	if err != nil {
		return err
	}
	s.ReadAt = e.now()
	if s.AppUser.ID == "" {
		return refuse("%s is no longer assigned to %s; diagnose again.", "%s は %s に割り当てられていません。再度診断してください。", r.Target.UserLogin, r.Target.AppLabel)
	}
	if s.AppUser.Scope == ScopeGroup {
		s.RegroupIDs, err = e.env.regroupIDs(ctx, r)
		if err != nil {
			return err
		}
	}
	switch r.Plan {
	case PlanReassign, PlanResetExternalID:
		s.StaleExternalID = s.AppUser.ExternalID
	case PlanRelinkSaaSUser:
		email := user.Email
		if email == "" {
			email = user.Login
		}
		acct, err := e.env.saas.FindAccount(ctx, email)
		if err != nil {
			return fmt.Errorf("finding the Slack account of %s: %w", email, err)
		}
		s.SaaSUserID = acct.ID
	}
	steps, err := BuildSteps(r.Plan, s)
	if err != nil {
		return err
	}
	rule := e.policy.Rule(r.Plan)
	r.Snapshot = s
	// The runbook's manual steps come first; those already confirmed (a re-plan) stay
	// done, and the run resumes after them.
	runbook := r.Steps[:r.runbookSteps()]
	done := 0
	for done < len(runbook) && runbook[done].Status == StepDone {
		done++
	}
	for i := done; i < len(runbook); i++ {
		runbook[i] = StepRecord{Kind: StepRunbook, Status: StepPending, Instructions: runbook[i].Instructions}
	}
	r.Steps = append(slices.Clone(runbook), make([]StepRecord, len(steps))...)
	for i, k := range steps {
		r.Steps[len(runbook)+i] = StepRecord{Kind: k, Status: StepPending}
	}
	if err := e.renderCalls(r); err != nil {
		return err
	}
	r.Cursor, r.Decisions, r.Compensating, r.ProvisioningPaused = done, nil, false, false
	r.State = StateAwaitingApproval
	r.Approvers, r.Quorum = rule.Approvers, rule.Quorum
	r.ExpiresAt = e.now().Add(rule.Expiry)
	return nil
}

// renderCalls asks the adapters for the exact HTTP calls of each step's effects: the
// dry run approvers see is what the adapters will send.
func (e *Engine) renderCalls(r *Run) error {
	defs := stepDefs()
	for i := range r.Steps {
		def := defs[r.Steps[i].Kind]
		r.Steps[i].Calls = nil
		if def.effects == nil {
			continue
		}
		for _, ef := range def.effects(r) {
			render := e.oktaCalls
			if ef.Kind.SaaS() {
				render = e.saasCalls
			}
			if render == nil {
				return fmt.Errorf("no renderer for the %s effect: %w", ef.Kind, ErrPermanent)
			}
			calls, err := render.RenderCalls(ef)
			if err != nil {
				return fmt.Errorf("rendering step %d (%s): %w", i+1, r.Steps[i].Kind, err)
			}
			r.Steps[i].Calls = append(r.Steps[i].Calls, calls...)
		}
	}
	return nil
}

// readSnapshot reads the app user and USER_PROVISIONING (nil when the app has no
// Features API), both at once. A missing assignment gives a zero AppUser. withProv
// false skips the Features API (a manual app, whose snapshot has none). The snapshot
// keeps r's copies of the fields that are not read here.
func (env stepEnv) readSnapshot(ctx context.Context, r *Run, withProv bool) (Snapshot, error) {
	var s Snapshot
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		au, _, err := env.isAssigned(gctx, r)
		s.AppUser = au
		return err
	})
	if withProv {
		g.Go(func() error {
			p, err := env.okta.GetProvisioning(gctx, r.Target.AppID)
			switch {
			case errors.Is(err, ErrUnsupported):
				return nil
			case err != nil:
				return err
			}
			s.Provisioning = &p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Snapshot{}, err
	}
	s.StaleExternalID, s.SaaSUserID, s.RegroupIDs = r.Snapshot.StaleExternalID, r.Snapshot.SaaSUserID, r.Snapshot.RegroupIDs
	return s, nil
}

// regroupIDs lists the app's groups that hold the user.
func (env stepEnv) regroupIDs(ctx context.Context, r *Run) ([]string, error) {
	var appGroups []AppGroup
	var userGroups []Group
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { appGroups, err = env.okta.ListAppGroups(gctx, r.Target.AppID); return err })
	g.Go(func() (err error) { userGroups, err = env.okta.ListUserGroups(gctx, r.Target.UserID); return err })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reading the groups of %s: %w", r.Target.AppLabel, err)
	}
	in := map[string]bool{}
	for _, ug := range userGroups {
		in[ug.ID] = true
	}
	var out []string
	for _, ag := range appGroups {
		if in[ag.GroupID] {
			out = append(out, ag.GroupID)
		}
	}
	return out, nil
}

// differs says how now differs from the approved snapshot s ("" when it does not):
// the assignment, its scope and externalId, and the provisioning capabilities. Only
// the Features API answer is compared when s has one (a manual app is not read).
func (s Snapshot) differs(now Snapshot) string {
	if d := s.assignmentDiffers(now); d != "" {
		return d
	}
	switch {
	case s.AppUser.ExternalID != now.AppUser.ExternalID:
		return fmt.Sprintf("the externalId changed from %q to %q", s.AppUser.ExternalID, now.AppUser.ExternalID)
	case s.Provisioning != nil && now.Provisioning == nil:
		return "the Features API answer changed"
	case s.Provisioning != nil && s.Provisioning.Capabilities != now.Provisioning.Capabilities:
		return fmt.Sprintf("the provisioning settings changed from %s to %s", s.Provisioning.Capabilities.Describe().EN, now.Provisioning.Capabilities.Describe().EN)
	}
	return ""
}

// assignmentDiffers says how the assignment itself (there or not, its scope) differs.
func (s Snapshot) assignmentDiffers(now Snapshot) string {
	switch {
	case (s.AppUser.ID == "") != (now.AppUser.ID == ""):
		return "the assignment appeared or disappeared"
	case s.AppUser.Scope != now.AppUser.Scope:
		return fmt.Sprintf("the assignment scope changed from %s to %s", s.AppUser.Scope, now.AppUser.Scope)
	}
	return ""
}

// DryRunStep is one step as shown before approval: its title and the exact API calls
// it will make, or, for a manual step, what a person will be asked to do.
type DryRunStep struct {
	Number       int      `json:"number"`
	Kind         StepKind `json:"kind"`
	Title        Text     `json:"title"`
	Manual       bool     `json:"manual,omitempty"`
	Calls        []string `json:"calls"`
	Instructions Text     `json:"instructions,omitzero"`
}

// DryRun renders the run's plan without doing anything: the titles, and the calls the
// adapters rendered when the plan was made.
func DryRun(r *Run) []DryRunStep {
	defs := stepDefs()
	out := make([]DryRunStep, len(r.Steps))
	for i, s := range r.Steps {
		d := defs[s.Kind]
		out[i] = DryRunStep{Number: i + 1, Kind: s.Kind, Title: d.title, Manual: d.manual}
		for _, c := range s.Calls {
			out[i].Calls = append(out[i].Calls, c.String())
		}
		out[i].Instructions = r.instructions(i, d)
	}
	return out
}
