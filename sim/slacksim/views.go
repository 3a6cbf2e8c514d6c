package slacksim

import (
	"encoding/json"
	"fmt"
)

// parseView checks a view payload the way Slack does for modals; problems come back
// as invalid_arguments with "[ERROR] … [json-pointer:/view/…]" messages.
func parseView(raw string) (map[string]any, *apiError) {
	var v map[string]any
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil {
		return nil, &apiError{code: "invalid_arguments", msgs: []string{"[ERROR] failed to match all allowed schemas [json-pointer:/view]"}}
	}
	var errs blockErrors
	if v["type"] != "modal" {
		errs.add("must be one of [modal] [json-pointer:/view/type]")
	}
	validateText(&errs, v["title"], "/view/title", maxViewTitle, true)
	for _, k := range []string{"submit", "close"} {
		if _, ok := v[k]; ok {
			validateText(&errs, v[k], "/view/"+k, maxViewTitle, true)
		}
	}
	blocks, _ := json.Marshal(v["blocks"])
	if _, ok := v["blocks"].([]any); !ok {
		errs.add("failed to match all allowed schemas [json-pointer:/view/blocks]")
	} else if be := validateBlocks(blocks, "/view/blocks", maxViewBlocks, true); !be.ok() {
		if be.format {
			errs.add("failed to match all allowed schemas [json-pointer:/view/blocks]")
		}
		errs.msgs = append(errs.msgs, be.msgs...)
	}
	if pm, _ := v["private_metadata"].(string); runeLen(pm) > 3000 {
		errs.add("must be less than 3001 characters [json-pointer:/view/private_metadata]")
	}
	if !errs.ok() {
		aerr := &apiError{code: "invalid_arguments"}
		for _, m := range errs.msgs {
			aerr.msgs = append(aerr.msgs, "[ERROR] "+m)
		}
		return nil, aerr
	}
	return v, nil
}

func (w *Workspace) viewJSON(v *View) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(v.Raw, &out)
	out["id"] = v.ID
	out["team_id"] = w.opts.TeamID
	out["state"] = map[string]any{"values": map[string]any{}}
	out["hash"] = v.Hash
	out["root_view_id"] = v.ID
	out["previous_view_id"] = nil
	out["app_id"] = w.opts.AppID
	out["bot_id"] = w.opts.BotID
	out["app_installed_team_id"] = w.opts.TeamID
	for _, k := range []string{"private_metadata", "callback_id", "external_id"} {
		if _, ok := out[k]; !ok {
			out[k] = ""
		}
	}
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, ok := out[k]; !ok {
			out[k] = false
		}
	}
	return out
}

func (w *Workspace) fillView(v *View, spec map[string]any, raw string) {
	v.Raw = json.RawMessage(raw)
	v.Blocks, _ = json.Marshal(spec["blocks"])
	v.Title = textOf(spec["title"])
	v.CallbackID, _ = spec["callback_id"].(string)
	v.PrivateMetadata, _ = spec["private_metadata"].(string)
	if ext, ok := spec["external_id"].(string); ok {
		v.ExternalID = ext
	}
	v.Hash = fmt.Sprintf("%d.%s", w.now().Unix(), randomHex(4))
}

func (w *Workspace) viewsOpen(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.triggers[p["trigger_id"]]
	switch {
	case !ok:
		return nil, fail("invalid_trigger_id")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case w.now().Sub(t.issued) > triggerTTL:
		return nil, fail("expired_trigger_id")
	}
	spec, aerr := parseView(p["view"])
	if aerr != nil {
		return nil, aerr
	}
	if ext, _ := spec["external_id"].(string); ext != "" {
		for _, v := range w.viewSeq {
			if v.ExternalID == ext {
				return nil, fail("duplicate_external_id")
			}
		}
	}
	t.used = true
	v := &View{ID: w.newIDLocked("V"), UserID: t.user, OpenedAt: w.now()}
	w.fillView(v, spec, p["view"])
	w.views[v.ID] = v
	w.viewSeq = append(w.viewSeq, v)
	w.notifyLocked()
	return map[string]any{"view": w.viewJSON(v)}, nil
}

func (w *Workspace) viewsUpdate(p params) (map[string]any, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var v *View
	if id := p["view_id"]; id != "" {
		v = w.views[id]
	} else if ext := p["external_id"]; ext != "" {
		for _, cand := range w.viewSeq {
			if cand.ExternalID == ext {
				v = cand
			}
		}
	} else {
		return nil, &apiError{code: "invalid_arguments", msgs: []string{"[ERROR] either view_id or external_id is required"}}
	}
	if v == nil || v.Closed {
		return nil, fail("not_found")
	}
	if h := p["hash"]; h != "" && h != v.Hash {
		return nil, fail("hash_conflict")
	}
	spec, aerr := parseView(p["view"])
	if aerr != nil {
		return nil, aerr
	}
	w.fillView(v, spec, p["view"])
	v.Updates++
	w.notifyLocked()
	return map[string]any{"view": w.viewJSON(v)}, nil
}
