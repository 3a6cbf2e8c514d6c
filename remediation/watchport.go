package remediation

import (
	"context"
	"time"
)

// LogPage is one page of a System Log polling query.
type LogPage struct {
	// Events, oldest first.
	Events []LogEvent
	// Next is the page's rel="next" link: where to ask next time. A polling query
	// always has one; after an empty page it is the cursor just asked.
	Next string
}

// LogPoller reads the System Log as Okta recommends for polling.
type LogPoller interface {
	// PollLog reads one page: from cursor (a Next returned before) or, when cursor is
	// "", from a new polling query starting at since.
	PollLog(ctx context.Context, cursor string, since time.Time) (LogPage, error)
}

// Alerter shows an incident in the alert channel: one message per incident, posted the
// first time and updated as users join (never one message per failure). It keeps within
// Slack's per-channel posting rate (waiting, not dropping) and returns where the
// message is, for the incident to keep.
type Alerter interface {
	ShowIncident(ctx context.Context, in Incident) (channel, ts string, err error)
}
