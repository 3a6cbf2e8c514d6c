// Package testclock is the one test clock of the project: it moves only when a test
// says so, and is safe for concurrent use. Pass its Now method wherever a
// remediation.Clock (func() time.Time) is taken.
package testclock
