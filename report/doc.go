// Package report renders a diagnosis for terminals: as plain text for people and as
// the JSON object of `okta-chatops diagnose --json` (a stable contract) for scripts. It knows
// nothing of Slack; the bot renders Block Kit from the same diagnosis.
package report
