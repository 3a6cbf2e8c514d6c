package bot

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// scanUpdateEvery is how often the progress message of a scan is updated at most:
// chat.update is a Tier 3 method (about 50 a minute per workspace), shared with every
// other message the bot updates.
const scanUpdateEvery = 2 * time.Second

// maxScanUsers is how many users of one code the summary names; the rest are counted.
const maxScanUsers = 10

// ScanMetrics hears about scans; the bot's Metrics implements it when it counts them.
type ScanMetrics interface {
	// Scanned: a scan ended with outcome ("ok" or "error") after checking users.
	Scanned(outcome string, checked int)
}

// parseScan reads APP, which is required.
func parseScan(text string) (Command, *UsageError) {
	app, why := parseApp(text)
	if why != nil {
		return Command{}, why
	}
	if app == "" {
		return Command{}, badInput("Say which app to scan.", "確認するアプリを指定してください。")
	}
	return Command{App: app}, nil
}

// scan runs /okta-scan: a progress message in the channel, updated while the app's
// users are read, which becomes the summary per finding code, with a propose_bulk
// button where one plan fits two users or more.
func (b *Bot) scan(ctx context.Context, sc slack.SlashCommand, c remediation.Caller, cmd Command) {
	l := c.Locale
	cl := b.cfg.Locale
	b.answer(ctx, sc, msgScanWorking(esc(cmd.App)).In(l))
	channel, ts := "", ""
	if ch, t, err := b.api.PostMessageContext(ctx, sc.ChannelID, slack.MsgOptionText(msgScanProgress(esc(cmd.App), 0).In(cl), false)); err == nil {
		channel, ts = ch, t
	} else {
		b.log.InfoContext(ctx, "posting the scan's progress in the channel failed; answering through response_url", "channel", sc.ChannelID, "err", err)
	}
	every := newThrottle(b.cfg.Clock, scanUpdateEvery)
	res, err := b.uc.Scan(ctx, c, cmd.App, func(p remediation.ScanProgress) {
		if ts == "" || p.Done || !every.due() {
			return
		}
		if _, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(msgScanProgress(esc(p.App.Label), p.Checked).In(cl), false)); err != nil {
			b.log.WarnContext(ctx, "updating the scan's progress", "channel", channel, "err", err)
		}
	})
	m, counts := b.cfg.Metrics.(ScanMetrics)
	if err != nil {
		if counts {
			m.Scanned("error", 0)
		}
		msg := b.errText(err, l)
		if ts != "" {
			if _, _, _, uerr := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(msgScanFailed(esc(cmd.App)).In(cl), false)); uerr != nil {
				b.log.WarnContext(ctx, "updating the scan's message", "channel", channel, "err", uerr)
			}
		}
		b.answer(ctx, sc, msg)
		return
	}
	if counts {
		m.Scanned("ok", res.Checked)
	}
	fallback, blocks := scanBlocks(res, sc.UserID, cl)
	if ts != "" {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		if err == nil {
			return
		}
		b.log.WarnContext(ctx, "updating the scan's message with its summary", "channel", channel, "err", err)
	}
	wm := &slack.WebhookMessage{Text: fallback, ResponseType: slack.ResponseTypeInChannel, Blocks: &slack.Blocks{BlockSet: blocks}}
	if err := slack.PostWebhookContext(ctx, sc.ResponseURL, wm); err != nil {
		b.log.WarnContext(ctx, "answering a scan", "err", scrubURL(err, sc.ResponseURL))
	}
}

// scanBlocks renders a scan's summary: the totals, then per code its cause, how many
// users and the first of them, and the bulk proposal where one fits.
func scanBlocks(r remediation.ScanResult, requester string, l remediation.Locale) (string, []slack.Block) {
	header := msgScanHeader(r, requester).In(l)
	blocks := []slack.Block{section(header)}
	offers := map[remediation.Code]remediation.Incident{}
	for _, in := range r.Offers {
		offers[in.Code] = in
	}
	for _, code := range r.SortedCodes() {
		var users []string
		for _, f := range r.Failing {
			if f.Code == code && len(users) < maxScanUsers {
				users = append(users, esc(f.User.Login))
			}
		}
		line := "*" + esc(code.Title().In(l)) + "* (`" + string(code) + "`): " + msgUsers(r.Counts[code]).In(l) + "\n" + strings.Join(users, ", ")
		if more := r.Counts[code] - len(users); more > 0 {
			line += " " + msgAndMore(more).In(l)
		}
		blocks = append(blocks, section(line))
		if in, ok := offers[code]; ok {
			v := BulkValue{Plan: in.Plan, IncidentID: in.ID}.Encode()
			blocks = append(blocks, slack.NewActionBlock("", button(ActionProposeBulk, v, msgProposeBulk(in.Plan, len(in.Users)).In(l), slack.StylePrimary)))
		}
	}
	if len(r.Gaps) > 0 {
		var gs []string
		for _, g := range r.Gaps {
			gs = append(gs, esc(g.In(l)))
		}
		blocks = append(blocks, contextBlock(msgGaps().In(l)+": "+strings.Join(gs, " · ")))
	}
	return header, fit(blocks, msgScanMore(), l)
}

// throttle says when a periodic update is due: at most once per every, the first one
// every after it was made.
type throttle struct {
	clock remediation.Clock
	every time.Duration
	last  time.Time
}

func newThrottle(c remediation.Clock, every time.Duration) *throttle {
	return &throttle{clock: c, every: every, last: c.Now()}
}

func (t *throttle) due() bool {
	now := t.clock.Now()
	if now.Sub(t.last) < t.every {
		return false
	}
	t.last = now
	return true
}
