package oktasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Handlers of the Management API. Each takes mu for its whole duration: the org is
// small and a consistent snapshot per request is what Okta gives too.

// --- users ---

func (o *Org) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ex expr
	for _, p := range []string{"search", "filter"} {
		if s := q.Get(p); s != "" {
			e, err := parseFilter(s)
			if err != nil {
				writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.")
				return
			}
			ex = e
		}
	}
	limit, after, ok := pageParams(r, 200, 200)
	if !ok {
		badRequest(w, "limit")
		return
	}
	kw := strings.ToLower(q.Get("q"))
	base := baseURL(r)
	o.mu.Lock()
	defer o.mu.Unlock()
	var sel []*user
	for _, u := range o.users {
		if kw != "" && !userMatchesQ(u, kw) {
			continue
		}
		if ex != nil {
			m, err := ex.eval(func(attr string) ([]string, bool) { return userAttr(u, attr) })
			if err != nil {
				writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.")
				return
			}
			if !m {
				continue
			}
		}
		sel = append(sel, u)
	}
	page, next := pageByID(sel, func(u *user) string { return u.id }, after, limit)
	out := make([]any, 0, len(page))
	for _, u := range page {
		out = append(out, o.renderUser(base, u))
	}
	setLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

func userMatchesQ(u *user, kw string) bool {
	for _, k := range []string{"firstName", "lastName", "email", "login"} {
		if strings.HasPrefix(strings.ToLower(u.profile[k]), kw) {
			return true
		}
	}
	return false
}

func userAttr(u *user, attr string) ([]string, bool) {
	switch attr {
	case "id":
		return []string{u.id}, true
	case "status":
		return []string{u.status}, true
	case "type.id":
		return []string{u.typeID}, true
	case "created":
		return []string{fmt.Sprint(ts(u.created))}, true
	case "lastUpdated":
		return []string{fmt.Sprint(ts(u.lastUpdated))}, true
	}
	if name, ok := strings.CutPrefix(attr, "profile."); ok && name != "" {
		if v, ok := u.profile[name]; ok {
			return []string{v}, true
		}
		return nil, true // a schema attribute without a value
	}
	return nil, false
}

// findUser resolves an id or a login, as GET /api/v1/users/{idOrLogin} does.
func (o *Org) findUser(idOrLogin string) *user {
	if u := o.userByID(idOrLogin); u != nil {
		return u
	}
	return o.userByLogin(idOrLogin)
}

func (o *Org) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.Lock()
	defer o.mu.Unlock()
	u := o.findUser(id)
	if u == nil {
		notFound(w, id, "User")
		return
	}
	writeJSON(w, http.StatusOK, o.renderUser(baseURL(r), u))
}

func (o *Org) listUserGroups(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.Lock()
	defer o.mu.Unlock()
	u := o.findUser(id)
	if u == nil {
		notFound(w, id, "User")
		return
	}
	out := []any{}
	for _, gid := range u.groups {
		if g := o.groupByID(gid); g != nil {
			out = append(out, o.renderGroup(baseURL(r), g))
		}
	}
	setLinks(w, r, "")
	writeJSON(w, http.StatusOK, out)
}

// --- user types, groups, rules ---

