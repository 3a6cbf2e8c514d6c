package remediation

import "time"

// Observer hears what the engine does, for metrics. Calls must be cheap and must not
// block.
type Observer interface {
	// StepEnded: a step of kind ended with outcome "done", "skipped", "retry" or
	// "failed" after d.
	StepEnded(kind StepKind, outcome string, d time.Duration)
	// ProvisioningResumed: provisioning of an app was back on after being off for d.
	ProvisioningResumed(d time.Duration)
	// RunEnded: a run reached a final state.
	RunEnded(state RunState)
}

func (e *Engine) observeStep(s *StepRecord, outcome string) {
	if e.observer == nil || s.StartedAt == nil {
		return
	}
	e.observer.StepEnded(s.Kind, outcome, e.now().Sub(*s.StartedAt))
}

// observeResume reports the provisioning-off window that ends now: since the step that
// turned provisioning off ended.
func (e *Engine) observeResume(r *Run) {
	if e.observer == nil {
		return
	}
	for _, s := range r.Steps {
		if s.Kind.pausesProvisioning() && s.EndedAt != nil {
			e.observer.ProvisioningResumed(e.now().Sub(*s.EndedAt))
			return
		}
	}
}

// endsRun reports whether an audit event is the one that ends a run.
func endsRun(t AuditType) bool {
	switch t {
	case AuditVerified, AuditFailed, AuditCompensated, AuditCancelled, AuditRejected, AuditExpired:
		return true
	}
	return false
}
