package gameday

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/orgsweep"
)

// OrganizationID is the organization a game day with accounts plays.
const OrganizationID = "o-gamedayorg01"

// organize makes the scenario's account the hub of an organization: the
// member accounts with their own regions and AZs, one member OU holding
// them, and in each the member role the hub's functions assume (unless
// the scenario says it was deleted), as the StackSet deploys it. It
// returns the organization setting the hub deployment has.
func (w *World) organize() (*config.Organization, error) {
	hub := w.Sim
	for _, a := range w.Scenario.Accounts {
		m := hub.AddMember(a.ID, awssim.WithRegions(a.State.Regions...), awssim.WithAZCount(a.State.AZCount))
		m.SetSupportPlan(awssim.SupportPlan(a.State.SupportPlan))
		w.accounts = append(w.accounts, newAccount(a.ID, m, a.State))
	}
	root := hub.CreateOrganization(OrganizationID)
	ou, err := hub.CreateOU(root, "workloads")
	if err != nil {
		return nil, fmt.Errorf("create the member OU: %w", err)
	}
	org := config.DefaultOrganization()
	org.ID, org.MemberOUs, org.RootID, org.Regions = OrganizationID, []string{ou}, root, []string{w.Scenario.Region}
	for i, a := range w.Scenario.Accounts {
		if err := hub.MoveAccount(a.ID, ou); err != nil {
			return nil, err
		}
		m := w.accounts[i+1].sim
		m.CreateRole(org.MemberRoleName, awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(hub.AccountID())}, OrgID: OrganizationID})
		if !a.MemberRole {
			m.DeleteRole(org.MemberRoleName)
		}
	}
	return &org, nil
}

// in is the account a step acts in: a member's, or the hub's own for "".
func (w *World) in(id string) *account {
	for _, a := range w.accounts {
		if a.id == id {
			return a
		}
	}
	return w.accounts[0]
}

// callCount is how many call attempts every account has answered.
func (w *World) callCount() int {
	n := 0
	for _, a := range w.accounts {
		n += a.sim.CallCount()
	}
	return n
}

// calls are the call attempts of the run, every account's.
func (w *World) calls() []awssim.Call {
	var out []awssim.Call
	for _, a := range w.accounts {
		out = append(out, a.sim.CallsSince(a.callBase)...)
	}
	return out
}

// Execution is one run of the organization sweep's state machine.
type Execution struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// Duration is the execution's own time, its map at its concurrency.
	Duration    Offset `json:"duration"`
	Transitions int    `json:"transitions"`
	// Items, Succeeded and Failed count the map's account-regions.
	Items     int `json:"items"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Duplicate: another delivery of the schedule's event started a run
	// already; this one did nothing.
	Duplicate bool `json:"duplicate,omitempty"`
	// Output is what the execution returned (the aggregate's answer).
	Output json.RawMessage `json:"output,omitempty"`
}

// execute runs the organization sweep's state machine, started by its
// schedule with the scheduled event as input, as Step Functions does:
// orgsweep.Execute on this world's clock, each task a synchronous
// invocation of org-sweep with its own request id and deadline. Every
// invocation goes on the timeline.
func (r *runner) execute(ctx context.Context, d delivery) {
	w := r.w
	fn := w.deployed[d.function]
	name := w.newEventID()
	rt := orgsweep.Runtime{
		Now: w.Sim.Now, Sleep: w.Sim.Sleep, Jitter: w.ids.Float64,
		Invoke: func(ctx context.Context, _ string, payload []byte) ([]byte, error) {
			inv, out, err := w.InvokeTask(ctx, d.function, payload, "")
			task, summary := describeTask(payload)
			r.entry(Entry{Kind: EntryInvocation, Summary: summary, DetailType: "task " + task, EventID: d.ev.ID, Invocation: &inv})
			return out, err
		},
	}
	ex, err := orgsweep.Execute(ctx, rt, w.orgSweep, name, d.ev.Raw)
	e := Entry{Kind: EntryExecution, EventID: d.ev.ID, Source: d.ev.Source, DetailType: d.ev.DetailType, Rule: d.rule}
	if err != nil {
		e.Summary, e.Error = "the state machine could not run", err.Error()
		r.entry(e)
		return
	}
	x := &Execution{Name: ex.Name, Status: ex.Status, Error: ex.Error, Cause: ex.Cause, Duration: Offset(ex.Duration),
		Transitions: ex.Transitions, Output: ex.Output}
	for _, m := range ex.Maps {
		x.Items, x.Succeeded, x.Failed = x.Items+m.Items, x.Succeeded+m.Succeeded, x.Failed+m.Failed
	}
	var out struct {
		DuplicateOf string `json:"duplicateOf"`
	}
	x.Duplicate = json.Unmarshal(ex.Output, &out) == nil && out.DuplicateOf != ""
	e.Execution = x
	e.Summary = fmt.Sprintf("%s %s: %d account-regions, child executions %d succeeded, %d failed, %d state transitions", fn.fn.Name, strings.ToLower(ex.Status),
		x.Items, x.Succeeded, x.Failed, x.Transitions)
	if x.Duplicate {
		e.Summary = fmt.Sprintf("%s %s: another delivery of the schedule's event, nothing swept", fn.fn.Name, strings.ToLower(ex.Status))
	}
	if ex.Status != orgsweep.StatusSucceeded {
		e.Error = ex.Error + ": " + ex.Cause
	}
	r.entry(e)
}

// InvokeTask runs a state machine's function once on a task's payload, as
// a synchronous Lambda invocation: Lambda's context (a request id, new
// when "", the function's ARN) and its deadline. It returns the
// invocation as the function logged it and the function's answer.
func (w *World) InvokeTask(ctx context.Context, function string, payload []byte, requestID string) (Invocation, []byte, error) {
	d, ok := w.deployed[function]
	if !ok || d.tasks == nil {
		return Invocation{}, nil, fmt.Errorf("no state machine function %q", function)
	}
	if requestID == "" {
		requestID = w.newEventID()
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: d.arn})
	ctx, cancel := context.WithTimeout(ctx, d.fn.Timeout)
	defer cancel()
	calls, published := w.callCount(), len(w.Sim.Published())
	d.out.take()
	out, err := d.tasks(ctx, payload)
	inv := DecodeLogLine(d.out.take())
	inv.Function, inv.Attempt = function, 1
	if err != nil {
		inv.Status, inv.Error = StatusError, err.Error()
	}
	inv.Calls = w.callCount() - calls
	for _, m := range inPublishingOrder(w.Sim.Published()[published:]) {
		n := notificationOf(m)
		n.Offset = w.offset(n.Time)
		inv.Notifications = append(inv.Notifications, n)
	}
	return inv, out, err
}

// describeTask says which task an invocation ran, and for what.
func describeTask(payload []byte) (task, summary string) {
	var p struct {
		Task, Account, Region string
	}
	_ = json.Unmarshal(payload, &p) // a payload the function refuses shows as an error
	if p.Account != "" {
		return p.Task, fmt.Sprintf("org-sweep task %s: %s %s", p.Task, p.Account, p.Region)
	}
	return p.Task, "org-sweep task " + p.Task
}
