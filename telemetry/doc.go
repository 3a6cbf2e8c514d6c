// Package telemetry is what /metrics shows: the Prometheus series of the bot, the
// engine, the watcher, scans and Okta calls, on a registry of its own (nothing is
// registered globally). It implements the observer ports those packages declare.
package telemetry
