// Package preflight is `okta-chatops serve --check`: it asks Slack and Okta whether
// they accept the configured credentials, naming the variable behind each verdict,
// and which Okta permissions the token's role has (read-only probes), and says what
// will not work without the missing ones. It changes nothing anywhere.
package preflight
