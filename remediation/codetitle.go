package remediation

// Title is the code's cause in a few words, for a summary line per code (a scan, an
// alert); the finding's Summary says it for one user.
func (c Code) Title() Text {
	switch c {
	case StaleExternalID:
		return T("SaaS account deleted; Okta still pushes to its old external ID", "SaaS 側のアカウントが削除済み(Okta は古い外部ID にプッシュを継続)")
	case SaaSUserDeactivated:
		return T("SaaS account deactivated", "SaaS 側のアカウントが無効化済み")
	case GroupScopedAssignment:
		return T("Assigned through a group", "グループ経由の割り当て")
	case CustomUserType:
		return T("Custom user type", "カスタムのユーザータイプ")
	case ProvisioningDisabled:
		return T("Provisioning to the app is off", "アプリへのプロビジョニングがオフ")
	case FeaturesAPIUnsupport:
		return T("No Features API for this app", "このアプリは Features API 非対応")
	case NotAssigned:
		return T("Not assigned", "未割り当て")
	case OktaUserNotActive:
		return T("Okta user not active", "Okta ユーザーがアクティブではない")
	case SyncErrorOther:
		return T("Provisioning failed for an unrecognised reason", "判別できない理由でプロビジョニングに失敗")
	case Healthy:
		return T("No problem found", "問題なし")
	case AppCredentialsInvalid:
		return T("The app's provisioning credentials are refused", "アプリのプロビジョニング用の認証情報が拒否されている")
	case MatchingUserNotFound:
		return T("Matching user not found in the SaaS", "SaaS 側に一致するユーザーが見つからない")
	case SaaSAccountConflict:
		return T("A conflicting account already exists in the SaaS", "SaaS 側に競合するアカウントが既に存在")
	case AssignedBeforeProvisioning:
		return T("Assigned before provisioning was enabled", "プロビジョニング有効化前に割り当て済み")
	case AttributeRejected:
		return T("An attribute value is rejected by the SaaS", "属性の値が SaaS 側で拒否されている")
	case SaaSRateLimited:
		return T("The SaaS rate-limits Okta", "SaaS 側で Okta がレート制限を受けている")
	case ProvisioningConnectionDisabled:
		return T("The app's provisioning connection is disabled", "アプリのプロビジョニング接続が無効")
	}
	return T(string(c), string(c))
}
