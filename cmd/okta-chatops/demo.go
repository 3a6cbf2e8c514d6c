package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/report"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// runDemo: `okta-chatops demo` needs no credentials. It starts the simulated Okta org
// with the seed scenarios, diagnoses each through the real adapter and SDK over HTTP,
// prints the transcript and fails unless every diagnosis names what the seed expects.
func runDemo(ctx context.Context, e env) error {
	_, flags, err := parseArgs(e.args, nil, []string{"locale"})
	if err != nil {
		return err
	}
	locale, err := pickLocale(flags["locale"], e.src.Getenv("OKTA_CHATOPS_LOCALE"))
	if err != nil {
		return err
	}
	tr := func(en, ja string) string { return remediation.T(en, ja).In(locale) }

	s, err := startSim(e, "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer s.Close()
	okta, err := oktaadapter.New(ctx, oktaadapter.Config{OrgURL: s.URL, APIToken: s.Token, AllowHTTP: true, RequestTimeout: 10 * time.Second, Logger: e.log})
	if err != nil {
		return err
	}
	d := &remediation.Diagnoser{Okta: okta, Logger: e.log}

	fmt.Fprintf(e.stdout, "%s %s\n", tr("okta-chatops demo — simulated Okta org at", "okta-chatops デモ — シミュレートした Okta 組織:"), s.URL)
	var failed []string
	scenarios := oktasim.Scenarios()
	for i, sc := range scenarios {
		title := sc.Title
		if locale == remediation.JA && sc.TitleJA != "" {
			title = sc.TitleJA
		}
		fmt.Fprintf(e.stdout, "\n══ %d/%d %s ══\n$ okta-chatops diagnose %s %q\n\n", i+1, len(scenarios), title, sc.UserLogin, sc.AppLabel)
		diag, err := d.Diagnose(ctx, sc.UserLogin, sc.AppLabel)
		if err != nil {
			fmt.Fprintf(e.stdout, "✗ %s\n", remediation.ErrorText(err).In(locale))
			failed = append(failed, sc.Name)
			continue
		}
		if err := report.Text(e.stdout, diag, locale); err != nil {
			return err
		}
		if missing := missingCodes(diag, sc.Expect); len(missing) > 0 || !samePlans(diag.Plans(), sc.Plans) {
			fmt.Fprintf(e.stdout, "\n✗ %s %v, %s %v\n", tr("expected findings", "期待した検出結果"), sc.Expect, tr("plans", "対処案"), sc.Plans)
			failed = append(failed, sc.Name)
			continue
		}
		fmt.Fprintf(e.stdout, "\n✓ %s %s\n", tr("named as the seed describes:", "ガイドどおりに特定:"), strings.Join(sc.Expect, ", "))
	}
	fmt.Fprintln(e.stdout)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d scenarios were not diagnosed as expected: %s", len(failed), len(scenarios), strings.Join(failed, ", "))
	}
	fmt.Fprintf(e.stdout, "%s (%d/%d)\n", tr("Every scenario was diagnosed as the troubleshooting guides describe.", "すべてのシナリオをトラブルシューティング・ガイドどおりに診断しました。"), len(scenarios), len(scenarios))
	return nil
}

func missingCodes(d remediation.Diagnosis, want []string) []string {
	var missing []string
	for _, c := range want {
		if !d.Has(remediation.Code(c)) {
			missing = append(missing, c)
		}
	}
	return missing
}

func samePlans(got []remediation.PlanID, want []string) bool {
	g := make([]string, len(got))
	for i, p := range got {
		g[i] = string(p)
	}
	return slices.Equal(g, want) || (len(g) == 0 && len(want) == 0)
}
