package notify

import "time"

// Status is the outcome of one check.
type Status string

// Check outcomes, from best to worst.
const (
	StatusPass          Status = "PASS"
	StatusNotApplicable Status = "NOT_APPLICABLE"
	StatusWarn          Status = "WARN"
	StatusError         Status = "ERROR" // AWS could not answer; nothing is known
	StatusFail          Status = "FAIL"
)

var statusRank = map[Status]int{StatusPass: 0, StatusNotApplicable: 0, StatusWarn: 1, StatusError: 2, StatusFail: 3}

// Bad reports whether the status needs someone's attention.
func (s Status) Bad() bool { return statusRank[s] > 0 }

// Severity says how urgent a finding or action is.
type Severity string

// Severities, from least to most urgent.
const (
	SeverityInfo     Severity = "INFO"
	SeverityLow      Severity = "LOW"
	SeverityMedium   Severity = "MEDIUM"
	SeverityHigh     Severity = "HIGH"
	SeverityCritical Severity = "CRITICAL"
)

var severityRank = map[Severity]int{SeverityInfo: 0, SeverityLow: 1, SeverityMedium: 2, SeverityHigh: 3, SeverityCritical: 4}

// Finding is the result of one check on one resource.
type Finding struct {
	Check        string            `json:"check"` // stable id, e.g. VAULT_LOCK_PRESENT
	Status       Status            `json:"status"`
	Severity     Severity          `json:"severity"`
	Resource     string            `json:"resource"`     // ARN
	ResourceType string            `json:"resourceType"` // CloudFormation-style, e.g. AWS::Backup::BackupVault
	Account      string            `json:"account"`
	Region       string            `json:"region"`
	Summary      string            `json:"summary"`            // one line: what is wrong, or that it is fine
	Observed     map[string]string `json:"observed"`           // the fields that decided it
	Remediation  string            `json:"remediation"`        // one concrete line; empty on PASS
	Previous     Status            `json:"previous,omitempty"` // set on resolved findings
	// ProtectedResource is what a finding about a recovery point, copy or
	// job is really about: the table, database or volume its owners know.
	ProtectedResource *ProtectedResource `json:"protectedResource,omitempty"`
}

// ProtectedResource is a resource AWS Backup protects, as people name it.
type ProtectedResource struct {
	Type string `json:"type"` // CloudFormation-style, e.g. AWS::DynamoDB::Table
	Name string `json:"name"` // e.g. orders
	ARN  string `json:"arn"`
}

// ActionKind is what the rebalancer did (or would do) to a group.
type ActionKind string

// Action kinds.
const (
	ActionEvacuate      ActionKind = "EVACUATE"
	ActionRestore       ActionKind = "RESTORE"
	ActionResumeBalance ActionKind = "RESUME_AZ_REBALANCE"
	ActionSkip          ActionKind = "SKIP"
	ActionReport        ActionKind = "REPORT"
	ActionBreakerOpen   ActionKind = "BREAKER_OPEN"
	ActionBreakerClosed ActionKind = "BREAKER_CLOSED"
	ActionUnresolved    ActionKind = "AZ_UNRESOLVED"
	// An enrolled group's evacuation is an ARC zonal shift, started and
	// extended while its signal holds; its restore (a RESTORE) cancels it.
	ActionZonalShift       ActionKind = "ZONAL_SHIFT"
	ActionZonalShiftExtend ActionKind = "ZONAL_SHIFT_EXTEND"
)

// ActionOutcome says whether an action happened.
type ActionOutcome string

// Action outcomes.
const (
	OutcomeDone    ActionOutcome = "DONE"
	OutcomePlanned ActionOutcome = "PLANNED" // dry-run: would have been done
	OutcomeSkipped ActionOutcome = "SKIPPED"
	OutcomeFailed  ActionOutcome = "FAILED"
)

// Action is one thing the rebalancer did, would do in dry-run, or chose not
// to do, with its reason.
type Action struct {
	Kind         ActionKind        `json:"kind"`
	Outcome      ActionOutcome     `json:"outcome"`
	Severity     Severity          `json:"severity"`
	Resource     string            `json:"resource"` // group ARN or name
	ResourceType string            `json:"resourceType"`
	AZ           string            `json:"availabilityZone,omitempty"`
	Summary      string            `json:"summary"`
	Reason       string            `json:"reason,omitempty"`
	Details      map[string]string `json:"details,omitempty"`
}

// Kind is what a message reports.
type Kind string

