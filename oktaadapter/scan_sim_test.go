package oktaadapter

import (
	"context"
	"testing"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
)

// A scan through the real adapter against a generated app of 2,000 users: four pages
// of 500 with the users embedded, every kind of failure named, and nothing read per
// user but the suspended users' status (which the listing already embeds).
func TestSimScanBigApp(t *testing.T) {
	e := newSimEnv(t, oktasim.Options{})
	ctx := context.Background()
	big, err := e.org.GenerateApp(oktasim.BigAppSpec{Label: "Big Zoom", Users: 2000, Stale: 6, Conflict: 3, Unknown: 2, Suspended: 1})
	if err != nil {
		t.Fatal(err)
	}
	var pages []int
	err = e.c.ListAppMembers(ctx, big.AppID, func(p []remediation.Member) error {
		pages = append(pages, len(p))
		for _, m := range p {
			if m.User.Login == "" || m.User.Status == "" || m.AppUser.SyncState == "" {
				t.Fatalf("member without its user or sync state: %+v", m)
			}
		}
		return nil
	})
	if err != nil || len(pages) != 4 || pages[0] != 500 {
		t.Fatalf("pages %v, err %v", pages, err)
	}

	s := &remediation.Scanner{Okta: e.c, Clock: e.ft.Now}
	res, err := s.Scan(ctx, "Big Zoom", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[remediation.Code]int{remediation.StaleExternalID: 6, remediation.SaaSAccountConflict: 3,
		remediation.SyncErrorOther: 2, remediation.OktaUserNotActive: 1}
	if res.Checked != 2000 || len(res.Counts) != len(want) {
		t.Fatalf("checked %d, counts %v, want %v", res.Checked, res.Counts, want)
	}
	for c, n := range want {
		if res.Counts[c] != n {
			t.Errorf("%s: %d users, want %d (all: %v)", c, res.Counts[c], n, res.Counts)
		}
	}
	for _, f := range res.Failing {
		if big.Failing[f.User.ID] == "" {
			t.Errorf("%s reported failing (%s) but is healthy", f.User.Login, f.Code)
		}
	}
	if len(res.Gaps) != 0 {
		t.Errorf("gaps: %v", res.Gaps)
	}
}
