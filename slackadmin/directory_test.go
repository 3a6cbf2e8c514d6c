package slackadmin_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/slackadmin"
)

const botToken = "xoxb-1234-secret-bot-token"

// fakeWebAPI speaks Slack's Web API: form-encoded POSTs to /<method>, JSON answers.
// answers maps a method and its key argument (email or user) to a response.
type fakeWebAPI struct {
	t       *testing.T
	mu      sync.Mutex
	answers map[string]func(w http.ResponseWriter)
	forms   []url.Values
}

func newWebAPI(t *testing.T, answers map[string]func(w http.ResponseWriter)) (*slackadmin.Directory, *fakeWebAPI) {
	t.Helper()
	f := &fakeWebAPI{t: t, answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("%s %s with Content-Type %q, want a form POST", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		f.mu.Unlock()
		key := strings.TrimPrefix(r.URL.Path, "/") + " " + r.PostForm.Get("email") + r.PostForm.Get("user")
		answer, ok := f.answers[key]
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if !ok {
			io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
			return
		}
		answer(w)
	}))
	t.Cleanup(srv.Close)
	api := slack.New(botToken, slack.OptionAPIURL(srv.URL+"/"))
	return slackadmin.NewDirectory(api), f
}

func body(s string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { io.WriteString(w, s) }
}

func status(code int, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
	}
}

// webRemote is remote for Web API errors: the bot token must not leak either.
func webRemote(t *testing.T, err error, kind error) *remediation.RemoteError {
	t.Helper()
	re := remote(t, err, kind)
	if strings.Contains(err.Error(), botToken) {
		t.Fatalf("the bot token leaked into %q", err)
	}
	return re
}

func TestDirectoryLookupByEmail(t *testing.T) {
	d, f := newWebAPI(t, map[string]func(http.ResponseWriter){
		"users.lookupByEmail bob@example.com":     body(`{"ok":true,"user":{"id":"U0BOB","name":"bob","deleted":false,"profile":{"email":"bob@example.com"}}}`),
		"users.lookupByEmail nobody@example.com":  body(`{"ok":false,"error":"users_not_found"}`),
		"users.lookupByEmail revoked@example.com": body(`{"ok":false,"error":"invalid_auth"}`),
		"users.lookupByEmail scope@example.com":   body(`{"ok":false,"error":"missing_scope","needed":"users:read.email","provided":"users:read"}`),
		"users.lookupByEmail busy@example.com":    status(429, "30"),
		"users.lookupByEmail down@example.com":    status(503, ""),
		"users.lookupByEmail weird@example.com":   body(`{"ok":false,"error":"invalid_arguments"}`),
		"users.lookupByEmail fatal@example.com":   body(`{"ok":false,"error":"fatal_error"}`),
	})
	id, err := d.LookupByEmail(ctx(t), "bob@example.com")
	if err != nil || id != "U0BOB" {
		t.Fatalf("LookupByEmail = %q, %v", id, err)
	}
	form := f.forms[0]
	if form.Get("email") != "bob@example.com" || form.Get("token") != botToken {
		t.Errorf("form %v", form)
	}

	_, err = d.LookupByEmail(ctx(t), "nobody@example.com")
	if re := webRemote(t, err, remediation.ErrNotFound); re.Code != "users_not_found" || re.Op != "users.lookupByEmail" {
		t.Errorf("not found: %+v", re)
	}
	_, err = d.LookupByEmail(ctx(t), "revoked@example.com")
	webRemote(t, err, remediation.ErrDenied)
	_, err = d.LookupByEmail(ctx(t), "scope@example.com")
	if re := webRemote(t, err, remediation.ErrDenied); !strings.Contains(re.Summary, "users:read.email") {
		t.Errorf("missing scope: %+v", re)
	}
	_, err = d.LookupByEmail(ctx(t), "busy@example.com")
	re := webRemote(t, err, remediation.ErrRateLimited)
	var rl *slack.RateLimitedError
	if re.Status != 429 || !errors.As(err, &rl) || rl.RetryAfter.Seconds() != 30 {
		t.Errorf("rate limited: %+v", re)
	}
	_, err = d.LookupByEmail(ctx(t), "down@example.com")
	if re := webRemote(t, err, remediation.ErrTransient); re.Status != 503 {
		t.Errorf("5xx: %+v", re)
	}
	_, err = d.LookupByEmail(ctx(t), "weird@example.com")
	webRemote(t, err, remediation.ErrPermanent)
	_, err = d.LookupByEmail(ctx(t), "fatal@example.com")
	webRemote(t, err, remediation.ErrTransient)

	n := len(f.forms)
	_, err = d.LookupByEmail(ctx(t), "")
	webRemote(t, err, remediation.ErrPermanent)
	if len(f.forms) != n {
		t.Error("an empty email reached Slack")
	}
}

func TestDirectoryUserEmail(t *testing.T) {
	d, f := newWebAPI(t, map[string]func(http.ResponseWriter){
		"users.info U0BOB":  body(`{"ok":true,"user":{"id":"U0BOB","name":"bob","profile":{"email":"bob@example.com","real_name":"Bob Suzuki"}}}`),
		"users.info U0GONE": body(`{"ok":false,"error":"user_not_found"}`),
		"users.info B0BOT":  body(`{"ok":true,"user":{"id":"B0BOT","is_bot":true,"profile":{}}}`),
	})
	email, err := d.UserEmail(ctx(t), "U0BOB")
	if err != nil || email != "bob@example.com" {
		t.Fatalf("UserEmail = %q, %v", email, err)
	}
	if f.forms[0].Get("user") != "U0BOB" {
		t.Errorf("form %v", f.forms[0])
	}
	_, err = d.UserEmail(ctx(t), "U0GONE")
	webRemote(t, err, remediation.ErrNotFound)
	_, err = d.UserEmail(ctx(t), "B0BOT")
	if re := webRemote(t, err, remediation.ErrNotFound); !strings.Contains(re.Summary, "users:read.email") {
		t.Errorf("no email: %+v", re)
	}
	_, err = d.UserEmail(ctx(t), "")
	webRemote(t, err, remediation.ErrPermanent)
}

func TestDirectoryUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	d := slackadmin.NewDirectory(slack.New(botToken, slack.OptionAPIURL(dead.URL+"/")))
	_, err := d.LookupByEmail(ctx(t), "bob@example.com")
	webRemote(t, err, remediation.ErrTransient)
}
