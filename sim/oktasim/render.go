package oktasim

import (
	"strings"
	"time"
)

// JSON shapes, field for field as Okta serves them (see the recorded exchanges in
// shared/reference/okta/recorded). nil values are JSON null, as Okta sends them.
// Callers hold mu.

type obj = map[string]any

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func href(u string) obj { return obj{"href": u} }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (o *Org) renderUser(base string, u *user) obj {
	self := base + "/api/v1/users/" + u.id
	profile := obj{"mobilePhone": nil, "secondEmail": nil}
	for k, v := range u.profile {
		profile[k] = v
	}
	lc := func(name string) obj { return obj{"href": self + "/lifecycle/" + name, "method": "POST"} }
	links := obj{
		"self":          href(self),
		"schema":        href(base + "/api/v1/meta/schemas/user/osc" + u.typeID[3:]),
		"type":          href(base + "/api/v1/meta/types/user/" + u.typeID),
		"resetPassword": lc("reset_password"),
		"resetFactors":  lc("reset_factors"),
		"deactivate":    lc("deactivate"),
	}
	switch u.status {
	case "SUSPENDED":
		links["unsuspend"] = lc("unsuspend")
	default:
		links["suspend"] = lc("suspend")
		links["reactivate"] = lc("reactivate")
	}
	return obj{
		"id":              u.id,
		"status":          u.status,
		"created":         ts(u.created),
		"activated":       ts(u.activated),
		"statusChanged":   ts(u.statusChanged),
		"lastLogin":       nil,
		"lastUpdated":     ts(u.lastUpdated),
		"passwordChanged": nil,
		"realmId":         o.realmID,
		"type":            obj{"id": u.typeID},
		"profile":         profile,
		"credentials":     obj{"provider": obj{"type": "OKTA", "name": "OKTA"}},
		"_links":          links,
	}
}

func (o *Org) renderUserType(base string, t *userType) obj {
	self := base + "/api/v1/meta/types/user/" + t.id
	return obj{
		"id":            t.id,
		"displayName":   t.displayName,
		"name":          t.name,
		"description":   t.description,
		"createdBy":     t.createdBy,
		"lastUpdatedBy": t.createdBy,
		"created":       ts(t.created),
		"lastUpdated":   ts(t.lastUpdated),
		"default":       t.isDefault,
		"_links": obj{
			"schema": obj{"rel": "schema", "href": base + "/api/v1/meta/schemas/user/osc" + t.id[3:], "method": "GET"},
			"self":   obj{"rel": "self", "href": self, "method": "GET"},
		},
	}
}

func (o *Org) renderGroup(base string, g *group) obj {
	self := base + "/api/v1/groups/" + g.id
	return obj{
		"id":                    g.id,
		"created":               ts(g.created),
		"lastUpdated":           ts(g.lastUpdated),
		"lastMembershipUpdated": ts(g.lastMembership),
		"objectClass":           []any{"okta:user_group"},
		"type":                  "OKTA_GROUP",
		"profile":               obj{"name": g.name, "description": g.description},
		"_links": obj{
			"logo": []any{
				obj{"name": "medium", "href": "https://op1static.oktacdn.com/assets/img/logos/groups/odyssey/okta-medium.png", "type": "image/png"},
				obj{"name": "large", "href": "https://op1static.oktacdn.com/assets/img/logos/groups/odyssey/okta-large.png", "type": "image/png"},
			},
			"users": href(self + "/users"),
			"apps":  href(self + "/apps"),
		},
	}
}

func (o *Org) renderRule(r *groupRule) obj {
	return obj{
		"type":        "group_rule",
		"id":          r.id,
		"status":      r.status,
		"name":        r.name,
		"created":     ts(r.created),
		"lastUpdated": ts(r.lastUpdated),
		"conditions": obj{
			"people":     obj{"users": obj{"exclude": []any{}}, "groups": obj{"exclude": []any{}}},
			"expression": obj{"value": r.expression, "type": "urn:okta:expression:1.0"},
		},
		"actions":        obj{"assignUserToGroups": obj{"groupIds": stringsAny(r.groupIDs)}},
		"allGroupsValid": true,
	}
}

