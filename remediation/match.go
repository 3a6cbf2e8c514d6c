package remediation

import (
	"regexp"
	"strings"
)

// Recognising a provisioning failure from its words.
//
// Okta writes its own message first and the SaaS's after it: "Automatic profile push
// of <user> to app <app> failed: Error while trying to push profile update for <user>:
// <third-party message>". The user may be a login or a display name, the SaaS words its
// part its own way, IDs come bare, quoted or in backticks, and the text is in
// outcome.reason or only in displayMessage. So a cause is recognised by the stable core
// of a message, case-insensitively, in the third-party part, never by the whole.

// Match is what a failure message says: the cause it names and the details it quotes.
type Match struct {
	Code Code
	// Detail is the part of the message after Okta's own prefix (the SaaS's words).
	Detail string
	// ExternalID is the ID of "No user returned for user <id>".
	ExternalID string
	// Attribute and Value are what ATTRIBUTE_REJECTED quotes, when the message names them.
	Attribute, Value string
}

// okta's own prefixes, stripped before the third-party part is matched, so that a
// user or app name in them ("Room 401", "Conflict Team") matches nothing.
var (
	oktaTaskPrefix = regexp.MustCompile(`(?is)^\s*automatic (?:profile push|provisioning|push|deactivation|reactivation|user update)(?: of user)? (?:of )?.*? (?:to|in|from) app .*? failed\s*[:.]\s*`)
	oktaErrorWhile = regexp.MustCompile(`(?is)^\s*(?:error while|failed while|unable to|could not)\b[^:]*:\s*`)
)

// detailOf strips Okta's prefixes from msg.
func detailOf(msg string) string {
	d := oktaTaskPrefix.ReplaceAllString(msg, "")
	for range 2 { // "Error while …: Error while …:" happens with nested connectors
		if m := oktaErrorWhile.FindStringIndex(d); m != nil && m[1] < len(d) {
			d = d[m[1]:]
		}
	}
	return strings.TrimSpace(d)
}

// An idToken is an ID as messages quote it: bare, quoted, in backticks or brackets.
// Zoom's IDs are base64url: they may begin with - or _, and hold _ anywhere.
const idToken = "[\"'`‘’“”<(\\[]?((?:[A-Za-z0-9_]|-[A-Za-z0-9_])[A-Za-z0-9._@:+/=_-]*?)[\"'`‘’“”>)\\]]?(?:[.,;]*(?:\\s|$))"

var (
	reNoUserReturned = regexp.MustCompile(`(?i)no user returned for user(?:\s+with\s+id)?\s*[:=]?\s*` + idToken)
	reInactive       = regexp.MustCompile(`(?i)\buser account is (?:inactive|deactivated|disabled|suspended)\b|\buser is (?:inactive|deactivated|disabled)\b`)
	reBeforeProv     = regexp.MustCompile(`(?i)assigned (?:to )?this app(?:lication)? before provisioning was enabled|before provisioning was enabled`)
	reMatchingUser   = regexp.MustCompile(`(?i)\bmatching user (?:was )?not found\b|\bno matching user\b`)
	reCredentials    = regexp.MustCompile(`(?i)credentials used to connect to the api were invalid|\binvalid (?:api |scim |bearer |access )?(?:token|credentials)\b|\btoken (?:is )?(?:invalid|expired|revoked)|\btoken is invalid or expired\b|\bunauthori[sz]ed\b|\b401\b|\binvalid_auth\b|\btoken_(?:revoked|expired)\b|\bauthentication failed\b|\bnot_authed\b|\binvalid_grant\b|\bservice account (?:is )?(?:disabled|deactivated|locked|suspended)\b|\binsufficient (?:scopes?|permissions?|privileges)\b|\bmissing_scope\b`)
	reRateLimited    = regexp.MustCompile(`(?i)\brate[ _-]?limit(?:ed|s)?\b|\btoo many requests\b|\b429\b|\bthrottl(?:ed|ing)\b|\brequest limit exceeded\b`)
	reConflict       = regexp.MustCompile(`(?i)\bconflict\b|\balready (?:exists?|in use|taken|registered)\b|\b(?:email|username|user_name|login)_taken\b|\bduplicate (?:user|email|username|key|entry)\b|\b409\b|\buniqueness\b`)
	reAttribute      = regexp.MustCompile(`(?i)\binvalid value\b|\bvalidation[_ ]error\b|\b(?:property|attribute|field)\b[^.;]*?\bis (?:invalid|not valid|required)\b|\binvalid data ?type\b|\binvalid attribute\b|\bfails to match\b|\bmust be (?:a |one of|valid)\b|\bis not a valid\b`)
)

