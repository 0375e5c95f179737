package awssim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// PublishedMessage is one message published to an SNS topic, captured for
// assertions.
type PublishedMessage struct {
	MessageID string
	TopicARN  string
	Region    string
	// Subject is empty when none was given.
	Subject string
	Message string
	// Structure is "json" when MessageStructure was, else empty.
	Structure  string
	Attributes map[string]MessageAttribute
	Time       time.Time
}

// MessageAttribute is an SNS or SQS message attribute value.
type MessageAttribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

type snsState struct {
	s         *Sim
	topics    map[string]*snsTopic // by ARN
	published []PublishedMessage
}

type snsTopic struct {
	arn, region, name string
	attributes        map[string]string
	tags              map[string]string
	maxMessageSize    int
}

const snsDefaultMaxMessageSize = 262144

func newSNSState(s *Sim) *snsState { return &snsState{s: s, topics: map[string]*snsTopic{}} }

func (s *Sim) registerSNS() {
	handle(s, ServiceSNS, "CreateTopic", s.sns.createTopic)
	handle(s, ServiceSNS, "Publish", s.sns.publish)
	handle(s, ServiceSNS, "ListTopics", s.sns.listTopics)
}

func snsInvalid(msg string) error {
	return &snstypes.InvalidParameterException{Message: aws.String("Invalid parameter: " + msg)}
}

