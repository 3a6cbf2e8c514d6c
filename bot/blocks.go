package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Slack's Block Kit limits, as Slack documents them for each block and element. Rendering keeps within them, shortening text
// with an ellipsis rather than letting Slack refuse the message.
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxButtonText   = 75
	maxButtonValue  = 2000
	maxMessageText  = 4000
	maxContextElems = 10
)

// Action IDs: stable, scripts, tests and users depend on them.
const (
	ActionProposePlan = "propose_plan"
	ActionApproveRun  = "approve_run"
	ActionRejectRun   = "reject_run"
	ActionConfirmStep = "confirm_step"
	// ActionShowEvidence reveals a diagnosis's evidence privately to an allowed person.
	ActionShowEvidence = "show_evidence"
	// ActionCancelRun stops a run that is under way and undoes what it did.
	ActionCancelRun = "cancel_run"
	// ActionDiagnoseUser diagnoses one user of an alert (value: DiagnoseValue).
	ActionDiagnoseUser = "diagnose_user"
	// ActionProposeBulk proposes one bulk fix for the users of an incident (value:
	// BulkValue).
	ActionProposeBulk = "propose_bulk"
	// ActionMarkHandled ends a run that still owes a restore or an undo, on an
	// approver's word that it was put right by hand (value: RunValue).
	ActionMarkHandled = "mark_handled"
	// CallbackRejectRun is the reject modal's callback ID; its input is reasonBlock/reasonAction.
	CallbackRejectRun = "reject_run"
	reasonBlock       = "reason"
	reasonAction      = "reason"
)

// shorten cuts s to at most n characters (runes), marking the cut with "…".
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// esc escapes text from Okta or users for Slack's mrkdwn.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, shorten(s, maxSectionText), false, false)
}

func plain(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, shorten(s, n), false, false)
}

func section(s string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

func contextBlock(lines ...string) *slack.ContextBlock {
	var elems []slack.MixedElement
	for _, l := range lines {
		if l != "" && len(elems) < maxContextElems {
			elems = append(elems, mrkdwn(l))
		}
	}
	return slack.NewContextBlock("", elems...)
}

func button(actionID, value, label string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, shorten(value, maxButtonValue), plain(label, maxButtonText))
	b.Style = style
	return b
}

// fit keeps a message within 50 blocks, replacing what does not fit with a note.
func fit(blocks []slack.Block, more text, l remediation.Locale) []slack.Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	return append(blocks[:maxBlocks-1], contextBlock(more.In(l)))
}

// diagnosisView says who a diagnosis is rendered for.
type diagnosisView int

const (
	// forChannel: the findings and what the fixes will do, with a propose_plan button
	// per plan and a show_evidence button; no raw evidence (System Log lines, IDs).
	forChannel diagnosisView = iota
	// forAllowed: the whole diagnosis with its evidence, shown privately to the
	// requester and approvers; no buttons.
	forAllowed
)

