package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// incidentUsers is how many Zoom accounts the demo's SaaS clean-up deletes: more than
// the bulk threshold (5), so the fix needs two approvers.
const incidentUsers = 30

// incidentPolicy is the demo's policy file: batches of 10, so the run shows a canary and
// then several batches, each in its own short provisioning pause.
const incidentPolicy = "bulk:\n  batch_size: 10\n"

// incident plays an incident of many users: a Zoom admin's clean-up deletes 30 Zoom
// accounts, whose next profile pushes fail; the watcher posts one grouped alert; the
// helpdesk proposes the bulk fix from it; two approvers approve; the bot fixes a canary,
// then the others in batches; each user ends SYNCHRONIZED with a new External ID.
func (p *player) incident(ctx context.Context) error {
	zoom, ok := p.okta.AppID(oktasim.LabelZoom)
	if !ok {
		return errors.New("the seeded org has no Zoom app")
	}
	p.t.flush(p.ws.AllMessages())
	p.t.say("%s", p.t.tr("👤 A Zoom admin's clean-up deletes %d Zoom accounts that Okta still manages; Okta's next profile pushes to them fail.",
		"👤 Zoom の管理者が整理作業で、Okta が管理している Zoom アカウント %d 件を削除します。以降、それらへの Okta のプロフィールのプッシュは失敗します。", incidentUsers))
	ids, err := p.okta.AddStaleUsers(ctx, zoom, "zoomuser", incidentUsers)
	if err != nil {
		return err
	}
	old := map[string]string{}
	for _, id := range ids {
		st, _ := p.okta.AppUser(zoom, id)
		old[id] = st.ExternalID
	}

	// The watcher's one alert, updated as users join it, until it lists all of them.
	alert, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		b, ok := m.Button("propose_bulk")
		return m.Channel == alertChan && ok && strings.Contains(b.Text, fmt.Sprint(incidentUsers))
	})
	if err != nil {
		return fmt.Errorf("%s: %w", p.t.tr("no alert listing all %d users", "%d 人全員を示すアラートがありません", incidentUsers), err)
	}
	if n := p.count(func(m slacksim.Message) bool { return m.Channel == alertChan && !m.Ephemeral && m.ThreadTS == "" }); n != 1 {
		return errors.New(p.t.tr("%d alert messages for one incident, not one", "1 件のインシデントにアラートが %d 件投稿されました(1 件のはずです)", n))
	}
	bulk, _ := alert.Button("propose_bulk")
	p.t.say("")
	p.act("helpdesk", "%s [%s]", p.t.tr("clicks", "がクリック"), bulk.Text)
	if _, err := p.ws.Click(ctx, requester, alertChan, alert.TS, bulk.ActionID, bulk.Value); err != nil {
		return err
	}
	req, err := p.waitFor(ctx, func(m slacksim.Message) bool {
		_, ok := m.Button("approve_run")
		return ok && p.t.printed[m.TS] == 0
	})
	if err != nil {
		return err
	}
	approve, _ := req.Button("approve_run")
	runID := approve.Value
	p.act("itmanager", "%s [%s]", p.t.tr("clicks", "がクリック"), approve.Text)
	edits := len(req.Edits)
	if _, err := p.ws.Click(ctx, approver, req.Channel, req.TS, approve.ActionID, runID); err != nil {
		return err
	}
	// One approval of two: the request says so and waits for a second approver.
	if _, err := p.waitFor(ctx, func(m slacksim.Message) bool { return m.TS == req.TS && len(m.Edits) > edits }); err != nil {
		return err
	}
	if run, err := p.store.GetRun(ctx, runID); err != nil {
		return err
	} else if run.State != remediation.StateAwaitingApproval {
		return errors.New(p.t.tr("one approval started a run of %d users", "1 人の承認だけで %d 人の実行が始まりました", incidentUsers))
	}
	p.act("secops", "%s [%s]", p.t.tr("clicks", "がクリック"), approve.Text)
	if _, err := p.ws.Click(ctx, approver2, req.Channel, req.TS, approve.ActionID, runID); err != nil {
		return err
	}
	run, err := p.follow(ctx, req, runID, time.Minute)
	if err != nil {
		return err
	}
	if run.State != remediation.StateSucceeded {
		return fmt.Errorf("%s: %s", p.t.tr("the bulk run did not succeed", "一括対処が成功しませんでした"), run.Outcome.In(p.t.l))
	}
	for _, id := range ids {
		st, ok := p.okta.AppUser(zoom, id)
		if !ok || st.SyncState != "SYNCHRONIZED" || st.ExternalID == "" || st.ExternalID == old[id] {
			return errors.New(p.t.tr("user %s is not healed in Okta (%s, External ID %q)", "ユーザー %s が Okta で解消していません(%s、外部ID %q)", id, st.SyncState, st.ExternalID))
		}
	}
	p.t.say("✓ %s", p.t.tr("healed: all %d users are SYNCHRONIZED with Zoom under a new External ID",
		"解消: %d 人全員が新しい外部IDで Zoom と同期済み(SYNCHRONIZED)になりました", incidentUsers))
	return nil
}

// follow waits until a run ends, printing its thread (the progress message and its
// updates) as it goes.
func (p *player) follow(ctx context.Context, req slacksim.Message, runID string, limit time.Duration) (remediation.Run, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(limit)
	for {
		p.t.flush(p.ws.AllMessages())
		run, err := p.store.GetRun(ctx, runID)
		if err != nil {
			return run, err
		}
		if run.State.Terminal() {
			outcome := firstLineOf(run.Outcome.In(p.t.l))
			_, err := p.waitFor(ctx, func(m slacksim.Message) bool { return m.ThreadTS == req.TS && m.Contains(outcome) })
			p.t.flush(p.ws.AllMessages())
			return run, err
		}
		select {
		case <-tick.C:
		case <-deadline:
			return run, fmt.Errorf("run %s did not end within %s", runID, limit)
		case <-ctx.Done():
			return run, ctx.Err()
		}
	}
}

// count counts the workspace's messages that match.
func (p *player) count(match func(slacksim.Message) bool) int {
	n := 0
	for _, m := range p.ws.AllMessages() {
		if match(m) {
			n++
		}
	}
	return n
}
