// Command okta-chatops is the Slack bot that diagnoses and fixes Okta provisioning
// failures, and its terminal tools. This package only wires the parts together:
// subcommands serve | diagnose | demo | sim | audit | version (README.md).
package main
