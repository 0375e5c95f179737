package orgsweep

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"
)

// Runtime is what an execution runs on: how a task's Lambda function is
// called and how time passes (the simulated account's clock in game days).
type Runtime struct {
	// Invoke calls function synchronously with payload and returns its
	// response payload, as lambda:invoke (RequestResponse) does. An error
	// is the function's: a *TaskError names itself; any other is named as
	// Lambda names a Go function's error, by its type.
	Invoke func(ctx context.Context, function string, payload []byte) ([]byte, error)
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	// Jitter draws a number in [0, 1) for a retrier's FULL jitter; nil
	// waits the whole computed delay.
	Jitter func() float64
}

// TaskError is a task's failure as Step Functions names it: the error
// name retriers and catchers match, and its cause.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// Execution is one run of a state machine.
type Execution struct {
	Name   string
	Status string // SUCCEEDED or FAILED
	Output json.RawMessage
	// Error and Cause say why a FAILED execution failed.
	Error, Cause string
	Start        time.Time
	// Duration is the execution's time, each Map counting the time its
	// children take at its concurrency (see Execute).
	Duration time.Duration
	// Transitions are the state transitions Step Functions bills: every
	// state entered and every retry, in child executions too.
	Transitions int
	// States are the top-level states entered, in order.
	States []string
	Maps   []MapRun
}

// Execution statuses, as DescribeExecution reports them.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	// StatusNotStarted is a Map item whose child never started: the map
	// failed first.
	StatusNotStarted = "NOT_STARTED"
)

// MapRun is what one Distributed Map did.
type MapRun struct {
	State          string
	Items          int
	MaxConcurrency int
	// Succeeded, Failed and NotStarted count the items' child executions.
	Succeeded, Failed, NotStarted int
	// Error is the map's own failure (e.g. States.ExceedToleratedFailureThreshold).
	Error string
	// Duration is from the map's start to its last child's end (or to its
	// failure) with MaxConcurrency children at a time; Serial is the sum
	// of the children's times, Longest the longest one.
	Duration, Serial, Longest time.Duration
	Children                  []Child
}

// Child is one item's child execution.
type Child struct {
	Index  int
	Status string
	// Error and Cause of a FAILED child.
	Error, Cause string
	// Start is its offset from the map's start; Duration its own time.
	Start, Duration time.Duration
	// Attempts of its tasks (first tries and retries).
	Attempts    int
	Transitions int
}

// Execute runs definition on input with the Amazon States Language's
// semantics for what it uses: Task (lambda:invoke), Pass, Fail, Succeed
// and Distributed Map states; InputPath, Parameters, ResultSelector,
// ResultPath and OutputPath; Retry (interval, backoff, maximum delay,
// jitter, per-retrier attempts) and Catch with the error names' wildcard
// rules; task TimeoutSeconds; the 256 KiB payload limit; a Map's
// ItemsPath, ItemSelector, MaxConcurrency and tolerated failures.
//
// Time is the runtime's. The children of a Map run one at a time, in item
// order (so a run replays exactly), each measured on the runtime's clock;
// the executor places each on the first of MaxConcurrency slots to come
// free, which gives the map's duration and the moment a tolerated-failure
// threshold is crossed — children that would start after that never do;
// those already running finish (Step Functions lets them). The runtime's
// clock, having run the children back to back, ends up ahead of the
// execution's own time by the difference.
//
// A definition the executor cannot run faithfully (an unknown field, state
// type or resource) is an error; so is a cancelled context. A failing
// execution is not: its Status says FAILED, and why.
func Execute(ctx context.Context, rt Runtime, definition, name string, input []byte) (*Execution, error) {
	m, err := parseDefinition(definition)
	if err != nil {
		return nil, err
	}
	in, err := decodeValue(input)
	if err != nil {
		return nil, fmt.Errorf("execution input: %w", err)
	}
	r := &runner{rt: rt, exec: &Execution{Name: name, Start: rt.Now()}}
	ectx := map[string]any{"Execution": map[string]any{
		"Id": "execution:" + name, "Name": name, "Input": in,
		"StartTime": r.exec.Start.UTC().Format(time.RFC3339Nano),
	}}
	out, fail, err := r.machine(ctx, m, in, ectx, &r.exec.Transitions, nil, &r.exec.States)
	r.exec.Duration = r.now().Sub(r.exec.Start)
	if err != nil {
		return r.exec, err
	}
	if fail != nil {
		r.exec.Status, r.exec.Error, r.exec.Cause = StatusFailed, fail.Name, fail.Cause
		return r.exec, nil
	}
	r.exec.Status = StatusSucceeded
	r.exec.Output, err = json.Marshal(out)
	return r.exec, err
}

