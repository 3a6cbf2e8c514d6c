package remediation

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// Provisioning event types (DESIGN §3).
const (
	evProvisionPrefix = "application.provision.user."
	evPush            = "application.provision.user.push"
	evPushProfile     = "application.provision.user.push_profile"
	evReactivate      = "application.provision.user.reactivate"
	evMembershipAdd   = "application.user_membership.add"
)

// Evaluate runs the findings catalogue over the facts. It is pure: same facts, same
// findings. now is the time the diagnosis is made.
func Evaluate(f *Facts, now time.Time) Diagnosis {
	d := Diagnosis{User: f.User, At: now, Apps: []App{}, Findings: []Finding{}}
	d.Gaps = gaps(f)
	userActive := isActive(f.User.Status)
	if !userActive {
		d.Findings = append(d.Findings, userNotActive(f.User))
	}
	if len(f.Apps) == 0 {
		d.Findings = append(d.Findings, Finding{
			Code:     NotAssigned,
			Severity: SevWarning,
			Summary:  Tf("%s has no app assignments in Okta.", "%s には Okta でアプリが 1 つも割り当てられていません。", f.User.Login),
			Evidence: []Evidence{{Kind: EvAssignment, Label: T("Assignments", "割り当て"), Value: "0"}},
			Plans:    []PlanID{},
			Advice:   T("Assign the app to the user (or to a group the user is in) in Okta.", "Okta でユーザー(またはユーザーが所属するグループ)にアプリを割り当ててください。"),
		})
	}
	for i := range f.Apps {
		af := &f.Apps[i]
		d.Apps = append(d.Apps, af.App)
		found := appFindings(f, af)
		if len(found) == 0 && userActive {
			found = append(found, healthy(af))
		}
		d.Findings = append(d.Findings, found...)
	}
	return d
}

func isActive(status string) bool {
	switch status {
	case UserActive, UserLockedOut, UserPasswordExp, UserRecovery:
		// Locked-out, password-expired and recovering users are still provisioned.
		return true
	}
	return false
}

func gaps(f *Facts) []Text {
	var out []Text
	add := func(err error, what Text) {
		if err != nil {
			out = append(out, Text{EN: what.EN + " could not be read: " + err.Error(), JA: what.JA + " を読み取れませんでした: " + err.Error()})
		}
	}
	add(f.LogsErr, T("The System Log", "System Log(システムログ)"))
	add(f.TypesErr, T("The user types", "ユーザータイプ"))
	add(f.RulesErr, T("The group rules", "グループルール"))
	add(f.UserGroupsErr, T("The user's groups", "ユーザーのグループ"))
	for _, a := range f.Apps {
		if a.ProvisioningErr != nil && !errors.Is(a.ProvisioningErr, ErrUnsupported) {
			add(a.ProvisioningErr, Tf("The provisioning settings of %s", "%s のプロビジョニング設定", a.App.Label))
		}
		add(a.AppGroupsErr, Tf("The groups assigned to %s", "%s に割り当てられたグループ", a.App.Label))
	}
	if f.MoreApps > 0 {
		out = append(out, Tf("%d more apps were not checked; name an app to diagnose it.",
			"ほかに %d 個のアプリは確認していません。アプリを指定して診断してください。", f.MoreApps))
	}
	return out
}

func userNotActive(u User) Finding {
	return Finding{
		Code:     OktaUserNotActive,
		Severity: SevError,
		Summary: Tf("%s is %s in Okta: Okta provisions no app for a user who is not active.",
			"%s は Okta 上で %s 状態です。アクティブでないユーザーにはアプリのプロビジョニングが行われません。", u.Login, u.Status),
		Evidence: []Evidence{{Kind: EvUserStatus, Label: T("Okta user status", "Okta ユーザーのステータス"), Value: u.Status}},
		Plans:    []PlanID{},
		Advice: T("Reactivate (or unsuspend) the user in Okta first, then diagnose again.",
			"まず Okta でユーザーを有効化(または一時停止を解除)してから、再度診断してください。"),
	}
}

