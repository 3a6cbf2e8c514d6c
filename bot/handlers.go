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

// handleSlash answers one slash command.
func (b *Bot) handleSlash(ctx context.Context, sc slack.SlashCommand) {
	l := b.localeOf(ctx, sc.UserID)
	log := b.log.With("slack_user_id", sc.UserID, "command", sc.Command)
	cmd, err := ParseCommand(sc.Command, sc.Text)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			b.respond(ctx, sc.ResponseURL, ue.Text.In(l))
			return
		}
		b.respond(ctx, sc.ResponseURL, msgError(err).In(l))
		return
	}
	switch cmd.Name {
	case CmdHelp:
		b.respond(ctx, sc.ResponseURL, Usage(cmd.Topic).In(l))
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
		b.respond(ctx, sc.ResponseURL, b.errText(err, l))
		return
	}
	b.respond(ctx, sc.ResponseURL, msgWorking(esc(userQ), esc(cmd.App)).In(l))
	d, err := b.diag.Diagnose(ctx, userQ, cmd.App)
	if err != nil {
		b.respond(ctx, sc.ResponseURL, b.errText(err, l))
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
	fallback, blocks := diagnosisBlocks(d, sc.UserID, b.cfg.Locale)
	if _, _, err := b.api.PostMessageContext(ctx, sc.ChannelID, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		// Not in the channel (or a DM): answer where the command was typed instead.
		b.log.InfoContext(ctx, "posting the diagnosis in the channel failed; answering through response_url", "channel", sc.ChannelID, "err", err)
		wm := &slack.WebhookMessage{Text: fallback, ResponseType: slack.ResponseTypeInChannel, Blocks: &slack.Blocks{BlockSet: blocks}}
		if err := slack.PostWebhookContext(ctx, sc.ResponseURL, wm); err != nil {
			b.log.WarnContext(ctx, "answering a diagnosis", "err", err)
		}
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
			b.respond(ctx, sc.ResponseURL, b.errText(err, l))
			return
		}
		runs = []remediation.Run{r}
	} else {
		var err error
		runs, err = b.store.ListRuns(ctx, remediation.RunFilter{States: []remediation.RunState{
			remediation.StateAwaitingApproval, remediation.StateApproved, remediation.StateRunning, remediation.StateVerifying}, Limit: 20})
		if err != nil {
			b.respond(ctx, sc.ResponseURL, b.errText(err, l))
			return
		}
	}
	if len(runs) == 0 {
		b.respond(ctx, sc.ResponseURL, msgNoRuns().In(l))
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
	b.respond(ctx, sc.ResponseURL, strings.Join(lines, "\n"))
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
			b.respond(ctx, sc.ResponseURL, b.errText(err, l))
			return
		}
	default:
		a, err := b.diag.Okta.FindApp(ctx, cmd.App)
		if err != nil {
			b.respond(ctx, sc.ResponseURL, b.errText(err, l))
			return
		}
		match = func(e remediation.AuditEvent) bool { return e.AppID == a.ID }
	}
	entries, err := b.store.Audit(ctx, b.cfg.Clock().Add(-90*24*time.Hour), 0)
	if err != nil {
		b.respond(ctx, sc.ResponseURL, b.errText(err, l))
		return
	}
	var lines []string
	for _, e := range entries {
		if match(e.Event) {
			lines = append(lines, msgAuditLine(e).In(l))
		}
	}
	if len(lines) == 0 {
		b.respond(ctx, sc.ResponseURL, t("No audit entries found.", "監査ログは見つかりませんでした。").In(l))
		return
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	_ = b.store.Append(ctx, remediation.AuditEvent{Type: remediation.AuditLookup, At: b.cfg.Clock().UTC(), Actor: sc.UserID,
		RunID: cmd.RunID, Detail: "audit query in channel " + sc.ChannelID})
	b.respond(ctx, sc.ResponseURL, strings.Join(lines, "\n"))
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
			err = b.propose(ctx, channel, user, a.Value, l)
		case ActionApproveRun:
			b.adoptMessage(ctx, a.Value, channel, cb.Container.MessageTs)
			_, err = b.eng.Approve(ctx, a.Value, user, "")
		case ActionRejectRun:
			err = b.openReject(ctx, cb.TriggerID, channel, user, a.Value, l)
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
			b.whisper(ctx, channel, user, b.errText(err, l))
		}
	}
}

// propose turns a propose_plan click into a saved run and its approval request.
func (b *Bot) propose(ctx context.Context, channel, user, value string, l remediation.Locale) error {
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
	if b.eng.Policy.Rule(plan).Manager {
		manager = b.managerOf(ctx, user)
	}
	r, err := b.eng.Propose(ctx, remediation.ProposeRequest{Diagnosis: d, AppID: appID, Plan: plan, Requester: user,
		AffectedSlackUser: affected, RequesterManager: manager, Origin: remediation.Origin{Channel: channel, Locale: l}})
	if err != nil {
		return err
	}
	fallback, blocks := requestBlocks(&r, b.eng.Policy.Rule(r.Plan).Risk, b.cfg.Locale)
	_, ts, err := b.api.PostMessageContext(ctx, channel, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		// The run is saved; /okta-status shows it and an approver can still act on it.
		return fmt.Errorf("posting the approval request of %s: %w", r.ID, err)
	}
	if _, err := b.eng.AttachMessage(ctx, r.ID, channel, ts); err != nil {
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
	if err := b.eng.Policy.MayDecide(ctx, &r, user, b.cfg.Clock().UTC()); err != nil {
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
