package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/slackadmin"
)

// stepWindows notes, for each step, where in the simulator's request log its calls
// begin and end: the engine tells its notifier right after it saved "step started" and
// right after it saved "step done", and does nothing else with Okta in between.
type stepWindows struct {
	org   *oktasim.Org
	mu    sync.Mutex
	start map[int]int
	end   map[int]int
}

func (w *stepWindows) RunChanged(_ context.Context, _ remediation.Run, ev remediation.AuditEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev.Type {
	case remediation.AuditStepStarted:
		w.start[ev.Step] = w.org.RequestCount()
	case remediation.AuditStepDone, remediation.AuditStepSkipped:
		w.end[ev.Step] = w.org.RequestCount()
	}
}

// sameCall says how a recorded request differs from a rendered call ("" when it does
// not): method, path and JSON body (compared as JSON values).
func sameCall(got oktasim.Request, want remediation.Call) string {
	if got.Method != want.Method || got.Path != want.Path {
		return fmt.Sprintf("sent %s %s, rendered %s %s", got.Method, got.Path, want.Method, want.Path)
	}
	if (strings.TrimSpace(got.Body) == "") != (want.Body == "") {
		return fmt.Sprintf("sent body %q, rendered %q", got.Body, want.Body)
	}
	if want.Body == "" {
		return ""
	}
	var g, w any
	if err := json.Unmarshal([]byte(got.Body), &g); err != nil {
		return fmt.Sprintf("sent body %q is not JSON: %v", got.Body, err)
	}
	if err := json.Unmarshal([]byte(want.Body), &w); err != nil {
		return fmt.Sprintf("rendered body %q is not JSON: %v", want.Body, err)
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("%s %s: sent body %s, rendered %s", got.Method, got.Path, got.Body, want.Body)
	}
	return ""
}

// dryRunDiff compares each automatic step's rendered calls with the requests the
// simulator received while the step ran, in order, and the whole run's requests from
// the first step to the last with all the rendered calls.
func dryRunDiff(run remediation.Run, reqs []oktasim.Request, w *stepWindows) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var diffs []string
	first, last := -1, -1
	var all []remediation.Call
	for i, s := range run.Steps {
		n := i + 1
		start, ok1 := w.start[n]
		end, ok2 := w.end[n]
		if !ok1 || !ok2 {
			if len(s.Calls) > 0 {
				diffs = append(diffs, fmt.Sprintf("step %d (%s) has calls but never ran", n, s.Kind))
			}
			continue // a manual step
		}
		if first < 0 {
			first = start
		}
		last = end
		all = append(all, s.Calls...)
		got, want := slices.Clone(reqs[start:end]), slices.Clone(s.Calls)
		if readsOnly(got, want) {
			// A step's reads are made at once (the snapshot): any order.
			slices.SortFunc(got, func(a, b oktasim.Request) int { return strings.Compare(a.Path, b.Path) })
			slices.SortFunc(want, func(a, b remediation.Call) int { return strings.Compare(a.Path, b.Path) })
		}
		if len(got) != len(want) {
			diffs = append(diffs, fmt.Sprintf("step %d (%s): %d requests sent, %d calls rendered: sent %v, rendered %v", n, s.Kind, len(got), len(want), got, want))
			continue
		}
		for j := range got {
			if d := sameCall(got[j], want[j]); d != "" {
				diffs = append(diffs, fmt.Sprintf("step %d (%s) call %d: %s", n, s.Kind, j+1, d))
			}
		}
	}
	if first >= 0 {
		if n := last - first; n != len(all) {
			diffs = append(diffs, fmt.Sprintf("the run sent %d requests from its first step to its last, the dry run shows %d", n, len(all)))
		}
	}
	return diffs
}

// readsOnly reports whether every request sent and every call rendered is a GET.
func readsOnly(got []oktasim.Request, want []remediation.Call) bool {
	for _, q := range got {
		if q.Method != http.MethodGet {
			return false
		}
	}
	for _, c := range want {
		if c.Method != http.MethodGet {
			return false
		}
	}
	return true
}

// tamper renders one call of one effect kind wrong, as an adapter whose rendering
// drifted from its real calls would.
type tamper struct {
	remediation.CallRenderer
	kind remediation.EffectKind
}

