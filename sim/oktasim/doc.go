// Package oktasim is a faithful, in-memory simulation of an Okta org and of the
// downstream SaaS behind each of its provisioning-enabled apps.
//
// It owns:
//   - the Org: users, user types, groups, group rules, apps, app users (assignments),
//     the USER_PROVISIONING feature of each app, and the System Log;
//   - one simulated SaaS per app (Slack, Zoom, a custom SCIM app…) holding the accounts
//     that Okta provisioning creates, links by externalId, deactivates and reactivates;
//   - the HTTP surface (Handler) speaking Okta's Management API paths, JSON shapes,
//     error bodies, rate-limit headers and Link paging, plus /oauth2/v1/token for the
//     SDK's private-key mode;
//   - fault injection and a request recorder for tests;
//   - the seeded scenarios (Scenarios, NewSeeded) used by tests, `okta-chatops demo`
//     and `okta-chatops sim`;
//   - orgs of a real org's size on demand (Org.Generate: thousands of apps, groups
//     with their rules, users, a subject whose failures weeks old hide behind the
//     sign-in events of a busy user), for tests and benchmarks only.
//
// The point of the package is fidelity: the JSON it serves is checked against Okta's
// OpenAPI schemas and real recorded exchanges (see fidelity_test.go), and the
// provisioning behaviour reproduces the troubleshooting seeds, including their quirks
// (a stale externalId surviving unassignment, "User account is inactive" on Slack, an
// externalId write that re-assigns the user and whose response shows null). A client
// that works against this simulator should work against Okta; a simulator that merely
// agrees with a wrong client proves nothing.
//
// Provisioning rules, where Okta's behaviour had to be pinned down:
//
//   - Assigning a user (directly or through a group) while create.lifecycleCreate is
//     ENABLED and the Okta user is ACTIVE schedules a push, completed ProvisionDelay
//     later. Without an externalId Okta looks for a SaaS account with the user's
//     userName: none → a new account is created; an active one → it is linked; an
//     inactive one → reactivated when update.lifecycleDeactivate is ENABLED, otherwise
//     the push fails with "User account is inactive". With an externalId the push is a
//     profile push to that account: gone → "No user returned for user <externalId>"
//     (syncState ERROR, externalId kept); inactive → reactivated when
//     lifecycleDeactivate is ENABLED, otherwise "User account is inactive" and Okta drops
//     the link (externalId becomes null), as seed 000's Slack variant shows.
//   - Unassigning keeps Okta's record of the app user. With lifecycleDeactivate ENABLED
//     the SaaS account is deactivated and the record's externalId cleared
//     (DEPROVISIONED); with it DISABLED nothing is pushed and the record keeps its
//     externalId, so unassign + assign restores the stale externalId: this is why the
//     seed's fix 1 can fail and fix 2 is needed.
//   - Writing externalId (POST {"externalId": …}) on an unassigned user re-assigns it.
//     While lifecycleCreate is ENABLED that re-assignment provisions at once, so null
//     cannot stick (a new account is created or matched). On Slack the response to a
//     write of a value shows externalId null although it took effect.
//   - Turning lifecycleCreate from DISABLED to ENABLED pushes every assigned user that
//     is not SYNCHRONIZED.
//   - Nothing is pushed for an Okta user that is not ACTIVE.
//   - Group rules are evaluated only for users of the default user type (seed 003).
//   - The failures beyond the articles are states of an app's integration that every
//     push honours (causes.go): refused credentials (every push fails, and
//     application.integration.authentication_failure is logged on the app), a
//     disabled connection (nothing is pushed; connections/default says DISABLED), a
//     rate limit, provisioning enabled after assignments, an unlinked conflicting
//     SaaS account, a rejected attribute value. Each heals the way an admin heals it.
package oktasim
