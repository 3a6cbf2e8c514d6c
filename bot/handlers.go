package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// The handlers turn envelopes into use-case calls and their results into Block Kit;
// the use cases (remediation.UseCases) check the policy and write the audit trail.

// caller is who sent an envelope and where, as the use cases know them.
func caller(user, channel string, l remediation.Locale) remediation.Caller {
	// Slack's direct-message channel IDs begin with D.
	return remediation.Caller{ID: user, Channel: channel, Direct: strings.HasPrefix(channel, "D"), Locale: l}
}

// handleSlash answers one slash command: rate limits, the channel rule and who may ask
// come first, then the command.
func (b *Bot) handleSlash(ctx context.Context, sc slack.SlashCommand) {
	l := b.localeOf(ctx, sc.UserID)
	name := metricName(sc.Command)
	if wait, limited := b.rateLimited(ctx, sc.UserID); limited {
		b.cfg.Metrics.Command(name, OutcomeRateLimited)
		b.answer(ctx, sc, msgRateLimited(wait).In(l))
		return
	}
	cmd, err := ParseCommand(sc.Command, sc.Text)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			b.cfg.Metrics.Command(name, OutcomeBadInput)
			b.answer(ctx, sc, ue.Text.In(l))
			return
		}
		b.cfg.Metrics.Command(name, OutcomeError)
		b.answer(ctx, sc, msgError(err).In(l))
		return
	}
	name = cmd.Name
	if cmd.Name == CmdHelp {
		b.cfg.Metrics.Command(name, OutcomeOK)
		b.answer(ctx, sc, Usage(cmd.Topic).In(l))
		return
	}
	c := caller(sc.UserID, sc.ChannelID, l)
	ctx = b.waitSaid(ctx, sc.ChannelID, sc.UserID, sc.ResponseURL, l)
	if err := b.uc.Admit(ctx, c, sc.Command); err != nil {
		b.cfg.Metrics.Command(name, OutcomeRefused)
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	b.cfg.Metrics.Command(name, OutcomeOK)
	switch cmd.Name {
	case CmdDiagnose:
		b.diagnose(ctx, sc, c, cmd)
	case CmdScan:
		b.scan(ctx, sc, c, cmd)
	case CmdStatus:
		b.status(ctx, sc, c, cmd)
	case CmdAudit:
		b.auditQuery(ctx, sc, c, cmd)
	default:
		b.log.WarnContext(ctx, "unhandled command", "command", sc.Command)
	}
}

// oktaUser turns the USER argument into what Okta resolves: a Slack mention becomes
// the member's email address.
func (b *Bot) oktaUser(ctx context.Context, u UserRef) (string, error) {
	switch {
	case u.SlackID != "":
		email, err := b.people.UserEmail(ctx, u.SlackID)
		if err != nil || email == "" {
			return "", &remediation.Refusal{Reason: msgUnknownUser(u.SlackID)}
		}
		return email, nil
	case u.OktaID != "":
		return u.OktaID, nil
	}
	return u.Login, nil
}

// diagnose runs /okta-diagnose and posts the diagnosis in the channel.
func (b *Bot) diagnose(ctx context.Context, sc slack.SlashCommand, c remediation.Caller, cmd Command) {
	l := c.Locale
	userQ, err := b.oktaUser(ctx, cmd.User)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	b.answer(ctx, sc, msgWorking(esc(userQ), esc(cmd.App)).In(l))
	d, err := b.uc.Diagnose(ctx, c, userQ, cmd.App)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	// The evidence goes to the requester only; the channel sees the findings and the fixes.
	privText, privBlocks := diagnosisBlocks(d, sc.UserID, "", forAllowed, l)
	b.respond(ctx, sc.ResponseURL, privText, privBlocks...)
	cc := ""
	if b.cfg.NotifyUser && d.User.Email != "" {
		cc, _ = b.people.LookupByEmail(ctx, d.User.Email)
	}
	fallback, blocks := diagnosisBlocks(d, sc.UserID, cc, forChannel, b.cfg.Locale)
	if _, _, err := b.api.PostMessageContext(ctx, sc.ChannelID, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		// Not in the channel (or a DM): answer where the command was typed instead.
		b.log.InfoContext(ctx, "posting the diagnosis in the channel failed; answering through response_url", "channel", sc.ChannelID, "err", err)
		wm := &slack.WebhookMessage{Text: fallback, ResponseType: slack.ResponseTypeInChannel, Blocks: &slack.Blocks{BlockSet: blocks}}
		if err := slack.PostWebhookContext(ctx, sc.ResponseURL, wm); err != nil {
			b.log.WarnContext(ctx, "answering a diagnosis", "err", scrubURL(err, sc.ResponseURL))
		}
	}
}