// Patterns that name the rejected attribute (and its value), most specific first.
// Each has the groups "attr" and, where the message quotes it, "value".
var attributePatterns = []*regexp.Regexp{
	// Joi-style validators: "phoneNumber" with value "+81 3-1234" fails to match …
	regexp.MustCompile("(?i)[\"'`](?P<attr>[\\w.:\\-\\[\\]]+)[\"'`] with value [\"'`](?P<value>[^\"'`]*)[\"'`]"),
	// Invalid value 'XX' for attribute 'usageLocation'
	regexp.MustCompile("(?i)invalid value\\s*(?:of\\s*)?[\"'`](?P<value>[^\"'`]*)[\"'`]\\s*(?:specified\\s*)?for (?:the )?(?:property|attribute|field)\\s*[\"'`]?(?P<attr>[\\w.:\\-\\[\\]]+)"),
	// Invalid value specified for property 'usageLocation' of resource 'User'.
	regexp.MustCompile("(?i)invalid value\\s*(?:specified\\s*)?for (?:the )?(?:property|attribute|field)\\s*[\"'`]?(?P<attr>[\\w.:\\-\\[\\]]+)[\"'`]?"),
	// Property 'department' (value 'X') is invalid / Attribute `title` is required
	regexp.MustCompile("(?i)(?:property|attribute|field)\\s*[\"'`]?(?P<attr>[\\w.:\\-\\[\\]]+)[\"'`]?(?:\\s*\\(?(?:with )?value\\s*[\"'`](?P<value>[^\"'`]*)[\"'`]\\)?)?\\s*(?:of resource \\S+\\s*)?is (?:invalid|not valid|required)"),
	// invalid data type for attribute costCenter
	regexp.MustCompile("(?i)(?:for|of) (?:the )?(?:property|attribute|field)\\s*[\"'`]?(?P<attr>[\\w.:\\-\\[\\]]+)"),
	// costCenter: invalid data type / title: must be a string
	regexp.MustCompile("(?i)(?:^|[\\s,;(])[\"'`]?(?P<attr>[A-Za-z][\\w.:\\-\\[\\]]*)[\"'`]?\\s*:\\s*(?:invalid|must be|is not)"),
}

// valuePattern finds a quoted value when the attribute pattern did not carry one.
var valuePattern = regexp.MustCompile("(?i)\\bvalue\\s*(?:of\\s*)?[:=]?\\s*[\"'`“](?P<value>[^\"'`”]*)[\"'`”]")

// Recognize names the cause of a provisioning failure message, if it is one the
// catalogue knows. The order goes from the most specific core to the most general:
// "No user returned" before a conflict, a credentials refusal before a bare 401.
func Recognize(msg string) (Match, bool) {
	if strings.TrimSpace(msg) == "" {
		return Match{}, false
	}
	m := Match{Detail: detailOf(msg)}
	// STALE_EXTERNAL_ID is matched on the whole message: its core sometimes sits in
	// Okta's own part ("Error while trying to push profile update for … : No user …").
	if sm := reNoUserReturned.FindStringSubmatch(msg); sm != nil {
		m.Code, m.ExternalID = StaleExternalID, sm[1]
		return m, true
	}
	d := m.Detail
	switch {
	case reBeforeProv.MatchString(msg):
		m.Code = AssignedBeforeProvisioning
	case reInactive.MatchString(d):
		m.Code = SaaSUserDeactivated
	case reMatchingUser.MatchString(d):
		m.Code = MatchingUserNotFound
	case reCredentials.MatchString(d):
		m.Code = AppCredentialsInvalid
	case reRateLimited.MatchString(d):
		m.Code = SaaSRateLimited
	case reConflict.MatchString(d):
		m.Code = SaaSAccountConflict
	case reAttribute.MatchString(d):
		m.Code = AttributeRejected
		m.Attribute, m.Value = rejectedAttribute(d)
	default:
		return Match{}, false
	}
	return m, true
}

// RecognizeEvent recognises a System Log event by its outcome.reason, or by its
// displayMessage when the reason says nothing the catalogue knows (some connectors
// write the third-party message only there).
func RecognizeEvent(e LogEvent) (Match, bool) {
	if m, ok := Recognize(e.Reason); ok {
		return m, true
	}
	return Recognize(e.DisplayMessage)
}

func rejectedAttribute(d string) (attr, value string) {
	for _, re := range attributePatterns {
		sm := re.FindStringSubmatch(d)
		if sm == nil {
			continue
		}
		for i, name := range re.SubexpNames() {
			switch name {
			case "attr":
				attr = sm[i]
			case "value":
				value = sm[i]
			}
		}
		if attr != "" && !notAnAttribute[strings.ToLower(attr)] {
			break
		}
		attr, value = "", ""
	}
	if value == "" {
		if sm := valuePattern.FindStringSubmatch(d); sm != nil {
			value = sm[1]
		}
	}
	return attr, value
}

// notAnAttribute are words the loose patterns may take for an attribute name.
var notAnAttribute = map[string]bool{
	"value": true, "error": true, "validation_error": true, "errors": true, "message": true,
	"detail": true, "request": true, "user": true, "resource": true, "the": true, "a": true,
	"status": true, "reason": true, "description": true,
}

// failureMessage is the event's text as a person would quote it: the reason, or the
// display message when the reason is empty; both when the reason says nothing known
// and the display message does.
func failureMessage(e LogEvent) string {
	if e.Reason == "" {
		return e.DisplayMessage
	}
	if _, ok := Recognize(e.Reason); !ok {
		if _, ok := Recognize(e.DisplayMessage); ok {
			return e.DisplayMessage + " (" + e.Reason + ")"
		}
	}
	return e.Reason
}
