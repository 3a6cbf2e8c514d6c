package oktaadapter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// looksLikeAppID recognises an app instance ID (0oa…); anything else is a label or name.
func looksLikeAppID(q string) bool {
	rest, ok := strings.CutPrefix(q, "0oa")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// FindApp resolves an app ID (0oa…), label or catalogue name without listing every
// app: GET /api/v1/apps?q=… (Okta's prefix match on name and label) narrows the org's
// apps to a few candidates, then the label must match exactly (case-insensitively),
// or failing that the name ("slack" names every Slack instance). Several exact
// matches give a *remediation.AmbiguousError naming them.
func (c *Client) FindApp(ctx context.Context, q string) (remediation.App, error) {
	const op = "FindApp"
	q = strings.TrimSpace(q)
	if q == "" {
		return remediation.App{}, invalidInput(op, "empty app")
	}
	if looksLikeAppID(q) {
		var app okta.App
		_, err := c.do(ctx, "GET /api/v1/apps/{appId}", func(ctx context.Context) (*okta.Response, error) {
			var resp *okta.Response
			var err error
			app, resp, err = c.sdk.Application.GetApplication(ctx, seg(q), okta.NewApplication(), nil)
			return resp, err
		})
		if err == nil {
			if a, ok := app.(*okta.Application); ok {
				return mapApp(a), nil
			}
		}
		if !errors.Is(err, remediation.ErrNotFound) {
			return remediation.App{}, err
		}
		// Not an ID after all: it may still be a label.
	}

	apps, err := c.searchApps(ctx, q)
	if err != nil {
		return remediation.App{}, err
	}
	var byLabel, byName []remediation.App
	for _, a := range apps {
		if strings.EqualFold(a.Label, q) {
			byLabel = append(byLabel, a)
		} else if strings.EqualFold(a.Name, q) {
			byName = append(byName, a)
		}
	}
	for _, m := range [][]remediation.App{byLabel, byName} {
		switch {
		case len(m) == 1:
			return m[0], nil
		case len(m) > 1:
			amb := &remediation.AmbiguousError{What: remediation.T("app", "アプリ"), Query: q}
			for i, a := range m {
				if i == maxListed {
					amb.More = len(m) - maxListed
					break
				}
				amb.Candidates = append(amb.Candidates, fmt.Sprintf("%q (%s, %s)", a.Label, a.Name, a.ID))
			}
			return remediation.App{}, amb
		}
	}
	return remediation.App{}, &remediation.RemoteError{Kind: remediation.ErrNotFound, Op: op, Summary: fmt.Sprintf("no Okta app with ID, label or name %q", q)}
}

// maxAppSearchPages bounds the pages of one app search: a prefix shared by more than
// a thousand apps is not a name anyone types to pick one.
const maxAppSearchPages = 5

// searchApps lists the apps whose name or label starts with q (GET /api/v1/apps?q=).
func (c *Client) searchApps(ctx context.Context, q string) ([]remediation.App, error) {
	const op = "GET /api/v1/apps?q"
	qs := url.Values{}
	qs.Set("q", q)
	qs.Set("limit", "200")
	path := "/api/v1/apps?" + qs.Encode()
	apps := []remediation.App{}
	n := 0
	err := pages(ctx, c, op, func(ctx context.Context) ([]*okta.Application, *okta.Response, error) {
		var page []*okta.Application
		resp, err := c.sdkList(ctx, path, &page)
		return page, resp, err
	}, func(page []*okta.Application) bool {
		for _, a := range page {
			if a != nil {
				apps = append(apps, mapApp(a))
			}
		}
		n++
		return n < maxAppSearchPages
	})
	if err != nil {
		return nil, err
	}
	return apps, nil
}

// sdkList sends a GET through a clone of the SDK's request executor and decodes into v.
// Used where the typed method's result type is awkward to page (ListApplications returns
// an interface slice, while its next pages decode into concrete values).
func (c *Client) sdkList(ctx context.Context, path string, v any) (*okta.Response, error) {
	re := c.sdk.CloneRequestExecutor()
	req, err := re.WithAccept("application/json").WithContentType("application/json").NewRequest("GET", path, nil)
	if err != nil {
		return nil, err
	}
	return re.Do(ctx, req, v)
}

func mapApp(a *okta.Application) remediation.App {
	return remediation.App{ID: a.Id, Name: a.Name, Label: a.Label, Status: a.Status, SignOnMode: a.SignOnMode}
}

// appWithUser is an app of GET /api/v1/apps?filter=user.id eq …&expand=user/{id}, with
// the user's assignment embedded.
type appWithUser struct {
	okta.Application
	Embedded struct {
		User *okta.AppUser `json:"user"`
	} `json:"_embedded"`
}

// ListUserAssignments lists the user's apps with the user's assignment to each, in one
// paged call (filter user.id + expand user/{id}). An app listed without the embedded app
// user is read separately; a 404 there means the assignment went away meanwhile.
func (c *Client) ListUserAssignments(ctx context.Context, userID string) ([]remediation.Assignment, error) {
	const op = "GET /api/v1/apps?filter=user.id&expand=user"
	if err := checkID(op, "user ID", userID); err != nil {
		return nil, err
	}
	qs := url.Values{}
	qs.Set("filter", "user.id eq "+quote(userID))
	qs.Set("expand", "user/"+userID)
	qs.Set("limit", "200")
	path := "/api/v1/apps?" + qs.Encode()

	out := []remediation.Assignment{}
	var missing []remediation.App
	err := pages(ctx, c, op, func(ctx context.Context) ([]*appWithUser, *okta.Response, error) {
		var page []*appWithUser
		resp, err := c.sdkList(ctx, path, &page)
		return page, resp, err
	}, func(page []*appWithUser) bool {
		for _, a := range page {
			if a == nil {
				continue
			}
			app := mapApp(&a.Application)
			if a.Embedded.User == nil {
				missing = append(missing, app)
				continue
			}
			out = append(out, remediation.Assignment{App: app, AppUser: mapAppUser(a.Embedded.User)})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for _, app := range missing {
		au, err := c.GetAppUser(ctx, app.ID, userID)
		if errors.Is(err, remediation.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, remediation.Assignment{App: app, AppUser: au})
	}
	return out, nil
}

// GetAppUser reads one assignment; remediation.ErrNotFound when the user is not assigned.
func (c *Client) GetAppUser(ctx context.Context, appID, userID string) (remediation.AppUser, error) {
	const op = "GET /api/v1/apps/{appId}/users/{userId}"
	if err := checkIDs(op, appID, userID); err != nil {
		return remediation.AppUser{}, err
	}
	var au *okta.AppUser
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		au, resp, err = c.sdk.Application.GetApplicationUser(ctx, seg(appID), seg(userID), nil)
		return resp, err
	})
	if err != nil {
		return remediation.AppUser{}, err
	}
	return mapAppUser(au), nil
}

// ListAppUsers reads one page of an app's users. after is the cursor of the previous
// page's next ("" for the first page); next is "" on the last page.
func (c *Client) ListAppUsers(ctx context.Context, appID, after string, limit int) ([]remediation.AppUser, string, error) {
	const op = "GET /api/v1/apps/{appId}/users"
	if err := checkID(op, "app ID", appID); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	opts := []query.ParamOptions{query.WithLimit(int64(limit))}
	if after != "" {
		opts = append(opts, query.WithAfter(after))
	}
	var page []*okta.AppUser
	resp, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		page, resp, err = c.sdk.Application.ListApplicationUsers(ctx, seg(appID), query.NewQueryParams(opts...))
		return resp, err
	})
	if err != nil {
		return nil, "", err
	}
	users := make([]remediation.AppUser, 0, len(page))
	for _, au := range page {
		if au != nil {
			users = append(users, mapAppUser(au))
		}
	}
	next := ""
	if resp != nil && resp.HasNextPage() && len(page) > 0 {
		if u, err := url.Parse(resp.NextPage); err == nil {
			next = u.Query().Get("after")
		}
		if next == after {
			next = "" // a server repeating the cursor would page forever
		}
	}
	return users, next, nil
}

