package gameday

import (
	"slices"
	"time"

	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/sweep"
)

// Function is one deployable function as its Lambda main wires it.
type Function struct {
	Name string
	// New builds its processor from the function's dependencies.
	New func(handler.Deps) handler.Processor
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

// Scheduled reports whether the function runs on a schedule (it handles
// aws.events "Scheduled Event"), as well as on its rules if it has any.
func (f Function) Scheduled() bool { return slices.Contains(f.Kinds, eventbridge.KindScheduled) }

// functions is every function of the suite. Adding one is one entry.
var functions = []Function{
	{Name: "asg-rebalancer", New: func(d handler.Deps) handler.Processor { return rebalance.New(d) }, Kinds: rebalance.Kinds,
		Retries: 2, Timeout: 2 * time.Minute, ReservedConcurrency: 1},
	{Name: "backup-compliance", New: func(d handler.Deps) handler.Processor { return compliance.New(d) }, Kinds: compliance.Kinds,
		Retries: 2, Timeout: time.Minute},
	{Name: "compliance-sweep", New: func(d handler.Deps) handler.Processor { return sweep.New(d) }, Kinds: sweep.Kinds,
		Retries: 1, Timeout: 15 * time.Minute},
}

// Functions lists the functions, in table order.
func Functions() []Function { return slices.Clone(functions) }

// Lookup finds a function by name.
func Lookup(name string) (Function, bool) {
	i := slices.IndexFunc(functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return functions[i], true
}

// FunctionNames lists the functions' names.
func FunctionNames() []string {
	out := make([]string, len(functions))
	for i, f := range functions {
		out[i] = f.Name
	}
	return out
}

// ParseOptions are the scenario.Options of this build: its functions, the
// known check ids, and event files read from the sample catalogue or,
// relative to dir, from disk (dir "" for an embedded scenario).
func ParseOptions(name, file, dir string) scenario.Options {
	fns := make([]scenario.Function, len(functions))
	for i, f := range functions {
		fns[i] = scenario.Function{Name: f.Name, Scheduled: f.Scheduled()}
	}
	return scenario.Options{
		Name: name, File: file, Functions: fns, Checks: append(compliance.Checks(), compliance.SweepChecks()...),
		ReadEvent: func(path string) ([]byte, error) { return ReadEvent(path, dir) },
	}
}
