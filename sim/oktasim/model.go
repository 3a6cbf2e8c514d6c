package oktasim

import (
	"strings"
	"time"
)

// Internal state. Everything here is guarded by Org.mu.

type user struct {
	id            string
	status        string
	typeID        string
	profile       map[string]string // login, email, firstName, lastName and extras
	created       time.Time
	activated     time.Time
	statusChanged time.Time
	lastUpdated   time.Time
	groups        []string // group ids, in join order
}

func (u *user) login() string { return u.profile["login"] }
func (u *user) displayName() string {
	return strings.TrimSpace(u.profile["firstName"] + " " + u.profile["lastName"])
}

type userType struct {
	id, name, displayName, description string
	isDefault                          bool
	createdBy                          string
	created, lastUpdated               time.Time
}

type group struct {
	id, name, description string
	created, lastUpdated  time.Time
	lastMembership        time.Time
	members               []string // user ids
}

func (g *group) has(userID string) bool {
	for _, m := range g.members {
		if m == userID {
			return true
		}
	}
	return false
}

type groupRule struct {
	id, name, status, expression string
	groupIDs                     []string
	created, lastUpdated         time.Time
}

type app struct {
	id, name, label string
	status          string
	signOnMode      string
	created         time.Time
	lastUpdated     time.Time
	provisioning    bool // a provisioning connection is configured
	caps            Capabilities
	users           []*appUser          // assigned, in assignment order
	removed         map[string]*appUser // Okta's kept record of unassigned app users
	groups          []*appGroup
	saas            *saas
}

func (a *app) featuresAPI() bool { return SupportsFeaturesAPI(a.name) }

func (a *app) appUser(userID string) *appUser {
	for _, au := range a.users {
		if au.userID == userID {
			return au
		}
	}
	return nil
}

func (a *app) removeAppUser(userID string) *appUser {
	for i, au := range a.users {
		if au.userID == userID {
			a.users = append(a.users[:i], a.users[i+1:]...)
			return au
		}
	}
	return nil
}

// pushing reports whether assignments are pushed to the SaaS (create enabled).
func (a *app) creating() bool {
	return a.provisioning && a.caps.LifecycleCreate == Enabled
}

func (a *app) deactivating() bool {
	return a.provisioning && a.caps.LifecycleDeactivate == Enabled
}

type appGroup struct {
	groupID     string
	priority    int
	lastUpdated time.Time
}

type appUser struct {
	internalID      string // the "0ua…" id System Log targets show
	userID          string
	externalID      string // "" is null
	scope           string // USER or GROUP
	groupID         string // the group that gives a GROUP-scoped assignment
	status          string
	syncState       string
	userName        string
	created         time.Time
	lastUpdated     time.Time
	statusChanged   time.Time
	lastSync        time.Time // zero: never
	passwordChanged time.Time // zero: null
	gen             int       // bumped on (un)assignment and externalId writes; stale tasks are dropped
}

// saas is the downstream service of one app.
type saas struct {
	kind     string // the app name: slack, zoomus, …
	accounts []*saasAccount
}

type saasAccount struct {
	id       string
	userName string
	active   bool
	created  time.Time
}

func (s *saas) byID(id string) *saasAccount {
	for _, a := range s.accounts {
		if a.id == id {
			return a
		}
	}
	return nil
}

func (s *saas) byUserName(name string) *saasAccount {
	for _, a := range s.accounts {
		if strings.EqualFold(a.userName, name) {
			return a
		}
	}
	return nil
}

func (s *saas) delete(id string) bool {
	for i, a := range s.accounts {
		if a.id == id {
			s.accounts = append(s.accounts[:i], s.accounts[i+1:]...)
			return true
		}
	}
	return false
}

// SupportsFeaturesAPI reports whether Okta's Features API works for an app of this
// catalogue name (DESIGN §3). Elsewhere provisioning is switched in the Admin Console.
func SupportsFeaturesAPI(appName string) bool {
	switch appName {
	case "google", "office365", "okta_org2org", "slack", "zoomus", "zscalerbyz":
		return true
	}
	return false
}

// newSaaSID returns an account id shaped like the SaaS's own ids. Caller holds mu.
func (o *Org) newSaaSID(kind string) string {
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const hex = "0123456789abcdef"
	switch kind {
	case "slack":
		return "U" + o.randString(upper, 10) // a Slack member ID
	case "zoomus":
		return o.randString(alnum+"-_", 22)
	case "google":
		return "1" + o.randString("0123456789", 20)
	case "office365":
		h := o.randString(hex, 32)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	default:
		return o.randString(hex, 32) // e.g. a SCIM server's id
	}
}

type logEvent struct {
	seq            int64
	uuid           string
	published      time.Time
	persisted      time.Time // when Okta stored it: a late event is persisted after it was published
	eventType      string
	legacyType     string
	severity       string
	displayMessage string
	result         string
	reason         string // "" is null
	actor          logEntity
	targets        []logEntity
	txType, txID   string
	debug          map[string]any
}

type logEntity struct {
	ID, Type, AlternateID, DisplayName string
}
