package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/handler"
)

// ownEvent is, per function, a sample of an event it handles: the base the
// malformed events are cut from, so that each reaches the check it is
// about.
var ownEvent = map[string]string{
	"asg-rebalancer":    "aws.health/aws-health-event--ec2-issue-account.json",
	"backup-compliance": "aws.backup/backup-job-state-change--completed.json",
	"compliance-sweep":  "aws.events/scheduled-event.json",
}

// otherEvent is a well-formed event each function has no rule for.
var otherEvent = map[string]string{
	"asg-rebalancer":    "aws.backup/recovery-point-state-change--completed.json",
	"backup-compliance": "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json",
	"compliance-sweep":  "aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json",
}

// alarmToLambda is what a CloudWatch alarm sends when its action is the
// function itself, not EventBridge's envelope.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions-Lambda.html
const alarmToLambda = `{
  "source": "aws.cloudwatch",
  "alarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-unhealthy-us-east-1a",
  "accountId": "123456789012",
  "time": "2026-11-02T03:10:00.000+0000",
  "region": "us-east-1",
  "alarmData": {
    "alarmName": "web-unhealthy-us-east-1a",
    "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2026-11-02T03:10:00.000+0000"},
    "previousState": {"value": "OK", "reason": "Threshold Crossed", "timestamp": "2026-11-02T02:00:00.000+0000"},
    "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/ApplicationELB",
      "name": "UnHealthyHostCount", "dimensions": {"AvailabilityZone": "us-east-1a"}}, "period": 60, "stat": "Maximum"}, "returnData": true}]}
  }
}`

// snsRecords is an SNS delivery to Lambda: the envelope of someone
// subscribing the function to a topic by mistake.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
const snsRecords = `{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {"Type": "Notification",
  "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e", "TopicArn": "arn:aws:sns:us-east-1:123456789012:ops",
  "Subject": "ALARM", "Message": "{}", "Timestamp": "2026-11-02T03:10:00.000Z"}}]}`

// Outcomes of a bad event at the boundary.
const (
	quarantined = "quarantined"
	ignored     = "ignored"
)

type badEvent struct {
	name string
	// make builds the event from the function's own sample.
	make func(t *testing.T, fn string, own map[string]any) []byte
	// status is the boundary's; kind the quarantine's error_kind.
	status, kind string
}

func edit(f func(ev map[string]any)) func(*testing.T, string, map[string]any) []byte {
	return func(t *testing.T, _ string, ev map[string]any) []byte {
		f(ev)
		return marshal(t, ev)
	}
}

func raw(s string) func(*testing.T, string, map[string]any) []byte {
	return func(*testing.T, string, map[string]any) []byte { return []byte(s) }
}

// badEvents: every way an event can be wrong that the suite knows of.
var badEvents = []badEvent{
	{"empty payload", raw(""), quarantined, handler.KindMalformed},
	{"JSON null", raw("null"), quarantined, handler.KindMalformed},
	{"a JSON array", raw(`[{"source": "aws.backup"}]`), quarantined, handler.KindMalformed},
	{"truncated JSON", func(t *testing.T, _ string, ev map[string]any) []byte {
		b := marshal(t, ev)
		return b[:len(b)/2]
	}, quarantined, handler.KindMalformed},
	{"trailing garbage", func(t *testing.T, _ string, ev map[string]any) []byte {
		return append(marshal(t, ev), []byte(`}{"id":"x"}`)...)
	}, quarantined, handler.KindMalformed},
	{"huge array payload (over EventBridge's 256 KiB)", raw("[" + strings.Repeat("0,", 200_000) + "0]"), quarantined, handler.KindMalformed},
	{"huge resources array (over 256 KiB)", edit(func(ev map[string]any) {
		rs := make([]string, 10_000)
		for i := range rs {
			rs[i] = fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%017x", i)
		}
		ev["resources"] = rs
	}), quarantined, handler.KindMalformed},
	{"huge resources array of numbers (under 256 KiB)", edit(func(ev map[string]any) {
		ev["resources"] = make([]int, 50_000)
	}), quarantined, handler.KindMalformed},
	{"nesting 20,000 deep", func(t *testing.T, _ string, ev map[string]any) []byte {
		b := marshal(t, ev)
		deep := strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000)
		return bytes.Replace(b, []byte(`"detail":{`), []byte(`"detail":{"deep":`+deep+`,`), 1)
	}, quarantined, handler.KindMalformed},
	{"detail-type a number", edit(func(ev map[string]any) { ev["detail-type"] = 42 }), quarantined, handler.KindMalformed},
	{"detail a string", edit(func(ev map[string]any) { ev["detail"] = "{}" }), quarantined, handler.KindMalformed},
	{"detail an array", edit(func(ev map[string]any) { ev["detail"] = []any{} }), quarantined, handler.KindMalformed},
	{"time not a time", edit(func(ev map[string]any) { ev["time"] = "yesterday" }), quarantined, handler.KindMalformed},
	{"id an object", edit(func(ev map[string]any) { ev["id"] = map[string]any{} }), quarantined, handler.KindMalformed},
	{"missing detail", edit(func(ev map[string]any) { delete(ev, "detail") }), quarantined, handler.KindMalformed},
	{"missing id", edit(func(ev map[string]any) { delete(ev, "id") }), quarantined, handler.KindMalformed},
	{"missing account", edit(func(ev map[string]any) { delete(ev, "account") }), quarantined, handler.KindMalformed},
	{"a detail field of the wrong type", func(t *testing.T, fn string, ev map[string]any) []byte {
		d := ev["detail"].(map[string]any)
		switch fn {
		case "asg-rebalancer":
			d["affectedEntities"] = []any{42, "i-0123456789abcdef0"}
		case "backup-compliance":
			d["state"] = 7
		default:
			// A Scheduled Event's detail is empty: its rule is its resource.
			ev["resources"] = []any{map[string]any{"arn": "x"}}
		}
		return marshal(t, ev)
	}, quarantined, handler.KindMalformed},
	{"unknown detail-type", edit(func(ev map[string]any) { ev["detail-type"] = "Something New" }), ignored, ""},
	{"unknown source", edit(func(ev map[string]any) { ev["source"], ev["detail-type"] = "aws.s3", "Object Created" }), ignored, ""},
	{"another function's event", func(t *testing.T, fn string, _ map[string]any) []byte {
		b, err := events.Sample(otherEvent[fn])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, ignored, ""},
	{"from another account", edit(func(ev map[string]any) { ev["account"] = "999999999999" }), quarantined, handler.KindForeign},
	{"from another region", edit(func(ev map[string]any) { ev["region"] = "eu-west-1" }), quarantined, handler.KindForeign},
	{"CloudWatch alarm straight to Lambda", raw(alarmToLambda), quarantined, handler.KindMalformed},
	{"SNS records", raw(snsRecords), quarantined, handler.KindMalformed},
}

