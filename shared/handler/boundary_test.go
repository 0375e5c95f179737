package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
)

// processor counts its calls and answers with err (or panics).
type processor struct {
	calls atomic.Int32
	err   error
	panic bool
}

func (p *processor) Process(context.Context, eventbridge.Event) (handler.Outcome, error) {
	p.calls.Add(1)
	if p.panic {
		panic("a bug in a processor")
	}
	return handler.Outcome{Decision: "checked", Findings: 2, Failing: 1}, p.err
}

type rig struct {
	setupCalls int
	sim        *awssim.Sim
	env        *simenv.Env
	proc       *processor
	b          *handler.Boundary
	out        *bytes.Buffer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	sim := awssim.New()
	env, err := simenv.New(context.Background(), sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	proc := &processor{}
	deps := env.Deps("backup-compliance", out)
	b := deps.Boundary(proc, eventbridge.KindBackupJob)
	b.Account = sim.AccountID()
	return &rig{setupCalls: sim.CallCount(), sim: sim, env: env, proc: proc, b: b, out: out}
}

func sample(t *testing.T, path string) json.RawMessage {
	t.Helper()
	raw, err := events.Sample(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// logLines returns the JSON log lines (EMF records excluded).
func (r *rig) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line is not JSON: %q", l)
		}
		if _, emf := m["_aws"]; !emf {
			lines = append(lines, m)
		}
	}
	return lines
}

func (r *rig) quarantined() []awssim.QueueMessage { return r.sim.QueueMessages(r.env.Config.QueueURL) }

const completedJob = "aws.backup/backup-job-state-change--completed.json"

func TestProcessesOnceAndLogsOnce(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	raw := sample(t, completedJob)
	for range 3 {
		if err := r.b.Handle(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.proc.calls.Load(); n != 1 {
		t.Errorf("processor ran %d times for one event delivered three times", n)
	}
	lines := r.logLines(t)
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 invocations, want one each", len(lines))
	}
	var statuses []any
	for _, l := range lines {
		statuses = append(statuses, l["status"])
	}
	if diff := cmp.Diff([]any{"processed", "duplicate", "duplicate"}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if lines[0]["eventId"] != "052c90c8-0a5f-4416-b1d6-6e5b963f035f" {
		t.Errorf("log line lacks the event id: %v", lines[0])
	}
	if lines[0]["function"] != "backup-compliance" || lines[0]["detailType"] != "Backup Job State Change" || lines[0]["findings"] != 2.0 {
		t.Errorf("log line %v", lines[0])
	}
}

func TestBadInputIsQuarantinedOrIgnored(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantQueue string // error_kind of the quarantined message; "" means ignored
		wantIn    string // the reason must say this
	}{
		{"truncated JSON", `{"version":"0","id":"x","source":"aws.backup"`, handler.KindMalformed, "not JSON"},
		{"not an object", `[1,2,3]`, handler.KindMalformed, "not an EventBridge event"},
		{"alarm action payload", `{"source":"aws.cloudwatch","alarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:x","alarmData":{}}`, handler.KindMalformed, "not an EventBridge event"},
		{"missing required field", `{"version":"0","id":"e1","detail-type":"Backup Job State Change","source":"aws.backup","account":"123456789012","time":"2026-11-02T03:00:00Z","region":"us-east-1","resources":[],"detail":{"state":"COMPLETED"}}`, handler.KindMalformed, "backupJobId"},
		{"wrong type", `{"version":"0","id":"e2","detail-type":"Backup Job State Change","source":"aws.backup","account":"123456789012","time":"2026-11-02T03:00:00Z","region":"us-east-1","resources":[],"detail":{"backupJobId":["j"],"state":"COMPLETED"}}`, handler.KindMalformed, "backupJobId"},
		{"other region", strings.Replace(string(mustSample(completedJob)), `"region": "us-east-1"`, `"region": "eu-west-1"`, 1), handler.KindForeign, "from region eu-west-1"},
		{"other account", strings.Replace(string(mustSample(completedJob)), `"account": "123456789012"`, `"account": "999999999999"`, 1), handler.KindForeign, "from account 999999999999"},
		{"unknown detail-type", `{"version":"0","id":"e3","detail-type":"Something New","source":"aws.backup","account":"123456789012","time":"2026-11-02T03:00:00Z","region":"us-east-1","resources":[],"detail":{}}`, "", ""},
		{"known kind for another function", string(mustSample("aws.health/aws-health-event--ec2-issue-account.json")), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			if err := r.b.Handle(context.Background(), json.RawMessage(tt.raw)); err != nil {
				t.Fatalf("Handle returned %v; bad input must not be retried", err)
			}
			if n := r.proc.calls.Load(); n != 0 {
				t.Errorf("processor ran on bad input")
			}
			q := r.quarantined()
			if tt.wantQueue == "" {
				if len(q) != 0 {
					t.Errorf("ignored event was quarantined: %v", q)
				}
				if got := r.logLines(t)[0]["status"]; got != "ignored" {
					t.Errorf("status %v, want ignored", got)
				}
				return
			}
			if len(q) != 1 {
				t.Fatalf("%d messages in the dead-letter queue, want 1", len(q))
			}
			if got := q[0].Attributes["error_kind"].StringValue; got != tt.wantQueue {
				t.Errorf("error_kind %q, want %q", got, tt.wantQueue)
			}
			if got := q[0].Attributes["reason"].StringValue; !strings.Contains(got, tt.wantIn) {
				t.Errorf("reason %q does not say %q", got, tt.wantIn)
			}
			if q[0].Body != tt.raw {
				t.Errorf("the quarantined body is not the event as delivered")
			}
			for _, c := range r.sim.CallsSince(r.setupCalls) {
				if !c.IsRead() && c.Service != awssim.ServiceSQS && !quarantineClaim(c) {
					t.Errorf("bad input caused a write: %s %s", c.Service, c.Operation)
				}
			}
		})
	}
}