func snsInvalidValue(format string, args ...any) error {
	return &snstypes.InvalidParameterValueException{Message: aws.String(fmt.Sprintf(format, args...))}
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// The topic attributes CreateTopic accepts.
// https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
var topicAttributes = map[string]bool{
	"DeliveryPolicy": true, "DisplayName": true, "Policy": true, "TracingConfig": true,
	"KmsMasterKeyId": true, "SignatureVersion": true, "ArchivePolicy": true,
	"DataProtectionPolicy": true, "MaximumMessageSize": true,
	"FifoTopic": true, "ContentBasedDeduplication": true, "FifoThroughputScope": true,
}

// https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
func (x *snsState) createTopic(r *Region, in *sns.CreateTopicInput) (*sns.CreateTopicOutput, error) {
	name := aws.ToString(in.Name)
	if strings.HasSuffix(name, ".fifo") || in.Attributes["FifoTopic"] == "true" {
		return nil, fmt.Errorf("awssim: SNS FIFO topics are not modelled by the simulated account")
	}
	if !topicName.MatchString(name) {
		return nil, snsInvalid("Topic Name")
	}
	for k := range in.Attributes {
		if !topicAttributes[k] {
			return nil, snsInvalid("AttributeName")
		}
	}
	maxSize := snsDefaultMaxMessageSize
	if v, ok := in.Attributes["MaximumMessageSize"]; ok {
		// "any integer value between 1,024 and 1,048,576 bytes"
		// https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > 1048576 {
			return nil, snsInvalid("Attributes Reason: MaximumMessageSize must be between 1024 and 1048576")
		}
		maxSize = n
	}
	arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", r.Name, x.s.accountID, name)
	if t := x.topics[arn]; t != nil {
		// CreateTopic is idempotent for the same attributes.
		for k, v := range in.Attributes {
			if t.attributes[k] != v {
				return nil, snsInvalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		return &sns.CreateTopicOutput{TopicArn: aws.String(arn)}, nil
	}
	t := &snsTopic{arn: arn, region: r.Name, name: name, attributes: map[string]string{}, tags: map[string]string{}, maxMessageSize: maxSize}
	for k, v := range in.Attributes {
		t.attributes[k] = v
	}
	for _, tag := range in.Tags {
		t.tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	x.topics[arn] = t
	return &sns.CreateTopicOutput{TopicArn: aws.String(arn)}, nil
}

// https://docs.aws.amazon.com/sns/latest/api/API_ListTopics.html
func (x *snsState) listTopics(r *Region, in *sns.ListTopicsInput) (*sns.ListTopicsOutput, error) {
	var arns []string
	for arn, t := range x.topics {
		if t.region == r.Name {
			arns = append(arns, arn)
		}
	}
	sort.Strings(arns)
	pg, next, err := page(arns, nil, in.NextToken, 100, 100, "InvalidParameter")
	if err != nil {
		return nil, err
	}
	out := &sns.ListTopicsOutput{NextToken: next, Topics: []snstypes.Topic{}}
	for _, arn := range pg {
		out.Topics = append(out.Topics, snstypes.Topic{TopicArn: aws.String(arn)})
	}
	return out, nil
}

// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
func (x *snsState) publish(r *Region, in *sns.PublishInput) (*sns.PublishOutput, error) {
	switch {
	case in.PhoneNumber != nil:
		return nil, fmt.Errorf("awssim: SNS Publish to a phone number is not modelled by the simulated account")
	case in.TopicArn != nil && in.TargetArn != nil:
		return nil, snsInvalid("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
	case in.TopicArn == nil && in.TargetArn == nil:
		return nil, snsInvalid("TopicArn or TargetArn Reason: no value for required parameter")
	}
	arn := aws.ToString(in.TopicArn)
	if arn == "" {
		arn = aws.ToString(in.TargetArn)
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return nil, snsInvalid("TopicArn")
	}
	if parts[3] != r.Name {
		// A topic lives in one region; its ARN in another region's
		// endpoint is refused.
		return nil, snsInvalid("TopicArn")
	}
	t := x.topics[arn]
	if t == nil {
		return nil, asHTTPError(&snstypes.NotFoundException{Message: aws.String("Topic does not exist")}, http.StatusNotFound)
	}

	msg := aws.ToString(in.Message)
	if msg == "" {
		return nil, snsInvalid("Empty message")
	}
	if in.Subject != nil {
		if err := checkSubject(*in.Subject); err != nil {
			return nil, err
		}
	}
	structure := ""
	if in.MessageStructure != nil {
		if *in.MessageStructure != "json" {
			return nil, snsInvalid("MessageStructure")
		}
		if err := checkJSONStructure(msg); err != nil {
			return nil, err
		}
		structure = "json"
	}
	attrs, size, err := checkSNSAttributes(in.MessageAttributes)
	if err != nil {
		return nil, err
	}
	// "the combined size of the message body and message attributes"
	// https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html
	if len(msg)+size > t.maxMessageSize {
		return nil, snsInvalid("Message too long")
	}

	id := x.s.uuid()
	x.published = append(x.published, PublishedMessage{
		MessageID: id, TopicARN: arn, Region: r.Name, Subject: aws.ToString(in.Subject),
		Message: msg, Structure: structure, Attributes: attrs, Time: x.s.now,
	})
	return &sns.PublishOutput{MessageId: aws.String(id)}, nil
}

// checkSubject applies Publish's rule: "Subjects must be ASCII text that
// begins with a letter, number, or punctuation mark; must not include line
// breaks or control characters; and must be less than 100 characters
// long." SNS accepts exactly 100 characters, so the sim does too.
func checkSubject(subject string) error {
	if subject == "" || len(subject) > 100 {
		return snsInvalid("Subject")
	}
	for i := 0; i < len(subject); i++ {
		c := subject[i]
		if c < 0x20 || c > 0x7e {
			return snsInvalid("Subject")
		}
	}
	if subject[0] == ' ' {
		return snsInvalid("Subject")
	}
	return nil
}

// checkJSONStructure applies MessageStructure json: "a syntactically valid
// JSON object" that contains "a top-level JSON key of "default" with a
// value that is a string".
func checkJSONStructure(msg string) error {
	var v map[string]any
	if err := json.Unmarshal([]byte(msg), &v); err != nil {
		return snsInvalid("Message Structure - JSON message body failed to parse")
	}
	if _, ok := v["default"].(string); !ok {
		return snsInvalid("Message Structure - No default entry in JSON message body")
	}
	for k, p := range v {
		if _, ok := p.(string); !ok {
			return snsInvalid(fmt.Sprintf("Message Structure - The value for protocol %s must be a string", k))
		}
	}
	return nil
}

// checkSNSAttributes validates message attributes and returns them with
// their size (name, type and value bytes).
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
func checkSNSAttributes(in map[string]snstypes.MessageAttributeValue) (map[string]MessageAttribute, int, error) {
	if len(in) > 10 {
		return nil, 0, snsInvalid(fmt.Sprintf("MessageAttributes: Number of message attributes [%d] exceeds the allowed maximum [10].", len(in)))
	}
	out := map[string]MessageAttribute{}
	size := 0
	for _, name := range sortedKeys(in) {
		v := in[name]
		if err := checkAttributeName(name); err != nil {
			return nil, 0, snsInvalidValue("The message attribute name '%s' is invalid: %v", name, err)
		}
		dt := aws.ToString(v.DataType)
		base, _, _ := strings.Cut(dt, ".")
		switch {
		case dt == "String.Array":
			var arr []any
			if err := json.Unmarshal([]byte(aws.ToString(v.StringValue)), &arr); err != nil {
				return nil, 0, snsInvalidValue("The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.", name)
			}
			for _, e := range arr {
				switch e.(type) {
				case string, float64, bool, nil:
				default:
					return nil, 0, snsInvalidValue("The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.", name)
				}
			}
		case base == "String":
			if aws.ToString(v.StringValue) == "" {
				return nil, 0, snsInvalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'String'.", name)
			}
		case base == "Number":
			if err := checkNumber(aws.ToString(v.StringValue)); err != nil {
				return nil, 0, snsInvalidValue("Could not cast message attribute '%s' value to number.", name)
			}
		case base == "Binary":
			if len(v.BinaryValue) == 0 {
				return nil, 0, snsInvalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return nil, 0, snsInvalidValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		out[name] = MessageAttribute{DataType: dt, StringValue: aws.ToString(v.StringValue), BinaryValue: append([]byte(nil), v.BinaryValue...)}
		size += len(name) + len(dt) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return out, size, nil
}

// checkAttributeName applies the naming rules SNS and SQS share: up to 256
// characters of A-Z, a-z, 0-9, _, - and ., no leading, trailing or doubled
// period, and no AWS. or Amazon. prefix.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
func checkAttributeName(name string) error {
	if name == "" || len(name) > 256 {
		return fmt.Errorf("must be 1 to 256 characters")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("character %q is not allowed", c)
		}
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, "."):
		return fmt.Errorf("must not start or end with a period")
	case strings.Contains(name, ".."):
		return fmt.Errorf("must not contain successive periods")
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return fmt.Errorf("the prefixes AWS. and Amazon. are reserved")
	}
	return nil
}

func checkNumber(v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("not a number: %q", v)
	}
	return nil
}

// CreateTopic creates an SNS topic for seeding (no call is logged) and
// returns its ARN.
func (s *Sim) CreateTopic(region, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return "", fmt.Errorf("awssim: no region %q", region)
	}
	out, err := s.sns.createTopic(r, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.TopicArn), nil
}

// Published returns every message published so far, in order.
func (s *Sim) Published() []PublishedMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PublishedMessage, len(s.sns.published))
	for i, m := range s.sns.published {
		m.Attributes = cloneAttributes(m.Attributes)
		out[i] = m
	}
	return out
}

func cloneAttributes(in map[string]MessageAttribute) map[string]MessageAttribute {
	if in == nil {
		return nil
	}
	out := make(map[string]MessageAttribute, len(in))
	for k, v := range in {
		v.BinaryValue = append([]byte(nil), v.BinaryValue...)
		out[k] = v
	}
	return out
}
