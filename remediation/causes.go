package remediation

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// The failures beyond the two troubleshooting articles: refused app credentials, a
// disabled connection, "Matching user not found", a conflicting account, an assignment
// older than provisioning, a rejected attribute, the SaaS rate-limiting Okta. Each is
// recognised from the System Log (match.go) or the app's connection, and fixed by a
// plan where Okta's API allows it, or else by a runbook: the steps a person does in the
// Admin Console or at the SaaS, followed by the retry.

// Connection is the app's default provisioning connection, as Okta's Application
// Connections API reports it.
type Connection struct {
	Status     string `json:"status"` // ENABLED, DISABLED or UNKNOWN
	AuthScheme string `json:"auth_scheme,omitempty"`
}

// ConnectionUnknown is the status of an app whose connection cannot be read (no
// provisioning, or an app type without the endpoint).
const ConnectionUnknown = "UNKNOWN"

// Event types of the app's integration: they target the app, not the user.
const (
	evIntegrationAuthFailure = "application.integration.authentication_failure"
	evIntegrationRateLimit   = "application.integration.rate_limit_exceeded"
)

// appWideFindings are the causes that lie in the app's integration rather than in the
// user: the connection switched off, the app's credentials refused (seen on the app's
// own events), the SaaS rate-limiting Okta. primary is the user's own finding, if any;
// an app-wide event of the same cause joins its evidence instead of repeating it.
func appWideFindings(f *Facts, af *AppFacts, primary *Finding, failure *LogEvent) []Finding {
	var out []Finding
	if connectionOff(af) {
		out = append(out, connectionDisabled(f, af))
	}
	lastOK := lastSuccess(f.Logs, af.App)
	for _, typ := range []string{evIntegrationAuthFailure, evIntegrationRateLimit} {
		evs := integrationEvents(f.Logs, af.App, typ, lastOK)
		code := AppCredentialsInvalid
		if typ == evIntegrationRateLimit {
			code = SaaSRateLimited
			evs = nearFailure(evs, failure)
		}
		if len(evs) == 0 {
			continue
		}
		if primary != nil && primary.Code == code {
			primary.Evidence = append(primary.Evidence, integrationEvidence(evs)...)
			continue
		}
		userFailed := failure != nil || (af.AppUser != nil && af.AppUser.SyncState == SyncError)
		if code == SaaSRateLimited && (primary != nil || !userFailed) {
			// A limit the user's push did not hit, or a failure already explained, is
			// not this user's rate limit.
			continue
		}
		var fd *Finding
		if code == AppCredentialsInvalid {
			fd = credentialsInvalid(f, af, nil)
		} else {
			fd = rateLimited(f, af, nil)
		}
		fd.Evidence = append(integrationEvidence(evs), fd.Evidence...)
		out = append(out, *fd)
	}
	return out
}

// connectionOff reports whether the app's provisioning connection is switched off. A
// DISABLED connection whose scheme is UNKNOWN is how Okta may describe an app without
// provisioning at all; it counts only when the app's provisioning settings could be
// read (the app does provision).
func connectionOff(af *AppFacts) bool {
	c := af.Connection
	return c != nil && c.Status == Disabled && (c.AuthScheme != ConnectionUnknown || af.Provisioning != nil)
}

// lastSuccess is the time of the latest successful provisioning event on app, or zero.
func lastSuccess(logs []LogEvent, app App) time.Time {
	var t time.Time
	for _, e := range logs {
		if e.Result == "SUCCESS" && strings.HasPrefix(e.EventType, evProvisionPrefix) && aboutApp(e, app) && e.Published.After(t) {
			t = e.Published
		}
	}
	return t
}

// nearFailure keeps the events within a few minutes of the user's failure (all of
// them when the failure itself was not read).
func nearFailure(evs []LogEvent, failure *LogEvent) []LogEvent {
	if failure == nil {
		return evs
	}
	const window = 15 * time.Minute
	var out []LogEvent
	for _, e := range evs {
		if d := e.Published.Sub(failure.Published); d > -window && d < window {
			out = append(out, e)
		}
	}
	return out
}