// quarantineClaim reports whether a call is the write that remembers an
// event was quarantined (so a redelivery is not queued again): the only
// write bad input may cause besides the queue's.
func quarantineClaim(c awssim.Call) bool {
	sk, ok := c.DynamoDBItem()["sk"].(*ddbtypes.AttributeValueMemberS)
	return ok && sk.Value == "quarantine"
}

func mustSample(path string) []byte {
	raw, err := events.Sample(path)
	if err != nil {
		panic(err) // the catalogue is embedded: a missing sample is a broken build
	}
	return raw
}

func TestTransientErrorIsReturnedAndRetryable(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	raw := sample(t, completedJob)
	r.proc.err = errors.New("describe vault prod-vault: throttled")
	if err := r.b.Handle(ctx, raw); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Fatalf("got %v, want the processor's error returned for Lambda to retry", err)
	}
	r.proc.err = nil
	if err := r.b.Handle(ctx, raw); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := r.proc.calls.Load(); n != 2 {
		t.Errorf("processor ran %d times; the retry must run it again (claim released)", n)
	}
	if len(r.quarantined()) != 0 {
		t.Error("a transient error was quarantined")
	}
}

func TestUnprocessableIsQuarantinedOnce(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	raw := sample(t, completedJob)
	r.proc.err = handler.Unprocessable("recovery point ARN is not an ARN", nil)
	for range 2 {
		if err := r.b.Handle(ctx, raw); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	q := r.quarantined()
	if len(q) != 1 || q[0].Attributes["error_kind"].StringValue != handler.KindUnprocessed {
		t.Fatalf("dead-letter queue %v, want one unprocessable letter", q)
	}
}

func TestProcessorPanicBecomesError(t *testing.T) {
	r := newRig(t)
	r.proc.panic = true
	err := r.b.Handle(context.Background(), sample(t, completedJob))
	if err == nil || !strings.Contains(err.Error(), "processor panic") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
}

func TestQuarantineFailureIsReturned(t *testing.T) {
	r := newRig(t)
	r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceSQS, Operation: "SendMessage", Code: "AccessDenied", Probability: 1})
	if err := r.b.Handle(context.Background(), json.RawMessage(`not json`)); err == nil {
		t.Fatal("a letter the queue refused was dropped; the error must go back to Lambda")
	}
}

