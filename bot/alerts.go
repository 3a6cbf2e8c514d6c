package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// The alert channel: one message per incident (an app and a finding code), posted once
// and updated as users join it.

// alertUsers is how many users an alert lists by name (each with diagnose_user); the
// rest are counted.
const alertUsers = 20

// alertGap is the least time between two alert calls to Slack: chat.postMessage allows
// about one message a second per channel.
const alertGap = time.Second

// AlertsConfig configures Alerts.
type AlertsConfig struct {
	// Channel is OKTA_CHATOPS_ALERT_CHANNEL.
	Channel string
	// Locale of the alert messages (OKTA_CHATOPS_LOCALE).
	Locale remediation.Locale
	Logger *slog.Logger
}

// Alerts posts and updates incident alerts in the alert channel, paced within Slack's
// per-channel rate (it waits, and honours Retry-After). It implements
// remediation.Alerter.
type Alerts struct {
	cfg AlertsConfig
	api *slack.Client

	mu   sync.Mutex // one call at a time, alertGap apart
	last time.Time
}

// NewAlerts returns the alert poster for cfg.Channel.
func NewAlerts(cfg AlertsConfig, api *slack.Client) *Alerts {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Alerts{cfg: cfg, api: api}
}

var _ remediation.Alerter = (*Alerts)(nil)

// ShowIncident implements remediation.Alerter: it posts the incident's alert, or
// updates the one posted before (in.Channel, in.MessageTS).
func (a *Alerts) ShowIncident(ctx context.Context, in remediation.Incident) (string, string, error) {
	fallback, blocks := incidentBlocks(in, a.cfg.Locale)
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	a.mu.Lock()
	defer a.mu.Unlock()
	if wait := alertGap - time.Since(a.last); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", "", ctx.Err()
		case <-t.C:
		}
	}
	defer func() { a.last = time.Now() }()
	if in.MessageTS != "" && in.Channel != "" {
		return a.update(ctx, in, opts)
	}
	if ts := a.posted(ctx, in.ID); ts != "" {
		// Posted before by a replica that died before keeping where: update that one.
		in.Channel, in.MessageTS = a.cfg.Channel, ts
		return a.update(ctx, in, opts)
	}
	var ch, ts string
	err := honourRetryAfter(ctx, func() error {
		var err error
		ch, ts, err = a.api.PostMessageContext(ctx, a.cfg.Channel, opts...)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("posting the alert of %s in %s: %w", in.ID, a.cfg.Channel, err)
	}
	return ch, ts, nil
}

func (a *Alerts) update(ctx context.Context, in remediation.Incident, opts []slack.MsgOption) (string, string, error) {
	err := honourRetryAfter(ctx, func() error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, in.Channel, in.MessageTS, opts...)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("updating the alert of %s: %w", in.ID, err)
	}
	return in.Channel, in.MessageTS, nil
}

// alertHistory is how many of the alert channel's newest messages are searched for an
// incident's alert before it is posted.
const alertHistory = 100

// posted finds the alert of incident id among the channel's newest messages (its first
// block's ID is the incident ID), "" when there is none or the history cannot be read
// (then the alert is posted; it may appear twice).
func (a *Alerts) posted(ctx context.Context, id string) string {
	h, err := a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: a.cfg.Channel, Limit: alertHistory})
	if err != nil {
		a.cfg.Logger.WarnContext(ctx, "cannot read the alert channel's history (the channels:history and groups:history scopes): an alert interrupted by a crash may be posted twice", "incident_id", id, "err", err)
		return ""
	}
	for _, m := range h.Messages {
		for _, b := range m.Blocks.BlockSet {
			if b.ID() == id {
				return m.Timestamp
			}
		}
	}
	return ""
}

// alertCause says in one line what is wrong with the app.
func alertCause(in remediation.Incident) text {
	app := esc(in.App.Label)
	switch in.Code {
	case remediation.StaleExternalID:
		return tf("Provisioning to %s fails: the users' accounts were deleted in %s, but Okta still pushes to their old external IDs.",
			"%s へのプロビジョニングに失敗しています。%s 側でアカウントが削除されていますが、Okta は古い外部ID に対してプッシュを続けています。", app, app)
	case remediation.SaaSUserDeactivated:
		return tf("Provisioning to %s fails: the users' accounts are deactivated in %s.",
			"%s へのプロビジョニングに失敗しています。%s 側でアカウントが無効化されています。", app, app)
	case remediation.AppCredentialsInvalid:
		return tf("%s refuses Okta's provisioning credentials: no user is provisioned until the integration is fixed.",
			"%s が Okta のプロビジョニング用の認証情報を拒否しています。連携を修正するまで、どのユーザーもプロビジョニングされません。", app)
	case remediation.ProvisioningConnectionDisabled:
		return tf("The provisioning connection of %s is disabled: Okta provisions no one there.",
			"%s のプロビジョニング接続が無効になっているため、Okta からは誰もプロビジョニングされません。", app)
	case remediation.MatchingUserNotFound:
		return tf("Provisioning to %s fails: %s finds no matching user for them.",
			"%s へのプロビジョニングに失敗しています。%s 側で一致するユーザーが見つかりません。", app, app)
	case remediation.SaaSAccountConflict:
		return tf("Provisioning to %s fails: an account with the same username or email already exists in %s.",
			"%s へのプロビジョニングに失敗しています。同じユーザー名またはメールアドレスのアカウントが %s 側にすでに存在します。", app, app)
	case remediation.AssignedBeforeProvisioning:
		return tf("Provisioning to %s fails: the users were assigned before provisioning was enabled and need re-assigning.",
			"%s へのプロビジョニングに失敗しています。プロビジョニングを有効にする前に割り当てられたユーザーのため、再割り当てが必要です。", app)
	case remediation.AttributeRejected:
		return tf("Provisioning to %s fails: %s rejects an attribute value Okta pushes.",
			"%s へのプロビジョニングに失敗しています。Okta がプッシュする属性値を %s が拒否しています。", app, app)
	case remediation.SaaSRateLimited:
		return tf("Provisioning to %s fails: %s is rate-limiting Okta's calls.",
			"%s へのプロビジョニングに失敗しています。%s が Okta からの呼び出しにレート制限をかけています。", app, app)
	default:
		return tf("Provisioning to %s fails for a reason the bot does not recognise.",
			"%s へのプロビジョニングが、ボットでは判別できない理由で失敗しています。", app)
	}
}

