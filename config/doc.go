// Package config reads okta-chatops' configuration from the environment (the variables listed in README.md),
// with every secret also readable from a file named by NAME_FILE, and validates it
// with errors that name the variable and say what is wrong. Secrets are kept in a
// type that never prints its value.
package config