func TestEventHeldElsewhereIsRetriedLater(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	raw := sample(t, completedJob)
	ev, err := eventbridge.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.Deps("backup-compliance", &bytes.Buffer{}).Store.ClaimEvent(ctx, "backup-compliance", ev.Envelope.ID, "another-delivery", handler.DefaultLease); err != nil {
		t.Fatal(err)
	}
	if err := r.b.Handle(ctx, raw); err == nil {
		t.Fatal("an event another invocation holds was not returned for retry")
	}
	if r.proc.calls.Load() != 0 {
		t.Error("processed an event another invocation holds")
	}
	r.sim.Advance(handler.DefaultLease + awssim.DefaultTick)
	if err := r.b.Handle(ctx, raw); err != nil {
		t.Fatalf("after the lease: %v", err)
	}
	if r.proc.calls.Load() != 1 {
		t.Error("a crashed invocation's event was not taken over after its lease")
	}
}

func TestMetricsWritten(t *testing.T) {
	r := newRig(t)
	if err := r.b.Handle(context.Background(), sample(t, completedJob)); err != nil {
		t.Fatal(err)
	}
	var emf map[string]any
	for _, l := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
		var m map[string]any
		_ = json.Unmarshal([]byte(l), &m)
		if _, ok := m["_aws"]; ok {
			emf = m
		}
	}
	if emf == nil {
		t.Fatal("no EMF record")
	}
	for k, want := range map[string]any{"Function": "backup-compliance", "Invocations": 1.0, "Findings": 2.0, "FailingFindings": 1.0} {
		if emf[k] != want {
			t.Errorf("EMF %s = %v, want %v", k, emf[k], want)
		}
	}
}

// The done-mark has its own retry budget: one SDK call throttled past its
// retries does not leave a handled event held.
func TestDoneMarkOutlastsOneThrottledCall(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	raw := sample(t, completedJob)
	r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "UpdateItem", Code: "ProvisionedThroughputExceededException", Count: awssim.MaxAttempts})
	if err := r.b.Handle(ctx, raw); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := r.logLines(t)[0]["claimNotMarkedDone"]; got != nil {
		t.Errorf("the claim was not marked done: %v", got)
	}
	if err := r.b.Handle(ctx, raw); err != nil || r.proc.calls.Load() != 1 {
		t.Errorf("redelivery: %v, processed %d times; want a no-op", err, r.proc.calls.Load())
	}
}

// A handled event whose claim cannot be marked done at all is still
// handled: the error must not send Lambda into retries, ending a processed
// event in the dead-letter queue.
func TestClaimNotMarkedDoneIsNotAnError(t *testing.T) {
	r := newRig(t)
	r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "UpdateItem", Code: "ProvisionedThroughputExceededException", Count: 10 * awssim.MaxAttempts})
	if err := r.b.Handle(context.Background(), sample(t, completedJob)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if r.proc.calls.Load() != 1 {
		t.Error("processor did not run")
	}
	if got := r.logLines(t)[0]["claimNotMarkedDone"]; got == nil {
		t.Error("the log line does not say the claim was not marked done")
	}
}

// remediator acts once, like the rebalancer: a second delivery finds
// nothing left to do, so it has nothing to report either.
type remediator struct {
	n     *notify.Notifier
	acted bool
}

