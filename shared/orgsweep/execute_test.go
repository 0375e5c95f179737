package orgsweep_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/orgsweep"
)

// world is a Lambda service and a clock for the executor: each task's
// function is a Go func of its payload that takes some time.
type world struct {
	t      *testing.T
	now    time.Time
	sleeps []time.Duration
	calls  []map[string]any
	// fns answer by the payload's "task": output, time taken, error.
	fns map[string]func(p map[string]any, attempt int) (any, time.Duration, error)
	// attempts per task and account.
	attempts map[string]int
}

func newWorld(t *testing.T) *world {
	return &world{t: t, now: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), attempts: map[string]int{},
		fns: map[string]func(map[string]any, int) (any, time.Duration, error){}}
}

func (w *world) runtime() orgsweep.Runtime {
	return orgsweep.Runtime{
		Now: func() time.Time { return w.now },
		Sleep: func(_ context.Context, d time.Duration) error {
			w.sleeps = append(w.sleeps, d)
			w.now = w.now.Add(d)
			return nil
		},
		Invoke: func(_ context.Context, function string, payload []byte) ([]byte, error) {
			var p map[string]any
			if err := json.Unmarshal(payload, &p); err != nil {
				w.t.Fatalf("payload to %s is not JSON: %v", function, err)
			}
			w.calls = append(w.calls, p)
			task, _ := p["task"].(string)
			key := fmt.Sprint(task, "/", p["account"], "/", p["region"])
			w.attempts[key]++
			fn := w.fns[task]
			if fn == nil {
				w.t.Fatalf("no function for task %q", task)
			}
			out, took, err := fn(p, w.attempts[key])
			w.now = w.now.Add(took)
			if err != nil {
				return nil, err
			}
			return json.Marshal(out)
		},
	}
}

// callsOf are the payloads the functions got for task.
func (w *world) callsOf(task string) []map[string]any {
	var out []map[string]any
	for _, c := range w.calls {
		if c["task"] == task {
			out = append(out, c)
		}
	}
	return out
}

type item struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

func items(n int) []item {
	out := make([]item, n)
	for i := range out {
		out[i] = item{Account: fmt.Sprintf("1000000000%02d", i), Region: "eu-west-1"}
	}
	return out
}

// lists makes the list task answer with these items after 2 s.
func (w *world) lists(its []item) {
	w.fns[orgsweep.TaskList] = func(p map[string]any, _ int) (any, time.Duration, error) {
		return map[string]any{"run": p["run"], "items": its}, 2 * time.Second, nil
	}
}

func (w *world) aggregates() {
	w.fns[orgsweep.TaskAggregate] = func(p map[string]any, _ int) (any, time.Duration, error) {
		return map[string]any{"digest": "sent"}, 3 * time.Second, nil
	}
	w.fns[orgsweep.TaskFailed] = func(map[string]any, int) (any, time.Duration, error) {
		return map[string]any{"recorded": true}, time.Second, nil
	}
}

// sweeps makes each sweep take took and answer as fail says (nil: done).
func (w *world) sweeps(took func(account string, attempt int) time.Duration, fail func(account string, attempt int) error) {
	w.fns[orgsweep.TaskSweep] = func(p map[string]any, attempt int) (any, time.Duration, error) {
		acct := p["account"].(string)
		d := took(acct, attempt)
		if err := fail(acct, attempt); err != nil {
			return nil, d, err
		}
		return map[string]any{"account": acct, "region": p["region"], "status": "SWEPT"}, d, nil
	}
}

