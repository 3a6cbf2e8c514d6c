package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/okta-chatops/okta-chatops/logctx"
)

// This file answers "how is one plan applied to many users of one app" (a bulk run,
// from an incident): one approval, a canary user fixed and verified before anyone else
// is touched, then batches with provisioning paused once per batch and restored after
// it, stopping early when too many users fail. A bulk run is a Run with Bulk set: it
// is saved, leased, heart-beaten, swept and cancelled as any run; only its step loop
// (runBulk) differs. Each user's step state is in the run record, written before and
// after each change, so a crash resumes without redoing or skipping anyone.

// BulkRules is the policy of bulk runs (the policy file's bulk: section).
type BulkRules struct {
	// Threshold: more users than this need Quorum distinct approvers (default 5, 2).
	Threshold int `json:"threshold,omitempty"`
	Quorum    int `json:"quorum,omitempty"`
	// BatchSize bounds the users changed within one provisioning pause (default 25).
	BatchSize int `json:"batch_size,omitempty"`
	// StopAfterFailures stops the run after this many failed users (default 3);
	// MaxFailureRate stops it when more than this share of the users attempted failed
	// (default 0.2), judged once minFailureSample users were attempted.
	StopAfterFailures int     `json:"stop_after_failures,omitempty"`
	MaxFailureRate    float64 `json:"max_failure_rate,omitempty"`
}

// The defaults of BulkRules (DESIGN: Bulk runs).
const (
	DefaultBulkThreshold      = 5
	DefaultBulkQuorum         = 2
	DefaultBulkBatchSize      = 25
	DefaultBulkStopAfter      = 3
	DefaultBulkMaxFailureRate = 0.2
)

// minFailureSample is how many users must have been attempted before the failure rate
// stops a run: one failure among the first two users is not yet a rate.
const minFailureSample = 5

// WithDefaults fills the unset rules with the defaults.
func (b BulkRules) WithDefaults() BulkRules {
	if b.Threshold <= 0 {
		b.Threshold = DefaultBulkThreshold
	}
	if b.Quorum <= 0 {
		b.Quorum = DefaultBulkQuorum
	}
	if b.BatchSize <= 0 {
		b.BatchSize = DefaultBulkBatchSize
	}
	if b.StopAfterFailures <= 0 {
		b.StopAfterFailures = DefaultBulkStopAfter
	}
	if b.MaxFailureRate <= 0 {
		b.MaxFailureRate = DefaultBulkMaxFailureRate
	}
	return b
}

// BulkUserStatus is where one user of a bulk run is.
type BulkUserStatus string

// The statuses of a bulk run's user.
const (
	BulkPending   BulkUserStatus = "pending"   // not touched yet
	BulkWorking   BulkUserStatus = "working"   // re-checked; their steps are under way
	BulkFailing   BulkUserStatus = "failing"   // a step failed; what was done is being undone
	BulkApplied   BulkUserStatus = "applied"   // every step done; waiting for verification
	BulkFixed     BulkUserStatus = "fixed"     // verified
	BulkFailed    BulkUserStatus = "failed"    // a step failed or verification did not pass
	BulkSkipped   BulkUserStatus = "skipped"   // already healthy when re-checked
	BulkChanged   BulkUserStatus = "changed"   // no longer assigned when re-checked: left alone
	BulkUntouched BulkUserStatus = "untouched" // the run stopped before them (reported only)
)

// BulkStep is one step of one user, as the run record keeps it (write-ahead).
type BulkStep struct {
	Kind     StepKind   `json:"kind"`
	Status   StepStatus `json:"status"`
	Attempts int        `json:"attempts,omitempty"`
}

// BulkUser is one user of a bulk run and their progress.
type BulkUser struct {
	ID     string         `json:"id"`
	Login  string         `json:"login"`
	Status BulkUserStatus `json:"status"`
	// What the re-check just before the change read: the externalId to replace, the
	// scope, the groups to return to, the Slack account to relink.
	StaleExternalID string   `json:"stale,omitempty"`
	Scope           string   `json:"scope,omitempty"`
	RegroupIDs      []string `json:"regroup,omitempty"`
	SaaSUserID      string   `json:"saas,omitempty"`
	// Steps are the user's own steps (the provisioning switches are the batch's); they
	// are dropped once the user's result is final, to keep the record small.
	Steps  []BulkStep `json:"steps,omitempty"`
	Cursor int        `json:"cursor,omitempty"`
	Error  string     `json:"error,omitempty"`
}

