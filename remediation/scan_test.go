package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
)

// fakeScanOkta adds an app's members, served in pages, to fakeOkta.
type fakeScanOkta struct {
	*fakeOkta
	members  []Member
	pageSize int
}

func (f *fakeScanOkta) ListAppMembers(_ context.Context, appID string, each func([]Member) error) error {
	for i := 0; i < len(f.members); i += f.pageSize {
		if err := f.record("ListAppMembers"); err != nil {
			return err
		}
		if err := each(f.members[i:min(i+f.pageSize, len(f.members))]); err != nil {
			return err
		}
	}
	return nil
}

// fakeIncidents is a hand-written IncidentStore.
type fakeIncidents struct {
	mu  sync.Mutex
	all map[string]Incident
}

func (s *fakeIncidents) CreateIncident(_ context.Context, in *Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.all[in.ID]; ok {
		return ErrConflict
	}
	in.Version = 1
	s.all[in.ID] = *in
	return nil
}

func (s *fakeIncidents) GetIncident(_ context.Context, id string) (Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.all[id]
	if !ok {
		return Incident{}, ErrNotFound
	}
	return in, nil
}

func (s *fakeIncidents) UpdateIncident(context.Context, *Incident) error { return nil }

// scanWorld: Zoom with n healthy members, then the failing ones the test adds.
func scanWorld(n int) *fakeScanOkta {
	w := &fakeScanOkta{fakeOkta: baseWorld(), pageSize: 500}
	w.logs = nil
	synced := testNow.Add(-24 * time.Hour)
	for i := range n {
		u := User{ID: fmt.Sprintf("00u%016d", i), Login: fmt.Sprintf("user%05d@example.com", i), Status: UserActive, TypeID: "oty1default"}
		w.members = append(w.members, Member{User: u, AppUser: AppUser{ID: u.ID, Status: "PROVISIONED", SyncState: SyncSynchronized, Scope: ScopeUser, ExternalID: "ext" + u.ID, LastSync: &synced}})
	}
	return w
}

// fail makes member i fail with reason, logged minAgo minutes ago.
func (w *fakeScanOkta) fail(i int, minAgo int, reason string) {
	m := &w.members[i]
	m.AppUser.SyncState = SyncError
	w.logs = append(w.logs, LogEvent{UUID: fmt.Sprint("e", i), Published: testNow.Add(-time.Duration(minAgo) * time.Minute), EventType: evPushProfile,
		Result: "FAILURE", Reason: reason,
		Targets: []LogTarget{{ID: m.User.ID, Type: "User", AlternateID: m.User.Login}, {ID: zoomID, Type: "AppInstance", DisplayName: "Zoom"}}})
}

func staleFor(login, ext string) string {
	return "Automatic profile push of " + login + " to app Zoom failed: Error while trying to push profile update for " + login + ": No user returned for user " + ext
}

