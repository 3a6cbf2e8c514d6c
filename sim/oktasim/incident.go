package oktasim

import (
	"context"
	"fmt"
)

// AddStaleUsers builds seed 000 at scale: n new users (logins prefix1@example.com …)
// assigned to the app and provisioned, whose SaaS accounts a SaaS admin then deletes;
// a profile change makes every push fail with "No user returned for user …". It
// returns the users' IDs in order.
func (o *Org) AddStaleUsers(ctx context.Context, appID, prefix string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		id, err := o.AddUser(UserSpec{Login: fmt.Sprintf("%s%d@example.com", prefix, i), FirstName: prefix, LastName: fmt.Sprint(i)})
		if err != nil {
			return nil, err
		}
		if err := o.AssignUser(appID, id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := o.WaitIdle(ctx); err != nil {
		return nil, err
	}
	for _, id := range ids {
		st, ok := o.AppUser(appID, id)
		if !ok || st.ExternalID == "" {
			return nil, fmt.Errorf("oktasim: AddStaleUsers: user %s has no externalId on app %s", id, appID)
		}
		if err := o.SaaSDeleteAccount(appID, st.ExternalID); err != nil {
			return nil, err
		}
		if err := o.PushProfile(appID, id); err != nil {
			return nil, err
		}
	}
	return ids, o.WaitIdle(ctx)
}
