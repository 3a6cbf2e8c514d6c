package remediation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Decider is what the use cases need from the engine: its decisions on runs. The
// Engine implements it.
type Decider interface {
	Propose(ctx context.Context, req ProposeRequest) (Run, error)
	Approve(ctx context.Context, runID, by, reason string) (Run, error)
	Reject(ctx context.Context, runID, by, reason string) (Run, error)
	Cancel(ctx context.Context, runID, by, reason string) (Run, error)
	Confirm(ctx context.Context, runID string, step int, by string) (Run, error)
	AttachMessage(ctx context.Context, runID, channel, ts string) (Run, error)
	MarkHandled(ctx context.Context, runID, by, note string) (Run, error)
}

// People maps the chat's members (the IDs the policy names) to email addresses and
// back. It is how a requester's Okta manager is found: member → email → Okta user →
// managerId → manager's email → member.
type People interface {
	// UserEmail is a member's email address.
	UserEmail(ctx context.Context, memberID string) (string, error)
	// LookupByEmail is the member with that email address.
	LookupByEmail(ctx context.Context, email string) (string, error)
}

// Caller is who asks and where: a chat member in a channel, or the terminal's operator.
type Caller struct {
	// ID is the chat member ID (the policy's IDs), or OperatorActor for the terminal.
	ID string
	// Channel is where they asked; Direct says it is a direct message with the bot.
	Channel string
	Direct  bool
	// Locale is the language they read (the run's thread uses it).
	Locale Locale
	// operator: the terminal, run by whoever holds the Okta credentials; the chat
	// policy (who may request, in which channel) does not apply.
	operator bool
}

// OperatorActor is the audit actor of the terminal.
const OperatorActor = "cli"

// Operator is the terminal's caller.
func Operator() Caller { return Caller{ID: OperatorActor, operator: true} }

// where describes the caller's place for the audit trail.
func (c Caller) where() string {
	if c.operator {
		return "in a terminal"
	}
	return "in channel " + c.Channel
}

// ErrWrongChannel marks a refusal because commands are not answered in the caller's
// channel (a *WrongChannel).
var ErrWrongChannel = errors.New("not an allowed channel")

// WrongChannel refuses a command typed outside the allowed channels; Allowed names
// them.
type WrongChannel struct{ Allowed []string }

func (w *WrongChannel) Error() string {
	return "refused: not answered in this channel (allowed: " + strings.Join(w.Allowed, ", ") + ")"
}

// Is makes a WrongChannel both a refusal (ErrDenied) and ErrWrongChannel.
func (w *WrongChannel) Is(target error) bool { return target == ErrDenied || target == ErrWrongChannel }

// UseCasesConfig is what the use cases are built from.
type UseCasesConfig struct {
	Policy    *Policy
	Diagnoser *Diagnoser
	// Scanner scans an app's users (nil: Scan is unsupported).
	Scanner *Scanner
	// Engine decides on runs; nil for a front end that only diagnoses (the terminal).
	Engine Decider
	Store  CaseStore
	// Incidents reads the incidents a bulk fix is proposed for; nil: no bulk runs.
	Incidents IncidentReader
	// People finds members by email and back (the affected user, the requester's
	// manager); nil: neither is looked up.
	People People
	// Channels are the allowed channels: where commands are answered and approval
	// requests posted (empty: anywhere). Direct messages always work.
	Channels []string
	// KeepFor is how long a diagnosis shown is kept for a click on its fixes (default
	// 15 minutes); after that the click diagnoses again.
	KeepFor time.Duration
	Clock   Clock
	Logger  *slog.Logger
}

// UseCases owns what people do with okta-chatops, whatever they type it in (Slack, the
// terminal): diagnose, show the evidence, propose a fix, approve, reject, cancel,
// confirm a manual step, read the status and the audit trail. Each applies its policy
// check and leaves its audit event, so every front end behaves alike.
type UseCases struct {
	policy    *Policy
	diag      *Diagnoser
	scan      *Scanner
	eng       Decider
	store     CaseStore
	incidents IncidentReader
	people    People
	channels  []string
	keepFor   time.Duration
	clock     Clock
	log       *slog.Logger
}

