package main

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// The Slack app manifest must declare exactly the commands the bot answers, Socket
// Mode, interactivity, and the least scopes the bot's calls need.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile("../../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				MessagesTab         *bool `yaml:"messages_tab_enabled"`
				MessagesTabReadOnly *bool `yaml:"messages_tab_read_only_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command      string `yaml:"command"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, c := range m.Features.SlashCommands {
		cmds = append(cmds, c.Command)
		if !c.ShouldEscape {
			t.Errorf("%s: should_escape must be true (the parser reads <@U…> mentions)", c.Command)
		}
	}
	if want := []string{"/okta-diagnose", "/okta-scan", "/okta-status", "/okta-audit", "/okta-help"}; !slices.Equal(cmds, want) {
		t.Errorf("commands %v, want %v", cmds, want)
	}
	scopes := slices.Clone(m.OAuth.Scopes.Bot)
	slices.Sort(scopes)
	if want := []string{"channels:history", "chat:write", "commands", "groups:history", "usergroups:read", "users:read", "users:read.email"}; !slices.Equal(scopes, want) {
		t.Errorf("scopes %v, want exactly %v", scopes, want)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled {
		t.Error("socket mode and interactivity must be on")
	}
	// Commands in the bot's direct messages need the App Home messages tab, writable.
	if h := m.Features.AppHome; h.MessagesTab == nil || !*h.MessagesTab || h.MessagesTabReadOnly == nil || *h.MessagesTabReadOnly {
		t.Error("features.app_home must have messages_tab_enabled: true and messages_tab_read_only_enabled: false")
	}
}
