package remediation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/internal/testclock"
)

// fakeWatchStore is an in-memory WatchStore (locks with expiry on the test clock).
type fakeWatchStore struct {
	mu        sync.Mutex
	clk       *testclock.Clock
	locks     map[string]fakeLock
	once      map[string]time.Time
	cursors   map[string]string
	incidents map[string]Incident
}

type fakeLock struct {
	owner string
	until time.Time
}

func newFakeWatchStore(clk *testclock.Clock) *fakeWatchStore {
	return &fakeWatchStore{clk: clk, locks: map[string]fakeLock{}, once: map[string]time.Time{},
		cursors: map[string]string{}, incidents: map[string]Incident{}}
}

func (s *fakeWatchStore) Lock(_ context.Context, key, owner string, ttl time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	if l, ok := s.locks[key]; ok && l.owner != owner && now.Before(l.until) {
		return l.owner, ErrConflict
	}
	s.locks[key] = fakeLock{owner, now.Add(ttl)}
	return owner, nil
}

func (s *fakeWatchStore) Unlock(_ context.Context, key, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks[key].owner == owner {
		delete(s.locks, key)
	}
	return nil
}

func (s *fakeWatchStore) Once(_ context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	if until, ok := s.once[key]; ok && now.Before(until) {
		return false, nil
	}
	s.once[key] = now.Add(ttl)
	return true, nil
}

func (s *fakeWatchStore) Cursor(_ context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[name], nil
}

func (s *fakeWatchStore) SetCursor(_ context.Context, name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[name] = value
	return nil
}

func (s *fakeWatchStore) CreateIncident(_ context.Context, in *Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.incidents[in.ID]; ok {
		return ErrConflict
	}
	in.Version = 1
	s.incidents[in.ID] = cloneIncident(*in)
	return nil
}

func (s *fakeWatchStore) GetIncident(_ context.Context, id string) (Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.incidents[id]
	if !ok {
		return Incident{}, ErrNotFound
	}
	return cloneIncident(in), nil
}

func (s *fakeWatchStore) UpdateIncident(_ context.Context, in *Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.incidents[in.ID]
	if !ok {
		return ErrNotFound
	}
	if cur.Version != in.Version {
		return ErrConflict
	}
	in.Version++
	s.incidents[in.ID] = cloneIncident(*in)
	return nil
}

func cloneIncident(in Incident) Incident {
	in.Users = append([]IncidentUser(nil), in.Users...)
	return in
}

func (s *fakeWatchStore) all() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Incident
	for _, in := range s.incidents {
		out = append(out, cloneIncident(in))
	}
	return out
}

// fakeLog is a System Log polling query: events in the order Okta stored them, pages
// of pageSize, a next link on every page ("c<index>"), the same link when caught up.
type fakeLog struct {
	mu       sync.Mutex
	events   []LogEvent
	pageSize int
	calls    int
	starts   []time.Time // since of each new query
}

func (l *fakeLog) add(evs ...LogEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, evs...)
}

func (l *fakeLog) PollLog(_ context.Context, cursor string, since time.Time) (LogPage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	from := 0
	if cursor == "" {
		l.starts = append(l.starts, since)
		for from < len(l.events) && l.events[from].Published.Before(since) {
			from++
		}
	} else {
		n, err := strconv.Atoi(cursor[1:])
		if err != nil {
			return LogPage{}, err
		}
		from = n
	}
	to := min(from+l.pageSize, len(l.events))
	return LogPage{Events: append([]LogEvent(nil), l.events[from:to]...), Next: "c" + strconv.Itoa(to)}, nil
}

// fakeAlerter records the alert messages: one per incident, with how often shown.
type fakeAlerter struct {
	mu    sync.Mutex
	posts int
	shown map[string][]Incident // by message ts
	fail  error
	// onShow runs (outside the lock) before each alert is shown.
	onShow func()
}

func (a *fakeAlerter) ShowIncident(_ context.Context, in Incident) (string, string, error) {
	if a.onShow != nil {
		a.onShow()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return "", "", a.fail
	}
	if a.shown == nil {
		a.shown = map[string][]Incident{}
	}
	ts := in.MessageTS
	if ts == "" {
		a.posts++
		ts = fmt.Sprintf("1700000000.%06d", a.posts)
	}
	a.shown[ts] = append(a.shown[ts], in)
	return "C0ALERTS", ts, nil
}

func (a *fakeAlerter) last(ts string) Incident {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.shown[ts]
	return s[len(s)-1]
}