func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// appFeatures is the app's legacy "features" list, derived from its capabilities.
func appFeatures(a *app) []any {
	out := []any{}
	if !a.provisioning {
		return out
	}
	c := a.caps
	if c.LifecycleCreate == Enabled {
		out = append(out, "PUSH_NEW_USERS")
	}
	if c.Profile == Enabled {
		out = append(out, "PUSH_PROFILE_UPDATES")
	}
	if c.LifecycleDeactivate == Enabled {
		out = append(out, "PUSH_USER_DEACTIVATION", "REACTIVATE_USERS")
	}
	if c.Password.Status == Enabled {
		out = append(out, "PUSH_PASSWORD_UPDATES")
	}
	return out
}

func (o *Org) renderApp(base string, a *app) obj {
	self := base + "/api/v1/apps/" + a.id
	linkName := a.name + "_link"
	return obj{
		"id":          a.id,
		"orn":         "orn:okta:idp:" + o.orgID + ":apps:" + a.name + ":" + a.id,
		"name":        a.name,
		"label":       a.label,
		"status":      a.status,
		"lastUpdated": ts(a.lastUpdated),
		"created":     ts(a.created),
		"accessibility": obj{
			"selfService": false, "errorRedirectUrl": nil, "loginRedirectUrl": nil,
		},
		"visibility": obj{
			"autoLaunch": false, "autoSubmitToolbar": false,
			"hide":     obj{"iOS": false, "web": false},
			"appLinks": obj{linkName: true},
		},
		"features":   appFeatures(a),
		"signOnMode": a.signOnMode,
		"credentials": obj{
			"userNameTemplate": obj{"template": "${source.login}", "type": "BUILT_IN"},
			"signing":          obj{"kid": "sim-" + a.id},
		},
		"universalLogout": nil,
		"settings": obj{
			"app": obj{},
			"notifications": obj{"vpn": obj{"network": obj{"connection": "DISABLED"},
				"message": nil, "helpUrl": nil}},
			"manualProvisioning": false,
			"implicitAssignment": false,
			"emOptInStatus":      "NONE",
			"notes":              obj{"admin": nil, "enduser": nil},
		},
		"_links": obj{
			"uploadLogo": obj{"href": self + "/logo", "hints": obj{"allow": []any{"POST"}}},
			"appLinks": []any{obj{"name": linkName, "href": base + "/home/" + a.name + "/" + a.id + "/aln" + a.id[3:],
				"type": "text/html"}},
			"groups":     href(self + "/groups"),
			"users":      href(self + "/users"),
			"deactivate": href(self + "/lifecycle/deactivate"),
			"logo": []any{obj{"name": "medium", "href": "https://op1static.oktacdn.com/assets/img/logos/" + a.name + ".png",
				"type": "image/png"}},
		},
	}
}

// renderAppUser renders an app user; showExternalID lets the caller reproduce the
// Slack quirk of a response that shows null although the write took effect.
func (o *Org) renderAppUser(base string, a *app, au *appUser, showExternalID bool) obj {
	u := o.userByID(au.userID)
	first, last, email := "", "", au.userName
	if u != nil {
		first, last, email = u.profile["firstName"], u.profile["lastName"], u.profile["email"]
	}
	ext := any(nil)
	if showExternalID {
		ext = nullable(au.externalID)
	}
	links := obj{
		"app":  href(base + "/api/v1/apps/" + a.id),
		"user": href(base + "/api/v1/users/" + au.userID),
	}
	if au.scope == scopeGroup {
		if g := o.groupByID(au.groupID); g != nil {
			links["group"] = obj{"name": g.name, "href": base + "/api/v1/groups/" + g.id}
		}
	}
	out := obj{
		"id":              au.userID,
		"externalId":      ext,
		"created":         ts(au.created),
		"lastUpdated":     ts(au.lastUpdated),
		"scope":           au.scope,
		"status":          au.status,
		"statusChanged":   ts(au.statusChanged),
		"passwordChanged": ts(au.passwordChanged),
		"syncState":       au.syncState,
		"credentials":     obj{"userName": au.userName},
		"profile": obj{
			"street_address": nil, "country": nil, "website": nil, "zoneinfo": "America/Los_Angeles",
			"birthdate": nil, "gender": nil, "formatted": nil, "profile": nil, "locality": nil,
			"given_name": nullable(first), "middle_name": nil, "locale": "en_US", "picture": nil,
			"name": nullable(strings.TrimSpace(first + " " + last)), "nickname": nil, "phone_number": nil,
			"region": nil, "postal_code": nil, "family_name": nullable(last), "email": nullable(email),
		},
		"_links": links,
	}
	if !au.lastSync.IsZero() {
		out["lastSync"] = ts(au.lastSync)
	}
	return out
}

