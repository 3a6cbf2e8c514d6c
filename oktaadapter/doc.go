// Package oktaadapter implements the domain's Okta port (remediation.OktaReader and the
// write operations the remediation steps need) on okta-sdk-golang v2.
//
// It owns everything that knows about the Okta Management API and the SDK:
//   - building the SDK client so that nothing outside Config (~/.okta/okta.yaml,
//     OKTA_CLIENT_* variables) can change how it talks to Okta, with the SDK's GET cache off;
//   - mapping SDK and wire types to the remediation model;
//   - the calls the SDK's types cannot express (JSON null externalId, expand=user/{id},
//     filter and search expressions with escaped values, the app's provisioning
//     connection), sent as raw requests through
//     the SDK's request executor so they share its auth, retries and transport;
//   - translating every failure at the boundary into a *remediation.RemoteError whose
//     Kind is a domain sentinel, keeping the HTTP status, Okta error code and summary and
//     the X-Okta-Request-Id for the audit trail, never a token;
//   - rate-limit pacing per bucket from the X-Rate-Limit-* headers: on budgets shared
//     by every replica through a BudgetStore (storage's Redis budgets) when one is
//     given, else per process; a long wait is announced through Config.OnRateWait.
package oktaadapter