// integrationEvents returns app's events of type typ after since, newest first.
func integrationEvents(logs []LogEvent, app App, typ string, since time.Time) []LogEvent {
	var out []LogEvent
	for _, e := range logs {
		if e.EventType == typ && e.Result != "SUCCESS" && e.HasTarget(app.ID) && e.Published.After(since) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Published.After(out[j].Published) })
	return out
}

// integrationEvidence cites the newest event and says how many there were.
func integrationEvidence(evs []LogEvent) []Evidence {
	ev := logEvidence(evs[0])
	ev.Note = T("an event on the app itself, not on one user", "ユーザー単位ではなく、アプリ自体に記録されたイベントです")
	out := []Evidence{ev}
	if len(evs) > 1 {
		out = append(out, Evidence{Kind: EvAffected, Label: T("Events of this kind on the app", "アプリ上の同種のイベント"),
			Value: strconv.Itoa(len(evs)), Note: Tf("since %s", "%s 以降", evs[len(evs)-1].Published.UTC().Format(time.RFC3339))})
	}
	return out
}

// newCause builds the finding of a recognised failure beyond the two articles.
func newCause(f *Facts, af *AppFacts, failure LogEvent, m Match) *Finding {
	var fd *Finding
	switch m.Code {
	case AppCredentialsInvalid:
		fd = credentialsInvalid(f, af, &failure)
	case SaaSRateLimited:
		fd = rateLimited(f, af, &failure)
	case MatchingUserNotFound:
		fd = matchingUserNotFound(f, af, failure)
	case SaaSAccountConflict:
		fd = accountConflict(f, af, failure)
	case AssignedBeforeProvisioning:
		fd = assignedBeforeProvisioning(f, af, failure)
	case AttributeRejected:
		fd = attributeRejected(f, af, failure, m)
	default:
		return nil
	}
	return fd
}

func syncStateEvidence(au *AppUser) Evidence {
	v := ""
	if au != nil {
		v = au.SyncState
	}
	return Evidence{Kind: EvSyncState, Label: T("Sync state", "同期状態"), Value: orUnknown(v)}
}

// proposeRetry makes a runbook finding propose its retry: the run of that plan starts
// with the runbook's manual steps, each confirmed by a person, and then retries.
func proposeRetry(fd *Finding) {
	if len(fd.Runbook) > 0 && fd.Retry != "" && len(fd.Plans) == 0 {
		fd.Plans = []PlanID{fd.Retry}
	}
}

// appWideNote is what every app-wide finding says plainly.
func appWideNote(app string) Text {
	return Tf("This is not about one user: every user of %s is affected, and re-assigning a user will not help until the integration is fixed.",
		"これは特定のユーザーの問題ではありません。%s のすべてのユーザーに影響しており、連携を修正するまではユーザーを再割り当てしても解決しません。", app)
}

// Admin Console paths, written once. In Japanese the English label comes first, as the
// console shows it in English, with the Japanese console's wording after it.
func consoleApp(app string) Text {
	return Tf("Applications → Applications → %s", "[Applications(アプリケーション)] → [Applications(アプリケーション)] → %s", app)
}

func retryAdvice(app string) Text {
	return Tf("Then retry the users whose provisioning to %s failed: in the Admin Console under Dashboard → Tasks, or by re-assigning them.",
		"その後、%s へのプロビジョニングに失敗したユーザーを再試行します。管理コンソールの [Dashboard(ダッシュボード)] → [Tasks(タスク)] で再試行するか、ユーザーを再割り当てしてください。", app)
}

