// Package logctx carries log attributes in a context, so every line logged about a run
// or a Slack request says which one (run_id, okta_user_id, slack_user_id) without each
// call site repeating them: With adds attributes to a context, and Handler adds the
// context's attributes to every record logged with a *Context method.
package logctx
