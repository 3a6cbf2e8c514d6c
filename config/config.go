package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Secret is a credential. It prints as [redacted] in logs, errors and %v.
type Secret string

// String never shows the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the value, for the one place that sends it to its service.
func (s Secret) Reveal() string { return string(s) }

// Config is the whole configuration. Zero values mean "not set".
type Config struct {
	SlackBotToken  Secret
	SlackAppToken  Secret
	SlackAPIURL    string
	SlackSCIMToken Secret
	SlackSCIMURL   string

	OktaOrgURL       string
	OktaAPIToken     Secret
	OktaClientID     string
	OktaPrivateKey   Secret
	OktaPrivateKeyID string
	OktaScopes       []string
	OktaAllowHTTP    bool

	RedisURL Secret // may carry a password

	Approvers    []string
	Requesters   []string
	Channels     []string
	NotifyUser   bool
	AuditChannel string
	Locale       string
	PolicyFile   string

	HTTPAddr      string
	VerifyTimeout time.Duration
	ApprovalTTL   time.Duration
	// Retention is OKTA_CHATOPS_RETENTION: ended runs and audit entries older than
	// this are removed.
	Retention time.Duration
	// WatchInterval is OKTA_CHATOPS_WATCH_INTERVAL: how often the System Log is polled
	// for new provisioning failures (default 1m; 0 turns watching off).
	WatchInterval time.Duration
	// AlertChannel is OKTA_CHATOPS_ALERT_CHANNEL, defaulting to the first of
	// OKTA_CHATOPS_CHANNELS; "" (neither set) turns watching off.
	AlertChannel string
}

// Defaults (README.md lists them with each variable).
const (
	DefaultSlackAPIURL = "https://slack.com/api/"
	DefaultSCIMURL     = "https://api.slack.com/scim/v2/"
	DefaultHTTPAddr    = ":8080"
	DefaultRetention   = 90 * 24 * time.Hour
	DefaultWatch       = time.Minute
)

// Source is where values come from: the environment and the file system.
type Source struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

// Load reads and checks every variable. It reports all problems at once, each naming
// its variable; it does not check that the services are reachable.
func Load(src Source) (Config, error) {
	l := loader{src: src}
	c := Config{
		SlackBotToken:  l.secret("SLACK_BOT_TOKEN"),
		SlackAppToken:  l.secret("SLACK_APP_TOKEN"),
		SlackAPIURL:    l.url("SLACK_API_URL", DefaultSlackAPIURL, true),
		SlackSCIMToken: l.secret("SLACK_SCIM_TOKEN"),
		SlackSCIMURL:   l.url("SLACK_SCIM_URL", DefaultSCIMURL, true),

		OktaAllowHTTP:    l.boolean("OKTA_ALLOW_HTTP"),
		OktaAPIToken:     l.secret("OKTA_API_TOKEN"),
		OktaClientID:     l.str("OKTA_CLIENT_ID"),
		OktaPrivateKey:   l.secret("OKTA_PRIVATE_KEY"),
		OktaPrivateKeyID: l.str("OKTA_PRIVATE_KEY_ID"),
		OktaScopes:       l.list("OKTA_SCOPES", nil),

		RedisURL: l.secret("REDIS_URL"),

		Approvers:    l.list("OKTA_CHATOPS_APPROVERS", slackPrincipal),
		Requesters:   l.list("OKTA_CHATOPS_REQUESTERS", slackPrincipal),
		Channels:     l.list("OKTA_CHATOPS_CHANNELS", slackChannel),
		NotifyUser:   l.boolean("OKTA_CHATOPS_NOTIFY_USER"),
		AuditChannel: l.str("OKTA_CHATOPS_AUDIT_CHANNEL"),
		Locale:       l.str("OKTA_CHATOPS_LOCALE"),
		PolicyFile:   l.str("OKTA_CHATOPS_POLICY_FILE"),

		HTTPAddr:      l.str("HTTP_ADDR"),
		VerifyTimeout: l.duration("VERIFY_TIMEOUT", 5*time.Minute),
		ApprovalTTL:   l.duration("APPROVAL_TTL", 24*time.Hour),
		Retention:     l.duration("OKTA_CHATOPS_RETENTION", DefaultRetention),
		AlertChannel:  l.str("OKTA_CHATOPS_ALERT_CHANNEL"),
	}
	c.WatchInterval = l.watchInterval("OKTA_CHATOPS_WATCH_INTERVAL")
	if c.AlertChannel != "" && slackChannel(c.AlertChannel) != nil {
		l.fail("OKTA_CHATOPS_ALERT_CHANNEL", "%v", slackChannel(c.AlertChannel))
	}
	if c.AlertChannel == "" && len(c.Channels) > 0 {
		c.AlertChannel = c.Channels[0]
	}
	c.OktaOrgURL = l.oktaURL("OKTA_ORG_URL", c.OktaAllowHTTP)
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	switch strings.ToLower(c.Locale) {
	case "":
		c.Locale = "en"
	case "en", "ja":
		c.Locale = strings.ToLower(c.Locale)
	default:
		l.fail("OKTA_CHATOPS_LOCALE", "must be en or ja, not %q", c.Locale)
	}
	if c.AuditChannel != "" && slackChannel(c.AuditChannel) != nil {
		l.fail("OKTA_CHATOPS_AUDIT_CHANNEL", "%v", slackChannel(c.AuditChannel))
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL.Reveal()); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			l.fail("REDIS_URL", "must look like redis://host:6379/0 (rediss:// for TLS)")
		}
	}
	return c, errors.Join(l.errs...)
}