func credentialsInvalid(f *Facts, af *AppFacts, failure *LogEvent) *Finding {
	app := af.App
	fd := &Finding{
		Code:     AppCredentialsInvalid,
		Severity: SevError,
		App:      &app,
		AppWide:  true,
		Summary: Tf("%s refuses Okta's provisioning credentials (the API token or the account Okta connects with is invalid, expired or disabled). %s",
			"%s が Okta のプロビジョニング用の認証情報を拒否しています(Okta が接続に使う API トークンまたはアカウントが無効、期限切れ、または無効化されています)。%s",
			app.Label, appWideNote(app.Label)),
		Plans: []PlanID{},
		Retry: PlanReassign,
		Runbook: []Text{
			Tf("In the Admin Console, open %s → Provisioning → Integration and click Edit.",
				"管理コンソールで %s → [Provisioning(プロビジョニング)] → [Integration(統合)] を開き、[Edit(編集)] をクリックします。", consoleApp(app.Label)),
			Tf("Enter a new API token issued in %s (or, for an OAuth connection, authenticate again with an active admin account of %s) and click Test API Credentials; once the test succeeds, click Save.",
				"%s で新しい API トークンを発行して入力し(OAuth で接続している場合は %s の有効な管理者アカウントで認証し直し)、[Test API Credentials(API 資格情報をテスト)] をクリックします。テストが成功したら [Save(保存)] をクリックします。",
				app.Label, app.Label),
			Tf("If the token belongs to a service account in %s, check in %s that the account is still active and still has its admin role.",
				"トークンが %s のサービスアカウントのものである場合は、%s 側でそのアカウントが有効で、管理者ロールが外れていないことを確認します。", app.Label, app.Label),
		},
		Advice: retryAdvice(app.Label),
	}
	if failure != nil {
		fd.Evidence = append(fd.Evidence, logEvidence(*failure))
	}
	fd.Evidence = append(fd.Evidence, syncStateEvidence(af.AppUser))
	return fd
}

func connectionDisabled(f *Facts, af *AppFacts) Finding {
	app, c := af.App, af.Connection
	ev := []Evidence{{Kind: EvConnection, Label: T("Provisioning connection", "プロビジョニング接続"), Value: c.Status,
		Note: T("as Okta's API reports the app's provisioning connection", "Okta の API が返すアプリのプロビジョニング接続の状態")}}
	if c.AuthScheme != "" {
		ev = append(ev, Evidence{Kind: EvConnection, Label: T("Authentication scheme", "認証方式"), Value: c.AuthScheme})
	}
	if af.AppUser != nil {
		ev = append(ev, syncStateEvidence(af.AppUser), externalIDEvidence(af.AppUser.ExternalID, Text{}))
	}
	return Finding{
		Code:     ProvisioningConnectionDisabled,
		Severity: SevError,
		App:      &app,
		AppWide:  true,
		Summary: Tf("The provisioning connection of %s is disabled, so Okta provisions no one there. %s",
			"%s のプロビジョニング接続が無効になっているため、Okta からは誰もプロビジョニングされません。%s", app.Label, appWideNote(app.Label)),
		Evidence: ev,
		Plans:    []PlanID{},
		Retry:    PlanReassign,
		Runbook: []Text{
			Tf("In the Admin Console, open %s → Provisioning → Integration and click Edit.",
				"管理コンソールで %s → [Provisioning(プロビジョニング)] → [Integration(統合)] を開き、[Edit(編集)] をクリックします。", consoleApp(app.Label)),
			Tf("Check Enable API integration, enter the API credentials of %s, click Test API Credentials, and Save once the test succeeds.",
				"[Enable API integration(API 統合を有効にする)] をオンにし、%s の API 認証情報を入力して [Test API Credentials(API 資格情報をテスト)] をクリックし、テストが成功したら [Save(保存)] をクリックします。", app.Label),
			T("Open Provisioning → To App, click Edit, turn on Create Users, Update User Attributes and Deactivate Users as your organisation uses them, and Save.",
				"[Provisioning(プロビジョニング)] → [To App(アプリへ)] で [Edit(編集)] をクリックし、[Create Users(ユーザーを作成)]・[Update User Attributes(ユーザー属性を更新)]・[Deactivate Users(ユーザーを無効化)] を組織の運用に合わせて有効にし、[Save(保存)] をクリックします。"),
		},
		Advice: retryAdvice(app.Label),
	}
}