type runner struct {
	rt   Runtime
	exec *Execution
	// ahead is how far the runtime's clock is ahead of the execution's
	// time: the Maps' children ran one after another.
	ahead time.Duration
}

func (r *runner) now() time.Time { return r.rt.Now().Add(-r.ahead) }

// failure is an error as states see it.
type failure struct {
	Name, Cause string
	fromTask    bool
}

func runtimeFailure(format string, args ...any) *failure {
	return &failure{Name: ErrRuntime, Cause: fmt.Sprintf(format, args...)}
}

// machine runs m from its StartAt until a state ends it. attempts, when
// not nil, counts task attempts; entered, when not nil, the states.
func (r *runner) machine(ctx context.Context, m *machine, input any, ectx map[string]any, transitions, attempts *int, entered *[]string) (any, *failure, error) {
	name := m.StartAt
	for {
		s := m.States[name]
		*transitions++
		if entered != nil {
			*entered = append(*entered, name)
		}
		out, next, fail, err := r.state(ctx, name, s, input, ectx, transitions, attempts)
		if err != nil || fail != nil {
			return nil, fail, err
		}
		if next == "" {
			return out, nil, nil
		}
		name, input = next, out
	}
}

// state runs one state: its input processing, its work with retries, its
// catchers and its output processing. It returns the output and the next
// state ("" when the machine ends), or the failure that ends the machine.
func (r *runner) state(ctx context.Context, name string, s *stateSpec, raw any, ectx map[string]any, transitions, attempts *int) (any, string, *failure, error) {
	sctx := withState(ectx, name, r.now(), 0)
	effective, fail := s.effectiveInput(raw, sctx)
	var result any
	var err error
	if fail == nil {
		result, fail, err = r.withRetries(ctx, name, s, effective, ectx, transitions, attempts)
		if err != nil {
			return nil, "", nil, err
		}
	}
	if fail == nil {
		var out any
		out, fail = s.output(raw, result, sctx)
		if fail == nil {
			next := s.Next
			if s.Type == "Fail" || s.Type == "Succeed" {
				next = ""
			}
			return out, next, nil, nil
		}
	}
	if s.Type == "Fail" {
		return nil, "", fail, nil
	}
	for _, c := range s.Catch {
		if !matchesAny(c.ErrorEquals, fail) {
			continue
		}
		errOut := map[string]any{"Error": fail.Name, "Cause": fail.Cause}
		path, null, _ := pathField(c.ResultPath)
		if null {
			return raw, c.Next, nil, nil
		}
		ref, _ := parsePath(path)
		out, err := ref.set(raw, errOut)
		if err != nil {
			return nil, "", &failure{Name: ErrResultPathMatch, Cause: err.Error()}, nil
		}
		return out, c.Next, nil, nil
	}
	return nil, "", fail, nil
}