// NewUseCases builds the use cases. Policy, Diagnoser and Store are required.
func NewUseCases(cfg UseCasesConfig) *UseCases {
	uc := &UseCases{
		policy: cfg.Policy, diag: cfg.Diagnoser, scan: cfg.Scanner, eng: cfg.Engine, store: cfg.Store, incidents: cfg.Incidents, people: cfg.People,
		channels: slices.Clone(cfg.Channels), keepFor: cfg.KeepFor, clock: cfg.Clock, log: cfg.Logger,
	}
	if uc.keepFor <= 0 {
		uc.keepFor = 15 * time.Minute
	}
	if uc.log == nil {
		uc.log = slog.New(slog.DiscardHandler)
	}
	return uc
}

// Risk is the risk of plan p under the policy.
func (uc *UseCases) Risk(p PlanID) Risk { return uc.policy.Rule(p).Risk }

// Admit says whether c may use okta-chatops here: in an allowed channel (or a direct
// message) and a requester or approver. A refusal is audited with what was tried.
func (uc *UseCases) Admit(ctx context.Context, c Caller, what string) error {
	if c.operator {
		return nil
	}
	var err error
	if len(uc.channels) > 0 && !c.Direct && !slices.Contains(uc.channels, c.Channel) {
		err = &WrongChannel{Allowed: slices.Clone(uc.channels)}
	} else {
		err = uc.policy.MayRequest(ctx, c.ID)
	}
	if err != nil {
		uc.refused(ctx, c, what, err)
	}
	return err
}

// refused records a refusal in the audit trail: who tried what, where, and why not.
// Errors that are not refusals (Okta down, a bad value) are not refusals of a person.
func (uc *UseCases) refused(ctx context.Context, c Caller, what string, err error) {
	var reason string
	var wc *WrongChannel
	if errors.As(err, &wc) {
		reason = "not an allowed channel (allowed: " + strings.Join(wc.Allowed, ", ") + ")"
	} else if ref, ok := AsRefusal(err); ok {
		reason = ref.Reason.EN
	} else {
		return
	}
	uc.audit(ctx, AuditEvent{Type: AuditRefused, Actor: c.ID, Detail: what + " " + c.where() + ": " + reason})
}

// audit appends ev; a failure is logged, not fatal: the action it records is done.
func (uc *UseCases) audit(ctx context.Context, ev AuditEvent) {
	ev.At = uc.clock.Now()
	if err := uc.store.Append(ctx, ev); err != nil {
		uc.log.WarnContext(ctx, "auditing", "event", ev.Type, "err", err)
	}
}

// Diagnose diagnoses userQuery on appQuery (every app of the user when empty), audits
// it, and keeps it so a click on one of its fixes rests on it. The caller was admitted
// (Admit) for this request.
func (uc *UseCases) Diagnose(ctx context.Context, c Caller, userQuery, appQuery string) (Diagnosis, error) {
	d, err := uc.diag.Diagnose(ctx, userQuery, appQuery)
	if err != nil {
		return Diagnosis{}, err
	}
	ev := AuditEvent{Type: AuditDiagnosed, Actor: c.ID, UserID: d.User.ID, Detail: c.where()}
	if d.App != nil {
		ev.AppID = d.App.ID
	}
	for _, f := range d.Findings {
		ev.Codes = append(ev.Codes, f.Code)
	}
	uc.audit(ctx, ev)
	uc.keep(ctx, d)
	return d, nil
}

// keep saves a diagnosis shown for the propose click (best effort: without it the
// click diagnoses again).
func (uc *UseCases) keep(ctx context.Context, d Diagnosis) {
	if d.User.ID == "" {
		return
	}
	k := KeptDiagnosis{Diagnosis: d, Fingerprint: Fingerprint(d), KeptAt: uc.clock.Now()}
	if err := uc.store.KeepDiagnosis(ctx, d.User.ID, k, uc.keepFor); err != nil {
		uc.log.WarnContext(ctx, "keeping a diagnosis", "okta_user_id", d.User.ID, "err", err)
	}
}

