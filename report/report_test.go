package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// A runbook finding keeps the diagnose --json contract (code, severity, summary,
// evidence, plans) and adds its manual steps, its retry and that it is app-wide.
func TestRunbookFinding(t *testing.T) {
	app := remediation.App{ID: "0oa1", Name: "atlassian", Label: "Atlassian Cloud"}
	d := remediation.Diagnosis{
		User: remediation.User{ID: "00u1", Login: "kenji@example.com", Status: "ACTIVE"},
		App:  &app, Apps: []remediation.App{app},
		Findings: []remediation.Finding{{
			Code: remediation.AppCredentialsInvalid, Severity: remediation.SevError, App: &app, AppWide: true,
			Summary:  remediation.T("refused", "拒否"),
			Evidence: []remediation.Evidence{{Kind: remediation.EvSyncState, Label: remediation.T("Sync state", "同期状態"), Value: "ERROR"}},
			Plans:    []remediation.PlanID{},
			Runbook:  []remediation.Text{remediation.T("Open it", "開きます"), remediation.T("Save", "保存します")},
			Retry:    remediation.PlanReassign,
		}},
	}
	b, err := json.Marshal(JSON(d, remediation.JA))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	f := got.Findings[0]
	for _, k := range []string{"code", "severity", "summary", "evidence", "plans"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q: %s", k, b)
		}
	}
	if plans, _ := f["plans"].([]any); plans == nil || len(plans) != 0 {
		t.Errorf("plans = %v, want []", f["plans"])
	}
	if rb, _ := f["runbook"].([]any); len(rb) != 2 || rb[0] != "開きます" || f["retry"] != "reassign" || f["app_wide"] != true {
		t.Errorf("runbook %v retry %v app_wide %v", f["runbook"], f["retry"], f["app_wide"])
	}
	var sb strings.Builder
	if err := Text(&sb, d, remediation.EN); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "Manual steps:\n    1. Open it\n    2. Save\n") {
		t.Errorf("text:\n%s", sb.String())
	}
}
