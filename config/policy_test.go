package config

import (
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

func TestPolicyFromEnvOnly(t *testing.T) {
	c := Config{Approvers: []string{"U1"}, ApprovalTTL: time.Hour}
	p, err := c.Policy(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Rule(remediation.PlanResetExternalID); r.Quorum != 1 || r.Expiry != time.Hour || r.Approvers[0] != "U1" {
		t.Errorf("rule %+v", r)
	}
}

func TestPolicyFile(t *testing.T) {
	file := `
default:
  approvers: [U0AAA, S0BBB]
  quorum: 1
  expiry: 12h
plans:
  reset_external_id:
    risk: high
    approvers: [S0CCC]
    quorum: 2
    expiry: 4h
`
	c := Config{Approvers: []string{"U1"}, ApprovalTTL: time.Hour, PolicyFile: "/etc/p.yaml"}
	p, err := c.Policy(func(string) ([]byte, error) { return []byte(file), nil })
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Rule(remediation.PlanReassign); r.Expiry != 12*time.Hour || strings.Join(r.Approvers, ",") != "U0AAA,S0BBB" || r.Quorum != 1 {
		t.Errorf("reassign %+v", r)
	}
	if r := p.Rule(remediation.PlanResetExternalID); r.Expiry != 4*time.Hour || r.Approvers[0] != "S0CCC" || r.Quorum != 2 || r.Risk != remediation.RiskHigh {
		t.Errorf("reset %+v", r)
	}
}

func TestPolicyFileErrors(t *testing.T) {
	for file, want := range map[string]string{
		"plans:\n  drop_all: {quorum: 1}\n":        `unknown plan "drop_all"`,
		"default:\n  approvers: [alice]\n":         `holds "alice"`,
		"default:\n  quorum: -1\n":                 "quorum must be 1 or more",
		"default:\n  expiry: soon\n":               "OKTA_CHATOPS_POLICY_FILE /p.yaml",
		"default:\n  aprovers: [U1]\n":             "field aprovers not found",
		"plans:\n  reassign:\n    risk: extreme\n": "risk must be medium or high",
		"":                                  "sets nothing (it is empty or only comments)",
		"# all commented out\n# default:\n": "sets nothing",
		"{}\n":                              "sets nothing",
		"default:\n  approvers: [U0AAA, U0BBB]\n  quorum: 3\n":                  "plans.reassign: quorum 3 can never be reached: only 2 distinct approvers can approve it (U0AAA, U0BBB)",
		"plans:\n  reset_external_id:\n    approvers: [U0AAA]\n    quorum: 2\n": "plans.reset_external_id: quorum 2 can never be reached",
	} {
		c := Config{PolicyFile: "/p.yaml"}
		_, err := c.Policy(func(string) ([]byte, error) { return []byte(file), nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", file, err, want)
		}
	}
}

func TestPolicyManager(t *testing.T) {
	c := Config{Approvers: []string{"U1"}, PolicyFile: "/p.yaml"}
	p, err := c.Policy(func(string) ([]byte, error) {
		return []byte("plans:\n  reset_external_id:\n    manager: true\n"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Rule(remediation.PlanResetExternalID).Manager || p.Rule(remediation.PlanReassign).Manager {
		t.Errorf("manager rules: %+v", p.Plans)
	}
}

// A quorum is only refused when it is sure to be unreachable: user groups have a size
// known at click time only, and the manager counts as one more approver.
func TestPolicyReachableQuorums(t *testing.T) {
	for _, file := range []string{
		"default:\n  approvers: [U0AAA, S0TEAM]\n  quorum: 3\n",
		"plans:\n  reset_external_id:\n    approvers: [U0AAA]\n    quorum: 2\n    manager: true\n",
		"default:\n  approvers: [U0AAA, U0BBB]\n  quorum: 2\n",
	} {
		c := Config{Approvers: []string{"U0NINE"}, PolicyFile: "/p.yaml"}
		if _, err := c.Policy(func(string) ([]byte, error) { return []byte(file), nil }); err != nil {
			t.Errorf("%q: %v", file, err)
		}
	}
}

// Reminders default to 4h (approval) and 30m (manual step) with or without a file; the
// file may change either, 0 turns one off, and a duration too short or unreadable is
// refused with the entry named.
func TestPolicyReminders(t *testing.T) {
	c := Config{Approvers: []string{"U1"}, ApprovalTTL: time.Hour}
	p, err := c.Policy(nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Reminders != (remediation.Reminders{Approval: 4 * time.Hour, ManualStep: 30 * time.Minute}) {
		t.Errorf("default reminders %+v", p.Reminders)
	}
	c.PolicyFile = "/p.yaml"
	for file, want := range map[string]remediation.Reminders{
		"reminders:\n  approval: 2h\n":                        {Approval: 2 * time.Hour, ManualStep: 30 * time.Minute},
		"reminders:\n  manual_step: 0\n":                      {Approval: 4 * time.Hour},
		"reminders: {approval: 90m, manual_step: 10m}\n":      {Approval: 90 * time.Minute, ManualStep: 10 * time.Minute},
		"default:\n  quorum: 1\nreminders:\n  approval: 0s\n": {ManualStep: 30 * time.Minute},
	} {
		p, err := c.Policy(func(string) ([]byte, error) { return []byte(file), nil })
		if err != nil {
			t.Errorf("%q: %v", file, err)
			continue
		}
		if p.Reminders != want {
			t.Errorf("%q: reminders %+v, want %+v", file, p.Reminders, want)
		}
	}
	for file, want := range map[string]string{
		"reminders:\n  approval: 10s\n":     "reminders.approval: 10s is too short",
		"reminders:\n  manual_step: -5m\n":  "reminders.manual_step: -5m0s is too short",
		"reminders:\n  manual_step: soon\n": "OKTA_CHATOPS_POLICY_FILE /p.yaml",
		"reminders:\n  aproval: 1h\n":       "field aproval not found",
	} {
		_, err := c.Policy(func(string) ([]byte, error) { return []byte(file), nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", file, err, want)
		}
	}
}
