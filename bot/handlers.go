package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// handleSlash answers one slash command: rate limits, the channel rule and who may ask
// come first, then the command.
func (b *Bot) handleSlash(ctx context.Context, sc slack.SlashCommand) {
	l := b.localeOf(ctx, sc.UserID)
	log := b.log.With("command", sc.Command)
	name := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(sc.Command)), "/"), "okta-")
	if wait, limited := b.rateLimited(ctx, sc.UserID); limited {
		b.cfg.Metrics.Command(name, "rate_limited")
		b.answer(ctx, sc, msgRateLimited(wait).In(l))
		return
	}
	cmd, err := ParseCommand(sc.Command, sc.Text)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			if _, known := commandFromSlack(sc.Command); !known {
				name = "invalid"
			}
			b.cfg.Metrics.Command(name, "bad_input")
			b.answer(ctx, sc, ue.Text.In(l))
			return
		}
		b.cfg.Metrics.Command(name, "error")
		b.answer(ctx, sc, msgError(err).In(l))
		return
	}
	name = string(cmd.Name)
	if cmd.Name == CmdHelp {
		b.cfg.Metrics.Command(name, "ok")
		b.answer(ctx, sc, Usage(cmd.Topic).In(l))
		return
	}
	if !b.channelAllowed(sc.ChannelID) {
		b.cfg.Metrics.Command(name, "refused")
		b.refuse(ctx, sc.UserID, sc.ChannelID, sc.Command, &remediation.Refusal{Reason: msgWrongChannel(b.cfg.Channels)})
		b.answer(ctx, sc, msgWrongChannel(b.cfg.Channels).In(l))
		return
	}
	if err := b.eng.Policy().MayRequest(ctx, sc.UserID); err != nil {
		b.cfg.Metrics.Command(name, "refused")
		b.refuse(ctx, sc.UserID, sc.ChannelID, sc.Command, err)
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	b.cfg.Metrics.Command(name, "ok")
	switch cmd.Name {
	case CmdDiagnose:
		b.diagnose(ctx, sc, cmd, l)
	case CmdStatus:
		b.status(ctx, sc, cmd, l)
	case CmdAudit:
		b.auditQuery(ctx, sc, cmd, l)
	default:
		log.WarnContext(ctx, "unhandled command")
	}
}