func rateLimited(f *Facts, af *AppFacts, failure *LogEvent) *Finding {
	app := af.App
	fd := &Finding{
		Code:     SaaSRateLimited,
		Severity: SevWarning,
		App:      &app,
		Summary: Tf("%s is rate-limiting Okta's calls, so the push was refused. The limit lifts by itself; other users of %s pushed at the same time may have failed too.",
			"%s が Okta からの呼び出しにレート制限をかけているため、プッシュが拒否されました。制限は時間がたてば解除されますが、同じ時間帯にプッシュされた %s の他のユーザーも失敗している可能性があります。",
			app.Label, app.Label),
		Plans: []PlanID{},
		Retry: PlanReassign,
		Runbook: []Text{
			Tf("Wait until the limit of %s has passed (usually a few minutes; the time of the refusal is in the evidence) before retrying.",
				"再試行する前に、%s のレート制限が解除されるまで待ちます(通常は数分です。拒否された時刻は根拠に記載されています)。", app.Label),
			T("When many users failed, retry them in small batches rather than all at once, and do not save attribute mappings with \"Apply updates now\" while the limit lasts: that pushes every user again.",
				"多数のユーザーが失敗している場合は、一度にまとめてではなく少しずつ再試行してください。制限がかかっている間は、属性マッピングを「Apply updates now(今すぐ更新を適用)」で保存しないでください。全ユーザーへのプッシュが再度発生します。"),
		},
	}
	if failure != nil {
		// The user's own push was refused: once the limit has passed, one re-assignment
		// is the retry, and it can be proposed at once.
		fd.Evidence = append(fd.Evidence, logEvidence(*failure))
		fd.Plans = []PlanID{PlanReassign}
		fd.Runbook, fd.Retry = nil, ""
		fd.Advice = Tf("Wait a few minutes after %s before re-assigning; retrying at once draws the same refusal.",
			"%s から数分待ってから再割り当てしてください。すぐに再試行すると同じ理由で拒否されます。", failure.Published.UTC().Format(time.RFC3339))
	}
	fd.Evidence = append(fd.Evidence, syncStateEvidence(af.AppUser))
	return fd
}

func matchingUserNotFound(f *Facts, af *AppFacts, failure LogEvent) *Finding {
	app, au := af.App, af.AppUser
	fd := &Finding{
		Code:     MatchingUserNotFound,
		Severity: SevError,
		App:      &app,
		Summary: Tf("Okta looked for an existing %s account to link %s to and found none (\"Matching user not found\").",
			"Okta は %s で %s に紐付ける既存のアカウントを探しましたが、見つかりませんでした(\"Matching user not found\")。",
			app.Label, f.User.Login),
		Evidence: []Evidence{logEvidence(failure), syncStateEvidence(au), externalIDEvidence(au.ExternalID, Text{})},
		Plans:    []PlanID{},
	}
	create := ""
	if af.Provisioning != nil {
		create = af.Provisioning.Capabilities.LifecycleCreate
		fd.Evidence = append(fd.Evidence, Evidence{Kind: EvProvisioning, Label: T("Create Users", "[Create Users(ユーザーを作成)]"), Value: orUnknown(create)})
	}
	if create == Enabled {
		// Okta may create the account: it was deleted at the SaaS, or never matched.
		fd.Plans = []PlanID{PlanReassign}
		fd.Advice = Tf("Create Users is enabled, so re-assigning %s creates a new account (a group assignment is first made individual).",
			"Create Users(ユーザーを作成)が有効なため、%s を再割り当てすると新しいアカウントが作成されます(グループによる割り当ての場合は、先に個別の割り当てに変更します)。", app.Label)
		return fd
	}
	fd.Summary = Tf("Okta looked for an existing %s account to link %s to and found none (\"Matching user not found\"), and it does not create one because Create Users is off.",
		"Okta は %s で %s に紐付ける既存のアカウントを探しましたが見つからず(\"Matching user not found\")、Create Users(ユーザーを作成)が無効なため新規作成もしません。",
		app.Label, f.User.Login)
	if create == "" {
		fd.Summary = Tf("Okta looked for an existing %s account to link %s to and found none (\"Matching user not found\"); this usually means Create Users is off.",
			"Okta は %s で %s に紐付ける既存のアカウントを探しましたが、見つかりませんでした(\"Matching user not found\")。通常は Create Users(ユーザーを作成)が無効になっていることが原因です。",
			app.Label, f.User.Login)
	}
	fd.Retry = PlanReassign
	fd.Runbook = []Text{
		Tf("Decide whether Okta should create accounts in %s. If it should, in the Admin Console open %s → Provisioning → To App, click Edit, enable Create Users, and Save. Okta then provisions the users already assigned.",
			"%s のアカウントを Okta から作成するかどうかを決めます。作成する場合は、管理コンソールで %s → [Provisioning(プロビジョニング)] → [To App(アプリへ)] を開き、[Edit(編集)] をクリックし、[Create Users(ユーザーを作成)] を有効にして [Save(保存)] をクリックします。有効にすると、割り当て済みのユーザーが Okta からプロビジョニングされます。",
			app.Label, consoleApp(app.Label)),
		Tf("If accounts in %s are created by hand instead, create the account of %s there with the username Okta sends (usually %s).",
			"%s のアカウントを手動で作成する運用の場合は、%s のアカウントを Okta が送るユーザー名(通常は %s)で作成します。",
			app.Label, f.User.Login, f.User.Login),
	}
	fd.Advice = retryAdvice(app.Label)
	return fd
}

