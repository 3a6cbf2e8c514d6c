package oktasim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GET /api/v1/logs. Paging follows Okta's System Log rules: a bounded query (with
// until) gives rel="next" only while more events match; a polling query (no until,
// ascending) always gives rel="next", even on an empty page (then the same cursor),
// because new events may arrive. A bounded query selects and orders events by their
// published time; a polling query by the time Okta stored them, so an event that
// arrives late (published before events already read) still shows up behind the
// cursor instead of being skipped.
func (o *Org) listLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	parseTime := func(name string) (time.Time, bool, bool) {
		s := q.Get(name)
		if s == "" {
			return time.Time{}, false, true
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			badRequest(w, name, name+": The date format in your query is not recognized. Please enter dates using ISO 8601 string format.")
			return time.Time{}, true, false
		}
		return t, true, true
	}
	since, hasSince, ok := parseTime("since")
	if !ok {
		return
	}
	until, hasUntil, ok := parseTime("until")
	if !ok {
		return
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1000 {
			badRequest(w, "limit", "limit: must be between 0 and 1000")
			return
		}
		if n > 0 {
			limit = n
		}
	}
	desc := false
	switch q.Get("sortOrder") {
	case "", "ASCENDING":
	case "DESCENDING":
		desc = true
	default:
		badRequest(w, "sortOrder", "sortOrder: must be ASCENDING or DESCENDING")
		return
	}
	var ex expr
	if s := q.Get("filter"); s != "" {
		e, err := parseFilter(s)
		if err != nil {
			badRequest(w, "filter", "filter: "+err.Error())
			return
		}
		ex = e
	}
	var cursor *logKey
	if s := q.Get("after"); s != "" {
		k, err := parseLogKey(s)
		if err != nil {
			badRequest(w, "after", "after: invalid cursor")
			return
		}
		cursor = &k
	}
	keywords := strings.Fields(strings.ToLower(q.Get("q")))

	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if !hasUntil {
		until = now.Add(time.Millisecond) // events published "now" are visible
	}
	if !hasSince {
		since = until.Add(-7 * 24 * time.Hour)
	}
	if !since.Before(until) && hasUntil {
		badRequest(w, "since", "since: must be before until")
		return
	}
	polling := !hasUntil && !desc
	keyOf := keyOfPublished
	at := func(e *logEvent) time.Time { return e.published }
	if polling {
		keyOf = keyOfPersisted
		at = func(e *logEvent) time.Time { return e.persisted }
	}
	var sel []*logEvent
	for _, e := range o.logs {
		if at(e).Before(since) || !at(e).Before(until) {
			continue
		}
		if len(keywords) > 0 && !logMatchesQ(e, keywords) {
			continue
		}
		if ex != nil {
			m, err := ex.eval(func(attr string) ([]string, bool) { return logAttr(e, attr) })
			if err != nil {
				badRequest(w, "filter", "filter: "+err.Error())
				return
			}
			if !m {
				continue
			}
		}
		sel = append(sel, e)
	}
	slices.SortStableFunc(sel, func(a, b *logEvent) int {
		c := keyOf(a).cmp(keyOf(b))
		if desc {
			return -c
		}
		return c
	})
	if cursor != nil {
		i := 0
		for i < len(sel) {
			c := keyOf(sel[i]).cmp(*cursor)
			if (!desc && c > 0) || (desc && c < 0) {
				break
			}
			i++
		}
		sel = sel[i:]
	}
	page := sel[:min(limit, len(sel))]
	more := len(sel) > len(page)
	out := make([]any, 0, len(page))
	for _, e := range page {
		out = append(out, o.renderLog(e))
	}

	base := baseURL(r) + r.URL.Path
	w.Header().Add("Link", "<"+base+"?"+encodeQuery(q)+`>; rel="self"`)
	if more || polling {
		nq := q
		switch {
		case len(page) > 0:
			nq.Set("after", keyOf(page[len(page)-1]).String())
		case cursor != nil:
			nq.Set("after", cursor.String())
		}
		w.Header().Add("Link", "<"+base+"?"+encodeQuery(nq)+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, out)
}

// logKey orders events by publication (bounded queries) or persistence (polling
// queries) time, then by arrival; it is the opaque after cursor ("<unix nanos>_<seq>").
type logKey struct {
	nanos int64
	seq   int64
}

func keyOfPublished(e *logEvent) logKey { return logKey{e.published.UnixNano(), e.seq} }

func keyOfPersisted(e *logEvent) logKey { return logKey{e.persisted.UnixNano(), e.seq} }

func (k logKey) cmp(o logKey) int {
	switch {
	case k.nanos != o.nanos:
		return cmpInt(k.nanos, o.nanos)
	default:
		return cmpInt(k.seq, o.seq)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (k logKey) String() string { return fmt.Sprintf("%d_%d", k.nanos, k.seq) }

func parseLogKey(s string) (logKey, error) {
	a, b, ok := strings.Cut(s, "_")
	if !ok {
		return logKey{}, fmt.Errorf("bad cursor %q", s)
	}
	n, err1 := strconv.ParseInt(a, 10, 64)
	q, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return logKey{}, fmt.Errorf("bad cursor %q", s)
	}
	return logKey{n, q}, nil
}

func logAttr(e *logEvent, attr string) ([]string, bool) {
	one := func(s string) ([]string, bool) { return []string{s}, true }
	each := func(f func(logEntity) string) ([]string, bool) {
		out := make([]string, 0, len(e.targets))
		for _, t := range e.targets {
			out = append(out, f(t))
		}
		return out, true
	}
	switch attr {
	case "eventType":
		return one(e.eventType)
	case "legacyEventType":
		return one(e.legacyType)
	case "uuid":
		return one(e.uuid)
	case "severity":
		return one(e.severity)
	case "displayMessage":
		return one(e.displayMessage)
	case "published":
		return one(fmt.Sprint(ts(e.published)))
	case "outcome.result":
		return one(e.result)
	case "outcome.reason":
		return one(e.reason)
	case "transaction.id":
		return one(e.txID)
	case "transaction.type":
		return one(e.txType)
	case "actor.id":
		return one(e.actor.ID)
	case "actor.type":
		return one(e.actor.Type)
	case "actor.alternateId":
		return one(e.actor.AlternateID)
	case "actor.displayName":
		return one(e.actor.DisplayName)
	case "target.id":
		return each(func(t logEntity) string { return t.ID })
	case "target.type":
		return each(func(t logEntity) string { return t.Type })
	case "target.alternateId":
		return each(func(t logEntity) string { return t.AlternateID })
	case "target.displayName":
		return each(func(t logEntity) string { return t.DisplayName })
	}
	return nil, false
}

func logMatchesQ(e *logEvent, keywords []string) bool {
	parts := []string{e.eventType, e.displayMessage, e.reason, e.actor.ID, e.actor.AlternateID, e.actor.DisplayName}
	for _, t := range e.targets {
		parts = append(parts, t.ID, t.AlternateID, t.DisplayName)
	}
	text := strings.ToLower(strings.Join(parts, " "))
	for _, k := range keywords {
		if !strings.Contains(text, k) {
			return false
		}
	}
	return true
}
