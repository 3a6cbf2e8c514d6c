package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// The bot's message catalogue: every text the bot sends is built here, in English and
// Japanese, so none can exist in one language only. Domain texts (findings, plans,
// steps, refusals, outcomes) arrive from remediation as remediation.Text already; a
// Text given as an argument to tf is used in the matching language.

type text = remediation.Text

func t(en, ja string) text               { return remediation.T(en, ja) }
func tf(en, ja string, args ...any) text { return remediation.Tf(en, ja, args...) }

func mention(id string) string {
	switch {
	case strings.HasPrefix(id, "S"):
		return "<!subteam^" + id + ">"
	case strings.HasPrefix(id, "U"), strings.HasPrefix(id, "W"):
		return "<@" + id + ">"
	}
	return id
}

func mentions(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = mention(id)
	}
	return strings.Join(out, " ")
}

// slackDate renders at so each reader sees it in their own time zone.
func slackDate(at time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", at.Unix(), at.UTC().Format("2006-01-02 15:04 UTC"))
}

func msgWorking(user, app string) text {
	if app == "" {
		return tf(":hourglass_flowing_sand: Diagnosing %s on all of their apps…", ":hourglass_flowing_sand: %s のすべてのアプリを診断しています…", user)
	}
	return tf(":hourglass_flowing_sand: Diagnosing %s on %s…", ":hourglass_flowing_sand: %s の %s を診断しています…", user, app)
}

func msgDiagnosisHeader(d remediation.Diagnosis, requester string) text {
	if d.App == nil {
		return tf(":mag: Diagnosis of *%s* on all of their apps (%d), asked by %s", ":mag: *%s* の全アプリ(%d 件)の診断結果(依頼者 %s)",
			esc(d.User.Login), len(d.Apps), mention(requester))
	}
	return tf(":mag: Diagnosis of *%s* on *%s*, asked by %s", ":mag: *%s* の *%s* の診断結果(依頼者 %s)", esc(d.User.Login), esc(d.App.Label), mention(requester))
}

func msgSeverity(s remediation.Severity) text {
	switch s {
	case remediation.SevError:
		return t(":red_circle: Error", ":red_circle: エラー")
	case remediation.SevWarning:
		return t(":large_yellow_circle: Warning", ":large_yellow_circle: 警告")
	}
	return t(":large_blue_circle: Info", ":large_blue_circle: 情報")
}

func msgEvidence() text { return t("Evidence", "根拠") }
func msgNext() text     { return t("Next step", "次の手順") }
func msgCaveats() text {
	return t("Known issues of custom user types that apply", "該当するカスタムのユーザータイプの既知の問題")
}
func msgGaps() text { return t("Could not check", "確認できなかった項目") }

func msgRequestHeader(r *remediation.Run) text {
	return tf(":hammer_and_wrench: *Fix requested:* %s for *%s* on *%s*", ":hammer_and_wrench: *対処の依頼:* %s(*%s* / *%s*)",
		r.Plan.Title(), esc(r.Target.UserLogin), esc(r.Target.AppLabel))
}

func msgRisk(r remediation.Risk) text {
	if r == remediation.RiskHigh {
		return t("high — pauses provisioning for the whole app", "高 — アプリ全体のプロビジョニングを一時停止します")
	}
	return t("medium — touches this user only", "中 — このユーザーのみに影響します")
}

func msgRequestMeta(r *remediation.Run, risk remediation.Risk) text {
	return tf("Requested by %s · Risk: %s · Approvers: %s (%d needed) · Expires %s",
		"依頼者 %s · リスク: %s · 承認者: %s(%d 名必要)· 期限 %s",
		mention(r.Requester), msgRisk(risk), mentions(r.Approvers), r.Quorum, slackDate(r.ExpiresAt))
}

// msgAppWideRetry says, on the request of an app-wide cause, that the retry is no fix
// by itself.
func msgAppWideRetry(r *remediation.Run) text {
	return tf(":warning: Every user of %s is affected. Re-assigning %s helps only once the integration is fixed: do the manual steps first (each is confirmed with Done), and retry the other affected users afterwards.",
		":warning: %s のすべてのユーザーが影響を受けています。%s の再割り当ては、連携を修正した後でなければ効果がありません。先に手動の手順を実施し(各手順は [完了] で確認します)、その後で影響を受けた他のユーザーも再試行してください。",
		esc(r.Target.AppLabel), esc(r.Target.UserLogin))
}

