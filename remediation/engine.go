package remediation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// Engine runs remediation plans as durable multi-step runs: it proposes them, takes
// approvals, executes their steps with write-ahead persistence, compensates on failure,
// verifies the outcome, and resumes runs whose engine died. Several engines (replicas)
// may share one Store and Scheduler: version checks and leases make each step happen once.
type Engine struct {
	Store     Store
	Scheduler Scheduler
	Okta      OktaWriter
	SaaS      SaaSDirectory // nil: relink_saas_user cannot be proposed
	Policy    *Policy
	Notifier  Notifier // nil: nobody to tell
	Observe   Observer // nil: no metrics
	Clock     func() time.Time
	Logger    *slog.Logger
	// Owner identifies this engine in leases (default host:pid).
	Owner string
	// Lease is how long a run stays with this engine without a write (default 30s):
	// after it lapses another engine resumes the run.
	Lease time.Duration
	// VerifyTimeout bounds verification (VERIFY_TIMEOUT, default 5m); VerifyEvery is
	// the poll interval (default 5s).
	VerifyTimeout time.Duration
	VerifyEvery   time.Duration
	// RetryBase is the first back-off after a transient error, doubled per attempt
	// (default 2s); MaxAttempts bounds the attempts of one step (default 5).
	RetryBase   time.Duration
	MaxAttempts int
	// QueueRetry is how often a run waiting for another run's provisioning pause looks
	// again (default 5s).
	QueueRetry time.Duration
}

