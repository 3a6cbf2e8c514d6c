package slacksim

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits Slack enforces (docs.slack.dev/reference/block-kit): a message
// holds 50 blocks, a modal 100; section text 3000 characters, section fields 10 of
// 2000; header 150; button text 75, value 2000, url 3000; action_id and block_id
// 255; an actions block 25 elements; a context block 10.
const (
	maxMessageBlocks  = 50
	maxViewBlocks     = 100
	maxSectionText    = 3000
	maxSectionFields  = 10
	maxFieldText      = 2000
	maxHeaderText     = 150
	maxButtonText     = 75
	maxButtonValue    = 2000
	maxButtonURL      = 3000
	maxID             = 255
	maxActionElements = 25
	maxContextElems   = 10
	maxMarkdownText   = 12000
	maxViewTitle      = 24
	maxLabelText      = 2000
)

// blockErrors is the outcome of validating a blocks array: Slack answers
// invalid_blocks_format when the JSON is not an array of objects and
// invalid_blocks, with one message per violation, when it breaks a rule.
type blockErrors struct {
	format bool
	msgs   []string // without Slack's "[ERROR] " prefix
}

func (e *blockErrors) add(format string, args ...any) {
	e.msgs = append(e.msgs, fmt.Sprintf(format, args...))
}

func (e *blockErrors) ok() bool { return !e.format && len(e.msgs) == 0 }

// validateBlocks checks raw against Slack's Block Kit rules. ptr is the JSON pointer
// of the array in Slack's error messages ("/blocks" for messages, "/view/blocks"
// for modals); inModal allows input blocks.
func validateBlocks(raw json.RawMessage, ptr string, maxBlocks int, inModal bool) blockErrors {
	var errs blockErrors
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		errs.format = true
		return errs
	}
	if len(blocks) > maxBlocks {
		errs.add("no more than %d items allowed [json-pointer:%s]", maxBlocks, ptr)
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		bp := fmt.Sprintf("%s/%d", ptr, i)
		block, ok := b.(map[string]any)
		if !ok {
			errs.format = true
			return errs
		}
		if id, ok := block["block_id"].(string); ok {
			if runeLen(id) > maxID {
				errs.add("must be less than %d characters [json-pointer:%s/block_id]", maxID+1, bp)
			}
			// Slack rejects a message whose block_ids collide; the wording of its
			// message for this case is not documented, this one follows the pattern
			// of the others.
			if blockIDs[id] {
				errs.add("duplicate block_id [json-pointer:%s/block_id]", bp)
			}
			blockIDs[id] = true
		}
		validateBlock(&errs, block, bp, inModal)
	}
	return errs
}

func validateBlock(errs *blockErrors, block map[string]any, bp string, inModal bool) {
	typ, _ := block["type"].(string)
	switch typ {
	case "section":
		text, hasText := block["text"]
		fields, hasFields := block["fields"].([]any)
		if !hasText && !hasFields {
			errs.add("failed to match all allowed schemas [json-pointer:%s]", bp)
			return
		}
		if hasText {
			validateText(errs, text, bp+"/text", maxSectionText, false)
		}
		if hasFields {
			if len(fields) > maxSectionFields {
				errs.add("no more than %d items allowed [json-pointer:%s/fields]", maxSectionFields, bp)
			}
			for j, f := range fields {
				validateText(errs, f, fmt.Sprintf("%s/fields/%d", bp, j), maxFieldText, false)
			}
		}
		if acc, ok := block["accessory"].(map[string]any); ok {
			validateElement(errs, acc, bp+"/accessory", map[string]bool{})
		}
	case "header":
		validateText(errs, block["text"], bp+"/text", maxHeaderText, true)
	case "divider", "file", "video", "call", "table", "rich_text":
		// Nothing the bot renders depends on their inner rules.
	case "context":
		elems, _ := block["elements"].([]any)
		if len(elems) == 0 {
			errs.add("must provide at least 1 items [json-pointer:%s/elements]", bp)
		}
		if len(elems) > maxContextElems {
			errs.add("no more than %d items allowed [json-pointer:%s/elements]", maxContextElems, bp)
		}
		for j, e := range elems {
			if m, ok := e.(map[string]any); ok && (m["type"] == "mrkdwn" || m["type"] == "plain_text") {
				validateText(errs, m, fmt.Sprintf("%s/elements/%d", bp, j), maxSectionText, false)
			}
		}
	case "actions":
		elems, _ := block["elements"].([]any)
		if len(elems) == 0 {
			errs.add("must provide at least 1 items [json-pointer:%s/elements]", bp)
		}
		if len(elems) > maxActionElements {
			errs.add("no more than %d items allowed [json-pointer:%s/elements]", maxActionElements, bp)
		}
		// An action_id must be unique among the action_ids of its block (Slack's
		// button reference); the same action_id in different blocks is allowed.
		seen := map[string]bool{}
		for j, e := range elems {
			m, ok := e.(map[string]any)
			if !ok {
				errs.add("failed to match all allowed schemas [json-pointer:%s/elements/%d]", bp, j)
				continue
			}
			validateElement(errs, m, fmt.Sprintf("%s/elements/%d", bp, j), seen)
		}
	case "image":
		if _, ok := block["alt_text"].(string); !ok {
			errs.add("must provide a string [json-pointer:%s/alt_text]", bp)
		}
	case "markdown":
		s, ok := block["text"].(string)
		if !ok || s == "" {
			errs.add("must be more than 0 characters [json-pointer:%s/text]", bp)
		} else if runeLen(s) > maxMarkdownText {
			errs.add("must be less than %d characters [json-pointer:%s/text]", maxMarkdownText+1, bp)
		}
	case "input":
		if !inModal {
			errs.add("unsupported type: input [json-pointer:%s/type]", bp)
			return
		}
		validateText(errs, block["label"], bp+"/label", maxLabelText, true)
		el, ok := block["element"].(map[string]any)
		if !ok {
			errs.add("failed to match all allowed schemas [json-pointer:%s/element]", bp)
			return
		}
		validateElement(errs, el, bp+"/element", map[string]bool{})
	default:
		errs.add("failed to match all allowed schemas [json-pointer:%s]", bp)
	}
}