// Evidence diagnoses the user on the app again for an allowed person who asked to see
// the evidence, and audits the lookup.
func (uc *UseCases) Evidence(ctx context.Context, c Caller, userID, appID string) (Diagnosis, error) {
	if err := uc.mayRequest(ctx, c, "show evidence of "+userID+" on "+appID); err != nil {
		return Diagnosis{}, err
	}
	d, err := uc.diag.Diagnose(ctx, userID, appID)
	if err != nil {
		return Diagnosis{}, err
	}
	ev := AuditEvent{Type: AuditLookup, Actor: c.ID, UserID: d.User.ID, Detail: "evidence shown " + c.where()}
	if d.App != nil {
		ev.AppID = d.App.ID
	}
	uc.audit(ctx, ev)
	uc.keep(ctx, d)
	return d, nil
}

// mayRequest is the policy check of the actions that need no particular channel (a
// click on a posted message), with the refusal audited.
func (uc *UseCases) mayRequest(ctx context.Context, c Caller, what string) error {
	if c.operator {
		return nil
	}
	err := uc.policy.MayRequest(ctx, c.ID)
	if err != nil {
		uc.refused(ctx, c, what, err)
	}
	return err
}

// ProposeInput is a click on a proposed fix: the plan, for the user on the app.
type ProposeInput struct {
	Plan   PlanID
	UserID string
	AppID  string
}

// Proposal is a saved run awaiting approval, and the risk to show with it.
type Proposal struct {
	Run  Run
	Risk Risk
	// Rediagnosed says the diagnosis shown was gone (expired, or the store lost it) or
	// did not propose this fix any more, so Okta was diagnosed again.
	Rediagnosed bool
}

// Propose saves a run of the plan awaiting approval. It rests on the diagnosis just
// shown (kept by Diagnose and Evidence) when it still proposes this plan, so only the
// reads the engine's snapshot needs reach Okta; otherwise it diagnoses again. The
// approvers include the requester's Okta manager when the plan's rule says so. A
// request made in a direct message goes to the first allowed channel, where the
// approvers are.
func (uc *UseCases) Propose(ctx context.Context, c Caller, in ProposeInput) (Proposal, error) {
	what := "propose " + string(in.Plan) + " for " + in.UserID + " on " + in.AppID
	if err := uc.mayRequest(ctx, c, what); err != nil {
		return Proposal{}, err
	}
	d, fresh, err := uc.diagnosisFor(ctx, in)
	if err != nil {
		return Proposal{}, err
	}
	affected := ""
	if d.User.Email != "" && uc.people != nil {
		affected, _ = uc.people.LookupByEmail(ctx, d.User.Email) // best effort: used to refuse self-approval
	}
	manager := ""
	if uc.policy.Rule(in.Plan).Manager {
		manager = uc.managerOf(ctx, c.ID)
	}
	channel := c.Channel
	if c.Direct && len(uc.channels) > 0 {
		channel = uc.channels[0]
	}
	r, err := uc.eng.Propose(ctx, ProposeRequest{Diagnosis: d, AppID: in.AppID, Plan: in.Plan, Requester: c.ID,
		AffectedSlackUser: affected, RequesterManager: manager, Origin: Origin{Channel: channel, Locale: c.Locale}})
	if err != nil {
		uc.refused(ctx, c, what, err)
		return Proposal{}, err
	}
	return Proposal{Run: r, Risk: uc.Risk(r.Plan), Rediagnosed: fresh}, nil
}

