package remediation

import (
	"context"
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
	// StepRunbook is one manual step of a finding's runbook (work in the Admin Console
	// or at the SaaS): a run of a runbook finding begins with them, then retries.
	StepRunbook StepKind = "runbook"
)

// ErrStale says Okta no longer looks as it did when the plan was approved: the run
// must be planned and approved again.
var ErrStale = errors.New("okta changed since the plan was approved")

// BuildSteps lays out plan p for a snapshot (see docs/background.md). Group-scoped users
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

// stepDef is what a step kind does. Effects are what it changes (or reads), in domain
// terms: the dry run renders them, and a step without its own do applies them in
// order. Check is read-only and says whether the step's effect is already there (used
// when resuming after a crash or a retry); do must be idempotent; undo (nil when there
// is nothing to undo) must be idempotent too.
type stepDef struct {
	title  Text
	manual bool
	// instructions says what a person does for a manual step.
	instructions func(r *Run) Text
	effects      func(r *Run) []Effect
	check        func(ctx context.Context, env stepEnv, r *Run) (bool, error)
	do           func(ctx context.Context, env stepEnv, r *Run) error
	undo         func(ctx context.Context, env stepEnv, r *Run) error
}

// doStep does the step: its own do, or its effects in order.
func (d stepDef) doStep(ctx context.Context, env stepEnv, r *Run) error {
	if d.do != nil {
		return d.do(ctx, env, r)
	}
	for _, ef := range d.effects(r) {
		if err := env.apply(ctx, ef); err != nil {
			return err
		}
	}
	return nil
}

// manualProvisioning is what a person is asked to do for a manual switch (no API call
// exists for it: the app has no Features API).
func manualProvisioning(r *Run, on bool) Text {
	if on {
		return Tf("Admin Console → Applications → %s → Provisioning → To App: turn back on what was on before (Create Users, Update User Attributes, Deactivate Users), then click Done.",
			"管理コンソール → [アプリケーション] → %s → [プロビジョニング] → [To App(アプリへ)]: 元々オンだった設定([ユーザーを作成]、[ユーザー属性を更新]、[ユーザーを無効化])をオンに戻してから「完了」を押してください。", r.Target.AppLabel)
	}
	return Tf("Admin Console → Applications → %s → Provisioning → To App: turn off Create Users, Update User Attributes and Deactivate Users, then click Done.",
		"管理コンソール → [アプリケーション] → %s → [プロビジョニング] → [To App(アプリへ)]: [ユーザーを作成]、[ユーザー属性を更新]、[ユーザーを無効化] をオフにしてから「完了」を押してください。", r.Target.AppLabel)
}

func setCaps(r *Run, c Capabilities) []Effect {
	return []Effect{{Kind: EffectSetProvisioning, AppID: r.Target.AppID, Capabilities: c}}
}

func onAppUser(r *Run, k EffectKind) Effect {
	return Effect{Kind: k, AppID: r.Target.AppID, UserID: r.Target.UserID}
}

func setScope(r *Run, scope string) Effect {
	ef := onAppUser(r, EffectSetScope)
	ef.Scope = scope
	return ef
}

