package bot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Golden files: the Block Kit the bot sends, in both languages. Regenerate with
// UPDATE_GOLDEN=1 go test ./bot/ and read the diff.

var goldenAt = time.Date(2026, 11, 20, 11, 30, 0, 0, time.UTC)

func goldenDiagnosis() remediation.Diagnosis {
	app := remediation.App{ID: "0oa1zoom00000000000", Name: "zoomus", Label: "Zoom"}
	at := goldenAt
	return remediation.Diagnosis{
		User: remediation.User{ID: "00u1alice0000000000", Login: "alice@example.com", Status: "ACTIVE"},
		App:  &app, Apps: []remediation.App{app}, At: goldenAt,
		Findings: []remediation.Finding{{
			Code: remediation.StaleExternalID, Severity: remediation.SevError, App: &app,
			Summary: remediation.T("The Zoom account was deleted <on the SaaS side>.", "Zoom 側でアカウントが削除されています。"),
			Evidence: []remediation.Evidence{
				{Kind: remediation.EvSystemLog, Label: remediation.T("System Log", "System Log"), Value: "FAILURE: No user returned for user 8dFq2xZ", Time: &at, EventType: "application.provision.user.push_profile", TransactionID: "tx1"},
				{Kind: remediation.EvExternalID, Label: remediation.T("externalId in Okta", "Okta の externalId"), Value: "8dFq2xZ"},
			},
			Plans:  []remediation.PlanID{remediation.PlanReassign, remediation.PlanResetExternalID},
			Advice: remediation.T("Try fix 1 first.", "まず対処方法 1 を試してください。"),
		}, {
			Code: remediation.GroupScopedAssignment, Severity: remediation.SevWarning, App: &app,
			Summary: remediation.T("Managed by a group.", "グループで管理されています。"), Plans: []remediation.PlanID{},
		}},
		Gaps: []remediation.Text{remediation.T("The group rules could not be read: denied", "グループ・ルールを読み取れませんでした: denied")},
	}
}

func goldenRun(state remediation.RunState) *remediation.Run {
	r := &remediation.Run{
		ID: "run-abcdefghijklmnop", Plan: remediation.PlanResetExternalID, State: state, Requester: "U0REQUEST1",
		Target:    remediation.Target{UserID: "00u1alice0000000000", UserLogin: "alice@example.com", AppID: "0oa1zoom00000000000", AppLabel: "Zoom"},
		Approvers: []string{"U0APPROVE1", "S0MANAGERS"}, Quorum: 1, ExpiresAt: goldenAt.Add(24 * time.Hour),
		Snapshot: remediation.Snapshot{AppUser: remediation.AppUser{ID: "00u1alice0000000000", Scope: remediation.ScopeUser, ExternalID: "8dFq2xZ"},
			Provisioning: &remediation.Provisioning{Status: remediation.Enabled, Capabilities: remediation.Capabilities{LifecycleCreate: remediation.Enabled, Profile: remediation.Enabled, LifecycleDeactivate: remediation.Disabled}}},
	}
	kinds, _ := remediation.BuildSteps(r.Plan, r.Snapshot)
	// The calls as the Okta adapter renders them (the engine stores them in the run).
	const appUser, feature = "/api/v1/apps/0oa1zoom00000000000/users/00u1alice0000000000", "/api/v1/apps/0oa1zoom00000000000/features/USER_PROVISIONING"
	calls := [][]remediation.Call{
		{{Method: "GET", Path: appUser}, {Method: "GET", Path: feature}},
		{{Method: "PUT", Path: feature, Body: `{"create":{"lifecycleCreate":{"status":"DISABLED"}},"update":{"profile":{"status":"DISABLED"},"lifecycleDeactivate":{"status":"DISABLED"}}}`}},
		{{Method: "DELETE", Path: appUser}},
		{{Method: "POST", Path: appUser, Body: `{"externalId":null}`}},
		{{Method: "PUT", Path: feature, Body: `{"create":{"lifecycleCreate":{"status":"ENABLED"}},"update":{"profile":{"status":"ENABLED"},"lifecycleDeactivate":{"status":"DISABLED"}}}`}},
	}
	for i, k := range kinds {
		r.Steps = append(r.Steps, remediation.StepRecord{Kind: k, Status: remediation.StepPending, Calls: calls[i]})
	}
	if state != remediation.StateAwaitingApproval {
		r.Decisions = []remediation.Decision{{By: "U0APPROVE1", At: goldenAt, Approve: state != remediation.StateRejected, Reason: "not now"}}
	}
	if state == remediation.StateSucceeded {
		r.Outcome = remediation.T("Fixed and verified: syncState SYNCHRONIZED", "対処が完了し、確認できました: syncState SYNCHRONIZED")
	}
	return r
}

