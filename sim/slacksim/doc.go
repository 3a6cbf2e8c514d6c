// Package slacksim is a simulated Slack workspace for the bot's end-to-end tests and
// for `okta-chatops demo`.
//
// It owns:
//   - the workspace state: users, user groups, channels (and whether the bot is a
//     member), messages with their threads and edit history, ephemeral messages,
//     modal views, trigger_ids and response_urls;
//   - the HTTP surface (Workspace.Handler): the Web API at /api/<method>, the
//     response_url endpoint at /response/<id>, and the Socket Mode WebSocket at /link/;
//   - the people: SlashCommand, Click and Submit build the payloads Slack would send
//     when a person types a command, clicks a button the bot rendered, or submits a
//     modal the bot opened, and deliver them over Socket Mode;
//   - the observations tests make: Messages, Thread, Ephemerals, Views, WaitMessage,
//     Calls, Connections, and fault hooks (RateLimit, Disconnect, Drop).
//
// The point is fidelity, checked against what slack-go v0.35.0 sends and expects and
// against Slack's documentation: a bot that works here should work against Slack,
// and a simulator that merely agrees with a wrong client proves nothing. So the
// simulator refuses what Slack refuses: unknown or wrong tokens (not_authed,
// invalid_auth, not_allowed_token_type), posting where the bot is not a member
// (not_in_channel), oversized text (msg_too_long), Block Kit that breaks Slack's
// limits (invalid_blocks, with Slack's "[ERROR] … [json-pointer:…]" messages),
// stale or reused trigger_ids (expired_trigger_id, exchanged_trigger_id), a sixth
// use of a response_url, and a click on a button the bot never rendered.
//
// Socket Mode behaviour, as slack-go's socketmode client experiences it:
//
//   - apps.connections.open accepts only the app-level (xapp-) token and answers
//     ws://<host>/link/?ticket=…; a ticket works once.
//   - On connect the simulator sends hello (num_connections, debug_info,
//     connection_info.app_id), then WebSocket pings every PingInterval: slack-go
//     drops a connection that has not been pinged within its own ping interval.
//   - Each envelope goes to one open connection, round robin. If it is not acked
//     within AckTimeout (Slack: 3 s) it is sent again, with the same envelope_id and
//     payload, retry_attempt+1 and retry_reason "timeout", possibly on another
//     connection, up to MaxRetries times. Delivery is therefore at least once and
//     the bot must dedupe. An ack frame of 20 KB or more is dropped, as Slack does.
//   - The eleventh concurrent connection is told {"type":"disconnect",
//     "reason":"too_many_websockets"} and closed.
//
// Where Slack's behaviour could not be pinned down from its documentation the
// choice is documented on the code that makes it (for example the message text
// limit, see Options.MaxTextChars).
package slacksim