// Bulk is the state of a bulk run: its users, where it is, and its limits.
type Bulk struct {
	IncidentID string     `json:"incident_id,omitempty"`
	Users      []BulkUser `json:"users"`
	Rules      BulkRules  `json:"rules"`
	// Next is the first user not yet in a batch; [Start, End) is the current batch.
	Next  int `json:"next"`
	Start int `json:"start"`
	End   int `json:"end"`
	// Phase is where the current batch is (bulkIdle between batches).
	Phase string `json:"phase,omitempty"`
	// Batches counts the batches started (the canary's included).
	Batches int `json:"batches,omitempty"`
	// CanaryDone: a user was fixed and verified; until then batches hold one user.
	CanaryDone bool `json:"canary_done,omitempty"`
	// Paused: provisioning may be off for the current batch; a restore is owed.
	Paused   bool      `json:"paused,omitempty"`
	PausedAt time.Time `json:"paused_at,omitzero"`
	// LongestPause is the longest provisioning-off window so far.
	LongestPause time.Duration `json:"longest_pause,omitempty"`
	// Attempts counts the tries of the batch-level call under way (pause, restore).
	Attempts       int       `json:"attempts,omitempty"`
	VerifyDeadline time.Time `json:"verify_deadline,omitzero"`
	// Stopped says why the run stops before its last user ("" while it goes on).
	Stopped Text `json:"stopped,omitzero"`
	// StartedAt is when the first batch began (for the estimate of what is left).
	StartedAt time.Time `json:"started_at,omitzero"`
}

// The phases of a batch.
const (
	bulkIdle      = ""
	bulkPausing   = "pausing"
	bulkWorking   = "working"
	bulkRestoring = "restoring"
	bulkVerifying = "verifying"
)

// The audit events of a bulk run's users and batches.
const (
	// AuditUserChanged: every step of one user of a bulk run is done (one entry per
	// user's change; the detail lists the steps).
	AuditUserChanged AuditType = "user_changed"
	// AuditUserFailed: one user of a bulk run failed (what was done is undone).
	AuditUserFailed AuditType = "user_failed"
	// AuditUserSkipped: one user was already healthy, or changed, when re-checked.
	AuditUserSkipped AuditType = "user_skipped"
	// AuditBatchDone: a batch ended, provisioning restored and its users verified.
	AuditBatchDone AuditType = "batch_done"
)

// BulkCounts sums a bulk run's users by result.
type BulkCounts struct {
	Total, Fixed, Failed, Skipped, Left int
	// Applied are changed and waiting for verification (counted in Left too).
	Applied int
}

// Counts sums the users by result; Left is every user without a final result.
func (b *Bulk) Counts() BulkCounts {
	c := BulkCounts{Total: len(b.Users)}
	for _, u := range b.Users {
		switch u.Status {
		case BulkFixed:
			c.Fixed++
		case BulkFailed:
			c.Failed++
		case BulkSkipped, BulkChanged:
			c.Skipped++
		default:
			c.Left++
			if u.Status == BulkApplied {
				c.Applied++
			}
		}
	}
	return c
}

// Estimate is how long the users left should take at the pace so far (0 when there is
// no pace yet).
func (b *Bulk) Estimate(now time.Time) time.Duration {
	c := b.Counts()
	done := c.Total - c.Left
	if b.StartedAt.IsZero() || done == 0 || c.Left == 0 {
		return 0
	}
	per := now.Sub(b.StartedAt) / time.Duration(done)
	return (per * time.Duration(c.Left)).Round(time.Second)
}

// UserResult is the result of a user as shown at the end: their status, untouched for
// a user the run never reached.
func (b *Bulk) UserResult(i int) BulkUserStatus {
	if b.Users[i].Status == BulkPending {
		return BulkUntouched
	}
	return b.Users[i].Status
}

func (b *Bulk) clone() *Bulk {
	if b == nil {
		return nil
	}
	c := *b
	c.Users = slices.Clone(b.Users)
	for i := range c.Users {
		c.Users[i].Steps = slices.Clone(c.Users[i].Steps)
		c.Users[i].RegroupIDs = slices.Clone(c.Users[i].RegroupIDs)
	}
	return &c
}

// BulkObserver is an Observer that also counts bulk runs' users by result (the
// metrics); the engine uses it when its Observer implements it.
type BulkObserver interface {
	BulkUserEnded(result BulkUserStatus)
}

func (e *Engine) observeBulkUser(s BulkUserStatus) {
	if o, ok := e.observer.(BulkObserver); ok {
		o.BulkUserEnded(s)
	}
}

// BulkRules is the policy's bulk rules with the defaults filled in.
func (p *Policy) BulkRules() BulkRules { return p.Bulk.WithDefaults() }

// BulkRequest asks for one plan for the users of an incident.
type BulkRequest struct {
	Incident  Incident
	Plan      PlanID
	Requester string
	Origin    Origin
}

// pausesForBatch reports whether plan p turns provisioning off around its changes.
func pausesForBatch(p PlanID) bool { return p == PlanResetExternalID || p == PlanRelinkSaaSUser }