type fakeWatchObserver struct {
	mu              sync.Mutex
	posted, updated int
	lag             time.Duration
}

func (o *fakeWatchObserver) AlertShown(posted bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if posted {
		o.posted++
	} else {
		o.updated++
	}
}

func (o *fakeWatchObserver) WatchLag(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lag = d
}

const (
	wApp  = "0oazoom"
	wApp2 = "0oabox"
)

func pushFailure(at time.Time, n int, app, reason string) LogEvent {
	return LogEvent{UUID: fmt.Sprintf("evt-%s-%d-%d", app, n, at.UnixNano()), Published: at, EventType: "application.provision.user.push_profile",
		Result: "FAILURE", Reason: reason,
		Targets: []LogTarget{{ID: fmt.Sprintf("00u%03d", n), Type: "User", AlternateID: fmt.Sprintf("user%d@example.com", n)},
			{ID: app, Type: "AppInstance", AlternateID: "Zoom", DisplayName: "Zoom"}}}
}

func staleFailure(at time.Time, n int) LogEvent {
	return pushFailure(at, n, wApp, fmt.Sprintf("Automatic profile push of user user%d@example.com to app Zoom failed: Error while trying to push profile update for user%d@example.com: No user returned for user ext-%d", n, n, n))
}

type watchWorld struct {
	clk   *testclock.Clock
	store *fakeWatchStore
	log   *fakeLog
	alert *fakeAlerter
	obs   *fakeWatchObserver
}

func newWatchWorld() *watchWorld {
	clk := testclock.New(time.Time{})
	return &watchWorld{clk: clk, store: newFakeWatchStore(clk), log: &fakeLog{pageSize: 3}, alert: &fakeAlerter{}, obs: &fakeWatchObserver{}}
}