func (o *Org) renderAppGroup(base string, a *app, ag *appGroup) obj {
	return obj{
		"id":          ag.groupID,
		"lastUpdated": ts(ag.lastUpdated),
		"priority":    ag.priority,
		"profile":     obj{},
		"_links": obj{
			"app":   href(base + "/api/v1/apps/" + a.id),
			"self":  href(base + "/api/v1/apps/" + a.id + "/groups/" + ag.groupID),
			"group": href(base + "/api/v1/groups/" + ag.groupID),
		},
	}
}

const featureDescription = "User provisioning settings from Okta to a downstream application"

// renderFeature renders USER_PROVISIONING. Its status is ENABLED whenever the app has
// a provisioning connection, even with every capability disabled: that is what Okta's
// own example shows (AppFeatureListResponseEx in the OpenAPI spec). Clients must read
// the capabilities to know whether Okta pushes.
func (o *Org) renderFeature(base string, a *app) obj {
	c := a.caps
	return obj{
		"name":        "USER_PROVISIONING",
		"status":      Enabled,
		"description": featureDescription,
		"capabilities": obj{
			"create": obj{"lifecycleCreate": obj{"status": c.LifecycleCreate}},
			"update": obj{
				"profile":             obj{"status": c.Profile},
				"lifecycleDeactivate": obj{"status": c.LifecycleDeactivate},
				"password":            obj{"status": c.Password.Status, "seed": c.Password.Seed, "change": c.Password.Change},
			},
		},
		"_links": obj{"self": obj{"href": base + "/api/v1/apps/" + a.id + "/features/USER_PROVISIONING",
			"hints": obj{"allow": []any{"GET", "PUT"}}}},
	}
}

func renderEntity(e logEntity) obj {
	return obj{"id": e.ID, "type": e.Type, "alternateId": e.AlternateID, "displayName": e.DisplayName, "detailEntry": nil}
}

func (o *Org) renderLog(e *logEvent) obj {
	targets := make([]any, len(e.targets))
	for i, t := range e.targets {
		targets[i] = renderEntity(t)
	}
	client := obj{"userAgent": nil, "zone": nil, "device": nil, "id": nil, "ipAddress": nil, "geographicalContext": nil}
	ipChain := []any{}
	if e.txType == "WEB" {
		client = obj{
			"userAgent": obj{"rawUserAgent": "okta-sdk-golang/2.20.0 golang/go1.26", "os": "Unknown", "browser": "UNKNOWN"},
			"zone":      nil, "device": "Unknown", "id": nil, "ipAddress": "203.0.113.10",
			"geographicalContext": obj{"city": "Tokyo", "state": "Tokyo", "country": "Japan", "postalCode": "100-0001",
				"geolocation": obj{"lat": 35.6895, "lon": 139.6917}},
		}
		ipChain = []any{obj{"ip": "203.0.113.10", "geographicalContext": client["geographicalContext"], "version": "V4", "source": nil}}
	}
	debug := obj{"requestId": e.txID}
	for k, v := range e.debug {
		debug[k] = v
	}
	actor := renderEntity(e.actor)
	return obj{
		"actor":  actor,
		"client": client,
		"authenticationContext": obj{
			"authenticationProvider": nil, "credentialProvider": nil, "credentialType": nil, "issuer": nil,
			"interface": nil, "authenticationStep": 0, "externalSessionId": "unknown",
		},
		"displayMessage":  e.displayMessage,
		"eventType":       e.eventType,
		"outcome":         obj{"result": e.result, "reason": nullable(e.reason)},
		"published":       ts(e.published),
		"securityContext": obj{"asNumber": nil, "asOrg": nil, "isp": nil, "domain": nil, "isProxy": nil},
		"severity":        e.severity,
		"debugContext":    obj{"debugData": debug},
		"legacyEventType": e.legacyType,
		"transaction":     obj{"type": e.txType, "id": e.txID, "detail": obj{}},
		"uuid":            e.uuid,
		// Okta's example shows 0 unquoted but the schema (and the SDK) say string.
		"version": "0",
		"request": obj{"ipChain": ipChain},
		"target":  targets,
	}
}
