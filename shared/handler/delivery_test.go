package handler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/eventbridge"
)

// invocation is a Lambda context: a request id, the function's ARN and a
// deadline timeout away.
func invocation(t *testing.T, r *rig, requestID string, timeout time.Duration) context.Context {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + r.sim.AccountID() + ":function:selfheal-backup-compliance",
	})
	ctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

// holdWithoutMarking is a delivery that processed the event but could not
// mark it done: its claim stays in progress until its lease lapses.
func holdWithoutMarking(t *testing.T, r *rig, raw json.RawMessage, requestID string, lease time.Duration) {
	t.Helper()
	ev, err := eventbridge.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.b.Claims.ClaimEvent(context.Background(), r.b.Function, ev.Envelope.ID, requestID, lease); err != nil {
		t.Fatal(err)
	}
}

// A duplicate that finds its event held by another delivery waits for it,
// on the function's clock and within half its own time, and takes over
// once the hold lapses: it neither fails into Lambda's retries nor runs
// the event while it is held.
func TestDuplicateWaitsForTheHolder(t *testing.T) {
	r := newRig(t)
	raw := sample(t, completedJob)
	holdWithoutMarking(t, r, raw, "req-first", 20*time.Second)
	start := r.sim.Now()
	if err := r.b.Handle(invocation(t, r, "req-dup", time.Minute), raw); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	if r.proc.calls.Load() != 1 {
		t.Fatalf("processed %d times, want once after the hold lapsed", r.proc.calls.Load())
	}
	waited := r.sim.Now().Sub(start)
	if waited < 20*time.Second || waited > 30*time.Second {
		t.Errorf("waited %v of sim time; want past the 20 s lease and within half of the 1 min timeout", waited)
	}
	if got := r.logLines(t)[0]["waitedForHolder"]; got == nil {
		t.Error("the log line does not say the duplicate waited")
	}
}

// A hold that outlasts the duplicate's wait budget is returned for Lambda
// to retry, without processing.
func TestDuplicateGivesUpWithinItsTime(t *testing.T) {
	r := newRig(t)
	raw := sample(t, completedJob)
	holdWithoutMarking(t, r, raw, "req-first", time.Hour)
	start := r.sim.Now()
	err := r.b.Handle(invocation(t, r, "req-dup", time.Minute), raw)
	if err == nil || !strings.Contains(err.Error(), "being processed by another invocation") {
		t.Fatalf("got %v, want the hold returned for retry", err)
	}
	if r.proc.calls.Load() != 0 {
		t.Error("processed an event another delivery holds")
	}
	if waited := r.sim.Now().Sub(start); waited > 30*time.Second {
		t.Errorf("waited %v, more than half of the invocation's minute", waited)
	}
}

// Lambda's retry of a delivery (the same request id) takes over its own
// dead attempt's claim at once.
func TestRetryOfTheHoldingDeliveryTakesOverAtOnce(t *testing.T) {
	r := newRig(t)
	raw := sample(t, completedJob)
	holdWithoutMarking(t, r, raw, "req-1", time.Hour)
	start := r.sim.Now()
	if err := r.b.Handle(invocation(t, r, "req-1", time.Minute), raw); err != nil {
		t.Fatal(err)
	}
	if r.proc.calls.Load() != 1 || r.sim.Now().Sub(start) > time.Second {
		t.Errorf("processed %d times after %v; want once, without waiting", r.proc.calls.Load(), r.sim.Now().Sub(start))
	}
}

// A function that runs one invocation at a time takes over any claim in
// progress: its holder has ended.
func TestExclusiveFunctionTakesOverAtOnce(t *testing.T) {
	r := newRig(t)
	r.b.Exclusive = true
	raw := sample(t, completedJob)
	holdWithoutMarking(t, r, raw, "req-dead", time.Hour)
	start := r.sim.Now()
	if err := r.b.Handle(invocation(t, r, "req-2", time.Minute), raw); err != nil {
		t.Fatal(err)
	}
	if r.proc.calls.Load() != 1 || r.sim.Now().Sub(start) > time.Second {
		t.Errorf("processed %d times after %v; want once, without waiting", r.proc.calls.Load(), r.sim.Now().Sub(start))
	}
}

// A malformed or foreign event delivered three times is queued once; one
// without a readable id cannot be told apart and is queued each time.
func TestQuarantineOncePerEvent(t *testing.T) {
	foreign := strings.Replace(string(mustSample(completedJob)), `"account": "123456789012"`, `"account": "999999999999"`, 1)
	malformed := `{"version":"0","id":"e2","detail-type":"Backup Job State Change","source":"aws.backup","account":"123456789012","time":"2026-11-02T03:00:00Z","region":"us-east-1","resources":[],"detail":{"backupJobId":["j"],"state":"COMPLETED"}}`
	tests := []struct {
		name string
		raw  string
		want int
	}{
		{"foreign", foreign, 1},
		{"malformed with an id", malformed, 1},
		{"not JSON", `{"id": "e3", "source": `, 3},
		{"no id", `{"source":"aws.backup","detail-type":"Backup Job State Change","detail":{}}`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			for i := range 3 {
				if err := r.b.Handle(invocation(t, r, "req-"+string(rune('a'+i)), time.Minute), json.RawMessage(tt.raw)); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(r.quarantined()); got != tt.want {
				t.Errorf("%d messages in the dead-letter queue after 3 deliveries, want %d", got, tt.want)
			}
		})
	}
}

// A quarantine the queue refused is retried, and its claim released so
// the retry queues it.
func TestRefusedQuarantineIsRetried(t *testing.T) {
	r := newRig(t)
	foreign := json.RawMessage(strings.Replace(string(mustSample(completedJob)), `"account": "123456789012"`, `"account": "999999999999"`, 1))
	r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceSQS, Operation: "SendMessage", Code: "InternalError", Count: 10 * awssim.MaxAttempts})
	if err := r.b.Handle(invocation(t, r, "req-1", time.Minute), foreign); err == nil {
		t.Fatal("a quarantine the queue refused returned nil: the event would be lost")
	}
	r.sim.ClearFaults()
	if err := r.b.Handle(invocation(t, r, "req-1", time.Minute), foreign); err != nil {
		t.Fatal(err)
	}
	if got := len(r.quarantined()); got != 1 {
		t.Errorf("%d messages queued, want 1", got)
	}
}