// answer replies privately to a slash command: through its response_url, or, when
// Slack gave none or it failed, as an ephemeral message in the channel.
func (b *Bot) answer(ctx context.Context, sc slack.SlashCommand, msg string) {
	if sc.ResponseURL != "" {
		wm := &slack.WebhookMessage{Text: shorten(msg, maxMessageText), ResponseType: slack.ResponseTypeEphemeral}
		if err := slack.PostWebhookContext(ctx, sc.ResponseURL, wm); err == nil {
			return
		}
	}
	b.whisper(ctx, sc.ChannelID, sc.UserID, msg)
}

// rateLimited counts a command against the per-person and global limits.
func (b *Bot) rateLimited(ctx context.Context, user string) (time.Duration, bool) {
	for _, lim := range []struct {
		key string
		max int
	}{{"cmd:user:" + user, b.cfg.UserLimit}, {"cmd:all", b.cfg.GlobalLimit}} {
		n, reset, err := b.store.Hit(ctx, lim.key, time.Minute)
		if err != nil {
			b.log.WarnContext(ctx, "rate limit", "err", err)
			return 0, false // the store is down: answer rather than refuse everyone
		}
		if n > lim.max {
			return reset, true
		}
	}
	return 0, false
}

// errText is the text a person sees for a use case's error.
func (b *Bot) errText(err error, l remediation.Locale) string {
	var wc *remediation.WrongChannel
	if errors.As(err, &wc) {
		return msgWrongChannel(wc.Allowed).In(l)
	}
	if ref, ok := remediation.AsRefusal(err); ok {
		return msgRefusal(ref).In(l)
	}
	return msgError(err).In(l)
}

// status answers /okta-status [RUN] privately.
func (b *Bot) status(ctx context.Context, sc slack.SlashCommand, c remediation.Caller, cmd Command) {
	l := c.Locale
	runs, err := b.uc.Status(ctx, c, cmd.RunID)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	if len(runs) == 0 {
		b.answer(ctx, sc, msgNoRuns().In(l))
		return
	}
	var lines []string
	for i := range runs {
		lines = append(lines, msgRunLine(&runs[i]).In(l))
		if cmd.RunID != "" {
			if d := msgDecision(&runs[i]); !d.IsZero() {
				lines = append(lines, d.In(l))
			}
		}
	}
	b.answer(ctx, sc, strings.Join(lines, "\n"))
}

// auditQuery answers /okta-audit USER|APP|RUN privately with the last entries about it.
func (b *Bot) auditQuery(ctx context.Context, sc slack.SlashCommand, c remediation.Caller, cmd Command) {
	l := c.Locale
	q := remediation.AuditQuery{RunID: cmd.RunID, AppQuery: cmd.App}
	if cmd.RunID == "" && !cmd.User.IsZero() {
		var err error
		if q.UserQuery, err = b.oktaUser(ctx, cmd.User); err != nil {
			b.answer(ctx, sc, b.errText(err, l))
			return
		}
	}
	entries, err := b.uc.Audit(ctx, c, q)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	if len(entries) == 0 {
		b.answer(ctx, sc, t("No audit entries found.", "監査ログは見つかりませんでした。").In(l))
		return
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = msgAuditLine(e).In(l)
	}
	b.answer(ctx, sc, strings.Join(lines, "\n"))
}

// handleInteraction handles a button click or a modal submission.
func (b *Bot) handleInteraction(ctx context.Context, cb slack.InteractionCallback) {
	user := cb.User.ID
	l := b.localeOf(ctx, user)
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID == CallbackRejectRun {
			b.submitReject(ctx, cb, l)
		}
		return
	case slack.InteractionTypeBlockActions:
	default:
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	c := caller(user, channel, l)
	ctx = b.waitSaid(ctx, channel, user, "", l)
	for _, a := range cb.ActionCallback.BlockActions {
		var err error
		switch a.ActionID {
		case ActionProposePlan:
			err = b.propose(ctx, c, a.Value, cb.ResponseURL)
		case ActionShowEvidence:
			err = b.showEvidence(ctx, c, a.Value)
		case ActionProposeBulk:
			err = b.proposeBulk(ctx, c, a.Value, cb.ResponseURL) // bulk.go
		case ActionDiagnoseUser:
			err = b.diagnoseUser(ctx, c, a.Value)
		case ActionApproveRun:
			var v RunValue
			if v, err = DecodeRunValue(a.ActionID, a.Value); err == nil {
				b.uc.Adopt(ctx, v.RunID, channel, cb.Container.MessageTs)
				_, err = b.uc.Approve(ctx, c, v.RunID)
			}
		case ActionRejectRun:
			var v RunValue
			if v, err = DecodeRunValue(a.ActionID, a.Value); err == nil {
				b.uc.Adopt(ctx, v.RunID, channel, cb.Container.MessageTs)
				err = b.openReject(ctx, c, cb.TriggerID, v.RunID)
			}
		case ActionCancelRun:
			var v RunValue
			if v, err = DecodeRunValue(a.ActionID, a.Value); err == nil {
				_, err = b.uc.Cancel(ctx, c, v.RunID, "cancelled in Slack")
			}
		case ActionConfirmStep:
			var v StepValue
			if v, err = DecodeStepValue(a.Value); err == nil {
				_, err = b.uc.Confirm(ctx, c, v.RunID, v.Step)
			}
		case ActionMarkHandled:
			var v RunValue
			if v, err = DecodeRunValue(a.ActionID, a.Value); err == nil {
				_, err = b.uc.MarkHandled(ctx, c, v.RunID, markHandledNote)
			}
		default:
			continue
		}
		if err != nil {
			b.whisper(ctx, channel, user, b.errText(err, l))
		}
	}
}

