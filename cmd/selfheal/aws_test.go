package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
)

// Against a real account nothing is written unless --apply says so:
// dry-run is forced, notifications are printed, state and quarantine stay
// local. With --apply, each of selfheal's own resources is used only when
// the deployment's variable names it, and a policy in dry-run stays in
// dry-run.
func TestPlanAWS(t *testing.T) {
	all := map[string]string{
		"SELFHEAL_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:selfheal",
		"SELFHEAL_TABLE":     "selfheal-state",
		"SELFHEAL_DLQ_URL":   "https://sqs.us-east-1.amazonaws.com/123456789012/selfheal-dead-letter",
	}
	none := map[string]string{}
	topicOnly := map[string]string{"SELFHEAL_TOPIC_ARN": all["SELFHEAL_TOPIC_ARN"]}
	cases := []struct {
		name       string
		apply, dry bool
		env        map[string]string
		want       awsMode
	}{
		{"no --apply, nothing configured", false, false, none, awsMode{DryRun: true}},
		{"no --apply, everything configured", false, false, all, awsMode{DryRun: true}},
		{"--apply, nothing configured", true, false, none, awsMode{}},
		{"--apply, topic configured", true, false, topicOnly, awsMode{Publish: true}},
		{"--apply, everything configured", true, false, all, awsMode{Publish: true, RealState: true, RealQueue: true}},
		{"--apply with a dry-run policy", true, true, all, awsMode{DryRun: true, Publish: true, RealState: true, RealQueue: true}},
		{"blank variables are unset", true, false, map[string]string{"SELFHEAL_TOPIC_ARN": "  "}, awsMode{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := planAWS(c.apply, c.dry, func(k string) string { return c.env[k] })
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("mode (-want +got):\n%s", diff)
			}
		})
	}
}

// The printing publisher shows what a subscriber would have received: the
// subject and the e-mail text of selfheal's structured message.
func TestPrintingPublisher(t *testing.T) {
	var out bytes.Buffer
	n := notify.New(&printingPublisher{w: &out}, "arn:aws:sns:us-east-1:000000000000:printed", nil, time.Now, 0, false)
	_, err := n.Publish(context.Background(), notify.Message{
		Kind: notify.KindRemediation, Function: "asg-rebalancer", EventType: "AWS Health Event", EventID: "e1",
		Account: "123456789012", Region: "us-east-1", Time: time.Date(2026, 11, 2, 3, 5, 0, 0, time.UTC), DryRun: true,
		Actions: []notify.Action{{Kind: notify.ActionEvacuate, Outcome: notify.OutcomePlanned, Severity: notify.SeverityHigh,
			Resource: "web", AZ: "us-east-1a", Summary: "would move web out of us-east-1a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasPrefix(got, "--- would publish (not sent): [selfheal] ") {
		t.Errorf("no subject line:\n%s", got)
	}
	if !strings.Contains(got, "would move web out of us-east-1a") || strings.Contains(got, `"schemaVersion"`) {
		t.Errorf("want the e-mail text, not the JSON document:\n%s", got)
	}
}

// The quarantine of a dry run keeps what would have been queued, with its
// reason, for the output.
func TestRecordingQueue(t *testing.T) {
	q := &recordingQueue{}
	err := handler.NewQuarantine(q, "printed").Send(context.Background(), handler.Letter{
		Function: "backup-compliance", Kind: handler.KindMalformed, Reason: "not JSON", EventID: "e1", Raw: []byte("{"),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.SendMessage(context.Background(), &sqs.SendMessageInput{MessageBody: aws.String("x"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"reason": {DataType: aws.String("String"), StringValue: aws.String("second")}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []gameday.DeadLetter{
		{Kind: handler.KindMalformed, Reason: "not JSON", Function: "backup-compliance", EventID: "e1"},
		{Reason: "second"},
	}
	if diff := cmp.Diff(want, q.letters()); diff != "" {
		t.Errorf("letters (-want +got):\n%s", diff)
	}
}
