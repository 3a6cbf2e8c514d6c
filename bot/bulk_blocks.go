package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// The blocks and texts of bulk runs: what the approval request adds (how many users,
// the first of them, the canary and the batches, the blast-radius guard), the progress
// message updated in the thread, and the thread lines.

// bulkFirstUsers is how many users the approval request names.
const bulkFirstUsers = 10

// bulkResultSections bounds the sections listing users' results at the end.
const bulkResultSections = 4

// bulkSummaryBlocks is what a bulk run's approval request shows besides a single
// run's: the count, the first users, how it proceeds and when it stops.
func bulkSummaryBlocks(r *remediation.Run, l remediation.Locale) []slack.Block {
	bk := r.Bulk
	n := len(bk.Users)
	var names []string
	for i := 0; i < n && i < bulkFirstUsers; i++ {
		names = append(names, esc(bk.Users[i].Login))
	}
	users := strings.Join(names, ", ")
	if n > bulkFirstUsers {
		users += msgBulkMore(n - bulkFirstUsers).In(l)
	}
	lines := []string{
		msgBulkCount(n, r.Target.AppLabel).In(l),
		users,
		msgBulkHow(bk.Rules).In(l),
		msgBulkDryRunFor(bk.Users[0].Login).In(l),
	}
	if n > bk.Rules.Threshold {
		lines = append(lines, msgBulkGuard(bk.Rules.Threshold, r.Quorum).In(l))
	}
	return []slack.Block{section(strings.Join(lines, "\n"))}
}

func msgBulkCount(n int, app string) text {
	return tf(":busts_in_silhouette: *Bulk fix for %d users* of *%s*:", ":busts_in_silhouette: *%[2]s の %[1]d 人のユーザーへの一括対処*:", n, esc(app))
}

func msgBulkMore(n int) text { return tf(" … and %d more", " … ほか %d 人", n) }

func msgBulkHow(rules remediation.BulkRules) text {
	return tf("The first user is the canary: fixed and verified before anyone else is touched. Then batches of at most %d users, with provisioning paused once per batch and restored after it. It stops, restoring provisioning, after %d failed users or when more than %.0f%% of those attempted failed.",
		"最初のユーザーをカナリアとして対処し、確認できてから他のユーザーに進みます。その後は最大 %d 人ずつのバッチで進め、プロビジョニングはバッチごとに一時停止して終わりしだい元に戻します。失敗が %d 人に達するか、対処したユーザーの %.0f%% を超えて失敗した時点で停止し、プロビジョニング設定を復元します。",
		rules.BatchSize, rules.StopAfterFailures, rules.MaxFailureRate*100)
}

func msgBulkDryRunFor(login string) text {
	return tf("The dry run below is the plan for one user (%s); every user gets the same steps.", "以下のドライランは 1 人分(%s)の計画です。各ユーザーに同じ手順を実施します。", esc(login))
}

func msgBulkGuard(threshold, quorum int) text {
	return tf(":shield: More than %d users: %d different approvers must approve.", ":shield: 対象が %d 人を超えるため、%d 名の異なる承認者による承認が必要です。", threshold, quorum)
}

// bulkResultMark is the emoji of a user's result.
func bulkResultMark(s remediation.BulkUserStatus) string {
	switch s {
	case remediation.BulkFixed:
		return ":white_check_mark:"
	case remediation.BulkFailed:
		return ":x:"
	case remediation.BulkSkipped, remediation.BulkChanged:
		return ":fast_forward:"
	case remediation.BulkUntouched:
		return ":white_circle:"
	}
	return ":hourglass_flowing_sand:"
}

func msgBulkResult(s remediation.BulkUserStatus) text {
	switch s {
	case remediation.BulkFixed:
		return t("fixed and verified", "対処・確認済み")
	case remediation.BulkFailed:
		return t("failed", "失敗")
	case remediation.BulkSkipped:
		return t("already healthy, skipped", "正常なためスキップ")
	case remediation.BulkChanged:
		return t("no longer assigned, left alone", "割り当てが解除されていたため対象外")
	case remediation.BulkUntouched:
		return t("not touched", "未処理")
	}
	return t("in progress", "処理中")
}

func msgBulkProgress(r *remediation.Run, c remediation.BulkCounts, eta time.Duration) text {
	out := tf(":bar_chart: *Bulk fix on %s:* %d done · %d failed · %d skipped · %d left (of %d)",
		":bar_chart: *%s への一括対処:* 完了 %d 人 · 失敗 %d 人 · スキップ %d 人 · 残り %d 人(全 %d 人)",
		esc(r.Target.AppLabel), c.Fixed, c.Failed, c.Skipped, c.Left, c.Total)
	if r.State.Terminal() {
		out = tf(":bar_chart: *Bulk fix on %s:* %d done · %d failed · %d skipped · %d not touched (of %d)",
			":bar_chart: *%s への一括対処:* 完了 %d 人 · 失敗 %d 人 · スキップ %d 人 · 未処理 %d 人(全 %d 人)",
			esc(r.Target.AppLabel), c.Fixed, c.Failed, c.Skipped, c.Left, c.Total)
	}
	if !r.State.Terminal() && r.Bulk.Batches > 0 {
		out = tf("%s · batch %d", "%s · バッチ %d", out, r.Bulk.Batches)
		if !r.Bulk.CanaryDone {
			out = tf("%s (canary)", "%s(カナリア)", out)
		}
	}
	if eta > 0 && !r.State.Terminal() {
		out = tf("%s · about %s left", "%s · 残り約 %s", out, eta.Round(time.Second))
	}
	return out
}

