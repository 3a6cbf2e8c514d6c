// Package bot is the Slack adapter: the Socket Mode loop (every envelope acknowledged
// before any work), slash-command parsing, Block Kit rendering of diagnoses, approval
// requests and progress, the approval buttons and modals, the audit channel, and the
// bot's message catalogue in English and Japanese. It drives the domain (remediation)
// and knows Slack; nothing imports it but cmd.
package bot
