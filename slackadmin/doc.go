// Package slackadmin is the Slack side adapter: what the bot and the remediation
// engine need from a Slack workspace beyond chat.
//
// It owns:
//   - SCIM, a small client of Slack's SCIM v2 API (slack-go has none) implementing
//     remediation.SaaSDirectory: find a member by email whether active or deactivated,
//     read one by member ID, and deactivate/reactivate one with a PatchOp on
//     `active`. It authenticates with an admin user token (Business+ or Enterprise
//     Grid), honours 429 Retry-After a bounded number of times, and never logs the
//     token or puts it in an error;
//   - Directory, on slack-go's Web API client: users.lookupByEmail and users.info, to
//     turn a Slack mention into an email (hence an Okta user) and an email into a
//     member ID;
//   - the translation of Slack's errors into remediation's sentinels at this
//     boundary (*remediation.RemoteError with Kind ErrNotFound, ErrDenied,
//     ErrRateLimited, ErrTransient or ErrPermanent), keeping the HTTP status,
//     Slack's error description and its x-slack-req-id.
//
// The SCIM member ID is the Slack member ID ("U…"/"W…") that Okta's Slack app keeps
// as the app user's externalId (docs/background.md, the Slack variant).
package slackadmin