// diagnosisFor is the kept diagnosis of the user when it proposes the plan on the app,
// else a new one (fresh true).
func (uc *UseCases) diagnosisFor(ctx context.Context, in ProposeInput) (Diagnosis, bool, error) {
	k, err := uc.store.KeptDiagnosis(ctx, in.UserID)
	switch {
	case err == nil && proposes(k.Diagnosis, in):
		return k.Diagnosis, false, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		uc.log.WarnContext(ctx, "reading the kept diagnosis; diagnosing again", "okta_user_id", in.UserID, "err", err)
	}
	d, err := uc.diag.Diagnose(ctx, in.UserID, in.AppID)
	if err != nil {
		return Diagnosis{}, true, err
	}
	uc.keep(ctx, d)
	return d, true, nil
}

// proposes reports whether d proposes in.Plan for in.AppID.
func proposes(d Diagnosis, in ProposeInput) bool {
	if d.User.ID != in.UserID {
		return false
	}
	for _, f := range d.Findings {
		if f.App != nil && f.App.ID == in.AppID && slices.Contains(f.Plans, in.Plan) {
			return true
		}
	}
	return false
}

// managerOf finds the member ID of a member's Okta manager: member → email → Okta
// user → managerId → manager's email → member. "" when any link is missing.
func (uc *UseCases) managerOf(ctx context.Context, member string) string {
	if uc.people == nil {
		return ""
	}
	email, err := uc.people.UserEmail(ctx, member)
	if err != nil || email == "" {
		return ""
	}
	u, err := uc.diag.Okta.FindUser(ctx, email)
	if err != nil || u.ManagerID == "" {
		return ""
	}
	m, err := uc.diag.Okta.FindUser(ctx, u.ManagerID)
	if err != nil || m.Email == "" {
		return ""
	}
	id, err := uc.people.LookupByEmail(ctx, m.Email)
	if err != nil {
		uc.log.InfoContext(ctx, "the requester's manager is not in the chat", "slack_user_id", member, "err", err)
		return ""
	}
	return id
}

// Posted records where a run's approval request was posted, so its progress goes to
// that message's thread.
func (uc *UseCases) Posted(ctx context.Context, runID, channel, ts string) error {
	_, err := uc.eng.AttachMessage(ctx, runID, channel, ts)
	return err
}

// Adopt records the request message of a run that lacks it (the bot stopped between
// posting the request and recording where), from a click on that very message.
func (uc *UseCases) Adopt(ctx context.Context, runID, channel, ts string) {
	if channel == "" || ts == "" {
		return
	}
	r, err := uc.store.GetRun(ctx, runID)
	if err != nil || r.Origin.ThreadTS != "" {
		return
	}
	if err := uc.Posted(ctx, runID, channel, ts); err != nil {
		uc.log.WarnContext(ctx, "recording the request message", "run_id", runID, "err", err)
	}
}

// Approve records c's approval of the run (the engine checks the policy and audits).
// A user of a bulk run may not approve it (notBulkUser).
func (uc *UseCases) Approve(ctx context.Context, c Caller, runID string) (Run, error) {
	what := "approve " + runID
	if r, err := uc.notBulkUser(ctx, c, runID, true); err != nil {
		uc.refused(ctx, c, what, err)
		return r, err
	}
	r, err := uc.eng.Approve(ctx, runID, c.ID, "")
	uc.refused(ctx, c, what, err)
	return r, err
}

// MayReject says whether c may reject the run now, before they are asked why.
func (uc *UseCases) MayReject(ctx context.Context, c Caller, runID string) error {
	r, err := uc.store.GetRun(ctx, runID)
	if err != nil {
		return fmt.Errorf("run %s: %w", runID, err)
	}
	err = uc.policy.MayDecide(ctx, &r, c.ID, uc.clock.Now())
	if err == nil {
		err = uc.bulkUserCheck(ctx, c, &r, false)
	}
	uc.refused(ctx, c, "reject "+runID, err)
	return err
}

// Reject records c's rejection of the run with their reason, which ends it.
func (uc *UseCases) Reject(ctx context.Context, c Caller, runID, reason string) (Run, error) {
	what := "reject " + runID
	if r, err := uc.notBulkUser(ctx, c, runID, false); err != nil {
		uc.refused(ctx, c, what, err)
		return r, err
	}
	r, err := uc.eng.Reject(ctx, runID, c.ID, reason)
	uc.refused(ctx, c, what, err)
	return r, err
}