// stepDefs is the catalogue of step kinds.
func stepDefs() map[StepKind]stepDef {
	return map[StepKind]stepDef{
		StepSnapshot: {
			title: T("Re-read the assignment and the provisioning settings; stop if they changed since the approval",
				"割り当てとプロビジョニング設定を再取得し、承認時から変わっていれば中止"),
			effects: func(r *Run) []Effect {
				efs := []Effect{onAppUser(r, EffectReadAppUser)}
				if r.Snapshot.Provisioning != nil {
					efs = append(efs, Effect{Kind: EffectReadProvisioning, AppID: r.Target.AppID})
				}
				return efs
			},
			do: func(ctx context.Context, env stepEnv, r *Run) error {
				// Both reads at once, as a proposal makes them: the dry run lists them,
				// and their order does not matter.
				now, err := env.readSnapshot(ctx, r, r.Snapshot.Provisioning != nil)
				if err != nil {
					return err
				}
				if r.runbookSteps() > 0 {
					// The runbook's manual work may change the app's settings or link
					// the SaaS account: that is its point. Only the assignment the
					// steps rest on must be as approved; the rest is taken as it is now.
					if diff := r.Snapshot.assignmentDiffers(now); diff != "" {
						return fmt.Errorf("%s: %w", diff, ErrStale)
					}
					r.Snapshot.AppUser, r.Snapshot.Provisioning = now.AppUser, now.Provisioning
					return nil
				}
				if diff := r.Snapshot.differs(now); diff != "" {
					return fmt.Errorf("%s: %w", diff, ErrStale)
				}
				return nil
			},
		},
		StepScopeUser: {
			title: T("Make the assignment individual (Assignment master: Administrator (override group))",
				"割り当てを個別の割り当てに変更(割り当てのマスター: 管理者(グループを上書き))"),
			effects: func(r *Run) []Effect { return []Effect{setScope(r, ScopeUser)} },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				au, ok, err := env.isAssigned(ctx, r)
				return ok && au.Scope == ScopeUser, err
			},
			undo: func(ctx context.Context, env stepEnv, r *Run) error {
				if len(r.Snapshot.RegroupIDs) == 0 {
					return nil // no group holds the user any more: it stays individual
				}
				au, ok, err := env.isAssigned(ctx, r)
				if err != nil || !ok || au.Scope == ScopeGroup {
					return err
				}
				return env.apply(ctx, setScope(r, ScopeGroup))
			},
		},
		StepProvisioningOff: {
			title: T("Pause provisioning to the app (Create Users, Update User Attributes, Deactivate Users off), so the next steps push nothing",
				"アプリへのプロビジョニングを一時停止([ユーザーを作成]・[ユーザー属性を更新]・[ユーザーを無効化] をオフ)し、以降の手順で何もプッシュされないようにする"),
			effects: func(r *Run) []Effect { return setCaps(r, r.Snapshot.Provisioning.Capabilities.Off()) },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				return env.sameCaps(ctx, r, r.Snapshot.Provisioning.Capabilities.Off())
			},
			undo: func(ctx context.Context, env stepEnv, r *Run) error { return env.restoreProvisioning(ctx, r) },
		},
		StepProvisioningOffMan: {
			title: T("Pause provisioning by hand in the Admin Console (the app has no Features API)",
				"管理コンソールで手動でプロビジョニングを一時停止(このアプリは Features API に対応していません)"),
			manual:       true,
			instructions: func(r *Run) Text { return manualProvisioning(r, false) },
		},
		StepSaaSReactivate: {
			title: T("Reactivate the Slack account", "Slack アカウントを再有効化"),
			effects: func(r *Run) []Effect {
				return []Effect{{Kind: EffectSetAccountActive, AccountID: r.Snapshot.SaaSUserID, Active: true}}
			},
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				a, err := env.saas.GetAccount(ctx, r.Snapshot.SaaSUserID)
				return err == nil && a.Active, err
			},
			undo: func(ctx context.Context, env stepEnv, r *Run) error {
				return env.apply(ctx, Effect{Kind: EffectSetAccountActive, AccountID: r.Snapshot.SaaSUserID, Active: false})
			},
		},
		StepUnassign: {
			title:   T("Unassign the user from the app", "ユーザーのアプリへの割り当てを解除"),
			effects: func(r *Run) []Effect { return []Effect{onAppUser(r, EffectUnassign)} },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				_, ok, err := env.isAssigned(ctx, r)
				return !ok && err == nil, err
			},
			undo: func(ctx context.Context, env stepEnv, r *Run) error {
				if _, ok, err := env.isAssigned(ctx, r); err != nil || ok {
					return err
				}
				return env.apply(ctx, onAppUser(r, EffectAssign))
			},
		},
		StepAssign: {
			title:   T("Assign the app to the user again", "ユーザーにアプリを再割り当て"),
			effects: func(r *Run) []Effect { return []Effect{onAppUser(r, EffectAssign)} },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				_, ok, err := env.isAssigned(ctx, r)
				return ok, err
			},
		},
		StepExternalIDNull: {
			title: T("Clear the External ID (set it to null) through the API; this assigns the user again",
				"API で外部ID をクリア(null に設定)。これによりユーザーは再び割り当てられます"),
			effects: func(r *Run) []Effect { return []Effect{onAppUser(r, EffectSetExternalID)} },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				au, ok, err := env.isAssigned(ctx, r)
				return ok && au.ExternalID == "", err
			},
		},
		StepExternalIDSet: {
			title: T("Set the External ID to the Slack member ID through the API; this assigns the user again",
				"API で外部ID に Slack のメンバー ID を設定。これによりユーザーは再び割り当てられます"),
			effects: func(r *Run) []Effect {
				ef := onAppUser(r, EffectSetExternalID)
				id := r.Snapshot.SaaSUserID
				ef.ExternalID = &id
				return []Effect{ef}
			},
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				// A fresh GET: the write's own answer may still show null although the
				// write took effect.
				au, ok, err := env.isAssigned(ctx, r)
				return ok && au.ExternalID == r.Snapshot.SaaSUserID, err
			},
		},
		StepRestore: {
			title:   T("Restore the provisioning settings exactly as they were", "プロビジョニング設定を元どおりに戻す"),
			effects: func(r *Run) []Effect { return setCaps(r, r.Snapshot.Provisioning.Capabilities) },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				return env.sameCaps(ctx, r, r.Snapshot.Provisioning.Capabilities)
			},
		},
		StepRestoreMan: {
			title:        T("Turn provisioning back on by hand in the Admin Console, as it was", "管理コンソールで手動でプロビジョニング設定を元どおりに戻す"),
			manual:       true,
			instructions: func(r *Run) Text { return manualProvisioning(r, true) },
		},
		StepRunbook: {
			title:  T("Manual step, done by a person and confirmed with Done", "担当者が手作業で行い、[完了] で確認する手順"),
			manual: true,
		},
		StepScopeGroup: {
			title: T("Return the assignment to group management (Convert assignments)",
				"割り当てをグループによる管理に戻す([割り当てを変換])"),
			effects: func(r *Run) []Effect { return []Effect{setScope(r, ScopeGroup)} },
			check: func(ctx context.Context, env stepEnv, r *Run) (bool, error) {
				au, ok, err := env.isAssigned(ctx, r)
				return ok && au.Scope == ScopeGroup, err
			},
		},
	}
}