// diagnosisBlocks renders a diagnosis: each finding with its severity, summary, next
// step and caveats; the evidence only for forAllowed, the buttons only for forChannel.
func diagnosisBlocks(d remediation.Diagnosis, requester, cc string, view diagnosisView, l remediation.Locale) (string, []slack.Block) {
	header := msgDiagnosisHeader(d, requester).In(l)
	if cc != "" {
		header += " · cc " + mention(cc)
	}
	blocks := []slack.Block{section(header)}
	for i, f := range d.Findings {
		app := ""
		if f.App != nil && d.App == nil {
			app = " · " + esc(f.App.Label)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*%s* `%s`%s\n%s", msgSeverity(f.Severity).In(l), f.Code, app, esc(f.Summary.In(l)))
		if len(f.Evidence) > 0 && view == forAllowed {
			fmt.Fprintf(&b, "\n*%s:*", msgEvidence().In(l))
			for _, e := range f.Evidence {
				fmt.Fprintf(&b, "\n• %s", esc(e.Line(l)))
			}
		}
		blocks = append(blocks, section(b.String()))
		var notes []string
		if len(f.Runbook) > 0 {
			lines := make([]string, len(f.Runbook))
			for j, s := range f.Runbook {
				lines[j] = fmt.Sprintf("%d. %s", j+1, esc(s.In(l)))
			}
			notes = append(notes, "*"+t("Manual steps", "手動で行う手順").In(l)+":*\n"+strings.Join(lines, "\n"))
		}
		if !f.Advice.IsZero() {
			notes = append(notes, "*"+msgNext().In(l)+":* "+esc(f.Advice.In(l)))
		}
		if len(f.Caveats) > 0 {
			lines := make([]string, len(f.Caveats))
			for j, c := range f.Caveats {
				lines[j] = "• " + esc(c.In(l))
			}
			notes = append(notes, "*"+msgCaveats().In(l)+":*\n"+strings.Join(lines, "\n"))
		}
		if len(notes) > 0 {
			blocks = append(blocks, contextBlock(notes...))
		}
		for j, p := range f.Plans {
			if view != forChannel {
				break
			}
			// One button per actions block: action IDs must be unique within a block.
			blocks = append(blocks, slack.NewActionBlock(fmt.Sprintf("plan-%d-%d", i, j),
				button(ActionProposePlan, ProposeValue{Plan: p, UserID: d.User.ID, AppID: f.App.ID}.Encode(), p.Title().In(l), slack.StylePrimary)))
		}
	}
	if view == forChannel {
		appID := ""
		if d.App != nil {
			appID = d.App.ID
		}
		blocks = append(blocks, contextBlock(msgEvidencePrivate().In(l)),
			slack.NewActionBlock("evidence", button(ActionShowEvidence, EvidenceValue{UserID: d.User.ID, AppID: appID}.Encode(), msgShowEvidence().In(l), "")))
	}
	if len(d.Gaps) > 0 && view == forAllowed {
		lines := []string{"*" + msgGaps().In(l) + ":*"}
		for _, g := range d.Gaps {
			lines = append(lines, "• "+esc(g.In(l)))
		}
		blocks = append(blocks, contextBlock(strings.Join(lines, "\n")))
	}
	more := t("More findings than fit in one message: run `okta-chatops diagnose` for all of them.", "1 つのメッセージに収まらない検出結果があります。すべて見るには `okta-chatops diagnose` を実行してください。")
	return shorten(header, maxMessageText), fit(blocks, more, l)
}

// requestBlocks renders a run's approval request: who asked, for whom, the plan's steps
// with their exact API calls, the risk, who may approve and until when; the Approve and
// Reject buttons while it awaits approval, the decision or outcome afterwards.
func requestBlocks(r *remediation.Run, risk remediation.Risk, l remediation.Locale) (string, []slack.Block) {
	header := msgRequestHeader(r).In(l)
	blocks := []slack.Block{section(header), contextBlock(msgRequestMeta(r, risk).In(l))}
	if r.AppWide {
		blocks = append(blocks, section(msgAppWideRetry(r).In(l)))
	}
	// The dry run, split over sections of at most 3000 characters.
	var cur strings.Builder
	cur.WriteString(msgDryRunHeader().In(l))
	for _, s := range remediation.DryRun(r) {
		var b strings.Builder
		fmt.Fprintf(&b, "\n%d. %s", s.Number, esc(s.Title.In(l)))
		for _, c := range s.Calls {
			fmt.Fprintf(&b, "\n      `%s`", esc(shorten(c, 600)))
		}
		if !s.Instructions.IsZero() {
			fmt.Fprintf(&b, "\n      :raising_hand: %s", esc(s.Instructions.In(l)))
		}
		if cur.Len()+b.Len() > maxSectionText {
			blocks = append(blocks, section(cur.String()))
			cur.Reset()
		}
		cur.WriteString(b.String())
	}
	blocks = append(blocks, section(cur.String()))
	if r.State == remediation.StateAwaitingApproval {
		if d := msgDecision(r); !d.IsZero() {
			blocks = append(blocks, section(d.In(l)))
		}
		blocks = append(blocks, slack.NewActionBlock("decide",
			button(ActionApproveRun, RunValue{RunID: r.ID}.Encode(), msgApprove().In(l), slack.StylePrimary),
			button(ActionRejectRun, RunValue{RunID: r.ID}.Encode(), msgReject().In(l), slack.StyleDanger)))
	} else {
		blocks = append(blocks, section(msgDecision(r).In(l)))
		if r.State == remediation.StateApproved || r.State == remediation.StateRunning {
			blocks = append(blocks, slack.NewActionBlock("cancel", button(ActionCancelRun, RunValue{RunID: r.ID}.Encode(), msgCancelRun().In(l), slack.StyleDanger)))
		}
	}
	blocks = append(blocks, contextBlock(msgRunID(r.ID).In(l)))
	more := t("The plan is too long for one message: see `okta-chatops audit export`.", "計画が長すぎて 1 つのメッセージに収まりません。`okta-chatops audit export` をご覧ください。")
	fallback := header + " — " + mentions(r.Approvers)
	return shorten(fallback, maxMessageText), fit(blocks, more, l)
}

// manualStepBlocks asks a person to do a manual step and click Done.
func manualStepBlocks(r *remediation.Run, ev remediation.AuditEvent, l remediation.Locale) (string, []slack.Block) {
	line := msgProgress(r, ev).In(l)
	return shorten(line, maxMessageText), []slack.Block{
		section(line),
		slack.NewActionBlock(fmt.Sprintf("confirm-%d", ev.Step), button(ActionConfirmStep, StepValue{RunID: r.ID, Step: ev.Step}.Encode(), msgDone().In(l), slack.StylePrimary)),
	}
}

// alertBlocks says what a run leaves for people to put right (remediation.Run.Alert),
// with the button an approver clicks once it was done by hand.
func alertBlocks(r *remediation.Run, l remediation.Locale) (string, []slack.Block) {
	line := shorten(":rotating_light: "+r.Alert.In(l)+" ("+r.ID+")", maxMessageText)
	return line, []slack.Block{
		section(esc(line)),
		slack.NewActionBlock("handled", button(ActionMarkHandled, RunValue{RunID: r.ID}.Encode(), msgMarkHandled().In(l), slack.StyleDanger)),
		contextBlock(msgMarkHandledWho().In(l)),
	}
}

// rejectModal asks why a run is rejected.
func rejectModal(m RejectMetadata, l remediation.Locale) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain(msgRejectModalLabel().In(l), 150), reasonAction)
	input.Multiline = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackRejectRun,
		PrivateMetadata: m.Encode(),
		Title:           plain(msgRejectModalTitle().In(l), 24),
		Submit:          plain(msgRejectModalSubmit().In(l), 24),
		Close:           plain(msgCancel().In(l), 24),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(reasonBlock, plain(msgRejectModalLabel().In(l), 2000), nil, input),
		}},
	}
}