// showEvidence sends a diagnosis with its evidence privately to an allowed person.
func (b *Bot) showEvidence(ctx context.Context, c remediation.Caller, value string) error {
	v, err := DecodeEvidenceValue(value)
	if err != nil {
		return err
	}
	d, err := b.uc.Evidence(ctx, c, v.UserID, v.AppID)
	if err != nil {
		return err
	}
	fallback, blocks := diagnosisBlocks(d, c.ID, "", forAllowed, c.Locale)
	if _, err := b.api.PostEphemeralContext(ctx, c.Channel, c.ID, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("showing the evidence: %w", err)
	}
	return nil
}

// propose turns a propose_plan click into a saved run and posts its approval request.
func (b *Bot) propose(ctx context.Context, c remediation.Caller, value, responseURL string) error {
	v, err := DecodeProposeValue(value)
	if err != nil {
		return err
	}
	p, err := b.uc.Propose(ctx, c, remediation.ProposeInput{Plan: v.Plan, UserID: v.UserID, AppID: v.AppID})
	if err != nil {
		return err
	}
	return b.postRequest(ctx, &p.Run, p.Risk, responseURL)
}

// postRequest posts a saved run's approval request in its channel and records where.
func (b *Bot) postRequest(ctx context.Context, r *remediation.Run, risk remediation.Risk, responseURL string) error {
	fallback, blocks := requestBlocks(r, risk, b.cfg.Locale)
	_, ts, err := b.api.PostMessageContext(ctx, r.Origin.Channel, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		// Not in the channel: post it where the click came from. The run is saved; the
		// first click on its buttons records the message so progress reaches its thread.
		wm := &slack.WebhookMessage{Text: fallback, ResponseType: slack.ResponseTypeInChannel, Blocks: &slack.Blocks{BlockSet: blocks}}
		if responseURL == "" || slack.PostWebhookContext(ctx, responseURL, wm) != nil {
			return fmt.Errorf("posting the approval request of %s: %w", r.ID, err)
		}
		return nil
	}
	if err := b.uc.Posted(ctx, r.ID, r.Origin.Channel, ts); err != nil {
		b.log.WarnContext(ctx, "recording the request message", "run_id", r.ID, "err", err)
	}
	return nil
}

// openReject asks for a reason in a modal, after checking the clicker may reject at all.
func (b *Bot) openReject(ctx context.Context, c remediation.Caller, triggerID, runID string) error {
	if err := b.uc.MayReject(ctx, c, runID); err != nil {
		return err
	}
	if _, err := b.api.OpenViewContext(ctx, triggerID, rejectModal(RejectMetadata{RunID: runID, Channel: c.Channel}, c.Locale)); err != nil {
		return fmt.Errorf("opening the reject dialog: %w", err)
	}
	return nil
}

func (b *Bot) submitReject(ctx context.Context, cb slack.InteractionCallback, l remediation.Locale) {
	m, err := DecodeRejectMetadata(cb.View.PrivateMetadata)
	if err != nil {
		b.log.WarnContext(ctx, "reject dialog", "err", err)
		return
	}
	reason := strings.TrimSpace(cb.View.State.Values[reasonBlock][reasonAction].Value)
	if _, err := b.uc.Reject(ctx, caller(cb.User.ID, m.Channel, l), m.RunID, reason); err != nil && m.Channel != "" {
		b.whisper(ctx, m.Channel, cb.User.ID, b.errText(err, l))
	}
}

// storeDown tells the sender of an envelope that the bot's store cannot be reached, so
// nothing was done.
func (b *Bot) storeDown(ctx context.Context, j job, user string) {
	l := b.localeOf(ctx, user)
	switch {
	case j.slash != nil:
		b.answer(ctx, *j.slash, msgStoreDown().In(l))
	case j.action != nil && j.action.Type == slack.InteractionTypeBlockActions:
		channel := j.action.Channel.ID
		if channel == "" {
			channel = j.action.Container.ChannelID
		}
		if channel != "" {
			b.whisper(ctx, channel, user, msgStoreDown().In(l))
		}
	}
}