// effectiveInput applies InputPath and Parameters.
func (s *stateSpec) effectiveInput(raw any, sctx map[string]any) (any, *failure) {
	in := raw
	path, null, _ := pathField(s.InputPath)
	switch {
	case null:
		in = map[string]any{}
	default:
		ref, _ := parsePath(path)
		v, ok := ref.get(raw, sctx)
		if !ok {
			return nil, runtimeFailure("InputPath %s selects nothing", path)
		}
		in = v
	}
	if s.Parameters != nil {
		tmpl, err := decodeValue(s.Parameters)
		if err != nil {
			return nil, runtimeFailure("Parameters: %v", err)
		}
		if in, err = template(tmpl, in, sctx); err != nil {
			return nil, runtimeFailure("Parameters: %v", err)
		}
	}
	if size := sizeOf(in); size > PayloadLimit {
		return nil, &failure{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf("the state's input is %d bytes, over %d", size, PayloadLimit)}
	}
	return in, nil
}

// output applies ResultSelector, ResultPath and OutputPath, and the
// payload limit.
func (s *stateSpec) output(raw, result any, sctx map[string]any) (any, *failure) {
	if s.Type == "Fail" {
		return nil, s.failure(raw, sctx)
	}
	if s.ResultSelector != nil {
		tmpl, err := decodeValue(s.ResultSelector)
		if err != nil {
			return nil, runtimeFailure("ResultSelector: %v", err)
		}
		if result, err = template(tmpl, result, sctx); err != nil {
			return nil, runtimeFailure("ResultSelector: %v", err)
		}
	}
	out := raw
	if s.Type != "Succeed" {
		path, null, _ := pathField(s.ResultPath)
		if !null {
			ref, _ := parsePath(path)
			var err error
			if out, err = ref.set(raw, result); err != nil {
				return nil, &failure{Name: ErrResultPathMatch, Cause: err.Error()}
			}
		}
	}
	path, null, _ := pathField(s.OutputPath)
	if null {
		out = map[string]any{}
	} else {
		ref, _ := parsePath(path)
		v, ok := ref.get(out, sctx)
		if !ok {
			return nil, runtimeFailure("OutputPath %s selects nothing", path)
		}
		out = v
	}
	if size := sizeOf(out); size > PayloadLimit {
		return nil, &failure{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf("the state's output is %d bytes, over %d", size, PayloadLimit)}
	}
	return out, nil
}

// failure is what a Fail state fails with: its Error and Cause, or what
// ErrorPath and CausePath select in its input (strings).
func (s *stateSpec) failure(in any, sctx map[string]any) *failure {
	f := &failure{Name: s.Error, Cause: s.Cause}
	for _, p := range []struct {
		path string
		to   *string
	}{{s.ErrorPath, &f.Name}, {s.CausePath, &f.Cause}} {
		if p.path == "" {
			continue
		}
		ref, _ := parsePath(p.path)
		v, ok := ref.get(in, sctx)
		str, isString := v.(string)
		if !ok || !isString {
			return runtimeFailure("Fail state path %s does not select a string", p.path)
		}
		*p.to = str
	}
	return f
}

// withRetries does the state's work, retrying as its retriers say. Each
// retrier counts its own attempts; the first retrier whose ErrorEquals
// matches decides, and once it is spent the error goes to the catchers.
// https://states-language.net/spec.html#retrying-after-error
func (r *runner) withRetries(ctx context.Context, name string, s *stateSpec, in any, ectx map[string]any, transitions, attempts *int) (any, *failure, error) {
	used := make([]int, len(s.Retry))
	for retry := 0; ; retry++ {
		sctx := withState(ectx, name, r.now(), retry)
		result, fail, err := r.work(ctx, name, s, in, sctx, transitions, attempts)
		if err != nil || fail == nil {
			return result, nil, err
		}
		i := slices.IndexFunc(s.Retry, func(rt retrier) bool { return matchesAny(rt.ErrorEquals, fail) })
		if i < 0 || fail.Name == ErrRuntime {
			return nil, fail, nil
		}
		rt := s.Retry[i]
		if used[i] >= rt.maxAttempts() {
			return nil, fail, nil
		}
		d := rt.delay(used[i], r.rt.Jitter)
		used[i]++
		*transitions++
		if err := r.rt.Sleep(ctx, d); err != nil {
			return nil, nil, fmt.Errorf("state %s: wait to retry: %w", name, err)
		}
	}
}

