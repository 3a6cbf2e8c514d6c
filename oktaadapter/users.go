package oktaadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// maxListed bounds how many candidates an ambiguity error names.
const maxListed = 10

// FindUser resolves a login, an email address or an Okta user ID. It first asks for
// /api/v1/users/{q}, which Okta answers for an ID or a login; on 404 it searches
// profile.email and profile.login, so an email that is not the login still resolves.
// Several matches give remediation.ErrAmbiguous.
func (c *Client) FindUser(ctx context.Context, q string) (remediation.User, error) {
	const op = "FindUser"
	q = strings.TrimSpace(q)
	if q == "" {
		return remediation.User{}, invalidInput(op, "empty user")
	}
	// Okta cannot fetch a login containing "/" by path (the spec says so): search only.
	if !strings.Contains(q, "/") {
		var u *okta.User
		_, err := c.do(ctx, "GET /api/v1/users/{id}", func(ctx context.Context) (*okta.Response, error) {
			var resp *okta.Response
			var err error
			u, resp, err = c.sdk.User.GetUser(ctx, seg(q))
			return resp, err
		})
		if err == nil {
			return mapUser(u), nil
		}
		if !errors.Is(err, remediation.ErrNotFound) {
			return remediation.User{}, err
		}
	}

	search := or("profile.email eq "+quote(q), "profile.login eq "+quote(q))
	// Two suffice to tell one match from several, but a few more name the candidates.
	var users []*okta.User
	_, err := c.do(ctx, "GET /api/v1/users?search", func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		users, resp, err = c.sdk.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(search), query.WithLimit(maxListed)))
		return resp, err
	})
	if err != nil {
		return remediation.User{}, err
	}
	switch len(users) {
	case 0:
		return remediation.User{}, &remediation.RemoteError{Kind: remediation.ErrNotFound, Op: op, Summary: fmt.Sprintf("no Okta user with ID, login or email %q", q)}
	case 1:
		return mapUser(users[0]), nil
	}
	names := make([]string, 0, len(users))
	for _, u := range users {
		m := mapUser(u)
		names = append(names, fmt.Sprintf("%s (%s)", m.Login, m.ID))
	}
	return remediation.User{}, fmt.Errorf("%q matches %d Okta users: %s: %w", q, len(users), strings.Join(names, ", "), remediation.ErrAmbiguous)
}

func mapUser(u *okta.User) remediation.User {
	if u == nil {
		return remediation.User{}
	}
	out := remediation.User{ID: u.Id, Status: u.Status}
	if u.Created != nil {
		out.Created = *u.Created
	}
	if u.Type != nil {
		out.TypeID = u.Type.Id
	}
	if u.Profile != nil {
		p := *u.Profile
		out.Login = str(p["login"])
		out.Email = str(p["email"])
		out.DisplayName = str(p["displayName"])
		if out.DisplayName == "" {
			out.DisplayName = strings.TrimSpace(str(p["firstName"]) + " " + str(p["lastName"]))
		}
		out.ManagerID = str(p["managerId"])
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// ListUserGroups lists the groups the user is a member of.
func (c *Client) ListUserGroups(ctx context.Context, userID string) ([]remediation.Group, error) {
	const op = "GET /api/v1/users/{userId}/groups"
	if err := checkID(op, "user ID", userID); err != nil {
		return nil, err
	}
	out := []remediation.Group{}
	err := pages(ctx, c, op, func(ctx context.Context) ([]*okta.Group, *okta.Response, error) {
		return c.sdk.User.ListUserGroups(ctx, seg(userID))
	}, func(page []*okta.Group) bool {
		for _, g := range page {
			if g == nil {
				continue
			}
			name := ""
			if g.Profile != nil {
				name = g.Profile.Name
			}
			out = append(out, remediation.Group{ID: g.Id, Name: name})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListUserTypes lists the org's user types; Default marks the default type.
func (c *Client) ListUserTypes(ctx context.Context) ([]remediation.UserType, error) {
	const op = "GET /api/v1/meta/types/user"
	var types []*okta.UserType
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		types, resp, err = c.sdk.UserType.ListUserTypes(ctx)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]remediation.UserType, 0, len(types))
	for _, t := range types {
		if t == nil {
			continue
		}
		out = append(out, remediation.UserType{ID: t.Id, Name: t.Name, DisplayName: t.DisplayName, Default: t.Default != nil && *t.Default})
	}
	return out, nil
}

// ListGroupRules lists the org's group rules with their expressions and target groups.
// Okta pages them by 200 at most, one page after the other, so an org of thousands of
// rules costs a chain of calls: the list is reused for GroupRulesTTL (rules change
// seldom, and only diagnoses of custom-type users read them).
func (c *Client) ListGroupRules(ctx context.Context) ([]remediation.GroupRule, error) {
	if c.cfg.GroupRulesTTL > 0 {
		c.rulesMu.Lock()
		rules, at := c.rules, c.rulesAt
		c.rulesMu.Unlock()
		if now := c.cfg.Clock(); rules != nil && !now.Before(at) && now.Sub(at) < c.cfg.GroupRulesTTL {
			return slices.Clone(rules), nil
		}
	}
	rules, err := c.listGroupRules(ctx)
	if err != nil {
		return nil, err
	}
	if c.cfg.GroupRulesTTL > 0 {
		c.rulesMu.Lock()
		c.rules, c.rulesAt = rules, c.cfg.Clock()
		c.rulesMu.Unlock()
	}
	return slices.Clone(rules), nil
}

func (c *Client) listGroupRules(ctx context.Context) ([]remediation.GroupRule, error) {
	const op = "GET /api/v1/groups/rules"
	out := []remediation.GroupRule{}
	err := pages(ctx, c, op, func(ctx context.Context) ([]*okta.GroupRule, *okta.Response, error) {
		return c.sdk.Group.ListGroupRules(ctx, query.NewQueryParams(query.WithLimit(200)))
	}, func(page []*okta.GroupRule) bool {
		for _, r := range page {
			if r == nil {
				continue
			}
			gr := remediation.GroupRule{ID: r.Id, Name: r.Name, Status: r.Status, GroupIDs: []string{}}
			if r.Conditions != nil && r.Conditions.Expression != nil {
				gr.Expression = r.Conditions.Expression.Value
			}
			if r.Actions != nil && r.Actions.AssignUserToGroups != nil {
				gr.GroupIDs = append(gr.GroupIDs, r.Actions.AssignUserToGroups.GroupIds...)
			}
			out = append(out, gr)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