// Message kinds.
const (
	KindFindings    Kind = "findings"
	KindResolved    Kind = "resolved"
	KindRemediation Kind = "remediation"
	KindDigest      Kind = "digest"
)

// Message is everything one handled event has to say.
type Message struct {
	Kind      Kind      `json:"kind"`
	Function  string    `json:"function"`
	EventType string    `json:"eventType"` // detail-type, or "Scheduled Sweep"
	EventID   string    `json:"eventId"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Time      time.Time `json:"time"`
	DryRun    bool      `json:"dryRun"`
	// Headline, when set, replaces the generated first line (digests).
	Headline string    `json:"headline,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	Actions  []Action  `json:"actions,omitempty"`
	// Digest is the sweep's summary; nil for other kinds.
	Digest *Digest `json:"digest,omitempty"`
}

// Digest summarizes a sweep run: what it found, and where things stand.
type Digest struct {
	Counts     map[string]map[Status]int `json:"counts"` // check → status → count, of this run's findings
	Worst      []Finding                 `json:"worst"`
	Resolved   []Finding                 `json:"resolved"`
	Covered    []string                  `json:"covered"`    // what the run checked
	NotCovered []string                  `json:"notCovered"` // what it could not, and why
	Complete   bool                      `json:"complete"`
	// Open lists the failures notified and not seen good since, whoever
	// found them (this run, an earlier one, or an event), worst and oldest
	// first, at most MaxDigestOpen of them; OpenCounts counts them all by
	// status.
	Open       []OpenFailure  `json:"open"`
	OpenCounts map[Status]int `json:"openCounts"`
	// New lists what this run notified as new or changed.
	New []Finding `json:"new"`
	// Recovery is how restore tests went over RecoveryWindow, per
	// resource type; empty when there were none.
	Recovery []RecoveryStats `json:"recovery,omitempty"`
	// Accounts are an organization sweep's account-regions, each with
	// what it found and how it was covered; empty in one account's digest.
	Accounts []AccountDigest `json:"accounts,omitempty"`
}

// AccountDigest is one account-region of an organization sweep.
type AccountDigest struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Coverage says whether and how it was swept (SWEPT, INCOMPLETE,
	// NOT_ASSUMABLE, FAILED, NO_RESULT); Reason why, when not SWEPT.
	Coverage string `json:"coverage"`
	Reason   string `json:"reason,omitempty"`
	// Counts are its findings this run by status; Failing its failing
	// findings (FAIL, WARN, ERROR) by check; Open its failures still open.
	Counts  map[Status]int `json:"counts"`
	Failing map[string]int `json:"failing,omitempty"`
	Open    int            `json:"open"`
}

// RecoveryWindow is the span of restore tests a digest summarizes.
const RecoveryWindow = 30 * 24 * time.Hour

// RecoveryStats is how the restore tests of one resource type went: the
// median and the longest recovery time (restore job created → completed,
// as validated) of those that passed.
type RecoveryStats struct {
	ResourceType  string `json:"resourceType"`
	Tests         int    `json:"tests"`
	Failed        int    `json:"failed"`
	RTOP50Seconds int64  `json:"rtoP50Seconds"`
	RTOMaxSeconds int64  `json:"rtoMaxSeconds"`
}

// MaxDigestOpen is how many open failures a digest lists; the rest are
// in its counts.
const MaxDigestOpen = 100

// OpenFailure is a failure still open when a digest was written.
type OpenFailure struct {
	Check             string             `json:"check"`
	Status            Status             `json:"status"`
	Severity          Severity           `json:"severity"`
	Resource          string             `json:"resource"`
	ResourceType      string             `json:"resourceType"`
	Account           string             `json:"account"`
	Region            string             `json:"region"`
	Summary           string             `json:"summary"` // as last notified
	ProtectedResource *ProtectedResource `json:"protectedResource,omitempty"`
	First             time.Time          `json:"first"` // when it turned bad
	LastNotified      time.Time          `json:"lastNotified"`
	Notified          int                `json:"notified"` // messages sent about it
}

// worst returns the most urgent status and severity among findings and
// actions.
func (m Message) worst() (Status, Severity) {
	st, sev := StatusPass, SeverityInfo
	for _, f := range m.Findings {
		if statusRank[f.Status] > statusRank[st] {
			st = f.Status
		}
		if f.Status.Bad() && severityRank[f.Severity] > severityRank[sev] {
			sev = f.Severity
		}
	}
	for _, a := range m.Actions {
		if severityRank[a.Severity] > severityRank[sev] {
			sev = a.Severity
		}
	}
	return st, sev
}