// ProposeBulk saves one run of plan p for every user of the incident who shares it,
// awaiting approval: the dry run is one user's (the canary's, read from Okta now), the
// quorum is the bulk quorum above the threshold.
func (e *Engine) ProposeBulk(ctx context.Context, req BulkRequest) (Run, error) {
	if err := e.policy.MayRequest(ctx, req.Requester); err != nil {
		return Run{}, err
	}
	in := req.Incident
	var users []BulkUser
	for _, u := range in.Users {
		if in.Plan == req.Plan || slices.Contains(u.Plans, req.Plan) {
			users = append(users, BulkUser{ID: u.ID, Login: u.Login, Status: BulkPending})
		}
	}
	if !req.Plan.Known() || len(users) == 0 {
		return Run{}, refuse("No user of this incident shares the fix %s; diagnose them one by one.", "このインシデントには対処 %s を共有するユーザーがいません。1 人ずつ診断してください。", req.Plan)
	}
	now := e.now()
	rules := e.policy.BulkRules()
	r := Run{
		ID: NewRunID(), Plan: req.Plan, Finding: in.Code,
		Target:    Target{AppID: in.App.ID, AppLabel: in.App.Label, AppName: in.App.Name, UserLogin: bulkLogin(users)},
		Requester: req.Requester, Origin: req.Origin, CreatedAt: now, UpdatedAt: now,
		Bulk: &Bulk{IncidentID: in.ID, Users: users, Rules: rules},
	}
	// The dry run: the plan for one user, laid out as a single run's would be. The
	// first users still assigned give it (a user healed meanwhile is passed over).
	var err error
	for i := 0; i < len(users) && i < 5; i++ {
		one := r
		one.Target.UserID, one.Target.UserLogin = users[i].ID, users[i].Login
		if err = e.plan(ctx, &one, User{ID: users[i].ID, Login: users[i].Login}); err == nil {
			r.Snapshot, r.Steps, r.State = one.Snapshot, one.Steps, one.State
			r.Approvers, r.Quorum, r.ExpiresAt = one.Approvers, one.Quorum, one.ExpiresAt
			break
		}
		if _, refused := AsRefusal(err); !refused {
			return Run{}, err
		}
	}
	if err != nil {
		return Run{}, err
	}
	if pausesForBatch(r.Plan) && r.Snapshot.Provisioning == nil {
		return Run{}, refuse("%s has no Features API, so provisioning cannot be paused per batch by the bot: fix these users one by one (each with its manual steps).",
			"%s は Features API に対応していないため、ボットがバッチごとにプロビジョニングを一時停止できません。ユーザーごとに(手動の手順を含めて)対処してください。", r.Target.AppLabel)
	}
	if len(users) > rules.Threshold {
		r.Quorum = max(r.Quorum, rules.Quorum)
	}
	if len(r.Approvers) == 0 {
		return Run{}, refuse("No approvers are configured for %s: ask the bot's operator to add approvers (or a policy file).",
			"%s の承認者が設定されていません。ボットの運用担当者に承認者(またはポリシーファイル)の設定を依頼してください。", r.Plan)
	}
	// One bulk run per app at a time: the (user, app) lock with no user.
	if holder, err := e.store.Lock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID, e.pairTTL(&r)); err != nil {
		if errors.Is(err, ErrConflict) {
			return Run{}, refuse("Bulk run %s is already in progress on %s; one bulk run per app at a time.",
				"%[2]s ではすでに一括実行 %[1]s が進行中です。一括実行は 1 つのアプリにつき一度に 1 つです。", holder, r.Target.AppLabel)
		}
		return Run{}, fmt.Errorf("locking %s: %w", r.Target.AppLabel, err)
	}
	ctx = logctx.With(ctx, "run_id", r.ID)
	ev := e.event(&r, AuditProposed, r.Requester)
	ev.Codes = []Code{r.Finding}
	ev.Detail = fmt.Sprintf("bulk: %d users of incident %s; batches of %d after a canary; stop after %d failed or more than %.0f%% failed; approvers %v, quorum %d, expires %s",
		len(users), in.ID, rules.BatchSize, rules.StopAfterFailures, rules.MaxFailureRate*100, r.Approvers, r.Quorum, r.ExpiresAt.Format(time.RFC3339))
	if err := e.store.CreateRun(ctx, &r, ev); err != nil {
		_ = e.store.Unlock(ctx, PairKey(r.Target.UserID, r.Target.AppID), r.ID)
		return Run{}, fmt.Errorf("saving run: %w", err)
	}
	e.notify(ctx, r, ev)
	if err := e.sched.Schedule(ctx, Task{Kind: TaskExpire, RunID: r.ID, Due: r.ExpiresAt}); err != nil {
		e.log.WarnContext(ctx, "scheduling expiry", "run_id", r.ID, "err", err)
	}
	e.scheduleReminder(ctx, &r, TaskRemindApproval)
	return r, nil
}

// bulkLogin names a bulk run's users in one line: the first, and how many more.
func bulkLogin(users []BulkUser) string {
	if len(users) == 1 {
		return users[0].Login
	}
	return fmt.Sprintf("%s +%d", users[0].Login, len(users)-1)
}

// userRun is the single-user view of user u of bulk run r that the step catalogue
// works on: the same app, plan and provisioning snapshot, the user's own reads.
func userRun(r *Run, u *BulkUser) Run {
	one := Run{ID: r.ID, Plan: r.Plan, Requester: r.Requester,
		Target:   Target{UserID: u.ID, UserLogin: u.Login, AppID: r.Target.AppID, AppLabel: r.Target.AppLabel, AppName: r.Target.AppName},
		Snapshot: Snapshot{Provisioning: r.Snapshot.Provisioning, StaleExternalID: u.StaleExternalID, SaaSUserID: u.SaaSUserID, RegroupIDs: u.RegroupIDs},
	}
	one.Snapshot.AppUser.Scope = u.Scope
	return one
}

