// Package report renders a diagnosis for terminals: as plain text for people and as
// the JSON object of DESIGN §6 (`okta-chatops diagnose --json`) for scripts. It knows
// nothing of Slack; the bot renders Block Kit from the same diagnosis.
package report
