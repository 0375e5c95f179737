package awssim

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueMessage is a snapshot of one message in a queue.
type QueueMessage struct {
	MessageID    string
	Body         string
	Attributes   map[string]MessageAttribute
	SentAt       time.Time
	ReceiveCount int
	// VisibleAt is when the message can next be received.
	VisibleAt time.Time
}

type sqsState struct {
	s      *Sim
	queues map[string]*sqsQueue // by URL
}

type sqsQueue struct {
	url, region, name string
	attributes        map[string]string
	tags              map[string]string
	visibility        time.Duration
	delay             time.Duration
	retention         time.Duration
	maxMessageSize    int
	messages          []*sqsMessage // send order
}

type sqsMessage struct {
	id, body, md5Body string
	attrs             map[string]sqstypes.MessageAttributeValue
	traceHeader       string
	sent, visibleAt   time.Time
	firstReceive      time.Time
	receives          int
	receipt           string // latest receipt handle
}

func newSQSState(s *Sim) *sqsState { return &sqsState{s: s, queues: map[string]*sqsQueue{}} }

func (s *Sim) registerSQS() {
	handle(s, ServiceSQS, "CreateQueue", s.sqs.createQueue)
	handle(s, ServiceSQS, "GetQueueUrl", s.sqs.getQueueURL)
	handle(s, ServiceSQS, "SendMessage", s.sqs.sendMessage)
	handle(s, ServiceSQS, "ReceiveMessage", s.sqs.receiveMessage)
	handle(s, ServiceSQS, "DeleteMessage", s.sqs.deleteMessage)
}

// reconcile drops messages older than their queue's retention period.
// Queues also expire messages whenever they are read, so retention holds
// whether or not the sim's tick reaches this.
func (x *sqsState) reconcile() {
	for _, q := range x.queues {
		q.expire(x.s.now)
	}
}

// expire drops the messages older than the retention period.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
func (q *sqsQueue) expire(now time.Time) {
	q.messages = slices.DeleteFunc(q.messages, func(m *sqsMessage) bool {
		return now.Sub(m.sent) >= q.retention
	})
}

// SQS speaks JSON but answers with the codes of its query protocol in the
// x-amzn-query-error header, which the SDK puts in ErrorCodeOverride: so
// errors.As finds the typed error and ErrorCode() is the legacy code.
func queueDoesNotExist() error {
	return &sqstypes.QueueDoesNotExist{
		Message:           aws.String("The specified queue does not exist."),
		ErrorCodeOverride: aws.String("AWS.SimpleQueueService.NonExistentQueue"),
	}
}

func sqsInvalidValue(format string, args ...any) error {
	return apiError(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf(format, args...))
}

var queueName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// queueAttributeRange lists the numeric queue attributes with their bounds
// (MaximumMessageSize up to 1 MiB).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
var queueAttributeRange = map[string][2]int{
	"DelaySeconds":                  {0, 900},
	"MaximumMessageSize":            {1024, 1048576},
	"MessageRetentionPeriod":        {60, 1209600},
	"ReceiveMessageWaitTimeSeconds": {0, 20},
	"VisibilityTimeout":             {0, 43200},
	"KmsDataKeyReusePeriodSeconds":  {60, 86400},
}

