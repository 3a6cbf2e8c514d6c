package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/logctx"
	"github.com/okta-chatops/okta-chatops/remediation"
)

// RunChanged implements remediation.Notifier: it queues the change for posting and
// never blocks the engine (a full queue drops the line; the audit trail and the audit
// channel keep the record).
func (b *Bot) RunChanged(ctx context.Context, r remediation.Run, ev remediation.AuditEvent) {
	select {
	case b.notes <- note{run: r, ev: ev}:
	default:
		b.log.WarnContext(ctx, "progress queue full; dropping a thread line", "run_id", r.ID, "event", ev.Type)
	}
}

// postNotes posts run changes in order: a line in the request's thread, and the request
// message updated when the run is decided or ends.
func (b *Bot) postNotes(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-b.notes:
			b.postNote(ctx, n)
		}
	}
}

func (b *Bot) postNote(ctx context.Context, n note) {
	r, ev := &n.run, n.ev
	if ev.Type == remediation.AuditAlert && !r.Alert.IsZero() {
		b.postAlert(ctx, r)
		return
	}
	if r.Origin.Channel == "" || r.Origin.ThreadTS == "" {
		return // not asked for in Slack, or the request is not posted yet
	}
	l := b.cfg.Locale
	ctx = logctx.With(ctx, "run_id", r.ID, "okta_user_id", r.Target.UserID, "slack_user_id", r.Requester)
	log := b.log.With("event", ev.Type)
	var opts []slack.MsgOption
	if ev.Type == remediation.AuditStepWaiting || (ev.Type == remediation.AuditReminded && ev.Step > 0) {
		fallback, blocks := manualStepBlocks(r, ev, l)
		opts = []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	} else if line := msgProgress(r, ev); !line.IsZero() {
		opts = []slack.MsgOption{slack.MsgOptionText(shorten(line.In(l), maxMessageText), false)}
	}
	if opts != nil {
		opts = append(opts, slack.MsgOptionTS(r.Origin.ThreadTS))
		if _, _, err := b.api.PostMessageContext(ctx, r.Origin.Channel, opts...); err != nil {
			log.WarnContext(ctx, "posting progress", "err", err)
		}
	}
	switch ev.Type {
	case remediation.AuditApproved, remediation.AuditRejected, remediation.AuditExpired, remediation.AuditCancelled,
		remediation.AuditResumed,
		remediation.AuditReplanned, remediation.AuditVerified, remediation.AuditFailed, remediation.AuditCompensated:
		fallback, blocks := requestBlocks(r, b.uc.Risk(r.Plan), l)
		if _, _, _, err := b.api.UpdateMessageContext(ctx, r.Origin.Channel, r.Origin.ThreadTS,
			slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			log.WarnContext(ctx, "updating the request message", "err", err)
		}
	}
}

// postAlert says loudly, in the run's thread and in the audit channel, what a run
// leaves for people to put right (remediation.Run.Alert). It comes from the engine's
// memory: it does not need the store, which may be what failed.
func (b *Bot) postAlert(ctx context.Context, r *remediation.Run) {
	line, blocks := alertBlocks(r, b.cfg.Locale)
	if r.Origin.Channel != "" && r.Origin.ThreadTS != "" {
		if _, _, err := b.api.PostMessageContext(ctx, r.Origin.Channel, slack.MsgOptionText(line, false), slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionTS(r.Origin.ThreadTS), slack.MsgOptionBroadcast()); err != nil {
			b.log.WarnContext(ctx, "posting an alert in the run's thread", "run_id", r.ID, "err", err)
		}
	}
	if b.cfg.AuditChannel != "" {
		if _, _, err := b.api.PostMessageContext(ctx, b.cfg.AuditChannel, slack.MsgOptionText(line, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			b.log.WarnContext(ctx, "posting an alert in the audit channel", "run_id", r.ID, "err", err)
		}
	}
}