// userSteps are plan p's steps for one user without the run-level ones (the snapshot
// and the provisioning switches, which are the batch's).
func userSteps(p PlanID, s Snapshot) ([]BulkStep, error) {
	kinds, err := BuildSteps(p, s)
	if err != nil {
		return nil, err
	}
	var out []BulkStep
	for _, k := range kinds {
		switch k {
		case StepSnapshot, StepProvisioningOff, StepProvisioningOffMan, StepRestore, StepRestoreMan:
			continue
		}
		out = append(out, BulkStep{Kind: k, Status: StepPending})
	}
	return out, nil
}

// runBulk is the step loop of an owned bulk run: batch after batch until every user
// has a result, the run stops, or it must wait (a back-off, a verification poll).
func (e *Engine) runBulk(ctx context.Context, r *Run) error {
	b := r.Bulk
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var wait bool
		var err error
		switch b.Phase {
		case bulkIdle:
			if r.CancelRequested || !b.Stopped.IsZero() || b.Next >= len(b.Users) {
				return e.finishBulk(ctx, r)
			}
			wait, err = e.startBatch(ctx, r)
		case bulkPausing:
			wait, err = e.pauseBatch(ctx, r)
		case bulkWorking:
			wait, err = e.workBatch(ctx, r)
		case bulkRestoring:
			wait, err = e.restoreBatch(ctx, r)
		case bulkVerifying:
			wait, err = e.verifyBatch(ctx, r)
		default:
			return fmt.Errorf("bulk run %s in unknown phase %q: %w", r.ID, b.Phase, ErrPermanent)
		}
		if err != nil || wait {
			return err
		}
	}
}

// bulkEvent is an audit event about one user of a bulk run.
func (e *Engine) bulkEvent(r *Run, t AuditType, u *BulkUser) AuditEvent {
	ev := e.event(r, t, e.actor())
	ev.UserID = u.ID
	return ev
}

// startBatch opens the next batch: one user until the canary is verified, then at
// most BatchSize. For a plan that pauses provisioning, the settings must still be the
// approved ones: a pause restores exactly what was approved, nothing else.
func (e *Engine) startBatch(ctx context.Context, r *Run) (bool, error) {
	b := r.Bulk
	size := b.Rules.BatchSize
	if !b.CanaryDone {
		size = 1
	}
	if b.StartedAt.IsZero() {
		b.StartedAt = e.now()
	}
	b.Start, b.End = b.Next, min(b.Next+size, len(b.Users))
	b.Attempts = 0
	b.Phase = bulkWorking
	if pausesForBatch(r.Plan) {
		p, err := e.env.okta.GetProvisioning(ctx, r.Target.AppID)
		if err != nil {
			if IsRetryable(err) {
				return e.bulkRetry(ctx, r, err)
			}
			b.Stopped = Tf("the provisioning settings of %s could not be read (%v)", "%s のプロビジョニング設定を取得できませんでした(%v)", r.Target.AppLabel, err)
			return false, e.save(ctx, r)
		}
		if p.Capabilities != r.Snapshot.Provisioning.Capabilities {
			b.Stopped = Tf("the provisioning settings of %s changed since the approval (now %s)", "承認後に %s のプロビジョニング設定が変わりました(現在: %s)",
				r.Target.AppLabel, p.Capabilities.Describe())
			return false, e.save(ctx, r)
		}
		// Pause only when the batch's calls fit in the Okta budget's current window:
		// a wait for the next window would stretch the pause.
		if bw, ok := e.env.okta.(budgetWaiter); ok {
			if err := bw.AwaitAppsBudget(ctx, batchCalls(r)); err != nil {
				if ctx.Err() != nil {
					return true, ctx.Err()
				}
				return e.bulkRetry(ctx, r, err)
			}
		}
		// Write-ahead: from here a restore is owed, whatever happens to the PUT.
		b.Phase, b.Paused, r.ProvisioningPaused = bulkPausing, true, true
	}
	b.Batches++
	return false, e.save(ctx, r)
}

// budgetWaiter is an Okta port that paces itself and can wait until a number of calls
// fit in its budget's current window (the Okta adapter).
type budgetWaiter interface {
	AwaitAppsBudget(ctx context.Context, calls int) error
}

// batchCalls is about how many Okta calls the current batch makes while provisioning
// is off: each user's re-check and steps, and the two switches.
func batchCalls(r *Run) int {
	perUser := 1 // the re-check
	for _, s := range r.Steps {
		switch s.Kind {
		case StepSnapshot, StepProvisioningOff, StepRestore:
		default:
			perUser++
		}
	}
	return perUser*(r.Bulk.End-r.Bulk.Start) + 2
}

