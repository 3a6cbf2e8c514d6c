package oktasim

import "net/http"

// GET /api/v1/apps/{app}/connections/default, shaped as Okta's
// ProvisioningConnectionResponse: status ENABLED or DISABLED for an app with a
// provisioning connection, UNKNOWN (authScheme UNKNOWN) for an app without one.
// authScheme sits at the top level only for TOKEN connections, as in Okta's examples.
func (o *Org) getConnection(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("app")
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.appByID(id)
	if a == nil {
		notFound(w, id, "AppInstance")
		return
	}
	status := o.connectionStatus(a)
	scheme := connectionScheme(a)
	self := baseURL(r) + "/api/v1/apps/" + a.id + "/connections/default"
	links := obj{"self": obj{"href": self, "hints": obj{"allow": []any{"GET", "POST"}}}}
	switch status {
	case Enabled:
		links["deactivate"] = obj{"href": self + "/lifecycle/deactivate", "hints": obj{"allow": []any{"POST"}}}
	case Disabled:
		links["activate"] = obj{"href": self + "/lifecycle/activate", "hints": obj{"allow": []any{"POST"}}}
	}
	body := obj{"status": status, "profile": obj{"authScheme": scheme}, "_links": links}
	if scheme == "TOKEN" {
		body["authScheme"] = scheme
	}
	writeJSON(w, http.StatusOK, body)
}

// connectionScheme is how Okta authenticates to the app's API. Caller holds mu.
func connectionScheme(a *app) string {
	switch {
	case !a.provisioning:
		return "UNKNOWN"
	case a.name == "office365" || a.name == "google" || a.name == "slack":
		return "OAUTH2"
	default:
		return "TOKEN"
	}
}