// oktaUser turns the USER argument into what the Okta adapter resolves: a Slack
// mention becomes the member's email address.
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
func (b *Bot) diagnose(ctx context.Context, sc slack.SlashCommand, cmd Command, l remediation.Locale) {
	userQ, err := b.oktaUser(ctx, cmd.User)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	b.answer(ctx, sc, msgWorking(esc(userQ), esc(cmd.App)).In(l))
	d, err := b.diag.Diagnose(ctx, userQ, cmd.App)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	ev := remediation.AuditEvent{Type: remediation.AuditDiagnosed, At: b.cfg.Clock().UTC(), Actor: sc.UserID, UserID: d.User.ID,
		Detail: "in channel " + sc.ChannelID}
	if d.App != nil {
		ev.AppID = d.App.ID
	}
	for _, f := range d.Findings {
		ev.Codes = append(ev.Codes, f.Code)
	}
	if err := b.store.Append(ctx, ev); err != nil {
		b.log.WarnContext(ctx, "auditing a diagnosis", "err", err)
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

// channelAllowed applies OKTA_CHATOPS_CHANNELS; direct messages are always allowed.
func (b *Bot) channelAllowed(channel string) bool {
	return len(b.cfg.Channels) == 0 || strings.HasPrefix(channel, "D") || slices.Contains(b.cfg.Channels, channel)
}

// refuse records a refusal in the audit trail: who tried what, where, and why not.
func (b *Bot) refuse(ctx context.Context, user, channel, what string, err error) {
	ref, ok := remediation.AsRefusal(err)
	if !ok {
		return
	}
	ev := remediation.AuditEvent{Type: remediation.AuditRefused, At: b.cfg.Clock().UTC(), Actor: user,
		Detail: what + " in channel " + channel + ": " + ref.Reason.EN}
	if err := b.store.Append(ctx, ev); err != nil {
		b.log.WarnContext(ctx, "auditing a refusal", "err", err)
	}
}

func (b *Bot) errText(err error, l remediation.Locale) string {
	if ref, ok := remediation.AsRefusal(err); ok {
		return msgRefusal(ref).In(l)
	}
	return msgError(err).In(l)
}

// status answers /okta-status [RUN] privately.
func (b *Bot) status(ctx context.Context, sc slack.SlashCommand, cmd Command, l remediation.Locale) {
	var runs []remediation.Run
	if cmd.RunID != "" {
		r, err := b.store.GetRun(ctx, cmd.RunID)
		if err != nil {
			b.answer(ctx, sc, b.errText(err, l))
			return
		}
		runs = []remediation.Run{r}
	} else {
		var err error
		runs, err = b.store.ListRuns(ctx, remediation.RunFilter{States: []remediation.RunState{
			remediation.StateAwaitingApproval, remediation.StateApproved, remediation.StateRunning, remediation.StateVerifying}, Limit: 20})
		if err != nil {
			b.answer(ctx, sc, b.errText(err, l))
			return
		}
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
func (b *Bot) auditQuery(ctx context.Context, sc slack.SlashCommand, cmd Command, l remediation.Locale) {
	match := func(e remediation.AuditEvent) bool { return e.RunID == cmd.RunID }
	switch {
	case cmd.RunID != "":
	case !cmd.User.IsZero():
		q, err := b.oktaUser(ctx, cmd.User)
		if err == nil {
			var u remediation.User
			if u, err = b.diag.Okta.FindUser(ctx, q); err == nil {
				match = func(e remediation.AuditEvent) bool { return e.UserID == u.ID }
			}
		}
		if err != nil {
			b.answer(ctx, sc, b.errText(err, l))
			return
		}
	default:
		a, err := b.diag.Okta.FindApp(ctx, cmd.App)
		if err != nil {
			b.answer(ctx, sc, b.errText(err, l))
			return
		}
		match = func(e remediation.AuditEvent) bool { return e.AppID == a.ID }
	}
	entries, err := b.store.Audit(ctx, b.cfg.Clock().Add(-90*24*time.Hour), 0)
	if err != nil {
		b.answer(ctx, sc, b.errText(err, l))
		return
	}
	var lines []string
	for _, e := range entries {
		if match(e.Event) {
			lines = append(lines, msgAuditLine(e).In(l))
		}
	}
	if len(lines) == 0 {
		b.answer(ctx, sc, t("No audit entries found.", "監査ログは見つかりませんでした。").In(l))
		return
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	_ = b.store.Append(ctx, remediation.AuditEvent{Type: remediation.AuditLookup, At: b.cfg.Clock().UTC(), Actor: sc.UserID,
		RunID: cmd.RunID, Detail: "audit query in channel " + sc.ChannelID})
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
	for _, a := range cb.ActionCallback.BlockActions {
		var err error
		switch a.ActionID {
		case ActionProposePlan:
			err = b.propose(ctx, channel, user, a.Value, cb.ResponseURL, l)
		case ActionShowEvidence:
			err = b.showEvidence(ctx, channel, user, a.Value, l)
		case ActionApproveRun:
			b.adoptMessage(ctx, a.Value, channel, cb.Container.MessageTs)
			_, err = b.eng.Approve(ctx, a.Value, user, "")
		case ActionRejectRun:
			b.adoptMessage(ctx, a.Value, channel, cb.Container.MessageTs)
			err = b.openReject(ctx, cb.TriggerID, channel, user, a.Value, l)
		case ActionCancelRun:
			_, err = b.eng.Cancel(ctx, a.Value, user, "cancelled in Slack")
		case ActionConfirmStep:
			runID, step, ok := ParseStepValue(a.Value)
			if !ok {
				err = fmt.Errorf("bad %s value %q: %w", ActionConfirmStep, a.Value, remediation.ErrPermanent)
				break
			}
			_, err = b.eng.Confirm(ctx, runID, step, user)
		default:
			continue
		}
		if err != nil {
			b.refuse(ctx, user, channel, a.ActionID+" "+a.Value, err)
			b.whisper(ctx, channel, user, b.errText(err, l))
		}
	}
}

// showEvidence sends a diagnosis with its evidence privately to an allowed person.
func (b *Bot) showEvidence(ctx context.Context, channel, user, value string, l remediation.Locale) error {
	if err := b.eng.Policy().MayRequest(ctx, user); err != nil {
		return err
	}
	userID, appID, _ := strings.Cut(value, ":")
	d, err := b.diag.Diagnose(ctx, userID, appID)
	if err != nil {
		return err
	}
	ev := remediation.AuditEvent{Type: remediation.AuditLookup, At: b.cfg.Clock().UTC(), Actor: user, UserID: d.User.ID,
		Detail: "evidence shown in channel " + channel}
	if d.App != nil {
		ev.AppID = d.App.ID
	}
	if err := b.store.Append(ctx, ev); err != nil {
		b.log.WarnContext(ctx, "auditing a lookup", "err", err)
	}
	fallback, blocks := diagnosisBlocks(d, user, "", forAllowed, l)
	if _, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("showing the evidence: %w", err)
	}
	return nil
}

// propose turns a propose_plan click into a saved run and its approval request.
func (b *Bot) propose(ctx context.Context, channel, user, value, responseURL string, l remediation.Locale) error {
	plan, userID, appID, ok := ParsePlanValue(value)
	if !ok {
		return fmt.Errorf("bad %s value %q: %w", ActionProposePlan, value, remediation.ErrPermanent)
	}
	// Diagnose again: the plan is built from Okta as it is now, not as it was when the
	// diagnosis was posted.
	d, err := b.diag.Diagnose(ctx, userID, appID)
	if err != nil {
		return err
	}
	affected := ""
	if d.User.Email != "" {
		affected, _ = b.people.LookupByEmail(ctx, d.User.Email) // best effort: used to refuse self-approval
	}
	manager := ""
	if b.eng.Policy().Rule(plan).Manager {
		manager = b.managerOf(ctx, user)
	}
	// Asked in a direct message: the approval request goes to the first allowed channel,
	// where the approvers are.
	if strings.HasPrefix(channel, "D") && len(b.cfg.Channels) > 0 {
		channel = b.cfg.Channels[0]
	}
	r, err := b.eng.Propose(ctx, remediation.ProposeRequest{Diagnosis: d, AppID: appID, Plan: plan, Requester: user,
		AffectedSlackUser: affected, RequesterManager: manager, Origin: remediation.Origin{Channel: channel, Locale: l}})
	if err != nil {
		return err
	}
	fallback, blocks := requestBlocks(&r, b.eng.Policy().Rule(r.Plan).Risk, b.cfg.Locale)
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
	if _, err := b.eng.AttachMessage(ctx, r.ID, r.Origin.Channel, ts); err != nil {
		b.log.WarnContext(ctx, "recording the request message", "run_id", r.ID, "err", err)
	}
	return nil
}

// managerOf finds the Slack ID of a Slack member's Okta manager: member → email →
// Okta user → managerId → manager's email → Slack member. "" when any link is missing.
func (b *Bot) managerOf(ctx context.Context, member string) string {
	email, err := b.people.UserEmail(ctx, member)
	if err != nil {
		return ""
	}
	u, err := b.diag.Okta.FindUser(ctx, email)
	if err != nil || u.ManagerID == "" {
		return ""
	}
	m, err := b.diag.Okta.FindUser(ctx, u.ManagerID)
	if err != nil || m.Email == "" {
		return ""
	}
	id, err := b.people.LookupByEmail(ctx, m.Email)
	if err != nil {
		b.log.InfoContext(ctx, "the requester's manager is not in Slack", "slack_user_id", member, "err", err)
		return ""
	}
	return id
}

// adoptMessage records the request message of a run that lacks it (the bot stopped
// between posting the request and recording where), so its progress still reaches the
// thread: the click comes from that very message.
func (b *Bot) adoptMessage(ctx context.Context, runID, channel, ts string) {
	if channel == "" || ts == "" {
		return
	}
	r, err := b.store.GetRun(ctx, runID)
	if err != nil || r.Origin.ThreadTS != "" {
		return
	}
	if _, err := b.eng.AttachMessage(ctx, runID, channel, ts); err != nil {
		b.log.WarnContext(ctx, "recording the request message", "run_id", runID, "err", err)
	}
}

// openReject asks for a reason in a modal, after checking the clicker may reject at all.
func (b *Bot) openReject(ctx context.Context, triggerID, channel, user, runID string, l remediation.Locale) error {
	r, err := b.store.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	if err := b.eng.Policy().MayDecide(ctx, &r, user, b.cfg.Clock().UTC()); err != nil {
		return err
	}
	if _, err := b.api.OpenViewContext(ctx, triggerID, rejectModal(runID, channel, l)); err != nil {
		return fmt.Errorf("opening the reject dialog: %w", err)
	}
	return nil
}

func (b *Bot) submitReject(ctx context.Context, cb slack.InteractionCallback, l remediation.Locale) {
	runID, channel, _ := strings.Cut(cb.View.PrivateMetadata, "|")
	reason := strings.TrimSpace(cb.View.State.Values[reasonBlock][reasonAction].Value)
	if _, err := b.eng.Reject(ctx, runID, cb.User.ID, reason); err != nil && channel != "" {
		b.whisper(ctx, channel, cb.User.ID, b.errText(err, l))
	}
}
