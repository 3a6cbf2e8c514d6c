package remediation

import (
	"context"
	"fmt"
	"sync"
)

// fakeOkta is a hand-written OktaReader over fixed facts. Errors set in errs are
// returned by the method of that name.
type fakeOkta struct {
	mu        sync.Mutex
	calls     []string
	users     map[string]User // by login, email and id
	apps      map[string]App  // by label and id
	appUsers  map[string]AppUser
	prov      map[string]Provisioning
	appGroups map[string][]AppGroup
	logs      []LogEvent
	types     []UserType
	rules     []GroupRule
	groups    []Group
	conns     map[string]Connection // by app id; absent: UNKNOWN
	errs      map[string]error
	// logsUnfiltered makes SystemLog answer every event, as an Okta that ignored the
	// filter would.
	logsUnfiltered bool
	logQueries     []LogQuery // every SystemLog query, in order
}

func (f *fakeOkta) record(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	return f.errs[name]
}

func (f *fakeOkta) FindUser(_ context.Context, q string) (User, error) {
	if err := f.record("FindUser"); err != nil {
		return User{}, err
	}
	u, ok := f.users[q]
	if !ok {
		return User{}, fmt.Errorf("user %s: %w", q, ErrNotFound)
	}
	return u, nil
}

func (f *fakeOkta) FindApp(_ context.Context, q string) (App, error) {
	if err := f.record("FindApp"); err != nil {
		return App{}, err
	}
	a, ok := f.apps[q]
	if !ok {
		return App{}, fmt.Errorf("app %s: %w", q, ErrNotFound)
	}
	return a, nil
}

func (f *fakeOkta) ListUserAssignments(_ context.Context, userID string) ([]Assignment, error) {
	if err := f.record("ListUserAssignments"); err != nil {
		return nil, err
	}
	var out []Assignment
	seen := map[string]bool{}
	for _, a := range f.apps {
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		if au, ok := f.appUsers[a.ID+"/"+userID]; ok {
			out = append(out, Assignment{App: a, AppUser: au})
		}
	}
	return out, nil
}

func (f *fakeOkta) GetAppUser(_ context.Context, appID, userID string) (AppUser, error) {
	if err := f.record("GetAppUser"); err != nil {
		return AppUser{}, err
	}
	au, ok := f.appUsers[appID+"/"+userID]
	if !ok {
		return AppUser{}, &RemoteError{Kind: ErrNotFound, Op: "GET app user", Status: 404, Code: "E0000007"}
	}
	return au, nil
}

func (f *fakeOkta) GetProvisioning(_ context.Context, appID string) (Provisioning, error) {
	if err := f.record("GetProvisioning"); err != nil {
		return Provisioning{}, err
	}
	p, ok := f.prov[appID]
	if !ok {
		return Provisioning{}, &RemoteError{Kind: ErrUnsupported, Op: "GET features", Status: 400, Code: "E0000001"}
	}
	return p, nil
}

func (f *fakeOkta) SystemLog(_ context.Context, q LogQuery) ([]LogEvent, error) {
	if err := f.record("SystemLog"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.logQueries = append(f.logQueries, q)
	f.mu.Unlock()
	if f.logsUnfiltered {
		return f.logs, nil
	}
	var out []LogEvent
	for _, e := range f.logs {
		if q.Matches(e) && !e.Published.Before(q.Since) && !e.Published.After(q.Until) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeOkta) ListUserTypes(context.Context) ([]UserType, error) {
	return f.types, f.record("ListUserTypes")
}

func (f *fakeOkta) ListGroupRules(context.Context) ([]GroupRule, error) {
	return f.rules, f.record("ListGroupRules")
}

func (f *fakeOkta) ListAppGroups(_ context.Context, appID string) ([]AppGroup, error) {
	return f.appGroups[appID], f.record("ListAppGroups")
}

func (f *fakeOkta) ListUserGroups(context.Context, string) ([]Group, error) {
	return f.groups, f.record("ListUserGroups")
}

func (f *fakeOkta) GetConnection(_ context.Context, appID string) (Connection, error) {
	if err := f.record("GetConnection"); err != nil {
		return Connection{}, err
	}
	if c, ok := f.conns[appID]; ok {
		return c, nil
	}
	return Connection{Status: ConnectionUnknown}, nil
}