func (w *watchWorld) watcher(t *testing.T, owner string) *Watcher {
	t.Helper()
	wt, err := NewWatcher(WatchConfig{Poller: w.log, Store: w.store, Alerter: w.alert, Interval: time.Minute,
		Owner: owner, Clock: w.clk.Now, Observer: w.obs})
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

func TestWatchBurstGivesOneGroupedAlert(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	wt := w.watcher(t, "a")
	if err := wt.Poll(ctx); err != nil { // the first poll starts the query: nothing yet
		t.Fatal(err)
	}
	if w.alert.posts != 0 {
		t.Fatal("an alert with nothing wrong")
	}
	now := w.clk.Now()
	for i := range 7 { // a burst over three pages, with noise the catalogue ignores
		w.log.add(staleFailure(now.Add(time.Duration(i)*time.Second), i))
	}
	w.log.add(LogEvent{UUID: "ok", Published: now, EventType: "application.provision.user.push", Result: "SUCCESS",
		Targets: []LogTarget{{ID: "00u9", Type: "User"}, {ID: wApp, Type: "AppInstance"}}})
	w.clk.Advance(time.Minute)
	if err := wt.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.alert.posts != 1 {
		t.Fatalf("%d alert messages for one burst, want 1", w.alert.posts)
	}
	in := w.alert.last("1700000000.000001")
	if in.Code != StaleExternalID || len(in.Users) != 7 || in.Plan != PlanResetExternalID || in.App.Label != "Zoom" {
		t.Fatalf("alert: code %s, %d users, plan %q, app %+v", in.Code, len(in.Users), in.Plan, in.App)
	}
	if !in.FirstSeen.Equal(now) || !in.LastSeen.Equal(now.Add(6*time.Second)) {
		t.Errorf("since %v, last %v", in.FirstSeen, in.LastSeen)
	}
	if w.obs.posted != 1 || w.obs.updated < 1 || w.obs.lag != 0 {
		t.Errorf("observer: posted %d, updated %d, lag %v", w.obs.posted, w.obs.updated, w.obs.lag)
	}
	stored := w.store.all()
	if len(stored) != 1 || stored[0].MessageTS != "1700000000.000001" || stored[0].Channel != "C0ALERTS" {
		t.Fatalf("stored incidents: %+v", stored)
	}

	// A restart (a new watcher on the same store): nothing repeated; a later failure
	// joins the same message.
	wt2 := w.watcher(t, "a")
	if err := wt2.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	shownBefore := len(w.alert.shown["1700000000.000001"])
	if err := wt2.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(w.alert.shown["1700000000.000001"]); n != shownBefore {
		t.Fatalf("a quiet poll updated the alert (%d → %d)", shownBefore, n)
	}
	w.log.add(staleFailure(w.clk.Now(), 7), staleFailure(w.clk.Now(), 3)) // a new user, and a listed one again
	if err := wt2.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.alert.posts != 1 {
		t.Fatalf("%d messages after a later failure, want the first updated", w.alert.posts)
	}
	if in := w.alert.last("1700000000.000001"); len(in.Users) != 8 {
		t.Fatalf("%d users after a later failure, want 8", len(in.Users))
	}
	if len(w.log.starts) != 1 {
		t.Fatalf("%d new polling queries: a restart must go on from the saved next link", len(w.log.starts))
	}
}

func TestWatchReplayAfterACrashAlertsOnce(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	wt := w.watcher(t, "a")
	_ = wt.Poll(ctx)
	w.log.add(staleFailure(w.clk.Now(), 1), staleFailure(w.clk.Now(), 2))
	w.alert.fail = errors.New("slack is down")
	if err := wt.Poll(ctx); err == nil {
		t.Fatal("a failed alert was taken for shown")
	}
	if c, _ := w.store.Cursor(ctx, WatchCursorName); c != "c0" {
		t.Fatalf("the cursor moved to %q past a page whose alert was not shown", c)
	}
	w.alert.fail = nil
	if err := wt.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.alert.posts != 1 {
		t.Fatalf("%d messages, want 1", w.alert.posts)
	}
	if in := w.alert.last("1700000000.000001"); len(in.Users) != 2 {
		t.Fatalf("%d users after the replay, want 2", len(in.Users))
	}
}

func TestWatchOneReplicaPolls(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	a, b := w.watcher(t, "a"), w.watcher(t, "b")
	if err := a.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	calls := w.log.calls
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.log.calls != calls {
		t.Fatal("the second replica polled while the first held the lease")
	}
	// The first dies: its lease lapses and the second goes on from the cursor.
	w.log.add(staleFailure(w.clk.Now(), 1))
	w.clk.Advance(time.Minute + 31*time.Second)
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.log.calls == calls || w.alert.posts != 1 || len(w.log.starts) != 1 {
		t.Fatalf("takeover: %d calls, %d posts, %d new queries", w.log.calls-calls, w.alert.posts, len(w.log.starts))
	}
}

func TestWatchAppWideIsOneAlertWithItsRunbook(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	wt := w.watcher(t, "a")
	_ = wt.Poll(ctx)
	now := w.clk.Now()
	w.log.add(LogEvent{UUID: "int-1", Published: now, EventType: "application.integration.authentication_failure", Result: "FAILURE",
		DisplayMessage: "Error authenticating", Reason: "The credentials used to connect to the API were invalid.",
		Targets: []LogTarget{{ID: wApp2, Type: "AppInstance", DisplayName: "Box"}}})
	for i := range 4 {
		w.log.add(pushFailure(now, i, wApp2, "Automatic profile push of user x to app Box failed: Unauthorized (401): Token is invalid or expired"))
	}
	// An integration event that is not app-wide (the users' failures carry it): no alert.
	w.log.add(LogEvent{UUID: "int-2", Published: now, EventType: "application.integration.rate_limit_exceeded", Result: "FAILURE",
		Reason: "Rate Limit Exceeded", Targets: []LogTarget{{ID: wApp, Type: "AppInstance"}}})
	if err := wt.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.alert.posts != 1 {
		t.Fatalf("%d alerts for one app-wide cause, want 1", w.alert.posts)
	}
	in := w.alert.last("1700000000.000001")
	if in.Code != AppCredentialsInvalid || !in.AppWide || in.Plan != "" || len(in.Users) != 4 {
		t.Fatalf("app-wide alert: %+v", in)
	}
	if rb := IncidentRunbook(in); len(rb) == 0 || rb[0].EN == "" || rb[0].JA == "" {
		t.Fatalf("runbook %v", rb)
	}
	if rb := IncidentRunbook(Incident{App: in.App, Code: ProvisioningConnectionDisabled}); len(rb) == 0 {
		t.Fatal("no runbook for a disabled connection")
	}
}

func TestWatchDedupeWindow(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	wt := w.watcher(t, "a")
	_ = wt.Poll(ctx)
	w.log.add(staleFailure(w.clk.Now(), 1))
	_ = wt.Poll(ctx)
	// 25 hours later the same user fails again: a new incident, a new alert.
	w.clk.Advance(25 * time.Hour)
	w.log.add(staleFailure(w.clk.Now(), 1))
	if err := wt.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.alert.posts != 2 || len(w.store.all()) != 2 {
		t.Fatalf("after 25 h: %d posts, %d incidents, want 2 and 2", w.alert.posts, len(w.store.all()))
	}
	if w.obs.lag != 0 {
		t.Errorf("caught up, lag %v", w.obs.lag)
	}
}

func TestWatchLagGrowsWhilePollsFail(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	wt := w.watcher(t, "a")
	_ = wt.Poll(ctx)
	w.log.add(staleFailure(w.clk.Now(), 1))
	w.alert.fail = errors.New("down")
	w.clk.Advance(5 * time.Minute)
	_ = wt.Poll(ctx)
	if w.obs.lag != 5*time.Minute {
		t.Fatalf("lag %v while failing, want 5m", w.obs.lag)
	}
}

func TestClassify(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		e    LogEvent
		code Code
		ok   bool
	}{
		{"stale", staleFailure(now, 1), StaleExternalID, true},
		{"unknown words", pushFailure(now, 1, wApp, "Something odd happened"), SyncErrorOther, true},
		{"success", LogEvent{Result: "SUCCESS", Targets: staleFailure(now, 1).Targets}, "", false},
		{"no app", LogEvent{Result: "FAILURE", Reason: "No user returned for user x", Targets: []LogTarget{{ID: "00u1", Type: "User"}}}, "", false},
	}
	for _, tt := range tests {
		f, ok := classify(tt.e)
		if ok != tt.ok || (ok && f.code != tt.code) {
			t.Errorf("%s: %v %s, want %v %s", tt.name, ok, f.code, tt.ok, tt.code)
		}
	}
}

