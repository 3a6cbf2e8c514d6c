package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// policyFile is OKTA_CHATOPS_POLICY_FILE:
//
//	requesters: [S0123TEAM]  # who may diagnose, propose and read the audit (added to
//	                         # OKTA_CHATOPS_REQUESTERS)
//	default:               # applies to every plan unless overridden
//	  approvers: [U0123ABCD, S0456EFGH]
//	  quorum: 1
//	  expiry: 24h
//	plans:
//	  reset_external_id:   # pauses provisioning for the whole app
//	    risk: high
//	    approvers: [S0789IJKL]
//	    quorum: 2
//	    expiry: 4h
//	    manager: true      # the requester's Okta manager may approve too
//	bulk:                  # one plan for many users of one app (an incident)
//	  threshold: 5         # more users than this need `quorum` distinct approvers
//	  quorum: 2
//	  batch_size: 25       # users changed within one provisioning pause
//	  stop_after_failures: 3
//	  max_failure_rate: 0.2
//	reminders:             # nothing waits silently (0 turns one off)
//	  approval: 4h         # an unanswered approval request reminds its approvers
//	  manual_step: 30m     # an unconfirmed manual step reminds its assignee
type policyFile struct {
	Requesters []string              `yaml:"requesters"`
	Default    policyRule            `yaml:"default"`
	Plans      map[string]policyRule `yaml:"plans"`
	Reminders  policyReminders       `yaml:"reminders"`
	Bulk       *policyBulk           `yaml:"bulk"`
}

type policyBulk struct {
	Threshold         *int     `yaml:"threshold"`
	Quorum            *int     `yaml:"quorum"`
	BatchSize         *int     `yaml:"batch_size"`
	StopAfterFailures *int     `yaml:"stop_after_failures"`
	MaxFailureRate    *float64 `yaml:"max_failure_rate"`
}

// bulkRules checks the bulk: section; unset keys keep their defaults.
func (b *policyBulk) bulkRules() (remediation.BulkRules, []error) {
	var r remediation.BulkRules
	if b == nil {
		return r, nil
	}
	var errs []error
	positive := func(key string, v *int, into *int, least int) {
		if v == nil {
			return
		}
		if *v < least {
			errs = append(errs, fmt.Errorf("bulk.%s must be %d or more, not %d", key, least, *v))
			return
		}
		*into = *v
	}
	positive("threshold", b.Threshold, &r.Threshold, 1)
	positive("quorum", b.Quorum, &r.Quorum, 1)
	positive("batch_size", b.BatchSize, &r.BatchSize, 1)
	positive("stop_after_failures", b.StopAfterFailures, &r.StopAfterFailures, 1)
	if v := b.MaxFailureRate; v != nil {
		if *v <= 0 || *v >= 1 {
			errs = append(errs, fmt.Errorf("bulk.max_failure_rate must be a share between 0 and 1 (e.g. 0.2 for 20%%), not %v", *v))
		} else {
			r.MaxFailureRate = *v
		}
	}
	return r, errs
}

// policyReminders is the reminders: section; an entry left out keeps its default.
type policyReminders struct {
	Approval   *reminderEvery `yaml:"approval"`
	ManualStep *reminderEvery `yaml:"manual_step"`
}

// reminderEvery is a Go duration, or a bare 0 (off).
type reminderEvery time.Duration

func (d *reminderEvery) UnmarshalYAML(n *yaml.Node) error {
	if n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 30m, 4h, or 0 for off)", n.Line, n.Value)
	}
	*d = reminderEvery(v)
	return nil
}

// minReminder keeps a reminder from flooding a thread.
const minReminder = time.Minute

// apply sets p's reminders from the section, checking each.
func (r policyReminders) apply(p *remediation.Policy) []error {
	var errs []error
	for _, x := range []struct {
		name string
		v    *reminderEvery
		dst  *time.Duration
	}{{"approval", r.Approval, &p.Reminders.Approval}, {"manual_step", r.ManualStep, &p.Reminders.ManualStep}} {
		if x.v == nil {
			continue
		}
		if d := time.Duration(*x.v); d < 0 || (d > 0 && d < minReminder) {
			errs = append(errs, fmt.Errorf("reminders.%s: %s is too short: give a duration of %s or more (e.g. 30m), or 0 to turn it off", x.name, d, minReminder))
			continue
		}
		*x.dst = time.Duration(*x.v)
	}
	return errs
}

type policyRule struct {
	Risk      string        `yaml:"risk"`
	Approvers []string      `yaml:"approvers"`
	Quorum    int           `yaml:"quorum"`
	Expiry    time.Duration `yaml:"expiry"`
	Manager   bool          `yaml:"manager"`
}