func (t tamper) RenderCalls(ef remediation.Effect) ([]remediation.Call, error) {
	calls, err := t.CallRenderer.RenderCalls(ef)
	if err == nil && ef.Kind == t.kind {
		if calls[0].Body != "" {
			calls[0].Body = `{"drifted":` + calls[0].Body + `}`
		} else {
			calls[0].Path += "/drifted"
		}
	}
	return calls, err
}

// Every plan's dry run, as the Okta and SCIM adapters render it, is what the simulated
// org received when the plan ran, call by call, in order.
func TestDryRunIsWhatTheAdaptersSend(t *testing.T) {
	cases := []struct {
		name, scenario string
		plan           remediation.PlanID
		app            string
		manual         bool
	}{
		{"reassign", "stale_external_id", remediation.PlanReassign, "Zoom", false},
		{"reset_external_id", "stale_external_id", remediation.PlanResetExternalID, "Zoom", false},
		{"relink_saas_user", "slack_deactivated", remediation.PlanRelinkSaaSUser, "Slack", false},
		{"group scoped", "group_scoped", remediation.PlanResetExternalID, "Zoom", false},
		{"manual provisioning switches", "features_unsupported", remediation.PlanResetExternalID, "Acme Wiki", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, drift := range []bool{false, true} {
				r := memoryRig(t)
				scim := r.scim(t)
				w := &stepWindows{org: r.org, start: map[int]int{}, end: map[int]int{}}
				var oktaCalls remediation.CallRenderer = r.okta
				if drift {
					kind := remediation.EffectUnassign
					switch c.plan {
					case remediation.PlanResetExternalID:
						kind = remediation.EffectSetExternalID
					case remediation.PlanRelinkSaaSUser:
						kind = remediation.EffectSetScope // not in this plan: tamper the SaaS side instead
					}
					oktaCalls = tamper{CallRenderer: r.okta, kind: kind}
				}
				var saasCalls remediation.CallRenderer = scim
				if drift && c.plan == remediation.PlanRelinkSaaSUser {
					saasCalls = tamper{CallRenderer: scim, kind: remediation.EffectSetAccountActive}
				}
				e := r.engine(t, "A", func(d *remediation.EngineDeps, _ *remediation.EngineOptions) {
					d.SaaS, d.SaaSCalls, d.OktaCalls, d.Notifier = scim, saasCalls, oktaCalls, w
				})
				run := r.propose(t, e, c.scenario, c.plan)
				r.approve(t, e, run.ID)
				run = r.settle(t, e, run.ID)
				for c.manual && waiting(run) {
					step := run.Cursor + 1
					caps := r.caps(t, c.app)
					if run.Steps[run.Cursor].Kind == remediation.StepProvisioningOffMan {
						caps.LifecycleCreate, caps.Profile, caps.LifecycleDeactivate = oktasim.Disabled, oktasim.Disabled, oktasim.Disabled
					} else {
						caps.LifecycleCreate, caps.Profile = oktasim.Enabled, oktasim.Enabled
					}
					if err := r.org.SetProvisioning(run.Target.AppID, caps); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Confirm(context.Background(), run.ID, step, requester); err != nil {
						t.Fatal(err)
					}
					run = r.settle(t, e, run.ID)
				}
				// Re-assigning alone may not heal a stale External ID (the sim holds it):
				// then every step ran and the verification says so.
				if run.State != remediation.StateSucceeded && (c.plan != remediation.PlanReassign || run.State != remediation.StateFailed || run.Cursor != len(run.Steps)) {
					t.Fatalf("drift %v: state %s: %s", drift, run.State, run.Error)
				}
				diffs := dryRunDiff(run, r.org.Requests(), w)
				switch {
				case !drift && len(diffs) > 0:
					t.Errorf("the dry run differs from the requests sent:\n%s", strings.Join(diffs, "\n"))
				case drift && len(diffs) == 0:
					t.Errorf("a rendering that drifted from the real calls went unnoticed")
				}
			}
		})
	}
}

// scim serves the simulated Slack SCIM API of the org's Slack app and returns the real
// SCIM adapter pointed at it.
func (r *rig) scim(t testing.TB) *slackadmin.SCIM {
	t.Helper()
	slackID, _ := r.org.AppID(oktasim.LabelSlack)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", r.org.SCIMHandler(slackID, "")))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := slackadmin.NewSCIM(slackadmin.SCIMConfig{BaseURL: srv.URL + "/scim/v2/", Token: oktasim.DefaultSCIMToken})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