func accountConflict(f *Facts, af *AppFacts, failure LogEvent) *Finding {
	app, au := af.App, af.AppUser
	fd := &Finding{
		Code:     SaaSAccountConflict,
		Severity: SevError,
		App:      &app,
		Summary: Tf("%s already has an account with the username or email of %s that is not linked to this Okta user, so Okta cannot create one.",
			"%s には %s と同じユーザー名またはメールアドレスのアカウントがすでに存在し、この Okta ユーザーに紐付いていないため、Okta はアカウントを作成できません。",
			app.Label, f.User.Login),
		Evidence: []Evidence{logEvidence(failure), syncStateEvidence(au), externalIDEvidence(au.ExternalID, Text{})},
		Plans:    []PlanID{},
	}
	if strings.EqualFold(app.Name, "slack") {
		fd.Plans = []PlanID{PlanRelinkSaaSUser}
		fd.Advice = T("If the existing Slack account is this person's, link Okta to it: the fix finds it by email, reactivates it if needed, and sets the external ID to its Slack member ID. If it belongs to someone else, change that account's email in Slack first, then re-assign.",
			"既存の Slack アカウントが本人のものであれば、Okta をそのアカウントに紐付けます。この対処では、メールアドレスでアカウントを検索し、必要に応じて再有効化したうえで、外部ID に Slack のメンバー ID を設定します。別の人のアカウントであれば、先に Slack 側でそのアカウントのメールアドレスを変更してから、再割り当てしてください。")
		return fd
	}
	fd.Retry = PlanReassign
	fd.Runbook = []Text{
		Tf("In %s, find the account that uses the username or email of %s.",
			"%s で、%s のユーザー名またはメールアドレスを使っているアカウントを探します。", app.Label, f.User.Login),
		Tf("If it is this person's account, link it to Okta: in the Admin Console open %s → Import, click Import Now, then select the match with %s in the results and click Confirm Assignments (for apps that support import). If it belongs to someone else, rename or remove it in %s.",
			"本人のアカウントであれば Okta に紐付けます。管理コンソールで %s → [Import(インポート)] を開いて [Import Now(今すぐインポート)] をクリックします。結果から %s との一致を選び、[Confirm Assignments(割り当てを確認)] をクリックします(インポートに対応したアプリの場合)。別の人のアカウントであれば、%s 側で名前を変更するか削除します。",
			consoleApp(app.Label), f.User.Login, app.Label),
	}
	fd.Advice = retryAdvice(app.Label)
	return fd
}

func assignedBeforeProvisioning(f *Facts, af *AppFacts, failure LogEvent) *Finding {
	app, au := af.App, af.AppUser
	return &Finding{
		Code:     AssignedBeforeProvisioning,
		Severity: SevError,
		App:      &app,
		Summary: Tf("%s was assigned to %s before provisioning was enabled, so no account was ever created there.",
			"%s はプロビジョニングが有効になる前に %s に割り当てられたため、アカウントが作成されていません。",
			f.User.Login, app.Label),
		Evidence: []Evidence{logEvidence(failure), syncStateEvidence(au), externalIDEvidence(au.ExternalID, Text{})},
		Plans:    []PlanID{PlanReassign},
		Advice: T("Re-assigning provisions the account, as \"Provision User\" does in the Admin Console.",
			"再割り当てを行うと、管理コンソールの「Provision User(ユーザーをプロビジョニング)」と同じようにアカウントがプロビジョニングされます。"),
	}
}

