package remediation

import (
	"context"
	"strings"
	"testing"
	"time"
)

type notes []AuditType

func (n *notes) RunChanged(_ context.Context, _ Run, ev AuditEvent) { *n = append(*n, ev.Type) }

// The relay holds what it hears before it is connected, then passes it on in order.
func TestNotifierRelay(t *testing.T) {
	var relay NotifierRelay
	ctx := context.Background()
	relay.RunChanged(ctx, Run{}, AuditEvent{Type: AuditProposed})
	relay.RunChanged(ctx, Run{}, AuditEvent{Type: AuditApproved})
	var got notes
	relay.Connect(&got)
	relay.RunChanged(ctx, Run{}, AuditEvent{Type: AuditStepStarted})
	var other notes
	relay.Connect(&other) // the first notifier stays
	relay.RunChanged(ctx, Run{}, AuditEvent{Type: AuditStepDone})
	if want := "proposed,approved,step_started,step_done"; joinTypes(got) != want || len(other) != 0 {
		t.Errorf("relayed %s (other %v), want %s", joinTypes(got), other, want)
	}
}

func joinTypes(n notes) string {
	var s []string
	for _, t := range n {
		s = append(s, string(t))
	}
	return strings.Join(s, ",")
}

// NewEngine names every missing port, and sets the defaults in one place.
func TestNewEngine(t *testing.T) {
	_, err := NewEngine(EngineDeps{SaaS: noSaaS{}}, EngineOptions{})
	for _, want := range []string{"Store", "Scheduler", "Okta", "SaaS directory without a renderer", "Policy"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewEngine without ports: %v, want it to name %s", err, want)
		}
	}
	o := EngineOptions{VerifyTimeout: 10 * time.Second}.withDefaults()
	if o.Owner == "" || o.Lease <= 0 || o.MaxAttempts != 5 || o.VerifyEvery != 2*time.Second || o.StoreRetry <= 0 {
		t.Errorf("defaults %+v", o)
	}
}

// An alert names the settings to put back and who is left unassigned.
func TestOwedAlert(t *testing.T) {
	r := &Run{Target: Target{UserLogin: "alice@example.com", AppLabel: "Zoom"}, ProvisioningPaused: true,
		Snapshot: Snapshot{Provisioning: &Provisioning{Capabilities: Capabilities{LifecycleCreate: Enabled, Profile: Enabled, LifecycleDeactivate: Disabled}}},
		Steps:    []StepRecord{{Kind: StepProvisioningOff, Status: StepDone}, {Kind: StepUnassign, Status: StepDone}, {Kind: StepExternalIDNull, Status: StepFailed}}}
	a := owedAlert(r, ErrDenied)
	for _, want := range []string{"Create Users: on, Update User Attributes: on, Deactivate Users: off", "alice@example.com IS LEFT UNASSIGNED from Zoom"} {
		if !strings.Contains(a.EN, want) {
			t.Errorf("alert lacks %q: %s", want, a.EN)
		}
	}
	if !strings.Contains(a.JA, "ユーザーを作成: オン") || !strings.Contains(a.JA, "割り当てが解除されたまま") {
		t.Errorf("ja alert: %s", a.JA)
	}
	r.Steps[2].Status = StepDone // the externalId write assigned the user again
	if strings.Contains(owedAlert(r, ErrDenied).EN, "UNASSIGNED") {
		t.Error("a user assigned again is said to be unassigned")
	}
}