// notBulkUser reads the run and, when it is a bulk run awaiting a decision, refuses c
// if they are one of its users (bulkUserCheck). Other runs are left to the engine's
// policy check (a single-user run names its affected member when it is proposed).
func (uc *UseCases) notBulkUser(ctx context.Context, c Caller, runID string, approve bool) (Run, error) {
	r, err := uc.store.GetRun(ctx, runID)
	if err != nil {
		return Run{}, fmt.Errorf("run %s: %w", runID, err)
	}
	if r.State != StateAwaitingApproval || !uc.clock.Now().Before(r.ExpiresAt) {
		return r, nil // the engine refuses it with the reason that fits
	}
	return r, uc.bulkUserCheck(ctx, c, &r, approve)
}

// bulkUserCheck refuses c deciding on bulk run r when c is one of its users: nobody
// approves or rejects the fix of their own account (DESIGN's invariant 4). Looking up
// every user's member ID when the run is proposed would cost one chat call per user,
// so the clicker is looked up instead, once: their email (from the chat) against the
// users' logins and emails, then the Okta user with that email against the users' IDs
// (a login need not be the email). When this cannot be told (no email, Okta not
// answering), an approval is refused; a rejection, which changes nothing, goes on.
func (uc *UseCases) bulkUserCheck(ctx context.Context, c Caller, r *Run, approve bool) error {
	if r.Bulk == nil {
		return nil
	}
	email := ""
	err := fmt.Errorf("no member directory: %w", ErrPermanent)
	if uc.people != nil {
		email, err = uc.people.UserEmail(ctx, c.ID)
	}
	if err == nil && strings.TrimSpace(email) == "" {
		err = fmt.Errorf("member %s shows no email: %w", c.ID, ErrNotFound)
	}
	if err != nil {
		uc.log.WarnContext(ctx, "reading the email of a bulk run's decider", "run_id", r.ID, "slack_user_id", c.ID, "err", err)
		if !approve {
			return nil
		}
		return refuse("The bot could not read your email address in Slack, so it cannot tell whether your own account is among the %d users of this bulk fix; your approval was not recorded. Ask another approver, or ask the bot's operator to let it read members' email addresses (the users:read.email scope).",
			"Slack からあなたのメールアドレスを取得できなかったため、この一括対処の対象 %d 人にご自身のアカウントが含まれていないかを確認できません。承認は記録されていません。別の承認者に依頼するか、メンバーのメールアドレスを読み取れるよう(users:read.email スコープ)ボットの運用担当者に依頼してください。", len(r.Bulk.Users))
	}
	email = strings.TrimSpace(email)
	own := r.Bulk.Includes(email, "")
	if !own {
		u, err := uc.diag.Okta.FindUser(ctx, email)
		switch {
		case err == nil:
			own = r.Bulk.Includes(u.Email, u.ID)
		case errors.Is(err, ErrNotFound):
			// Nobody in Okta has this email or login: not one of the users.
		default:
			uc.log.WarnContext(ctx, "finding a bulk run's decider in Okta", "run_id", r.ID, "slack_user_id", c.ID, "err", err)
			if approve {
				return refuse("Okta could not be asked whether your own account is among the %d users of this bulk fix, so your approval was not recorded. Try again in a moment; if this goes on, ask another approver.",
					"この一括対処の対象 %d 人にご自身のアカウントが含まれていないかを Okta で確認できなかったため、承認は記録されていません。しばらくしてからもう一度お試しください。解決しない場合は、別の承認者に依頼してください。", len(r.Bulk.Users))
			}
		}
	}
	if own {
		return refuse("Your own account (%s) is among the users of this bulk fix, so you cannot approve or reject it.",
			"この一括対処の対象にご自身のアカウント(%s)が含まれているため、承認・却下できません。", email)
	}
	return nil
}

