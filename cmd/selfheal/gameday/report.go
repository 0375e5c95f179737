package gameday

import (
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/notify"
)

// SchemaVersion of the Report document (selfheal simulate --json); bumped
// on any incompatible change. docs/scenarios.md describes the document.
const SchemaVersion = "1.0"

// Report is everything a game day did and whether its expectations held.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	Scenario      string    `json:"scenario"`
	Description   string    `json:"description,omitempty"`
	Region        string    `json:"region"`
	Seed          uint64    `json:"seed"`
	DryRun        bool      `json:"dryRun"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	// Timeline is every step and every invocation, in sim-time order.
	Timeline      []Entry         `json:"timeline"`
	Actions       []ActionRecord  `json:"actions"`
	Findings      []FindingRecord `json:"findings"`
	Notifications []Notification  `json:"notifications"`
	Capacity      []GroupSeries   `json:"capacity"`
	Final         Final           `json:"final"`
	Bus           BusStats        `json:"bus"`
	Calls         CallStats       `json:"calls"`
	Expectations  []Result        `json:"expectations"`
	Passed        bool            `json:"passed"`
	// Faults injected by the run's options, and how many times each
	// event was delivered.
	Faults     []FaultRecord `json:"faults,omitempty"`
	Duplicates int           `json:"duplicates,omitempty"`
}

// FaultRecord is an injected fault (awssim.Fault) as the report says it.
type FaultRecord struct {
	Service     string  `json:"service,omitempty"`
	Operation   string  `json:"operation,omitempty"`
	Region      string  `json:"region,omitempty"`
	Code        string  `json:"code,omitempty"`
	Count       int     `json:"count,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	Latency     string  `json:"latency,omitempty"`
}

func faultRecords(fs []awssim.Fault) []FaultRecord {
	var out []FaultRecord
	for _, f := range fs {
		r := FaultRecord{Service: f.Service, Operation: f.Operation, Region: f.Region, Code: f.Code, Count: f.Count, Probability: f.Probability}
		if f.Latency > 0 {
			r.Latency = f.Latency.String()
		}
		out = append(out, r)
	}
	return out
}

// Entry kinds.
const (
	EntryStep       = "step"
	EntryInvocation = "invocation"
	EntryDeadLetter = "dead-letter"
	// EntryExecution is a run of the organization sweep's state machine
	// (its tasks' invocations are entries of their own, before it).
	EntryExecution = "execution"
)

// Entry is one line of the timeline.
type Entry struct {
	Offset Offset    `json:"offset"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	// Step is the scenario path of a step ("timeline[2]").
	Step string `json:"step,omitempty"`
	// Summary is what happened, in a few words.
	Summary    string `json:"summary"`
	EventID    string `json:"eventId,omitempty"`
	Source     string `json:"source,omitempty"`
	DetailType string `json:"detailType,omitempty"`
	// Rule that delivered the event; empty for a direct or scheduled
	// invocation.
	Rule       string      `json:"rule,omitempty"`
	Invocation *Invocation `json:"invocation,omitempty"`
	Execution  *Execution  `json:"execution,omitempty"`
	// Error of a step the sim refused, or of a failed execution.
	Error string `json:"error,omitempty"`
}

// ActionRecord is one action a function took, planned or skipped, as it
// notified it.
type ActionRecord struct {
	Offset   Offset    `json:"offset"`
	Time     time.Time `json:"time"`
	Function string    `json:"function"`
	EventID  string    `json:"eventId"`
	DryRun   bool      `json:"dryRun"`
	notify.Action
}

// FindingRecord is a (check, resource) as notified: its latest status and
// how many notifications carried it.
type FindingRecord struct {
	Check        string          `json:"check"`
	Status       notify.Status   `json:"status"`
	Severity     notify.Severity `json:"severity"`
	Resource     string          `json:"resource"`
	ResourceType string          `json:"resourceType"`
	Region       string          `json:"region"`
	Summary      string          `json:"summary"`
	Remediation  string          `json:"remediation,omitempty"`
	Notified     int             `json:"notified"`
	First        Offset          `json:"first"`
	Last         Offset          `json:"last"`
}

// GroupSeries is a group's capacity over the run, one sample per change.
type GroupSeries struct {
	// Account is a member's id; empty for the hub's own (or the single) account.
	Account string   `json:"account,omitempty"`
	Name    string   `json:"name"`
	Region  string   `json:"region"`
	AZs     []string `json:"azs"` // every AZ of the region
	Samples []Sample `json:"samples"`
}

// Sample is a group at one tick. InService counts instances Auto Scaling
// has InService and healthy.
type Sample struct {
	Offset    Offset         `json:"offset"`
	Time      time.Time      `json:"time"`
	AZCounts  map[string]int `json:"azCounts"`
	InService int            `json:"inService"`
	Min       int            `json:"min"`
	Max       int            `json:"max"`
	Desired   int            `json:"desired"`
	// SubnetAZs are the AZs of the group's subnets, in order.
	SubnetAZs []string `json:"subnetAZs"`
	Subnets   []string `json:"subnets"`
	// Impaired AZs of the region at that moment.
	Impaired []string `json:"impaired,omitempty"`
}

func (s Sample) same(o Sample) bool {
	return maps.Equal(s.AZCounts, o.AZCounts) && s.InService == o.InService && s.Min == o.Min && s.Max == o.Max &&
		s.Desired == o.Desired && slices.Equal(s.Subnets, o.Subnets) && slices.Equal(s.Impaired, o.Impaired)
}

// Final is the account when the run ends.
type Final struct {
	Groups      []FinalGroup `json:"groups"`
	DeadLetters []DeadLetter `json:"deadLetters"`
}

// FinalGroup is a group at the end, with its lowest capacity of the run.
type FinalGroup struct {
	Account         string            `json:"account,omitempty"`
	Name            string            `json:"name"`
	Region          string            `json:"region"`
	Min             int               `json:"min"`
	Max             int               `json:"max"`
	Desired         int               `json:"desired"`
	Subnets         []string          `json:"subnets"`
	SubnetAZs       []string          `json:"subnetAZs"`
	OriginalSubnets bool              `json:"originalSubnets"`
	AZCounts        map[string]int    `json:"azCounts"`
	InService       int               `json:"inService"`
	Suspended       []string          `json:"suspended,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	MinInService    int               `json:"minInService"`
	MinInServiceAt  Offset            `json:"minInServiceAt"`
}

