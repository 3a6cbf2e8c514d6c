package remediation

// PlanID names a fix from the troubleshooting guides. Stable: buttons,
// the audit trail and `diagnose --json` carry it.
type PlanID string

// The plans. Group-scope conversion and manual provisioning switches are steps inside
// these plans, not plans of their own.
const (
	// PlanReassign unassigns the user from the app and assigns them again (the first
	// procedure of docs/background.md).
	PlanReassign PlanID = "reassign"
	// PlanResetExternalID resets the External ID with provisioning paused: provisioning
	// off, unassign, externalId null (which re-assigns), provisioning restored.
	PlanResetExternalID PlanID = "reset_external_id"
	// PlanRelinkSaaSUser relinks a deactivated Slack account: provisioning off,
	// reactivate the Slack account, unassign, externalId set to the Slack member ID,
	// provisioning restored.
	PlanRelinkSaaSUser PlanID = "relink_saas_user"
)

// Title is the plan's name as users see it.
func (p PlanID) Title() Text {
	switch p {
	case PlanReassign:
		return T("Re-assign the app", "アプリを再割り当て")
	case PlanResetExternalID:
		return T("Reset the External ID with provisioning paused", "プロビジョニングを一時停止して外部ID をリセット")
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