func healthy(af *AppFacts) Finding {
	app := af.App
	ev := []Evidence{
		{Kind: EvSyncState, Label: T("Sync state", "同期状態"), Value: af.AppUser.SyncState},
		externalIDEvidence(af.AppUser.ExternalID, Text{}),
	}
	if af.AppUser.LastSync != nil {
		ev = append(ev, Evidence{Kind: EvSyncState, Label: T("Last sync", "最終同期"), Value: af.AppUser.LastSync.UTC().Format(time.RFC3339)})
	}
	return Finding{
		Code:     Healthy,
		Severity: SevInfo,
		App:      &app,
		Summary:  Tf("No provisioning problem found on %s.", "%s でプロビジョニングの問題は見つかりませんでした。", app.Label),
		Evidence: ev,
		Plans:    []PlanID{},
	}
}

func externalIDEvidence(id string, note Text) Evidence {
	v := id
	if v == "" {
		v = "null"
	}
	return Evidence{Kind: EvExternalID, Label: T("externalId in Okta", "Okta 上の外部ID(externalId)"), Value: v, Note: note}
}

// appFindings runs the catalogue for one app.
func appFindings(f *Facts, af *AppFacts) []Finding {
	app := af.App
	var out []Finding
	userType, custom := customType(f)
	appGroupIDs := map[string]bool{}
	for _, g := range af.AppGroups {
		appGroupIDs[g.GroupID] = true
	}
	inGroup := map[string]Group{}
	for _, g := range f.UserGroups {
		inGroup[g.ID] = g
	}

	if af.AppUser == nil {
		na := Finding{
			Code:     NotAssigned,
			Severity: SevError,
			App:      &app,
			Summary:  Tf("%s is not assigned to %s, so Okta provisions nothing there.", "%s は %s に割り当てられていないため、プロビジョニングは行われません。", f.User.Login, app.Label),
			Evidence: []Evidence{{Kind: EvAssignment, Label: T("Assignment", "割り当て"), Value: "none"}},
			Plans:    []PlanID{},
			Advice: Tf("Assign %s to the user, directly or through a group the user is in.",
				"%s をユーザーに直接、またはユーザーが所属するグループ経由で割り当ててください。", app.Label),
		}
		if len(af.AppGroups) > 0 && f.UserGroupsErr == nil {
			na.Evidence = append(na.Evidence, Evidence{Kind: EvGroups, Label: T("Groups assigned to the app", "アプリに割り当てられたグループ"),
				Value: strings.Join(groupIDs(af.AppGroups), ", "), Note: T("the user is in none of them", "ユーザーはいずれにも所属していません")})
		}
		out = append(out, na)
		if custom {
			out = append(out, customTypeFinding(f, af, userType, inGroup, appGroupIDs))
		}
		return out
	}

	au := af.AppUser
	failure, repeated := latestFailure(f.Logs, f.User, app, au.SyncState)
	var primary *Finding
	var m Match
	recognized := false
	if failure != nil {
		m, recognized = RecognizeEvent(*failure)
	}
	switch {
	case recognized && m.Code == StaleExternalID:
		primary = staleExternalID(f, af, *failure, m, repeated)
	case recognized && m.Code == SaaSUserDeactivated:
		primary = saasDeactivated(f, af, *failure)
	case recognized:
		primary = newCause(f, af, *failure, m)
	}
	wide := appWideFindings(f, af, primary, failure)
	if primary == nil && (failure != nil || au.SyncState == SyncError) && len(wide) == 0 {
		primary = syncErrorOther(f, af, failure)
	}
	if primary != nil {
		proposeRetry(primary)
	}
	for i := range wide {
		proposeRetry(&wide[i])
	}
	if primary != nil {
		out = append(out, *primary)
	}
	out = append(out, wide...)
	if p := af.Provisioning; p != nil && !connectionOff(af) && (p.Status == Disabled || !p.Capabilities.Pushing()) {
		out = append(out, provisioningDisabled(af))
	}
	// Every plan unassigns the user, which a group-scoped assignment does not allow.
	if primary != nil && len(primary.Plans) > 0 && au.Scope == ScopeGroup {
		out = append(out, groupScoped(f, af, inGroup, appGroupIDs))
	}
	if primary != nil && togglesProvisioning(primary.Plans) && errors.Is(af.ProvisioningErr, ErrUnsupported) {
		out = append(out, featuresUnsupported(af))
	}
	if custom && len(out) > 0 {
		out = append(out, customTypeFinding(f, af, userType, inGroup, appGroupIDs))
	}
	return out
}

func togglesProvisioning(plans []PlanID) bool {
	for _, p := range plans {
		if p == PlanResetExternalID || p == PlanRelinkSaaSUser {
			return true
		}
	}
	return false
}