// DeadLetter is one message of the dead-letter queue: a quarantined event
// (Kind malformed, foreign or unprocessable, with the reason) or Lambda's
// record of an event whose retries were exhausted (Kind
// RetriesExhausted, with the last error).
type DeadLetter struct {
	SentAt     time.Time `json:"sentAt"`
	Kind       string    `json:"kind"`
	Reason     string    `json:"reason"`
	Function   string    `json:"function"`
	EventID    string    `json:"eventId,omitempty"`
	Source     string    `json:"source,omitempty"`
	DetailType string    `json:"detailType,omitempty"`
}

// BusStats counts what the bus saw.
type BusStats struct {
	// Events put on the deployment region's bus (by the account and by
	// the scenario), each counted once.
	Events int `json:"events"`
	// Routed of them matched at least one rule.
	Routed int `json:"routed"`
	// Deliveries made, retries and duplicates included.
	Deliveries int `json:"deliveries"`
	// OtherRegions: events emitted in regions without a deployment.
	OtherRegions int `json:"otherRegions"`
	// Unrouted counts events no rule matched, by "source: detail-type".
	Unrouted map[string]int `json:"unrouted,omitempty"`
}

// CallStats counts the AWS call attempts of the run (seeding excluded).
type CallStats struct {
	Total  int        `json:"total"`
	Errors int        `json:"errors"`
	Writes int        `json:"writes"`
	ByOp   []OpCounts `json:"byOperation"`
}

// OpCounts are one operation's call attempts.
type OpCounts struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Calls     int    `json:"calls"`
	Errors    int    `json:"errors,omitempty"`
}