// Cancel stops the run, undoing what it did.
func (uc *UseCases) Cancel(ctx context.Context, c Caller, runID, reason string) (Run, error) {
	r, err := uc.eng.Cancel(ctx, runID, c.ID, reason)
	uc.refused(ctx, c, "cancel "+runID, err)
	return r, err
}

// Confirm records that c did manual step (1-based) of the run.
func (uc *UseCases) Confirm(ctx context.Context, c Caller, runID string, step int) (Run, error) {
	r, err := uc.eng.Confirm(ctx, runID, step, c.ID)
	uc.refused(ctx, c, fmt.Sprintf("confirm step %d of %s", step, runID), err)
	return r, err
}

// MarkHandled records that c put right by hand what the run still owes (a restore of
// provisioning, a user to assign again: Run.Alert), so the engine stops retrying it.
// Approvers only: it ends a run that may still leave provisioning off, on their word.
func (uc *UseCases) MarkHandled(ctx context.Context, c Caller, runID, note string) (Run, error) {
	what := "mark " + runID + " handled"
	r, err := uc.store.GetRun(ctx, runID)
	if err != nil {
		return Run{}, fmt.Errorf("run %s: %w", runID, err)
	}
	if !c.operator {
		ok, err := uc.policy.IsApprover(ctx, &r, c.ID)
		if err != nil {
			return r, err
		}
		if !ok {
			err := &Refusal{Reason: T("Only an approver of this run can mark it handled.", "この実行を対応済みにできるのは、承認者のみです。"), Approvers: r.Approvers}
			uc.refused(ctx, c, what, err)
			return r, err
		}
	}
	r, err = uc.eng.MarkHandled(ctx, runID, c.ID, note)
	uc.refused(ctx, c, what, err)
	return r, err
}

// activeStates are the runs /okta-status lists without a run ID.
var activeStates = []RunState{StateAwaitingApproval, StateApproved, StateRunning, StateVerifying}

// Status is the run runID, or the runs under way (at most 20, newest first) when it is
// empty. The caller was admitted (Admit).
func (uc *UseCases) Status(ctx context.Context, c Caller, runID string) ([]Run, error) {
	if runID != "" {
		r, err := uc.store.GetRun(ctx, runID)
		if err != nil {
			return nil, err
		}
		return []Run{r}, nil
	}
	return uc.store.ListRuns(ctx, RunFilter{States: slices.Clone(activeStates), Limit: 20})
}

// AuditQuery asks for the audit trail about one run, one user or one app: exactly one
// field is set. UserQuery and AppQuery are resolved in Okta.
type AuditQuery struct {
	RunID     string
	UserQuery string
	AppQuery  string
}

// auditLookback is how far back an audit query reads: Okta keeps its System Log as
// long, and older runs are of no help in chat.
const auditLookback = 90 * 24 * time.Hour

// maxAuditLines bounds the entries an audit query returns (the newest ones).
const maxAuditLines = 20

// Audit returns the last entries (at most 20, oldest first) about q's run, user or
// app, and audits the query when it found any. The caller was admitted (Admit).
func (uc *UseCases) Audit(ctx context.Context, c Caller, q AuditQuery) ([]AuditEntry, error) {
	f := AuditFilter{RunID: q.RunID, Since: uc.clock.Now().Add(-auditLookback), Limit: maxAuditLines}
	switch {
	case q.RunID != "":
	case q.UserQuery != "":
		u, err := uc.diag.Okta.FindUser(ctx, q.UserQuery)
		if err != nil {
			return nil, err
		}
		f.UserID = u.ID
	case q.AppQuery != "":
		a, err := uc.diag.Okta.FindApp(ctx, q.AppQuery)
		if err != nil {
			return nil, err
		}
		f.AppID = a.ID
	default:
		return nil, fmt.Errorf("audit: no run, user or app given: %w", ErrPermanent)
	}
	out, err := uc.store.AuditFor(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	uc.audit(ctx, AuditEvent{Type: AuditLookup, Actor: c.ID, RunID: q.RunID, Detail: "audit query " + c.where()})
	return out, nil
}
