// Package remediation is the domain of okta-chatops: it turns what Okta (and the
// downstream SaaS) say about a user and an app into findings with evidence, and the
// findings into the fixes the troubleshooting guides describe.
//
// It owns the domain model (users, apps, app users, provisioning capabilities, System
// Log events), the findings catalogue, the diagnosis, the use cases every front end
// shares (UseCases: each with its policy check and audit event), and the ports it
// needs from the outside world. It imports no Slack, Redis or Okta SDK package:
// adapters implement its ports and translate their errors into the sentinels declared
// here.
//
// The Engine (engine.go) runs the fixes as durable runs. Its steps describe effects
// (turn provisioning off with these capabilities, unassign, set the externalId to
// null…); the adapters render them as the exact HTTP calls for the dry run
// (CallRenderer), so no wire format lives here.
package remediation
