package oktaadapter

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// Defaults used when a Config field is left zero.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 2
	DefaultMaxBackoff     = 30 * time.Second
	DefaultHeadroom       = 0.10
)

// DefaultScopes returns the OAuth scopes requested in private-key mode when
// Config.Scopes is empty: exactly what the adapter's calls need.
func DefaultScopes() []string {
	return []string{
		"okta.users.read",
		"okta.apps.read",
		"okta.apps.manage",
		"okta.groups.read",
		"okta.logs.read",
		"okta.userTypes.read",
	}
}

// Config configures the adapter. Exactly one of APIToken (SSWS) or ClientID+PrivateKey
// (OAuth 2.0 client credentials with a private-key JWT) must be set.
type Config struct {
	OrgURL   string
	APIToken string // SSWS mode

	ClientID     string   // private-key OAuth mode
	PrivateKey   string   // PEM, PKCS#1 or PKCS#8 RSA key (literal "\n" sequences allowed)
	PrivateKeyID string   // optional kid
	Scopes       []string // default DefaultScopes()

	// AllowHTTP permits http:// org URLs (OKTA_ALLOW_HTTP; tests and simulators).
	AllowHTTP bool

	// RequestTimeout bounds one HTTP exchange including the SDK's 429 retries
	// (default 30s; negative means no timeout).
	RequestTimeout time.Duration
	// MaxRetries is how often the SDK retries a 429 (default 2; negative means never).
	MaxRetries int
	// MaxBackoff caps the SDK's wait before a 429 retry (default 30s; whole seconds).
	MaxBackoff time.Duration
	// RateLimitHeadroom is the fraction of a bucket's limit kept in reserve: when the
	// remaining budget falls under it, requests to that bucket wait for the reset
	// (default 0.10; negative disables pacing).
	RateLimitHeadroom float64

	// HTTPClient is used for every request (copied; its Transport is wrapped, not changed).
	HTTPClient *http.Client
	// Clock is the injected clock (default time.Now).
	Clock func() time.Time
	// Sleep waits for d or until ctx is done (default a timer); injected so tests need no
	// real sleeps.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
	// GroupRulesTTL is how long the group rule list is reused (default 5m; negative
	// reads it every time).
	GroupRulesTTL time.Duration
	// Budgets, when set, shares Okta's rate budgets with the other replicas (storage's
	// Redis budgets): each request takes one unit of its bucket first, and waits for
	// the reset when that would eat into the headroom. Without it, each process paces
	// on the headers it saw itself.
	Budgets BudgetStore
	// OnRateWait, when set, hears of each pacing wait of at least LongRateWait before it
	// starts, with the waiting call's ctx, so the caller can say that it waits (in
	// Slack, for example). It must return quickly.
	OnRateWait func(ctx context.Context, bucket string, wait time.Duration)
	// LongRateWait is the shortest wait OnRateWait hears of (default 5s).
	LongRateWait time.Duration
	// Observe, when set, hears of every Okta call: its operation (a path template such
	// as "GET /api/v1/apps/{appId}/users/{userId}"), the HTTP status (0 when there was
	// no answer) and how long it took. For metrics.
	Observe func(op string, status int, d time.Duration)
}

// authMode is the SDK's AuthorizationMode value.
const (
	modeSSWS       = "SSWS"
	modePrivateKey = "PrivateKey"
)