func TestGoldenBlocks(t *testing.T) {
	cases := map[string]func(l remediation.Locale) (string, []slack.Block){
		"diagnosis": func(l remediation.Locale) (string, []slack.Block) {
			return diagnosisBlocks(goldenDiagnosis(), "U0REQUEST1", "", forChannel, l)
		},
		"diagnosis_private": func(l remediation.Locale) (string, []slack.Block) {
			return diagnosisBlocks(goldenDiagnosis(), "U0REQUEST1", "", forAllowed, l)
		},
		"request": func(l remediation.Locale) (string, []slack.Block) {
			return requestBlocks(goldenRun(remediation.StateAwaitingApproval), remediation.RiskHigh, l)
		},
		"request_succeeded": func(l remediation.Locale) (string, []slack.Block) {
			return requestBlocks(goldenRun(remediation.StateSucceeded), remediation.RiskHigh, l)
		},
		"request_running": func(l remediation.Locale) (string, []slack.Block) {
			return requestBlocks(goldenRun(remediation.StateRunning), remediation.RiskHigh, l)
		},
		"request_rejected": func(l remediation.Locale) (string, []slack.Block) {
			return requestBlocks(goldenRun(remediation.StateRejected), remediation.RiskHigh, l)
		},
		"bulk_request": func(l remediation.Locale) (string, []slack.Block) {
			return requestBlocks(goldenBulkRun(remediation.StateAwaitingApproval, 30), remediation.RiskHigh, l)
		},
		"bulk_progress_final": func(l remediation.Locale) (string, []slack.Block) {
			return bulkProgressBlocks(goldenBulkRun(remediation.StateFailed, 8), goldenAt, l)
		},
		"manual_step": func(l remediation.Locale) (string, []slack.Block) {
			r := goldenRun(remediation.StateRunning)
			r.Snapshot.Provisioning = nil // no Features API: the switches are manual
			kinds, _ := remediation.BuildSteps(r.Plan, r.Snapshot)
			r.Steps = nil
			for _, k := range kinds {
				r.Steps = append(r.Steps, remediation.StepRecord{Kind: k, Status: remediation.StepPending})
			}
			r.Steps[1] = remediation.StepRecord{Kind: remediation.StepProvisioningOffMan, Status: remediation.StepWaiting, AssignedTo: "U0REQUEST1"}
			return manualStepBlocks(r, remediation.AuditEvent{Type: remediation.AuditStepWaiting, Step: 2}, l)
		},
	}
	for name, render := range cases {
		for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
			t.Run(name+"_"+string(l), func(t *testing.T) {
				text, blocks := render(l)
				checkLimits(t, text, blocks)
				got, err := json.MarshalIndent(map[string]any{"text": text, "blocks": blocks}, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "golden", name+"."+string(l)+".json")
				if os.Getenv("UPDATE_GOLDEN") == "1" {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
				}
				if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
					t.Errorf("%s differs from the golden file; run with UPDATE_GOLDEN=1 and review the diff\n%s", path, got)
				}
				if l == remediation.JA && !containsJapanese(string(got)) {
					t.Errorf("the Japanese rendering holds no Japanese")
				}
			})
		}
	}
}

func containsJapanese(s string) bool {
	for _, r := range s {
		if r >= 0x3040 && r <= 0x30ff || r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// checkLimits holds a message to Slack's Block Kit limits (DESIGN §4).
func checkLimits(t *testing.T, text string, blocks []slack.Block) {
	t.Helper()
	if n := utf8.RuneCountInString(text); n > maxMessageText {
		t.Errorf("text %d chars", n)
	}
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks", len(blocks))
	}
	raw, _ := json.Marshal(blocks)
	var generic []map[string]any
	_ = json.Unmarshal(raw, &generic)
	for _, b := range generic {
		if id, _ := b["block_id"].(string); len(id) > 255 {
			t.Errorf("block_id too long: %s", id)
		}
		if tx, ok := b["text"].(map[string]any); ok {
			if s, _ := tx["text"].(string); utf8.RuneCountInString(s) > maxSectionText {
				t.Errorf("section text %d chars", utf8.RuneCountInString(s))
			}
		}
		seen := map[string]bool{}
		els, _ := b["elements"].([]any)
		for _, e := range els {
			em, _ := e.(map[string]any)
			if em["type"] != "button" {
				continue
			}
			id, _ := em["action_id"].(string)
			if seen[id] || len(id) > 255 {
				t.Errorf("action_id %q repeated in a block or too long", id)
			}
			seen[id] = true
			if v, _ := em["value"].(string); len(v) > maxButtonValue {
				t.Errorf("button value %d chars", len(v))
			}
			if tx, _ := em["text"].(map[string]any); tx != nil {
				if s, _ := tx["text"].(string); utf8.RuneCountInString(s) > maxButtonText {
					t.Errorf("button text %q too long", s)
				}
			}
		}
	}
}

func TestLongDiagnosisStaysWithinLimits(t *testing.T) {
	d := goldenDiagnosis()
	long := strings.Repeat("No user returned for user x ", 300)
	for i := 0; i < 40; i++ {
		f := d.Findings[0]
		f.Evidence = append([]remediation.Evidence{}, f.Evidence...)
		f.Evidence = append(f.Evidence, remediation.Evidence{Label: remediation.T("System Log", "System Log"), Value: long})
		d.Findings = append(d.Findings, f)
	}
	text, blocks := diagnosisBlocks(d, "U1", "", forChannel, remediation.EN)
	checkLimits(t, text, blocks)
	if len(blocks) != maxBlocks {
		t.Errorf("%d blocks, want the message cut at %d with a note", len(blocks), maxBlocks)
	}
}

// The channel never sees the evidence: System Log lines and IDs go privately to the
// requester and approvers (issue 6).
func TestChannelDiagnosisHoldsNoEvidence(t *testing.T) {
	_, blocks := diagnosisBlocks(goldenDiagnosis(), "U1", "", forChannel, remediation.EN)
	raw, _ := json.Marshal(blocks)
	for _, secret := range []string{"8dFq2xZ", "tx1", "No user returned", "application.provision"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the channel message shows %q", secret)
		}
	}
	_, priv := diagnosisBlocks(goldenDiagnosis(), "U1", "", forAllowed, remediation.EN)
	raw, _ = json.Marshal(priv)
	if !strings.Contains(string(raw), "8dFq2xZ") || strings.Contains(string(raw), ActionProposePlan) {
		t.Errorf("the private rendering lacks the evidence or carries buttons: %s", raw)
	}
}
