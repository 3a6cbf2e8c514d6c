package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// evidenceFor lists, per seeded scenario, what the diagnosis must quote as evidence
// (substrings of the English evidence lines).
var evidenceFor = map[string][]string{
	"stale_external_id":     {"application.provision.user.push_profile", "(transaction ", "FAILURE: Automatic profile push of", "No user returned for user", "matches the ID in the error message"},
	"slack_deactivated":     {"User account is inactive", "externalId in Okta: null", "Deactivate Users: DISABLED"},
	"group_scoped":          {"No user returned for user", "Assignment scope: GROUP"},
	"custom_user_type":      {"default: false", "Group rule", "the user is not in the group"},
	"provisioning_disabled": {"Create Users: DISABLED", "Update User Attributes: DISABLED"},
	"features_unsupported":  {"No user returned for user", "Features API: unsupported"},
	"not_assigned":          {"Assignment: none"},
	"okta_user_suspended":   {"Okta user status: SUSPENDED"},
	"healthy":               {"Sync state: SYNCHRONIZED"},
	// Beyond the articles (sim/oktasim/causes.go).
	"app_credentials_invalid":      {"Token is invalid or expired", "Sync state: ERROR"},
	"assigned_before_provisioning": {"assigned this application before Provisioning was enabled", "externalId in Okta: null"},
}

func TestSeededScenariosThroughTheSDK(t *testing.T) {
	w := newWorld(t)
	scenarios := oktasim.Scenarios()
	if len(scenarios) < len(evidenceFor) {
		t.Fatalf("%d scenarios seeded, want at least %d", len(scenarios), len(evidenceFor))
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			d := &remediation.Diagnoser{Okta: w.okta}
			diag, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel)
			if err != nil {
				t.Fatalf("Diagnose(%s, %s): %v", sc.UserLogin, sc.AppLabel, err)
			}
			var codes []string
			var lines []string
			for _, f := range diag.Findings {
				codes = append(codes, string(f.Code))
				for _, e := range f.Evidence {
					lines = append(lines, e.Line(remediation.EN))
				}
			}
			if got, want := sorted(codes), sorted(sc.Expect); !slices.Equal(got, want) {
				t.Errorf("codes = %v, want %v", got, want)
			}
			var plans []string
			for _, p := range diag.Plans() {
				plans = append(plans, string(p))
			}
			if !slices.Equal(plans, sc.Plans) {
				t.Errorf("plans = %v, want %v", plans, sc.Plans)
			}
			all := strings.Join(lines, "\n")
			want, ok := evidenceFor[sc.Name]
			if !ok {
				t.Fatalf("no evidence expectations for scenario %q: add them", sc.Name)
			}
			for _, s := range want {
				if !strings.Contains(all, s) {
					t.Errorf("evidence lacks %q:\n%s", s, all)
				}
			}
			if len(diag.Gaps) > 0 {
				t.Errorf("the simulator should answer every read, gaps: %v", diag.Gaps)
			}
		})
	}
}

// The externalId quoted in the failure must be the one Okta holds (seed 000 step 2),
// read fresh from the simulator.
func TestStaleExternalIDEvidenceMatchesOkta(t *testing.T) {
	w := newWorld(t)
	sc := scenario(t, "stale_external_id")
	d := &remediation.Diagnoser{Okta: w.okta}
	diag, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel)
	if err != nil {
		t.Fatal(err)
	}
	user, err := w.okta.FindUser(context.Background(), sc.UserLogin)
	if err != nil {
		t.Fatal(err)
	}
	au, err := w.okta.GetAppUser(context.Background(), diag.App.ID, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if au.ExternalID == "" {
		t.Fatal("the seeded stale world holds no externalId")
	}
	var f *remediation.Finding
	for i := range diag.Findings {
		if diag.Findings[i].Code == remediation.StaleExternalID {
			f = &diag.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no STALE_EXTERNAL_ID in %v", diag.Findings)
	}
	var log, ext *remediation.Evidence
	for i, e := range f.Evidence {
		switch e.Kind {
		case remediation.EvSystemLog:
			log = &f.Evidence[i]
		case remediation.EvExternalID:
			ext = &f.Evidence[i]
		}
	}
	want := "No user returned for user " + au.ExternalID
	if log == nil || !strings.HasSuffix(log.Value, want) || log.TransactionID == "" || log.Time == nil || log.Time.IsZero() {
		t.Errorf("log evidence = %+v, want a dated, transaction-tagged line ending %q", log, want)
	}
	if ext == nil || ext.Value != au.ExternalID {
		t.Errorf("externalId evidence = %+v, want %s", ext, au.ExternalID)
	}
}

func TestAllAppsDiagnosis(t *testing.T) {
	w := newWorld(t)
	sc := scenario(t, "stale_external_id")
	d := &remediation.Diagnoser{Okta: w.okta}
	diag, err := d.Diagnose(context.Background(), sc.UserLogin, "")
	if err != nil {
		t.Fatal(err)
	}
	if diag.App != nil || len(diag.Apps) == 0 {
		t.Fatalf("app = %v apps = %v", diag.App, diag.Apps)
	}
	found := false
	for _, f := range diag.Findings {
		if f.Code == remediation.StaleExternalID && f.App != nil && f.App.Label == sc.AppLabel {
			found = true
		}
	}
	if !found {
		t.Errorf("all-apps diagnosis missed the stale externalId on %s: %v", sc.AppLabel, diag.Findings)
	}
}

func TestDiagnosisRoundTrips(t *testing.T) {
	w := newWorld(t)
	sc := scenario(t, "stale_external_id")
	remove := w.org.Inject(oktasim.Fault{Latency: 20 * time.Millisecond})
	defer remove()
	w.rec.reset()
	d := &remediation.Diagnoser{Okta: w.okta}
	if _, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel); err != nil {
		t.Fatal(err)
	}
	calls, seq := w.rec.rounds()
	if seq > 2 || calls > 10 {
		t.Errorf("diagnosis made %d sequential round trips and %d calls, want at most 2 and 10", seq, calls)
	}
	t.Logf("calls=%d sequential=%d", calls, seq)
}

func scenario(t testing.TB, name string) oktasim.Scenario {
	t.Helper()
	for _, sc := range append(oktasim.Scenarios(), oktasim.MoreScenarios()...) {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %q", name)
	return oktasim.Scenario{}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestAllAppsDiagnosisOfEveryScenario: the all-apps diagnosis of each seeded user names
// on the scenario's app what the one-app diagnosis names there.
func TestAllAppsDiagnosisOfEveryScenario(t *testing.T) {
	w := newWorld(t)
	d := &remediation.Diagnoser{Okta: w.okta}
	for _, sc := range oktasim.Scenarios() {
		one, err := d.Diagnose(context.Background(), sc.UserLogin, sc.AppLabel)
		if err != nil {
			t.Fatal(err)
		}
		all, err := d.Diagnose(context.Background(), sc.UserLogin, "")
		if err != nil {
			t.Fatal(err)
		}
		codes := func(diag remediation.Diagnosis) []string {
			var out []string
			for _, f := range diag.Findings {
				if f.App == nil || f.App.Label == sc.AppLabel {
					out = append(out, string(f.Code))
				}
			}
			return sorted(out)
		}
		got, want := codes(all), codes(one)
		if sc.Name == "custom_user_type" {
			// No assignment at all: the all-apps diagnosis says so for the user, not
			// for an app it cannot know of.
			want = []string{string(remediation.NotAssigned)}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: all apps %v, one app %v", sc.Name, got, want)
		}
	}
}