func (e *Engine) now() time.Time {
	if e.Clock != nil {
		return e.Clock().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Engine) owner() string {
	if e.Owner == "" {
		return DefaultOwner()
	}
	return e.Owner
}

// DefaultOwner names this process in leases: host, pid and a random suffix, so a
// restarted process (pid 1 again in a container) or a second engine in one process is a
// different owner.
func DefaultOwner() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

func durOr(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func (e *Engine) lease() time.Duration         { return durOr(e.Lease, 30*time.Second) }
func (e *Engine) verifyTimeout() time.Duration { return durOr(e.VerifyTimeout, 5*time.Minute) }

// verifyEvery polls at least five times within VerifyTimeout.
func (e *Engine) verifyEvery() time.Duration {
	return min(durOr(e.VerifyEvery, 5*time.Second), e.verifyTimeout()/5)
}
func (e *Engine) queueRetry() time.Duration { return durOr(e.QueueRetry, 5*time.Second) }
func (e *Engine) maxAttempts() int {
	if e.MaxAttempts > 0 {
		return e.MaxAttempts
	}
	return 5
}

// backoff is the wait before attempt n+1 (n ≥ 1): RetryBase·2^(n-1), at most 5 minutes.
func (e *Engine) backoff(n int) time.Duration {
	d := durOr(e.RetryBase, 2*time.Second)
	for i := 1; i < n && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// pairTTL bounds the (user, app) lock should its run be abandoned for good.
func (e *Engine) pairTTL(r *Run) time.Duration {
	return r.ExpiresAt.Sub(e.now()) + e.verifyTimeout() + time.Hour
}

// pauseTTL bounds the app's provisioning-pause lock. It is long on purpose: while a
// run's engine is dead the pause must stay claimed until another engine resumes the
// run (after one lease) and restores provisioning.
const pauseTTL = time.Hour

type noSaaS struct{}

func (noSaaS) FindAccount(context.Context, string) (SaaSAccount, error) {
	return SaaSAccount{}, fmt.Errorf("slack SCIM is not configured (SLACK_SCIM_TOKEN): %w", ErrPermanent)
}
func (noSaaS) GetAccount(context.Context, string) (SaaSAccount, error) {
	return SaaSAccount{}, fmt.Errorf("slack SCIM is not configured (SLACK_SCIM_TOKEN): %w", ErrPermanent)
}
func (noSaaS) SetActive(context.Context, string, bool) error {
	return fmt.Errorf("slack SCIM is not configured (SLACK_SCIM_TOKEN): %w", ErrPermanent)
}

func (e *Engine) saas() SaaSDirectory {
	if e.SaaS == nil {
		return noSaaS{}
	}
	return e.SaaS
}

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
	if err := e.Policy.MayRequest(ctx, req.Requester); err != nil {
		return Run{}, err
	}
	var finding *Finding
	for i, f := range req.Diagnosis.Findings {
		if f.App == nil || (req.AppID != "" && f.App.ID != req.AppID) {
			continue
		}
		for _, p := range f.Plans {
			if p == req.Plan {
				finding = &req.Diagnosis.Findings[i]
			}
		}
	}
	if finding == nil {
		return Run{}, refuse("The diagnosis does not propose %q here; diagnose again.", "診断結果はここで %q を提案していません。再度診断してください。", req.Plan)
	}
	now := e.now()
	r := Run{
		ID:      NewRunID(),
		Plan:    req.Plan,
		Finding: finding.Code,
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
	if m := req.RequesterManager; m != "" && e.Policy.Rule(r.Plan).Manager && !slices.Contains(r.Approvers, m) {
		r.Approvers = append(slices.Clone(r.Approvers), m)
	}
	if len(r.Approvers) == 0 {
		return Run{}, refuse("No approvers are configured for %s: set OKTA_CHATOPS_APPROVERS (or the policy file).", "%s の承認者が設定されていません。OKTA_CHATOPS_APPROVERS(またはポリシーファイル)を設定してください。", r.Plan)
	}
	if holder, err := e.Store.Lock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID, e.pairTTL(&r)); err != nil {
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
	if err := e.Store.CreateRun(ctx, &r, ev); err != nil {
		_ = e.Store.Unlock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID)
		return Run{}, fmt.Errorf("saving run: %w", err)
	}
	e.notify(ctx, r, ev)
	if err := e.Scheduler.Schedule(ctx, Task{Kind: TaskExpire, RunID: r.ID, Due: r.ExpiresAt}); err != nil {
		// The sweep expires runs the scheduler lost; the run itself is saved.
		e.log().WarnContext(ctx, "scheduling expiry", "run_id", r.ID, "err", err)
	}
	return r, nil
}

// plan reads Okta now and lays out r's snapshot, steps and approval requirement.
func (e *Engine) plan(ctx context.Context, r *Run, user User) error {
	s, err := e.readSnapshot(ctx, r)
	if err != nil {
		return err
	}
	if s.AppUser.ID == "" {
		return refuse("%s is no longer assigned to %s; diagnose again.", "%s は %s にアサインされていません。再度診断してください。", r.Target.UserLogin, r.Target.AppLabel)
	}
	if s.AppUser.Scope == ScopeGroup {
		s.RegroupIDs, err = e.regroupIDs(ctx, r)
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
		acct, err := e.saas().FindAccount(ctx, email)
		if err != nil {
			return fmt.Errorf("finding the Slack account of %s: %w", email, err)
		}
		s.SaaSUserID = acct.ID
	}
	steps, err := BuildSteps(r.Plan, s)
	if err != nil {
		return err
	}
	rule := e.Policy.Rule(r.Plan)
	r.Snapshot = s
	r.Steps = make([]StepRecord, len(steps))
	for i, k := range steps {
		r.Steps[i] = StepRecord{Kind: k, Status: StepPending}
	}
	r.Cursor, r.Decisions, r.Compensating, r.ProvisioningPaused = 0, nil, false, false
	r.State = StateAwaitingApproval
	r.Approvers, r.Quorum = rule.Approvers, rule.Quorum
	r.ExpiresAt = e.now().Add(rule.Expiry)
	return nil
}

// readSnapshot reads the app user and USER_PROVISIONING (nil when the app has no
// Features API). A missing assignment gives a zero AppUser.
func (e *Engine) readSnapshot(ctx context.Context, r *Run) (Snapshot, error) {
	var s Snapshot
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		au, _, err := isAssigned(gctx, e, r)
		s.AppUser = au
		return err
	})
	g.Go(func() error {
		p, err := e.Okta.GetProvisioning(gctx, r.Target.AppID)
		switch {
		case errors.Is(err, ErrUnsupported):
			return nil
		case err != nil:
			return err
		}
		s.Provisioning = &p
		return nil
	})
	if err := g.Wait(); err != nil {
		return Snapshot{}, err
	}
	s.ReadAt = e.now()
	// Keep the snapshot's copies of fields that are not read here.
	s.StaleExternalID, s.SaaSUserID, s.RegroupIDs = r.Snapshot.StaleExternalID, r.Snapshot.SaaSUserID, r.Snapshot.RegroupIDs
	return s, nil
}

// regroupIDs lists the app's groups that hold the user.
func (e *Engine) regroupIDs(ctx context.Context, r *Run) ([]string, error) {
	var appGroups []AppGroup
	var userGroups []Group
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { appGroups, err = e.Okta.ListAppGroups(gctx, r.Target.AppID); return err })
	g.Go(func() (err error) { userGroups, err = e.Okta.ListUserGroups(gctx, r.Target.UserID); return err })
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
// the assignment, its scope and externalId, and the provisioning capabilities.
func (s Snapshot) differs(now Snapshot) string {
	switch {
	case (s.AppUser.ID == "") != (now.AppUser.ID == ""):
		return "the assignment appeared or disappeared"
	case s.AppUser.Scope != now.AppUser.Scope:
		return fmt.Sprintf("the assignment scope changed from %s to %s", s.AppUser.Scope, now.AppUser.Scope)
	case s.AppUser.ExternalID != now.AppUser.ExternalID:
		return fmt.Sprintf("the externalId changed from %q to %q", s.AppUser.ExternalID, now.AppUser.ExternalID)
	case (s.Provisioning == nil) != (now.Provisioning == nil):
		return "the Features API answer changed"
	case s.Provisioning != nil && s.Provisioning.Capabilities != now.Provisioning.Capabilities:
		return fmt.Sprintf("the provisioning settings changed from %s to %s", CapabilitiesJSON(s.Provisioning.Capabilities), CapabilitiesJSON(now.Provisioning.Capabilities))
	}
	return ""
}

// restoreProvisioning puts the snapshot's capabilities back, exactly.
func (e *Engine) restoreProvisioning(ctx context.Context, r *Run) error {
	if r.Snapshot.Provisioning == nil {
		return nil
	}
	_, err := e.Okta.SetProvisioning(ctx, r.Target.AppID, r.Snapshot.Provisioning.Capabilities)
	return err
}

func (e *Engine) event(r *Run, t AuditType, actor string) AuditEvent {
	return AuditEvent{Type: t, At: e.now(), Actor: actor, RunID: r.ID, Plan: r.Plan, UserID: r.Target.UserID, AppID: r.Target.AppID}
}

func (e *Engine) actor() string { return "engine:" + e.owner() }

func (e *Engine) notify(ctx context.Context, r Run, evs ...AuditEvent) {
	for _, ev := range evs {
		e.log().InfoContext(ctx, "run "+string(ev.Type), "state", string(r.State), "step", ev.Step, "step_kind", string(ev.Kind), "actor", ev.Actor)
	}
	if e.Observe != nil {
		for _, ev := range evs {
			if endsRun(ev.Type) && r.State.Terminal() {
				e.Observe.RunEnded(r.State)
			}
		}
	}
	if e.Notifier == nil {
		return
	}
	for _, ev := range evs {
		e.Notifier.RunChanged(ctx, r.Clone(), ev)
	}
}

// decide applies one decision with compare-and-swap, re-reading on a conflict so that
// concurrent clicks are judged against the state the winner left.
func (e *Engine) decide(ctx context.Context, runID, by string, apply func(r *Run) ([]AuditEvent, error)) (Run, error) {
	ctx = logctx.With(ctx, "run_id", runID)
	for attempt := 0; ; attempt++ {
		r, err := e.Store.GetRun(ctx, runID)
		if err != nil {
			return Run{}, fmt.Errorf("run %s: %w", runID, err)
		}
		evs, err := apply(&r)
		if err != nil {
			return r, err
		}
		r.UpdatedAt = e.now()
		err = e.Store.UpdateRun(ctx, &r, evs...)
		if errors.Is(err, ErrConflict) && attempt < 20 {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("saving run %s: %w", runID, err)
		}
		e.notify(ctx, r, evs...)
		return r, nil
	}
}

// Approve records by's approval. With the quorum reached the run is approved and its
// execution scheduled. A refusal (*Refusal, errors.Is ErrDenied) says why not.
func (e *Engine) Approve(ctx context.Context, runID, by, reason string) (Run, error) {
	now := e.now()
	r, err := e.decide(ctx, runID, by, func(r *Run) ([]AuditEvent, error) {
		if err := e.Policy.MayDecide(ctx, r, by, now); err != nil {
			return nil, err
		}
		r.Decisions = append(r.Decisions, Decision{By: by, At: now, Approve: true, Reason: reason})
		ev := e.event(r, AuditApproved, by)
		ev.Detail = fmt.Sprintf("approval %d of %d", len(r.Decisions), r.Quorum)
		if reason != "" {
			ev.Detail += ": " + reason
		}
		if len(r.Decisions) >= r.Quorum {
			r.State = StateApproved
		}
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		if r.State == StateAwaitingApproval && !now.Before(r.ExpiresAt) {
			e.expire(ctx, runID)
		}
		return r, err
	}
	if r.State == StateApproved {
		_ = e.Scheduler.Cancel(ctx, TaskExpire, r.ID)
		if err := e.Scheduler.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: now}); err != nil {
			e.log().WarnContext(ctx, "scheduling run", "run_id", r.ID, "err", err)
		}
	}
	return r, nil
}

// Reject records by's rejection and ends the run.
func (e *Engine) Reject(ctx context.Context, runID, by, reason string) (Run, error) {
	now := e.now()
	r, err := e.decide(ctx, runID, by, func(r *Run) ([]AuditEvent, error) {
		if err := e.Policy.MayDecide(ctx, r, by, now); err != nil {
			return nil, err
		}
		r.Decisions = append(r.Decisions, Decision{By: by, At: now, Approve: false, Reason: reason})
		r.State = StateRejected
		r.Outcome = Tf("Rejected by %s: %s", "%s が却下しました: %s", by, reason)
		ev := e.event(r, AuditRejected, by)
		ev.Detail = reason
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		return r, err
	}
	e.release(ctx, &r)
	return r, nil
}

// Cancel stops a run. Before it started, it simply ends; while it runs, the engine
// stops at the next step boundary and undoes what it did (restoring provisioning).
func (e *Engine) Cancel(ctx context.Context, runID, by, reason string) (Run, error) {
	r, err := e.decide(ctx, runID, by, func(r *Run) ([]AuditEvent, error) {
		if err := e.Policy.MayCancel(ctx, r, by); err != nil {
			return nil, err
		}
		ev := e.event(r, AuditCancelled, by)
		ev.Detail = reason
		switch r.State {
		case StateProposed, StateAwaitingApproval, StateApproved:
			r.State = StateCancelled
			r.Outcome = Tf("Cancelled by %s before it started.", "開始前に %s が取り消しました。", by)
		case StateVerifying:
			r.State = StateCancelled
			r.Outcome = Tf("Cancelled by %s during verification; every step had run.", "検証中に %s が取り消しました(すべての手順は実行済み)。", by)
		default:
			r.CancelRequested = true
			ev.Detail = "cancel requested; undoing the steps done: " + reason
		}
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		return r, err
	}
	if r.State.Terminal() {
		e.release(ctx, &r)
	} else if err := e.Scheduler.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: e.now()}); err != nil {
		e.log().WarnContext(ctx, "scheduling cancel", "run_id", r.ID, "err", err)
	}
	return r, nil
}

// Confirm records that a person did a manual step (1-based) and lets the run go on.
func (e *Engine) Confirm(ctx context.Context, runID string, step int, by string) (Run, error) {
	r, err := e.decide(ctx, runID, by, func(r *Run) ([]AuditEvent, error) {
		if err := e.Policy.MayConfirm(ctx, r, step, by); err != nil {
			return nil, err
		}
		s := &r.Steps[step-1]
		now := e.now()
		s.ConfirmedBy, s.EndedAt = by, &now
		ev := e.event(r, AuditConfirmed, by)
		ev.Step, ev.Kind = step, s.Kind
		if s.Status == StepUndoWaiting {
			s.Status = StepCompensated
			r.ProvisioningPaused = false
			r.Cursor = step - 2
		} else {
			s.Status = StepDone
			if s.Kind.pausesProvisioning() {
				r.ProvisioningPaused = true
			}
			if s.Kind.restoresProvisioning() {
				r.ProvisioningPaused = false
			}
			r.Cursor = step
		}
		return []AuditEvent{ev}, nil
	})
	if err != nil {
		return r, err
	}
	if err := e.Scheduler.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: e.now()}); err != nil {
		e.log().WarnContext(ctx, "scheduling run", "run_id", r.ID, "err", err)
	}
	return r, nil
}