func definition(t *testing.T, concurrency, tolerated int) string {
	t.Helper()
	org := config.DefaultOrganization()
	org.SweepConcurrency, org.ToleratedFailurePercentage = concurrency, tolerated
	def, err := orgsweep.Definition(tasks, org)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

var scheduled = []byte(`{"id":"e1","detail-type":"Scheduled Event","source":"aws.events","account":"111111111111","region":"eu-west-1","time":"2026-12-01T03:00:00Z","resources":[],"detail":{}}`)

func execute(t *testing.T, w *world, def string) *orgsweep.Execution {
	t.Helper()
	ex, err := orgsweep.Execute(context.Background(), w.runtime(), def, "run-1", scheduled)
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	return ex
}

func every(d time.Duration) func(string, int) time.Duration {
	return func(string, int) time.Duration { return d }
}

func never(string, int) error { return nil }

func TestExecuteSweepsEveryItemAtTheMapsConcurrency(t *testing.T) {
	w := newWorld(t)
	its := items(5)
	w.lists(its)
	w.aggregates()
	w.sweeps(every(100*time.Second), never)
	ex := execute(t, w, definition(t, 2, 10))

	if ex.Status != orgsweep.StatusSucceeded || string(ex.Output) != `{"digest":"sent"}` {
		t.Fatalf("execution %s %s %s, output %s; want SUCCEEDED with the aggregate's output", ex.Status, ex.Error, ex.Cause, ex.Output)
	}
	var swept []item
	for _, c := range w.callsOf(orgsweep.TaskSweep) {
		if c["run"] != "run-1" {
			t.Errorf("a sweep of run %v, want the execution's name run-1", c["run"])
		}
		swept = append(swept, item{Account: c["account"].(string), Region: c["region"].(string)})
	}
	if diff := cmp.Diff(its, swept); diff != "" {
		t.Errorf("swept (-want +got):\n%s", diff)
	}
	agg := w.callsOf(orgsweep.TaskAggregate)
	want := []map[string]any{{"task": "aggregate", "run": "run-1", "listError": nil, "mapError": nil}}
	if diff := cmp.Diff(want, agg); diff != "" {
		t.Errorf("aggregate payloads (-want +got):\n%s", diff)
	}
	list := w.callsOf(orgsweep.TaskList)
	if len(list) != 1 || list[0]["event"].(map[string]any)["id"] != "e1" {
		t.Errorf("the list task gets the scheduled event: %v", list)
	}
	m := ex.Maps[0]
	// Two at a time: 0–100, 0–100, 100–200, 100–200, 200–300.
	if m.Duration != 300*time.Second || m.Serial != 500*time.Second || m.Longest != 100*time.Second || m.Succeeded != 5 {
		t.Errorf("map %+v; want 300 s at concurrency 2 (500 s serial), 5 succeeded", m)
	}
	if got := []time.Duration{m.Children[0].Start, m.Children[1].Start, m.Children[2].Start, m.Children[4].Start}; !cmp.Equal(got, []time.Duration{0, 0, 100 * time.Second, 200 * time.Second}) {
		t.Errorf("children start at %v", got)
	}
	if ex.Duration != 2*time.Second+300*time.Second+3*time.Second {
		t.Errorf("execution took %v; want list 2 s + map 300 s + aggregate 3 s", ex.Duration)
	}
	// ListAccounts, SweepAccounts, Aggregate, and one state per child.
	if ex.Transitions != 3+5 {
		t.Errorf("%d state transitions, want 8", ex.Transitions)
	}
}

func TestExecuteRetriesAFailedSweepOnceThenRecordsItsError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tolerated int
		wantMap   string // the aggregate's mapError.Error
	}{
		{"within the tolerated failures", 50, ""},
		{"beyond them", 10, orgsweep.ErrExceedToleratedFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			its := items(3)
			w.lists(its)
			w.aggregates()
			bad := its[1].Account
			w.sweeps(every(10*time.Second), func(acct string, _ int) error {
				if acct == bad {
					return errors.New("assume role: AccessDenied")
				}
				return nil
			})
			ex := execute(t, w, definition(t, 1, tc.tolerated))
			if ex.Status != orgsweep.StatusSucceeded {
				t.Fatalf("execution %s %s: the digest must go out either way", ex.Error, ex.Cause)
			}
			if got := w.attempts["sweep/"+bad+"/eu-west-1"]; got != 2 {
				t.Errorf("the failing sweep was tried %d times, want 2 (one retry)", got)
			}
			if w.sleeps[0] != time.Minute {
				t.Errorf("retried after %v, want a minute", w.sleeps[0])
			}
			rec := w.callsOf(orgsweep.TaskFailed)
			if len(rec) != 1 || rec[0]["account"] != bad {
				t.Fatalf("failures recorded: %v; want the one of %s", rec, bad)
			}
			e := rec[0]["error"].(map[string]any)
			if e["Error"] != "errorString" || !strings.Contains(e["Cause"].(string), "AccessDenied") {
				t.Errorf("recorded error %v; want Lambda's errorType and the message", e)
			}
			c := ex.Maps[0].Children[1]
			if c.Status != orgsweep.StatusFailed || c.Error != "errorString" || c.Attempts != 3 {
				t.Errorf("child %+v; want FAILED with the sweep's own error after 2 sweeps and 1 record", c)
			}
			mapErr, _ := w.callsOf(orgsweep.TaskAggregate)[0]["mapError"].(map[string]any)
			if got, _ := mapErr["Error"].(string); got != tc.wantMap {
				t.Errorf("aggregate's mapError %v, want %q", mapErr, tc.wantMap)
			}
		})
	}
}