// validateText checks a text object: type plain_text or mrkdwn, 1..max characters.
func validateText(errs *blockErrors, v any, ptr string, max int, plainOnly bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		errs.add("failed to match all allowed schemas [json-pointer:%s]", ptr)
		return
	}
	typ, _ := obj["type"].(string)
	if typ != "plain_text" && (plainOnly || typ != "mrkdwn") {
		errs.add("failed to match all allowed schemas [json-pointer:%s]", ptr)
		if plainOnly {
			errs.add("must be one of [plain_text] [json-pointer:%s/type]", ptr)
		}
		return
	}
	s, ok := obj["text"].(string)
	switch {
	case !ok || s == "":
		errs.add("failed to match all allowed schemas [json-pointer:%s]", ptr)
		errs.add("must be more than 0 characters [json-pointer:%s/text]", ptr)
	case runeLen(s) > max:
		errs.add("failed to match all allowed schemas [json-pointer:%s]", ptr)
		errs.add("must be less than %d characters [json-pointer:%s/text]", max+1, ptr)
	}
}

func validateElement(errs *blockErrors, el map[string]any, ptr string, seen map[string]bool) {
	if id, ok := el["action_id"].(string); ok {
		if runeLen(id) > maxID {
			errs.add("must be less than %d characters [json-pointer:%s/action_id]", maxID+1, ptr)
		}
		if seen[id] {
			errs.add("duplicate action_id [json-pointer:%s/action_id]", ptr)
		}
		seen[id] = true
	}
	if el["type"] != "button" {
		return
	}
	validateText(errs, el["text"], ptr+"/text", maxButtonText, true)
	if v, ok := el["value"].(string); ok && runeLen(v) > maxButtonValue {
		errs.add("must be less than %d characters [json-pointer:%s/value]", maxButtonValue+1, ptr)
	}
	if u, ok := el["url"].(string); ok && runeLen(u) > maxButtonURL {
		errs.add("must be less than %d characters [json-pointer:%s/url]", maxButtonURL+1, ptr)
	}
	if s, ok := el["style"].(string); ok && s != "primary" && s != "danger" {
		errs.add("must be one of [primary, danger] [json-pointer:%s/style]", ptr)
	}
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// decodeBlocks parses a blocks array leniently, for reading what was stored.
func decodeBlocks(raw json.RawMessage) []map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil
	}
	return blocks
}

func blockButtons(raw json.RawMessage) []Button {
	var out []Button
	for _, b := range decodeBlocks(raw) {
		blockID, _ := b["block_id"].(string)
		var elems []any
		if b["type"] == "actions" {
			elems, _ = b["elements"].([]any)
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			elems = append(elems, acc)
		}
		for _, e := range elems {
			m, ok := e.(map[string]any)
			if !ok || m["type"] != "button" {
				continue
			}
			btn := Button{BlockID: blockID}
			btn.ActionID, _ = m["action_id"].(string)
			btn.Value, _ = m["value"].(string)
			btn.Style, _ = m["style"].(string)
			btn.URL, _ = m["url"].(string)
			btn.Text = textOf(m["text"])
			out = append(out, btn)
		}
	}
	return out
}

func textOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["text"].(string)
		return s
	}
	return ""
}

func blockTexts(raw json.RawMessage) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, b := range decodeBlocks(raw) {
		switch b["type"] {
		case "section":
			add(textOf(b["text"]))
			fields, _ := b["fields"].([]any)
			for _, f := range fields {
				add(textOf(f))
			}
			add(textOf(mapOf(b["accessory"])["text"]))
		case "header":
			add(textOf(b["text"]))
		case "context", "actions":
			elems, _ := b["elements"].([]any)
			for _, e := range elems {
				m := mapOf(e)
				if s, ok := m["text"].(string); ok {
					add(s)
				} else {
					add(textOf(m["text"]))
				}
			}
		case "markdown":
			s, _ := b["text"].(string)
			add(s)
		case "rich_text":
			var sb strings.Builder
			richText(&sb, b["elements"])
			add(sb.String())
		}
	}
	return out
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// richText flattens rich_text elements: text runs, links, mentions.
func richText(sb *strings.Builder, v any) {
	elems, _ := v.([]any)
	for _, e := range elems {
		m := mapOf(e)
		switch m["type"] {
		case "text", "link":
			s, _ := m["text"].(string)
			if s == "" {
				s, _ = m["url"].(string)
			}
			sb.WriteString(s)
		case "user":
			id, _ := m["user_id"].(string)
			sb.WriteString("<@" + id + ">")
		case "channel":
			id, _ := m["channel_id"].(string)
			sb.WriteString("<#" + id + ">")
		default:
			richText(sb, m["elements"])
			if m["type"] == "rich_text_section" || m["type"] == "rich_text_preformatted" || m["type"] == "rich_text_quote" {
				sb.WriteString("\n")
			}
		}
	}
}