// Handle does one scheduled task.
func (e *Engine) Handle(ctx context.Context, t Task) error {
	ctx = logctx.With(ctx, "run_id", t.RunID)
	switch t.Kind {
	case TaskAdvance:
		return e.advance(ctx, t.RunID)
	case TaskVerify:
		return e.verify(ctx, t.RunID)
	case TaskExpire:
		e.expire(ctx, t.RunID)
		return nil
	}
	return fmt.Errorf("unknown task kind %q", t.Kind)
}

// errLostLease stops an engine whose run was taken over (its lease lapsed).
var errLostLease = errors.New("run taken over by another engine")

// save persists r (extending this engine's lease) with its audit events, then tells
// the notifier.
func (e *Engine) save(ctx context.Context, r *Run, evs ...AuditEvent) error {
	now := e.now()
	r.UpdatedAt = now
	if r.Owner == e.owner() && !r.State.Terminal() {
		r.LeaseUntil = now.Add(e.lease())
	}
	err := e.Store.UpdateRun(ctx, r, evs...)
	if errors.Is(err, ErrConflict) {
		// While an engine owns a run, the only other writer is a cancel request: adopt
		// it and write again. Anything else means the run was taken over.
		cur, gerr := e.Store.GetRun(ctx, r.ID)
		if gerr != nil || cur.Owner != r.Owner || cur.State.Terminal() {
			return errLostLease
		}
		r.Version, r.CancelRequested = cur.Version, cur.CancelRequested
		err = e.Store.UpdateRun(ctx, r, evs...)
	}
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return errLostLease
		}
		return fmt.Errorf("saving run %s: %w", r.ID, err)
	}
	e.notify(ctx, *r, evs...)
	return nil
}

// release gives up the run's locks once it has ended.
func (e *Engine) release(ctx context.Context, r *Run) {
	for _, key := range []string{PairKey(r.Target.UserID, r.Target.AppID), AppPauseKey(r.Target.AppID)} {
		if err := e.Store.Unlock(ctx, key, r.ID); err != nil {
			e.log().WarnContext(ctx, "releasing lock", "run_id", r.ID, "lock", key, "err", err)
		}
	}
	_ = e.Scheduler.Cancel(ctx, TaskExpire, r.ID)
}

func (e *Engine) expire(ctx context.Context, runID string) {
	now := e.now()
	var due time.Time
	r, err := e.decide(ctx, runID, e.actor(), func(r *Run) ([]AuditEvent, error) {
		if r.State != StateAwaitingApproval {
			return nil, errNothingToDo
		}
		if now.Before(r.ExpiresAt) {
			due = r.ExpiresAt
			return nil, errNothingToDo
		}
		r.State = StateExpired
		r.Outcome = T("The approval request expired; nothing was changed.", "承認依頼が期限切れになりました。変更は行われていません。")
		return []AuditEvent{e.event(r, AuditExpired, e.actor())}, nil
	})
	switch {
	case err == nil:
		e.release(ctx, &r)
	case errors.Is(err, errNothingToDo):
		if !due.IsZero() {
			_ = e.Scheduler.Schedule(ctx, Task{Kind: TaskExpire, RunID: runID, Due: due})
		}
	default:
		e.log().WarnContext(ctx, "expiring run", "run_id", runID, "err", err)
	}
}

var errNothingToDo = errors.New("nothing to do")

// AttachMessage records where a run's approval request was posted, so its progress goes
// to that message's thread.
func (e *Engine) AttachMessage(ctx context.Context, runID, channel, ts string) (Run, error) {
	return e.decide(ctx, runID, e.actor(), func(r *Run) ([]AuditEvent, error) {
		r.Origin.Channel, r.Origin.ThreadTS = channel, ts
		return nil, nil
	})
}
