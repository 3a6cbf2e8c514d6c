package slackadmin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/slackadmin"
)

// simSlack is the seeded Okta org with its Slack app's SCIM API mounted the way
// `okta-chatops sim` and the demo mount it.
type simSlack struct {
	org   *oktasim.Org
	slack string // app id
	url   string // SCIM base, without its trailing slash on purpose
}

func newSimSlack(t *testing.T) simSlack {
	t.Helper()
	org, err := oktasim.NewSeeded(oktasim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	slack, ok := org.AppID(oktasim.LabelSlack)
	if !ok {
		t.Fatal("no seeded Slack app")
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", org.SCIMHandler(slack, "")))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		org.Close()
	})
	return simSlack{org: org, slack: slack, url: srv.URL + "/scim/v2"}
}

func (s simSlack) client(t *testing.T, mod func(*slackadmin.SCIMConfig)) (*slackadmin.SCIM, *sleeper) {
	t.Helper()
	return newClient(t, s.url, func(cfg *slackadmin.SCIMConfig) {
		cfg.Token = oktasim.DefaultSCIMToken
		if mod != nil {
			mod(cfg)
		}
	})
}

// Seed 000's Slack variant, the Slack half: bob was deactivated in Slack and Okta no
// longer holds his member ID; find him by email, reactivate him, twice.
func TestSCIMAgainstSimulatorReactivatesDeactivatedUser(t *testing.T) {
	s := newSimSlack(t)
	c, _ := s.client(t, nil)

	bob, err := c.FindAccount(ctx(t), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if bob.Active || bob.Email != "bob@example.com" || bob.ID == "" {
		t.Fatalf("bob %+v, want a deactivated member with his email", bob)
	}
	truth, ok := s.org.SaaSAccountByID(s.slack, bob.ID)
	if !ok || truth.UserName != "bob@example.com" || truth.Active {
		t.Fatalf("the simulator's account %+v does not match %+v", truth, bob)
	}

	for range 2 { // idempotent
		if err := c.SetActive(ctx(t), bob.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.GetAccount(ctx(t), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active || got.ID != bob.ID {
		t.Errorf("after reactivation %+v", got)
	}
	if truth, _ := s.org.SaaSAccountByID(s.slack, bob.ID); !truth.Active {
		t.Error("the org's SaaS account is still inactive: Okta's next push would not see it")
	}
	// The healthy bystander is untouched.
	ivan, err := c.FindAccount(ctx(t), "ivan@example.com")
	if err != nil || !ivan.Active || ivan.ID == bob.ID {
		t.Errorf("ivan %+v, %v", ivan, err)
	}
}

func TestSCIMAgainstSimulatorErrors(t *testing.T) {
	s := newSimSlack(t)
	c, sl := s.client(t, nil)

	_, err := c.FindAccount(ctx(t), "nobody@example.com")
	remote(t, err, remediation.ErrNotFound)
	_, err = c.GetAccount(ctx(t), "UNOSUCHUSER")
	re := remote(t, err, remediation.ErrNotFound)
	if re.Status != 404 || re.Summary != "user_not_found" || re.RequestID == "" {
		t.Errorf("GetAccount error %+v", re)
	}
	remote(t, c.SetActive(ctx(t), "UNOSUCHUSER", true), remediation.ErrNotFound)

	wrong, _ := s.client(t, func(cfg *slackadmin.SCIMConfig) { cfg.Token = "xoxp-wrong-secret" })
	_, err = wrong.FindAccount(ctx(t), "bob@example.com")
	remote(t, err, remediation.ErrDenied)

	// Two 429s with Retry-After: 2, then success; no real sleep.
	s.org.Inject(oktasim.Fault{PathPrefix: "/scim/v2/Users", Status: 429, ResetAfter: 2 * time.Second, Count: 2})
	if _, err := c.FindAccount(ctx(t), "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := sl.got(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 2*time.Second {
		t.Errorf("waits %v, want [2s 2s]", got)
	}

	s.org.Inject(oktasim.Fault{Method: "PATCH", PathPrefix: "/scim/v2/", Status: 503, Count: 1})
	bob, err := c.FindAccount(ctx(t), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	remote(t, c.SetActive(ctx(t), bob.ID, true), remediation.ErrTransient)
	if truth, _ := s.org.SaaSAccountByID(s.slack, bob.ID); truth.Active {
		t.Error("a failed PATCH changed the account")
	}
}