// Result is one expectation checked.
type Result struct {
	// Path of the expectation in the scenario, e.g. "expect.groups[0].minInService".
	Path   string `json:"path"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Failures are the expectations that did not hold.
func (r *Report) Failures() []Result {
	var out []Result
	for _, e := range r.Expectations {
		if !e.OK {
			out = append(out, e)
		}
	}
	return out
}

func callStats(calls []awssim.Call, stateTable string) CallStats {
	var st CallStats
	idx := map[[2]string]int{}
	for _, c := range calls {
		st.Total++
		k := [2]string{c.Service, c.Operation}
		i, ok := idx[k]
		if !ok {
			i = len(st.ByOp)
			idx[k] = i
			st.ByOp = append(st.ByOp, OpCounts{Service: c.Service, Operation: c.Operation})
		}
		st.ByOp[i].Calls++
		if c.Err != nil {
			st.Errors++
			st.ByOp[i].Errors++
		} else if !c.IsRead() && !ownWrite(c, stateTable) {
			st.Writes++
		}
	}
	slices.SortFunc(st.ByOp, func(a, b OpCounts) int {
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return strings.Compare(a.Operation, b.Operation)
	})
	return st
}

// ownWrite reports a write to selfheal's own resources (what a dry run
// still does): notifications, the dead-letter queue and the state table.
func ownWrite(c awssim.Call, stateTable string) bool {
	switch c.Service {
	case awssim.ServiceSNS:
		return c.Operation == "Publish"
	case awssim.ServiceSQS:
		return c.Operation == "SendMessage" || c.Operation == "DeleteMessage"
	case awssim.ServiceDynamoDB:
		var table *string
		switch in := c.Input.(type) {
		case *dynamodb.PutItemInput:
			table = in.TableName
		case *dynamodb.UpdateItemInput:
			table = in.TableName
		case *dynamodb.DeleteItemInput:
			table = in.TableName
		}
		return table != nil && *table == stateTable
	}
	return false
}

// findingRecords folds the notified findings per (check, resource).
func findingRecords(ns []Notification) []FindingRecord {
	idx := map[[2]string]int{}
	var out []FindingRecord
	for _, n := range ns {
		seen := map[[2]string]bool{}
		for _, f := range n.Findings {
			k := [2]string{f.Check, f.Resource}
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, FindingRecord{Check: f.Check, Resource: f.Resource, First: n.Offset})
			}
			r := &out[i]
			r.Status, r.Severity, r.ResourceType, r.Region = f.Status, f.Severity, f.ResourceType, f.Region
			r.Summary, r.Remediation, r.Last = f.Summary, f.Remediation, n.Offset
			if !seen[k] {
				r.Notified++
				seen[k] = true
			}
		}
	}
	rank := map[notify.Status]int{notify.StatusFail: 0, notify.StatusError: 1, notify.StatusWarn: 2, notify.StatusPass: 3, notify.StatusNotApplicable: 4}
	slices.SortStableFunc(out, func(a, b FindingRecord) int {
		if d := rank[a.Status] - rank[b.Status]; d != 0 {
			return d
		}
		if c := strings.Compare(a.Check, b.Check); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	return out
}

func actionRecords(ns []Notification) []ActionRecord {
	var out []ActionRecord
	for _, n := range ns {
		for _, a := range n.Actions {
			out = append(out, ActionRecord{Offset: n.Offset, Time: n.Time, Function: n.Function, EventID: n.EventID, DryRun: n.DryRun, Action: a})
		}
	}
	return out
}

// deadLetters reads the dead-letter queue's messages.
func deadLetters(msgs []awssim.QueueMessage) []DeadLetter {
	out := []DeadLetter{}
	for _, m := range msgs {
		attr := func(k string) string { return m.Attributes[k].StringValue }
		if kind := attr("error_kind"); kind != "" {
			out = append(out, DeadLetter{
				SentAt: m.SentAt, Kind: kind, Reason: attr("reason"), Function: attr("function"),
				EventID: attr("event_id"), Source: attr("source"), DetailType: attr("detail_type"),
			})
			continue
		}
		var rec struct {
			RequestContext struct {
				FunctionARN string `json:"functionArn"`
				Condition   string `json:"condition"`
			} `json:"requestContext"`
			RequestPayload struct {
				ID         string `json:"id"`
				Source     string `json:"source"`
				DetailType string `json:"detail-type"`
			} `json:"requestPayload"`
			ResponsePayload struct {
				ErrorMessage string `json:"errorMessage"`
			} `json:"responsePayload"`
		}
		dl := DeadLetter{SentAt: m.SentAt, Kind: "unknown", Reason: m.Body}
		if json.Unmarshal([]byte(m.Body), &rec) == nil && rec.RequestContext.Condition != "" {
			fn := strings.TrimSuffix(rec.RequestContext.FunctionARN, ":$LATEST")
			dl = DeadLetter{
				SentAt: m.SentAt, Kind: rec.RequestContext.Condition, Reason: rec.ResponsePayload.ErrorMessage,
				Function: strings.TrimPrefix(lastPart(fn), "selfheal-"), EventID: rec.RequestPayload.ID,
				Source: rec.RequestPayload.Source, DetailType: rec.RequestPayload.DetailType,
			}
		}
		out = append(out, dl)
	}
	return out
}

// globMatch matches a resource glob ("*" any run, "?" one character)
// against an ARN, whose slashes are ordinary characters here.
func globMatch(pattern, s string) bool {
	const sep = "\x00"
	ok, _ := path.Match(strings.ReplaceAll(pattern, "/", sep), strings.ReplaceAll(s, "/", sep))
	return ok
}