// work is one attempt at the state's own work.
func (r *runner) work(ctx context.Context, name string, s *stateSpec, in any, sctx map[string]any, transitions, attempts *int) (any, *failure, error) {
	switch s.Type {
	case "Pass":
		if s.Result != nil {
			v, err := decodeValue(s.Result)
			if err != nil {
				return nil, runtimeFailure("Result: %v", err), nil
			}
			return v, nil, nil
		}
		return in, nil, nil
	case "Task":
		if attempts != nil {
			*attempts++
		}
		return r.task(ctx, s, in)
	case "Map":
		return r.runMap(ctx, name, s, in, sctx)
	default: // Fail, Succeed: their output step does the rest
		return in, nil, nil
	}
}

// task invokes the Lambda function the way the lambda:invoke integration
// does: Parameters give FunctionName and Payload; the result is the
// invocation's response with the function's output under Payload.
// https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
func (r *runner) task(ctx context.Context, s *stateSpec, in any) (any, *failure, error) {
	params, ok := in.(map[string]any)
	if !ok {
		return nil, runtimeFailure("lambda:invoke parameters are a %s", kindOf(in)), nil
	}
	for k := range params {
		if k != "FunctionName" && k != "Payload" {
			return nil, runtimeFailure("lambda:invoke parameter %s is not run by the executor", k), nil
		}
	}
	fn, _ := params["FunctionName"].(string)
	if fn == "" {
		return nil, runtimeFailure("lambda:invoke without a FunctionName"), nil
	}
	payload, err := json.Marshal(params["Payload"])
	if err != nil {
		return nil, runtimeFailure("lambda:invoke payload: %v", err), nil
	}
	start := r.rt.Now()
	out, ierr := r.rt.Invoke(ctx, fn, payload)
	if cerr := ctx.Err(); cerr != nil {
		return nil, nil, fmt.Errorf("invoke %s: %w", fn, cerr)
	}
	// Step Functions stops waiting at TimeoutSeconds; the function's own
	// outcome then no longer counts.
	if s.TimeoutSeconds > 0 && r.rt.Now().Sub(start) > time.Duration(s.TimeoutSeconds)*time.Second {
		return nil, &failure{Name: ErrTimeout, Cause: fmt.Sprintf("the task ran longer than %d s", s.TimeoutSeconds), fromTask: true}, nil
	}
	if ierr != nil {
		return nil, taskFailure(ierr), nil
	}
	var body any
	if len(out) > 0 {
		if body, err = decodeValue(out); err != nil {
			return nil, &failure{Name: "Lambda.Unknown", Cause: fmt.Sprintf("the function's response is not JSON: %v", err), fromTask: true}, nil
		}
	}
	return map[string]any{"ExecutedVersion": "$LATEST", "Payload": body, "StatusCode": json.Number("200")}, nil, nil
}

// taskFailure names a function's error as the lambda:invoke integration
// does: the errorType Lambda reported, with the error document as the
// cause.
func taskFailure(err error) *failure {
	var te *TaskError
	if errors.As(err, &te) {
		return &failure{Name: te.Name, Cause: te.Cause, fromTask: true}
	}
	name := LambdaErrorType(err)
	cause, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": name})
	return &failure{Name: name, Cause: string(cause), fromTask: true}
}

// LambdaErrorType is the errorType the Lambda Go runtime reports for a
// handler's error: the name of its type (aws-lambda-go lambda/errors.go).
func LambdaErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// matchesAny reports whether a retrier's or catcher's ErrorEquals covers
// the failure: States.ALL covers all but the terminal errors, and
// States.TaskFailed every task error but States.Timeout.
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
func matchesAny(names []string, f *failure) bool {
	if f.Name == ErrRuntime {
		return false
	}
	for _, n := range names {
		switch {
		case n == f.Name:
			return true
		case f.Name == ErrDataLimitExceeded:
		case n == ErrAll:
			return true
		case n == ErrTaskFailed && f.fromTask && f.Name != ErrTimeout:
			return true
		}
	}
	return false
}

