package slackadmin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// DefaultSCIMBaseURL is Slack's SCIM v2 base; every path is relative to it.
const DefaultSCIMBaseURL = "https://api.slack.com/scim/v2/"

// Defaults for SCIMConfig's zero fields.
const (
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = time.Minute
	defaultHTTPTimeout  = 30 * time.Second
	maxBody             = 1 << 20
)

// SCIMConfig configures a SCIM client. Token is required; the rest has defaults.
type SCIMConfig struct {
	// BaseURL is the SCIM v2 base, with or without its trailing slash; empty means
	// DefaultSCIMBaseURL. Simulators serve it over http.
	BaseURL string
	// Token is an admin user token (xoxp-…) of a Business+ or Enterprise Grid
	// workspace. It is sent as a Bearer token and never logged or put in an error.
	Token string
	// HTTPClient sends the requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Clock is now, for Retry-After given as an HTTP date; nil means time.Now.
	Clock func() time.Time
	// Sleep waits d or until ctx ends; nil means a timer. Tests inject one that
	// records the wait and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries is how many times a request answered 429 is retried after waiting
	// Retry-After; 0 means DefaultMaxRetries, negative means never.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After waited in-process; a longer one is
	// returned at once as ErrRateLimited for the caller's scheduler to retry later.
	// 0 means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Logger receives request logs (never the token); nil discards them.
	Logger *slog.Logger
}

// SCIM is a client of Slack's SCIM v2 Users API. It implements
// remediation.SaaSDirectory and is safe for concurrent use.
type SCIM struct {
	base       *url.URL // ends with "/"
	token      string
	hc         *http.Client
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	maxRetries int
	maxWait    time.Duration
	log        *slog.Logger
}

var _ remediation.SaaSDirectory = (*SCIM)(nil)