// incidentBlocks renders an incident's alert: the cause in one line, since when, the users
// (the first alertUsers with diagnose_user, then a count), propose_bulk when two or
// more share a plan, and for an app-wide cause its runbook instead of per-user buttons.
func incidentBlocks(in remediation.Incident, l remediation.Locale) (string, []slack.Block) {
	cause := alertCause(in).In(l)
	since := slackDate(in.FirstSeen)
	n := len(in.Users)
	var head text
	switch {
	case in.AppWide && n == 0:
		head = tf("%s · finding %s · since %s", "%s · 検出コード %s · %s から", esc(in.App.Label), in.Code, since)
	case n == 1:
		head = tf("%s · finding %s · 1 user · since %s", "%s · 検出コード %s · 1 人 · %s から", esc(in.App.Label), in.Code, since)
	default:
		head = tf("%s · finding %s · %d users · since %s", "%s · 検出コード %s · %d 人 · %s から", esc(in.App.Label), in.Code, n, since)
	}
	head0 := section(":rotating_light: *" + cause + "*")
	head0.BlockID = in.ID // how a replica finds the alert again after a crash
	blocks := []slack.Block{
		head0,
		contextBlock(head.In(l)),
	}
	shown := in.Users[:min(n, alertUsers)]
	if in.AppWide {
		if n > 0 {
			logins := make([]string, len(shown))
			for i, u := range shown {
				logins[i] = "`" + esc(u.Login) + "`"
			}
			line := t("Users whose provisioning failed: ", "プロビジョニングに失敗したユーザー: ").In(l) + strings.Join(logins, ", ")
			if n > len(shown) {
				line += tf(" and %d more", " ほか %d 人", n-len(shown)).In(l)
			}
			blocks = append(blocks, section(line))
		}
		var steps []string
		for i, s := range remediation.IncidentRunbook(in) {
			steps = append(steps, fmt.Sprintf("%d. %s", i+1, s.In(l)))
		}
		if len(steps) > 0 {
			blocks = append(blocks, section(t("*What to do in the Admin Console*", "*管理コンソールでの対応*").In(l)+"\n"+strings.Join(steps, "\n")))
		}
		return shorten(cause, maxMessageText), blocks
	}
	for _, u := range shown {
		line := "`" + esc(u.Login) + "` · " + slackDate(u.SeenAt)
		b := slack.NewSectionBlock(mrkdwn(line), nil, slack.NewAccessory(
			button(ActionDiagnoseUser, DiagnoseValue{UserID: u.ID, AppID: in.App.ID}.Encode(), t("Diagnose", "診断").In(l), "")))
		blocks = append(blocks, b)
	}
	if n > len(shown) {
		blocks = append(blocks, contextBlock(tf("…and %d more users (not listed).", "…ほか %d 人(一覧には表示していません)。", n-len(shown)).In(l)))
	}
	if in.Plan != "" && n >= 2 {
		label := tf("Fix all %d users: %s", "%d 人をまとめて対処: %s", n, in.Plan.Title().In(l)).In(l)
		blocks = append(blocks, slack.NewActionBlock("bulk",
			button(ActionProposeBulk, BulkValue{Plan: in.Plan, IncidentID: in.ID}.Encode(), label, slack.StylePrimary)))
	}
	return shorten(cause, maxMessageText), blocks
}

// diagnoseUser runs the diagnosis of one user of an alert (a diagnose_user click) and
// posts it as /okta-diagnose does: the evidence to the clicker only, the findings and
// fixes in the channel. Who may diagnose may click it (Admit).
func (b *Bot) diagnoseUser(ctx context.Context, c remediation.Caller, value string) error {
	v, err := DecodeDiagnoseValue(value)
	if err != nil {
		return err
	}
	if err := b.uc.Admit(ctx, c, ActionDiagnoseUser); err != nil {
		return err
	}
	d, err := b.uc.Diagnose(ctx, c, v.UserID, v.AppID)
	if err != nil {
		return err
	}
	privText, privBlocks := diagnosisBlocks(d, c.ID, "", forAllowed, c.Locale)
	if _, err := b.api.PostEphemeralContext(ctx, c.Channel, c.ID, slack.MsgOptionText(privText, false), slack.MsgOptionBlocks(privBlocks...)); err != nil {
		b.log.WarnContext(ctx, "showing the evidence of an alert's user", "err", err)
	}
	fallback, blocks := diagnosisBlocks(d, c.ID, "", forChannel, b.cfg.Locale)
	if _, _, err := b.api.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("posting the diagnosis: %w", err)
	}
	return nil
}
