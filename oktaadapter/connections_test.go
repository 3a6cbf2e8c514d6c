package oktaadapter

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/okta-chatops/okta-chatops/remediation"
)

func TestGetConnection(t *testing.T) {
	const appID = "0oa1zscaler000000000"
	tests := []struct {
		name       string
		conn       func(w http.ResponseWriter)
		appMissing bool
		want       remediation.Connection
		kind       error
	}{
		{name: "disabled token connection", conn: func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{"authScheme": "TOKEN", "status": "DISABLED", "baseUrl": "https://scim.example.net",
				"profile": map[string]any{"authScheme": "TOKEN"}})
		}, want: remediation.Connection{Status: "DISABLED", AuthScheme: "TOKEN"}},
		{name: "enabled oauth connection", conn: func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{"status": "ENABLED", "profile": map[string]any{"authScheme": "OAUTH2"}})
		}, want: remediation.Connection{Status: "ENABLED", AuthScheme: "OAUTH2"}},
		{name: "status unknown", conn: func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{"status": "UNKNOWN", "profile": map[string]any{"authScheme": "UNKNOWN"}})
		}, want: remediation.Connection{Status: "UNKNOWN", AuthScheme: "UNKNOWN"}},
		{name: "no connection for this app (404)", conn: func(w http.ResponseWriter) {
			writeOktaError(w, 404, "E0000007", "Not found: Resource not found: default (ProvisioningConnection)", "r1")
		}, want: remediation.Connection{Status: "UNKNOWN"}},
		{name: "app type without the endpoint (400)", conn: func(w http.ResponseWriter) {
			writeOktaError(w, 400, "E0000001", "Api validation failed: Provisioning is not supported", "r2")
		}, want: remediation.Connection{Status: "UNKNOWN"}},
		{name: "the app itself is gone", appMissing: true, conn: func(w http.ResponseWriter) {
			writeOktaError(w, 404, "E0000007", "Not found: Resource not found: "+appID+" (AppInstance)", "r3")
		}, kind: remediation.ErrNotFound},
		{name: "denied", conn: func(w http.ResponseWriter) {
			writeOktaError(w, 403, "E0000006", "You do not have permission to perform the requested action", "r4")
		}, kind: remediation.ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/v1/apps/" + appID + "/connections/default":
					tt.conn(w)
				case "/api/v1/apps/" + appID:
					if tt.appMissing {
						writeOktaError(w, 404, "E0000007", "Not found", "r5")
						return
					}
					writeJSON(w, 200, map[string]any{"id": appID, "name": "zscalerbyz", "label": "Zscaler", "status": "ACTIVE", "signOnMode": "SAML_2_0"})
				default:
					http.NotFound(w, r)
				}
			})
			got, err := c.GetConnection(context.Background(), appID)
			if tt.kind != nil {
				remoteErr(t, err, tt.kind)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("GetConnection = %+v, %v; want %+v", got, err, tt.want)
			}
			if n := rec.count("GET", "/api/v1/apps/"+appID+"/connections/default"); n != 1 {
				t.Errorf("connection read %d times", n)
			}
		})
	}
	t.Run("bad id sends nothing", func(t *testing.T) {
		c, rec, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		if _, err := c.GetConnection(context.Background(), "../users"); err == nil || !strings.Contains(err.Error(), "invalid app ID") {
			t.Errorf("err = %v", err)
		}
		if len(rec.requests()) != 0 {
			t.Errorf("sent %d requests", len(rec.requests()))
		}
	})
}