func (rt retrier) maxAttempts() int {
	if rt.MaxAttempts == nil {
		return 3
	}
	return *rt.MaxAttempts
}

// delay before retry number n (0 for the first): IntervalSeconds ×
// BackoffRate^n, at most MaxDelaySeconds, drawn from [0, that) with FULL
// jitter.
func (rt retrier) delay(n int, jitter func() float64) time.Duration {
	interval, rate := 1.0, 2.0
	if rt.IntervalSeconds != nil {
		interval = *rt.IntervalSeconds
	}
	if rt.BackoffRate != nil {
		rate = *rt.BackoffRate
	}
	secs := interval * math.Pow(rate, float64(n))
	if rt.MaxDelaySeconds != nil {
		secs = min(secs, *rt.MaxDelaySeconds)
	}
	if rt.JitterStrategy == "FULL" && jitter != nil {
		secs *= jitter()
	}
	return time.Duration(secs * float64(time.Second))
}

// withState is the context object as a state sees it.
func withState(ectx map[string]any, name string, entered time.Time, retries int) map[string]any {
	out := make(map[string]any, len(ectx)+1)
	for k, v := range ectx {
		out[k] = v
	}
	out["State"] = map[string]any{"Name": name, "EnteredTime": entered.UTC().Format(time.RFC3339Nano), "RetryCount": json.Number(fmt.Sprint(retries))}
	return out
}

