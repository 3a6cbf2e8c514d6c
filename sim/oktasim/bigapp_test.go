package oktasim

import (
	"testing"
	"time"
)

func TestGenerateBigApp(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{Apps: 1e6, Logs: 1e6, Users: 1e6, Other: 1e6}})
	big, err := e.org.GenerateApp(BigAppSpec{Label: "Big Zoom", Users: 1200, Stale: 3, Conflict: 2, Unknown: 1, Suspended: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(big.Failing) != 7 {
		t.Fatalf("%d failing users", len(big.Failing))
	}
	if _, err := e.org.GenerateApp(BigAppSpec{Users: 2, Stale: 3}); err == nil {
		t.Error("more failing users than users accepted")
	}

	// Pages of 500 with the Okta user embedded (expand=user), as Okta serves them.
	path := "/api/v1/apps/" + big.AppID + "/users?limit=500&expand=user"
	seen, inError := 0, 0
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("more than 3 pages")
		}
		r := e.must(e.call("GET", path, nil), 200)
		for _, x := range r.list(t) {
			au := x.(map[string]any)
			u := au["_embedded"].(map[string]any)["user"].(map[string]any)
			if u["id"] != au["id"] || u["profile"].(map[string]any)["login"] == "" {
				t.Fatalf("embedded user %v of app user %v", u["id"], au["id"])
			}
			if au["syncState"] == "ERROR" {
				inError++
			}
			seen++
		}
		path = ""
		if next := r.links()["next"]; next != "" {
			path = next
		}
	}
	if seen != 1200 || inError != 6 {
		t.Errorf("%d users, %d in ERROR", seen, inError)
	}
	// Without expand nothing is embedded; another expand is refused.
	r := e.must(e.call("GET", "/api/v1/apps/"+big.AppID+"/users?limit=1", nil), 200)
	if _, ok := r.list(t)[0].(map[string]any)["_embedded"]; ok {
		t.Error("embedded without expand")
	}
	e.must(e.call("GET", "/api/v1/apps/"+big.AppID+"/users?expand=group", nil), 400)

	// The failures target the app as well as the user, so one query finds them all.
	now := time.Now().UTC()
	q := "/api/v1/logs?limit=1000&since=" + now.Add(-30*24*time.Hour).Format(time.RFC3339) + "&until=" + now.Add(time.Minute).Format(time.RFC3339) +
		"&filter=" + urlq(`target.id eq "`+big.AppID+`" and eventType sw "application.provision" and outcome.result eq "FAILURE"`)
	if n := len(e.must(e.call("GET", q, nil), 200).list(t)); n != 6 {
		t.Errorf("%d failures of the app in the System Log, want 6", n)
	}
}