func TestExecuteRetriesLambdaServiceErrorsWithBackoff(t *testing.T) {
	w := newWorld(t)
	w.lists(items(1))
	w.aggregates()
	w.sweeps(every(time.Second), func(_ string, attempt int) error {
		if attempt <= 3 {
			return &orgsweep.TaskError{Name: "Lambda.TooManyRequestsException", Cause: "Rate Exceeded."}
		}
		return nil
	})
	rt := w.runtime()
	rt.Jitter = func() float64 { return 0.5 }
	ex, err := orgsweep.Execute(context.Background(), rt, definition(t, 1, 0), "run-1", scheduled)
	if err != nil || ex.Status != orgsweep.StatusSucceeded || ex.Maps[0].Succeeded != 1 {
		t.Fatalf("execution %+v, %v", ex, err)
	}
	// 2 s × 2^n, FULL jitter at 0.5.
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, w.sleeps); diff != "" {
		t.Errorf("waits before the retries (-want +got):\n%s", diff)
	}
	if ex.Transitions != 3+1+3 {
		t.Errorf("%d transitions; want 3 states, 1 child state and 3 retries", ex.Transitions)
	}
}

func TestExecuteTimesOutASweepAndTriesItAgain(t *testing.T) {
	w := newWorld(t)
	w.lists(items(1))
	w.aggregates()
	w.sweeps(func(_ string, attempt int) time.Duration {
		if attempt == 1 {
			return 20 * time.Minute
		}
		return 30 * time.Second
	}, never)
	ex := execute(t, w, definition(t, 1, 0))
	c := ex.Maps[0].Children[0]
	if ex.Status != orgsweep.StatusSucceeded || c.Status != orgsweep.StatusSucceeded || c.Attempts != 2 {
		t.Fatalf("child %+v of execution %s; want the second attempt to succeed", c, ex.Status)
	}
	if c.Duration != 20*time.Minute+time.Minute+30*time.Second {
		t.Errorf("child took %v; want the timed-out attempt, the minute's wait and the second attempt", c.Duration)
	}
}

func TestExecuteStopsStartingChildrenOnceTooManyFailed(t *testing.T) {
	w := newWorld(t)
	its := items(10)
	w.lists(its)
	w.aggregates()
	w.sweeps(every(10*time.Second), func(acct string, _ int) error {
		if acct == its[0].Account || acct == its[1].Account {
			return errors.New("boom")
		}
		return nil
	})
	ex := execute(t, w, definition(t, 1, 10))
	m := ex.Maps[0]
	// One at a time: the second failure (2 of 10 > 10 %) ends the map.
	if m.Error != orgsweep.ErrExceedToleratedFailed || m.Failed != 2 || m.NotStarted != 8 || m.Succeeded != 0 {
		t.Fatalf("map %+v; want it failed after 2 failures, 8 items never started", m)
	}
	if len(w.callsOf(orgsweep.TaskSweep)) != 4 {
		t.Errorf("%d sweeps; want 2 items × 2 attempts", len(w.callsOf(orgsweep.TaskSweep)))
	}
	agg := w.callsOf(orgsweep.TaskAggregate)
	if len(agg) != 1 || agg[0]["mapError"].(map[string]any)["Error"] != orgsweep.ErrExceedToleratedFailed {
		t.Errorf("aggregate %v; want it told the map failed", agg)
	}
	if ex.Status != orgsweep.StatusSucceeded {
		t.Errorf("execution %s: the aggregate's digest still went out", ex.Status)
	}
}