// normalize validates cfg and fills in defaults. Errors never contain secrets.
func (cfg Config) normalize() (Config, string, error) {
	cfg.OrgURL = strings.TrimSpace(cfg.OrgURL)
	cfg.APIToken = strings.TrimSpace(cfg.APIToken)
	cfg.ClientID = strings.TrimSpace(cfg.ClientID)
	if cfg.OrgURL == "" {
		return cfg, "", errors.New("oktaadapter: OKTA_ORG_URL is empty")
	}
	u, err := url.Parse(cfg.OrgURL)
	if err != nil {
		return cfg, "", fmt.Errorf("oktaadapter: OKTA_ORG_URL is not a URL: %w", err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && cfg.AllowHTTP:
	case u.Scheme == "http":
		return cfg, "", fmt.Errorf("oktaadapter: OKTA_ORG_URL %q uses http://; set OKTA_ALLOW_HTTP=true for a simulator", cfg.OrgURL)
	default:
		return cfg, "", fmt.Errorf("oktaadapter: OKTA_ORG_URL %q must start with https://", cfg.OrgURL)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return cfg, "", fmt.Errorf("oktaadapter: OKTA_ORG_URL %q must be just scheme and host, e.g. https://example.okta.com", cfg.OrgURL)
	}
	if strings.Contains(u.Host, "-admin.") {
		return cfg, "", fmt.Errorf("oktaadapter: OKTA_ORG_URL %q is the admin console host; use the org URL without -admin", cfg.OrgURL)
	}
	// The SDK concatenates OrgUrl and the path: a trailing slash would give "//api/v1".
	cfg.OrgURL = u.Scheme + "://" + u.Host

	var mode string
	switch {
	case cfg.APIToken != "" && cfg.ClientID != "":
		return cfg, "", errors.New("oktaadapter: both an API token and an OAuth client ID are set; configure exactly one")
	case cfg.APIToken != "":
		mode = modeSSWS
		if strings.ContainsAny(cfg.APIToken, " \t\r\n") {
			return cfg, "", errors.New("oktaadapter: OKTA_API_TOKEN contains whitespace")
		}
	case cfg.ClientID != "":
		mode = modePrivateKey
		if strings.TrimSpace(cfg.PrivateKey) == "" {
			return cfg, "", errors.New("oktaadapter: OKTA_CLIENT_ID is set but OKTA_PRIVATE_KEY is empty")
		}
		pk, err := pkcs1PEM(cfg.PrivateKey)
		if err != nil {
			return cfg, "", err
		}
		cfg.PrivateKey = pk
		if len(cfg.Scopes) == 0 {
			cfg.Scopes = DefaultScopes()
		}
	default:
		return cfg, "", errors.New("oktaadapter: no Okta credentials: set OKTA_API_TOKEN (SSWS) or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY")
	}

	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxRetries > math.MaxInt32 {
		return cfg, "", errors.New("oktaadapter: MaxRetries is too large")
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	} else if cfg.MaxBackoff < 0 {
		cfg.MaxBackoff = 0
	}
	if cfg.RateLimitHeadroom == 0 {
		cfg.RateLimitHeadroom = DefaultHeadroom
	}
	if cfg.RateLimitHeadroom >= 1 {
		return cfg, "", errors.New("oktaadapter: RateLimitHeadroom must be below 1")
	}
	if cfg.GroupRulesTTL == 0 {
		cfg.GroupRulesTTL = 5 * time.Minute
	}
	if cfg.LongRateWait <= 0 {
		cfg.LongRateWait = 5 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, mode, nil
}

// pkcs1PEM returns the key as a PKCS#1 "RSA PRIVATE KEY" PEM block, the only form the
// SDK's signer accepts; Okta's console hands out PKCS#8 keys, so those are converted.
func pkcs1PEM(key string) (string, error) {
	raw := []byte(strings.ReplaceAll(strings.TrimSpace(key), `\n`, "\n"))
	block, _ := pem.Decode(raw)
	if block == nil {
		return "", errors.New("oktaadapter: OKTA_PRIVATE_KEY is not a PEM block")
	}
	var rsaKey *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return "", errors.New("oktaadapter: OKTA_PRIVATE_KEY is not a valid PKCS#1 RSA key")
		}
		rsaKey = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return "", errors.New("oktaadapter: OKTA_PRIVATE_KEY is not a valid PKCS#8 key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return "", errors.New("oktaadapter: OKTA_PRIVATE_KEY must be an RSA key (Okta signs client assertions with RS256)")
		}
		rsaKey = rk
	default:
		return "", fmt.Errorf("oktaadapter: OKTA_PRIVATE_KEY is a %q PEM block, want an RSA private key", block.Type)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})), nil
}

