package oktaadapter

import (
	"context"
	"net/url"
	"strconv"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// maxAppUsersPage is the largest page of an app's users Okta serves.
const maxAppUsersPage = 500

// appUserWithUser is an app user of GET /api/v1/apps/{app}/users?expand=user, with the
// Okta user embedded.
type appUserWithUser struct {
	okta.AppUser
	Embedded struct {
		User *okta.User `json:"user"`
	} `json:"_embedded"`
}

// ListAppMembers pages through every user assigned to the app at Okta's largest page
// (500), each with the Okta user embedded (expand=user), so a scan of 10,000 users
// costs 20 calls of the apps budget. A member listed without the embedded user keeps
// the app user's userName as login and an empty status (the scan reads the user when
// it needs it).
func (c *Client) ListAppMembers(ctx context.Context, appID string, each func([]remediation.Member) error) error {
	const op = "GET /api/v1/apps/{appId}/users"
	if err := checkID(op, "app ID", appID); err != nil {
		return err
	}
	qs := url.Values{}
	qs.Set("limit", strconv.Itoa(maxAppUsersPage))
	qs.Set("expand", "user")
	path := "/api/v1/apps/" + seg(appID) + "/users?" + qs.Encode()
	var stop error
	err := pages(ctx, c, op, func(ctx context.Context) ([]*appUserWithUser, *okta.Response, error) {
		var page []*appUserWithUser
		resp, err := c.sdkList(ctx, path, &page)
		return page, resp, err
	}, func(page []*appUserWithUser) bool {
		out := make([]remediation.Member, 0, len(page))
		for _, au := range page {
			if au == nil {
				continue
			}
			m := remediation.Member{AppUser: mapAppUser(&au.AppUser)}
			if au.Embedded.User != nil {
				m.User = mapUser(au.Embedded.User)
			} else {
				m.User = remediation.User{ID: au.Id}
				if au.Credentials != nil {
					m.User.Login = au.Credentials.UserName
				}
			}
			out = append(out, m)
		}
		stop = each(out)
		return stop == nil
	})
	if err != nil {
		return err
	}
	return stop
}

// The scan reads Okta through this adapter.
var _ remediation.ScanReader = (*Client)(nil)