func TestExecuteLetsRunningChildrenFinishWhenTheMapFails(t *testing.T) {
	w := newWorld(t)
	its := items(4)
	w.lists(its)
	w.aggregates()
	// Two at a time; item 0 fails fast (twice 10 s + a minute), item 1
	// runs 10 minutes: it is running when the threshold (0 %) is crossed.
	w.sweeps(func(acct string, _ int) time.Duration {
		if acct == its[1].Account {
			return 10 * time.Minute
		}
		return 10 * time.Second
	}, func(acct string, _ int) error {
		if acct == its[0].Account {
			return errors.New("boom")
		}
		return nil
	})
	ex := execute(t, w, definition(t, 2, 0))
	m := ex.Maps[0]
	if m.Failed != 1 || m.Succeeded != 1 || m.NotStarted != 2 {
		t.Fatalf("map %+v; want item 1 finished, items 2 and 3 never started", m)
	}
	if want := 10*time.Second + time.Minute + 10*time.Second + time.Second; m.Duration != want {
		t.Errorf("map failed after %v, want %v (when the failed child ended)", m.Duration, want)
	}
}

func TestExecuteDigestsEvenWhenTheListFails(t *testing.T) {
	w := newWorld(t)
	w.fns[orgsweep.TaskList] = func(map[string]any, int) (any, time.Duration, error) {
		return nil, time.Second, errors.New("organizations: AccessDeniedException")
	}
	w.aggregates()
	ex := execute(t, w, definition(t, 5, 10))
	if ex.Status != orgsweep.StatusSucceeded || len(ex.Maps) != 0 {
		t.Fatalf("execution %s with %d maps", ex.Status, len(ex.Maps))
	}
	if got := len(w.callsOf(orgsweep.TaskList)); got != 3 {
		t.Errorf("listed %d times, want 3 (2 retries)", got)
	}
	if diff := cmp.Diff([]time.Duration{30 * time.Second, time.Minute}, w.sleeps); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	agg := w.callsOf(orgsweep.TaskAggregate)
	if len(agg) != 1 || agg[0]["run"] != "run-1" || agg[0]["listError"].(map[string]any)["Error"] != "errorString" {
		t.Errorf("aggregate %v; want the run and the list's error", agg)
	}
}

// The items ride in the state's payload: past 256 KiB the execution fails
// with States.DataLimitExceeded, which no catcher takes.
func TestExecuteEnforcesThePayloadLimit(t *testing.T) {
	w := newWorld(t)
	w.lists(items(1))
	big := make([]item, orgsweep.PayloadLimit/40)
	for i := range big {
		big[i] = item{Account: fmt.Sprintf("%012d", i), Region: "eu-west-1"}
	}
	w.lists(big)
	w.aggregates()
	ex := execute(t, w, definition(t, 5, 10))
	if ex.Status != orgsweep.StatusFailed || ex.Error != orgsweep.ErrDataLimitExceeded {
		t.Fatalf("execution %s %s; want FAILED %s", ex.Status, ex.Error, orgsweep.ErrDataLimitExceeded)
	}
	if len(w.callsOf(orgsweep.TaskAggregate)) != 0 || len(w.callsOf(orgsweep.TaskSweep)) != 0 {
		t.Error("the execution went on past the limit")
	}
}

