package remediation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// The step kinds. Plans are sequences of these (see BuildSteps).
const (
	StepSnapshot           StepKind = "snapshot"
	StepScopeUser          StepKind = "scope_user"
	StepProvisioningOff    StepKind = "provisioning_off"
	StepProvisioningOffMan StepKind = "provisioning_off_manual"
	StepSaaSReactivate     StepKind = "saas_reactivate"
	StepUnassign           StepKind = "unassign"
	StepAssign             StepKind = "assign"
	StepExternalIDNull     StepKind = "external_id_null"
	StepExternalIDSet      StepKind = "external_id_set"
	StepRestore            StepKind = "provisioning_restore"
	StepRestoreMan         StepKind = "provisioning_restore_manual"
	StepScopeGroup         StepKind = "scope_group"
)

// ErrStale says Okta no longer looks as it did when the plan was approved: the run
// must be planned and approved again.
var ErrStale = errors.New("okta changed since the plan was approved")

// BuildSteps lays out plan p for a snapshot (DESIGN §6, seed 000). Group-scoped users
// are made individual first and returned to their group at the end when a group of the
// app still holds them; apps without the Features API get manual provisioning switches.
func BuildSteps(p PlanID, s Snapshot) ([]StepKind, error) {
	off, restore := StepProvisioningOff, StepRestore
	if s.Provisioning == nil {
		off, restore = StepProvisioningOffMan, StepRestoreMan
	}
	steps := []StepKind{StepSnapshot}
	group := s.AppUser.Scope == ScopeGroup
	if group {
		steps = append(steps, StepScopeUser)
	}
	switch p {
	case PlanReassign:
		steps = append(steps, StepUnassign, StepAssign)
	case PlanResetExternalID:
		steps = append(steps, off, StepUnassign, StepExternalIDNull, restore)
	case PlanRelinkSaaSUser:
		if s.SaaSUserID == "" {
			return nil, fmt.Errorf("relink_saas_user: the Slack account of the user was not found: %w", ErrPermanent)
		}
		steps = append(steps, off, StepSaaSReactivate, StepUnassign, StepExternalIDSet, restore)
	default:
		return nil, fmt.Errorf("unknown plan %q: %w", p, ErrPermanent)
	}
	if group && len(s.RegroupIDs) > 0 {
		steps = append(steps, StepScopeGroup)
	}
	return steps, nil
}

// stepDef is what a step kind does. Check is read-only and says whether the step's
// effect is already there (used when resuming after a crash or a retry); Do must be
// idempotent; Undo (nil when there is nothing to undo) must be idempotent too.
type stepDef struct {
	title  Text
	manual bool
	// calls lists the exact API calls (none for a manual step); instructions says what a
	// person does for a manual one.
	calls        func(r *Run) []string
	instructions func(r *Run) Text
	check        func(ctx context.Context, e *Engine, r *Run) (bool, error)
	do           func(ctx context.Context, e *Engine, r *Run) error
	undo         func(ctx context.Context, e *Engine, r *Run) error
}

func appUserPath(r *Run) string {
	return "/api/v1/apps/" + r.Target.AppID + "/users/" + r.Target.UserID
}

func featurePath(r *Run) string {
	return "/api/v1/apps/" + r.Target.AppID + "/features/USER_PROVISIONING"
}

// CapabilitiesJSON renders capabilities as the Features API's CapabilitiesObject body.
func CapabilitiesJSON(c Capabilities) string {
	status := func(s string) map[string]string { return map[string]string{"status": s} }
	create, update := map[string]any{}, map[string]any{}
	if c.LifecycleCreate != "" {
		create["lifecycleCreate"] = status(c.LifecycleCreate)
	}
	if c.Profile != "" {
		update["profile"] = status(c.Profile)
	}
	if c.LifecycleDeactivate != "" {
		update["lifecycleDeactivate"] = status(c.LifecycleDeactivate)
	}
	if c.Password.Status != "" {
		pw := map[string]string{"status": c.Password.Status}
		if c.Password.Seed != "" {
			pw["seed"] = c.Password.Seed
		}
		if c.Password.Change != "" {
			pw["change"] = c.Password.Change
		}
		update["password"] = pw
	}
	body := map[string]any{}
	if len(create) > 0 {
		body["create"] = create
	}
	if len(update) > 0 {
		body["update"] = update
	}
	b, _ := json.Marshal(body) // maps of strings always marshal
	return string(b)
}

// isAssigned reads whether the user is assigned, and the assignment.
func isAssigned(ctx context.Context, e *Engine, r *Run) (AppUser, bool, error) {
	au, err := e.Okta.GetAppUser(ctx, r.Target.AppID, r.Target.UserID)
	if errors.Is(err, ErrNotFound) {
		return AppUser{}, false, nil
	}
	return au, err == nil, err
}

func sameCaps(ctx context.Context, e *Engine, r *Run, want Capabilities) (bool, error) {
	p, err := e.Okta.GetProvisioning(ctx, r.Target.AppID)
	if err != nil {
		return false, err
	}
	return p.Capabilities == want, nil
}

