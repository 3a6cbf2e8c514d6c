package oktaadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Client is the Okta port of the domain on okta-sdk-golang v2. It is safe for concurrent
// use.
type Client struct {
	cfg     Config
	sdk     *okta.Client
	limiter *limiter
	log     *slog.Logger

	// logPageSize overrides the System Log page size (tests exercise paging with it).
	logPageSize int

	rulesMu sync.Mutex
	rules   []remediation.GroupRule // the last group rule list, read at rulesAt
	rulesAt time.Time
}

// New validates cfg and builds the SDK client. It makes no request.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg, mode, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	if err := checkSDKEnv(); err != nil {
		return nil, err
	}
	lim := newLimiter(cfg)

	// A copy, so the caller's client keeps its own transport.
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		hc = http.Client{
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: max(cfg.RequestTimeout, 0),
				IdleConnTimeout:       90 * time.Second,
				MaxIdleConnsPerHost:   16,
				ForceAttemptHTTP2:     true,
			},
		}
		// The SDK fetches OAuth tokens without a context; this bounds those requests.
		if cfg.RequestTimeout > 0 {
			hc.Timeout = cfg.RequestTimeout + 5*time.Second
		}
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &transport{next: next, limiter: lim}

	opts, err := sdkOptions(cfg, mode, &hc)
	if err != nil {
		return nil, err
	}
	_, sdk, err := okta.NewClient(ctx, opts...)
	if err != nil {
		// The SDK's validation messages name fields, never secret values.
		return nil, fmt.Errorf("oktaadapter: okta sdk: %w", err)
	}
	return &Client{cfg: cfg, sdk: sdk, limiter: lim, log: cfg.Logger}, nil
}

// RateLimit returns the last budget Okta reported per bucket.
func (c *Client) RateLimit() RateLimitState { return c.limiter.state() }

// do runs one SDK request with the adapter's request timeout and translates its error.
//
// A pacing wait for the bucket's budget happens first, outside the request timeout: a
// wait for Okta's one-minute window would otherwise use the timeout up. The transport
// paces again for what this cannot see (the SDK's 429 retries, token requests).
func (c *Client) do(ctx context.Context, op string, fn func(ctx context.Context) (*okta.Response, error)) (*okta.Response, error) {
	bucket := bucketOfOp(op)
	if err := c.limiter.wait(ctx, bucket); err != nil {
		return nil, translate(ctx, op, nil, nil, err)
	}
	rctx, ci := withCallInfo(ctx)
	ci.prepaid = bucket
	if c.cfg.RequestTimeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(rctx, c.cfg.RequestTimeout)
		// The SDK has read and closed the body before returning, so cancelling is safe.
		defer cancel()
	}
	start := c.cfg.Clock()
	resp, err := fn(rctx)
	status := http.StatusOK
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	if err != nil {
		err = translate(ctx, op, resp, ci, err)
		status = 0 // no answer: a network error or a timeout
		var re *remediation.RemoteError
		if errors.As(err, &re) {
			status = re.Status
			c.log.DebugContext(ctx, "okta request failed", "op", op, "status", re.Status,
				"error_code", re.Code, "request_id", re.RequestID, "kind", re.Kind.Error())
		}
	}
	if c.cfg.Observe != nil {
		c.cfg.Observe(op, status, c.cfg.Clock().Sub(start))
	}
	return resp, err
}

// raw sends a request the SDK's typed methods cannot express through a clone of its
// request executor, so auth, retries and the transport are the same.
func (c *Client) raw(ctx context.Context, op, method, path string, body, v any) (*okta.Response, error) {
	return c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		re := c.sdk.CloneRequestExecutor()
		req, err := re.WithAccept("application/json").WithContentType("application/json").NewRequest(method, path, body)
		if err != nil {
			return nil, err
		}
		return re.Do(ctx, req, v)
	})
}

// pages runs first, then follows Link rel="next" through the SDK, handing each page to
// each until it returns false. It stops on an empty page, a missing next link or a next
// link it has already followed, so a server that always sends next (a System Log polling
// query) cannot keep it looping.
func pages[T any](ctx context.Context, c *Client, op string, first func(ctx context.Context) ([]T, *okta.Response, error), each func([]T) bool) error {
	var page []T
	resp, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var r *okta.Response
		var err error
		page, r, err = first(ctx)
		return r, err
	})
	followed := map[string]bool{}
	for {
		if err != nil {
			return err
		}
		if len(page) == 0 || !each(page) {
			return nil
		}
		if resp == nil || !resp.HasNextPage() || followed[resp.NextPage] {
			return nil
		}
		followed[resp.NextPage] = true
		cur := resp
		page = nil
		resp, err = c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
			return cur.Next(ctx, &page)
		})
	}
}

// seg path-escapes one path segment. The SDK formats IDs into paths with %v, so an
// unescaped login like "a/b?c" would address another resource.
func seg(s string) string { return url.PathEscape(s) }

// checkID refuses IDs that cannot be an Okta ID segment before anything is sent.
func checkID(op, what, id string) error {
	if strings.TrimSpace(id) == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\?#\"") {
		return invalidInput(op, "invalid %s %q", what, id)
	}
	return nil
}

// The diagnosis reads Okta through this adapter.
var _ remediation.OktaReader = (*Client)(nil)