func msgDryRunHeader() text {
	return t("*Steps and the exact API calls (dry run):*", "*手順と実行される API 呼び出し(ドライラン):*")
}

func msgApprove() text { return t("Approve", "承認") }
func msgReject() text  { return t("Reject", "却下") }
func msgDone() text    { return t("Done", "完了") }

func msgRunID(id string) text { return tf("Run `%s`", "実行 `%s`", id) }

// msgDecision is the line that replaces the buttons once a run is decided or ended.
func msgDecision(r *remediation.Run) text {
	var last remediation.Decision
	if n := len(r.Decisions); n > 0 {
		last = r.Decisions[n-1]
	}
	switch r.State {
	case remediation.StateAwaitingApproval:
		if len(r.Decisions) > 0 {
			return tf(":ballot_box_with_check: Approved by %s (%d of %d); waiting for more approvals.", ":ballot_box_with_check: %s が承認(%d / %d)。さらに承認が必要です。",
				mention(last.By), len(r.Decisions), r.Quorum)
		}
		if !r.Outcome.IsZero() {
			return tf(":arrows_counterclockwise: %s", ":arrows_counterclockwise: %s", r.Outcome)
		}
		return text{}
	case remediation.StateApproved, remediation.StateRunning, remediation.StateVerifying:
		return tf(":white_check_mark: Approved by %s — running; progress in the thread.", ":white_check_mark: %s が承認 — 実行中です。進捗はスレッドをご覧ください。", mention(last.By))
	case remediation.StateRejected:
		return tf(":no_entry: Rejected by %s: %s", ":no_entry: %s が却下: %s", mention(last.By), last.Reason)
	case remediation.StateExpired:
		return t(":hourglass: Expired without approval; nothing was changed.", ":hourglass: 承認されないまま期限切れになりました。変更は行われていません。")
	case remediation.StateCancelled:
		return tf(":leftwards_arrow_with_hook: Cancelled. %s", ":leftwards_arrow_with_hook: 取り消されました。%s", r.Outcome)
	case remediation.StateSucceeded:
		return tf(":white_check_mark: %s", ":white_check_mark: %s", r.Outcome)
	case remediation.StateFailed, remediation.StateCompensated:
		return tf(":x: %s", ":x: %s", r.Outcome)
	}
	return text{}
}