func sizeOf(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// runMap runs a Distributed Map: one child execution of the item
// processor per item, at most MaxConcurrency at once, failing with
// States.ExceedToleratedFailureThreshold once more items failed than
// tolerated. Step Functions counts the share of failed items among all
// items and fails the map when it exceeds ToleratedFailurePercentage or
// ToleratedFailureCount (either, if both are set; none set tolerates none).
// https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html
func (r *runner) runMap(ctx context.Context, name string, s *stateSpec, in any, sctx map[string]any) (any, *failure, error) {
	path, _, _ := pathField(s.ItemsPath)
	ref, _ := parsePath(path)
	v, ok := ref.get(in, sctx)
	if !ok {
		return nil, runtimeFailure("ItemsPath %s selects nothing", path), nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, runtimeFailure("ItemsPath %s selects a %s, not an array", path, kindOf(v)), nil
	}
	conc := s.MaxConcurrency
	if conc == 0 {
		conc = distributedMaxConcurrency
	}
	run := MapRun{State: name, Items: len(items), MaxConcurrency: conc, Children: make([]Child, len(items))}
	exceeded := func(failed int) bool {
		pct := 0.0
		if s.ToleratedFailurePercentage != nil {
			pct = *s.ToleratedFailurePercentage
		}
		overPct := (s.ToleratedFailurePercentage != nil || s.ToleratedFailureCount == nil) && float64(failed)*100 > pct*float64(len(items))
		overCount := s.ToleratedFailureCount != nil && failed > *s.ToleratedFailureCount
		return overPct || overCount
	}

	start := r.now()
	slots := make([]time.Duration, min(conc, max(len(items), 1))) // when each slot comes free, from start
	type done struct {
		at     time.Duration
		failed bool
	}
	var pending []done // ended children not yet counted, by end time
	failed := 0
	var failedAt time.Duration = -1
	// count takes the ends up to t into the failure count, noting when the
	// threshold was crossed.
	count := func(t time.Duration) {
		slices.SortStableFunc(pending, func(a, b done) int { return cmp.Compare(a.at, b.at) })
		for len(pending) > 0 && pending[0].at <= t && failedAt < 0 {
			if pending[0].failed {
				failed++
				if exceeded(failed) {
					failedAt = pending[0].at
				}
			}
			pending = pending[1:]
		}
	}
	results := make([]any, len(items))
	ectx := map[string]any{}
	for k, v := range sctx {
		if k != "State" {
			ectx[k] = v
		}
	}
	var end time.Duration
	for i, item := range items {
		slot := slices.Index(slots, slices.Min(slots))
		at := slots[slot]
		count(at)
		if failedAt >= 0 {
			for j := i; j < len(items); j++ {
				run.Children[j] = Child{Index: j, Status: StatusNotStarted}
				run.NotStarted++
			}
			break
		}
		child, out, err := r.child(ctx, s, i, item, in, ectx)
		if err != nil {
			return nil, nil, err
		}
		child.Start = at
		run.Children[i] = child
		run.Serial += child.Duration
		run.Longest = max(run.Longest, child.Duration)
		slots[slot] = at + child.Duration
		end = max(end, slots[slot])
		pending = append(pending, done{at: slots[slot], failed: child.Status == StatusFailed})
		results[i] = out
		if child.Status == StatusFailed {
			run.Failed++
		} else {
			run.Succeeded++
		}
		r.exec.Transitions += child.Transitions
	}
	count(end)
	run.Duration = end
	if failedAt >= 0 {
		run.Duration = failedAt
	}
	// The children ran back to back; the execution goes on from the map's
	// end on its own time.
	r.ahead = r.rt.Now().Sub(start.Add(run.Duration))
	var fail *failure
	if failedAt >= 0 {
		run.Error = ErrExceedToleratedFailed
		fail = &failure{Name: ErrExceedToleratedFailed, Cause: fmt.Sprintf(
			"%d of %d items failed, more than the %s tolerated", run.Failed, len(items), tolerance(s))}
	}
	r.exec.Maps = append(r.exec.Maps, run)
	if fail != nil {
		return nil, fail, nil
	}
	return results, nil, nil
}

func tolerance(s *stateSpec) string {
	switch {
	case s.ToleratedFailurePercentage != nil && s.ToleratedFailureCount != nil:
		return fmt.Sprintf("%v %% or %d", *s.ToleratedFailurePercentage, *s.ToleratedFailureCount)
	case s.ToleratedFailureCount != nil:
		return fmt.Sprintf("%d", *s.ToleratedFailureCount)
	case s.ToleratedFailurePercentage != nil:
		return fmt.Sprintf("%v %%", *s.ToleratedFailurePercentage)
	default:
		return "0 %"
	}
}

// child runs one item's child execution on the item processor.
func (r *runner) child(ctx context.Context, s *stateSpec, i int, item, mapInput any, ectx map[string]any) (Child, any, error) {
	c := Child{Index: i}
	input := item
	if s.ItemSelector != nil {
		tmpl, err := decodeValue(s.ItemSelector)
		if err == nil {
			mctx := make(map[string]any, len(ectx)+1)
			for k, v := range ectx {
				mctx[k] = v
			}
			mctx["Map"] = map[string]any{"Item": map[string]any{"Index": json.Number(fmt.Sprint(i)), "Value": item}}
			input, err = template(tmpl, mapInput, mctx)
		}
		if err != nil {
			c.Status, c.Error, c.Cause = StatusFailed, ErrRuntime, "ItemSelector: "+err.Error()
			return c, nil, nil
		}
	}
	start := r.rt.Now()
	name := fmt.Sprintf("%s-%d", r.exec.Name, i)
	cctx := map[string]any{"Execution": map[string]any{
		"Id": "execution:" + name, "Name": name, "Input": input, "StartTime": start.UTC().Format(time.RFC3339Nano),
	}}
	out, fail, err := r.machine(ctx, s.ItemProcessor, input, cctx, &c.Transitions, &c.Attempts, nil)
	c.Duration = r.rt.Now().Sub(start)
	if err != nil {
		return c, nil, err
	}
	if fail != nil {
		c.Status, c.Error, c.Cause = StatusFailed, fail.Name, fail.Cause
		return c, nil, nil
	}
	c.Status = StatusSucceeded
	return c, out, nil
}
