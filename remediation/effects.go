package remediation

import (
	"context"
	"errors"
	"fmt"
)

// The domain describes what a step does to Okta or the SaaS as effects; the adapters
// that will make the calls render them as HTTP requests for the dry run (CallRenderer),
// so the dry run approvers read is what the adapters send. Wire formats (paths, JSON
// bodies) live in the adapters only.

// EffectKind names one effect.
type EffectKind string

// The effects.
const (
	EffectReadAppUser      EffectKind = "read_app_user"      // read the assignment
	EffectReadProvisioning EffectKind = "read_provisioning"  // read USER_PROVISIONING
	EffectSetProvisioning  EffectKind = "set_provisioning"   // write these capabilities, exactly
	EffectSetScope         EffectKind = "set_scope"          // USER (individual) or GROUP
	EffectUnassign         EffectKind = "unassign"           // remove the individual assignment
	EffectAssign           EffectKind = "assign"             // assign individually
	EffectSetExternalID    EffectKind = "set_external_id"    // nil ExternalID: null
	EffectSetAccountActive EffectKind = "set_account_active" // reactivate or deactivate the SaaS account
)

// SaaS reports whether the effect is on the SaaS side (rendered by its adapter).
func (k EffectKind) SaaS() bool { return k == EffectSetAccountActive }

// Effect is one change (or read) a step makes, in domain terms.
type Effect struct {
	Kind   EffectKind
	AppID  string
	UserID string
	// Capabilities for set_provisioning.
	Capabilities Capabilities
	// Scope for set_scope: ScopeUser or ScopeGroup.
	Scope string
	// ExternalID for set_external_id; nil writes null.
	ExternalID *string
	// AccountID and Active for set_account_active.
	AccountID string
	Active    bool
}

// Call is one HTTP request as an adapter will send it: method, path (no host) and the
// JSON body ("" when there is none).
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body,omitempty"`
}

// String is the call as the dry run shows it: "POST /path {json}".
func (c Call) String() string {
	s := c.Method + " " + c.Path
	if c.Body != "" {
		s += " " + c.Body
	}
	return s
}

// CallRenderer renders an effect as the exact HTTP calls its adapter makes for it.
type CallRenderer interface {
	RenderCalls(ef Effect) ([]Call, error)
}

// stepEnv is what a step works through: the Okta and SaaS ports, nothing else of the
// engine.
type stepEnv struct {
	okta OktaWriter
	saas SaaSDirectory
}

// apply makes one write effect through the ports.
func (env stepEnv) apply(ctx context.Context, ef Effect) error {
	var err error
	switch ef.Kind {
	case EffectSetProvisioning:
		_, err = env.okta.SetProvisioning(ctx, ef.AppID, ef.Capabilities)
	case EffectSetScope:
		_, err = env.okta.SetAppUserScope(ctx, ef.AppID, ef.UserID, ef.Scope)
	case EffectUnassign:
		err = env.okta.UnassignUser(ctx, ef.AppID, ef.UserID)
		if errors.Is(err, ErrNotFound) {
			err = nil // already unassigned: the effect is there
		}
	case EffectAssign:
		_, err = env.okta.AssignUser(ctx, ef.AppID, ef.UserID)
	case EffectSetExternalID:
		_, err = env.okta.SetExternalID(ctx, ef.AppID, ef.UserID, ef.ExternalID)
	case EffectSetAccountActive:
		err = env.saas.SetActive(ctx, ef.AccountID, ef.Active)
	default:
		err = fmt.Errorf("effect %s is not a write: %w", ef.Kind, ErrPermanent)
	}
	return err
}

// isAssigned reads whether the user is assigned, and the assignment.
func (env stepEnv) isAssigned(ctx context.Context, r *Run) (AppUser, bool, error) {
	au, err := env.okta.GetAppUser(ctx, r.Target.AppID, r.Target.UserID)
	if errors.Is(err, ErrNotFound) {
		return AppUser{}, false, nil
	}
	return au, err == nil, err
}

func (env stepEnv) sameCaps(ctx context.Context, r *Run, want Capabilities) (bool, error) {
	p, err := env.okta.GetProvisioning(ctx, r.Target.AppID)
	if err != nil {
		return false, err
	}
	return p.Capabilities == want, nil
}

// Describe names the capabilities as the Admin Console's Provisioning → To App page
// does, each with its state: what a person restores by hand.
func (c Capabilities) Describe() Text {
	type item struct {
		en, ja, status string
	}
	items := []item{
		{"Create Users", "ユーザーを作成", c.LifecycleCreate},
		{"Update User Attributes", "ユーザー属性を更新", c.Profile},
		{"Deactivate Users", "ユーザーを無効化", c.LifecycleDeactivate},
		{"Sync Password", "パスワードを同期", c.Password.Status},
	}
	var out Text
	for _, it := range items {
		if it.status == "" {
			continue
		}
		on := T("off", "オフ")
		if it.status == Enabled {
			on = T("on", "オン")
		}
		if !out.IsZero() {
			out.EN += ", "
			out.JA += "、"
		}
		out.EN += it.en + ": " + on.EN
		out.JA += it.ja + ": " + on.JA
	}
	if out.IsZero() {
		return T("(no capability)", "(設定項目なし)")
	}
	return out
}
