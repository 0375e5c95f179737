package gameday

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/orgtasks"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/sweep"
)

// Function is one deployable function as its Lambda main wires it.
type Function struct {
	Name string
	// New builds its processor from the function's dependencies.
	New func(handler.Deps) handler.Processor
	// Tasks builds, instead, the handler of a state machine's tasks
	// (org-sweep), invoked synchronously by Step Functions.
	Tasks func(handler.Deps) (TaskHandler, error)
	// Shape is where it is deployed: "" everywhere, scenario.ShapeSingle
	// in a single account only, scenario.ShapeHub in an organization's
	// hub only (infra/functions.go).
	Shape string
	// Kinds are the event kinds its boundary handles.
	Kinds []eventbridge.Kind
	// Retries of an asynchronous invocation that returned an error, as its
	// EventInvokeConfig sets them (infra/functions.go).
	Retries int
	// Timeout and ReservedConcurrency are the function's, as the stack
	// deploys it (infra/functions.go; a test there keeps them equal): the
	// game day gives each invocation Lambda's deadline.
	Timeout             time.Duration
	ReservedConcurrency int
}

// TaskHandler is a function invoked with a task's payload that answers
// one (lambda.Start of func(ctx, json.RawMessage) (json.RawMessage, error)).
type TaskHandler func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

// Scheduled reports whether the function runs on a schedule (it handles
// aws.events "Scheduled Event", or its state machine starts on one), as
// well as on its rules if it has any.
func (f Function) Scheduled() bool {
	return f.Tasks != nil || slices.Contains(f.Kinds, eventbridge.KindScheduled)
}

// functions is every function of the suite. Adding one is one entry.
var functions = []Function{
	{Name: "asg-rebalancer", New: func(d handler.Deps) handler.Processor { return rebalance.New(d) }, Kinds: rebalance.Kinds,
		Retries: 2, Timeout: 2 * time.Minute, ReservedConcurrency: 1},
	{Name: "backup-compliance", New: func(d handler.Deps) handler.Processor { return compliance.New(d) }, Kinds: compliance.Kinds,
		Retries: 2, Timeout: time.Minute},
	{Name: "compliance-sweep", New: func(d handler.Deps) handler.Processor { return sweep.New(d) }, Kinds: sweep.Kinds,
		Retries: 1, Timeout: 15 * time.Minute, Shape: scenario.ShapeSingle},
	// The organization sweep's tasks, run by its state machine on the
	// sweep schedule (shared/orgsweep), in place of compliance-sweep.
	{Name: "org-sweep", Tasks: func(d handler.Deps) (TaskHandler, error) {
		h, err := orgtasks.New(d, organizations.NewFromConfig(d.AWS))
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}, Timeout: 15 * time.Minute, Shape: scenario.ShapeHub},
}

// Functions lists the functions a single account deploys, in table order.
func Functions() []Function { return shaped(scenario.ShapeSingle) }

// HubFunctions lists the functions an organization's hub deploys.
func HubFunctions() []Function { return shaped(scenario.ShapeHub) }

func shaped(shape string) []Function {
	var out []Function
	for _, f := range functions {
		if f.Shape == "" || f.Shape == shape {
			out = append(out, f)
		}
	}
	return out
}

// Functions lists the functions this world deploys.
func (w *World) Functions() []Function {
	if len(w.Scenario.Accounts) > 0 {
		return HubFunctions()
	}
	return Functions()
}

// Lookup finds a function by name, in either deployment shape.
func Lookup(name string) (Function, bool) {
	i := slices.IndexFunc(functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return functions[i], true
}

// FunctionNames lists the names of the functions a single account
// deploys.
func FunctionNames() []string {
	var out []string
	for _, f := range Functions() {
		out = append(out, f.Name)
	}
	return out
}

// ParseOptions are the scenario.Options of this build: its functions, the
// known check ids, and event files read from the sample catalogue or,
// relative to dir, from disk (dir "" for an embedded scenario).
func ParseOptions(name, file, dir string) scenario.Options {
	fns := make([]scenario.Function, len(functions))
	for i, f := range functions {
		fns[i] = scenario.Function{Name: f.Name, Scheduled: f.Scheduled(), Shape: f.Shape}
	}
	return scenario.Options{
		Name: name, File: file, Functions: fns, Checks: append(append(compliance.Checks(), compliance.SweepChecks()...), handler.CheckMemberRole),
		ReadEvent: func(path string) ([]byte, error) { return ReadEvent(path, dir) },
	}
}