// NewSCIM checks cfg and returns a client. Errors name the field, never the token.
func NewSCIM(cfg SCIMConfig) (*SCIM, error) {
	if cfg.Token == "" {
		return nil, errors.New("slackadmin: SCIM token is required")
	}
	if strings.IndexFunc(cfg.Token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return nil, errors.New("slackadmin: SCIM token contains whitespace or control characters")
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultSCIMBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("slackadmin: SCIM base URL: %w", err)
	}
	if (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("slackadmin: SCIM base URL %q must be an absolute http(s) URL", raw)
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("slackadmin: SCIM base URL must not hold credentials, a query or a fragment")
	}
	if !strings.HasSuffix(base.Path, "/") {
		// Without it, resolving "Users" would replace the last segment ("v2").
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	c := &SCIM{
		base: base, token: cfg.Token, hc: cfg.HTTPClient, now: cfg.Clock, sleep: cfg.Sleep,
		maxRetries: cfg.MaxRetries, maxWait: cfg.MaxRetryWait, log: cfg.Logger,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxRetryWait
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// BaseURL returns the base the client resolves paths against (with its slash).
func (c *SCIM) BaseURL() string { return c.base.String() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scimUser is the part of a SCIM User the port needs.
type scimUser struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   bool   `json:"active"`
	Emails   []struct {
		Value   string `json:"value"`
		Primary bool   `json:"primary"`
	} `json:"emails"`
}

func (u scimUser) account() remediation.SaaSAccount {
	a := remediation.SaaSAccount{ID: u.ID, UserName: u.UserName, Active: u.Active}
	for _, e := range u.Emails {
		if a.Email == "" || e.Primary {
			a.Email = e.Value
		}
	}
	return a
}

func (u scimUser) hasEmail(email string) bool {
	for _, e := range u.Emails {
		if strings.EqualFold(strings.TrimSpace(e.Value), email) {
			return true
		}
	}
	return false
}

// FindAccount finds the Slack member with this email, active or deactivated, with
// GET Users?filter=email eq "…". The value is a JSON string, so a quote or a
// backslash in it cannot change the filter; the answer is checked against the email
// too, so a server that ignored the filter could not hand back someone else.
func (c *SCIM) FindAccount(ctx context.Context, email string) (remediation.SaaSAccount, error) {
	email = strings.TrimSpace(email)
	op := "SCIM GET Users (email " + email + ")"
	if email == "" || strings.ContainsFunc(email, unicode.IsControl) {
		return remediation.SaaSAccount{}, &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: "not a usable email address"}
	}
	// Slack's SCIM filters on email; some SCIM servers only on userName (which Slack
	// derives from the email). Ask by email first, by userName if that finds nobody or
	// is refused; keep only members whose email really matches either way.
	var found []scimUser
	for i, filter := range []string{"email eq " + scimString(email), "userName eq " + scimString(email)} {
		q := url.Values{"filter": {filter}, "startIndex": {"1"}, "count": {"10"}}
		var list struct {
			TotalResults int        `json:"totalResults"`
			Resources    []scimUser `json:"Resources"`
		}
		if err := c.do(ctx, op, http.MethodGet, "Users", q, nil, &list); err != nil {
			if i == 0 && errors.Is(err, remediation.ErrPermanent) {
				continue // the server does not know this filter: try the other
			}
			return remediation.SaaSAccount{}, err
		}
		for _, u := range list.Resources {
			if u.hasEmail(email) || strings.EqualFold(u.UserName, email) {
				found = append(found, u)
			}
		}
		if len(found) > 0 {
			break
		}
	}
	switch len(found) {
	case 0:
		return remediation.SaaSAccount{}, &remediation.RemoteError{Kind: remediation.ErrNotFound, Op: op, Summary: "no Slack member has this email"}
	case 1:
		return found[0].account(), nil
	default:
		return remediation.SaaSAccount{}, &remediation.RemoteError{Kind: remediation.ErrAmbiguous, Op: op,
			Summary: fmt.Sprintf("%d Slack members have this email", len(found))}
	}
}

// scimString renders s as a SCIM filter string value: a JSON string (RFC 7644
// §3.4.2.2), without HTML escaping so that the server sees the address as written.
func scimString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// GetAccount reads one member by ID (GET Users/{id}), active or deactivated.
func (c *SCIM) GetAccount(ctx context.Context, id string) (remediation.SaaSAccount, error) {
	op := "SCIM GET Users/" + id
	if id == "" {
		return remediation.SaaSAccount{}, &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: "empty member ID"}
	}
	var u scimUser
	if err := c.do(ctx, op, http.MethodGet, "Users/"+url.PathEscape(id), nil, nil, &u); err != nil {
		return remediation.SaaSAccount{}, err
	}
	return u.account(), nil
}

// patchOp is the body of PATCH Users/{id}, field order as Slack documents it.
type patchOp struct {
	Schemas    []string      `json:"schemas"`
	Operations []patchOpItem `json:"Operations"`
}

type patchOpItem struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// SetActive reactivates (true) or deactivates (false) a member with a PatchOp
// replacing `active`. It is idempotent: setting the state the member already has
// succeeds and changes nothing.
func (c *SCIM) SetActive(ctx context.Context, id string, active bool) error {
	op := fmt.Sprintf("SCIM PATCH Users/%s (active=%t)", id, active)
	if id == "" {
		return &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: "empty member ID"}
	}
	body, err := json.Marshal(activeBody(active))
	if err != nil {
		return fmt.Errorf("slackadmin: encoding PatchOp: %w", err)
	}
	if err := c.do(ctx, op, http.MethodPatch, "Users/"+url.PathEscape(id), nil, body, nil); err != nil {
		return err
	}
	c.log.InfoContext(ctx, "slack scim: member active state set", "member_id", id, "active", active)
	return nil
}