// manualProvisioning is what a person is asked to do for a manual switch (no API call
// exists for it: the app has no Features API).
func manualProvisioning(r *Run, on bool) Text {
	if on {
		return Tf("Admin Console → Applications → %s → Provisioning → To App: turn back on what was on before (Create Users, Update User Attributes, Deactivate Users), then click Done.",
			"管理コンソール → Applications → %s → Provisioning → To App: 元々オンだった設定(Create Users、Update User Attributes、Deactivate Users)をオンに戻してから「完了」を押してください。", r.Target.AppLabel)
	}
	return Tf("Admin Console → Applications → %s → Provisioning → To App: turn off Create Users, Update User Attributes and Deactivate Users, then click Done.",
		"管理コンソール → Applications → %s → Provisioning → To App: Create Users、Update User Attributes、Deactivate Users をオフにしてから「完了」を押してください。", r.Target.AppLabel)
}

// stepDefs is the catalogue of step kinds.
func stepDefs() map[StepKind]stepDef {
	return map[StepKind]stepDef{
		StepSnapshot: {
			title: T("Re-read the app user and USER_PROVISIONING; stop if they changed since approval", "アプリユーザーと USER_PROVISIONING を再取得し、承認時から変わっていれば中止"),
			calls: func(r *Run) []string {
				c := []string{"GET " + appUserPath(r)}
				if r.Snapshot.Provisioning != nil {
					c = append(c, "GET "+featurePath(r))
				}
				return c
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				now, err := e.readSnapshot(ctx, r)
				if err != nil {
					return err
				}
				if diff := r.Snapshot.differs(now); diff != "" {
					return fmt.Errorf("%s: %w", diff, ErrStale)
				}
				return nil
			},
		},
		StepScopeUser: {
			title: T("Make the assignment individual (Assignment master: Administrator (override group))", "アサインを個別に変更(Assignment master:Administrator(override group))"),
			calls: func(r *Run) []string { return []string{"POST " + appUserPath(r) + ` {"scope":"USER"}`} },
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				au, ok, err := isAssigned(ctx, e, r)
				return ok && au.Scope == ScopeUser, err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				_, err := e.Okta.SetAppUserScope(ctx, r.Target.AppID, r.Target.UserID, ScopeUser)
				return err
			},
			undo: func(ctx context.Context, e *Engine, r *Run) error {
				if len(r.Snapshot.RegroupIDs) == 0 {
					return nil // no group holds the user any more: it stays individual
				}
				au, ok, err := isAssigned(ctx, e, r)
				if err != nil || !ok || au.Scope == ScopeGroup {
					return err
				}
				_, err = e.Okta.SetAppUserScope(ctx, r.Target.AppID, r.Target.UserID, ScopeGroup)
				return err
			},
		},
		StepProvisioningOff: {
			title: T("Turn provisioning to the app off (seed 000 fix 2 step 3)", "アプリへのプロビジョニングをオフ(対処方法 2 手順 3)"),
			calls: func(r *Run) []string {
				return []string{"PUT " + featurePath(r) + " " + CapabilitiesJSON(r.Snapshot.Provisioning.Capabilities.Off())}
			},
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				return sameCaps(ctx, e, r, r.Snapshot.Provisioning.Capabilities.Off())
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				_, err := e.Okta.SetProvisioning(ctx, r.Target.AppID, r.Snapshot.Provisioning.Capabilities.Off())
				return err
			},
			undo: func(ctx context.Context, e *Engine, r *Run) error { return e.restoreProvisioning(ctx, r) },
		},
		StepProvisioningOffMan: {
			title:        T("Turn provisioning off by hand in the Admin Console (the app has no Features API)", "管理コンソールで手動でプロビジョニングをオフ(Features API 非対応)"),
			manual:       true,
			calls:        func(*Run) []string { return nil },
			instructions: func(r *Run) Text { return manualProvisioning(r, false) },
		},
		StepSaaSReactivate: {
			title: T("Reactivate the Slack account (SCIM)", "Slack アカウントを再有効化(SCIM)"),
			calls: func(r *Run) []string {
				return []string{"PATCH {SLACK_SCIM_URL}Users/" + r.Snapshot.SaaSUserID + ` {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`}
			},
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				a, err := e.saas().GetAccount(ctx, r.Snapshot.SaaSUserID)
				return err == nil && a.Active, err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				return e.saas().SetActive(ctx, r.Snapshot.SaaSUserID, true)
			},
			undo: func(ctx context.Context, e *Engine, r *Run) error {
				return e.saas().SetActive(ctx, r.Snapshot.SaaSUserID, false)
			},
		},
		StepUnassign: {
			title: T("Unassign the user from the app", "ユーザーのアプリのアサインを外す"),
			calls: func(r *Run) []string { return []string{"DELETE " + appUserPath(r)} },
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				_, ok, err := isAssigned(ctx, e, r)
				return !ok && err == nil, err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				err := e.Okta.UnassignUser(ctx, r.Target.AppID, r.Target.UserID)
				if errors.Is(err, ErrNotFound) {
					return nil // already unassigned: the effect is there
				}
				return err
			},
			undo: func(ctx context.Context, e *Engine, r *Run) error {
				if _, ok, err := isAssigned(ctx, e, r); err != nil || ok {
					return err
				}
				_, err := e.Okta.AssignUser(ctx, r.Target.AppID, r.Target.UserID)
				return err
			},
		},
		StepAssign: {
			title: T("Assign the app to the user again", "ユーザーにアプリを再アサイン"),
			calls: func(r *Run) []string {
				return []string{"POST /api/v1/apps/" + r.Target.AppID + `/users {"id":"` + r.Target.UserID + `","scope":"USER"}`}
			},
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				_, ok, err := isAssigned(ctx, e, r)
				return ok, err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				_, err := e.Okta.AssignUser(ctx, r.Target.AppID, r.Target.UserID)
				return err
			},
		},
		StepExternalIDNull: {
			title: T("Set the External ID to null through the API (this re-assigns the user)", "API で External ID を null に設定(ユーザーは自動的に再アサインされます)"),
			calls: func(r *Run) []string { return []string{"POST " + appUserPath(r) + ` {"externalId":null}`} },
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				au, ok, err := isAssigned(ctx, e, r)
				return ok && au.ExternalID == "", err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				_, err := e.Okta.SetExternalID(ctx, r.Target.AppID, r.Target.UserID, nil)
				return err
			},
		},
		StepExternalIDSet: {
			title: T("Set the External ID to the Slack member ID through the API (this re-assigns the user)", "API で External ID に Slack のメンバー ID を設定(ユーザーは自動的に再アサインされます)"),
			calls: func(r *Run) []string {
				return []string{"POST " + appUserPath(r) + ` {"externalId":"` + r.Snapshot.SaaSUserID + `"}`}
			},
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				// A fresh GET: the POST's own answer may still show null (seed 000).
				au, ok, err := isAssigned(ctx, e, r)
				return ok && au.ExternalID == r.Snapshot.SaaSUserID, err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				id := r.Snapshot.SaaSUserID
				_, err := e.Okta.SetExternalID(ctx, r.Target.AppID, r.Target.UserID, &id)
				return err
			},
		},
		StepRestore: {
			title: T("Restore provisioning exactly as it was (seed 000 fix 2 step 6)", "プロビジョニング設定を元どおりに戻す(対処方法 2 手順 6)"),
			calls: func(r *Run) []string {
				return []string{"PUT " + featurePath(r) + " " + CapabilitiesJSON(r.Snapshot.Provisioning.Capabilities)}
			},
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				return sameCaps(ctx, e, r, r.Snapshot.Provisioning.Capabilities)
			},
			do: func(ctx context.Context, e *Engine, r *Run) error { return e.restoreProvisioning(ctx, r) },
		},
		StepRestoreMan: {
			title:        T("Turn provisioning back on by hand in the Admin Console, as it was", "管理コンソールで手動でプロビジョニングを元どおりに戻す"),
			manual:       true,
			calls:        func(*Run) []string { return nil },
			instructions: func(r *Run) Text { return manualProvisioning(r, true) },
		},
		StepScopeGroup: {
			title: T("Return the assignment to group management (Convert assignments)", "アサインをグループ管理に戻す(Convert assignments)"),
			calls: func(r *Run) []string { return []string{"POST " + appUserPath(r) + ` {"scope":"GROUP"}`} },
			check: func(ctx context.Context, e *Engine, r *Run) (bool, error) {
				au, ok, err := isAssigned(ctx, e, r)
				return ok && au.Scope == ScopeGroup, err
			},
			do: func(ctx context.Context, e *Engine, r *Run) error {
				_, err := e.Okta.SetAppUserScope(ctx, r.Target.AppID, r.Target.UserID, ScopeGroup)
				return err
			},
		},
	}
}