// pauseBatch turns provisioning off for the batch.
func (e *Engine) pauseBatch(ctx context.Context, r *Run) (bool, error) {
	b := r.Bulk
	if err := e.env.apply(ctx, setCaps(r, r.Snapshot.Provisioning.Capabilities.Off())[0]); err != nil {
		if IsRetryable(err) && b.Attempts+1 < e.opts.MaxAttempts {
			return e.bulkRetry(ctx, r, err)
		}
		b.Stopped = Tf("provisioning of %s could not be paused (%v)", "%s のプロビジョニングを一時停止できませんでした(%v)", r.Target.AppLabel, err)
		b.Phase, b.Attempts = bulkRestoring, 0
		return false, e.save(ctx, r)
	}
	b.Phase, b.Attempts, b.PausedAt = bulkWorking, 0, e.now()
	ev := e.event(r, AuditStepDone, e.actor())
	ev.Kind = StepProvisioningOff
	ev.Detail = fmt.Sprintf("batch %d (users %d–%d of %d): provisioning paused", b.Batches, b.Start+1, b.End, len(b.Users))
	return false, e.save(ctx, r, ev)
}

// workBatch works the batch's next user. Between users it honours a cancel or a stop:
// the batch closes (provisioning restored) and no one else is touched.
func (e *Engine) workBatch(ctx context.Context, r *Run) (bool, error) {
	b := r.Bulk
	next := -1
	for i := b.Start; i < b.End; i++ {
		switch b.Users[i].Status {
		case BulkWorking, BulkFailing:
			return e.workUser(ctx, r, i) // finish the user under way, whatever else
		case BulkPending:
			if next < 0 {
				next = i
			}
		}
	}
	if next < 0 || r.CancelRequested || !b.Stopped.IsZero() {
		b.Phase, b.Attempts = bulkRestoring, 0
		return false, e.save(ctx, r)
	}
	return e.workUser(ctx, r, next)
}

// workUser re-checks one user just before their change, then does their steps with
// write-ahead persistence, or undoes what was done when one fails.
func (e *Engine) workUser(ctx context.Context, r *Run, i int) (bool, error) {
	b := r.Bulk
	u := &b.Users[i]
	ctx = logctx.With(ctx, "okta_user_id", u.ID)
	if u.Status == BulkPending {
		if done, wait, err := e.recheckUser(ctx, r, i); done || wait || err != nil {
			return wait, err
		}
	}
	defs := stepDefs()
	for u.Status == BulkWorking && u.Cursor < len(u.Steps) {
		s := &u.Steps[u.Cursor]
		def := defs[s.Kind]
		resume := s.Status == StepRunning || s.Attempts > 0
		s.Status = StepRunning
		s.Attempts++
		if err := e.save(ctx, r); err != nil { // write-ahead
			return true, err
		}
		one := userRun(r, u)
		already := false
		var err error
		if resume && def.check != nil {
			already, err = def.check(ctx, e.env, &one)
		}
		if err == nil && !already {
			err = def.doStep(ctx, e.env, &one)
		}
		switch {
		case err == nil:
			s.Status = StepDone
			u.Cursor++
		case ctx.Err() != nil:
			return true, ctx.Err()
		case IsRetryable(err) && s.Attempts < e.opts.MaxAttempts:
			s.Status = StepPending
			u.Error = err.Error()
			return e.bulkRetry(ctx, r, err)
		default:
			s.Status = StepFailed
			u.Status = BulkFailing
			u.Error = fmt.Sprintf("%s: %v", s.Kind, err)
			if err := e.save(ctx, r); err != nil {
				return true, err
			}
		}
	}
	if u.Status == BulkFailing {
		return e.undoUser(ctx, r, i)
	}
	u.Status, u.Error, b.Attempts = BulkApplied, "", 0
	ev := e.bulkEvent(r, AuditUserChanged, u)
	ev.Detail = fmt.Sprintf("%s: %s done (externalId was %q)", u.Login, stepList(u.Steps), u.StaleExternalID)
	return false, e.save(ctx, r, ev)
}

// recheckUser reads the user just before their change. done is true when the user
// needs nothing (already healthy, or no longer assigned) or failed.
func (e *Engine) recheckUser(ctx context.Context, r *Run, i int) (done, wait bool, err error) {
	u := &r.Bulk.Users[i]
	one := userRun(r, u)
	au, assigned, err := e.env.isAssigned(ctx, &one)
	if err != nil {
		return e.userTrouble(ctx, r, i, err)
	}
	if !assigned || au.SyncState == SyncSynchronized && au.ExternalID != "" {
		u.Status = BulkSkipped
		why := "already healthy (" + au.SyncState + ")"
		if !assigned {
			u.Status, why = BulkChanged, "no longer assigned to "+r.Target.AppLabel+": left alone"
		}
		u.Error = why
		e.observeBulkUser(u.Status)
		ev := e.bulkEvent(r, AuditUserSkipped, u)
		ev.Detail = u.Login + ": " + why
		return true, false, e.save(ctx, r, ev)
	}
	u.StaleExternalID, u.Scope = au.ExternalID, au.Scope
	one = userRun(r, u)
	if au.Scope == ScopeGroup {
		if u.RegroupIDs, err = e.env.regroupIDs(ctx, &one); err != nil {
			return e.userTrouble(ctx, r, i, err)
		}
	}
	if r.Plan == PlanRelinkSaaSUser {
		acct, err := e.env.saas.FindAccount(ctx, u.Login)
		if err != nil {
			return e.userTrouble(ctx, r, i, fmt.Errorf("finding the Slack account of %s: %w", u.Login, err))
		}
		u.SaaSUserID = acct.ID
	}
	one = userRun(r, u)
	one.Snapshot.AppUser = au
	steps, err := userSteps(r.Plan, one.Snapshot)
	if err != nil {
		return e.userTrouble(ctx, r, i, err)
	}
	u.Steps, u.Cursor, u.Status = steps, 0, BulkWorking
	return false, false, nil
}

