// Package integration holds the end-to-end tests and benchmarks that join the real
// parts: the diagnosis in remediation, the Okta adapter on okta-sdk-golang v2, and the
// simulated Okta org served over HTTP. It has no code of its own outside tests.
package integration
