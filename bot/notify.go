package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/logctx"
	"github.com/okta-chatops/okta-chatops/remediation"
)

// RunChanged implements remediation.Notifier: it queues the change for posting and
// never blocks the engine (a full queue drops the line; the audit trail and the audit
// channel keep the record).
func (b *Bot) RunChanged(ctx context.Context, r remediation.Run, ev remediation.AuditEvent) {
	b.queue(ctx, note{run: r, ev: ev})
}

// queue hands a note to the poster without blocking (a full queue drops it).
func (b *Bot) queue(ctx context.Context, n note) {
	select {
	case b.notes <- n:
	default:
		b.log.WarnContext(ctx, "progress queue full; dropping a thread line", "run_id", n.run.ID, "event", n.ev.Type)
	}
}

// say is a line the poster posts: in a thread (thread set), or privately to user
// (through responseURL when there is one).
type say struct {
	channel, thread, user, responseURL, text string
}

func (b *Bot) postSay(ctx context.Context, s say) {
	if s.thread != "" {
		if err := honourRetryAfter(ctx, func() error {
			_, _, err := b.api.PostMessageContext(ctx, s.channel, slack.MsgOptionText(s.text, false), slack.MsgOptionTS(s.thread))
			return err
		}); err != nil {
			b.log.WarnContext(ctx, "posting a line in a thread", "err", err)
		}
		return
	}
	b.answer(ctx, slack.SlashCommand{ChannelID: s.channel, UserID: s.user, ResponseURL: s.responseURL}, s.text)
}

// RunWaits implements remediation.RunWaitNotifier: a run whose Okta call waits long
// for its budget says so in its thread.
func (b *Bot) RunWaits(ctx context.Context, r remediation.Run, bucket string, wait time.Duration) {
	if r.Origin.Channel == "" || r.Origin.ThreadTS == "" {
		return
	}
	b.queue(ctx, note{run: r, say: &say{channel: r.Origin.Channel, thread: r.Origin.ThreadTS, text: msgRateWait(bucket, wait).In(b.cfg.Locale)}})
}

// waitSaid is ctx for handling one envelope of user: a long wait for an Okta budget
// is said to them privately, once.
func (b *Bot) waitSaid(ctx context.Context, channel, user, responseURL string, l remediation.Locale) context.Context {
	var once sync.Once
	return remediation.WithRateWait(ctx, func(ctx context.Context, bucket string, wait time.Duration) {
		once.Do(func() {
			b.queue(ctx, note{say: &say{channel: channel, user: user, responseURL: responseURL, text: msgRateWait(bucket, wait).In(l)}})
		})
	})
}

// postNotes posts run changes in order: a line in the request's thread, and the request
// message updated when the run is decided or ends.
func (b *Bot) postNotes(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-b.notes:
			if n.say != nil {
				b.postSay(ctx, *n.say)
				continue
			}
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
		if err := honourRetryAfter(ctx, func() error {
			_, _, err := b.api.PostMessageContext(ctx, r.Origin.Channel, opts...)
			return err
		}); err != nil {
			log.WarnContext(ctx, "posting progress", "err", err)
		}
	}
	switch ev.Type {
	case remediation.AuditApproved, remediation.AuditRejected, remediation.AuditExpired, remediation.AuditCancelled,
		remediation.AuditResumed,
		remediation.AuditReplanned, remediation.AuditVerified, remediation.AuditFailed, remediation.AuditCompensated:
		fallback, blocks := requestBlocks(r, b.uc.Risk(r.Plan), l)
		if err := honourRetryAfter(ctx, func() error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, r.Origin.Channel, r.Origin.ThreadTS,
				slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
			return err
		}); err != nil {
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

// slackRetries bounds how often one call is tried again after a 429.
const slackRetries = 3

// honourRetryAfter calls f, and again after the Retry-After Slack gives when it
// answers 429 (up to slackRetries times): a run's progress lines come in bursts, and
// Slack allows about one message a second per channel, so they are paced, not lost.
// Lines are posted in order by one goroutine, so waiting here paces the ones after.
func honourRetryAfter(ctx context.Context, f func() error) error {
	for i := 0; ; i++ {
		err := f()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || i == slackRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(rl.RetryAfter):
		}
	}
}
