package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// ScanReport is the contract of `scan --json`. Field names are stable: scripts read them.
type ScanReport struct {
	App     JSONApp        `json:"app"`
	Checked int            `json:"checked"`
	Failing []ScanFailure  `json:"failing"`
	Counts  map[string]int `json:"counts"`
	Offers  []ScanOffer    `json:"offers"`
	Gaps    []string       `json:"gaps"`
	Locale  string         `json:"locale"`
	At      string         `json:"at"`
}

// ScanUser is a failing user.
type ScanUser struct {
	ID    string `json:"id"`
	Login string `json:"login"`
}

// ScanFailure is one failing user with the main finding's code and plans.
type ScanFailure struct {
	User  ScanUser `json:"user"`
	Code  string   `json:"code"`
	Plans []string `json:"plans"`
}

// ScanOffer is a bulk fix the scan offers: the incident saved, its plan and users.
type ScanOffer struct {
	Incident string `json:"incident"`
	Code     string `json:"code"`
	Plan     string `json:"plan"`
	Users    int    `json:"users"`
}

// ScanJSON builds the report of a scan in locale l.
func ScanJSON(r remediation.ScanResult, l remediation.Locale) ScanReport {
	out := ScanReport{
		App: JSONApp{ID: r.App.ID, Label: r.App.Label, Name: r.App.Name}, Checked: r.Checked,
		Failing: []ScanFailure{}, Counts: map[string]int{}, Offers: []ScanOffer{}, Gaps: []string{},
		Locale: string(l), At: r.At.UTC().Format("2006-01-02T15:04:05Z07:00"),
	}
	for _, f := range r.Failing {
		sf := ScanFailure{User: ScanUser{ID: f.User.ID, Login: f.User.Login}, Code: string(f.Code), Plans: []string{}}
		for _, p := range f.Plans {
			sf.Plans = append(sf.Plans, string(p))
		}
		out.Failing = append(out.Failing, sf)
	}
	for c, n := range r.Counts {
		out.Counts[string(c)] = n
	}
	for _, in := range r.Offers {
		out.Offers = append(out.Offers, ScanOffer{Incident: in.ID, Code: string(in.Code), Plan: string(in.Plan), Users: len(in.Users)})
	}
	for _, g := range r.Gaps {
		out.Gaps = append(out.Gaps, g.In(l))
	}
	return out
}

// ScanText writes a scan for a person reading a terminal: the totals, then per code
// its cause and its users.
func ScanText(w io.Writer, r remediation.ScanResult, l remediation.Locale) error {
	tr := func(en, ja string) string { return remediation.T(en, ja).In(l) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s, %s)\n", tr("App", "アプリ"), r.App.Label, r.App.Name, r.App.ID)
	fmt.Fprintf(&b, "%s\n", remediation.Tf("%d assigned users checked, %d failing.", "割り当て済みユーザー %d 人を確認し、%d 人でプロビジョニングの問題が見つかりました。", r.Checked, len(r.Failing)).In(l))
	for _, code := range r.SortedCodes() {
		fmt.Fprintf(&b, "\n%s (%d): %s\n", code, r.Counts[code], code.Title().In(l))
		for _, f := range r.Failing {
			if f.Code != code {
				continue
			}
			plans := make([]string, 0, len(f.Plans))
			for _, p := range f.Plans {
				plans = append(plans, string(p))
			}
			line := "  - " + f.User.Login + " (" + f.User.ID + ")"
			if len(plans) > 0 {
				line += "  " + tr("fixes", "対処案") + ": " + strings.Join(plans, ", ")
			}
			fmt.Fprintln(&b, line)
		}
	}
	for _, in := range r.Offers {
		fmt.Fprintf(&b, "\n%s\n", remediation.Tf("One fix for %d users of %s: %s (incident %s); propose it from Slack.",
			"%[2]s の %[1]d 人に同じ対処を一括で行えます: %[3]s(インシデント %[4]s)。Slack から提案してください。",
			len(in.Users), in.Code, in.Plan.Title(), in.ID).In(l))
	}
	if len(r.Gaps) > 0 {
		fmt.Fprintf(&b, "\n%s:\n", tr("Not checked", "確認できなかった項目"))
		for _, g := range r.Gaps {
			fmt.Fprintf(&b, "  - %s\n", g.In(l))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
