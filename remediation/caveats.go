package remediation

import "strings"

// caveatContext is what decides which known issues of Universal Directory custom user
// types (docs/background.md) apply to a user of a non-default type on an app.
type caveatContext struct {
	user        User
	app         *App
	assignedBy  string // ScopeUser, ScopeGroup, or "" when not assigned
	ruleTouches bool   // an active group rule assigns a group that is assigned to the app
}

// caveat is one known issue of Universal Directory custom user types: Okta validates,
// maps and evaluates many things against the default user type only.
type caveat struct {
	text    Text
	applies func(c caveatContext) bool
}

func always(caveatContext) bool { return true }

func appNamed(names ...string) func(caveatContext) bool {
	return func(c caveatContext) bool {
		if c.app == nil {
			return false
		}
		for _, n := range names {
			if strings.Contains(strings.ToLower(c.app.Name), n) {
				return true
			}
		}
		return false
	}
}

// customTypeCaveats is the catalogue; order is the order users read them in.
func customTypeCaveats() []caveat {
	saml := func(c caveatContext) bool { return c.app != nil && strings.HasPrefix(c.app.SignOnMode, "SAML") }
	return []caveat{
		{T("Group rules are validated only for the default user type and do not run for users of other types: a rule will never put this user in its group.",
			"グループルールはデフォルトのユーザータイプに対してのみ検証され、それ以外のユーザータイプのユーザーには実行されません。ルールによってこのユーザーがグループに追加されることはありません。"),
			func(c caveatContext) bool { return c.ruleTouches }},
		{T("Group app assignments are validated against the default user type, even for attributes that differ between types.",
			"グループによるアプリの割り当ては、デフォルトのユーザータイプに照らして検証されます(ユーザータイプ間で定義が異なる属性についても同様です)。"),
			func(c caveatContext) bool { return c.assignedBy == ScopeGroup || c.ruleTouches }},
		{T("Attribute mappings from AD, LDAP, identity providers and the LDAP/AD provisioning settings are updated only for the default type: a custom type gets no mapping unless one is made by hand in the Profile Editor.",
			"AD・LDAP・IdP からの属性マッピング、および LDAP/AD のプロビジョニング設定画面で設定するマッピングは、デフォルトのユーザータイプに対してのみ更新されます。カスタムのユーザータイプには、プロファイルエディターで手動で作成しない限りマッピングが設定されません。"),
			always},
		{T("Imported users and JIT-created users always get the default user type: check that this user was meant to have a custom type.",
			"インポートした新規ユーザーと JIT で作成されたユーザーは、常にデフォルトのユーザータイプになります。このユーザーが本当にカスタムのユーザータイプであるべきか確認してください。"),
			always},
		{T("SAML assertion mappings are not type-aware (the default type is used), and the sensitive-attribute and SAML username checks consider only the default type.",
			"SAML アサーションのマッピングはユーザータイプを区別せず(デフォルトのユーザータイプが使われます)、機密性の高い属性のチェックと SAML ユーザー名の式の検証もデフォルトのユーザータイプしか考慮しません。"),
			saml},
		{T("Office 365 / SharePoint template updates reach only app instances associated with the default user type.",
			"Office 365 / SharePoint のアプリテンプレートの更新は、デフォルトのユーザータイプに関連付けられたアプリインスタンスにのみ適用されます。"),
			appNamed("office365", "sharepoint")},
		{T("AD import with a partial match on a custom-type user allows only the UPN username format; other formats update the default type's mapping only. RDN attribute checks also run only for the default type.",
			"カスタムのユーザータイプの既存ユーザーと部分一致する AD インポートでは、Okta ユーザー名の形式に UPN しか使えません(他の形式を選ぶと、デフォルトのユーザータイプのマッピングだけが更新されます)。RDN 属性のチェックもデフォルトのユーザータイプに対してのみ行われます。"),
			appNamed("active_directory", "ldap")},
		{T("Identity provider routing rules and inbound federation interpret user properties on the default type only; configure properties used by IdP policies identically on every type.",
			"IdP ルーティングルールとインバウンドフェデレーションでは、ユーザーのプロパティーはデフォルトのユーザータイプだけに基づいて解釈されます。IdP ポリシーで使うプロパティーは、すべてのユーザータイプで同じように構成してください。"),
			always},
		{T("Attributes with the same name must have the same data type across user types.",
			"同じ名前の属性は、すべてのユーザータイプで同じデータ型にする必要があります。"),
			always},
		{T("With self-service registration enabled, every user type's login is forced to match the email address.",
			"セルフサービス登録が有効な場合、すべてのユーザータイプでログイン ID がメールアドレスと一致するよう強制されます。"),
			func(c caveatContext) bool {
				return c.user.Email != "" && strings.EqualFold(c.user.Login, c.user.Email)
			}},
	}
}

func caveatsFor(c caveatContext) []Text {
	var out []Text
	for _, cv := range customTypeCaveats() {
		if cv.applies(c) {
			out = append(out, cv.text)
		}
	}
	return out
}
