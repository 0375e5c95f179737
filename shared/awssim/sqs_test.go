package awssim_test

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

// attributesMD5 is the SQS digest of message attributes, written out from
// the documentation independently of the sim's own: names sorted; each
// of name, type and value length-prefixed (4 bytes big-endian), with a
// transport byte (1 string, 2 binary) before the value.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
func attributesMD5(attrs map[string]sqstypes.MessageAttributeValue) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	lp := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, n := range names {
		v := attrs[n]
		lp([]byte(n))
		lp([]byte(*v.DataType))
		if v.BinaryValue != nil {
			h.Write([]byte{2})
			lp(v.BinaryValue)
		} else {
			h.Write([]byte{1})
			lp([]byte(*v.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sqsAttr(dataType, v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(v)}
}

func newQueue(t *testing.T, client *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	return aws.ToString(out.QueueUrl)
}

// The SDK checks MD5OfMessageBody on SendMessage and MD5OfBody on
// ReceiveMessage and fails the call on a mismatch; the attribute digests
// are checked here against the documented algorithm.
func TestSQSMessageRoundTripWithExactMD5s(t *testing.T) {
	sim := awssim.New()
	client := sqs.NewFromConfig(sim.Config(region))
	url := newQueue(t, client, "selfheal-quarantine", nil)
	if want := "https://sqs.us-east-1.amazonaws.com/123456789012/selfheal-quarantine"; url != want {
		t.Errorf("queue URL %s, want %s", url, want)
	}
	got, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("selfheal-quarantine")})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Fatalf("GetQueueUrl: %v, %v", aws.ToString(got.QueueUrl), err)
	}

	attrs := map[string]sqstypes.MessageAttributeValue{
		"reason":        sqsAttr("String", "unknown detail-type: Ünïcödé ✓"),
		"attempts":      sqsAttr("Number", "3"),
		"source.kind":   sqsAttr("String.custom", "aws.backup"),
		"source.region": sqsAttr("String", "us-east-1"),
		"raw":           {DataType: aws.String("Binary"), BinaryValue: []byte{0xde, 0xad, 0xbe, 0xef}},
	}
	body := `{"detail-type":"Weird","emoji":"🙂"}`
	sent, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageAttributes: attrs})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if got, want := aws.ToString(sent.MD5OfMessageAttributes), attributesMD5(attrs); got != want {
		t.Errorf("MD5OfMessageAttributes %s, want %s", got, want)
	}

	recv, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(recv.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(recv.Messages))
	}
	m := recv.Messages[0]
	if aws.ToString(m.Body) != body || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) {
		t.Errorf("received %q (%s), want %q (%s)", aws.ToString(m.Body), aws.ToString(m.MessageId), body, aws.ToString(sent.MessageId))
	}
	if diff := cmp.Diff(attrs, m.MessageAttributes, cmp.Comparer(func(a, b sqstypes.MessageAttributeValue) bool {
		return aws.ToString(a.DataType) == aws.ToString(b.DataType) && aws.ToString(a.StringValue) == aws.ToString(b.StringValue) && string(a.BinaryValue) == string(b.BinaryValue)
	})); diff != "" {
		t.Errorf("attributes (-sent +received):\n%s", diff)
	}
	if got, want := aws.ToString(m.MD5OfMessageAttributes), attributesMD5(m.MessageAttributes); got != want {
		t.Errorf("received MD5OfMessageAttributes %s, want %s", got, want)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("system attributes %v, want ApproximateReceiveCount 1", m.Attributes)
	}
}

func TestSQSAttributeSelection(t *testing.T) {
	sim := awssim.New()
	client := sqs.NewFromConfig(sim.Config(region))
	url := newQueue(t, client, "q", map[string]string{"VisibilityTimeout": "0"})
	attrs := map[string]sqstypes.MessageAttributeValue{
		"reason": sqsAttr("String", "r"), "source.kind": sqsAttr("String", "k"), "source.region": sqsAttr("String", "g"),
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("b"), MessageAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		names []string
		want  []string
	}{
		{nil, nil},
		{[]string{"All"}, []string{"reason", "source.kind", "source.region"}},
		{[]string{".*"}, []string{"reason", "source.kind", "source.region"}},
		{[]string{"source.*"}, []string{"source.kind", "source.region"}},
		{[]string{"reason", "missing"}, []string{"reason"}},
	}
	for _, tc := range cases {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: tc.names})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range out.Messages[0].MessageAttributes {
			got = append(got, k)
		}
		sort.Strings(got)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("MessageAttributeNames %v (-want +got):\n%s", tc.names, diff)
		}
		if md5 := out.Messages[0].MD5OfMessageAttributes; (md5 != nil) != (len(tc.want) > 0) {
			t.Errorf("MessageAttributeNames %v: MD5OfMessageAttributes %v, want one exactly when attributes are returned", tc.names, aws.ToString(md5))
		}
	}
}

