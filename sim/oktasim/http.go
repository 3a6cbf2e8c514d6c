package oktasim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Handler serves the Okta Management API subset the project uses, with Okta's
// authentication, headers, rate limits, errors and paging, plus any injected faults.
func (o *Org) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", o.listUsers)
	mux.HandleFunc("GET /api/v1/users/{id}", o.getUser)
	mux.HandleFunc("GET /api/v1/users/{id}/groups", o.listUserGroups)
	mux.HandleFunc("GET /api/v1/meta/types/user", o.listUserTypes)
	mux.HandleFunc("GET /api/v1/meta/types/user/{id}", o.getUserType)
	mux.HandleFunc("GET /api/v1/groups/rules", o.listRules)
	mux.HandleFunc("GET /api/v1/groups/rules/{id}", o.getRule)
	mux.HandleFunc("GET /api/v1/groups/{id}", o.getGroup)
	mux.HandleFunc("GET /api/v1/apps", o.listApps)
	mux.HandleFunc("GET /api/v1/apps/{app}", o.getApp)
	mux.HandleFunc("GET /api/v1/apps/{app}/users", o.listAppUsers)
	mux.HandleFunc("POST /api/v1/apps/{app}/users", o.assignAppUser)
	mux.HandleFunc("GET /api/v1/apps/{app}/users/{user}", o.getAppUser)
	mux.HandleFunc("POST /api/v1/apps/{app}/users/{user}", o.updateAppUser)
	mux.HandleFunc("DELETE /api/v1/apps/{app}/users/{user}", o.deleteAppUser)
	mux.HandleFunc("GET /api/v1/apps/{app}/groups", o.listAppGroups)
	mux.HandleFunc("GET /api/v1/apps/{app}/features", o.listFeatures)
	mux.HandleFunc("GET /api/v1/apps/{app}/features/{name}", o.getFeature)
	mux.HandleFunc("PUT /api/v1/apps/{app}/features/{name}", o.putFeature)
	mux.HandleFunc("GET /api/v1/apps/{app}/connections/default", o.getConnection)
	mux.HandleFunc("GET /api/v1/logs", o.listLogs)
	mux.HandleFunc("POST /oauth2/v1/token", o.issueToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "E0000008", "The requested path was not found")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.serve(mux, w, r)
	})
}