var queueAttributeOther = map[string]bool{
	"Policy": true, "RedrivePolicy": true, "RedriveAllowPolicy": true,
	"KmsMasterKeyId": true, "SqsManagedSseEnabled": true,
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
func (x *sqsState) createQueue(r *Region, in *sqs.CreateQueueInput) (*sqs.CreateQueueOutput, error) {
	name := aws.ToString(in.QueueName)
	if strings.HasSuffix(name, ".fifo") || in.Attributes["FifoQueue"] != "" {
		return nil, fmt.Errorf("awssim: SQS FIFO queues are not modelled by the simulated account")
	}
	if !queueName.MatchString(name) {
		return nil, sqsInvalidValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	values := map[string]int{
		"DelaySeconds": 0, "MaximumMessageSize": 262144, "MessageRetentionPeriod": 345600,
		"ReceiveMessageWaitTimeSeconds": 0, "VisibilityTimeout": 30,
	}
	for k, v := range in.Attributes {
		bounds, numeric := queueAttributeRange[k]
		switch {
		case numeric:
			n, err := strconv.Atoi(v)
			if err != nil || n < bounds[0] || n > bounds[1] {
				return nil, &sqstypes.InvalidAttributeValue{Message: aws.String(fmt.Sprintf("Invalid value for the parameter %s.", k))}
			}
			values[k] = n
		case queueAttributeOther[k]:
		default:
			return nil, &sqstypes.InvalidAttributeName{Message: aws.String(fmt.Sprintf("Unknown Attribute %s.", k))}
		}
	}
	url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", r.Name, x.s.accountID, name)
	if q := x.queues[url]; q != nil {
		// Idempotent for the same attributes.
		for k, v := range in.Attributes {
			if q.attributes[k] != v {
				return nil, &sqstypes.QueueNameExists{
					Message:           aws.String(fmt.Sprintf("A queue already exists with the same name and a different value for attribute %s", k)),
					ErrorCodeOverride: aws.String("QueueAlreadyExists"),
				}
			}
		}
		return &sqs.CreateQueueOutput{QueueUrl: aws.String(url)}, nil
	}
	q := &sqsQueue{
		url: url, region: r.Name, name: name, attributes: map[string]string{}, tags: map[string]string{},
		visibility:     time.Duration(values["VisibilityTimeout"]) * time.Second,
		delay:          time.Duration(values["DelaySeconds"]) * time.Second,
		retention:      time.Duration(values["MessageRetentionPeriod"]) * time.Second,
		maxMessageSize: values["MaximumMessageSize"],
	}
	for k, v := range in.Attributes {
		q.attributes[k] = v
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	x.queues[url] = q
	return &sqs.CreateQueueOutput{QueueUrl: aws.String(url)}, nil
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
func (x *sqsState) getQueueURL(r *Region, in *sqs.GetQueueUrlInput) (*sqs.GetQueueUrlOutput, error) {
	account := x.s.accountID
	if in.QueueOwnerAWSAccountId != nil {
		account = *in.QueueOwnerAWSAccountId
	}
	url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", r.Name, account, aws.ToString(in.QueueName))
	if x.queues[url] == nil {
		return nil, queueDoesNotExist()
	}
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String(url)}, nil
}

func (x *sqsState) queue(r *Region, url *string) (*sqsQueue, error) {
	q := x.queues[aws.ToString(url)]
	if q == nil || q.region != r.Name {
		return nil, queueDoesNotExist()
	}
	return q, nil
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
func (x *sqsState) sendMessage(r *Region, in *sqs.SendMessageInput) (*sqs.SendMessageOutput, error) {
	q, err := x.queue(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	body := aws.ToString(in.MessageBody)
	if body == "" {
		return nil, apiError(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter MessageBody.")
	}
	if err := checkMessageBody(body); err != nil {
		return nil, err
	}
	if in.MessageGroupId != nil || in.MessageDeduplicationId != nil {
		return nil, sqsInvalidValue("The request include parameter that is not valid for this queue type")
	}
	if in.DelaySeconds < 0 || in.DelaySeconds > 900 {
		return nil, sqsInvalidValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", in.DelaySeconds)
	}
	size, err := checkSQSAttributes(in.MessageAttributes)
	if err != nil {
		return nil, err
	}
	// The size limit counts the body and every attribute's name, type and
	// value.
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
	if len(body)+size > q.maxMessageSize {
		return nil, sqsInvalidValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.maxMessageSize)
	}
	var trace string
	for k, v := range in.MessageSystemAttributes {
		if k != string(sqstypes.MessageSystemAttributeNameForSendsAWSTraceHeader) || aws.ToString(v.DataType) != "String" || aws.ToString(v.StringValue) == "" {
			return nil, sqsInvalidValue("Message system attribute %s is not valid: only AWSTraceHeader, of type String, can be sent", k)
		}
		trace = aws.ToString(v.StringValue)
	}

	delay := q.delay
	if in.DelaySeconds > 0 {
		delay = time.Duration(in.DelaySeconds) * time.Second
	}
	m := &sqsMessage{
		id: x.s.uuid(), body: body, md5Body: md5Hex([]byte(body)), attrs: cloneSQSAttributes(in.MessageAttributes),
		traceHeader: trace, sent: x.s.now, visibleAt: x.s.now.Add(delay),
	}
	q.messages = append(q.messages, m)
	out := &sqs.SendMessageOutput{MessageId: aws.String(m.id), MD5OfMessageBody: aws.String(m.md5Body)}
	if len(m.attrs) > 0 {
		out.MD5OfMessageAttributes = aws.String(MD5OfMessageAttributes(m.attrs))
	}
	if trace != "" {
		out.MD5OfMessageSystemAttributes = aws.String(MD5OfMessageAttributes(map[string]sqstypes.MessageAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)},
		}))
	}
	return out, nil
}

// checkMessageBody applies the characters SQS allows: "#x9 | #xA | #xD |
// #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF".
func checkMessageBody(body string) error {
	for _, c := range body {
		ok := c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)
		if !ok || c == utf8.RuneError {
			return &sqstypes.InvalidMessageContents{Message: aws.String(fmt.Sprintf(
				"Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", c))}
		}
	}
	return nil
}

// checkSQSAttributes validates message attributes and returns their size.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
func checkSQSAttributes(attrs map[string]sqstypes.MessageAttributeValue) (int, error) {
	if len(attrs) > 10 {
		return 0, sqsInvalidValue("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	size := 0
	for _, name := range sortedKeys(attrs) {
		v := attrs[name]
		if err := checkAttributeName(name); err != nil {
			return 0, sqsInvalidValue("Message (user) attribute name '%s' is invalid: %v.", name, err)
		}
		dt := aws.ToString(v.DataType)
		base, label, custom := strings.Cut(dt, ".")
		if custom && label == "" {
			base = ""
		}
		// The API reference: StringListValues and BinaryListValues are
		// "reserved for future use"; SQS refuses them.
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return 0, sqsInvalidValue("Message (user) attribute '%s': StringListValues and BinaryListValues are reserved for future use.", name)
		}
		switch base {
		case "String":
			if aws.ToString(v.StringValue) == "" {
				return 0, sqsInvalidValue("The message (user) attribute '%s' must contain a non-empty message attribute value for message attribute type 'String'.", name)
			}
		case "Number":
			if err := checkNumber(aws.ToString(v.StringValue)); err != nil {
				return 0, sqsInvalidValue("Can't cast the value of message (user) attribute '%s' to a number.", name)
			}
		case "Binary":
			if len(v.BinaryValue) == 0 {
				return 0, sqsInvalidValue("The message (user) attribute '%s' must contain a non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return 0, sqsInvalidValue("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		size += len(name) + len(dt) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return size, nil
}

// MD5OfMessageAttributes computes the digest SQS returns for message
// attributes: attributes sorted by name, each encoded as its name, data
// type, a transport byte (1 for String and Number, 2 for Binary) and
// value, every string and byte array preceded by its length as 4 bytes
// big-endian; the MD5 of the whole, in hex.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
func MD5OfMessageAttributes(attrs map[string]sqstypes.MessageAttributeValue) string {
	var buf []byte
	put := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, name := range sortedKeys(attrs) {
		v := attrs[name]
		dt := aws.ToString(v.DataType)
		put([]byte(name))
		put([]byte(dt))
		if strings.HasPrefix(dt, "Binary") {
			buf = append(buf, 2)
			put(v.BinaryValue)
		} else {
			buf = append(buf, 1)
			put([]byte(aws.ToString(v.StringValue)))
		}
	}
	return md5Hex(buf)
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func cloneSQSAttributes(in map[string]sqstypes.MessageAttributeValue) map[string]sqstypes.MessageAttributeValue {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]sqstypes.MessageAttributeValue, len(in))
	for k, v := range in {
		out[k] = cloneSQSAttribute(v)
	}
	return out
}

func cloneSQSAttribute(v sqstypes.MessageAttributeValue) sqstypes.MessageAttributeValue {
	c := sqstypes.MessageAttributeValue{DataType: aws.String(aws.ToString(v.DataType))}
	if v.StringValue != nil {
		c.StringValue = aws.String(*v.StringValue)
	}
	if v.BinaryValue != nil {
		c.BinaryValue = append([]byte(nil), v.BinaryValue...)
	}
	return c
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
func (x *sqsState) receiveMessage(r *Region, in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
	q, err := x.queue(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	maxN := int(in.MaxNumberOfMessages)
	if maxN == 0 {
		maxN = 1
	}
	if maxN < 1 || maxN > 10 {
		return nil, sqsInvalidValue("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", in.MaxNumberOfMessages)
	}
	if in.WaitTimeSeconds < 0 || in.WaitTimeSeconds > 20 {
		return nil, sqsInvalidValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", in.WaitTimeSeconds)
	}
	if in.VisibilityTimeout < 0 || in.VisibilityTimeout > 43200 {
		return nil, sqsInvalidValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", in.VisibilityTimeout)
	}
	// The SDK cannot tell an unset VisibilityTimeout from zero; the sim
	// reads zero as "the queue's default".
	visibility := q.visibility
	if in.VisibilityTimeout > 0 {
		visibility = time.Duration(in.VisibilityTimeout) * time.Second
	}
	var sysNames []string
	//lint:ignore SA1019 the sim must answer what older clients still send
	for _, n := range in.AttributeNames {
		sysNames = append(sysNames, string(n))
	}
	for _, n := range in.MessageSystemAttributeNames {
		sysNames = append(sysNames, string(n))
	}

	now := x.s.now
	q.expire(now)
	out := &sqs.ReceiveMessageOutput{Messages: []sqstypes.Message{}}
	// The sim answers a long poll at once with what is visible: its clock
	// only moves when told to.
	for _, m := range q.messages {
		if len(out.Messages) == maxN {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		m.receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.visibleAt = now.Add(visibility)
		m.receipt = "AQEB" + x.s.nextID("", 64)
		msg := sqstypes.Message{
			MessageId:     aws.String(m.id),
			ReceiptHandle: aws.String(m.receipt),
			Body:          aws.String(m.body),
			MD5OfBody:     aws.String(m.md5Body),
		}
		if attrs := selectAttributes(m.attrs, in.MessageAttributeNames); len(attrs) > 0 {
			msg.MessageAttributes = attrs
			msg.MD5OfMessageAttributes = aws.String(MD5OfMessageAttributes(attrs))
		}
		if sys := m.systemAttributes(sysNames, x.s.accountID); len(sys) > 0 {
			msg.Attributes = sys
		}
		out.Messages = append(out.Messages, msg)
	}
	return out, nil
}

// selectAttributes returns the attributes ReceiveMessage asked for: "All"
// or ".*", names, or prefixes ending in ".*".
func selectAttributes(attrs map[string]sqstypes.MessageAttributeValue, names []string) map[string]sqstypes.MessageAttributeValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]sqstypes.MessageAttributeValue{}
	for k, v := range attrs {
		for _, n := range names {
			prefix, wildcard := strings.CutSuffix(n, ".*")
			if n == "All" || n == ".*" || n == k || (wildcard && strings.HasPrefix(k, prefix+".")) {
				out[k] = cloneSQSAttribute(v)
				break
			}
		}
	}
	return out
}

func (m *sqsMessage) systemAttributes(names []string, account string) map[string]string {
	all := map[string]string{
		"SenderId":                         account,
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
	}
	if m.traceHeader != "" {
		all["AWSTraceHeader"] = m.traceHeader
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
func (x *sqsState) deleteMessage(r *Region, in *sqs.DeleteMessageInput) (*sqs.DeleteMessageOutput, error) {
	q, err := x.queue(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	handle := aws.ToString(in.ReceiptHandle)
	if !strings.HasPrefix(handle, "AQEB") || len(handle) != 68 {
		return nil, &sqstypes.ReceiptHandleIsInvalid{
			Message: aws.String(fmt.Sprintf("The input receipt handle \"%s\" is not a valid receipt handle.", handle)),
		}
	}
	// A handle of a message already deleted, or superseded by a later
	// receive, succeeds without deleting anything, as SQS documents.
	q.messages = slices.DeleteFunc(q.messages, func(m *sqsMessage) bool { return m.receipt == handle })
	return &sqs.DeleteMessageOutput{}, nil
}

// CreateQueue creates a standard SQS queue for seeding (no call is logged)
// and returns its URL.
func (s *Sim) CreateQueue(region, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return "", fmt.Errorf("awssim: no region %q", region)
	}
	out, err := s.sqs.createQueue(r, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

// QueueMessages returns the messages a queue holds (not yet deleted nor
// expired, visible or not), in send order; nil for an unknown queue.
func (s *Sim) QueueMessages(queueURL string) []QueueMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.sqs.queues[queueURL]
	if q == nil {
		return nil
	}
	q.expire(s.now)
	out := []QueueMessage{}
	for _, m := range q.messages {
		qm := QueueMessage{MessageID: m.id, Body: m.body, SentAt: m.sent, ReceiveCount: m.receives, VisibleAt: m.visibleAt}
		if len(m.attrs) > 0 {
			qm.Attributes = map[string]MessageAttribute{}
			for k, v := range m.attrs {
				qm.Attributes[k] = MessageAttribute{DataType: aws.ToString(v.DataType), StringValue: aws.ToString(v.StringValue), BinaryValue: append([]byte(nil), v.BinaryValue...)}
			}
		}
		out = append(out, qm)
	}
	return out
}
