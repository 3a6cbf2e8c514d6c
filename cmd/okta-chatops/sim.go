package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/okta-chatops/okta-chatops/demo"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// scimPath is where the simulated Slack SCIM API of the Slack app is mounted.
const scimPath = demo.SCIMPath

// simServer is the seeded simulated Okta org served over HTTP on loopback.
type simServer = demo.OktaServer

// startSim serves the seeded simulated org on addr; an address that cannot be listened
// on is a usage error.
func startSim(e env, addr string, limits oktasim.Limits) (*simServer, error) {
	s, err := demo.StartOkta(e.log, addr, limits)
	if le := (demo.ListenError{}); errors.As(err, &le) {
		return nil, usageError{err}
	}
	return s, err
}

// runSim: `okta-chatops sim [--addr 127.0.0.1:8089]` serves the seeded org until
// interrupted and prints how to point a client at it.
func runSim(ctx context.Context, e env) error {
	_, flags, err := parseArgs(e.args, nil, []string{"addr"})
	if err != nil {
		return err
	}
	addr := flags["addr"]
	if addr == "" {
		addr = "127.0.0.1:8089"
	}
	s, err := startSim(e, addr, oktasim.Limits{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Simulated Okta org on %s (Ctrl-C stops it)\n\n", s.URL)
	fmt.Fprintf(e.stdout, "  export OKTA_ORG_URL=%s OKTA_ALLOW_HTTP=true OKTA_API_TOKEN=%s\n", s.URL, s.Token)
	fmt.Fprintf(e.stdout, "  export SLACK_SCIM_URL=%s%s SLACK_SCIM_TOKEN=%s\n\n", s.URL, scimPath, s.SCIMToken)
	fmt.Fprintln(e.stdout, "Seeded scenarios (try: okta-chatops diagnose USER APP):")
	for _, sc := range append(oktasim.Scenarios(), oktasim.MoreScenarios()...) {
		fmt.Fprintf(e.stdout, "  %-24s %-28s %-12q %s\n", sc.Name, sc.UserLogin, sc.AppLabel, sc.Title)
	}
	<-ctx.Done()
	return s.Close()
}