// OktaMode reports how the Okta client authenticates: "SSWS", "PrivateKey", or "".
func (c Config) OktaMode() string {
	switch {
	case c.OktaAPIToken != "":
		return "SSWS"
	case c.OktaClientID != "" || c.OktaPrivateKey != "":
		return "PrivateKey"
	}
	return ""
}

// RequireOkta checks what talking to Okta needs: an org URL and one complete
// credential (an API token, or a client ID with a private key and scopes).
func (c Config) RequireOkta() error {
	var errs []error
	if c.OktaOrgURL == "" {
		errs = append(errs, errors.New("OKTA_ORG_URL is not set: give your org's URL, e.g. https://example.okta.com"))
	}
	switch c.OktaMode() {
	case "":
		errs = append(errs, errors.New("OKTA_API_TOKEN is not set (or use OAuth: OKTA_CLIENT_ID, OKTA_PRIVATE_KEY and OKTA_SCOPES)"))
	case "PrivateKey":
		if c.OktaClientID == "" {
			errs = append(errs, errors.New("OKTA_CLIENT_ID is not set: the private-key OAuth mode needs the service app's client ID"))
		}
		if c.OktaPrivateKey == "" {
			errs = append(errs, errors.New("OKTA_PRIVATE_KEY is not set: the private-key OAuth mode needs the PEM key (or OKTA_PRIVATE_KEY_FILE)"))
		}
		if len(c.OktaScopes) == 0 {
			errs = append(errs, errors.New("OKTA_SCOPES is not set: okta.users.read,okta.apps.read,okta.apps.manage,okta.groups.read,okta.logs.read,okta.userTypes.read"))
		}
	}
	return errors.Join(errs...)
}

// RequireSlack checks what the bot needs to connect to Slack in Socket Mode.
func (c Config) RequireSlack() error {
	var errs []error
	if c.SlackBotToken == "" {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is not set: the bot token starts with xoxb-"))
	} else if !strings.HasPrefix(c.SlackBotToken.Reveal(), "xoxb-") {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN must start with xoxb- (it is the Bot User OAuth Token)"))
	}
	if c.SlackAppToken == "" {
		errs = append(errs, errors.New("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token starting with xapp-"))
	} else if !strings.HasPrefix(c.SlackAppToken.Reveal(), "xapp-") {
		errs = append(errs, errors.New("SLACK_APP_TOKEN must start with xapp- (an app-level token with connections:write)"))
	}
	return errors.Join(errs...)
}

type loader struct {
	src  Source
	errs []error
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

func (l *loader) str(name string) string { return strings.TrimSpace(l.src.Getenv(name)) }

// secret reads NAME, or the file named by NAME_FILE (not both).
func (l *loader) secret(name string) Secret {
	v, file := l.src.Getenv(name), strings.TrimSpace(l.src.Getenv(name+"_FILE"))
	switch {
	case v != "" && file != "":
		l.fail(name, "and %s_FILE are both set: set only one", name)
		return ""
	case file != "":
		b, err := l.src.ReadFile(file)
		if err != nil {
			l.fail(name+"_FILE", "cannot be read: %v", err)
			return ""
		}
		return Secret(strings.TrimSpace(string(b)))
	}
	return Secret(strings.TrimSpace(v))
}

func (l *loader) boolean(name string) bool {
	v := l.str(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, "must be true or false, not %q", v)
	}
	return b
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v := l.str(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		l.fail(name, "must be a positive Go duration such as 90s, 5m or 24h, not %q", v)
		return def
	}
	return d
}

// watchInterval is a Go duration where 0 means off.
func (l *loader) watchInterval(name string) time.Duration {
	v := l.str(name)
	if v == "" {
		return DefaultWatch
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || (d > 0 && d < time.Second) {
		l.fail(name, "must be a Go duration of at least 1s such as 30s or 5m, or 0 to turn watching off, not %q", v)
		return DefaultWatch
	}
	return d
}

func (l *loader) list(name string, check func(string) error) []string {
	var out []string
	for _, item := range strings.Split(l.str(name), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if check != nil {
			if err := check(item); err != nil {
				l.fail(name, "%v", err)
				continue
			}
		}
		out = append(out, item)
	}
	return out
}

func (l *loader) url(name, def string, slash bool) string {
	v := l.str(name)
	if v == "" {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		l.fail(name, "must be an http(s) URL, not %q", v)
		return def
	}
	if slash && !strings.HasSuffix(v, "/") {
		v += "/" // slack-go joins method names onto the base
	}
	return v
}

func (l *loader) oktaURL(name string, allowHTTP bool) string {
	v := strings.TrimRight(l.str(name), "/")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		l.fail(name, "must be your org's URL such as https://example.okta.com, not %q", v)
		return ""
	case u.Scheme == "http" && !allowHTTP:
		l.fail(name, "is http:// — Okta requires https; set OKTA_ALLOW_HTTP=true only for a simulator or test org")
		return ""
	case u.Path != "" || u.RawQuery != "":
		l.fail(name, "must be the org's base URL without a path (got %q); remove %q", v, u.Path)
		return ""
	}
	return v
}

func slackPrincipal(id string) error {
	if len(id) < 3 || !(id[0] == 'U' || id[0] == 'W' || id[0] == 'S') || strings.ToUpper(id) != id {
		return fmt.Errorf("holds %q, which is not a Slack user ID (U…/W…) or user-group ID (S…)", id)
	}
	return nil
}

func slackChannel(id string) error {
	if len(id) < 3 || !(id[0] == 'C' || id[0] == 'G' || id[0] == 'D') || strings.ToUpper(id) != id {
		return fmt.Errorf("holds %q, which is not a Slack channel ID (C…, G… or D…)", id)
	}
	return nil
}
