package remediation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Watching the System Log for provisioning failures (the alerts of the alert channel).
//
// One replica polls at a time: it holds the lease (lock WatchLeaseKey), renewed before
// every page. The position is the polling query's next link, kept in the store
// (cursor WatchCursorName) and moved only after the page's events are recorded in
// their incidents and shown, so a restart or another replica goes on from the first
// page not fully handled: no event is missed. A replay of a page (after a crash between
// recording and moving the cursor) alerts no one twice: a user already listed is not
// added again, and a (user, app, code) is alerted once per WatchDedupe across
// incidents (Once).

// Store names the watcher uses.
const (
	WatchLeaseKey   = "watch"
	WatchCursorName = "watch:systemlog"
	// watchOpenPrefix + "<app ID>:<code>" names the cursor holding the open incident's ID.
	watchOpenPrefix = "watch:open:"
	// watchSeenPrefix + "<user ID>:<app ID>:<code>" is the Once key of an alerted user.
	watchSeenPrefix = "watch:alerted:"
)

// errLeaseLost: another replica took the lease while this one was showing alerts.
var errLeaseLost = errors.New("watcher: the lease was lost; the replica holding it goes on")

// WatchDedupe is how long the same (user, app, code) is not alerted again, and how long
// an incident stays open after its last failure: a failure after that opens a new one.
const WatchDedupe = 24 * time.Hour

// WatchStore is what the watcher needs of the shared store.
type WatchStore interface {
	Locker
	IncidentStore
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error
}

// WatchObserver receives the watcher's figures (metrics); nil for none.
type WatchObserver interface {
	// AlertShown: an alert message was posted (posted) or updated.
	AlertShown(posted bool)
	// WatchLag: how far the watcher is behind the System Log: now minus the newest
	// event's published time, 0 when caught up, growing while polls fail.
	WatchLag(d time.Duration)
}

// WatchConfig configures a Watcher.
type WatchConfig struct {
	Poller  LogPoller
	Store   WatchStore
	Alerter Alerter
	// Interval between polls; must be positive.
	Interval time.Duration
	// Owner names this replica in the lease.
	Owner string
	// Lookback: the first poll ever (no cursor saved) starts this long before now
	// (default 1m, a margin for clocks and late events).
	Lookback time.Duration
	// MaxPages bounds the pages read in one poll (default 20), so one poll stays short
	// and the lease renewed; the next poll goes on from the cursor.
	MaxPages int
	Clock    Clock
	Logger   *slog.Logger
	Observer WatchObserver
}

// Watcher polls the System Log and keeps one incident (and one alert) per (app, code).
type Watcher struct {
	cfg      WatchConfig
	leaseTTL time.Duration
	caughtUp time.Time // the last time a poll came back with an empty page
	held     bool      // this replica held the lease at the last look
}

// NewWatcher checks cfg and builds a watcher.
func NewWatcher(cfg WatchConfig) (*Watcher, error) {
	if cfg.Poller == nil || cfg.Store == nil || cfg.Alerter == nil {
		return nil, errors.New("watcher: needs a poller, a store and an alerter")
	}
	if cfg.Interval <= 0 {
		return nil, errors.New("watcher: the interval must be positive")
	}
	if cfg.Owner == "" {
		return nil, errors.New("watcher: needs an owner")
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = time.Minute
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The lease outlives the interval, so the poller keeps it from one poll to the
	// next; a dead poller's lease lapses within 30 s past the interval.
	return &Watcher{cfg: cfg, leaseTTL: cfg.Interval + 30*time.Second, caughtUp: cfg.Clock.Now()}, nil
}

// Run polls now and then every Interval until ctx ends; it releases the lease on the
// way out so another replica takes over at once.
func (w *Watcher) Run(ctx context.Context) error {
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = w.cfg.Store.Unlock(uctx, WatchLeaseKey, w.cfg.Owner)
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Logger.WarnContext(ctx, "watching the System Log", "err", err)
		}
		t.Reset(w.cfg.Interval)
	}
}

