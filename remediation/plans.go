package remediation

// PlanID names a fix from the troubleshooting guides (DESIGN §6). Stable: buttons,
// the audit trail and `diagnose --json` carry it.
type PlanID string

// The plans. Group-scope conversion and manual provisioning switches are steps inside
// these plans, not plans of their own.
const (
	// PlanReassign is seed 000 fix 1: unassign the user from the app and assign again.
	PlanReassign PlanID = "reassign"
	// PlanResetExternalID is seed 000 fix 2: provisioning off, unassign, externalId null
	// (which re-assigns), provisioning restored.
	PlanResetExternalID PlanID = "reset_external_id"
	// PlanRelinkSaaSUser is the seed's Slack variant: provisioning off, reactivate the
	// Slack account, unassign, externalId set to the Slack member ID, provisioning restored.
	PlanRelinkSaaSUser PlanID = "relink_saas_user"
)

// Title is the plan's name as users see it.
func (p PlanID) Title() Text {
	switch p {
	case PlanReassign:
		return T("Re-assign the app (fix 1)", "アプリを再アサイン(対処方法 1)")
	case PlanResetExternalID:
		return T("Reset the External ID (fix 2)", "External ID をリセット(対処方法 2)")
	case PlanRelinkSaaSUser:
		return T("Reactivate and relink the Slack user", "Slack ユーザーを再有効化して再紐付け")
	default:
		return T(string(p), string(p))
	}
}

// Known reports whether p is one of the plans above.
func (p PlanID) Known() bool {
	switch p {
	case PlanReassign, PlanResetExternalID, PlanRelinkSaaSUser:
		return true
	}
	return false
}