func (o *Org) listUserTypes(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]any, 0, len(o.types))
	for _, t := range o.types {
		out = append(out, o.renderUserType(baseURL(r), t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (o *Org) getUserType(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.typeByID(id)
	if t == nil {
		notFound(w, id, "UserType")
		return
	}
	writeJSON(w, http.StatusOK, o.renderUserType(baseURL(r), t))
}

func (o *Org) getGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.Lock()
	defer o.mu.Unlock()
	g := o.groupByID(id)
	if g == nil {
		notFound(w, id, "UserGroup")
		return
	}
	writeJSON(w, http.StatusOK, o.renderGroup(baseURL(r), g))
}

func (o *Org) listRules(w http.ResponseWriter, r *http.Request) {
	limit, after, ok := pageParams(r, 50, 200)
	if !ok {
		badRequest(w, "limit")
		return
	}
	search := strings.ToLower(r.URL.Query().Get("search"))
	o.mu.Lock()
	defer o.mu.Unlock()
	var sel []*groupRule
	for _, x := range o.rules {
		if search == "" || strings.Contains(strings.ToLower(x.name), search) {
			sel = append(sel, x)
		}
	}
	page, next := pageByID(sel, func(x *groupRule) string { return x.id }, after, limit)
	out := make([]any, 0, len(page))
	for _, x := range page {
		out = append(out, o.renderRule(x))
	}
	setLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

func (o *Org) getRule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o.mu.Lock()
	defer o.mu.Unlock()
	x := o.ruleByID(id)
	if x == nil {
		notFound(w, id, "GroupRule")
		return
	}
	writeJSON(w, http.StatusOK, o.renderRule(x))
}

// --- apps ---

func (o *Org) listApps(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ex expr
	if s := q.Get("filter"); s != "" {
		e, err := parseFilter(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.")
			return
		}
		ex = e
	}
	expandUser := ""
	if x := q.Get("expand"); x != "" {
		id, ok := strings.CutPrefix(x, "user/")
		if !ok || id == "" {
			badRequest(w, "expand", "expand: only user/{userId} is supported")
			return
		}
		expandUser = id
	}
	limit, after, ok := pageParams(r, 20, 200)
	if !ok {
		badRequest(w, "limit")
		return
	}
	kw := strings.ToLower(q.Get("q"))
	base := baseURL(r)
	o.mu.Lock()
	defer o.mu.Unlock()
	var sel []*app
	for _, a := range o.apps {
		if kw != "" && !strings.HasPrefix(strings.ToLower(a.label), kw) && !strings.HasPrefix(strings.ToLower(a.name), kw) {
			continue
		}
		if ex != nil {
			m, err := ex.eval(func(attr string) ([]string, bool) { return o.appAttr(a, attr) })
			if err != nil {
				writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.")
				return
			}
			if !m {
				continue
			}
		}
		sel = append(sel, a)
	}
	page, next := pageByID(sel, func(a *app) string { return a.id }, after, limit)
	out := make([]any, 0, len(page))
	for _, a := range page {
		ja := o.renderApp(base, a)
		if expandUser != "" {
			if au := a.appUser(expandUser); au != nil {
				ja["_embedded"] = obj{"user": o.renderAppUser(base, a, au, true)}
			}
		}
		out = append(out, ja)
	}
	setLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

func (o *Org) appAttr(a *app, attr string) ([]string, bool) {
	switch attr {
	case "user.id":
		ids := make([]string, 0, len(a.users))
		for _, au := range a.users {
			ids = append(ids, au.userID)
		}
		return ids, true
	case "group.id":
		ids := make([]string, 0, len(a.groups))
		for _, ag := range a.groups {
			ids = append(ids, ag.groupID)
		}
		return ids, true
	case "status":
		return []string{a.status}, true
	case "name":
		return []string{a.name}, true
	case "id":
		return []string{a.id}, true
	}
	return nil, false
}

func (o *Org) getApp(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("app")
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(id)
	if a == nil {
		notFound(w, id, "AppInstance")
		return
	}
	writeJSON(w, http.StatusOK, o.renderApp(baseURL(r), a))
}

// --- app users ---

func (o *Org) listAppUsers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("app")
	limit, after, ok := pageParams(r, 50, 500)
	if !ok {
		badRequest(w, "limit")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(id)
	if a == nil {
		notFound(w, id, "AppInstance")
		return
	}
	// expand=user embeds each app user's Okta user (_embedded.user), as Okta does.
	expand := r.URL.Query().Get("expand")
	if expand != "" && expand != "user" {
		badRequest(w, "expand", "expand: only user is supported")
		return
	}
	page, next := pageByID(a.users, func(au *appUser) string { return au.userID }, after, limit)
	out := make([]any, 0, len(page))
	for _, au := range page {
		ja := o.renderAppUser(baseURL(r), a, au, true)
		if u := o.userByID(au.userID); expand == "user" && u != nil {
			ja["_embedded"] = obj{"user": o.renderUser(baseURL(r), u)}
		}
		out = append(out, ja)
	}
	setLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

func (o *Org) getAppUser(w http.ResponseWriter, r *http.Request) {
	appID, userID := r.PathValue("app"), r.PathValue("user")
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		notFound(w, appID, "AppInstance")
		return
	}
	au := a.appUser(userID)
	if au == nil {
		notFound(w, userID, "AppUser")
		return
	}
	writeJSON(w, http.StatusOK, o.renderAppUser(baseURL(r), a, au, true))
}

// decodeBody reads a JSON object keeping each field raw, so that an absent field
// ("leave as is") and an explicit null ("clear") stay distinct.
func decodeBody(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m == nil {
		writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return nil, false
	}
	return m, true
}

func (o *Org) assignAppUser(w http.ResponseWriter, r *http.Request) {
	appID := r.PathValue("app")
	body, ok := decodeBody(w, r)
	if !ok {
		return
	}
	var userID string
	if err := json.Unmarshal(body["id"], &userID); err != nil || userID == "" {
		badRequest(w, "id", "id: The field cannot be left blank")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		notFound(w, appID, "AppInstance")
		return
	}
	u := o.userByID(userID)
	if u == nil {
		notFound(w, userID, "User")
		return
	}
	au := a.appUser(userID)
	if au == nil {
		au = o.assign(a, u, scopeUser, "")
	}
	writeJSON(w, http.StatusOK, o.renderAppUser(baseURL(r), a, au, true))
}

func (o *Org) updateAppUser(w http.ResponseWriter, r *http.Request) {
	appID, userID := r.PathValue("app"), r.PathValue("user")
	body, ok := decodeBody(w, r)
	if !ok {
		return
	}
	var (
		ext         *string
		extPresent  bool
		scope       string
		scopeExists bool
	)
	if raw, found := body["externalId"]; found {
		extPresent = true
		if err := json.Unmarshal(raw, &ext); err != nil {
			badRequest(w, "externalId", "externalId: must be a string or null")
			return
		}
		// Note: the string "null" is a value like any other; only JSON null clears.
		if ext != nil && len(*ext) > 512 {
			badRequest(w, "externalId", "externalId: size must be between 0 and 512")
			return
		}
	}
	if raw, found := body["scope"]; found {
		if err := json.Unmarshal(raw, &scope); err != nil || (scope != scopeUser && scope != scopeGroup) {
			badRequest(w, "scope", "scope: must be USER or GROUP")
			return
		}
		scopeExists = true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		notFound(w, appID, "AppInstance")
		return
	}
	u := o.userByID(userID)
	if u == nil {
		notFound(w, userID, "User")
		return
	}
	au := a.appUser(userID)
	if au == nil && !extPresent {
		notFound(w, userID, "AppUser")
		return
	}
	show := true
	if extPresent {
		v := ""
		if ext != nil {
			v = *ext
		}
		var reassigned bool
		au, reassigned = o.writeExternalID(a, u, v)
		// Seed 000 (Slack): the response to the write shows null although it took
		// effect; only a fresh GET shows the value.
		if reassigned && v != "" && a.name == "slack" {
			show = false
		}
	}
	if scopeExists && scope != au.scope {
		if scope == scopeUser {
			au.scope, au.groupID = scopeUser, ""
		} else {
			g := o.groupOfAppFor(a, userID)
			if g == nil {
				badRequest(w, "scope", "scope: the user is not a member of any group assigned to this application")
				return
			}
			au.scope, au.groupID = scopeGroup, g.id
		}
		au.lastUpdated = o.now()
	}
	writeJSON(w, http.StatusOK, o.renderAppUser(baseURL(r), a, au, show))
}

func (o *Org) deleteAppUser(w http.ResponseWriter, r *http.Request) {
	appID, userID := r.PathValue("app"), r.PathValue("user")
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		notFound(w, appID, "AppInstance")
		return
	}
	au := a.appUser(userID)
	if au == nil {
		notFound(w, userID, "AppUser")
		return
	}
	if au.scope == scopeGroup {
		writeError(w, http.StatusForbidden, "E0000046", "Deactivate application for user forbidden.")
		return
	}
	o.unassign(a, o.userByID(userID), au)
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNoContent)
}

func (o *Org) listAppGroups(w http.ResponseWriter, r *http.Request) {
	appID := r.PathValue("app")
	limit, after, ok := pageParams(r, 20, 200)
	if !ok {
		badRequest(w, "limit")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(appID)
	if a == nil {
		notFound(w, appID, "AppInstance")
		return
	}
	page, next := pageByID(a.groups, func(ag *appGroup) string { return ag.groupID }, after, limit)
	out := make([]any, 0, len(page))
	for _, ag := range page {
		out = append(out, o.renderAppGroup(baseURL(r), a, ag))
	}
	setLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

// --- features ---

// featureApp resolves the app and writes Okta's answer for apps whose provisioning
// the Features API cannot reach: the documented ErrorAppFeatureAPIValidationFailed
// (400 E0000001 "Api validation failed: feature", cause "Provisioning is not enabled
// for the app instance."). Caller holds mu.
func (o *Org) featureApp(w http.ResponseWriter, appID string) *app {
	a := o.appByID(appID)
	if a == nil {
		notFound(w, appID, "AppInstance")
		return nil
	}
	if !a.featuresAPI() || !a.provisioning {
		badRequest(w, "feature", "Provisioning is not enabled for the app instance.")
		return nil
	}
	return a
}

func (o *Org) listFeatures(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.featureApp(w, r.PathValue("app"))
	if a == nil {
		return
	}
	writeJSON(w, http.StatusOK, []any{o.renderFeature(baseURL(r), a)})
}

func (o *Org) getFeature(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.featureApp(w, r.PathValue("app"))
	if a == nil {
		return
	}
	if name := r.PathValue("name"); name != "USER_PROVISIONING" {
		notFound(w, name, "AppFeature")
		return
	}
	writeJSON(w, http.StatusOK, o.renderFeature(baseURL(r), a))
}

// capsBody is the PUT body: the CapabilitiesObject itself. Pointers tell absent
// fields (kept: the endpoint supports partial updates) from present ones.
type capsBody struct {
	Create *struct {
		LifecycleCreate *statusBody `json:"lifecycleCreate"`
	} `json:"create"`
	Update *struct {
		Profile             *statusBody `json:"profile"`
		LifecycleDeactivate *statusBody `json:"lifecycleDeactivate"`
		Password            *struct {
			Status string `json:"status"`
			Seed   string `json:"seed"`
			Change string `json:"change"`
		} `json:"password"`
	} `json:"update"`
}

type statusBody struct {
	Status string `json:"status"`
}

func (o *Org) putFeature(w http.ResponseWriter, r *http.Request) {
	var b capsBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.featureApp(w, r.PathValue("app"))
	if a == nil {
		return
	}
	if name := r.PathValue("name"); name != "USER_PROVISIONING" {
		notFound(w, name, "AppFeature")
		return
	}
	c := a.caps
	var bad []string
	set := func(field string, dst *string, s *statusBody) {
		if s == nil {
			return
		}
		if s.Status != Enabled && s.Status != Disabled {
			bad = append(bad, field+".status: must be ENABLED or DISABLED")
			return
		}
		*dst = s.Status
	}
	if b.Create != nil {
		set("create.lifecycleCreate", &c.LifecycleCreate, b.Create.LifecycleCreate)
	}
	if u := b.Update; u != nil {
		set("update.profile", &c.Profile, u.Profile)
		set("update.lifecycleDeactivate", &c.LifecycleDeactivate, u.LifecycleDeactivate)
		if p := u.Password; p != nil {
			if p.Status != "" {
				set("update.password", &c.Password.Status, &statusBody{Status: p.Status})
			}
			switch p.Seed {
			case "":
			case "OKTA", "RANDOM":
				c.Password.Seed = p.Seed
			default:
				bad = append(bad, "update.password.seed: must be OKTA or RANDOM")
			}
			switch p.Change {
			case "":
			case "CHANGE", "KEEP_EXISTING":
				c.Password.Change = p.Change
			default:
				bad = append(bad, "update.password.change: must be CHANGE or KEEP_EXISTING")
			}
		}
	}
	if len(bad) > 0 {
		badRequest(w, "capabilities", bad...)
		return
	}
	o.setCaps(a, c)
	writeJSON(w, http.StatusOK, o.renderFeature(baseURL(r), a))
}