func (p *remediator) Process(ctx context.Context, ev eventbridge.Event) (handler.Outcome, error) {
	if p.acted {
		return handler.Outcome{Decision: "nothing to do"}, nil
	}
	p.acted = true
	_, err := p.n.Report(ctx, notify.Message{
		Kind: notify.KindRemediation, EventID: ev.Envelope.ID, Region: ev.Envelope.Region, Account: ev.Envelope.AccountID,
		Actions: []notify.Action{{Kind: notify.ActionRestore, Outcome: notify.OutcomeDone, Severity: notify.SeverityHigh,
			Resource: "web", ResourceType: "AWS::AutoScaling::AutoScalingGroup", Summary: "web back in us-east-1a"}},
	})
	return handler.Outcome{Decision: "restored", Actions: 1}, err
}

// An action whose notification could not be published is reported on the
// event's retry, although the retry has nothing left to do: no lost
// notification.
func TestUnsentActionIsSentOnRetry(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	deps := r.env.Deps("asg-rebalancer", r.out)
	b := deps.Boundary(&remediator{n: deps.Notifier}, eventbridge.KindBackupJob)
	raw := sample(t, completedJob)

	remove := r.sim.InjectFault(awssim.Fault{Service: awssim.ServiceSNS, Operation: "Publish", Code: "Throttling", Probability: 1})
	if err := b.Handle(ctx, raw); err == nil {
		t.Fatal("publish failed but Handle succeeded")
	}
	remove()
	if err := b.Handle(ctx, raw); err != nil {
		t.Fatalf("retry: %v", err)
	}
	var subjects []string
	for _, p := range r.sim.Published() {
		subjects = append(subjects, p.Subject)
	}
	if diff := cmp.Diff([]string{"[selfheal] RESTORE web back in us-east-1a"}, subjects); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	if err := b.Handle(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if n := len(r.sim.Published()); n != 1 {
		t.Errorf("%d messages after a third delivery, want the one", n)
	}
}

// leaseProbe records the lease its invocation holds, as the state table
// shows it while the event is processed.
type leaseProbe struct {
	sim   *awssim.Sim
	until time.Time
}

func (p *leaseProbe) Process(_ context.Context, ev eventbridge.Event) (handler.Outcome, error) {
	for _, it := range p.sim.DynamoDBItems("us-east-1", simenv.TableName) {
		pk, _ := it["pk"].(*ddbtypes.AttributeValueMemberS)
		if pk == nil || !strings.HasSuffix(pk.Value, "#"+ev.Envelope.ID) {
			continue
		}
		if v, ok := it["leaseUntil"].(*ddbtypes.AttributeValueMemberN); ok {
			ms, _ := strconv.ParseInt(v.Value, 10, 64)
			p.until = time.UnixMilli(ms).UTC()
		}
	}
	return handler.Outcome{}, nil
}

// A claim lasts as long as its invocation could run: Lambda's deadline (plus
// a margin for clocks). An invocation killed at its timeout must not hold up
// Lambda's retries, which come a minute or two later.
func TestLeaseEndsAtTheInvocationDeadline(t *testing.T) {
	r := newRig(t)
	probe := &leaseProbe{sim: r.sim}
	b := r.env.Deps("backup-compliance", r.out).Boundary(probe, eventbridge.KindBackupJob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := r.sim.Now()
	if err := b.Handle(ctx, sample(t, completedJob)); err != nil {
		t.Fatal(err)
	}
	if lease := probe.until.Sub(start); lease < 30*time.Second || lease > 40*time.Second {
		t.Errorf("lease of %s with a 30 s deadline, want about 35 s", lease)
	}
	probe2 := &leaseProbe{sim: r.sim}
	b2 := r.env.Deps("backup-compliance", r.out).Boundary(probe2, eventbridge.KindCopyJob)
	start = r.sim.Now()
	if err := b2.Handle(context.Background(), sample(t, "aws.backup/copy-job-state-change--completed.json")); err != nil {
		t.Fatal(err)
	}
	if lease := probe2.until.Sub(start); lease != handler.DefaultLease {
		t.Errorf("lease of %s without a deadline, want the default %s", lease, handler.DefaultLease)
	}
}
