package config

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func source(env map[string]string, files map[string]string) Source {
	return Source{
		Getenv: func(k string) string { return env[k] },
		ReadFile: func(name string) ([]byte, error) {
			if v, ok := files[name]; ok {
				return []byte(v), nil
			}
			return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
		},
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(source(map[string]string{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SlackAPIURL != DefaultSlackAPIURL || c.SlackSCIMURL != DefaultSCIMURL || c.HTTPAddr != ":8080" ||
		c.VerifyTimeout != 5*time.Minute || c.ApprovalTTL != 24*time.Hour || c.Locale != "en" || c.Retention != 2160*time.Hour {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.RequireOkta(); err == nil || !strings.Contains(err.Error(), "OKTA_ORG_URL") || !strings.Contains(err.Error(), "OKTA_API_TOKEN") {
		t.Errorf("RequireOkta = %v", err)
	}
	if err := c.RequireSlack(); err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Errorf("RequireSlack = %v", err)
	}
}

func TestLoadEverything(t *testing.T) {
	c, err := Load(source(map[string]string{
		"OKTA_ORG_URL": "http://127.0.0.1:8089/", "OKTA_ALLOW_HTTP": "true", "OKTA_API_TOKEN_FILE": "/run/secrets/okta",
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://127.0.0.1:9/api",
		"OKTA_CHATOPS_APPROVERS": "U123, S456", "OKTA_CHATOPS_CHANNELS": "C1X", "OKTA_CHATOPS_LOCALE": "JA",
		"VERIFY_TIMEOUT": "90s", "REDIS_URL": "redis://:pw@127.0.0.1:6379/0",
	}, map[string]string{"/run/secrets/okta": "00abc\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OktaOrgURL != "http://127.0.0.1:8089" || c.OktaAPIToken.Reveal() != "00abc" || c.SlackAPIURL != "http://127.0.0.1:9/api/" ||
		strings.Join(c.Approvers, "|") != "U123|S456" || c.Locale != "ja" || c.VerifyTimeout != 90*time.Second {
		t.Errorf("config = %+v", c)
	}
	if err := c.RequireOkta(); err != nil {
		t.Error(err)
	}
	if err := c.RequireSlack(); err != nil {
		t.Error(err)
	}
	if s := fmt.Sprintf("%v %s %+v", c.OktaAPIToken, c.RedisURL, c); strings.Contains(s, "00abc") || strings.Contains(s, ":pw@") {
		t.Errorf("a secret leaked into formatting: %s", s)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OKTA_ORG_URL": "http://x.okta.com"}, "OKTA_ORG_URL is http://"},
		{map[string]string{"OKTA_ORG_URL": "example.okta.com"}, "OKTA_ORG_URL must be your org's URL"},
		{map[string]string{"OKTA_ORG_URL": "https://x.okta.com/api/v1"}, "OKTA_ORG_URL must be the org's base URL"},
		{map[string]string{"OKTA_ALLOW_HTTP": "yes please"}, "OKTA_ALLOW_HTTP must be true or false"},
		{map[string]string{"VERIFY_TIMEOUT": "5"}, "VERIFY_TIMEOUT must be a positive Go duration"},
		{map[string]string{"APPROVAL_TTL": "-1h"}, "APPROVAL_TTL must be a positive Go duration"},
		{map[string]string{"OKTA_CHATOPS_RETENTION": "90d"}, "OKTA_CHATOPS_RETENTION must be a positive Go duration"},
		{map[string]string{"OKTA_CHATOPS_APPROVERS": "U1,alice"}, `OKTA_CHATOPS_APPROVERS holds "alice"`},
		{map[string]string{"OKTA_CHATOPS_CHANNELS": "general"}, `OKTA_CHATOPS_CHANNELS holds "general"`},
		{map[string]string{"OKTA_CHATOPS_LOCALE": "fr"}, "OKTA_CHATOPS_LOCALE must be en or ja"},
		{map[string]string{"SLACK_API_URL": "slack.com"}, "SLACK_API_URL must be an http(s) URL"},
		{map[string]string{"OKTA_API_TOKEN": "a", "OKTA_API_TOKEN_FILE": "/x"}, "OKTA_API_TOKEN and OKTA_API_TOKEN_FILE are both set"},
		{map[string]string{"OKTA_API_TOKEN_FILE": "/missing"}, "OKTA_API_TOKEN_FILE cannot be read"},
		{map[string]string{"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL must look like redis://"},
		{map[string]string{"OKTA_CHATOPS_NOTIFY_USER": "maybe"}, "OKTA_CHATOPS_NOTIFY_USER must be true or false"},
		{map[string]string{"OKTA_CHATOPS_WATCH_INTERVAL": "1"}, "OKTA_CHATOPS_WATCH_INTERVAL must be a Go duration"},
		{map[string]string{"OKTA_CHATOPS_WATCH_INTERVAL": "-1m"}, "OKTA_CHATOPS_WATCH_INTERVAL must be a Go duration"},
		{map[string]string{"OKTA_CHATOPS_ALERT_CHANNEL": "alerts"}, `OKTA_CHATOPS_ALERT_CHANNEL`},
	}
	for _, tt := range tests {
		_, err := Load(source(tt.env, nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v) = %v, want it to say %q", tt.env, err, tt.want)
		}
	}
}

func TestWatchSettings(t *testing.T) {
	c, err := Load(source(map[string]string{}, nil))
	if err != nil || c.WatchInterval != time.Minute || c.AlertChannel != "" {
		t.Errorf("defaults: interval %v, channel %q, err %v", c.WatchInterval, c.AlertChannel, err)
	}
	c, err = Load(source(map[string]string{"OKTA_CHATOPS_CHANNELS": "C0123ABCD,C0456EFGH", "OKTA_CHATOPS_WATCH_INTERVAL": "0"}, nil))
	if err != nil || c.WatchInterval != 0 || c.AlertChannel != "C0123ABCD" {
		t.Errorf("first channel, off: interval %v, channel %q, err %v", c.WatchInterval, c.AlertChannel, err)
	}
	c, err = Load(source(map[string]string{"OKTA_CHATOPS_CHANNELS": "C0123ABCD", "OKTA_CHATOPS_ALERT_CHANNEL": "C0999ZZZZ", "OKTA_CHATOPS_WATCH_INTERVAL": "30s"}, nil))
	if err != nil || c.WatchInterval != 30*time.Second || c.AlertChannel != "C0999ZZZZ" {
		t.Errorf("explicit: interval %v, channel %q, err %v", c.WatchInterval, c.AlertChannel, err)
	}
}

func TestRequireOktaPrivateKeyMode(t *testing.T) {
	c, err := Load(source(map[string]string{"OKTA_ORG_URL": "https://x.okta.com", "OKTA_CLIENT_ID": "0oa1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.RequireOkta()
	if err == nil || !strings.Contains(err.Error(), "OKTA_PRIVATE_KEY") || !strings.Contains(err.Error(), "OKTA_SCOPES") {
		t.Errorf("RequireOkta = %v", err)
	}
}
