// Package bot is the Slack adapter: the Socket Mode loop (every envelope acknowledged
// before any work), slash-command parsing, Block Kit rendering of diagnoses, approval
// requests and progress, the approval buttons and modals, the audit channel, and the
// bot's message catalogue in English and Japanese. It turns envelopes into calls of
// the domain's use cases (remediation.UseCases, which check the policy and audit) and
// their results into Block Kit; what travels in buttons and modals is typed in
// payload.go. It knows Slack and no Okta or Redis package; nothing imports it but cmd.
package bot
