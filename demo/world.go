package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// OktaToken is the API token the simulated org accepts. It guards nothing real.
const OktaToken = "sim-okta-api-token"

// SCIMPath is where the simulated Slack SCIM API of the Slack app is mounted.
const SCIMPath = "/scim/v2/"

// OktaServer is the seeded simulated Okta org served over HTTP on loopback.
type OktaServer struct {
	Org       *oktasim.Org
	URL       string
	Token     string
	SCIMToken string
	srv       *http.Server
	done      chan error
}

// ListenError is returned by StartOkta when addr cannot be listened on (a usage
// mistake, not a failure of the simulator).
type ListenError struct {
	Addr string
	Err  error
}

func (e ListenError) Error() string { return fmt.Sprintf("cannot listen on %s: %v", e.Addr, e.Err) }
func (e ListenError) Unwrap() error { return e.Err }

// StartOkta seeds an org with every scenario and serves it on addr. limits overrides
// Okta's per-minute rate limits (zero: Okta's own).
func StartOkta(log *slog.Logger, addr string, limits oktasim.Limits) (*OktaServer, error) {
	org, err := oktasim.NewSeeded(oktasim.Options{Token: OktaToken, Logger: log, Limits: limits})
	if err != nil {
		return nil, fmt.Errorf("seeding the simulated org: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		org.Close()
		return nil, ListenError{Addr: addr, Err: err}
	}
	slackID, ok := org.AppID(oktasim.LabelSlack)
	if !ok {
		org.Close()
		_ = ln.Close()
		return nil, errors.New("the seeded org has no Slack app")
	}
	mux := http.NewServeMux()
	mux.Handle("/", org.Handler())
	mux.Handle(SCIMPath, http.StripPrefix(strings.TrimSuffix(SCIMPath, "/"), org.SCIMHandler(slackID, oktasim.DefaultSCIMToken)))
	s := &OktaServer{
		Org:       org,
		URL:       "http://" + ln.Addr().String(),
		Token:     OktaToken,
		SCIMToken: oktasim.DefaultSCIMToken,
		srv:       &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done:      make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops serving and the org's background work.
func (s *OktaServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	s.Org.Close()
	return err
}

// The demo's workspace and cast.
const (
	requester = "U0HELPDESK"
	approver  = "U0ITMANAGER"
	approver2 = "U0SECOPS01" // the second approver a bulk run of many users needs
	channel   = "C0ITOPS001"
	alertChan = "C0ALERTS01" // where the System Log watcher alerts
	auditChan = "C0AUDIT001"
	botToken  = "xoxb-demo-bot-token"
	appToken  = "xapp-demo-app-token"
)

// startSlack serves a simulated Slack workspace on loopback with the demo's cast.
func startSlack(l remediation.Locale) (*slacksim.Workspace, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	slackLocale := "en-US"
	if l == remediation.JA {
		slackLocale = "ja-JP"
	}
	url := "http://" + ln.Addr().String()
	ws := slacksim.New(slacksim.Options{BotToken: botToken, AppToken: appToken, BaseURL: url, PingInterval: 5 * time.Second})
	ws.AddUser(slacksim.User{ID: requester, Name: "helpdesk", Email: "helpdesk@example.com", Locale: slackLocale})
	ws.AddUser(slacksim.User{ID: approver, Name: "itmanager", Email: "itmanager@example.com", Locale: slackLocale})
	ws.AddChannel(channel, "it-ops", true)
	ws.AddUser(slacksim.User{ID: approver2, Name: "secops", Email: "secops@example.com", Locale: slackLocale})
	ws.AddChannel(alertChan, "okta-alerts", true)
	ws.AddChannel(auditChan, "okta-audit", true)
	srv := &http.Server{Handler: ws.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	stop := func() {
		ws.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
	return ws, url, stop, nil
}
