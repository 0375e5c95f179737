package bus_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/selfheal/internal/bus"
	"github.com/selfheal/selfheal/events"
)

func newBus(t *testing.T, functions ...string) *bus.Bus {
	t.Helper()
	patterns, err := events.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(patterns, functions...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func route(t *testing.T, b *bus.Bus, sample string) []string {
	t.Helper()
	raw, err := events.Sample(sample)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := bus.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range b.Route(ev) {
		out = append(out, r.Name)
	}
	return out
}

// Events reach exactly the rules the deployment has for them; an event no
// rule matches goes nowhere.
func TestRouteByDeployedPatterns(t *testing.T) {
	b := newBus(t)
	cases := map[string][]string{
		"aws.health/aws-health-event--ec2-issue-account.json":                          {"asg-rebalancer--health"},
		"aws.health/aws-health-event--ec2-retirement-scheduled.json":                   nil, // not an issue
		"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json":                  {"asg-rebalancer--alarm"},
		"aws.cloudwatch/cloudwatch-alarm-state-change--insufficient-data.json":         nil,
		"aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json": {"asg-rebalancer--launch-failure"},
		"aws.arc-zonal-shift/autoshift-completed.json":                                 {"asg-rebalancer--autoshift"},
		"aws.backup/copy-job-state-change--failed.json":                                {"backup-compliance--jobs"},
		"aws.events/scheduled-event.json":                                              nil, // schedules target functions directly
	}
	for sample, want := range cases {
		if diff := cmp.Diff(want, route(t, b, sample)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", sample, diff)
		}
	}
}

// A rule whose function is not deployed does not exist.
func TestRulesOnlyForDeployedFunctions(t *testing.T) {
	b := newBus(t, "backup-compliance")
	if got := route(t, b, "aws.health/aws-health-event--ec2-issue-account.json"); got != nil {
		t.Errorf("health event routed to %v with only backup-compliance deployed", got)
	}
	for _, r := range b.Rules() {
		if r.Function != "backup-compliance" {
			t.Errorf("rule %s targets %s", r.Name, r.Function)
		}
	}
}

func TestParseRefusesWhatNoBusCarries(t *testing.T) {
	for _, raw := range []string{``, `[]`, `"x"`, `{"source":`} {
		if _, err := bus.Parse([]byte(raw)); err == nil {
			t.Errorf("Parse(%q) accepted", raw)
		}
	}
}

// Lambda waits one minute before the second attempt and two before the
// third.
func TestRetryDelays(t *testing.T) {
	got := []time.Duration{bus.RetryDelay(2), bus.RetryDelay(3)}
	if diff := cmp.Diff([]time.Duration{time.Minute, 2 * time.Minute}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The failure record carries the event and the last error as Lambda's
// on-failure destination does; an event that is not JSON is kept as a
// string rather than lost.
func TestFailureRecord(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 4, 5, 600_000_000, time.UTC)
	for _, c := range []struct {
		name, event string
		payload     any
	}{
		{"event", `{"id":"e1","source":"aws.backup"}`, map[string]any{"id": "e1", "source": "aws.backup"}},
		{"not JSON", `{"id":`, `{"id":`},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw, err := bus.NewFailureRecord(at, "req-1", "arn:aws:lambda:us-east-1:123456789012:function:selfheal-x", 3, []byte(c.event), "boom")
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"version":   "1.0",
				"timestamp": "2026-11-02T03:04:05.600Z",
				"requestContext": map[string]any{
					"requestId": "req-1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:selfheal-x:$LATEST",
					"condition": "RetriesExhausted", "approximateInvokeCount": float64(3),
				},
				"requestPayload":  c.payload,
				"responseContext": map[string]any{"statusCode": float64(200), "executedVersion": "$LATEST", "functionError": "Unhandled"},
				"responsePayload": map[string]any{"errorMessage": "boom", "errorType": "errorString"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}