// msgProgress is the thread line for one audit event of a run ("" when the event is not
// worth a line).
func msgProgress(r *remediation.Run, ev remediation.AuditEvent) text {
	step := text{}
	if ev.Step >= 1 && ev.Step <= len(r.Steps) {
		dr := remediation.DryRun(r)[ev.Step-1]
		step = tf("step %d/%d — %s", "手順 %d/%d — %s", ev.Step, len(r.Steps), dr.Title)
	}
	switch ev.Type {
	case remediation.AuditApproved:
		return tf(":ballot_box_with_check: Approved by %s (%d of %d)", ":ballot_box_with_check: %s が承認(%d / %d)", mention(ev.Actor), len(r.Decisions), r.Quorum)
	case remediation.AuditStepStarted:
		return tf(":arrow_forward: Started %s", ":arrow_forward: 開始: %s", step)
	case remediation.AuditStepDone:
		return tf(":white_check_mark: Done %s", ":white_check_mark: 完了: %s", step)
	case remediation.AuditStepSkipped:
		return tf(":white_check_mark: Already in place: %s", ":white_check_mark: 実施済み: %s", step)
	case remediation.AuditStepFailed:
		return tf(":warning: %s failed: %s", ":warning: %s が失敗: %s", step, ev.Detail)
	case remediation.AuditStepWaiting:
		s := r.Steps[ev.Step-1]
		if s.Status == remediation.StepUndoWaiting {
			return tf(":raising_hand: %s, the fix failed; please undo %s by hand: %s", ":raising_hand: %s さん、対処に失敗しました。%s を手作業で元に戻してください: %s",
				mention(s.AssignedTo), step, remediation.Tf(
					"Admin Console → Applications → Applications → %s → Provisioning → To App: turn back on what was on before, then click Done.",
					"管理コンソール → [アプリケーション] → [アプリケーション] → %s → [プロビジョニング] → [To App(アプリへ)]: 実行前にオンだった項目をオンに戻してから [完了] をクリックしてください。", r.Target.AppLabel))
		}
		return tf(":raising_hand: %s, please do %s: %s", ":raising_hand: %s さん、次の手順を手作業で実施してください。%s: %s",
			mention(s.AssignedTo), step, remediation.DryRun(r)[ev.Step-1].Instructions)
	case remediation.AuditReminded:
		if ev.Step >= 1 && ev.Step <= len(r.Steps) {
			asked := ev
			asked.Type = remediation.AuditStepWaiting
			return tf(":bell: Reminder, still waiting: %s", ":bell: リマインダー(まだ完了していません): %s", msgProgress(r, asked))
		}
		return tf(":bell: Reminder: this request still waits for approval by %s (%d needed); it expires %s.",
			":bell: リマインダー: この依頼はまだ承認されていません。承認者: %s(%d 名必要)。期限: %s。",
			mentions(r.Approvers), r.Quorum, slackDate(r.ExpiresAt))
	case remediation.AuditConfirmed:
		return tf(":ok_hand: %s confirmed %s", ":ok_hand: %s が確認: %s", mention(ev.Actor), step)
	case remediation.AuditCompensated:
		if ev.Step > 0 {
			return tf(":leftwards_arrow_with_hook: Undone: %s", ":leftwards_arrow_with_hook: 取り消し: %s", step)
		}
		return tf(":leftwards_arrow_with_hook: %s", ":leftwards_arrow_with_hook: %s", r.Outcome)
	case remediation.AuditQueued:
		return tf(":hourglass_flowing_sand: Waiting: another run (%s) is pausing provisioning on %s; this one goes next.",
			":hourglass_flowing_sand: 待機中: 別の実行(%s)が %s のプロビジョニングを一時停止しています。それが終わりしだい実行します。", r.QueuedBehind, r.Target.AppLabel)
	case remediation.AuditResumed:
		return tf(":repeat: Resumed after an interruption, at step %d/%d", ":repeat: 中断後に手順 %d/%d から再開しました", r.Cursor+1, len(r.Steps))
	case remediation.AuditReplanned:
		return tf(":arrows_counterclockwise: Okta changed since the approval (%s): the plan was rebuilt and needs approval again.",
			":arrows_counterclockwise: 承認後に Okta の状態が変わったため(%s)、計画を作り直しました。再度承認が必要です。", ev.Detail)
	case remediation.AuditVerified, remediation.AuditFailed, remediation.AuditCancelled, remediation.AuditRejected, remediation.AuditExpired:
		return msgDecision(r)
	}
	return text{}
}

func msgRefusal(ref *remediation.Refusal) text {
	if len(ref.Approvers) == 0 {
		return tf(":no_entry_sign: %s", ":no_entry_sign: %s", ref.Reason)
	}
	return tf(":no_entry_sign: %s Ask: %s", ":no_entry_sign: %s 依頼先: %s", ref.Reason, mentions(ref.Approvers))
}

func msgError(err error) text {
	return tf(":warning: %s", ":warning: %s", remediation.ErrorText(err))
}

func msgBusy() text {
	return t(":hourglass: The bot is busy; please try again in a moment.", ":hourglass: ボットが混み合っています。しばらくしてからもう一度お試しください。")
}

func msgUnknownUser(id string) text {
	return tf("Slack user %s has no email address the bot can see, so their Okta account cannot be found; give their login instead.",
		"Slack ユーザー %s のメールアドレスを取得できないため、Okta アカウントを特定できません。ログイン ID を指定してください。", mention(id))
}

func msgRejectModalTitle() text { return t("Reject the fix", "対処を却下") }
func msgRejectModalLabel() text {
	return t("Why? (recorded in the audit trail)", "却下の理由(監査ログに記録されます)")
}
func msgRejectModalSubmit() text { return t("Reject", "却下") }
func msgCancel() text            { return t("Cancel", "キャンセル") }

func msgNoRuns() text { return t("No runs found.", "実行は見つかりませんでした。") }