// Malformed, foreign and unknown events at each function's real boundary
// (its processor wired as its Lambda main wires it, real SDK clients on the
// simulated account, Lambda's context): each is quarantined with its reason
// on the dead-letter queue or ignored as a logged no-op. Never a panic,
// never an error (Lambda would retry what can never succeed), never a
// write to the account — not even a claim in the state table.
func TestBadInputAtEveryBoundary(t *testing.T) {
	a := newAccount(t)
	for _, fn := range gameday.FunctionNames() {
		sample, ok := ownEvent[fn]
		if !ok {
			t.Errorf("function %s has no sample in this test: add one", fn)
			continue
		}
		var out bytes.Buffer
		b := a.functionLogging(fn, nil, &out)
		for i, bad := range badEvents {
			t.Run(fn+"/"+bad.name, func(t *testing.T) {
				base, err := events.Sample(sample)
				if err != nil {
					t.Fatal(err)
				}
				var ev map[string]any
				if err := json.Unmarshal(base, &ev); err != nil {
					t.Fatal(err)
				}
				ev["id"] = fmt.Sprintf("bad-%02d", i) // never a duplicate of an earlier case
				payload := bad.make(t, fn, ev)

				out.Reset()
				calls := a.sim.CallCount()
				err = handle(b, invocation(fn, fmt.Sprintf("req-%02d", i)), payload)
				if err != nil {
					t.Fatalf("returned %v: Lambda would retry an event that can never succeed", err)
				}
				if got := gameday.DecodeLogLine(out.Bytes()); got.Status != bad.status {
					t.Errorf("logged status %q (%s), want %q", got.Status, got.Decision, bad.status)
				}
				var sent []*sqs.SendMessageInput
				for _, c := range a.sim.CallsSince(calls) {
					if c.Err != nil || c.IsRead() {
						continue
					}
					if in, ok := c.Input.(*sqs.SendMessageInput); ok {
						sent = append(sent, in)
						continue
					}
					if quarantineRecord(c) {
						continue
					}
					t.Errorf("wrote %s %s", c.Service, c.Operation)
				}
				switch {
				case bad.status == ignored && len(sent) > 0:
					t.Errorf("an ignored event was quarantined %d times", len(sent))
				case bad.status == quarantined && len(sent) != 1:
					t.Errorf("quarantined %d times, want once", len(sent))
				case bad.status == quarantined:
					attr := func(k string) string {
						if v, ok := sent[0].MessageAttributes[k]; ok && v.StringValue != nil {
							return *v.StringValue
						}
						return ""
					}
					if attr("error_kind") != bad.kind || attr("reason") == "" || attr("function") != fn {
						t.Errorf("quarantined as %q by %q with reason %q, want %s by %s with a reason",
							attr("error_kind"), attr("function"), attr("reason"), bad.kind, fn)
					}
				}
			})
		}
	}
}

// handle calls the handler as the Lambda runtime would, turning a panic
// into a test failure with its stack.
func handle(b *handler.Boundary, ctx context.Context, payload []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v\n%s", r, debug.Stack())
		}
	}()
	return b.Handle(ctx, payload)
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// quarantineRecord reports whether a call is the state table's record
// that an event was quarantined (sort key "quarantine").
func quarantineRecord(c awssim.Call) bool {
	sk, ok := c.DynamoDBItem()["sk"].(*ddbtypes.AttributeValueMemberS)
	return ok && sk.Value == "quarantine"
}