// ListAppGroups lists the groups assigned to the app with their priorities.
func (c *Client) ListAppGroups(ctx context.Context, appID string) ([]remediation.AppGroup, error) {
	const op = "GET /api/v1/apps/{appId}/groups"
	if err := checkID(op, "app ID", appID); err != nil {
		return nil, err
	}
	out := []remediation.AppGroup{}
	err := pages(ctx, c, op, func(ctx context.Context) ([]*okta.ApplicationGroupAssignment, *okta.Response, error) {
		return c.sdk.Application.ListApplicationGroupAssignments(ctx, seg(appID), query.NewQueryParams(query.WithLimit(200)))
	}, func(page []*okta.ApplicationGroupAssignment) bool {
		for _, g := range page {
			if g != nil {
				out = append(out, remediation.AppGroup{GroupID: g.Id, Priority: int(g.Priority)})
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AssignUser assigns the user to the app individually (scope USER).
func (c *Client) AssignUser(ctx context.Context, appID, userID string) (remediation.AppUser, error) {
	const op = "POST /api/v1/apps/{appId}/users"
	if err := checkIDs(op, appID, userID); err != nil {
		return remediation.AppUser{}, err
	}
	var au *okta.AppUser
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		au, resp, err = c.sdk.Application.AssignUserToApplication(ctx, seg(appID), assignBody(userID))
		return resp, err
	})
	if err != nil {
		return remediation.AppUser{}, err
	}
	return mapAppUser(au), nil
}

// SetAppUserScope turns a group assignment into an individual one (USER) or hands it
// back to group management (GROUP).
func (c *Client) SetAppUserScope(ctx context.Context, appID, userID, scope string) (remediation.AppUser, error) {
	const op = "POST /api/v1/apps/{appId}/users/{userId} scope"
	if err := checkIDs(op, appID, userID); err != nil {
		return remediation.AppUser{}, err
	}
	if scope != remediation.ScopeUser && scope != remediation.ScopeGroup {
		return remediation.AppUser{}, invalidInput(op, "scope must be USER or GROUP, not %q", scope)
	}
	var au *okta.AppUser
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		au, resp, err = c.sdk.Application.UpdateApplicationUser(ctx, seg(appID), seg(userID), scopeBody(scope))
		return resp, err
	})
	if err != nil {
		return remediation.AppUser{}, err
	}
	return mapAppUser(au), nil
}

// SetExternalID writes the app user's externalId; nil sends JSON null (the External ID reset,
// docs/background.md). The SDK's AppUser.ExternalId is a string with omitempty and cannot send null,
// so the body goes through the request executor as a map. Okta may answer with the old
// value although the write took effect: callers verify with a fresh GetAppUser.
func (c *Client) SetExternalID(ctx context.Context, appID, userID string, externalID *string) (remediation.AppUser, error) {
	const op = "POST /api/v1/apps/{appId}/users/{userId} externalId"
	if err := checkIDs(op, appID, userID); err != nil {
		return remediation.AppUser{}, err
	}
	if externalID != nil && len(*externalID) > 512 {
		return remediation.AppUser{}, invalidInput(op, "externalId longer than 512 characters")
	}
	var au okta.AppUser
	_, err := c.raw(ctx, op, "POST", appUserPath(appID, userID), externalIDBody(externalID), &au)
	if err != nil {
		return remediation.AppUser{}, err
	}
	return mapAppUser(&au), nil
}

// UnassignUser removes the user's individual assignment. A group-managed assignment is
// refused by Okta with 403 E0000046: remediation.ErrGroupScoped.
func (c *Client) UnassignUser(ctx context.Context, appID, userID string) error {
	const op = "DELETE /api/v1/apps/{appId}/users/{userId}"
	if err := checkIDs(op, appID, userID); err != nil {
		return err
	}
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		return c.sdk.Application.DeleteApplicationUser(ctx, seg(appID), seg(userID), nil)
	})
	return err
}

func mapAppUser(au *okta.AppUser) remediation.AppUser {
	if au == nil {
		return remediation.AppUser{}
	}
	return remediation.AppUser{
		ID:         au.Id,
		Status:     au.Status,
		SyncState:  au.SyncState,
		Scope:      au.Scope,
		ExternalID: au.ExternalId, // JSON null decodes to ""
		LastSync:   utc(au.LastSync),
		Updated:    utc(au.LastUpdated),
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func checkIDs(op, appID, userID string) error {
	if err := checkID(op, "app ID", appID); err != nil {
		return err
	}
	return checkID(op, "user ID", userID)
}
