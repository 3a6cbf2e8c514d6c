package oktasim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// DefaultSCIMToken is the admin user token SCIMHandler accepts when given none.
const DefaultSCIMToken = "xoxp-sim-slack-scim-token-not-a-secret"

// SCIM message and schema URNs (RFC 7643/7644), as Slack's SCIM v2 uses them.
const (
	scimUserSchema    = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimListSchema    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	scimPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// scimFaultPrefix is where SCIM requests are matched against injected faults: a
// request for /Users/U123 matches a Fault whose PathPrefix is a prefix of
// "/scim/v2/Users/U123", whatever the handler is mounted under. Only faults whose
// PathPrefix starts with it apply, so an Okta fault with an empty PathPrefix ("every
// request") never hits SCIM, and a SCIM fault never hits Okta's /api/v1 paths.
const scimFaultPrefix = "/scim/v2"

// SCIMHandler serves Slack's SCIM v2 Users resource over the simulated SaaS accounts
// of app appID: the very accounts Okta provisioning creates, links by externalId,
// deactivates and reactivates, under the Org's lock, so that both sides agree. A
// member ID here is the externalId Okta holds. token is the admin user token required
// as "Authorization: Bearer <token>"; empty means DefaultSCIMToken.
//
// Paths are relative to Slack's base https://api.slack.com/scim/v2/; mount it with
//
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", org.SCIMHandler(appID, "")))
//
// and point a SCIM client at http://host/scim/v2/. It serves
//
//	GET   /Users       ListResponse; filter `userName|email|emails.value eq "…"`
//	                   (and/or/not too), startIndex (1-based) and count
//	GET   /Users/{id}  one user, active or not
//	PATCH /Users/{id}  PatchOp; only `active` can be replaced. active=false has the
//	                   effect of SaaSDeactivateAccount, true of SaaSReactivateAccount:
//	                   Okta is not told, its next push sees the new state.
//
// Errors have Slack's SCIM shape {"Errors":{"description":…,"code":…}}.
// Faults injected with Inject apply when their PathPrefix starts with "/scim/v2"
// (e.g. Fault{PathPrefix: "/scim/v2/Users", Status: 429, ResetAfter: 2 * time.Second}
// answers 429 with Retry-After: 2).
//
// A user's userName is the Slack handle, which Slack derives from the email it was
// created with (the local part here); its email is the Okta user's email.
func (o *Org) SCIMHandler(appID, token string) http.Handler {
	if token == "" {
		token = DefaultSCIMToken
	}
	h := &scimHandler{o: o, appID: appID, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("/Users", h.users)
	mux.HandleFunc("/Users/{id}", h.user)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeSCIMError(w, http.StatusNotFound, "unknown_endpoint")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/") { // mounted with StripPrefix("/scim/v2/")
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + r.URL.Path
			r2.URL.RawPath = ""
			r = r2
		}
		h.serve(mux, w, r)
	})
}

type scimHandler struct {
	o     *Org
	appID string
	token string
}

func (h *scimHandler) serve(mux http.Handler, w http.ResponseWriter, r *http.Request) {
	o := h.o
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	o.mu.Lock()
	seq := o.nextSeq()
	reqID := o.randString(alnum, 12) + strconv.FormatInt(seq, 36)
	// SCIM requests join Okta's in one log (Requests), with their full path, so a test
	// sees every call of a fix in the order it was made.
	o.recordLocked(Request{Method: r.Method, Path: scimFaultPrefix + r.URL.Path, Query: r.URL.RawQuery, Body: string(body), seq: seq})
	o.mu.Unlock()
	defer func() {
		o.setRecordedStatus(seq, rec.status)
		o.log.Debug("oktasim scim request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "request_id", reqID)
	}()
	w.Header().Set("X-Slack-Req-Id", reqID)

	if r.Header.Get("Authorization") != "Bearer "+h.token {
		writeSCIMError(rec, http.StatusUnauthorized, "invalid_authentication")
		return
	}
	if f, ok := o.matchSCIMFault(r.Method, scimFaultPrefix+r.URL.Path); ok {
		if !waitFault(r.Context(), f) {
			return // the client went away
		}
		if f.Status != 0 {
			writeSCIMFault(rec, f)
			return
		}
	}
	mux.ServeHTTP(rec, r)
}

// matchSCIMFault is matchFault for SCIM paths (see scimFaultPrefix).
func (o *Org) matchSCIMFault(method, path string) (Fault, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, e := range o.faults {
		if !strings.HasPrefix(e.f.PathPrefix, scimFaultPrefix) || !strings.HasPrefix(path, e.f.PathPrefix) ||
			(e.f.Method != "" && e.f.Method != method) {
			continue
		}
		if e.f.Count > 0 {
			e.left--
			if e.left <= 0 {
				o.faults = append(o.faults[:i], o.faults[i+1:]...)
			}
		}
		return e.f, true
	}
	return Fault{}, false
}

func writeSCIMFault(w http.ResponseWriter, f Fault) {
	switch {
	case f.Status == http.StatusTooManyRequests:
		secs := max(1, int(math.Ceil(f.ResetAfter.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeSCIMError(w, f.Status, "rate_limited")
	case f.Status >= 500:
		writeSCIMError(w, f.Status, "internal_error")
	default:
		writeSCIMError(w, f.Status, "injected_fault")
	}
}

// writeSCIMError writes Slack's SCIM error body.
func writeSCIMError(w http.ResponseWriter, status int, description string) {
	writeJSON(w, status, obj{"Errors": obj{"description": description, "code": status}})
}

// users is GET /Users.
func (h *scimHandler) users(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeSCIMError(w, http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	q := r.URL.Query()
	start, err := scimInt(q.Get("startIndex"), 1)
	if err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid_start_index")
		return
	}
	count, err := scimInt(q.Get("count"), 100)
	if err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid_count")
		return
	}
	start, count = max(start, 1), min(max(count, 0), 1000)
	var filter expr
	if s := q.Get("filter"); s != "" {
		if filter, err = parseFilter(s); err != nil {
			writeSCIMError(w, http.StatusBadRequest, "invalid_filter")
			return
		}
	}

	o := h.o
	o.mu.Lock()
	a := o.appByID(h.appID)
	if a == nil {
		o.mu.Unlock()
		writeSCIMError(w, http.StatusNotFound, "no_such_app")
		return
	}
	var matched []obj
	for _, acct := range a.saas.accounts {
		u := h.render(acct, r)
		if filter != nil {
			ok, err := filter.eval(scimAttr(u))
			if err != nil {
				o.mu.Unlock()
				writeSCIMError(w, http.StatusBadRequest, "invalid_filter")
				return
			}
			if !ok {
				continue
			}
		}
		matched = append(matched, u)
	}
	o.mu.Unlock()

	page := []obj{}
	if from := start - 1; from < len(matched) {
		page = matched[from:min(from+count, len(matched))]
	}
	writeJSON(w, http.StatusOK, obj{
		"schemas":      []string{scimListSchema},
		"totalResults": len(matched),
		"itemsPerPage": len(page),
		"startIndex":   start,
		"Resources":    page,
	})
}

func scimInt(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

// scimAttr resolves filter attributes (case-insensitive, as SCIM says) on a rendered user.
func scimAttr(u obj) func(string) ([]string, bool) {
	return func(attr string) ([]string, bool) {
		switch strings.ToLower(attr) {
		case "id":
			return []string{u["id"].(string)}, true
		case "username":
			return []string{u["userName"].(string)}, true
		case "email", "emails", "emails.value":
			var out []string
			for _, e := range u["emails"].([]obj) {
				out = append(out, e["value"].(string))
			}
			return out, true
		case "active":
			return []string{strconv.FormatBool(u["active"].(bool))}, true
		}
		return nil, false
	}
}

// user serves GET and PATCH /Users/{id}.
func (h *scimHandler) user(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var active *bool
	switch r.Method {
	case http.MethodGet:
	case http.MethodPatch:
		v, desc := parsePatchActive(r.Body)
		if desc != "" {
			writeSCIMError(w, http.StatusBadRequest, desc)
			return
		}
		active = &v
	default:
		writeSCIMError(w, http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	o := h.o
	o.mu.Lock()
	_, acct, err := o.saasAccount(h.appID, id)
	if err != nil {
		o.mu.Unlock()
		writeSCIMError(w, http.StatusNotFound, "user_not_found")
		return
	}
	if active != nil && acct.active != *active {
		// The same state change as SaaSReactivateAccount/SaaSDeactivateAccount.
		acct.active = *active
		o.log.Debug("oktasim scim: account state changed", "app_id", h.appID, "account_id", id, "active", *active)
	}
	u := h.render(acct, r)
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, u)
}

// parsePatchActive reads a PatchOp that sets active, either as
// {"op":"replace","path":"active","value":true} or {"op":"replace","value":{"active":true}}.
// It returns an error description for anything else.
func parsePatchActive(body io.Reader) (bool, string) {
	var p struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&p); err != nil {
		return false, "invalid_json"
	}
	hasSchema := false
	for _, s := range p.Schemas {
		hasSchema = hasSchema || s == scimPatchOpSchema
	}
	if !hasSchema || len(p.Operations) == 0 {
		return false, "invalid_patch_request"
	}
	var active bool
	for _, op := range p.Operations {
		if !strings.EqualFold(op.Op, "replace") && !strings.EqualFold(op.Op, "add") {
			return false, "unsupported_operation"
		}
		var err error
		switch {
		case strings.EqualFold(op.Path, "active"):
			active, err = patchBool(op.Value)
		case op.Path == "":
			var v struct {
				Active json.RawMessage `json:"active"`
			}
			if err = json.Unmarshal(op.Value, &v); err == nil {
				active, err = patchBool(v.Active)
			}
		default:
			// Slack accepts more attributes; the simulator only needs active.
			return false, "unsupported_path"
		}
		if err != nil {
			return false, "invalid_value"
		}
	}
	return active, ""
}

// patchBool accepts true/false and, as some IdPs send them, "True"/"False".
func patchBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, err
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("not a boolean")
	}
	return b, nil
}

// render is the SCIM v2 User of an account. Caller holds mu.
func (h *scimHandler) render(acct *saasAccount, r *http.Request) obj {
	email, given, family := "", "", ""
	if u := h.o.userByLogin(acct.userName); u != nil {
		email, given, family = u.profile["email"], u.profile["firstName"], u.profile["lastName"]
	}
	if email == "" && strings.Contains(acct.userName, "@") {
		email = acct.userName
	}
	handle, _, _ := strings.Cut(acct.userName, "@")
	emails := []obj{}
	if email != "" {
		emails = append(emails, obj{"value": email, "primary": true})
	}
	display := strings.TrimSpace(given + " " + family)
	if display == "" {
		display = handle
	}
	return obj{
		"schemas":     []string{scimUserSchema},
		"id":          acct.id,
		"externalId":  "",
		"meta":        obj{"created": acct.created.Format("2006-01-02T15:04:05-07:00"), "location": scimBase(r) + "/Users/" + acct.id},
		"userName":    handle,
		"nickName":    handle,
		"name":        obj{"givenName": given, "familyName": family},
		"displayName": display,
		"profileUrl":  "https://sim.slack.com/team/" + acct.id,
		"active":      acct.active,
		"emails":      emails,
		"groups":      []obj{},
	}
}

// scimBase is the URL the handler is mounted at, as the client sees it: the original
// request path (RequestURI survives StripPrefix) minus the path the handler got.
func scimBase(r *http.Request) string {
	path, _, _ := strings.Cut(r.RequestURI, "?")
	return fmt.Sprintf("%s%s", baseURL(r), strings.TrimSuffix(path, r.URL.EscapedPath()))
}