// Poll reads the System Log from the saved cursor until it is caught up (an empty page)
// or MaxPages were read, if this replica holds (or takes) the lease; otherwise it does
// nothing.
func (w *Watcher) Poll(ctx context.Context) error {
	held, err := w.lease(ctx)
	if err != nil || !held {
		return err
	}
	now := w.cfg.Clock.Now()
	lag := now.Sub(w.caughtUp)
	defer func() {
		if w.cfg.Observer != nil {
			w.cfg.Observer.WatchLag(max(lag, 0))
		}
	}()
	cursor, err := w.cfg.Store.Cursor(ctx, WatchCursorName)
	if err != nil {
		return fmt.Errorf("watcher: reading the cursor: %w", err)
	}
	since := now.Add(-w.cfg.Lookback)
	for range w.cfg.MaxPages {
		page, err := w.cfg.Poller.PollLog(ctx, cursor, since)
		if err != nil {
			return fmt.Errorf("watcher: polling the System Log: %w", err)
		}
		if err := w.record(ctx, page.Events); err != nil {
			return err
		}
		// Another replica may have taken over while this page was handled: then it
		// owns the cursor.
		if held, err := w.lease(ctx); err != nil || !held {
			return err
		}
		if page.Next != "" && page.Next != cursor {
			if err := w.cfg.Store.SetCursor(ctx, WatchCursorName, page.Next); err != nil {
				return fmt.Errorf("watcher: saving the cursor: %w", err)
			}
			cursor = page.Next
		}
		now = w.cfg.Clock.Now()
		if len(page.Events) == 0 {
			w.caughtUp, lag = now, 0
			return nil
		}
		lag = now.Sub(page.Events[len(page.Events)-1].Published)
	}
	return nil
}

// lease takes or renews the poller's lease; false when another replica holds it.
func (w *Watcher) lease(ctx context.Context) (bool, error) {
	holder, err := w.cfg.Store.Lock(ctx, WatchLeaseKey, w.cfg.Owner, w.leaseTTL)
	if err != nil && !errors.Is(err, ErrConflict) {
		return false, fmt.Errorf("watcher: lease: %w", err)
	}
	held := err == nil
	if held != w.held {
		if held {
			w.cfg.Logger.InfoContext(ctx, "watcher lease taken: this replica polls the System Log", "owner", w.cfg.Owner)
		} else {
			w.cfg.Logger.InfoContext(ctx, "watcher lease lost: another replica polls the System Log", "owner", w.cfg.Owner, "holder", holder)
		}
		w.held = held
	}
	return held, nil
}

// failure is one System Log event as the watcher reads it.
type failure struct {
	app     App
	user    *IncidentUser
	code    Code
	appWide bool
}

// classify names the failure of e without a diagnosis: its app, its user (none for an
// event of the app's integration) and the cause its words name. An unknown cause of a
// user's failure is SYNC_ERROR_OTHER; an integration event the catalogue does not know,
// or that is not app-wide (the users' own failures carry the cause), is not alerted.
func classify(e LogEvent) (failure, bool) {
	var f failure
	for _, t := range e.Targets {
		switch t.Type {
		case "AppInstance":
			if f.app.ID == "" {
				f.app = App{ID: t.ID, Label: firstNonEmpty(t.DisplayName, t.AlternateID, t.ID)}
			}
		case "User":
			if f.user == nil {
				f.user = &IncidentUser{ID: t.ID, Login: firstNonEmpty(t.AlternateID, t.DisplayName, t.ID), SeenAt: e.Published}
			}
		}
	}
	if f.app.ID == "" || e.Result != "FAILURE" {
		return f, false
	}
	m, ok := RecognizeEvent(e)
	switch {
	case ok:
		f.code = m.Code
	case f.user != nil:
		f.code = SyncErrorOther
	default:
		return f, false
	}
	f.appWide = f.code == AppCredentialsInvalid || f.code == ProvisioningConnectionDisabled
	if f.user == nil && !f.appWide {
		return f, false
	}
	if f.user != nil && !f.appWide {
		f.user.Plans = watchPlans(f.code)
	}
	return f, true
}

