package remediation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBuildSteps(t *testing.T) {
	prov := &Provisioning{Status: Enabled, Capabilities: Capabilities{LifecycleCreate: Enabled, Profile: Enabled, LifecycleDeactivate: Disabled}}
	user := AppUser{ID: "00u1", Scope: ScopeUser, ExternalID: "X"}
	group := AppUser{ID: "00u1", Scope: ScopeGroup, ExternalID: "X"}
	tests := []struct {
		name string
		plan PlanID
		s    Snapshot
		want []StepKind
	}{
		{"fix 1", PlanReassign, Snapshot{AppUser: user, Provisioning: prov}, []StepKind{StepSnapshot, StepUnassign, StepAssign}},
		{"fix 2", PlanResetExternalID, Snapshot{AppUser: user, Provisioning: prov},
			[]StepKind{StepSnapshot, StepProvisioningOff, StepUnassign, StepExternalIDNull, StepRestore}},
		{"fix 2, group scoped, regroup", PlanResetExternalID, Snapshot{AppUser: group, Provisioning: prov, RegroupIDs: []string{"00g1"}},
			[]StepKind{StepSnapshot, StepScopeUser, StepProvisioningOff, StepUnassign, StepExternalIDNull, StepRestore, StepScopeGroup}},
		{"fix 2, group scoped, no group left", PlanResetExternalID, Snapshot{AppUser: group, Provisioning: prov},
			[]StepKind{StepSnapshot, StepScopeUser, StepProvisioningOff, StepUnassign, StepExternalIDNull, StepRestore}},
		{"fix 2 without the Features API", PlanResetExternalID, Snapshot{AppUser: user},
			[]StepKind{StepSnapshot, StepProvisioningOffMan, StepUnassign, StepExternalIDNull, StepRestoreMan}},
		{"slack relink", PlanRelinkSaaSUser, Snapshot{AppUser: user, Provisioning: prov, SaaSUserID: "U0ABC"},
			[]StepKind{StepSnapshot, StepProvisioningOff, StepSaaSReactivate, StepUnassign, StepExternalIDSet, StepRestore}},
	}
	for _, tt := range tests {
		got, err := BuildSteps(tt.plan, tt.s)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v %v, want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := BuildSteps(PlanRelinkSaaSUser, Snapshot{AppUser: user}); !errors.Is(err, ErrPermanent) {
		t.Errorf("relink without a Slack account: %v", err)
	}
	if _, err := BuildSteps("drop_tables", Snapshot{}); !errors.Is(err, ErrPermanent) {
		t.Errorf("unknown plan: %v", err)
	}
}

// fakeRenderer renders an effect as "<side> <kind>" so a test can see which adapter
// rendered which effect.
type fakeRenderer string

func (f fakeRenderer) RenderCalls(ef Effect) ([]Call, error) {
	return []Call{{Method: string(f), Path: string(ef.Kind)}}, nil
}

// The dry run is what the adapters rendered for each step's effects, in order: Okta's
// effects by the Okta renderer, the SaaS account's by the SaaS one; manual steps have
// instructions and no call.
func TestDryRunComesFromTheAdapters(t *testing.T) {
	caps := Capabilities{LifecycleCreate: Enabled, Profile: Enabled, LifecycleDeactivate: Disabled}
	e := &Engine{oktaCalls: fakeRenderer("OKTA"), saasCalls: fakeRenderer("SAAS")}
	r := &Run{Plan: PlanRelinkSaaSUser, Target: Target{UserID: "00u1", AppID: "0oa1", AppLabel: "Slack"},
		Snapshot: Snapshot{AppUser: AppUser{ID: "00u1", Scope: ScopeUser}, Provisioning: &Provisioning{Capabilities: caps}, SaaSUserID: "U1"}}
	kinds, _ := BuildSteps(r.Plan, r.Snapshot)
	for _, k := range kinds {
		r.Steps = append(r.Steps, StepRecord{Kind: k})
	}
	if err := e.renderCalls(r); err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, s := range DryRun(r) {
		if s.Title.EN == "" || s.Title.JA == "" {
			t.Errorf("step %s lacks a title in a language", s.Kind)
		}
		calls = append(calls, strings.Join(s.Calls, "+"))
	}
	want := []string{
		"OKTA read_app_user+OKTA read_provisioning", "OKTA set_provisioning", "SAAS set_account_active",
		"OKTA unassign", "OKTA set_external_id", "OKTA set_provisioning",
	}
	if !slices.Equal(calls, want) {
		t.Errorf("dry run:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}

	r.Snapshot.Provisioning = nil // no Features API: manual switches
	r.Steps = nil
	kinds, _ = BuildSteps(r.Plan, r.Snapshot)
	for _, k := range kinds {
		r.Steps = append(r.Steps, StepRecord{Kind: k})
	}
	if err := e.renderCalls(r); err != nil {
		t.Fatal(err)
	}
	dr := DryRun(r)
	if !dr[1].Manual || len(dr[1].Calls) != 0 || dr[1].Instructions.EN == "" || dr[1].Instructions.JA == "" {
		t.Errorf("manual step: %+v", dr[1])
	}
	if got := strings.Join(dr[0].Calls, "+"); got != "OKTA read_app_user" {
		t.Errorf("snapshot of a manual app reads %s, want the assignment only", got)
	}
}

// No text of a step names an internal document or a wire format.
func TestStepTextsNameProcedures(t *testing.T) {
	r := &Run{Target: Target{AppLabel: "Zoom"}}
	for k, d := range stepDefs() {
		texts := []Text{d.title}
		if d.instructions != nil {
			texts = append(texts, d.instructions(r))
		}
		for _, x := range texts {
			for _, bad := range []string{"seed", "fix 2", "step 3", "/api/v1", "対処方法", "アサイン", "SLACK_"} {
				if strings.Contains(x.EN, bad) || strings.Contains(x.JA, bad) {
					t.Errorf("%s: %q in %+v", k, bad, x)
				}
			}
		}
	}
}

func TestCapabilitiesOffKeepsAbsentOnesAbsent(t *testing.T) {
	c := Capabilities{LifecycleCreate: Enabled, Profile: Disabled}
	off := c.Off()
	if off.LifecycleCreate != Disabled || off.Profile != Disabled || off.LifecycleDeactivate != "" || off.Password.Status != "" {
		t.Errorf("Off() = %+v", off)
	}
	if off.Pushing() || !c.Pushing() {
		t.Error("Pushing wrong")
	}
}

type groups map[string][]string

func (g groups) GroupMembers(_ context.Context, id string) ([]string, error) { return g[id], nil }

func TestPolicy(t *testing.T) {
	p := &Policy{Approvers: []string{"U1", "S9"}, TTL: 2 * time.Hour, Groups: groups{"S9": {"U7"}},
		Plans: map[PlanID]PlanRule{PlanResetExternalID: {Quorum: 2, Expiry: time.Hour}}}
	if r := p.Rule(PlanReassign); r.Quorum != 1 || r.Expiry != 2*time.Hour || r.Risk != RiskMedium || !slices.Equal(r.Approvers, []string{"U1", "S9"}) {
		t.Errorf("reassign rule %+v", r)
	}
	if r := p.Rule(PlanResetExternalID); r.Quorum != 2 || r.Expiry != time.Hour || r.Risk != RiskHigh {
		t.Errorf("reset rule %+v", r)
	}
	now := time.Now()
	run := &Run{State: StateAwaitingApproval, Requester: "U2", AffectedSlackUser: "U3", Approvers: []string{"U1", "S9", "U2", "U3"}, ExpiresAt: now.Add(time.Hour)}
	ctx := context.Background()
	for who, wantOK := range map[string]bool{"U1": true, "U7": true, "U2": false, "U3": false, "U8": false} {
		err := p.MayDecide(ctx, run, who, now)
		if (err == nil) != wantOK {
			t.Errorf("MayDecide(%s) = %v, want ok=%v", who, err, wantOK)
		}
		if err != nil && !errors.Is(err, ErrDenied) {
			t.Errorf("refusal of %s is not ErrDenied: %v", who, err)
		}
	}
	run.Decisions = []Decision{{By: "U1", Approve: true}}
	if err := p.MayDecide(ctx, run, "U1", now); err == nil {
		t.Error("the same approver counted twice")
	}
	if err := p.MayDecide(ctx, run, "U7", now.Add(2*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

func TestAuditChain(t *testing.T) {
	var entries []AuditEntry
	prev := ""
	for i, typ := range []AuditType{AuditProposed, AuditApproved, AuditStepDone} {
		en := Seal(prev, AuditEvent{Type: typ, RunID: "run-1", Step: i})
		en.ID = string(rune('a' + i))
		entries = append(entries, en)
		prev = en.Hash
	}
	if err := VerifyChain("", entries); err != nil {
		t.Fatal(err)
	}
	edited := slices.Clone(entries)
	edited[1].Event.Actor = "UEVIL"
	if err := VerifyChain("", edited); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("edit not detected: %v", err)
	}
	removed := append(slices.Clone(entries[:1]), entries[2:]...)
	if err := VerifyChain("", removed); err == nil || !strings.Contains(err.Error(), "chain broken") {
		t.Errorf("removal not detected: %v", err)
	}
}