// latestFailure returns the most recent provisioning FAILURE for the app that no later
// successful push has superseded (unless Okta still shows the sync in ERROR), and
// whether the same failure happened again after the user was re-assigned in between
// (the re-assignment was tried and did not help).
func latestFailure(logs []LogEvent, user User, app App, syncState string) (*LogEvent, bool) {
	var evs []LogEvent
	for _, e := range logs {
		if aboutApp(e, app) && aboutUser(e, user) {
			evs = append(evs, e)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Published.After(evs[j].Published) })
	idx := -1
	for i, e := range evs {
		if !strings.HasPrefix(e.EventType, evProvisionPrefix) {
			continue
		}
		if e.Result == "FAILURE" {
			idx = i
			break
		}
		// A reactivation is how a re-assignment links the account it had again.
		if e.Result == "SUCCESS" && (e.EventType == evPush || e.EventType == evPushProfile || e.EventType == evReactivate) && syncState != SyncError {
			return nil, false
		}
	}
	if idx < 0 {
		return nil, false
	}
	failure := evs[idx]
	// Fix 1 tried: an earlier failure of the same kind, with a re-assignment between.
	reassigned := false
	for _, e := range evs[idx+1:] {
		if e.EventType == evMembershipAdd || (e.EventType == evPush && e.Result != "FAILURE") {
			reassigned = true
			continue
		}
		if reassigned && e.Result == "FAILURE" && sameFailure(e, failure) {
			return &failure, true
		}
	}
	return &failure, false
}

func sameFailure(a, b LogEvent) bool {
	ma, oka := RecognizeEvent(a)
	mb, okb := RecognizeEvent(b)
	if oka && okb {
		return ma.Code == mb.Code && ma.ExternalID == mb.ExternalID
	}
	return a.Message() == b.Message()
}

// aboutUser reports whether a System Log event concerns user: the query asked Okta for
// the user's events, but an answer that ignored the filter must not pin another
// user's failure on them.
func aboutUser(e LogEvent, u User) bool {
	if e.HasTarget(u.ID) {
		return true
	}
	for _, t := range e.Targets {
		if t.Type == "User" && u.Login != "" && strings.EqualFold(t.AlternateID, u.Login) {
			return true
		}
	}
	return false
}

// aboutApp reports whether a System Log event concerns app: by target ID, by the app
// instance's name in the targets, or by the "to app <label>" of Okta's push messages.
func aboutApp(e LogEvent, app App) bool {
	if e.HasTarget(app.ID) {
		return true
	}
	for _, t := range e.Targets {
		if t.Type == "AppInstance" && (t.DisplayName == app.Label || t.AlternateID == app.Label) {
			return true
		}
	}
	if app.Label == "" {
		return false
	}
	needle := strings.ToLower(" to app " + app.Label + " ")
	return strings.Contains(strings.ToLower(e.Reason), needle) || strings.Contains(strings.ToLower(e.DisplayMessage), needle)
}

func logEvidence(e LogEvent) Evidence {
	t := e.Published
	return Evidence{
		Kind:          EvSystemLog,
		Label:         T("System Log", "System Log"),
		Value:         e.Result + ": " + failureMessage(e),
		Time:          &t,
		EventType:     e.EventType,
		TransactionID: e.TransactionID,
	}
}