// userTrouble handles an error before a user's first change: a transient one waits and
// tries again; another fails the user (nothing of theirs was changed).
func (e *Engine) userTrouble(ctx context.Context, r *Run, i int, err error) (done, wait bool, _ error) {
	if ctx.Err() != nil {
		return true, true, ctx.Err()
	}
	if IsRetryable(err) && r.Bulk.Attempts+1 < e.opts.MaxAttempts {
		w, serr := e.bulkRetry(ctx, r, err)
		return true, w, serr
	}
	u := &r.Bulk.Users[i]
	u.Error = err.Error()
	return true, false, e.failUser(ctx, r, i)
}

// undoUser undoes, newest first, the steps of a user whose step failed, so that no
// user is left unassigned, then records the user failed.
func (e *Engine) undoUser(ctx context.Context, r *Run, i int) (bool, error) {
	u := &r.Bulk.Users[i]
	defs := stepDefs()
	one := userRun(r, u)
	for j := min(u.Cursor, len(u.Steps)-1); j >= 0; j-- {
		s := &u.Steps[j]
		def := defs[s.Kind]
		undo := s.Status == StepDone
		var err error
		if (s.Status == StepFailed || s.Status == StepRunning) && def.check != nil && def.undo != nil {
			undo, err = def.check(ctx, e.env, &one) // a failed call may have taken effect
		}
		if err == nil && undo && def.undo != nil {
			err = def.undo(ctx, e.env, &one)
		}
		if err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			if IsRetryable(err) && r.Bulk.Attempts+1 < e.opts.MaxAttempts {
				return e.bulkRetry(ctx, r, err)
			}
			// Said loudly, and the run stops: something is wrong beyond this user.
			r.Alert = Tf("The fix of %s on %s failed and could not be undone (%v): check the assignment by hand (Admin Console → Applications → %s → Assignments).",
				"%s の %s に対する対処が失敗し、元に戻せませんでした(%v)。割り当てを手動で確認してください(管理コンソール → [アプリケーション] → %s → [割り当て])。",
				u.Login, r.Target.AppLabel, err, r.Target.AppLabel)
			r.Bulk.Stopped = Tf("the fix of %s could not be undone", "%s への対処を元に戻せませんでした", u.Login)
			ev := e.bulkEvent(r, AuditAlert, u)
			ev.Detail = r.Alert.EN
			u.Error += "; undo failed: " + err.Error()
			if err := e.save(ctx, r, ev); err != nil {
				return true, err
			}
			break
		}
		if undo {
			s.Status = StepCompensated
		}
	}
	return false, e.failUser(ctx, r, i)
}

// failUser records user i failed, and stops the run when the failures reach a limit.
func (e *Engine) failUser(ctx context.Context, r *Run, i int) error {
	b := r.Bulk
	u := &b.Users[i]
	u.Status, u.Steps, b.Attempts = BulkFailed, nil, 0
	e.observeBulkUser(BulkFailed)
	ev := e.bulkEvent(r, AuditUserFailed, u)
	ev.Detail = u.Login + ": " + u.Error
	b.judge(r)
	return e.save(ctx, r, ev)
}

// judge stops the run when the failures reach the limits, or when the canary failed.
func (b *Bulk) judge(r *Run) {
	if !b.Stopped.IsZero() {
		return
	}
	c := b.Counts()
	attempted := c.Fixed + c.Failed + c.Applied
	switch {
	case !b.CanaryDone && c.Failed > 0:
		b.Stopped = T("the canary user failed, so nobody else was touched", "カナリアのユーザーで失敗したため、他のユーザーには手を付けていません")
	case c.Failed >= b.Rules.StopAfterFailures:
		b.Stopped = Tf("%d users failed (the limit is %d)", "%d 人のユーザーで失敗しました(上限は %d 人)", c.Failed, b.Rules.StopAfterFailures)
	case attempted >= minFailureSample && float64(c.Failed) > b.Rules.MaxFailureRate*float64(attempted):
		b.Stopped = Tf("%d of the %d users attempted failed (more than %.0f%%)", "対処した %[2]d 人のうち %[1]d 人で失敗しました(%.0[3]f%% を超えています)",
			c.Failed, attempted, b.Rules.MaxFailureRate*100)
	}
}

