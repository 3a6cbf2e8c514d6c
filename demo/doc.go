// Package demo plays an incident of many users (the watcher's alert, a bulk fix with two
// approvers, a canary, batches) and the troubleshooting scenarios end to end against
// simulated Okta and Slack, as people would in Slack, and prints the conversation in the order it
// happened. It also serves the simulated Okta org for `okta-chatops sim`. The bot it
// talks to is started by the caller (cmd/okta-chatops), exactly as `serve` runs it.
package demo