func TestWatchStopsWhenTheLeaseIsLostMidPage(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	a, b := w.watcher(t, "a"), w.watcher(t, "b")
	_ = a.Poll(ctx)
	now := w.clk.Now()
	w.log.add(staleFailure(now, 1)) // Zoom
	w.log.add(pushFailure(now, 2, wApp2, "Automatic profile push of x to app Box failed: User account is inactive"))
	// While a shows the first alert, it stalls past its lease and b takes over.
	w.alert.onShow = func() {
		w.alert.onShow = nil
		w.clk.Advance(2 * time.Minute)
		if _, err := w.store.Lock(ctx, WatchLeaseKey, "b", time.Minute); err != nil {
			t.Error(err)
		}
	}
	if err := a.Poll(ctx); !errors.Is(err, errLeaseLost) {
		t.Fatalf("a went on without its lease: %v", err)
	}
	if c, _ := w.store.Cursor(ctx, WatchCursorName); c != "c0" {
		t.Fatalf("a moved the cursor to %q after losing the lease", c)
	}
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if w.alert.posts != 2 {
		t.Fatalf("%d alert messages, want 2 (one per app, none twice)", w.alert.posts)
	}
}

// Once a bulk run was proposed for an incident, it is closed: a later failure of the
// same app and cause opens a new incident (a new alert) instead of listing the users
// being fixed again under the first one.
func TestWatchClosedIncidentOpensANewOne(t *testing.T) {
	ctx := context.Background()
	w := newWatchWorld()
	wt := w.watcher(t, "a")
	_ = wt.Poll(ctx)
	w.log.add(staleFailure(w.clk.Now(), 1), staleFailure(w.clk.Now(), 2))
	if err := wt.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	first := w.store.all()
	if len(first) != 1 || len(first[0].Users) != 2 {
		t.Fatalf("incidents %+v", first)
	}
	closed := first[0]
	closed.RunID = "run-bulkbulkbulkbulk"
	if err := w.store.UpdateIncident(ctx, &closed); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute)
	w.log.add(staleFailure(w.clk.Now(), 3))
	if err := wt.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	all := w.store.all()
	if w.alert.posts != 2 || len(all) != 2 {
		t.Fatalf("after the bulk run was proposed: %d posts, %d incidents, want 2 and 2", w.alert.posts, len(all))
	}
	for _, in := range all {
		if in.ID == closed.ID && len(in.Users) != 2 {
			t.Errorf("the closed incident changed: %d users", len(in.Users))
		}
		if in.ID != closed.ID && (len(in.Users) != 1 || in.RunID != "") {
			t.Errorf("the new incident: %+v", in)
		}
	}
}
