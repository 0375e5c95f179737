package handler

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Why an event went to the dead-letter queue, in the "error_kind" message
// attribute.
const (
	KindMalformed   = "malformed"     // could not be decoded
	KindForeign     = "foreign"       // from another account or region
	KindUnprocessed = "unprocessable" // decoded, but a processor can never handle it
)

// SQS accepts at most 256 KiB per message, and only some Unicode.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
const maxQueueMessage = 256 * 1024

// Quarantine puts events that can never be processed on the dead-letter
// queue, with the reason attached.
type Quarantine struct {
	sqs      SQSAPI
	queueURL string
}

// NewQuarantine returns a Quarantine on queueURL.
func NewQuarantine(client SQSAPI, queueURL string) *Quarantine {
	return &Quarantine{sqs: client, queueURL: queueURL}
}

// Letter is one quarantined event.
type Letter struct {
	Function   string
	Kind       string // KindMalformed, KindForeign, KindUnprocessed
	Reason     string
	EventID    string
	Source     string
	DetailType string
	Raw        []byte
}

// Send queues the letter. An error means the event is not safe anywhere
// yet: the caller returns it so Lambda retries.
func (q *Quarantine) Send(ctx context.Context, l Letter) error {
	attrs := map[string]types.MessageAttributeValue{}
	set := func(k, v string) {
		if v != "" {
			attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(sqsSafe(v, 1024))}
		}
	}
	set("reason", l.Reason)
	set("error_kind", l.Kind)
	set("function", l.Function)
	set("event_id", l.EventID)
	set("source", l.Source)
	set("detail_type", l.DetailType)
	body := sqsSafe(string(l.Raw), maxQueueMessage-8*1024)
	if body == "" {
		body = "(empty event)"
	}
	_, err := q.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(q.queueURL),
		MessageBody:       aws.String(body),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("quarantine event %q: %w", l.EventID, err)
	}
	return nil
}

// sqsSafe keeps the characters SQS accepts (#x9 | #xA | #xD | #x20 to
// #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF), replacing others, and
// cuts to at most n bytes on a character boundary.
func sqsSafe(s string, n int) string {
	out := make([]rune, 0, len(s))
	size := 0
	for _, r := range s {
		ok := r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok || r == utf8.RuneError {
			r = '?'
		}
		size += utf8.RuneLen(r)
		if size > n {
			break
		}
		out = append(out, r)
	}
	return string(out)
}
