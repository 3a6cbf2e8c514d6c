package remediation

import (
	"errors"
	"fmt"
	"strings"
)

// Locale is a language the bot speaks.
type Locale string

// The supported locales. English is the default.
const (
	EN Locale = "en"
	JA Locale = "ja"
)

// ParseLocale accepts "en" or "ja" (and Slack's "en-US", "ja-JP" forms); empty means EN.
func ParseLocale(s string) (Locale, error) {
	switch l := strings.ToLower(strings.TrimSpace(s)); {
	case l == "" || l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_"):
		return EN, nil
	case l == "ja" || strings.HasPrefix(l, "ja-") || strings.HasPrefix(l, "ja_"):
		return JA, nil
	default:
		return EN, fmt.Errorf("unsupported locale %q: use en or ja", s)
	}
}

// Text is a user-facing text in every supported language. Every text the users see is
// built as a Text, so none can exist in one language only.
type Text struct {
	EN string `json:"en"`
	JA string `json:"ja"`
}

// T builds a Text.
func T(en, ja string) Text { return Text{EN: en, JA: ja} }

// Tf builds a Text from two format strings sharing the same arguments. An argument
// that is itself a Text is used in the matching language.
func Tf(en, ja string, args ...any) Text {
	enArgs, jaArgs := make([]any, len(args)), make([]any, len(args))
	for i, a := range args {
		if x, ok := a.(Text); ok {
			enArgs[i], jaArgs[i] = x.EN, x.JA
		} else {
			enArgs[i], jaArgs[i] = a, a
		}
	}
	return Text{EN: fmt.Sprintf(en, enArgs...), JA: fmt.Sprintf(ja, jaArgs...)}
}

// In returns the text in locale l.
func (t Text) In(l Locale) string {
	if l == JA && t.JA != "" {
		return t.JA
	}
	return t.EN
}

// IsZero reports whether t holds no text.
func (t Text) IsZero() bool { return t.EN == "" && t.JA == "" }

// ErrorText turns an error into the text a user sees: what went wrong in their terms,
// followed by the technical detail (which never contains secrets: adapters keep tokens
// out of their errors).
func ErrorText(err error) Text {
	var amb *AmbiguousError
	if errors.As(err, &amb) {
		return amb.Text()
	}
	var what Text
	switch {
	case errors.Is(err, ErrAmbiguous):
		what = T("More than one match; be more specific.", "複数の候補に一致しました。より具体的に指定してください。")
	case errors.Is(err, ErrNotFound):
		what = T("Not found in Okta.", "Okta に見つかりません。")
	case errors.Is(err, ErrGroupScoped):
		what = T("Okta refused: the assignment is managed by a group.", "Okta が拒否しました: この割り当てはグループで管理されています。")
	case errors.Is(err, ErrDenied):
		what = T("Okta refused the request: the API token lacks a permission or is invalid.", "Okta がリクエストを拒否しました。API トークンの権限が不足しているか、トークンが無効です。")
	case errors.Is(err, ErrRateLimited):
		what = T("Okta's rate limit was reached; try again in a minute.", "Okta のレート制限に達しました。1 分ほど待ってから再度実行してください。")
	case errors.Is(err, ErrTransient):
		what = T("Okta could not be reached or failed temporarily; try again.", "Okta に接続できないか、一時的なエラーが発生しました。再度実行してください。")
	case errors.Is(err, ErrConflict):
		what = T("Someone else changed this at the same time; look again.", "同時に別の変更が行われました。状態をもう一度確認してください。")
	case errors.Is(err, ErrUnsupported):
		what = T("This app does not support the operation.", "このアプリはこの操作に対応していません。")
	default:
		what = T("Something went wrong.", "エラーが発生しました。")
	}
	detail := err.Error()
	return Text{EN: what.EN + " (" + detail + ")", JA: what.JA + "(" + detail + ")"}
}

// StateText is a run state as people read it.
func StateText(s RunState) Text {
	switch s {
	case StateAwaitingApproval:
		return T("awaiting approval", "承認待ち")
	case StateApproved:
		return T("approved", "承認済み")
	case StateRunning:
		return T("running", "実行中")
	case StateVerifying:
		return T("verifying", "結果を確認中")
	case StateSucceeded:
		return T("succeeded", "完了")
	case StateRejected:
		return T("rejected", "却下済み")
	case StateExpired:
		return T("expired", "期限切れ")
	case StateCancelled:
		return T("cancelled", "取り消し済み")
	case StateFailed:
		return T("failed", "失敗")
	case StateCompensated:
		return T("undone", "元に戻し済み")
	}
	return T(string(s), string(s))
}