// watchPlans is the plan a user of an alert is likely to need, without a diagnosis
// (diagnose_user tells for sure): the one a bulk fix of the incident would run
// (BulkPlan keeps it).
func watchPlans(c Code) []PlanID {
	switch c {
	case StaleExternalID:
		return []PlanID{PlanResetExternalID}
	case AssignedBeforeProvisioning, SyncErrorOther:
		return []PlanID{PlanReassign}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// record puts the page's failures in their incidents, then shows each incident that
// changed once (one chat.update for many users joining).
func (w *Watcher) record(ctx context.Context, events []LogEvent) error {
	var shown []string
	byID := map[string]Incident{}
	for _, e := range events {
		f, ok := classify(e)
		if !ok {
			continue
		}
		in, changed, err := w.join(ctx, f, e)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		if _, ok := byID[in.ID]; !ok {
			shown = append(shown, in.ID)
		}
		byID[in.ID] = in
	}
	for _, id := range shown {
		if err := ctx.Err(); err != nil {
			return err // shutting down: the next poll replays the page
		}
		// Many alerts take a second each: keep the lease, or stop if it was lost.
		if held, err := w.lease(ctx); err != nil || !held {
			return errors.Join(err, errLeaseLost)
		}
		// Once posted, where the message is must be kept even when shutting down,
		// or the next poll would post the alert again.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), showTimeout)
		err := w.show(sctx, byID[id])
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// showTimeout bounds posting (or updating) one alert and keeping where it is.
const showTimeout = 30 * time.Second

// join adds f to the open incident of its (app, code), opening one when there is none,
// the last is older than WatchDedupe, or a bulk run was proposed for it. changed says the alert must be shown: the
// incident is new, a user joined, or the user was listed already (a replayed page,
// whose update may not have been shown before a crash).
func (w *Watcher) join(ctx context.Context, f failure, e LogEvent) (Incident, bool, error) {
	s := w.cfg.Store
	ptr := watchOpenPrefix + f.app.ID + ":" + string(f.code)
	in, err := w.openIncident(ctx, ptr, f, e)
	if err != nil {
		return Incident{}, false, err
	}
	if f.user == nil {
		return in, in.MessageTS == "", nil
	}
	if in.HasUser(f.user.ID) {
		return in, true, nil
	}
	first, err := s.Once(ctx, watchSeenPrefix+f.user.ID+":"+f.app.ID+":"+string(f.code), WatchDedupe)
	if err != nil {
		return Incident{}, false, fmt.Errorf("watcher: dedupe: %w", err)
	}
	if !first {
		return in, false, nil // alerted within the last 24 h, in an earlier incident
	}
	for range 5 {
		if in.HasUser(f.user.ID) {
			return in, true, nil
		}
		in.Users = append(in.Users, *f.user)
		in.LastSeen = laterOf(in.LastSeen, e.Published)
		in.FirstSeen = earlierOf(in.FirstSeen, e.Published)
		in.Plan = incidentPlan(in)
		err = s.UpdateIncident(ctx, &in)
		if !errors.Is(err, ErrConflict) {
			break
		}
		if in, err = s.GetIncident(ctx, in.ID); err != nil {
			return Incident{}, false, fmt.Errorf("watcher: re-reading incident %s: %w", in.ID, err)
		}
	}
	if err != nil {
		return Incident{}, false, fmt.Errorf("watcher: adding a user to incident %s: %w", in.ID, err)
	}
	return in, true, nil
}

// openIncident reads the open incident of ptr, or opens a new one.
func (w *Watcher) openIncident(ctx context.Context, ptr string, f failure, e LogEvent) (Incident, error) {
	s := w.cfg.Store
	id, err := s.Cursor(ctx, ptr)
	if err != nil {
		return Incident{}, fmt.Errorf("watcher: reading the open incident: %w", err)
	}
	if id != "" {
		in, err := s.GetIncident(ctx, id)
		switch {
		case err == nil && in.RunID == "" && e.Published.Sub(in.LastSeen) < WatchDedupe:
			return in, nil // still open: no bulk run was proposed for it
		case err != nil && !errors.Is(err, ErrNotFound):
			return Incident{}, fmt.Errorf("watcher: reading incident %s: %w", id, err)
		}
	}
	in := Incident{ID: IncidentID(f.app.ID, f.code, e.UUID), App: f.app, Code: f.code, AppWide: f.appWide,
		Users: []IncidentUser{}, Source: IncidentFromWatch, FirstSeen: e.Published, LastSeen: e.Published}
	if err := s.CreateIncident(ctx, &in); err != nil {
		if !errors.Is(err, ErrConflict) {
			return Incident{}, fmt.Errorf("watcher: opening an incident: %w", err)
		}
		// Opened before (a replay, or another replica): the same event gives the same ID.
		if in, err = s.GetIncident(ctx, in.ID); err != nil {
			return Incident{}, fmt.Errorf("watcher: reading incident %s: %w", in.ID, err)
		}
	}
	if err := s.SetCursor(ctx, ptr, in.ID); err != nil {
		return Incident{}, fmt.Errorf("watcher: saving the open incident: %w", err)
	}
	return in, nil
}

// show posts or updates the incident's alert and keeps where the message is.
func (w *Watcher) show(ctx context.Context, in Incident) error {
	posted := in.MessageTS == ""
	ch, ts, err := w.cfg.Alerter.ShowIncident(ctx, in)
	if err != nil {
		return fmt.Errorf("watcher: showing incident %s: %w", in.ID, err)
	}
	if w.cfg.Observer != nil {
		w.cfg.Observer.AlertShown(posted)
	}
	w.cfg.Logger.InfoContext(ctx, "alert shown", "incident_id", in.ID, "app_id", in.App.ID, "code", in.Code, "users", len(in.Users), "posted", posted)
	if !posted && in.Channel == ch && in.MessageTS == ts {
		return nil
	}
	for range 5 {
		in.Channel, in.MessageTS = ch, ts
		err = w.cfg.Store.UpdateIncident(ctx, &in)
		if !errors.Is(err, ErrConflict) {
			break
		}
		if in, err = w.cfg.Store.GetIncident(ctx, in.ID); err != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("watcher: keeping the alert of incident %s: %w", in.ID, err)
	}
	w.cfg.Logger.DebugContext(ctx, "alert kept", "incident_id", in.ID, "channel", ch, "ts", ts, "version", in.Version)
	return nil
}

// incidentPlan is the plan of an incident's bulk fix (BulkPlan), "" unless it fits every
// listed user.
func incidentPlan(in Incident) PlanID {
	plans := make([][]PlanID, len(in.Users))
	for i, u := range in.Users {
		plans[i] = u.Plans
	}
	p, n := BulkPlan(in.Code, plans)
	if n != len(in.Users) {
		return ""
	}
	return p
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlierOf(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// IncidentRunbook is what people do for an app-wide incident (refused credentials, a
// disabled connection) in the Admin Console, as the diagnosis says it; nil for a cause
// that is not app-wide.
func IncidentRunbook(in Incident) []Text {
	af := &AppFacts{App: in.App}
	switch in.Code {
	case AppCredentialsInvalid:
		return credentialsInvalid(&Facts{}, af, nil).Runbook
	case ProvisioningConnectionDisabled:
		af.Connection = &Connection{}
		return connectionDisabled(&Facts{}, af).Runbook
	}
	return nil
}