func staleExternalID(f *Facts, af *AppFacts, failure LogEvent, m Match, fix1Tried bool) *Finding {
	app, au := af.App, af.AppUser
	inMessage := m.ExternalID
	fd := &Finding{
		Code:     StaleExternalID,
		Severity: SevError,
		App:      &app,
		// The ID itself stays in the evidence: summaries are shown in channels.
		Summary: Tf("The %s account of %s was deleted on the SaaS side, but Okta still pushes to its old external ID (\"No user returned for user\").",
			"%s 側で %s のアカウントが削除されていますが、Okta は古い外部ID に対してプッシュを続けています(\"No user returned for user\")。",
			app.Label, f.User.Login),
		Evidence: []Evidence{logEvidence(failure)},
	}
	switch {
	case au.ExternalID == inMessage:
		fd.Evidence = append(fd.Evidence, externalIDEvidence(au.ExternalID,
			T("matches the ID in the error message", "エラーメッセージに含まれる ID と一致します")))
		if fix1Tried {
			fd.Plans = []PlanID{PlanResetExternalID}
			fd.Advice = T("Re-assigning was already tried and the push failed again: reset the external ID.",
				"再割り当てはすでに試されており、その後もプッシュに失敗しています。外部ID をリセットしてください。")
		} else {
			fd.Plans = []PlanID{PlanReassign, PlanResetExternalID}
			fd.Advice = T("Try re-assigning first; if the push still fails, reset the external ID.",
				"まず再割り当てを試し、それでも失敗する場合は外部ID をリセットしてください。")
		}
	case au.ExternalID == "":
		fd.Evidence = append(fd.Evidence, externalIDEvidence("",
			T("Okta no longer holds an external ID: a re-assignment creates a new account", "Okta は外部ID を保持していません。再割り当てで新しいアカウントが作成されます")))
		fd.Plans = []PlanID{PlanReassign}
	default:
		fd.Evidence = append(fd.Evidence, externalIDEvidence(au.ExternalID,
			Tf("differs from the ID in the error message (%s): the failure may concern an earlier account; diagnose again after the next push",
				"エラーメッセージの ID(%s)と一致しません。以前のアカウントに関するエラーの可能性があります。次回のプッシュ後に再度診断してください", inMessage)))
		fd.Plans = []PlanID{PlanReassign}
	}
	fd.Evidence = append(fd.Evidence, Evidence{Kind: EvSyncState, Label: T("Sync state", "同期状態"), Value: au.SyncState})
	if fix1Tried {
		fd.Evidence = append(fd.Evidence, Evidence{Kind: EvSystemLog, Label: T("History", "履歴"),
			Value: "", Note: T("the same failure happened again after a re-assignment", "再割り当て後にも同じエラーが発生しています")})
	}
	return fd
}

func saasDeactivated(f *Facts, af *AppFacts, failure LogEvent) *Finding {
	app, au := af.App, af.AppUser
	fd := &Finding{
		Code:     SaaSUserDeactivated,
		Severity: SevError,
		App:      &app,
		Summary: Tf("The %s account of %s is deactivated on the SaaS side (\"User account is inactive\"); Okta holds no external ID for it.",
			"%s 側で %s のアカウントが解除(無効化)されています(\"User account is inactive\")。Okta は外部ID を保持していません。",
			app.Label, f.User.Login),
		Evidence: []Evidence{logEvidence(failure), externalIDEvidence(au.ExternalID, Text{})},
		Plans:    []PlanID{},
	}
	deactivate := ""
	if af.Provisioning != nil {
		deactivate = af.Provisioning.Capabilities.LifecycleDeactivate
		fd.Evidence = append(fd.Evidence, Evidence{Kind: EvProvisioning, Label: T("Deactivate Users", "[Deactivate Users(ユーザーを非アクティブ化)]"), Value: orUnknown(deactivate)})
	}
	switch {
	case deactivate == Enabled:
		fd.Plans = []PlanID{PlanReassign}
		fd.Advice = T("\"Deactivate Users\" is enabled, so re-assigning reactivates the account.",
			"[Deactivate Users(ユーザーを無効化)] が有効なため、再割り当てでアカウントが再有効化されます。")
	case strings.EqualFold(app.Name, "slack"):
		fd.Plans = []PlanID{PlanRelinkSaaSUser}
		fd.Advice = T("\"Deactivate Users\" is disabled: reactivate the Slack user and set the external ID to the Slack member ID. Use this only if your organisation cannot enable \"Deactivate Users\"; otherwise enable it and re-assign.",
			"[Deactivate Users(ユーザーを無効化)] が無効です。Slack で解除済みのユーザーを再有効化し、外部ID に Slack のメンバー ID を設定します。この方法は [Deactivate Users(ユーザーを無効化)] を有効にできない組織向けです。有効にできる場合は、有効にしてから再割り当てしてください。")
	default:
		fd.Advice = Tf("Reactivate the account in %s, then re-assign the app in Okta.", "%s でアカウントを再有効化してから、Okta でアプリを再割り当てしてください。", app.Label)
	}
	return fd
}

