package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Risk grades a plan: it says how careful the approval must be.
type Risk string

// The risks.
const (
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// DefaultRisk is each plan's risk unless the policy file says otherwise: re-assigning
// touches one user; the others pause provisioning for the whole app.
func DefaultRisk(p PlanID) Risk {
	if p == PlanReassign {
		return RiskMedium
	}
	return RiskHigh
}

// PlanRule is the policy for one plan.
type PlanRule struct {
	Risk      Risk          `json:"risk,omitempty"`
	Approvers []string      `json:"approvers,omitempty"` // people and groups, as the chat adapter names them
	Quorum    int           `json:"quorum,omitempty"`    // distinct approvals needed (default 1)
	Expiry    time.Duration `json:"expiry,omitempty"`    // default: the policy's TTL
	// Manager adds the requester's Okta manager (their profile's managerId, found in
	// Slack by email) to the approvers of this plan.
	Manager bool `json:"manager,omitempty"`
}

// Policy decides who may approve which plan, how many must, and for how long a request
// stands. It knows nothing of Slack beyond its IDs.
type Policy struct {
	// Approvers is the default approver set.
	Approvers []string
	// TTL is the default expiry of a request.
	TTL time.Duration
	// Plans overrides the defaults per plan (the policy file).
	Plans map[PlanID]PlanRule
	// Requesters (from the configuration and the policy file) is who may diagnose,
	// propose fixes and read the audit trail. Empty means the approvers only — never
	// everyone.
	Requesters []string
	// Groups resolves user-group IDs (S…) to their members; nil means group IDs match
	// nobody.
	Groups GroupResolver
	// Reminders say when the people a run waits for are reminded (zero: never).
	Reminders Reminders
}

// GroupResolver lists the members of a user group (Slack usergroups.users.list).
type GroupResolver interface {
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// Rule returns the effective rule for plan p.
func (p *Policy) Rule(plan PlanID) PlanRule {
	r := p.Plans[plan]
	if r.Risk == "" {
		r.Risk = DefaultRisk(plan)
	}
	if len(r.Approvers) == 0 {
		r.Approvers = p.Approvers
	}
	if r.Quorum <= 0 {
		r.Quorum = 1
	}
	if r.Expiry <= 0 {
		r.Expiry = p.TTL
	}
	if r.Expiry <= 0 {
		r.Expiry = 24 * time.Hour
	}
	return r
}

// Refusal is why someone may not do something to a run. It wraps ErrDenied.
// Approvers, when set, are whom to ask instead (the bot renders them as mentions).
type Refusal struct {
	Reason    Text
	Approvers []string
}

func (r *Refusal) Error() string        { return "refused: " + r.Reason.EN }
func (r *Refusal) Is(target error) bool { return target == ErrDenied }

func refuse(en, ja string, args ...any) error { return &Refusal{Reason: Tf(en, ja, args...)} }

// IsApprover reports whether user is in the run's approver set, directly or through
// one of its user groups.
func (p *Policy) IsApprover(ctx context.Context, r *Run, user string) (bool, error) {
	return p.inSet(ctx, r.Approvers, user)
}

// inSet reports whether user is one of ids, directly or through a user group (S…).
func (p *Policy) inSet(ctx context.Context, ids []string, user string) (bool, error) {
	if slices.Contains(ids, user) {
		return true, nil
	}
	if p.Groups == nil {
		return false, nil
	}
	for _, a := range ids {
		if len(a) == 0 || a[0] != 'S' {
			continue
		}
		members, err := p.Groups.GroupMembers(ctx, a)
		if err != nil {
			return false, fmt.Errorf("members of user group %s: %w", a, err)
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}

// allApprovers is every approver the policy names, for every plan.
func (p *Policy) allApprovers() []string {
	out := slices.Clone(p.Approvers)
	for _, r := range p.Plans {
		for _, a := range r.Approvers {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// MayRequest says whether user may diagnose, propose fixes and read the audit trail:
// a requester, or an approver (when no requesters are configured, approvers only).
// The refusal names whom to ask.
func (p *Policy) MayRequest(ctx context.Context, user string) error {
	approvers := p.allApprovers()
	for _, set := range [][]string{p.Requesters, approvers} {
		ok, err := p.inSet(ctx, set, user)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return &Refusal{
		Reason:    T("You are not allowed to use okta-chatops: it shows people's Okta data and changes production apps. Ask one of these people to add you to the bot's requesters, or to run it for you.", "okta-chatops を利用する権限がありません(Okta 上の個人の情報を表示し、本番のアプリを変更するため)。ボットの依頼者への追加、または代理での実行を次の担当者に依頼してください。"),
		Approvers: approvers,
	}
}

// MayDecide says whether user may approve or reject r now; the error is a *Refusal
// with the reason to show them (or an error reading the user groups).
func (p *Policy) MayDecide(ctx context.Context, r *Run, user string, now time.Time) error {
	switch {
	case r.State == StateExpired || (r.State == StateAwaitingApproval && !now.Before(r.ExpiresAt)):
		return refuse("This request expired at %s; diagnose again to ask anew.", "この依頼は %s に期限切れになりました。もう一度診断してから依頼し直してください。", r.ExpiresAt.UTC().Format(time.RFC3339))
	case r.State != StateAwaitingApproval:
		return refuse("This request is already %s.", "この依頼はすでに%sです。", StateText(r.State))
	case user == r.Requester:
		return refuse("You asked for this fix, so you cannot approve or reject it yourself.", "この対処を依頼した本人は、承認・却下できません。")
	case r.AffectedSlackUser != "" && user == r.AffectedSlackUser:
		return refuse("This fix is about your own account, so you cannot approve or reject it.", "ご自身のアカウントに関する対処のため、承認・却下できません。")
	}
	for _, d := range r.Decisions {
		if d.By == user {
			return refuse("You have already approved this request; it needs someone else.", "この依頼はすでにあなたが承認しています。別の承認者の承認が必要です。")
		}
	}
	ok, err := p.IsApprover(ctx, r, user)
	if err != nil {
		return err
	}
	if !ok {
		return &Refusal{Reason: T("You are not an approver for this fix.", "この対処の承認者ではありません。"), Approvers: r.Approvers}
	}
	return nil
}

// MayCancel says whether user may cancel r: its requester or an approver, while the
// run has not ended.
func (p *Policy) MayCancel(ctx context.Context, r *Run, user string) error {
	if r.State.Terminal() {
		return refuse("This run has already ended (%s).", "この実行はすでに終了しています(%s)。", StateText(r.State))
	}
	if user == r.Requester {
		return nil
	}
	ok, err := p.IsApprover(ctx, r, user)
	if err != nil {
		return err
	}
	if !ok {
		return refuse("Only the requester or an approver can cancel this run.", "この実行を取り消せるのは依頼者または承認者のみです。")
	}
	return nil
}

// MayConfirm says whether user may confirm a manual step: the person asked, the
// requester or an approver.
func (p *Policy) MayConfirm(ctx context.Context, r *Run, step int, user string) error {
	if step < 1 || step > len(r.Steps) || (r.Steps[step-1].Status != StepWaiting && r.Steps[step-1].Status != StepUndoWaiting) {
		return refuse("Step %d is not waiting for a confirmation.", "手順 %d は確認待ちではありません。", step)
	}
	if user == r.Steps[step-1].AssignedTo || user == r.Requester {
		return nil
	}
	ok, err := p.IsApprover(ctx, r, user)
	if err != nil {
		return err
	}
	if !ok {
		return refuse("Only the person asked, the requester or an approver can confirm this step.", "この手順を確認できるのは、依頼された担当者・依頼者・承認者のみです。")
	}
	return nil
}

// AsRefusal returns the refusal in err's chain, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