func TestSQSVisibilityTimeoutRunsOnSimClock(t *testing.T) {
	sim := awssim.New()
	client := sqs.NewFromConfig(sim.Config(region))
	url := newQueue(t, client, "q", map[string]string{"VisibilityTimeout": "60"})
	for _, b := range []string{"one", "two", "three"} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	receive := func(maxN int32, vt int32) []sqstypes.Message {
		t.Helper()
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: maxN, VisibilityTimeout: vt})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	first := receive(2, 0)
	if len(first) != 2 {
		t.Fatalf("received %d of 3 with MaxNumberOfMessages 2", len(first))
	}
	if rest := receive(10, 0); len(rest) != 1 || aws.ToString(rest[0].Body) != "three" {
		t.Fatalf("in-flight messages were received again: %d", len(rest))
	}
	sim.Advance(50 * time.Second)
	if again := receive(10, 0); len(again) != 0 {
		t.Fatalf("%d messages visible 50 s into a 60 s visibility timeout", len(again))
	}
	sim.Advance(10 * time.Second)
	again := receive(2, 300)
	if len(again) != 2 || aws.ToString(again[0].Body) != "one" {
		t.Fatalf("%d messages received after the 60 s visibility timeout, want one and two again", len(again))
	}

	// The old receipt handle no longer deletes; the newest does.
	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with a superseded handle: %v", err)
	}
	if n := len(sim.QueueMessages(url)); n != 3 {
		t.Errorf("%d messages after deleting with a superseded handle, want 3", n)
	}
	for _, m := range again {
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	left := sim.QueueMessages(url)
	if len(left) != 1 || left[0].Body != "three" || left[0].ReceiveCount != 1 {
		t.Errorf("left in the queue: %+v, want message three received once", left)
	}
}

func TestSQSErrors(t *testing.T) {
	sim := awssim.New()
	client := sqs.NewFromConfig(sim.Config(region))
	url := newQueue(t, client, "q", nil)

	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url + "-missing"), MessageBody: aws.String("x")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) || apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("unknown queue: got %v, want QueueDoesNotExist with the legacy code", err)
	}
	_, err = client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	if !errors.As(err, &missing) {
		t.Errorf("GetQueueUrl of an unknown queue: %v", err)
	}
	_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
	var badHandle *sqstypes.ReceiptHandleIsInvalid
	if !errors.As(err, &badHandle) {
		t.Errorf("bad receipt handle: got %v, want ReceiptHandleIsInvalid", err)
	}
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"VisibilityTimeout": "5"}})
	var exists *sqstypes.QueueNameExists
	if !errors.As(err, &exists) {
		t.Errorf("CreateQueue with different attributes: got %v, want QueueNameExists", err)
	}

	cases := []struct {
		name string
		in   sqs.SendMessageInput
		code string
	}{
		{"body over 256 KiB", sqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 262145))}, "InvalidParameterValue"},
		{"control character", sqs.SendMessageInput{MessageBody: aws.String("a\x00b")}, "InvalidMessageContents"},
		{"unknown type", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"a": sqsAttr("Date", "x")}}, "InvalidParameterValue"},
		{"bad number", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"a": sqsAttr("Number", "many")}}, "InvalidParameterValue"},
		{"reserved name", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"aws.x": sqsAttr("String", "v")}}, "InvalidParameterValue"},
	}
	for _, tc := range cases {
		in := tc.in
		in.QueueUrl = aws.String(url)
		if _, err := client.SendMessage(ctx, &in); apiCode(err) != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	if n := len(sim.QueueMessages(url)); n != 0 {
		t.Errorf("%d refused messages were queued", n)
	}
	_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("MaxNumberOfMessages 11: got %v", err)
	}
}

func TestSQSDelayAndRetentionRunOnSimClock(t *testing.T) {
	sim := awssim.New()
	client := sqs.NewFromConfig(sim.Config(region))
	url := newQueue(t, client, "q", map[string]string{"MessageRetentionPeriod": "120", "DelaySeconds": "30"})
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("late")}); err != nil {
		t.Fatal(err)
	}
	received := func() int {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 1})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Messages)
	}
	if n := received(); n != 0 {
		t.Errorf("%d messages received inside the queue's 30 s delay", n)
	}
	sim.Advance(30 * time.Second)
	if n := received(); n != 1 {
		t.Errorf("%d messages received after the delay, want 1", n)
	}
	sim.Advance(90 * time.Second)
	if n := received(); n != 0 {
		t.Errorf("%d messages received past the 120 s retention period", n)
	}
	if n := len(sim.QueueMessages(url)); n != 0 {
		t.Errorf("%d messages kept past the retention period", n)
	}
}
