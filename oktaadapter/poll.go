package oktaadapter

import (
	"context"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// pollFilter selects what the watcher alerts on: provisioning failures and the
// app integration's failures (which target the app, not the user).
const pollFilter = `(eventType sw "application.provision.user" or eventType sw "application.integration.") and outcome.result eq "FAILURE"`

// logsPath begins every System Log next link.
const logsPath = "/api/v1/logs?"

// PollLog reads one page of the System Log as Okta recommends for polling: a query with
// since and no until, sortOrder=ASCENDING, then always the rel="next" link of the page
// before, which a polling query always has (on an empty page, the same cursor again).
// With cursor "" it starts a new polling query at since; otherwise cursor is a Next
// returned before and since is ignored. It never builds time windows of its own, so
// late events (which Okta sorts by the time it stored them) are not skipped.
func (c *Client) PollLog(ctx context.Context, cursor string, since time.Time) (remediation.LogPage, error) {
	const op = "GET /api/v1/logs"
	var page []*okta.LogEvent
	var resp *okta.Response
	var err error
	if cursor == "" {
		qp := query.NewQueryParams(
			query.WithSince(since.UTC().Format(logTime)),
			query.WithSortOrder("ASCENDING"),
			query.WithLimit(int64(c.logPage(maxLogPage))),
			query.WithFilter(pollFilter),
		)
		resp, err = c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
			var r *okta.Response
			var err error
			page, r, err = c.sdk.LogEvent.GetLogs(ctx, qp)
			return r, err
		})
	} else {
		if !strings.HasPrefix(cursor, logsPath) || strings.Contains(cursor, "..") {
			return remediation.LogPage{}, invalidInput(op, "the saved System Log cursor %q is not a next link of /api/v1/logs", cursor)
		}
		resp, err = c.raw(ctx, op, "GET", cursor, nil, &page)
	}
	if err != nil {
		return remediation.LogPage{}, err
	}
	out := remediation.LogPage{Events: make([]remediation.LogEvent, 0, len(page)), Next: cursor}
	for _, e := range page {
		if e != nil {
			out.Events = append(out.Events, mapLogEvent(e))
		}
	}
	switch {
	case resp != nil && resp.NextPage != "":
		out.Next = resp.NextPage
	case cursor == "" && resp != nil && resp.Self != "":
		out.Next = resp.Self // no next link (not Okta's way): ask the same query again
	}
	return out, nil
}

// The watcher polls through this adapter.
var _ remediation.LogPoller = (*Client)(nil)