// restoreBatch puts the provisioning settings back exactly as approved. A restore is
// retried with back-off for as long as it takes, loudly after a permanent error.
func (e *Engine) restoreBatch(ctx context.Context, r *Run) (bool, error) {
	b := r.Bulk
	if b.Paused {
		if err := e.env.restoreProvisioning(ctx, r); err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			if !IsRetryable(err) && r.OwedSince.IsZero() {
				r.OwedSince = e.now()
				r.Alert = owedAlert(r, err)
				ev := e.event(r, AuditAlert, e.actor())
				ev.Detail = r.Alert.EN
				e.log.ErrorContext(ctx, "a bulk run owes a restore of provisioning it cannot make; retrying with back-off", "run_id", r.ID, "err", err)
				if err := e.save(ctx, r, ev); err != nil {
					return true, err
				}
			}
			b.Attempts = min(b.Attempts, 30)
			return e.bulkRetry(ctx, r, err)
		}
		off := time.Duration(0)
		if !b.PausedAt.IsZero() {
			off = e.now().Sub(b.PausedAt)
		}
		b.LongestPause = max(b.LongestPause, off)
		b.Paused, r.ProvisioningPaused, r.OwedSince = false, false, time.Time{}
		if e.observer != nil && !b.PausedAt.IsZero() {
			e.observer.ProvisioningResumed(off)
		}
		b.PausedAt = time.Time{}
		ev := e.event(r, AuditStepDone, e.actor())
		ev.Kind = StepRestore
		ev.Detail = fmt.Sprintf("batch %d: provisioning restored after %s", b.Batches, off.Round(time.Millisecond))
		b.Phase, b.Attempts, b.VerifyDeadline = bulkVerifying, 0, e.now().Add(e.opts.VerifyTimeout)
		return false, e.save(ctx, r, ev)
	}
	b.Phase, b.Attempts, b.VerifyDeadline = bulkVerifying, 0, e.now().Add(e.opts.VerifyTimeout)
	return false, e.save(ctx, r)
}

// verifyBatch reads the batch's changed users afresh until each is verified or
// the verification timeout passes, then closes the batch.
func (e *Engine) verifyBatch(ctx context.Context, r *Run) (bool, error) {
	b := r.Bulk
	now := e.now()
	listed := e.listBatch(ctx, r)
	waiting := 0
	for i := b.Start; i < b.End; i++ {
		u := &b.Users[i]
		if u.Status != BulkApplied {
			continue
		}
		one := userRun(r, u)
		var ok bool
		var why string
		var err error
		if listed != nil {
			au, assigned := listed[u.ID]
			ok, why, err = e.verifiedAs(ctx, &one, au, assigned)
		} else {
			ok, why, err = e.verified(ctx, &one)
		}
		switch {
		case ok:
			u.Status, u.Steps, u.Error = BulkFixed, nil, ""
			e.observeBulkUser(BulkFixed)
			if !b.CanaryDone && i == b.Start {
				b.CanaryDone = true
			}
		case now.Before(b.VerifyDeadline) && (err == nil || IsRetryable(err)):
			waiting++
		default:
			if err != nil {
				why = "verification could not read Okta: " + err.Error()
			}
			u.Error = "not verified within " + e.opts.VerifyTimeout.String() + ": " + why
			if err := e.failUser(ctx, r, i); err != nil {
				return true, err
			}
		}
	}
	if waiting > 0 {
		r.RetryAt = now.Add(e.opts.VerifyEvery)
		if err := e.save(ctx, r); err != nil {
			return true, err
		}
		return true, e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: r.RetryAt})
	}
	b.judge(r)
	c := b.Counts()
	ev := e.event(r, AuditBatchDone, e.actor())
	ev.Detail = fmt.Sprintf("batch %d (users %d–%d): so far %d fixed, %d failed, %d skipped, %d left", b.Batches, b.Start+1, b.End, c.Fixed, c.Failed, c.Skipped, c.Left)
	b.Phase, b.Next, r.RetryAt = bulkIdle, b.End, time.Time{}
	return false, e.save(ctx, r, ev)
}

// appUserLister pages through an app's users (the Okta adapter): a batch's users are
// verified from one listing rather than a read each.
type appUserLister interface {
	ListAppUsers(ctx context.Context, appID, after string, limit int) ([]AppUser, string, error)
}

// minListed is how many users waiting for verification make a listing worth it.
const minListed = 5

