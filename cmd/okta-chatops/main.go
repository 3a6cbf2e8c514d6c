package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/logctx"
	"github.com/okta-chatops/okta-chatops/storage"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes: a stable contract for scripts (README.md).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is what a subcommand gets from the process: arguments, streams and the
// configuration source. Tests build one by hand.
type env struct {
	args   []string
	stdout io.Writer
	stderr io.Writer
	src    config.Source
	log    *slog.Logger
}

// usageError is a mistake in the command line or the configuration: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

const usage = `okta-chatops — diagnose and fix Okta provisioning failures from Slack

Usage:
  okta-chatops diagnose USER [APP] [--json] [--locale en|ja]
                                  diagnose a user (on one app, or on all of the user's apps)
  okta-chatops scan APP [--json] [--locale en|ja]
                                  check every user assigned to an app; a summary per finding code
  okta-chatops demo [--locale en|ja]
                                  play every troubleshooting scenario through the bot against simulated Okta and Slack (no credentials)
  okta-chatops sim [--addr 127.0.0.1:8089]
                                  serve the simulated Okta org (and Slack's SCIM) with the seeded scenarios
  okta-chatops serve [--check]    run the Slack bot (--check: validate config and reachability, then exit)
  okta-chatops audit export [--since T]
                                  print the audit trail as JSON lines and check its hash chain
  okta-chatops health             exit 0 if the running bot's /healthz answers (container HEALTHCHECK)
  okta-chatops version

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := env{
		args:   os.Args[1:],
		stdout: os.Stdout,
		stderr: os.Stderr,
		src:    config.Source{Getenv: os.Getenv, ReadFile: os.ReadFile},
		// Every line logged with a context carries its run_id / okta_user_id /
		// slack_user_id (logctx).
		log: slog.New(logctx.Handler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})}),
	}
	// go-redis logs dial failures and sentinel switches through one package-level
	// logger, its only hook: set it here, once for the process, so those lines are
	// slog lines, rate-limited, instead of several unstructured lines a second.
	redis.SetLogger(&storage.RedisLogger{Log: e.log})
	code := run(ctx, e)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and turns its error into an exit code and one line
// on stderr.
func run(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	cmd, rest := e.args[0], e.args[1:]
	e.args = rest
	var err error
	switch cmd {
	case "diagnose":
		err = runDiagnose(ctx, e)
	case "scan":
		err = runScan(ctx, e)
	case "demo":
		err = runDemo(ctx, e)
	case "sim":
		err = runSim(ctx, e)
	case "audit":
		err = runAudit(ctx, e)
	case "serve":
		err = runServe(ctx, e)
	case "health":
		err = runHealth(ctx, e)
	case "version", "--version":
		fmt.Fprintln(e.stdout, "okta-chatops", version)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
	default:
		err = usagef("unknown command %q; run okta-chatops help", cmd)
	}
	if err == nil {
		return exitOK
	}
	// One line, so scripts can read the reason (joined configuration errors included).
	reason := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ; ")), " ")
	fmt.Fprintln(e.stderr, "okta-chatops "+cmd+": "+reason)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFailure
}