// do sends one request, waiting out 429s up to maxRetries times, and decodes a 2xx
// JSON body into out (when not nil). Every error is a *remediation.RemoteError.
func (c *SCIM) do(ctx context.Context, op, method, path string, q url.Values, body []byte, out any) error {
	// path is already escaped (an ID is PathEscaped), so it is joined as text.
	target := c.base.String() + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	u, err := url.Parse(target)
	if err != nil {
		return &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Err: err}
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, rd)
		if err != nil {
			return &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Err: c.scrub(err)}
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		start := c.now()
		res, err := c.hc.Do(req)
		if err != nil {
			c.log.DebugContext(ctx, "slack scim request failed", "method", method, "path", u.Path, "error", c.scrub(err).Error())
			return &remediation.RemoteError{Kind: remediation.ErrTransient, Op: op, Err: c.scrub(err)}
		}
		raw, readErr := io.ReadAll(io.LimitReader(res.Body, maxBody))
		_ = res.Body.Close()
		reqID := res.Header.Get("X-Slack-Req-Id")
		c.log.DebugContext(ctx, "slack scim request", "method", method, "path", u.Path, "status", res.StatusCode,
			"attempt", attempt, "request_id", reqID, "duration_ms", c.now().Sub(start).Milliseconds())
		if readErr != nil {
			return &remediation.RemoteError{Kind: remediation.ErrTransient, Op: op, Status: res.StatusCode, RequestID: reqID, Err: c.scrub(readErr)}
		}

		if res.StatusCode == http.StatusTooManyRequests && attempt < c.maxRetries {
			wait := retryAfter(res.Header.Get("Retry-After"), c.now())
			if wait <= c.maxWait {
				c.log.WarnContext(ctx, "slack scim rate limited, waiting", "method", method, "path", u.Path,
					"retry_after", wait.String(), "attempt", attempt, "request_id", reqID)
				if err := c.sleep(ctx, wait); err != nil {
					re := c.remoteError(op, res.StatusCode, raw, reqID)
					re.Err = err
					return re
				}
				continue
			}
		}
		if res.StatusCode < 200 || res.StatusCode > 299 {
			return c.remoteError(op, res.StatusCode, raw, reqID)
		}
		if out == nil || len(bytes.TrimSpace(raw)) == 0 {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			// A 2xx that is not Slack's JSON (a proxy's page, a cut body) is worth a retry.
			return &remediation.RemoteError{Kind: remediation.ErrTransient, Op: op, Status: res.StatusCode, RequestID: reqID,
				Err: fmt.Errorf("decoding response: %w", err)}
		}
		return nil
	}
}

// retryAfter reads Retry-After as seconds or an HTTP date; absent or unreadable
// means one second, which is what Slack's smallest hint would be.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if secs, err := strconv.Atoi(h); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return time.Second
}

// slackSCIMError is Slack's SCIM error body, {"Errors":{"description","code"}}, with
// RFC 7644's {"detail","scimType"} read too in case a proxy or a later Slack uses it.
type slackSCIMError struct {
	Errors struct {
		Description string `json:"description"`
	} `json:"Errors"`
	Detail   string `json:"detail"`
	SCIMType string `json:"scimType"`
}

// remoteError translates an HTTP error answer into the domain's terms.
func (c *SCIM) remoteError(op string, status int, raw []byte, reqID string) *remediation.RemoteError {
	re := &remediation.RemoteError{Kind: kindForStatus(status), Op: op, Status: status, RequestID: reqID}
	var b slackSCIMError
	if json.Unmarshal(raw, &b) == nil {
		re.Summary = b.Errors.Description
		if re.Summary == "" {
			re.Summary = b.Detail
		}
		re.Code = b.SCIMType
	}
	re.Summary = c.redact(truncate(re.Summary, 300))
	return re
}

func kindForStatus(status int) error {
	switch {
	case status == http.StatusNotFound:
		return remediation.ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return remediation.ErrDenied
	case status == http.StatusTooManyRequests:
		return remediation.ErrRateLimited
	case status >= 500 || status == http.StatusRequestTimeout:
		return remediation.ErrTransient
	default:
		return remediation.ErrPermanent
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// redact removes the token from text that came from elsewhere (a server echoing
// the request), so that it cannot reach an error message or a log.
func (c *SCIM) redact(s string) string {
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

// scrub is redact for errors; it keeps the error chain (context deadline, net
// timeouts) when there is nothing to redact.
func (c *SCIM) scrub(err error) error {
	if msg := err.Error(); strings.Contains(msg, c.token) {
		return errors.New(c.redact(msg))
	}
	return err
}
