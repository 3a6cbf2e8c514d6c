package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// simToken is the API token the simulated org accepts. It guards nothing real.
const simToken = "sim-okta-api-token"

// scimPath is where the simulated Slack SCIM API of the Slack app is mounted.
const scimPath = "/scim/v2/"

// simServer is the seeded simulated Okta org served over HTTP on loopback.
type simServer struct {
	Org       *oktasim.Org
	URL       string
	Token     string
	SCIMToken string
	srv       *http.Server
	done      chan error
}

// startSim seeds the org with every scenario and serves it on addr. limits overrides
// Okta's per-minute rate limits (zero: Okta's own).
func startSim(e env, addr string, limits oktasim.Limits) (*simServer, error) {
	org, err := oktasim.NewSeeded(oktasim.Options{Token: simToken, Logger: e.log, Limits: limits})
	if err != nil {
		return nil, fmt.Errorf("seeding the simulated org: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		org.Close()
		return nil, usagef("cannot listen on %s: %v", addr, err)
	}
	slackID, ok := org.AppID(oktasim.LabelSlack)
	if !ok {
		org.Close()
		_ = ln.Close()
		return nil, errors.New("the seeded org has no Slack app")
	}
	mux := http.NewServeMux()
	mux.Handle("/", org.Handler())
	mux.Handle(scimPath, http.StripPrefix(strings.TrimSuffix(scimPath, "/"), org.SCIMHandler(slackID, oktasim.DefaultSCIMToken)))
	s := &simServer{
		Org:       org,
		URL:       "http://" + ln.Addr().String(),
		Token:     simToken,
		SCIMToken: oktasim.DefaultSCIMToken,
		srv:       &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done:      make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops serving and the org's background work.
func (s *simServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	s.Org.Close()
	return err
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