func syncErrorOther(f *Facts, af *AppFacts, failure *LogEvent) *Finding {
	app, au := af.App, af.AppUser
	fd := &Finding{
		Code:     SyncErrorOther,
		Severity: SevError,
		App:      &app,
		Summary:  Tf("Provisioning of %s to %s failed for a reason the bot does not recognise.", "%s の %s へのプロビジョニングが、ボットでは判別できない理由で失敗しています。", f.User.Login, app.Label),
		Evidence: []Evidence{{Kind: EvSyncState, Label: T("Sync state", "同期状態"), Value: au.SyncState}, externalIDEvidence(au.ExternalID, Text{})},
		Plans:    []PlanID{PlanReassign},
		Advice: T("Read the error in the System Log; re-assigning the app is the usual first step.",
			"System Log のエラー内容を確認してください。通常はまずアプリの再割り当てを試します。"),
	}
	if failure != nil {
		fd.Evidence = append([]Evidence{logEvidence(*failure)}, fd.Evidence...)
	} else if f.LogsErr != nil {
		fd.Evidence = append(fd.Evidence, Evidence{Kind: EvSystemLog, Label: T("System Log", "System Log"), Value: "unreadable",
			Note: T("the System Log could not be read, so the cause is unknown", "System Log を読み取れないため原因は不明です")})
	}
	return fd
}

func provisioningDisabled(af *AppFacts) Finding {
	app, p := af.App, af.Provisioning
	sev := SevWarning
	if af.AppUser.ExternalID == "" {
		sev = SevError
	}
	c := p.Capabilities
	return Finding{
		Code:     ProvisioningDisabled,
		Severity: sev,
		App:      &app,
		Summary: Tf("Provisioning to %s is off (Create Users and Update User Attributes are disabled), so Okta pushes nothing there.",
			"%s へのプロビジョニングがオフです([Create Users(ユーザーを作成)] と [Update User Attributes(ユーザー属性を更新)] が無効)。Okta からは何もプッシュされません。", app.Label),
		Evidence: []Evidence{
			{Kind: EvProvisioning, Label: T("USER_PROVISIONING", "USER_PROVISIONING"), Value: orUnknown(p.Status)},
			{Kind: EvProvisioning, Label: T("Create Users", "[Create Users(ユーザーを作成)]"), Value: orUnknown(c.LifecycleCreate)},
			{Kind: EvProvisioning, Label: T("Update User Attributes", "[Update User Attributes(ユーザー属性を更新)]"), Value: orUnknown(c.Profile)},
			{Kind: EvProvisioning, Label: T("Deactivate Users", "[Deactivate Users(ユーザーを非アクティブ化)]"), Value: orUnknown(c.LifecycleDeactivate)},
			{Kind: EvSyncState, Label: T("Sync state", "同期状態"), Value: af.AppUser.SyncState},
			externalIDEvidence(af.AppUser.ExternalID, Text{}),
		},
		Plans: []PlanID{},
		Advice: Tf("If provisioning to %s is meant to be on, enable it in the Admin Console under Provisioning → To App; if it was turned off on purpose (for example while a fix is running), leave it.",
			"%s へのプロビジョニングを有効にするべき場合は、管理コンソールの [Provisioning(プロビジョニング)] → [To App(アプリへ)] で有効にしてください。意図的にオフにしている場合(対処の実行中など)はそのままにしてください。", app.Label),
	}
}

func groupScoped(f *Facts, af *AppFacts, inGroup map[string]Group, appGroupIDs map[string]bool) Finding {
	app := af.App
	var holding []string
	for id := range appGroupIDs {
		if g, ok := inGroup[id]; ok {
			holding = append(holding, g.Name+" ("+g.ID+")")
		}
	}
	sort.Strings(holding)
	fd := Finding{
		Code:     GroupScopedAssignment,
		Severity: SevWarning,
		App:      &app,
		Summary: Tf("%s gets %s through a group, so the assignment cannot be removed on its own: the fix first makes it individual (\"Assignment master: Administrator (override group)\") and afterwards returns it to group management (\"Convert assignments\").",
			"%s への %s の割り当てはグループ経由のため、そのままでは解除できません。対処の前に個別の割り当てに変更し([Assignment master] を「Administrator (override group)」に設定)、解消後に [Convert assignments] でグループ管理に戻します。",
			f.User.Login, app.Label),
		Evidence: []Evidence{{Kind: EvScope, Label: T("Assignment scope", "割り当ての種類"), Value: ScopeGroup}},
		Plans:    []PlanID{},
	}
	if len(holding) > 0 {
		fd.Evidence = append(fd.Evidence, Evidence{Kind: EvGroups, Label: T("App groups holding the user", "ユーザーが所属するアプリのグループ"), Value: strings.Join(holding, ", ")})
	} else if f.UserGroupsErr == nil && af.AppGroupsErr == nil {
		fd.Evidence = append(fd.Evidence, Evidence{Kind: EvGroups, Label: T("App groups holding the user", "ユーザーが所属するアプリのグループ"), Value: "none",
			Note: T("no group assigned to the app still holds the user: the assignment will stay individual", "アプリに割り当てられたグループにユーザーが所属していないため、割り当ては個別のまま残ります")})
	}
	return fd
}