func TestScanFindsFailingUsersWithFewReads(t *testing.T) {
	w := scanWorld(1200)
	for _, i := range []int{3, 700, 1100} {
		m := w.members[i]
		w.fail(i, 60, staleFor(m.User.Login, m.AppUser.ExternalID))
	}
	// A failure healed since (synced after it), and a user suspended in Okta.
	w.logs = append(w.logs, LogEvent{UUID: "old", Published: testNow.Add(-48 * time.Hour), EventType: evPushProfile, Result: "FAILURE",
		Reason: staleFor(w.members[5].User.Login, "gone"), Targets: []LogTarget{{ID: w.members[5].User.ID, Type: "User"}, {ID: zoomID, Type: "AppInstance"}}})
	w.members[9].User.Status = UserSuspended
	// One group-scoped failure with an unknown message.
	w.members[10].AppUser.Scope = ScopeGroup
	w.fail(10, 30, "Something odd happened")

	clock := testclock.New(testNow)
	inc := &fakeIncidents{all: map[string]Incident{}}
	s := &Scanner{Okta: w, Incidents: inc, Clock: clock.Now}
	var seen []ScanProgress
	res, err := s.Scan(context.Background(), "Zoom", func(p ScanProgress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 1200 {
		t.Errorf("checked %d, want 1200", res.Checked)
	}
	want := map[Code]int{StaleExternalID: 3, OktaUserNotActive: 1, SyncErrorOther: 1}
	if fmt.Sprint(res.Counts) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", res.Counts, want)
	}
	for _, f := range res.Failing {
		if f.User.ID == w.members[5].User.ID {
			t.Errorf("a healed failure is reported: %+v", f)
		}
		if f.Code == StaleExternalID && !slices.Equal(f.Plans, []PlanID{PlanReassign, PlanResetExternalID}) {
			t.Errorf("plans of %s: %v", f.User.Login, f.Plans)
		}
	}
	// Reads: 3 pages, one failure query and one for the last success, and the groups of
	// the one group-scoped suspect only; never a per-user System Log query.
	count := func(name string) int {
		n := 0
		for _, c := range w.calls {
			if c == name {
				n++
			}
		}
		return n
	}
	if count("ListAppMembers") != 3 || count("SystemLog") != 2 || count("ListUserGroups") != 1 || count("GetAppUser") != 0 || count("FindUser") != 0 {
		t.Errorf("calls: %v", w.calls)
	}
	if len(seen) != 4 || seen[0].Checked != 500 || !seen[3].Done || seen[3].Checked != 1200 {
		t.Errorf("progress: %+v", seen)
	}
	// One bulk offer: the reset of the external ID for the three stale users, which heals
	// even where re-assigning would not (Deactivate Users off).
	if len(res.Offers) != 1 || res.Offers[0].Plan != PlanResetExternalID || len(res.Offers[0].Users) != 3 || res.Offers[0].Source != IncidentFromScan {
		t.Fatalf("offers: %+v", res.Offers)
	}
	if _, err := inc.GetIncident(context.Background(), res.Offers[0].ID); err != nil {
		t.Errorf("the incident was not saved: %v", err)
	}
}

func TestScanUseCaseAuditsOnce(t *testing.T) {
	w := scanWorld(3)
	w.fail(1, 10, staleFor(w.members[1].User.Login, w.members[1].AppUser.ExternalID))
	clock := testclock.New(testNow)
	store := newFakeCaseStore(clock)
	uc := NewUseCases(UseCasesConfig{Policy: &Policy{}, Diagnoser: &Diagnoser{Okta: w}, Scanner: &Scanner{Okta: w, Clock: clock.Now}, Store: store, Clock: clock.Now})
	res, err := uc.Scan(context.Background(), Operator(), "Zoom", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failing) != 1 || len(res.Offers) != 0 {
		t.Errorf("result: %+v", res)
	}
	if len(store.audit) != 1 || store.audit[0].Type != AuditScanned || store.audit[0].AppID != zoomID || !slices.Equal(store.audit[0].Codes, []Code{StaleExternalID}) {
		t.Errorf("audit: %+v", store.audit)
	}
}

func TestScanErrors(t *testing.T) {
	w := scanWorld(3)
	s := &Scanner{Okta: w}
	if _, err := s.Scan(context.Background(), "Nope", nil); err == nil || !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown app: %v", err)
	}
	if _, err := s.Scan(context.Background(), " ", nil); err == nil || !errors.Is(err, ErrPermanent) {
		t.Errorf("no app: %v", err)
	}
	// More failures than the scan reads: said as a gap.
	w.fail(0, 5, staleFor(w.members[0].User.Login, w.members[0].AppUser.ExternalID))
	w.fail(1, 6, staleFor(w.members[1].User.Login, w.members[1].AppUser.ExternalID))
	res, err := (&Scanner{Okta: w, MaxLogEvents: 2, Clock: testclock.New(testNow).Now}).Scan(context.Background(), "Zoom", nil)
	if err != nil || len(res.Failing) != 2 || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0].EN, "more failures than the 2 read") {
		t.Errorf("truncated log: %+v %v", res.Gaps, err)
	}
	w.errs["ListAppMembers"] = ErrTransient
	if _, err := s.Scan(context.Background(), "Zoom", nil); err == nil || !errors.Is(err, ErrTransient) {
		t.Errorf("listing fails: %v", err)
	}
	uc := NewUseCases(UseCasesConfig{Policy: &Policy{}, Diagnoser: &Diagnoser{Okta: w}, Store: newFakeCaseStore(testclock.New(testNow))})
	if _, err := uc.Scan(context.Background(), Operator(), "Zoom", nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no scanner: %v", err)
	}
}

func TestBulkPlan(t *testing.T) {
	both := []PlanID{PlanReassign, PlanResetExternalID}
	for _, c := range []struct {
		name  string
		code  Code
		plans [][]PlanID
		want  PlanID
		n     int
	}{
		{"stale: the reset, though reassign comes first", StaleExternalID, [][]PlanID{both, both, {PlanReassign}}, PlanResetExternalID, 2},
		{"stale where reassign is the only plan", StaleExternalID, [][]PlanID{{PlanReassign}, {PlanReassign}}, PlanReassign, 2},
		{"the plan that fits the most", SyncErrorOther, [][]PlanID{{PlanRelinkSaaSUser}, {PlanReassign}, {PlanReassign}}, PlanReassign, 2},
		{"a tie: the first in plan order", SyncErrorOther, [][]PlanID{{PlanRelinkSaaSUser}, {PlanReassign}}, PlanRelinkSaaSUser, 1},
		{"refused credentials: no bulk re-assigning", AppCredentialsInvalid, [][]PlanID{{PlanReassign}, {PlanReassign}}, "", 0},
		{"a disabled connection: none either", ProvisioningConnectionDisabled, [][]PlanID{{PlanReassign}, {PlanReassign}}, "", 0},
		{"no plans", OktaUserNotActive, [][]PlanID{{}, {}}, "", 0},
	} {
		if got, n := BulkPlan(c.code, c.plans); got != c.want || n != c.n {
			t.Errorf("%s: %q for %d users, want %q for %d", c.name, got, n, c.want, c.n)
		}
	}
}

// Refused credentials fail every user, but re-assigning them all heals no one: the scan
// reports them and offers no bulk run (the runbook comes first).
func TestScanOffersNoBulkForAnAppWideCause(t *testing.T) {
	w := scanWorld(10)
	for i := range 4 {
		w.fail(i, 5, "Automatic profile push of user to app Zoom failed: Unauthorized (401): Token is invalid or expired")
	}
	s := &Scanner{Okta: w, Incidents: &fakeIncidents{all: map[string]Incident{}}, Clock: testclock.New(testNow).Now}
	res, err := s.Scan(context.Background(), "Zoom", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[AppCredentialsInvalid] != 4 || len(res.Offers) != 0 {
		t.Fatalf("counts %v, offers %+v", res.Counts, res.Offers)
	}
}