// Error names match as the States Language says: States.TaskFailed
// covers a function's errors but not States.Timeout, States.ALL covers
// both; a retrier's MaxDelaySeconds caps its backoff.
func TestExecuteMatchesErrorsAndBacksOff(t *testing.T) {
	machine := func(retry, catch string) string {
		return `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":60,
			     "Parameters":{"FunctionName":"f","Payload":{"task":"t"}},
			     "Retry":[` + retry + `],
			     "Catch":[{"ErrorEquals":` + catch + `,"ResultPath":"$.caught","Next":"C"}],"End":true},
			"C":{"Type":"Pass","End":true}}}`
	}
	for _, tc := range []struct {
		name       string
		retry      string
		catch      string
		took       time.Duration
		fails      bool
		wantStatus string
		wantError  string
		wantSleeps []time.Duration
	}{
		{"timeout is not a TaskFailed", `{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":2}`, `["States.TaskFailed"]`,
			2 * time.Minute, false, orgsweep.StatusFailed, orgsweep.ErrTimeout, nil},
		{"ALL catches a timeout", `{"ErrorEquals":["States.Timeout"],"MaxAttempts":0}`, `["States.ALL"]`,
			2 * time.Minute, false, orgsweep.StatusSucceeded, "", nil},
		{"TaskFailed retries a function error, capped backoff", `{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":1,"BackoffRate":3,"MaxDelaySeconds":5,"MaxAttempts":4}`, `["States.ALL"]`,
			time.Second, true, orgsweep.StatusSucceeded, "", []time.Duration{time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"default retrier: 3 attempts, 1 s doubling", `{"ErrorEquals":["errorString"]}`, `["nothing.else"]`,
			time.Second, true, orgsweep.StatusFailed, "errorString", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.fns["t"] = func(map[string]any, int) (any, time.Duration, error) {
				if tc.fails {
					return nil, tc.took, errors.New("no")
				}
				return "ok", tc.took, nil
			}
			ex, err := orgsweep.Execute(context.Background(), w.runtime(), machine(tc.retry, tc.catch), "x", []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status != tc.wantStatus || ex.Error != tc.wantError {
				t.Errorf("execution %s %q (%s); want %s %q", ex.Status, ex.Error, ex.Cause, tc.wantStatus, tc.wantError)
			}
			if diff := cmp.Diff(tc.wantSleeps, w.sleeps); diff != "" {
				t.Errorf("retry waits (-want +got):\n%s", diff)
			}
		})
	}
}

// What the executor cannot run faithfully it refuses, rather than skip.
func TestExecuteRefusesWhatItDoesNotModel(t *testing.T) {
	task := `"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload":{}}`
	for name, def := range map[string]string{
		"unknown field":         `{"StartAt":"T","States":{"T":{` + task + `,"HeartbeatSeconds":10,"End":true}}}`,
		"choice state":          `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[],"Default":"C"}}}`,
		"other resource":        `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`,
		"transition to nowhere": `{"StartAt":"T","States":{"T":{` + task + `,"Next":"Z"}}}`,
		"next and end":          `{"StartAt":"T","States":{"T":{` + task + `,"Next":"T","End":true}}}`,
		"JSONata":               `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{` + task + `,"End":true}}}`,
		"S3 item reader":        `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"T","States":{"T":{` + task + `,"End":true}}},"End":true}}}`,
		"inline map":            `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"T","States":{"T":{` + task + `,"End":true}}},"End":true}}}`,
		"filter path":           `{"StartAt":"T","States":{"T":{` + task + `,"OutputPath":"$.a[?(@.b)]","End":true}}}`,
		"ALL with others":       `{"StartAt":"T","States":{"T":{` + task + `,"Retry":[{"ErrorEquals":["States.ALL","x"]}],"End":true}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			if _, err := orgsweep.Execute(context.Background(), w.runtime(), def, "x", []byte(`{}`)); err == nil {
				t.Error("executed")
			}
		})
	}
}

// A path that selects nothing is States.Runtime: it ends the execution,
// whatever the catchers say.
func TestExecuteRuntimeErrorsAreNotCaught(t *testing.T) {
	def := `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Parameters":{"x.$":"$.missing"},"End":true}}}`
	w := newWorld(t)
	ex, err := orgsweep.Execute(context.Background(), w.runtime(), def, "x", []byte(`{"present":1}`))
	if err != nil || ex.Status != orgsweep.StatusFailed || ex.Error != orgsweep.ErrRuntime {
		t.Fatalf("execution %+v, %v; want FAILED States.Runtime", ex, err)
	}
}
