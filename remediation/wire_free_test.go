package remediation

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The domain speaks of effects, not wire formats or configuration: no Okta or SCIM
// path, Slack ID shape or environment variable name in its code (comments included).
// The adapters render the calls; cmd and config own the variables.
func TestDomainHoldsNoWireFormatOrEnvironmentName(t *testing.T) {
	bad := regexp.MustCompile(`/api/v1|/scim/v2|\b(OKTA_CHATOPS_[A-Z_]+|OKTA_(ORG_URL|API_TOKEN|CLIENT_ID|PRIVATE_KEY|SCOPES|ALLOW_HTTP)|SLACK_[A-Z_]+|REDIS_URL|HTTP_ADDR|VERIFY_TIMEOUT|APPROVAL_TTL)\b`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if m := bad.FindString(line); m != "" {
				t.Errorf("%s:%d: %q belongs to an adapter or to the configuration: %s", f, i+1, m, strings.TrimSpace(line))
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files checked: is the test in the right directory?", checked)
	}
}
