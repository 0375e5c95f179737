package awssim

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Call is one attempt of one API call as the sim answered it. A call the SDK
// retried appears once per attempt, with Attempt counting from 1.
type Call struct {
	Seq       int
	Time      time.Time
	Service   string
	Operation string
	Region    string
	Attempt   int
	Input     any
	Output    any
	Err       error
}

// IsRead reports whether the operation only reads: Describe*, List*, Get*,
// BatchGet*, Query, Scan and ReceiveMessage.
func (c Call) IsRead() bool {
	for _, p := range []string{"Describe", "List", "Get", "BatchGet"} {
		if strings.HasPrefix(c.Operation, p) {
			return true
		}
	}
	switch c.Operation {
	case "Query", "Scan", "ReceiveMessage":
		return true
	}
	return false
}

// DynamoDBItem is what a DynamoDB item write names: the item of a
// PutItem, the key of an UpdateItem or DeleteItem; nil for any other call.
func (c Call) DynamoDBItem() map[string]ddbtypes.AttributeValue {
	switch in := c.Input.(type) {
	case *dynamodb.PutItemInput:
		return in.Item
	case *dynamodb.UpdateItemInput:
		return in.Key
	case *dynamodb.DeleteItemInput:
		return in.Key
	}
	return nil
}

// Calls returns every call attempt so far, in order.
func (s *Sim) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsSince returns the call attempts after the first n (n from an earlier
// len(Calls())), for counting the calls one event cost.
func (s *Sim) CallsSince(n int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= len(s.calls) {
		return nil
	}
	return append([]Call(nil), s.calls[n:]...)
}

// CallCount is how many call attempts the sim has answered.
func (s *Sim) CallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls) + s.observed
}

// Writes returns the successful non-read calls to the given services (all
// services when none is given): what changed the account.
func (s *Sim) Writes(services ...string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Err != nil || c.IsRead() {
			continue
		}
		if len(services) > 0 && !contains(services, c.Service) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
