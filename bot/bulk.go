package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/logctx"
	"github.com/okta-chatops/okta-chatops/remediation"
)

// BulkProposer is the bulk use case (remediation.UseCases implements it): a
// propose_bulk click becomes one bulk run awaiting approval.
type BulkProposer interface {
	ProposeBulk(ctx context.Context, c remediation.Caller, in remediation.BulkInput) (remediation.Proposal, error)
}

// proposeBulk turns a propose_bulk click into a saved bulk run and posts its approval
// request.
func (b *Bot) proposeBulk(ctx context.Context, c remediation.Caller, value, responseURL string) error {
	v, err := DecodeBulkValue(value)
	if err != nil {
		return err
	}
	bp, ok := b.uc.(BulkProposer)
	if !ok {
		return fmt.Errorf("bulk fixes are not available: %w", remediation.ErrPermanent)
	}
	p, err := bp.ProposeBulk(ctx, c, remediation.BulkInput{Plan: v.Plan, IncidentID: v.IncidentID})
	if err != nil {
		return err
	}
	return b.postRequest(ctx, &p.Run, p.Risk, responseURL)
}

// bulkProgressKey names the store cursor that holds the ts of a bulk run's progress
// message, so every replica updates the same message.
func bulkProgressKey(runID string) string { return "bulk-progress:" + runID }

// bulkProgressEvery bounds how often a bulk run's progress message is updated (Slack's
// chat.update allows about 50 a minute); a batch's end and the run's end always update it.
const bulkProgressEvery = 3e9 // 3s

// postBulkNote reports a bulk run's change: approvals and interruptions as thread
// lines, progress as one message in the thread updated in place, and the request
// message updated once decided or ended.
func (b *Bot) postBulkNote(ctx context.Context, n note) {
	r, ev := &n.run, n.ev
	if r.Origin.Channel == "" || r.Origin.ThreadTS == "" {
		return
	}
	l := b.cfg.Locale
	ctx = logctx.With(ctx, "run_id", r.ID, "slack_user_id", r.Requester)
	if line := msgBulkLine(r, ev); !line.IsZero() {
		if err := honourRetryAfter(ctx, func() error {
			_, _, err := b.api.PostMessageContext(ctx, r.Origin.Channel, slack.MsgOptionText(shorten(line.In(l), maxMessageText), false),
				slack.MsgOptionTS(r.Origin.ThreadTS))
			return err
		}); err != nil {
			b.log.WarnContext(ctx, "posting a bulk run's line", "err", err)
		}
	}
	switch ev.Type {
	case remediation.AuditApproved, remediation.AuditRejected, remediation.AuditExpired, remediation.AuditCancelled,
		remediation.AuditVerified, remediation.AuditFailed:
		fallback, blocks := requestBlocks(r, b.uc.Risk(r.Plan), l)
		if err := honourRetryAfter(ctx, func() error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, r.Origin.Channel, r.Origin.ThreadTS,
				slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
			return err
		}); err != nil {
			b.log.WarnContext(ctx, "updating the request message", "err", err)
		}
	}
	if !bulkProgresses(ev.Type) || r.State == remediation.StateAwaitingApproval {
		return
	}
	now := b.cfg.Clock()
	final := r.State.Terminal()
	if b.bulkShown == nil {
		b.bulkShown = map[string]int64{}
	}
	if last, ok := b.bulkShown[r.ID]; ok && !final && ev.Type != remediation.AuditBatchDone && now.UnixNano()-last < bulkProgressEvery {
		return
	}
	b.bulkShown[r.ID] = now.UnixNano()
	if final {
		delete(b.bulkShown, r.ID)
	}
	fallback, blocks := bulkProgressBlocks(r, now, l)
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	ts, err := b.store.Cursor(ctx, bulkProgressKey(r.ID))
	if err != nil {
		b.log.WarnContext(ctx, "reading a bulk run's progress message", "err", err)
		return
	}
	if ts != "" {
		if err := honourRetryAfter(ctx, func() error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, r.Origin.Channel, ts, opts...)
			return err
		}); err != nil {
			b.log.WarnContext(ctx, "updating a bulk run's progress", "err", err)
		}
		return
	}
	err = honourRetryAfter(ctx, func() error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, r.Origin.Channel, append(opts, slack.MsgOptionTS(r.Origin.ThreadTS))...)
		return err
	})
	if err != nil {
		b.log.WarnContext(ctx, "posting a bulk run's progress", "err", err)
		return
	}
	if err := b.store.SetCursor(ctx, bulkProgressKey(r.ID), ts); err != nil {
		b.log.WarnContext(ctx, "recording a bulk run's progress message", "err", err)
	}
}

// bulkProgresses reports whether an event of a bulk run moves its progress.
func bulkProgresses(t remediation.AuditType) bool {
	switch t {
	case remediation.AuditUserChanged, remediation.AuditUserFailed, remediation.AuditUserSkipped, remediation.AuditBatchDone,
		remediation.AuditStepDone, remediation.AuditResumed, remediation.AuditVerified, remediation.AuditFailed, remediation.AuditCancelled:
		return true
	}
	return false
}
