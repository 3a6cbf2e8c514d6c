package oktaadapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// Okta error codes the translation looks at.
const (
	codeNotFound         = "E0000007"
	codeGroupScopedApp   = "E0000046"
	codeRateLimited      = "E0000047"
	sdkTooManyRequestsEx = "too many requests" // okta-sdk-golang's plain error after its 429 retries
)

// translate turns what the SDK returned for one request into a *remediation.RemoteError.
// parent is the caller's context (not the per-request one), so a deadline the caller set
// can be told from the adapter's request timeout.
func translate(parent context.Context, op string, resp *okta.Response, ci *callInfo, err error) error {
	if err == nil {
		return nil
	}
	if parent.Err() != nil && errors.Is(err, context.Canceled) {
		// The caller gave up: not a remote failure, and not worth a retry.
		return fmt.Errorf("%s: %w", op, err)
	}
	re := &remediation.RemoteError{Op: op}
	re.Status, re.RequestID = ci.get()
	if resp != nil && resp.Response != nil {
		re.Status = resp.StatusCode
		if id := resp.Header.Get("X-Okta-Request-Id"); id != "" {
			re.RequestID = id
		}
	}

	var oe *okta.Error
	var pe *pacedError
	switch {
	case errors.As(err, &pe):
		re.Kind = remediation.ErrRateLimited
		re.Summary = pe.Error()
	case errors.As(err, &oe):
		re.Code = oe.ErrorCode
		re.Summary = summaryOf(oe)
		re.Kind = kindOf(re.Status, re.Code, oe)
	case err.Error() == sdkTooManyRequestsEx:
		re.Kind = remediation.ErrRateLimited
		re.Status = http.StatusTooManyRequests
		re.Summary = "rate limit still exceeded after the SDK's retries"
		re.Err = err
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		re.Kind = remediation.ErrTransient
		if re.Status == http.StatusTooManyRequests {
			// The deadline ran out while the SDK was waiting out a 429.
			re.Kind = remediation.ErrRateLimited
		}
		re.Summary = "request timed out"
		re.Err = sanitize(err)
	case re.Status == http.StatusTooManyRequests:
		// e.g. a 429 without the Date or X-Rate-Limit-Reset header the SDK needs.
		re.Kind = remediation.ErrRateLimited
		re.Err = sanitize(err)
	case isNetwork(err):
		re.Kind = remediation.ErrTransient
		re.Status = 0
		re.Err = sanitize(err)
	default:
		// Undecodable bodies and the like: retrying the same request will not help.
		re.Kind = remediation.ErrPermanent
		re.Err = sanitize(err)
	}
	return re
}

func kindOf(status int, code string, oe *okta.Error) error {
	switch {
	case status == http.StatusNotFound || code == codeNotFound:
		return remediation.ErrNotFound
	case status == http.StatusForbidden && code == codeGroupScopedApp:
		return remediation.ErrGroupScoped
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return remediation.ErrDenied
	case status == http.StatusTooManyRequests || code == codeRateLimited:
		return remediation.ErrRateLimited
	case status >= 500:
		return remediation.ErrTransient
	case status == 0 && oe.ErrorMessage != "":
		// An OAuth error from the token endpoint (invalid_client, invalid_scope…), which
		// the SDK requests outside our context so no status was recorded.
		return remediation.ErrDenied
	case status == 0:
		return remediation.ErrTransient
	default:
		return remediation.ErrPermanent
	}
}

func summaryOf(oe *okta.Error) string {
	s := oe.ErrorSummary
	// On a 500 the SDK appends ", x-okta-request-id=…" itself; the id is kept separately.
	if i := strings.Index(s, ", x-okta-request-id="); i >= 0 {
		s = s[:i]
	}
	if s == "" && oe.ErrorMessage != "" {
		s = oe.ErrorMessage
		if oe.ErrorDescription != "" {
			s += ": " + oe.ErrorDescription
		}
	}
	for _, c := range oe.ErrorCauses {
		if v, ok := c["errorSummary"].(string); ok && v != "" && v != s {
			s += "; " + v
		}
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isNetwork(err error) bool {
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &oe) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// sanitize drops the query string from URLs in transport errors: the SDK sends the
// private-key client assertion in the token request's query.
func sanitize(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u := ue.URL
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
}

// invalidInput is the error for a call the adapter refuses before sending anything.
func invalidInput(op, format string, args ...any) error {
	return &remediation.RemoteError{Kind: remediation.ErrPermanent, Op: op, Summary: fmt.Sprintf(format, args...)}
}
