package remediation

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func countCalls(w *fakeOkta, name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		if c == name {
			n++
		}
	}
	return n
}

func TestGatherReadsGroupRulesOnlyForCustomTypes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		typeID   string
		typesErr error
		want     int
	}{
		{"default type", "oty1default", nil, 0},
		{"custom type", "oty1contractor", nil, 1},
		{"types unreadable", "oty1default", &RemoteError{Kind: ErrDenied, Op: "GET", Status: 403}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := baseWorld()
			u := w.users["alice@example.com"]
			u.TypeID = tc.typeID
			w.users[u.Login], w.users[u.ID] = u, u
			if tc.typesErr != nil {
				w.errs["ListUserTypes"] = tc.typesErr
			}
			d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
			if _, err := d.Diagnose(context.Background(), "alice@example.com", "Zoom"); err != nil {
				t.Fatal(err)
			}
			if n := countCalls(w, "ListGroupRules"); n != tc.want {
				t.Errorf("group rules read %d times, want %d", n, tc.want)
			}
		})
	}
}

// TestGatherOneAppLogQuery: one bounded query, by type and target: the user's
// provisioning events, or the app's integration events (which do not target the user).
func TestGatherOneAppLogQuery(t *testing.T) {
	w := baseWorld()
	integration := LogEvent{UUID: "i1", Published: testNow.Add(-2 * time.Hour), EventType: "application.integration.authentication_failure",
		Result: "FAILURE", Reason: "401 Unauthorized", Targets: []LogTarget{{ID: zoomID, Type: "AppInstance", DisplayName: "Zoom"}}}
	signIn := LogEvent{UUID: "s1", Published: testNow.Add(-time.Minute), EventType: "user.authentication.sso", Result: "SUCCESS",
		Targets: []LogTarget{userTarget(), {ID: zoomID, Type: "AppInstance"}}}
	w.logs = append(w.logs, integration, signIn)
	d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
	f, err := d.Gather(context.Background(), "alice@example.com", "Zoom")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.logQueries) != 1 {
		t.Fatalf("%d System Log queries, want 1", len(w.logQueries))
	}
	q := w.logQueries[0]
	if !slices.Equal(q.TargetIDs, []string{aliceID}) || !slices.Equal(q.EventTypes, UserLogEventTypes) ||
		len(q.Or) != 1 || !slices.Equal(q.Or[0].TargetIDs, []string{zoomID}) || !slices.Equal(q.Or[0].EventTypes, AppLogEventTypes) {
		t.Errorf("query %+v", q)
	}
	if !q.Until.After(testNow) || q.Until.Sub(testNow) > time.Minute || testNow.Sub(q.Since) != 30*24*time.Hour || q.MaxEvents != 1000 {
		t.Errorf("bounds since %s until %s max %d", q.Since, q.Until, q.MaxEvents)
	}
	var got []string
	for _, e := range f.Logs {
		got = append(got, e.UUID)
	}
	if !slices.Contains(got, "i1") || slices.Contains(got, "s1") {
		t.Errorf("events read: %v", got)
	}
}

// TestGatherAllAppsReadsOnlyFailingApps: 150 assignments, three failing in different
// ways; every assignment is seen, only the three are read in depth, and their
// integration events are read in one more query.
func TestGatherAllAppsReadsOnlyFailingApps(t *testing.T) {
	w := baseWorld()
	w.apps = map[string]App{}
	w.appUsers = map[string]AppUser{}
	var failingIDs []string
	for i := 0; i < 150; i++ {
		a := App{ID: fmt.Sprintf("0oa%017d", i), Name: "box", Label: fmt.Sprintf("App %03d", i)}
		w.apps[a.ID] = a
		au := AppUser{ID: aliceID, Status: "PROVISIONED", SyncState: SyncSynchronized, Scope: ScopeUser, ExternalID: "x"}
		switch i {
		case 7:
			au.SyncState = SyncError
			failingIDs = append(failingIDs, a.ID)
		case 70:
			au.Status = "PROVISIONING_FAILED"
			failingIDs = append(failingIDs, a.ID)
		case 140: // synchronized as far as Okta shows, but the log has a failure
			w.logs = append(w.logs, ev(60*24*20, evPushProfile, "FAILURE", "Automatic profile push failed", a.ID, a.Label))
			failingIDs = append(failingIDs, a.ID)
		}
		w.appUsers[a.ID+"/"+aliceID] = au
	}
	d := &Diagnoser{Okta: w, Clock: func() time.Time { return testNow }}
	f, err := d.Gather(context.Background(), "alice@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Apps) != 150 || f.MoreApps != 0 {
		t.Fatalf("%d apps seen, %d more", len(f.Apps), f.MoreApps)
	}
	if n := countCalls(w, "ListUserAssignments"); n != 1 {
		t.Errorf("%d assignment lists", n)
	}
	if n, m := countCalls(w, "GetProvisioning"), countCalls(w, "ListAppGroups"); n != 3 || m != 3 {
		t.Errorf("%d provisioning reads and %d app group reads, want 3 each", n, m)
	}
	if countCalls(w, "GetAppUser") != 0 {
		t.Error("an app user read one by one")
	}
	if len(w.logQueries) != 2 {
		t.Fatalf("%d System Log queries, want 2", len(w.logQueries))
	}
	q := w.logQueries[1]
	var apps []string
	alts := append([]LogMatch{{TargetIDs: q.TargetIDs, EventTypes: q.EventTypes}}, q.Or...)
	for _, m := range alts {
		if !slices.Equal(m.EventTypes, AppLogEventTypes) || len(m.TargetIDs) != 1 {
			t.Errorf("app query alternative %+v", m)
		}
		apps = append(apps, m.TargetIDs...)
	}
	slices.Sort(apps)
	slices.Sort(failingIDs)
	if !slices.Equal(apps, failingIDs) {
		t.Errorf("integration events read for %v, want %v", apps, failingIDs)
	}
	// The sync error and the failure seen only in the log are both named.
	diag := Evaluate(f, testNow)
	var failing []string
	for _, fd := range diag.Findings {
		if fd.Code != Healthy && fd.App != nil {
			failing = append(failing, fd.App.Label)
		}
	}
	if !slices.Contains(failing, "App 007") || !slices.Contains(failing, "App 140") {
		t.Errorf("failing apps named: %v", failing)
	}

	// More failing apps than MaxApps: every one is still judged, the rest is a gap.
	w.calls = nil
	d.MaxApps = 2
	f, err = d.Gather(context.Background(), "alice@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if f.MoreApps != 1 || countCalls(w, "GetProvisioning") != 2 || len(f.Apps) != 150 {
		t.Errorf("MaxApps 2: %d more, %d provisioning reads", f.MoreApps, countCalls(w, "GetProvisioning"))
	}
}