func featuresUnsupported(af *AppFacts) Finding {
	app := af.App
	return Finding{
		Code:     FeaturesAPIUnsupport,
		Severity: SevInfo,
		App:      &app,
		Summary: Tf("%s does not support Okta's Features API: turning provisioning off and on again will be manual steps in the Admin Console, which the bot will ask a named person to do and confirm.",
			"%s は Okta の Features API に対応していません。プロビジョニングのオフ/オンは管理コンソールでの手動手順となり、ボットが担当者に依頼して完了の確認を求めます。", app.Label),
		Evidence: []Evidence{{Kind: EvProvisioning, Label: T("Features API", "Features API"), Value: "unsupported", Note: T(errString(af.ProvisioningErr), errString(af.ProvisioningErr))}},
		Plans:    []PlanID{},
	}
}

// customType returns the user's type and whether it is not the default one.
func customType(f *Facts) (UserType, bool) {
	if f.TypesErr != nil || f.User.TypeID == "" {
		return UserType{}, false
	}
	for _, t := range f.Types {
		if t.ID == f.User.TypeID {
			return t, !t.Default
		}
	}
	return UserType{ID: f.User.TypeID, Name: f.User.TypeID}, false
}

func customTypeFinding(f *Facts, af *AppFacts, t UserType, inGroup map[string]Group, appGroupIDs map[string]bool) Finding {
	app := af.App
	name := t.DisplayName
	if name == "" {
		name = t.Name
	}
	fd := Finding{
		Code:     CustomUserType,
		Severity: SevWarning,
		App:      &app,
		Summary: Tf("%s is of the custom user type %q; several Okta features work only for the default type, which often explains an app or group that never arrives.",
			"%s はカスタムのユーザータイプ %q です。Okta の一部の機能はデフォルトのタイプでしか動作せず、アプリやグループが届かない原因であることがよくあります。", f.User.Login, name),
		Evidence: []Evidence{{Kind: EvUserType, Label: T("User type", "ユーザータイプ"), Value: name + " (" + t.ID + ", default: false)"}},
		Plans:    []PlanID{},
	}
	ruleTouches := false
	for _, r := range f.Rules {
		if r.Status != "ACTIVE" {
			continue
		}
		for _, gid := range r.GroupIDs {
			if !appGroupIDs[gid] {
				continue
			}
			ruleTouches = true
			if _, member := inGroup[gid]; !member && af.AppUser == nil {
				fd.Severity = SevError
				fd.Summary = Tf("%s is of the custom user type %q: group rule %q would put the user in group %s, which is assigned to %s, but group rules do not run for non-default user types.",
					"%s はカスタムのユーザータイプ %q です。グループルール %q によりグループ %s(%s に割り当て済み)に追加されるはずですが、グループルールはデフォルト以外のユーザータイプに対しては実行されません。",
					f.User.Login, name, r.Name, gid, app.Label)
				fd.Evidence = append(fd.Evidence, Evidence{Kind: EvGroupRule, Label: T("Group rule", "グループルール"),
					Value: r.Name + " (" + r.ID + "): " + r.Expression + " → " + gid,
					Note:  T("the user is not in the group", "ユーザーはこのグループに所属していません")})
				fd.Advice = T("Add the user to the group by hand (or change the user's type to the default); group rules will not do it.",
					"ユーザーを手動でグループに追加してください(またはユーザータイプをデフォルトに変更)。グループルールでは追加されません。")
			}
		}
	}
	scope := ""
	if af.AppUser != nil {
		scope = af.AppUser.Scope
	}
	fd.Caveats = caveatsFor(caveatContext{user: f.User, app: &app, assignedBy: scope, ruleTouches: ruleTouches})
	return fd
}

func groupIDs(gs []AppGroup) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.GroupID
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