// ceilSeconds converts d to the whole seconds the SDK's options take, rounding up so a
// sub-second value does not become "no timeout".
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// sdkEnvNumbers lists the variables the SDK parses as numbers or booleans while building
// its config. A malformed one makes it print "error parsing" to stdout (breaking
// `diagnose --json`) and stop reading the environment; refuse to start instead.
func checkSDKEnv() error {
	sdkEnvNumbers := []struct{ name, kind string }{
		{"OKTA_CLIENT_CACHE_ENABLED", "bool"},
		{"OKTA_CLIENT_CACHE_DEFAULT_TTL", "int32"},
		{"OKTA_CLIENT_CACHE_DEFAULT_TTI", "int32"},
		{"OKTA_CLIENT_PROXY_PORT", "int32"},
		{"OKTA_CLIENT_CONNECTION_TIMEOUT", "int64"},
		{"OKTA_CLIENT_REQUEST_TIMEOUT", "int64"},
		{"OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES", "int32"},
		{"OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF", "int64"},
		{"OKTA_TESTING_DISABLE_HTTPS_CHECK", "bool"},
		{"OKTA_HTTPCLIENT_TIMEOUT", "duration"},
	}
	for _, v := range sdkEnvNumbers {
		s, ok := os.LookupEnv(v.name)
		if !ok {
			continue
		}
		var err error
		switch v.kind {
		case "bool":
			_, err = strconv.ParseBool(s)
		case "int32":
			_, err = strconv.ParseInt(s, 0, 32)
		case "int64":
			_, err = strconv.ParseInt(s, 0, 64)
		case "duration":
			_, err = time.ParseDuration(s)
		}
		if err != nil {
			return fmt.Errorf("oktaadapter: environment variable %s is not a valid %s; okta-sdk-golang would misread it (the adapter ignores it anyway): unset it", v.name, v.kind)
		}
	}
	return nil
}

// sdkOptions sets every value the SDK could otherwise take from ~/.okta/okta.yaml, the
// project's .okta.yaml or OKTA_CLIENT_* variables: the setters run after those sources,
// so listing all of them makes Config the only input.
//
// In private-key mode the key goes in as a signer built here, not as WithPrivateKey: that
// setter treats its argument as a file path first and calls log.Fatalf when it cannot
// read it.
func sdkOptions(cfg Config, mode string, hc *http.Client) ([]okta.ConfigSetter, error) {
	token, clientID, privateKeyID := "", "", ""
	scopes := []string(nil)
	setSigner := okta.WithPrivateKeySigner(nil)
	if mode == modeSSWS {
		token = cfg.APIToken
	} else {
		clientID, privateKeyID = cfg.ClientID, cfg.PrivateKeyID
		scopes = append([]string(nil), cfg.Scopes...)
		signer, err := okta.CreateKeySigner(cfg.PrivateKey, cfg.PrivateKeyID)
		if err != nil {
			return nil, errors.New("oktaadapter: OKTA_PRIVATE_KEY cannot sign client assertions")
		}
		setSigner = okta.WithPrivateKeySigner(signer)
	}
	return []okta.ConfigSetter{
		okta.WithOrgUrl(cfg.OrgURL),
		okta.WithAuthorizationMode(mode),
		okta.WithToken(token),
		okta.WithClientId(clientID),
		okta.WithScopes(scopes),
		okta.WithPrivateKey(""),
		okta.WithPrivateKeyId(privateKeyID),
		setSigner,
		okta.WithClientAssertion(""),
		okta.WithCache(false),
		okta.WithCacheManager(nil),
		okta.WithCacheTtl(0),
		okta.WithCacheTti(0),
		okta.WithProxyHost(""),
		okta.WithProxyPort(0),
		okta.WithProxyUsername(""),
		okta.WithProxyPassword(""),
		okta.WithConnectionTimeout(ceilSeconds(cfg.RequestTimeout)),
		okta.WithRequestTimeout(ceilSeconds(cfg.RequestTimeout)),
		okta.WithRateLimitMaxRetries(int32(cfg.MaxRetries)),
		okta.WithRateLimitMaxBackOff(ceilSeconds(cfg.MaxBackoff)),
		okta.WithTestingDisableHttpsCheck(cfg.AllowHTTP),
		okta.WithUserAgentExtra("okta-chatops"),
		okta.WithHttpClientPtr(hc),
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
