package oktaadapter

import (
	"context"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// DefaultMaxEvents bounds a System Log query when LogQuery.MaxEvents is zero.
const DefaultMaxEvents = 200

// maxLogPage is the largest page Okta's System Log serves.
const maxLogPage = 1000

// SystemLog runs a bounded System Log query, newest first. A query without Until would
// be a polling query that always has a next link, so Until defaults to now; paging also
// stops on an empty page, at MaxEvents, without a next link, or on a next link already
// followed.
// logTime is how since and until are sent: to the millisecond, as Okta stamps events;
// whole seconds would drop the events of the last partial second.
const logTime = "2006-01-02T15:04:05.000Z07:00"

func (c *Client) SystemLog(ctx context.Context, q remediation.LogQuery) ([]remediation.LogEvent, error) {
	const op = "GET /api/v1/logs"
	maxEvents := q.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	until := q.Until
	if until.IsZero() {
		until = c.cfg.Clock()
	}
	if !q.Since.IsZero() && !q.Since.Before(until) {
		return nil, invalidInput(op, "since %s is not before until %s", q.Since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	if q.Outcome != "" && strings.ToUpper(q.Outcome) != q.Outcome {
		return nil, invalidInput(op, "outcome must be upper case (SUCCESS, FAILURE), not %q", q.Outcome)
	}

	opts := []query.ParamOptions{
		query.WithUntil(until.UTC().Format(logTime)),
		query.WithSortOrder("DESCENDING"),
		query.WithLimit(int64(c.logPage(maxEvents))),
	}
	if f := logFilter(q); f != "" {
		opts = append(opts, query.WithFilter(f))
	}
	if !q.Since.IsZero() {
		opts = append(opts, query.WithSince(q.Since.UTC().Format(logTime)))
	}
	qp := query.NewQueryParams(opts...)

	out := []remediation.LogEvent{}
	err := pages(ctx, c, op, func(ctx context.Context) ([]*okta.LogEvent, *okta.Response, error) {
		return c.sdk.LogEvent.GetLogs(ctx, qp)
	}, func(page []*okta.LogEvent) bool {
		for _, e := range page {
			if e == nil {
				continue
			}
			out = append(out, mapLogEvent(e))
			if len(out) >= maxEvents {
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// logFilter builds the filter expression; every value is quoted and escaped. Each
// alternative is (target.id eq … and (eventType sw … or …)); alternatives are joined
// with "or" in parentheses, and the outcome applies to all:
//
//	((target.id eq "00u1" and (eventType sw "application.provision" or …))
//	  or (target.id eq "0oa1" and eventType sw "application.integration.")) and outcome.result eq "FAILURE"
func logFilter(q remediation.LogQuery) string {
	alts := []string{logMatch(q.TargetIDs, q.EventTypes)}
	for _, m := range q.Or {
		alts = append(alts, logMatch(m.TargetIDs, m.EventTypes))
	}
	var nonEmpty []string
	for _, a := range alts {
		if a != "" {
			nonEmpty = append(nonEmpty, a)
		}
	}
	expr := ""
	if len(nonEmpty) == len(alts) { // an empty alternative matches everything
		if len(nonEmpty) > 1 {
			for i, a := range nonEmpty {
				if strings.Contains(a, " and ") {
					nonEmpty[i] = "(" + a + ")"
				}
			}
		}
		expr = or(nonEmpty...)
	}
	if q.Outcome != "" {
		expr = and(expr, "outcome.result eq "+quote(q.Outcome))
	}
	return expr
}

// logMatch is one alternative: every target and one of the event type prefixes.
func logMatch(targetIDs, eventTypes []string) string {
	var parts []string
	for _, id := range targetIDs {
		parts = append(parts, "target.id eq "+quote(id))
	}
	var types []string
	for _, t := range eventTypes {
		if t != "" {
			types = append(types, "eventType sw "+quote(t))
		}
	}
	parts = append(parts, or(types...))
	return and(parts...)
}

func mapLogEvent(e *okta.LogEvent) remediation.LogEvent {
	out := remediation.LogEvent{
		UUID:           e.Uuid,
		EventType:      e.EventType,
		DisplayMessage: e.DisplayMessage,
		Severity:       e.Severity,
	}
	if e.Published != nil {
		out.Published = e.Published.UTC()
	}
	if e.Outcome != nil {
		out.Result, out.Reason = e.Outcome.Result, e.Outcome.Reason
	}
	if e.Transaction != nil {
		out.TransactionID = e.Transaction.Id
	}
	for _, t := range e.Target {
		if t != nil {
			out.Targets = append(out.Targets, remediation.LogTarget{ID: t.Id, Type: t.Type, AlternateID: t.AlternateId, DisplayName: t.DisplayName})
		}
	}
	return out
}

// logPage is the page size: as large as the events wanted, within Okta's maximum, to
// spend as few requests of the logs bucket (120/min) as possible.
func (c *Client) logPage(maxEvents int) int {
	if c.logPageSize > 0 {
		return c.logPageSize
	}
	return min(maxEvents, maxLogPage)
}