func msgRunLine(r *remediation.Run) text {
	return tf("`%s` %s — %s on %s — *%s* (step %d/%d), requested by %s", "`%s` %s — %s / %s — *%s*(手順 %d/%d)、依頼者 %s",
		r.ID, r.Plan.Title(), r.Target.UserLogin, r.Target.AppLabel, remediation.StateText(r.State), min(r.Cursor+1, len(r.Steps)), len(r.Steps), mention(r.Requester))
}

func msgAuditLine(e remediation.AuditEntry) text {
	ev := e.Event
	subject := ""
	if ev.RunID != "" {
		subject = " `" + ev.RunID + "`"
	}
	if ev.Plan != "" {
		subject += " " + string(ev.Plan)
	}
	step := text{}
	if ev.Step > 0 {
		step = tf(" step %d (%s)", " 手順 %d(%s)", ev.Step, ev.Kind)
	}
	detail := ev.Detail
	if len(ev.Codes) > 0 {
		codes := make([]string, len(ev.Codes))
		for i, c := range ev.Codes {
			codes[i] = string(c)
		}
		detail = strings.TrimSpace(strings.Join(codes, ", ") + " " + detail)
	}
	if ev.OktaRequestID != "" {
		detail += " (Okta request " + ev.OktaRequestID + ")"
	}
	actor := mention(ev.Actor)
	return tf(":scroll: `%s`%s%s by %s at %s: %s", ":scroll: `%s`%s%s 実行者 %s 日時 %s: %s",
		ev.Type, subject, step, actor, ev.At.UTC().Format(time.RFC3339), detail)
}

func msgEvidencePrivate() text {
	return t(":lock: The evidence (System Log lines, IDs) was sent privately to the requester; approvers can show it to themselves.",
		":lock: 根拠(System Log の内容や ID)は依頼者にのみ送りました。承認者は自分にだけ表示できます。")
}

func msgShowEvidence() text { return t("Show evidence (only to me)", "根拠を表示(自分のみ)") }

func msgRateLimited(wait time.Duration) text {
	s := int(wait.Round(time.Second) / time.Second)
	return tf(":hourglass: Too many commands; try again in %d s.", ":hourglass: コマンドの実行回数が上限に達しました。%d 秒後にもう一度お試しください。", max(s, 1))
}

func msgWrongChannel(channels []string) text {
	links := make([]string, len(channels))
	for i, c := range channels {
		links[i] = "<#" + c + ">"
	}
	return tf(":no_entry_sign: okta-chatops does not answer in this channel; use it in %s (or in a direct message with the bot).",
		":no_entry_sign: okta-chatops はこのチャンネルでは利用できません。%s(またはボットとのダイレクトメッセージ)で利用してください。", strings.Join(links, " "))
}

func msgCancelRun() text { return t("Cancel and undo", "取り消して元に戻す") }

func msgStoreDown() text {
	return t(":warning: The bot's store is unavailable; nothing was changed. Please try again in a moment.",
		":warning: ボットのデータストアに接続できないため、何も変更していません。しばらくしてから再度お試しください。")
}

func msgMarkHandled() text {
	return t("Mark handled (done by hand)", "対応済みにする(手動で対応済み)")
}

func msgMarkHandledWho() text {
	return t("Only an approver can mark it handled, once the settings above are back as they were; the bot then stops retrying.",
		"上記の設定を手動で元に戻した後、承認者のみが対応済みにできます。対応済みにすると、ボットは再試行を止めます。")
}

// markHandledNote is the audit trail's note of a run marked handled in Slack.
const markHandledNote = "marked handled in Slack"

// msgRateWait says that an Okta call waits for its rate budget rather than be refused.
func msgRateWait(bucket string, wait time.Duration) text {
	api := t("Okta API", "Okta API")
	switch bucket {
	case "apps", "logs", "users":
		api = tf("Okta's /api/v1/%s", "Okta の /api/v1/%s", bucket)
	}
	s := max(int(wait.Round(time.Second)/time.Second), 1)
	return tf(":hourglass_flowing_sand: Nearly all of the rate limit of %s (shared by every replica of the bot) is used, so the next call waits about %d s rather than be refused. Nothing is wrong; it goes on by itself.",
		":hourglass_flowing_sand: %s のレート制限(ボットの全レプリカで共有)の残りがわずかなため、拒否されないよう次の呼び出しまで約 %d 秒待機しています。問題はありません。このまま自動的に続行します。", api, s)
}
