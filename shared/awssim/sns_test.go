package awssim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

func newTopic(t *testing.T, client *sns.Client, name string) string {
	t.Helper()
	out, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	return aws.ToString(out.TopicArn)
}

func str(dataType, v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(v)}
}

func TestPublishCapturesEveryMessage(t *testing.T) {
	sim := awssim.New()
	client := sns.NewFromConfig(sim.Config(region))
	arn := newTopic(t, client, "selfheal-findings")
	if want := "arn:aws:sns:us-east-1:123456789012:selfheal-findings"; arn != want {
		t.Errorf("topic ARN %s, want %s", arn, want)
	}
	if again := newTopic(t, client, "selfheal-findings"); again != arn {
		t.Errorf("CreateTopic of an existing name gave %s, want the same ARN", again)
	}

	structured := `{"default":"vault unlocked","email":"Vault prod is not locked"}`
	out, err := client.Publish(ctx, &sns.PublishInput{
		TopicArn:         aws.String(arn),
		Subject:          aws.String("[selfheal] HIGH: vault prod not locked"),
		Message:          aws.String(structured),
		MessageStructure: aws.String("json"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"severity": str("String", "HIGH"),
			"checks":   str("String.Array", `["vault-lock", 3, true, null]`),
			"count":    str("Number", "-1.5e3"),
			"digest":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := sim.Published()
	want := []awssim.PublishedMessage{{
		MessageID: aws.ToString(out.MessageId), TopicARN: arn, Region: region,
		Subject: "[selfheal] HIGH: vault prod not locked", Message: structured, Structure: "json",
		Attributes: map[string]awssim.MessageAttribute{
			"severity": {DataType: "String", StringValue: "HIGH"},
			"checks":   {DataType: "String.Array", StringValue: `["vault-lock", 3, true, null]`},
			"count":    {DataType: "Number", StringValue: "-1.5e3"},
			"digest":   {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		},
		Time: sim.Now(),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("captured messages (-want +got):\n%s", diff)
	}
}

func TestPublishValidation(t *testing.T) {
	sim := awssim.New()
	client := sns.NewFromConfig(sim.Config(region))
	arn := newTopic(t, client, "alerts")
	other := sns.NewFromConfig(sim.Config("us-west-2"))

	cases := []struct {
		name   string
		client *sns.Client
		in     sns.PublishInput
		code   string // "" = accepted
		msg    string
	}{
		{name: "100 ASCII characters is the longest subject", in: sns.PublishInput{Subject: aws.String(strings.Repeat("s", 100))}},
		{name: "subject too long", in: sns.PublishInput{Subject: aws.String(strings.Repeat("s", 101))}, code: "InvalidParameter", msg: "Subject"},
		{name: "non-ASCII subject", in: sns.PublishInput{Subject: aws.String("Vault état")}, code: "InvalidParameter", msg: "Subject"},
		{name: "line break in subject", in: sns.PublishInput{Subject: aws.String("two\nlines")}, code: "InvalidParameter", msg: "Subject"},
		{name: "subject starting with a space", in: sns.PublishInput{Subject: aws.String(" padded")}, code: "InvalidParameter", msg: "Subject"},
		{name: "subject starting with punctuation", in: sns.PublishInput{Subject: aws.String("[selfheal] ok")}},
		{name: "empty message", in: sns.PublishInput{Message: aws.String("")}, code: "InvalidParameter", msg: "Empty message"},
		{name: "256 KiB message", in: sns.PublishInput{Message: aws.String(strings.Repeat("m", 262144))}},
		{name: "message over 256 KiB", in: sns.PublishInput{Message: aws.String(strings.Repeat("m", 262145))}, code: "InvalidParameter", msg: "too long"},
		{
			name: "attributes count toward 256 KiB",
			in: sns.PublishInput{
				Message:           aws.String(strings.Repeat("m", 262144-10)),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"severity": str("String", "HIGH")},
			},
			code: "InvalidParameter", msg: "too long",
		},
		{name: "json structure without default", in: sns.PublishInput{MessageStructure: aws.String("json"), Message: aws.String(`{"email":"x"}`)}, code: "InvalidParameter", msg: "No default entry"},
		{name: "json structure that is not JSON", in: sns.PublishInput{MessageStructure: aws.String("json"), Message: aws.String(`default: x`)}, code: "InvalidParameter", msg: "failed to parse"},
		{name: "json structure with a non-string default", in: sns.PublishInput{MessageStructure: aws.String("json"), Message: aws.String(`{"default":{"a":1}}`)}, code: "InvalidParameter"},
		{name: "unknown structure", in: sns.PublishInput{MessageStructure: aws.String("xml")}, code: "InvalidParameter", msg: "MessageStructure"},
		{name: "String.Array that is not an array", in: sns.PublishInput{MessageAttributes: map[string]snstypes.MessageAttributeValue{"checks": str("String.Array", `"vault-lock"`)}}, code: "ParameterValueInvalid", msg: "String.Array"},
		{name: "String.Array of objects", in: sns.PublishInput{MessageAttributes: map[string]snstypes.MessageAttributeValue{"checks": str("String.Array", `[{"a":1}]`)}}, code: "ParameterValueInvalid", msg: "String.Array"},
		{name: "Number that is not a number", in: sns.PublishInput{MessageAttributes: map[string]snstypes.MessageAttributeValue{"count": str("Number", "three")}}, code: "ParameterValueInvalid", msg: "number"},
		{name: "unknown data type", in: sns.PublishInput{MessageAttributes: map[string]snstypes.MessageAttributeValue{"x": str("Date", "2026")}}, code: "ParameterValueInvalid", msg: "supported type prefixes"},
		{name: "empty String value", in: sns.PublishInput{MessageAttributes: map[string]snstypes.MessageAttributeValue{"x": str("String", "")}}, code: "ParameterValueInvalid", msg: "non-empty"},
		{name: "reserved attribute name", in: sns.PublishInput{MessageAttributes: map[string]snstypes.MessageAttributeValue{"AWS.Trace": str("String", "x")}}, code: "ParameterValueInvalid"},
		{name: "unknown topic", in: sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:nope")}, code: "NotFound"},
		{name: "topic of another region", client: other, in: sns.PublishInput{}, code: "InvalidParameter", msg: "TopicArn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.TopicArn == nil {
				in.TopicArn = aws.String(arn)
			}
			if in.Message == nil {
				in.Message = aws.String(`{"default":"hello"}`)
			}
			c := client
			if tc.client != nil {
				c = tc.client
			}
			before := len(sim.Published())
			_, err := c.Publish(ctx, &in)
			if got := apiCode(err); got != tc.code {
				t.Fatalf("error code %q (%v), want %q", got, err, tc.code)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if captured := len(sim.Published()) - before; (tc.code == "") != (captured == 1) {
				t.Errorf("%d messages captured; a refused message must not be, an accepted one must", captured)
			}
		})
	}

	// Typed errors, as the SDK deserializes them from SNS.
	_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), Subject: aws.String("é")})
	var invalid *snstypes.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("got %T, want *types.InvalidParameterException", err)
	}
}

func TestListTopicsPages(t *testing.T) {
	sim := awssim.New()
	client := sns.NewFromConfig(sim.Config(region))
	var want []string
	for i := range 105 {
		want = append(want, newTopic(t, client, "topic-"+string(rune('a'+i/26))+string(rune('a'+i%26))))
	}
	if _, err := sim.CreateTopic("us-west-2", "elsewhere"); err != nil {
		t.Fatal(err)
	}
	var got []string
	pages := sns.NewListTopicsPaginator(client, &sns.ListTopicsInput{})
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, tp := range out.Topics {
			got = append(got, aws.ToString(tp.TopicArn))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}
	if n != 2 {
		t.Errorf("%d pages for 105 topics, want 2 (100 per page)", n)
	}
}
