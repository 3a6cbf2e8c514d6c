package demo

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// transcript prints what people in #it-ops see, in the order it happened: a message
// when it was posted, and each edit of it when it was edited (not when the demo next
// looked), so an outcome written into the request message never shows before the
// steps that led to it.
type transcript struct {
	out io.Writer
	l   remediation.Locale
	// printed counts the versions of each message already printed (1 + its edits).
	printed map[string]int
	// mentionRE and dateRE find Slack's mention and date markup.
	mentionRE, dateRE *regexp.Regexp
}

func newTranscript(out io.Writer, l remediation.Locale) *transcript {
	return &transcript{out: out, l: l, printed: map[string]int{},
		mentionRE: regexp.MustCompile(`<@(U[0-9A-Z]+)>`), dateRE: regexp.MustCompile(`<!date\^\d+\^[^|]*\|([^>]*)>`)}
}

func (t *transcript) say(format string, args ...any) { fmt.Fprintf(t.out, format+"\n", args...) }

func (t *transcript) tr(en, ja string, args ...any) string {
	return remediation.Tf(en, ja, args...).In(t.l)
}

// version is one state of a message: as posted (n == 0) or after its n-th edit.
type version struct {
	msg    slacksim.Message
	n      int
	at     time.Time
	text   string
	before string // the previous version's text, for an edit
	order  int    // posting order, to keep ties stable
}

// versions lists every state of msgs, oldest first. slacksim keeps, for each edit, the
// version it replaced and when (Edit.At): version 0 is Edits[0] (or the message itself
// when never edited), posted at PostedAt; version k appeared at Edits[k-1].At.
func versions(msgs []slacksim.Message) []version {
	var out []version
	for i, m := range msgs {
		texts := make([]string, 0, len(m.Edits)+1)
		for _, e := range m.Edits {
			texts = append(texts, slacksim.Message{Blocks: e.Blocks, TextArg: e.Text}.Text())
		}
		texts = append(texts, m.Text())
		for k, text := range texts {
			v := version{msg: m, n: k, at: m.PostedAt, text: text, order: i}
			if k > 0 {
				v.at, v.before = m.Edits[k-1].At, texts[k-1]
			}
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.Before(out[j].at)
		}
		if out[i].order != out[j].order {
			return out[i].order < out[j].order
		}
		return out[i].n < out[j].n
	})
	return out
}

// flush prints the versions of the workspace's messages not printed yet (the audit
// channel aside), in the order they appeared.
func (t *transcript) flush(msgs []slacksim.Message) {
	for _, v := range versions(msgs) {
		m := v.msg
		if m.Channel == auditChan || v.n < t.printed[m.TS] {
			continue
		}
		t.printed[m.TS] = v.n + 1
		prefix, body := "🤖 #it-ops", v.text
		switch {
		case m.Channel == alertChan && m.ThreadTS == "" && !m.Ephemeral:
			prefix = "🤖 #okta-alerts"
		case m.Ephemeral:
			prefix = "🤖 " + t.tr("(only to @%s)", "(@%s にのみ表示)", nameOf(m.EphemeralTo))
		case m.ThreadTS != "":
			prefix = "   🧵"
		}
		if v.n > 0 {
			// An edit: show what changed, not the whole message again.
			prefix += " " + t.tr("(updated)", "(更新)")
			body = changedLines(v.before, v.text)
			if body == "" {
				continue // an edit that changed no line a person reads (buttons only, say)
			}
		}
		t.say("%s %s", prefix, indentLines(t.readable(body), "      "))
	}
}

func nameOf(id string) string {
	switch id {
	case requester:
		return "helpdesk"
	case approver:
		return "itmanager"
	case approver2:
		return "secops"
	}
	return id
}

// readable renders Slack mrkdwn roughly the way a person sees it.
func (t *transcript) readable(s string) string {
	s = t.mentionRE.ReplaceAllStringFunc(s, func(m string) string { return "@" + nameOf(t.mentionRE.FindStringSubmatch(m)[1]) })
	s = t.dateRE.ReplaceAllString(s, "$1")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&",
		":red_circle:", "🔴", ":large_yellow_circle:", "🟡", ":large_blue_circle:", "🔵", ":mag:", "🔍",
		":hammer_and_wrench:", "🛠", ":white_check_mark:", "✅", ":x:", "❌", ":arrow_forward:", "▶",
		":hourglass_flowing_sand:", "⏳", ":hourglass:", "⌛", ":no_entry_sign:", "🚫", ":no_entry:", "⛔",
		":ballot_box_with_check:", "☑", ":raising_hand:", "🙋", ":leftwards_arrow_with_hook:", "↩",
		":warning:", "⚠", ":ok_hand:", "👌", ":lock:", "🔒", ":repeat:", "🔁", ":arrows_counterclockwise:", "🔄",
		":rotating_light:", "🚨", ":bar_chart:", "📊", ":busts_in_silhouette:", "👥", ":shield:", "🛡").Replace(s)
}

// changedLines returns the lines of now that were not in before.
func changedLines(before, now string) string {
	had := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		had[l] = true
	}
	var out []string
	for _, l := range strings.Split(now, "\n") {
		if !had[l] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func indentLines(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }
