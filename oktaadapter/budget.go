package oktaadapter

import "context"

// AwaitAppsBudget waits, as any call would, until the apps budget (/api/v1/apps*) has
// room for calls more requests in its current window, or for a fresh window when they
// cannot fit in one. A bulk run asks before it pauses a batch's provisioning, so that
// the pause is not stretched by a wait for the next window.
func (c *Client) AwaitAppsBudget(ctx context.Context, calls int) error {
	return c.limiter.waitFor(ctx, BucketApps, calls)
}