// serve is the middleware chain every request goes through, in Okta's order:
// common headers, recording, authentication, rate limit, injected faults, the API.
func (o *Org) serve(mux http.Handler, w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	o.mu.Lock()
	now := o.opts.Clock().UTC()
	seq := o.nextSeq()
	reqID := o.randString(alnum, 20) + strconv.FormatInt(seq, 36)
	o.recordLocked(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), seq: seq})
	o.mu.Unlock()
	defer func() {
		o.setRecordedStatus(seq, rec.status)
		o.log.Debug("oktasim request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "request_id", reqID)
	}()

	h := w.Header()
	h.Set("Date", now.Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", reqID)
	h.Set("Content-Type", "application/json")

	if !strings.HasPrefix(r.URL.Path, "/oauth2/") && !o.authorized(r.Header.Get("Authorization")) {
		writeError(rec, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return
	}
	if !o.takeRateLimit(h, r.URL.Path, now) {
		writeError(rec, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	if f, ok := o.matchFault(r); ok {
		if !waitFault(r.Context(), f) {
			return // the client went away
		}
		if f.Status != 0 {
			o.writeFault(rec, r, f, now)
			return
		}
	}
	mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (o *Org) authorized(header string) bool {
	if tok, ok := strings.CutPrefix(header, "SSWS "); ok {
		return tok == o.token
	}
	if tok, ok := strings.CutPrefix(header, "Bearer "); ok {
		o.mu.Lock()
		defer o.mu.Unlock()
		exp, found := o.tokens[tok]
		return found && o.opts.Clock().Before(exp)
	}
	return false
}

// --- errors ---

// writeError writes Okta's error body. Causes become errorCauses[].errorSummary.
func writeError(w http.ResponseWriter, status int, code, summary string, causes ...string) {
	cs := make([]any, 0, len(causes))
	for _, c := range causes {
		cs = append(cs, obj{"errorSummary": c})
	}
	writeJSON(w, status, obj{
		"errorCode":    code,
		"errorSummary": summary,
		"errorLink":    code,
		"errorId":      "oae" + strconv.FormatInt(time.Now().UnixNano(), 36),
		"errorCauses":  cs,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client hung up; nothing useful to do
}

func notFound(w http.ResponseWriter, id, kind string) {
	writeError(w, http.StatusNotFound, "E0000007", fmt.Sprintf("Not found: Resource not found: %s (%s)", id, kind))
}

func badRequest(w http.ResponseWriter, what string, causes ...string) {
	writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: "+what, causes...)
}

// --- rate limits ---

type bucket struct {
	limit     int
	remaining int
	reset     time.Time // when the current one-minute window ends
}

func (o *Org) bucketFor(path string) (string, int) {
	l := o.opts.Limits
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	switch {
	case path == "/api/v1/apps" || strings.HasPrefix(path, "/api/v1/apps/"):
		return "apps", pick(l.Apps, 100)
	case path == "/api/v1/logs":
		return "logs", pick(l.Logs, 120)
	case path == "/api/v1/users" || strings.HasPrefix(path, "/api/v1/users/"):
		return "users", pick(l.Users, 600)
	default:
		return "other", pick(l.Other, 600)
	}
}

// takeRateLimit spends one request from the path's bucket, sets the X-Rate-Limit-*
// headers and reports whether the request may proceed.
func (o *Org) takeRateLimit(h http.Header, path string, now time.Time) bool {
	name, limit := o.bucketFor(path)
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buckets[name]
	if b == nil || !now.Before(b.reset) {
		// Windows start on whole seconds so that Reset (epoch seconds) is exact.
		b = &bucket{limit: limit, remaining: limit, reset: now.Truncate(time.Second).Add(time.Minute)}
		o.buckets[name] = b
	}
	allowed := b.remaining > 0
	if allowed {
		b.remaining--
	}
	setRateHeaders(h, b.limit, b.remaining, b.reset)
	return allowed
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Time) {
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

// --- faults and recording ---

// Fault makes matching requests misbehave. A request matches when Method (empty: any)
// and PathPrefix (empty: any) match. The fault applies to the next Count matching
// requests (0: every one, until removed); it first waits Latency, then until Hold is
// closed (nil: no hold), then, when Status is set, answers with that status instead of
// the API: 429 as Okta's rate limiter does (E0000047 with X-Rate-Limit-* headers whose
// Reset is ResetAfter from now, so the SDK's back-off waits about ResetAfter+1s),
// 5xx with Okta's E0000009 internal error.
type Fault struct {
	Method     string
	PathPrefix string
	Status     int
	Count      int
	Latency    time.Duration
	Hold       <-chan struct{}
	ResetAfter time.Duration
	// Matched, when set, receives a value (without blocking: give it a buffer) each
	// time a request matches, so a test knows the request reached the org.
	Matched chan<- struct{}
}

type faultEntry struct {
	f    Fault
	left int // remaining uses when f.Count > 0
}

// Inject installs a fault and returns a function that removes it.
func (o *Org) Inject(f Fault) (remove func()) {
	e := &faultEntry{f: f, left: f.Count}
	o.mu.Lock()
	o.faults = append(o.faults, e)
	o.mu.Unlock()
	return func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		for i, x := range o.faults {
			if x == e {
				o.faults = append(o.faults[:i], o.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every injected fault.
func (o *Org) ClearFaults() {
	o.mu.Lock()
	o.faults = nil
	o.mu.Unlock()
}

func (o *Org) matchFault(r *http.Request) (Fault, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, e := range o.faults {
		if (e.f.Method != "" && e.f.Method != r.Method) || !strings.HasPrefix(r.URL.Path, e.f.PathPrefix) {
			continue
		}
		if e.f.Count > 0 {
			e.left--
			if e.left <= 0 {
				o.faults = append(o.faults[:i], o.faults[i+1:]...)
			}
		}
		if e.f.Matched != nil {
			select {
			case e.f.Matched <- struct{}{}:
			default:
			}
		}
		return e.f, true
	}
	return Fault{}, false
}

// waitFault applies latency and hold; false when the request's context ended first.
func waitFault(ctx context.Context, f Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func (o *Org) writeFault(w http.ResponseWriter, r *http.Request, f Fault, now time.Time) {
	if f.Status == http.StatusTooManyRequests {
		_, limit := o.bucketFor(r.URL.Path)
		setRateHeaders(w.Header(), limit, 0, now.Truncate(time.Second).Add(f.ResetAfter))
		writeError(w, f.Status, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	if f.Status >= 500 {
		writeError(w, f.Status, "E0000009", "Internal Server Error")
		return
	}
	writeError(w, f.Status, "E0000001", "Api validation failed: injected fault")
}

// Request is one request the Org received, for tests to assert on.
type Request struct {
	Method string
	Path   string
	Query  string // raw query
	Body   string
	Status int // the status answered

	seq int64
}

// maxRecorded bounds the request recorder; the oldest requests are forgotten first.
const maxRecorded = 10000

// recordLocked adds a request to the log; o.mu is held.
func (o *Org) recordLocked(q Request) {
	if len(o.recorded) >= maxRecorded {
		// Bounded so that a long-running `okta-chatops sim` does not grow forever.
		o.recorded = slices.Delete(o.recorded, 0, len(o.recorded)-maxRecorded+1)
	}
	o.recorded = append(o.recorded, q)
}

// setRecordedStatus records the status answered to request seq.
func (o *Org) setRecordedStatus(seq int64, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.recorded) - 1; i >= 0; i-- {
		if o.recorded[i].seq == seq {
			o.recorded[i].Status = status
			return
		}
	}
}

// Requests returns the requests received so far (Okta's and SCIM's), in arrival order.
func (o *Org) Requests() []Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Request, len(o.recorded))
	copy(out, o.recorded)
	return out
}

// RequestCount returns how many requests (round trips) the Org has received.
func (o *Org) RequestCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.recorded)
}

// ResetRequests forgets the recorded requests.
func (o *Org) ResetRequests() {
	o.mu.Lock()
	o.recorded = nil
	o.mu.Unlock()
}

// --- paging ---

// baseURL is the org URL as the client sees it, for _links and Link headers.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pageParams reads limit (bounded by max, default def) and after.
func pageParams(r *http.Request, def, max int) (limit int, after string, ok bool) {
	q := r.URL.Query()
	limit = def
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, "", false
		}
		limit = min(n, max)
		if n == 0 {
			limit = def
		}
	}
	return limit, q.Get("after"), true
}

// pageByID pages items ordered as given, with after = the id of the last item seen.
func pageByID[T any](items []T, id func(T) string, after string, limit int) ([]T, string) {
	start := 0
	if after != "" {
		start = len(items)
		for i, it := range items {
			if id(it) == after {
				start = i + 1
				break
			}
		}
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	next := ""
	if end < len(items) && len(page) > 0 {
		next = id(page[len(page)-1])
	}
	return page, next
}

// setLinks writes Okta's Link headers: rel="self" for this page and rel="next" with
// the given after cursor when there is one.
func setLinks(w http.ResponseWriter, r *http.Request, next string) {
	self := baseURL(r) + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if next == "" {
		return
	}
	q := r.URL.Query()
	q.Set("after", next)
	w.Header().Add("Link", "<"+baseURL(r)+r.URL.Path+"?"+encodeQuery(q)+`>; rel="next"`)
}

func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}
