package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// A cause whose fix is a person's work shows its manual steps, numbered, in the channel
// and in private, and offers no fix button it does not have.
func TestDiagnosisShowsRunbook(t *testing.T) {
	app := remediation.App{ID: "0oa1atl", Name: "atlassian", Label: "Atlassian Cloud"}
	d := remediation.Diagnosis{
		User: remediation.User{ID: "00u1kenji", Login: "kenji@example.com", Status: "ACTIVE"},
		App:  &app, Apps: []remediation.App{app},
		Findings: []remediation.Finding{{
			Code: remediation.AppCredentialsInvalid, Severity: remediation.SevError, App: &app, AppWide: true,
			Summary: remediation.T("Refused: every user of Atlassian Cloud is affected.", "拒否されています。"),
			Plans:   []remediation.PlanID{},
			Runbook: []remediation.Text{remediation.T("Open <Integration> & click Edit.", "[Integration(統合)] を開きます。"), remediation.T("Save.", "保存します。")},
			Retry:   remediation.PlanReassign,
			Advice:  remediation.T("Then retry.", "その後、再試行します。"),
		}},
	}
	for _, view := range []diagnosisView{forChannel, forAllowed} {
		for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
			_, blocks := diagnosisBlocks(d, "U0REQ", "", view, l)
			b, err := json.Marshal(blocks)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			want := []string{`*Manual steps:*\n1. Open \u0026lt;Integration\u0026gt; \u0026amp; click Edit.\n2. Save.`, "Then retry."}
			if l == remediation.JA {
				want = []string{`*手動で行う手順:*\n1. [Integration(統合)] を開きます。\n2. 保存します。`, "その後、再試行します。"}
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("view %d %s lacks %q:\n%s", view, l, w, s)
				}
			}
			if strings.Contains(s, ActionProposePlan) {
				t.Errorf("view %d %s: a fix button for a finding without plans", view, l)
			}
		}
	}
}
