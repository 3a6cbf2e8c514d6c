package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// JSONReport is the contract of `diagnose --json`. Field names are stable: scripts read them.
type JSONReport struct {
	User     JSONUser      `json:"user"`
	App      *JSONApp      `json:"app"`
	Apps     []JSONApp     `json:"apps"`
	Findings []JSONFinding `json:"findings"`
	Gaps     []string      `json:"gaps"`
	Locale   string        `json:"locale"`
	At       string        `json:"at"`
}

// JSONUser is the diagnosed Okta user.
type JSONUser struct {
	ID     string `json:"id"`
	Login  string `json:"login"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"display_name,omitempty"`
	Status string `json:"status"`
	TypeID string `json:"type_id,omitempty"`
}

// JSONApp is an Okta app.
type JSONApp struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Name  string `json:"name"`
}

// JSONFinding is one finding. Evidence holds readable lines (the System Log line with
// its time and transaction id, the externalId, ...); EvidenceDetail the same facts as
// fields.
type JSONFinding struct {
	Code           string                 `json:"code"`
	Severity       string                 `json:"severity"`
	App            *JSONApp               `json:"app,omitempty"`
	Summary        string                 `json:"summary"`
	SummaryI18n    remediation.Text       `json:"summary_i18n"`
	Evidence       []string               `json:"evidence"`
	EvidenceDetail []remediation.Evidence `json:"evidence_detail"`
	Plans          []string               `json:"plans"`
	Advice         string                 `json:"advice,omitempty"`
	Caveats        []string               `json:"caveats,omitempty"`
	// Runbook is a person's work in the Admin Console or the SaaS, in order; Retry is
	// the plan that retries afterwards; AppWide says every user of the app is affected.
	Runbook []string `json:"runbook,omitempty"`
	Retry   string   `json:"retry,omitempty"`
	AppWide bool     `json:"app_wide,omitempty"`
}

func jsonApp(a *remediation.App) *JSONApp {
	if a == nil {
		return nil
	}
	return &JSONApp{ID: a.ID, Label: a.Label, Name: a.Name}
}

// JSON builds the report of d in locale l.
func JSON(d remediation.Diagnosis, l remediation.Locale) JSONReport {
	r := JSONReport{
		User:     JSONUser{ID: d.User.ID, Login: d.User.Login, Email: d.User.Email, Name: d.User.DisplayName, Status: d.User.Status, TypeID: d.User.TypeID},
		App:      jsonApp(d.App),
		Apps:     []JSONApp{},
		Findings: []JSONFinding{},
		Gaps:     []string{},
		Locale:   string(l),
		At:       d.At.UTC().Format("2006-01-02T15:04:05Z07:00"),
	}
	for i := range d.Apps {
		r.Apps = append(r.Apps, *jsonApp(&d.Apps[i]))
	}
	for _, g := range d.Gaps {
		r.Gaps = append(r.Gaps, g.In(l))
	}
	for _, f := range d.Findings {
		jf := JSONFinding{
			Code: string(f.Code), Severity: string(f.Severity), App: jsonApp(f.App),
			Summary: f.Summary.In(l), SummaryI18n: f.Summary,
			Evidence: []string{}, EvidenceDetail: f.Evidence, Plans: []string{},
			Advice: f.Advice.In(l), Retry: string(f.Retry), AppWide: f.AppWide,
		}
		for _, s := range f.Runbook {
			jf.Runbook = append(jf.Runbook, s.In(l))
		}
		if jf.EvidenceDetail == nil {
			jf.EvidenceDetail = []remediation.Evidence{}
		}
		for _, e := range f.Evidence {
			jf.Evidence = append(jf.Evidence, e.Line(l))
		}
		for _, p := range f.Plans {
			jf.Plans = append(jf.Plans, string(p))
		}
		for _, c := range f.Caveats {
			jf.Caveats = append(jf.Caveats, c.In(l))
		}
		r.Findings = append(r.Findings, jf)
	}
	return r
}

func severity(s remediation.Severity) remediation.Text {
	switch s {
	case remediation.SevError:
		return remediation.T("ERROR", "エラー")
	case remediation.SevWarning:
		return remediation.T("WARNING", "警告")
	default:
		return remediation.T("INFO", "情報")
	}
}

// Text writes d for a person reading a terminal.
func Text(w io.Writer, d remediation.Diagnosis, l remediation.Locale) error {
	tr := func(en, ja string) string { return remediation.T(en, ja).In(l) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s, %s)\n", tr("User", "ユーザー"), d.User.Login, d.User.ID, d.User.Status)
	if d.App != nil {
		fmt.Fprintf(&b, "%s: %s (%s, %s)\n", tr("App", "アプリ"), d.App.Label, d.App.Name, d.App.ID)
	} else {
		fmt.Fprintf(&b, "%s: %s (%d)\n", tr("App", "アプリ"), tr("all assigned apps", "割り当て済みの全アプリ"), len(d.Apps))
	}
	for _, f := range d.Findings {
		app := ""
		if f.App != nil && d.App == nil {
			app = " [" + f.App.Label + "]"
		}
		fmt.Fprintf(&b, "\n%s %s%s\n  %s\n", severity(f.Severity).In(l), f.Code, app, f.Summary.In(l))
		if len(f.Evidence) > 0 {
			fmt.Fprintf(&b, "  %s:\n", tr("Evidence", "根拠"))
			for _, e := range f.Evidence {
				fmt.Fprintf(&b, "    - %s\n", e.Line(l))
			}
		}
		for _, p := range f.Plans {
			after := ""
			if p == f.Retry && len(f.Runbook) > 0 {
				after = tr(", after the manual steps below", "、下記の手動の手順の後に実行")
			}
			fmt.Fprintf(&b, "  %s: %s (%s)%s\n", tr("Proposed fix", "対処案"), p.Title().In(l), p, after)
		}
		if len(f.Runbook) > 0 {
			fmt.Fprintf(&b, "  %s:\n", tr("Manual steps", "手動で行う手順"))
			for i, s := range f.Runbook {
				fmt.Fprintf(&b, "    %d. %s\n", i+1, s.In(l))
			}
		}
		if !f.Advice.IsZero() {
			fmt.Fprintf(&b, "  %s: %s\n", tr("Next step", "次の手順"), f.Advice.In(l))
		}
		if len(f.Caveats) > 0 {
			fmt.Fprintf(&b, "  %s:\n", tr("Known issues of custom user types that apply", "該当するカスタムのユーザータイプの既知の問題"))
			for _, c := range f.Caveats {
				fmt.Fprintf(&b, "    - %s\n", c.In(l))
			}
		}
	}
	if len(d.Gaps) > 0 {
		fmt.Fprintf(&b, "\n%s:\n", tr("Could not check", "確認できなかった項目"))
		for _, g := range d.Gaps {
			fmt.Fprintf(&b, "  - %s\n", g.In(l))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
