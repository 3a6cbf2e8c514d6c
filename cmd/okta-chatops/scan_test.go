package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScanJSONContract(t *testing.T) {
	vars, _ := simEnv(t)
	code, stdout, stderr := runCLI(t, vars, "scan", "Zoom", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var got struct {
		App     map[string]any `json:"app"`
		Checked int            `json:"checked"`
		Failing []struct {
			User  map[string]string `json:"user"`
			Code  string            `json:"code"`
			Plans []string          `json:"plans"`
		} `json:"failing"`
		Counts map[string]int `json:"counts"`
	}
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Error("stdout holds more than one JSON value")
	}
	if got.App["label"] != "Zoom" || got.App["id"] == "" || got.Checked < 1 {
		t.Errorf("app %v, checked %d", got.App, got.Checked)
	}
	found := false
	for _, f := range got.Failing {
		if f.User["login"] == "alice@example.com" && f.User["id"] != "" && f.Code == "STALE_EXTERNAL_ID" && strings.Join(f.Plans, ",") == "reassign,reset_external_id" {
			found = true
		}
	}
	if !found || got.Counts["STALE_EXTERNAL_ID"] < 1 {
		t.Errorf("alice's stale external ID is not reported: %+v %v", got.Failing, got.Counts)
	}
	total := 0
	for _, n := range got.Counts {
		total += n
	}
	if total != len(got.Failing) {
		t.Errorf("counts %v do not add up to %d failing", got.Counts, len(got.Failing))
	}
}

func TestScanTextJapanese(t *testing.T) {
	vars, _ := simEnv(t)
	vars["OKTA_CHATOPS_LOCALE"] = "ja"
	code, stdout, _ := runCLI(t, vars, "scan", "Zoom")
	if code != 0 || !strings.Contains(stdout, "割り当て済みユーザー") || !strings.Contains(stdout, "STALE_EXTERNAL_ID") || !strings.Contains(stdout, "alice@example.com") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestScanExitCodes(t *testing.T) {
	vars, _ := simEnv(t)
	tests := []struct {
		name   string
		vars   map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no app", vars, []string{"scan", "--json"}, 2, "no APP given"},
		{"unknown flag", vars, []string{"scan", "Zoom", "--jsn"}, 2, "unknown flag --jsn"},
		{"no configuration", map[string]string{}, []string{"scan", "Zoom"}, 2, "OKTA_ORG_URL is not set"},
		{"wrong token", map[string]string{"OKTA_ORG_URL": vars["OKTA_ORG_URL"], "OKTA_API_TOKEN": "wrong", "OKTA_ALLOW_HTTP": "true"}, []string{"scan", "Zoom"}, 2, "OKTA_API_TOKEN"},
		{"unknown app", vars, []string{"scan", "No Such App", "--json"}, 1, "No Such App"},
		{"unreachable okta", map[string]string{"OKTA_ORG_URL": "http://127.0.0.1:1", "OKTA_API_TOKEN": "x", "OKTA_ALLOW_HTTP": "true"}, []string{"scan", "Zoom"}, 1, "could not be reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) || stdout != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tt.code, stdout, stderr, tt.stderr)
			}
		})
	}
}