// instructions is what a person is asked to do for manual step i of r: the runbook
// text the step carries, or its kind's instructions.
func (r *Run) instructions(i int, def stepDef) Text {
	if s := r.Steps[i]; !s.Instructions.IsZero() {
		return s.Instructions
	}
	if def.instructions != nil {
		return def.instructions(r)
	}
	return Text{}
}

// runbookSteps is how many runbook steps the run begins with.
func (r *Run) runbookSteps() int {
	n := 0
	for n < len(r.Steps) && r.Steps[n].Kind == StepRunbook {
		n++
	}
	return n
}

// inRunbook reports whether the run is still at its runbook's manual steps: it needs no
// turn on the app until the retry begins.
func (r *Run) inRunbook() bool { return r.Cursor >= 0 && r.Cursor < r.runbookSteps() }

// restoreProvisioning puts the snapshot's capabilities back, exactly.
func (env stepEnv) restoreProvisioning(ctx context.Context, r *Run) error {
	if r.Snapshot.Provisioning == nil {
		return nil
	}
	return env.apply(ctx, setCaps(r, r.Snapshot.Provisioning.Capabilities)[0])
}

// pausesProvisioning reports whether the step turns provisioning off: from it until
// the restore, the app-level lock must be held and a restore is owed.
func (k StepKind) pausesProvisioning() bool {
	return k == StepProvisioningOff || k == StepProvisioningOffMan
}

func (k StepKind) restoresProvisioning() bool { return k == StepRestore || k == StepRestoreMan }