// Policy builds the approval policy: OKTA_CHATOPS_APPROVERS and APPROVAL_TTL, with the
// policy file's rules on top when OKTA_CHATOPS_POLICY_FILE is set. Errors name the file
// and the entry.
func (c Config) Policy(readFile func(string) ([]byte, error)) (*remediation.Policy, error) {
	p := &remediation.Policy{Approvers: c.Approvers, Requesters: c.Requesters, TTL: c.ApprovalTTL, Plans: map[remediation.PlanID]remediation.PlanRule{},
		Reminders: remediation.DefaultReminders()}
	if c.PolicyFile == "" {
		return p, nil
	}
	b, err := readFile(c.PolicyFile)
	if err != nil {
		return nil, fmt.Errorf("OKTA_CHATOPS_POLICY_FILE cannot be read: %w", err)
	}
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("OKTA_CHATOPS_POLICY_FILE %s: %w", c.PolicyFile, err)
	}
	if d := f.Default; len(f.Requesters) == 0 && len(f.Plans) == 0 && len(d.Approvers) == 0 && d.Risk == "" && d.Quorum == 0 && d.Expiry == 0 && !d.Manager &&
		f.Reminders == (policyReminders{}) && f.Bulk == nil {
		// An empty file (or one of comments) is a mistake, not "no policy": say so rather
		// than run with defaults the operator meant to change.
		return nil, fmt.Errorf("OKTA_CHATOPS_POLICY_FILE %s sets nothing (it is empty or only comments): give default:, plans:, reminders: or bulk: (see README.md), or unset the variable", c.PolicyFile)
	}
	var errs []error
	check := func(where string, r policyRule) remediation.PlanRule {
		for _, a := range r.Approvers {
			if err := slackPrincipal(a); err != nil {
				errs = append(errs, fmt.Errorf("%s: approvers %v", where, err))
			}
		}
		if r.Quorum < 0 {
			errs = append(errs, fmt.Errorf("%s: quorum must be 1 or more", where))
		}
		if r.Expiry < 0 {
			errs = append(errs, fmt.Errorf("%s: expiry must be positive", where))
		}
		if r.Risk != "" && r.Risk != string(remediation.RiskMedium) && r.Risk != string(remediation.RiskHigh) {
			errs = append(errs, fmt.Errorf("%s: risk must be medium or high, not %q", where, r.Risk))
		}
		return remediation.PlanRule{Risk: remediation.Risk(r.Risk), Approvers: r.Approvers, Quorum: r.Quorum, Expiry: r.Expiry, Manager: r.Manager}
	}
	for _, r := range f.Requesters {
		if err := slackPrincipal(r); err != nil {
			errs = append(errs, fmt.Errorf("requesters %v", err))
		} else if !slices.Contains(p.Requesters, r) {
			p.Requesters = append(p.Requesters, r)
		}
	}
	def := check("default", f.Default)
	if len(def.Approvers) > 0 {
		p.Approvers = def.Approvers
	}
	if def.Expiry > 0 {
		p.TTL = def.Expiry
	}
	for name, r := range f.Plans {
		id := remediation.PlanID(name)
		if !id.Known() {
			errs = append(errs, fmt.Errorf("plans: unknown plan %q (reassign, reset_external_id, relink_saas_user)", name))
			continue
		}
		rule := check("plans."+name, r)
		if rule.Quorum == 0 {
			rule.Quorum = def.Quorum
		}
		if rule.Risk == "" {
			rule.Risk = def.Risk
		}
		rule.Manager = rule.Manager || def.Manager
		p.Plans[id] = rule
	}
	if def.Quorum > 0 || def.Manager {
		for _, id := range []remediation.PlanID{remediation.PlanReassign, remediation.PlanResetExternalID, remediation.PlanRelinkSaaSUser} {
			if _, ok := p.Plans[id]; !ok {
				p.Plans[id] = remediation.PlanRule{Quorum: def.Quorum, Risk: def.Risk, Manager: def.Manager}
			}
		}
	}
	errs = append(errs, f.Reminders.apply(p)...)
	bulk, bulkErrs := f.Bulk.bulkRules()
	p.Bulk = bulk
	errs = append(errs, bulkErrs...)
	if f.Bulk != nil && f.Bulk.Quorum != nil {
		errs = append(errs, unreachableBulkQuorum(p)...)
	}
	errs = append(errs, unreachableQuorums(p)...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("OKTA_CHATOPS_POLICY_FILE %s: %w", c.PolicyFile, err)
	}
	return p, nil
}

// unreachableQuorums finds plans whose quorum exceeds the people who could ever
// approve them: the approvers named (when none is a user group, whose size is only
// known at click time), plus the requester's manager when the plan asks for one. Such
// a plan could be proposed but never approved.
func unreachableQuorums(p *remediation.Policy) []error {
	var errs []error
	for _, id := range []remediation.PlanID{remediation.PlanReassign, remediation.PlanResetExternalID, remediation.PlanRelinkSaaSUser} {
		r := p.Rule(id)
		people := map[string]bool{}
		for _, a := range r.Approvers {
			if strings.HasPrefix(a, "S") {
				people = nil // a user group: its size is unknown here
				break
			}
			people[a] = true
		}
		if len(people) == 0 {
			continue // no approvers at all is reported at start-up
		}
		n := len(people)
		if r.Manager {
			n++
		}
		if r.Quorum > n {
			errs = append(errs, fmt.Errorf("plans.%s: quorum %d can never be reached: only %d distinct approvers can approve it (%s)", id, r.Quorum, n, strings.Join(r.Approvers, ", ")))
		}
	}
	return errs
}

// unreachableBulkQuorum finds plans whose approvers (when none is a user group) are
// fewer than bulk.quorum: a bulk run above the threshold could never be approved.
func unreachableBulkQuorum(p *remediation.Policy) []error {
	var errs []error
	q := p.BulkRules().Quorum
	for _, id := range []remediation.PlanID{remediation.PlanReassign, remediation.PlanResetExternalID, remediation.PlanRelinkSaaSUser} {
		r := p.Rule(id)
		n := len(r.Approvers)
		if n == 0 || slices.ContainsFunc(r.Approvers, func(a string) bool { return strings.HasPrefix(a, "S") }) {
			continue
		}
		if q > n {
			errs = append(errs, fmt.Errorf("bulk.quorum %d can never be reached for %s: only %d distinct approvers can approve it (%s)", q, id, n, strings.Join(r.Approvers, ", ")))
		}
	}
	return errs
}