// listBatch reads the app's users, page by page until every user of the batch waiting
// for verification is found, when the Okta port can list and enough users wait; nil
// otherwise (or when the listing fails: each user is then read alone). A user missing
// from a complete listing is not assigned.
func (e *Engine) listBatch(ctx context.Context, r *Run) map[string]AppUser {
	lister, ok := e.env.okta.(appUserLister)
	if !ok {
		return nil
	}
	want := map[string]bool{}
	for i := r.Bulk.Start; i < r.Bulk.End; i++ {
		if r.Bulk.Users[i].Status == BulkApplied {
			want[r.Bulk.Users[i].ID] = true
		}
	}
	if len(want) < minListed {
		return nil
	}
	out := map[string]AppUser{}
	after := ""
	for found := 0; found < len(want); {
		page, next, err := lister.ListAppUsers(ctx, r.Target.AppID, after, 500)
		if err != nil {
			e.log.WarnContext(ctx, "listing the app's users to verify a batch; reading each instead", "run_id", r.ID, "err", err)
			return nil
		}
		for _, au := range page {
			if want[au.ID] {
				out[au.ID] = au
				found++
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	return out
}

// bulkRetry waits out a transient error: the run is saved with its back-off and
// handed to the scheduler.
func (e *Engine) bulkRetry(ctx context.Context, r *Run, cause error) (bool, error) {
	r.Bulk.Attempts++
	r.RetryAt = e.now().Add(e.backoff(r.Bulk.Attempts))
	e.log.WarnContext(ctx, "bulk run will retry", "run_id", r.ID, "err", cause)
	if err := e.save(ctx, r); err != nil {
		return true, err
	}
	return true, e.sched.Schedule(ctx, Task{Kind: TaskAdvance, RunID: r.ID, Due: r.RetryAt})
}

// finishBulk ends a bulk run with every user's result.
func (e *Engine) finishBulk(ctx context.Context, r *Run) error {
	b := r.Bulk
	c := b.Counts()
	sum := Tf("%d fixed, %d failed, %d skipped, %d not touched", "修正 %d 人、失敗 %d 人、スキップ %d 人、未処理 %d 人", c.Fixed, c.Failed, c.Skipped, c.Left)
	var ev AuditEvent
	switch {
	case r.CancelRequested:
		r.State = StateCancelled
		r.Outcome = Tf("Cancelled between users: %s. Provisioning is restored.", "ユーザーの合間で取り消しました: %s。プロビジョニング設定は復元済みです。", sum)
		ev = e.event(r, AuditCancelled, e.actor())
	case !b.Stopped.IsZero():
		r.State = StateFailed
		r.Error = "stopped: " + b.Stopped.EN
		r.Outcome = Tf("Stopped because %s: %s. Provisioning is restored and nobody else was touched.", "停止しました(理由: %s): %s。プロビジョニング設定は復元済みで、残りのユーザーには手を付けていません。", b.Stopped, sum)
		ev = e.event(r, AuditFailed, e.actor())
	case c.Failed > 0:
		r.State = StateFailed
		r.Error = fmt.Sprintf("%d users failed", c.Failed)
		r.Outcome = Tf("Done, with failures: %s.", "完了しましたが、失敗したユーザーがいます: %s。", sum)
		ev = e.event(r, AuditFailed, e.actor())
	default:
		r.State = StateSucceeded
		r.Outcome = Tf("Every user is fixed and verified: %s.", "すべてのユーザーの対処が完了し、確認できました: %s。", sum)
		ev = e.event(r, AuditVerified, e.actor())
	}
	ev.Detail = sum.EN
	r.RetryAt = time.Time{}
	if err := e.save(ctx, r, ev); err != nil {
		return err
	}
	e.release(ctx, r)
	return nil
}

// stepList names steps in order, for the audit trail.
func stepList(steps []BulkStep) string {
	s := ""
	for i, st := range steps {
		if i > 0 {
			s += ", "
		}
		s += string(st.Kind)
	}
	return s
}

// bulkOffline stops a bulk run whose store cannot be written: from memory it restores
// provisioning when a batch may have it off and undoes the change of the user under
// way, then ends the run failed (kept in memory until the store takes it back).
func (e *Engine) bulkOffline(ctx context.Context, r *Run, cause error) error {
	b := r.Bulk
	if !r.Alert.IsZero() {
		// Tried before (tendOffline): retry what is still owed, quietly.
		return e.bulkOfflineAgain(ctx, r)
	}
	r.Alert = Tf("The bot's store cannot be written (%v): the bulk fix on %s stops here for safety. Provisioning is being restored, from memory.",
		"ボットのストアに書き込めません(%v)。安全のため、%s に対する一括の対処をここで中止します。メモリ上の情報からプロビジョニング設定を復元します。", cause, r.Target.AppLabel)
	ev := e.event(r, AuditAlert, e.actor())
	ev.Detail = r.Alert.EN
	_ = e.save(ctx, r, ev) // in memory
	for i := b.Start; i < b.End && i < len(b.Users); i++ {
		if s := b.Users[i].Status; s == BulkWorking || s == BulkFailing {
			b.Users[i].Status = BulkFailing
			if b.Users[i].Error == "" {
				b.Users[i].Error = "stopped: the bot's store could not be written"
			}
			if _, err := e.undoUser(ctx, r, i); err != nil {
				e.log.WarnContext(ctx, "undoing a bulk user from memory", "run_id", r.ID, "err", err)
			}
		}
	}
	b.Stopped = T("the bot's store could not be written", "ボットのストアに書き込めなかった")
	return e.bulkOfflineAgain(ctx, r)
}

// bulkOfflineAgain restores provisioning of an offline bulk run when still owed, then
// ends it.
func (e *Engine) bulkOfflineAgain(ctx context.Context, r *Run) error {
	b := r.Bulk
	if r.State.Terminal() {
		return nil
	}
	if b.Paused {
		if _, err := e.restoreBatch(ctx, r); err != nil {
			e.log.WarnContext(ctx, "restoring provisioning from memory", "run_id", r.ID, "err", err)
		}
	}
	if b.Paused {
		return nil // the restore is retried from memory (tendOffline) — said loudly above
	}
	b.Phase = bulkIdle
	return e.finishBulk(ctx, r)
}
