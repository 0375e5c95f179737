//go:build e2e

package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/e2e/motoserver"
)

// urgent is what the filtered subscriber asks for: an on-call pager that
// only wants HIGH and CRITICAL.
var urgent = []string{"HIGH", "CRITICAL"}

// subscribers are the topic's test subscribers: a pager queue with a
// filter policy on the severity message attribute (raw delivery: the JSON
// document and the attributes), and an archive queue with no filter and
// SNS's envelope — the document an email-json subscriber receives.
type subscribers struct {
	topicARN       string
	pager, archive string // queue URLs
}

func subscribe(t *testing.T, d *deployment) *subscribers {
	t.Helper()
	ctx := context.Background()
	q, sc := sqs.NewFromConfig(harness()), sns.NewFromConfig(harness())
	s := &subscribers{topicARN: d.TopicARN}
	for _, sub := range []struct {
		name  string
		url   *string
		attrs map[string]string
	}{
		{"e2e-pager", &s.pager, map[string]string{
			"FilterPolicy":       `{"severity": ["` + strings.Join(urgent, `", "`) + `"]}`,
			"FilterPolicyScope":  "MessageAttributes",
			"RawMessageDelivery": "true",
		}},
		{"e2e-archive", &s.archive, nil},
	} {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(sub.name)})
		if err != nil {
			t.Fatal(err)
		}
		*sub.url = aws.ToString(out.QueueUrl)
		attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(d.TopicARN), Protocol: aws.String("sqs"),
			Endpoint: aws.String(attrs.Attributes["QueueArn"]), Attributes: sub.attrs, ReturnSubscriptionArn: true}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// published is one Publish a function made, as the proxy saw it.
type published struct {
	Subject, Default, Email string
	Attributes              map[string]string
}

// publishes reads the functions' Publish calls (query protocol) from the
// log.
func publishes(t *testing.T, log *motoserver.Log) []published {
	t.Helper()
	var out []published
	for _, c := range log.Calls(func(c motoserver.Call) bool {
		return c.Caller == keyFunctions && c.Service == "sns" && c.Operation == "Publish"
	}) {
		f := c.Form()
		if f.Get("MessageStructure") != "json" {
			t.Errorf("a Publish without MessageStructure json: %v", f)
		}
		var structure map[string]string
		if err := json.Unmarshal([]byte(f.Get("Message")), &structure); err != nil {
			t.Fatalf("published message structure: %v", err)
		}
		p := published{Subject: f.Get("Subject"), Default: structure["default"], Email: structure["email"], Attributes: map[string]string{}}
		for i := 1; f.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) != ""; i++ {
			p.Attributes[f.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i))] = f.Get(fmt.Sprintf("MessageAttributes.entry.%d.Value.StringValue", i))
		}
		out = append(out, p)
	}
	return out
}

// drain receives every message of a queue.
func drain(t *testing.T, url string) []sqstypes.Message {
	t.Helper()
	q := sqs.NewFromConfig(harness())
	var out []sqstypes.Message
	for {
		got, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			return out
		}
		out = append(out, got.Messages...)
	}
}

// check compares what each subscriber received with what the functions
// published: the archive everything, in SNS's envelope; the pager exactly
// the urgent ones, with their attributes; the e-mail text readable.
func (s *subscribers) check(t *testing.T, log *motoserver.Log) {
	pubs := publishes(t, log)
	var wantPager, filteredOut []string
	for _, p := range pubs {
		var doc struct {
			SchemaVersion string `json:"schemaVersion"`
			Severity      string `json:"severity"`
			Status        string `json:"status"`
		}
		if err := json.Unmarshal([]byte(p.Default), &doc); err != nil || doc.SchemaVersion == "" {
			t.Errorf("%q: the machine document is not the versioned JSON: %v", p.Subject, err)
		}
		if doc.Severity != p.Attributes["severity"] {
			t.Errorf("%q: document severity %q, attribute %q", p.Subject, doc.Severity, p.Attributes["severity"])
		}
		// The text an e-mail subscriber reads: prose, not JSON, and it
		// says what the subject says.
		if strings.HasPrefix(strings.TrimSpace(p.Email), "{") || len(p.Email) < 20 {
			t.Errorf("%q: e-mail text %q", p.Subject, p.Email)
		}
		if slices.Contains(urgent, p.Attributes["severity"]) {
			wantPager = append(wantPager, p.Default)
		} else {
			filteredOut = append(filteredOut, p.Attributes["severity"]+" "+p.Subject)
		}
	}
	if len(wantPager) == 0 || len(filteredOut) == 0 {
		t.Fatalf("the story published %d urgent and %d other messages: the filter policy is not exercised both ways", len(wantPager), len(filteredOut))
	}
	report.note("SNS filter policy %v on the message attribute severity: %d of %d published messages delivered, filtered out: %s",
		urgent, len(wantPager), len(pubs), strings.Join(filteredOut, "; "))

	var gotPager []string
	for _, m := range drain(t, s.pager) {
		gotPager = append(gotPager, aws.ToString(m.Body))
		sev := m.MessageAttributes["severity"]
		if !slices.Contains(urgent, aws.ToString(sev.StringValue)) {
			t.Errorf("the pager received severity %q", aws.ToString(sev.StringValue))
		}
	}
	sort.Strings(wantPager)
	sort.Strings(gotPager)
	if diff := cmp.Diff(wantPager, gotPager); diff != "" {
		t.Errorf("pager queue (-published urgent +received):\n%s", diff)
	}

	archive := drain(t, s.archive)
	if len(archive) != len(pubs) {
		t.Errorf("archive received %d messages, %d were published", len(archive), len(pubs))
	}
	bySubject := map[string]published{}
	for _, p := range pubs {
		bySubject[p.Subject] = p
	}
	for _, m := range archive {
		var env struct {
			Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
			MessageAttributes                                                                                                   map[string]struct{ Type, Value string }
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
			t.Fatalf("archive: not SNS's envelope: %v", err)
		}
		p, ok := bySubject[env.Subject]
		if !ok {
			t.Errorf("archive: envelope with subject %q was never published", env.Subject)
			continue
		}
		if env.Type != "Notification" || env.TopicArn != s.topicARN || env.MessageId == "" || env.Signature == "" {
			t.Errorf("archive: envelope %+v", env)
		}
		if env.Message != p.Default {
			t.Errorf("archive: %q carries %q, the machine document published was %q", env.Subject, env.Message, p.Default)
		}
		if env.MessageAttributes["severity"].Value != p.Attributes["severity"] {
			t.Errorf("archive: %q severity attribute %+v, published %q", env.Subject, env.MessageAttributes["severity"], p.Attributes["severity"])
		}
	}
}