// bulkProgressBlocks is a bulk run's progress message: the counts and an estimate
// while it runs; at the end its outcome and each user's result, failures first, as
// many as Slack's limits allow, then a count of the rest.
func bulkProgressBlocks(r *remediation.Run, now time.Time, l remediation.Locale) (string, []slack.Block) {
	bk := r.Bulk
	c := bk.Counts()
	head := msgBulkProgress(r, c, bk.Estimate(now)).In(l)
	blocks := []slack.Block{section(head)}
	if !r.State.Terminal() {
		return shorten(head, maxMessageText), blocks
	}
	if d := msgDecision(r); !d.IsZero() {
		blocks = append(blocks, section(d.In(l)))
	}
	var lines []string
	for _, want := range []remediation.BulkUserStatus{remediation.BulkFailed, remediation.BulkUntouched, remediation.BulkSkipped, remediation.BulkChanged, remediation.BulkFixed} {
		for i, u := range bk.Users {
			if bk.UserResult(i) != want {
				continue
			}
			line := fmt.Sprintf("%s %s — %s", bulkResultMark(want), esc(u.Login), msgBulkResult(want).In(l))
			if want == remediation.BulkFailed && u.Error != "" {
				line += ": " + esc(shorten(u.Error, 200))
			}
			lines = append(lines, line)
		}
	}
	// Sections of at most maxSectionText characters, at most bulkResultSections of
	// them (a message of tens of kilobytes is refused or unreadable), then a count.
	shown, sections := 0, 0
	var cur strings.Builder
	for _, line := range lines {
		if cur.Len()+len(line)+1 > maxSectionText {
			if sections+1 >= bulkResultSections || len(blocks) >= maxBlocks-2 {
				break // cur is the last section
			}
			blocks = append(blocks, section(cur.String()))
			sections++
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
		shown++
	}
	if cur.Len() > 0 {
		blocks = append(blocks, section(cur.String()))
	}
	if rest := len(lines) - shown; rest > 0 {
		blocks = append(blocks, contextBlock(msgBulkRest(rest, r.ID).In(l)))
	}
	return shorten(head, maxMessageText), blocks
}

func msgBulkRest(n int, runID string) text {
	return tf("… and %d more users: `/okta-audit %s` or `okta-chatops audit export` has every result.", "… ほか %d 人: すべての結果は `/okta-audit %s` または `okta-chatops audit export` で確認できます。", n, runID)
}

// msgBulkLine is the thread line of a bulk run's event ("" for the events the progress
// message shows instead).
func msgBulkLine(r *remediation.Run, ev remediation.AuditEvent) text {
	switch ev.Type {
	case remediation.AuditApproved:
		return tf(":ballot_box_with_check: Approved by %s (%d of %d)", ":ballot_box_with_check: %s が承認(%d / %d)", mention(ev.Actor), len(r.Decisions), r.Quorum)
	case remediation.AuditQueued:
		return tf(":hourglass_flowing_sand: Waiting: another run (%s) is pausing provisioning on %s; this one goes next.",
			":hourglass_flowing_sand: 待機中: 別の実行(%s)が %s のプロビジョニングを一時停止しています。それが終わりしだい実行します。", r.QueuedBehind, esc(r.Target.AppLabel))
	case remediation.AuditResumed:
		c := r.Bulk.Counts()
		return tf(":repeat: Resumed after an interruption; %d users left.", ":repeat: 中断後に再開しました。残り %d 人です。", c.Left)
	case remediation.AuditReminded, remediation.AuditExpired, remediation.AuditRejected:
		return msgProgress(r, ev)
	case remediation.AuditCancelled:
		if !r.State.Terminal() {
			return tf(":octagonal_sign: Cancel requested by %s: stopping after the user under way, then restoring provisioning.",
				":octagonal_sign: %s が取り消しを依頼しました。処理中のユーザーが終わりしだい停止し、プロビジョニング設定を復元します。", mention(ev.Actor))
		}
	}
	return text{}
}

// msgBulkRunLine is a bulk run's line in /okta-status.
func msgBulkRunLine(r *remediation.Run) text {
	c := r.Bulk.Counts()
	return tf("`%s` %s — %d users on %s — *%s* (%d done, %d failed, %d skipped, %d left), requested by %s",
		"`%[1]s` %[2]s — %[4]s の %[3]d 人 — *%[5]s*(完了 %[6]d 人、失敗 %[7]d 人、スキップ %[8]d 人、残り %[9]d 人)、依頼者 %[10]s",
		r.ID, r.Plan.Title(), c.Total, esc(r.Target.AppLabel), remediation.StateText(r.State), c.Fixed, c.Failed, c.Skipped, c.Left, mention(r.Requester))
}