func attributeRejected(f *Facts, af *AppFacts, failure LogEvent, m Match) *Finding {
	app, au := af.App, af.AppUser
	attr, value := m.Attribute, m.Value
	fd := &Finding{
		Code:     AttributeRejected,
		Severity: SevError,
		App:      &app,
		Evidence: []Evidence{logEvidence(failure)},
		Plans:    []PlanID{},
		Retry:    PlanReassign,
	}
	switch {
	case attr != "" && value != "":
		fd.Summary = Tf("%[1]s refused the value %[2]q of the attribute %[3]s for %[4]s.",
			"%[1]s が %[4]s の属性 %[3]s の値「%[2]s」を受け付けませんでした。", app.Label, value, attr, f.User.Login)
	case attr != "":
		fd.Summary = Tf("%[1]s refused the value of the attribute %[2]s for %[3]s.",
			"%[1]s が %[3]s の属性 %[2]s の値を受け付けませんでした。", app.Label, attr, f.User.Login)
	default:
		fd.Summary = Tf("%s refused an attribute value of %s; the message does not name the attribute.",
			"%s が %s の属性値を受け付けませんでした。メッセージに属性名は記載されていません。", app.Label, f.User.Login)
	}
	shown := attr
	if shown == "" {
		shown = "?"
	}
	fd.Evidence = append(fd.Evidence,
		Evidence{Kind: EvAttribute, Label: T("Rejected attribute", "拒否された属性"), Value: shown},
		Evidence{Kind: EvAttribute, Label: T("Rejected value", "拒否された値"), Value: quoted(value), Note: valueNote(value)},
		syncStateEvidence(au))
	name := T(attr, attr)
	if attr == "" {
		name = T("the attribute named in the error", "エラーに示された属性")
	}
	fd.Runbook = []Text{
		Tf("Look up the value of %[1]s for %[2]s: in the Admin Console, Directory → People → the user → Profile, or, for an attribute of the app only, Applications → %[3]s → Assignments → the pencil icon beside the user.",
			"管理コンソールで %[2]s の %[1]s の値を確認します。[Directory(ディレクトリ)] → [People(ユーザー)] → 対象ユーザー → [Profile(プロファイル)] で確認できます。アプリ固有の属性の場合は [Applications(アプリケーション)] → %[3]s → [Assignments(割り当て)] → ユーザー横の鉛筆アイコンから確認します。",
			name, f.User.Login, app.Label),
		Tf("Correct the value to one %[1]s accepts (in the user's profile, or in the source directory when the profile is imported). If every user gets a wrong value, fix the mapping instead: Directory → Profile Editor → %[1]s User → Mappings → Okta User to %[1]s.",
			"値を %[1]s が受け付ける形式に修正します(ユーザーのプロファイル、またはプロファイルをインポートしている場合はインポート元のディレクトリで修正します)。全ユーザーに誤った値が送られている場合は、マッピングを修正します: [Directory(ディレクトリ)] → [Profile Editor(プロファイル エディター)] → %[1]s User → [Mappings(マッピング)] → [Okta User to %[1]s]。",
			app.Label),
	}
	fd.Advice = T("Okta pushes the profile again when it changes. If the task still shows as failed, retry it (Dashboard → Tasks in the Admin Console, or re-assign the user).",
		"プロファイルが変更されると Okta は再度プッシュします。タスクが失敗のまま残っている場合は再試行してください(管理コンソールの [Dashboard(ダッシュボード)] → [Tasks(タスク)]、またはユーザーの再割り当て)。")
	return fd
}

func quoted(v string) string {
	if v == "" {
		return ""
	}
	return strconv.Quote(v)
}

func valueNote(value string) Text {
	if value != "" {
		return Text{}
	}
	return T("not quoted in the message: read it from the user's profile (first manual step)",
		"メッセージに値の記載はありません。ユーザーのプロファイルで確認してください(手動手順の 1 番目)")
}