// DryRunStep is one step as shown before approval: its title and the exact API calls
// it will make, or, for a manual step, what a person will be asked to do.
type DryRunStep struct {
	Number       int      `json:"number"`
	Kind         StepKind `json:"kind"`
	Title        Text     `json:"title"`
	Manual       bool     `json:"manual,omitempty"`
	Calls        []string `json:"calls"`
	Instructions Text     `json:"instructions,omitzero"`
}

// DryRun renders the run's plan without doing anything.
func DryRun(r *Run) []DryRunStep {
	defs := stepDefs()
	out := make([]DryRunStep, len(r.Steps))
	for i, s := range r.Steps {
		d := defs[s.Kind]
		out[i] = DryRunStep{Number: i + 1, Kind: s.Kind, Title: d.title, Manual: d.manual, Calls: d.calls(r)}
		if d.instructions != nil {
			out[i].Instructions = d.instructions(r)
		}
	}
	return out
}

// pausesProvisioning reports whether the step turns provisioning off: from it until
// the restore, the app-level lock must be held and a restore is owed.
func (k StepKind) pausesProvisioning() bool {
	return k == StepProvisioningOff || k == StepProvisioningOffMan
}

func (k StepKind) restoresProvisioning() bool { return k == StepRestore || k == StepRestoreMan }
