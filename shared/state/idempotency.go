package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Idempotency errors from ClaimEvent.
var (
	// ErrAlreadyDone: the event was handled to the end before; do nothing.
	ErrAlreadyDone = errors.New("event already processed")
	// ErrInProgress: another invocation holds the event right now; the
	// caller returns a retryable error so Lambda delivers it again later.
	ErrInProgress = errors.New("event is being processed by another invocation")
)

// How long an event id is remembered: longer than EventBridge retries an
// event (24 hours) and than Lambda's maximum event age (6 hours).
const eventMemory = 7 * 24 * time.Hour

const (
	claimInProgress = "IN_PROGRESS"
	claimReleased   = "RELEASED"
	claimDone       = "DONE"
)

// Claim is an invocation's exclusive hold on one event until Done or Release.
type Claim struct {
	s      *Store
	pk, sk string
	// Retry is true when an earlier delivery of the event got this far:
	// it failed, or crashed and its lease ran out. What it did but could
	// not report may be waiting in the outbox.
	Retry bool
}

// ClaimEvent takes the event for this invocation. A claim left by an
// invocation that crashed can be taken over once its lease has passed, so
// a redelivery after a crash finishes the work instead of skipping it.
func (s *Store) ClaimEvent(ctx context.Context, function, eventID string, lease time.Duration) (*Claim, error) {
	now := s.now()
	c := &Claim{s: s, pk: "event#" + function + "#" + eventID, sk: "claim"}
	it := key(c.pk, c.sk)
	it["status"] = str(claimInProgress)
	it["leaseUntil"] = timestamp(now.Add(lease))
	it["claimedAt"] = timestamp(now)
	it[attrExpiresAt] = ttl(now.Add(eventMemory))
	out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                it,
		ConditionExpression: aws.String("attribute_not_exists(pk) OR #status = :released OR (#status = :inProgress AND leaseUntil < :now)"),
		ExpressionAttributeNames: map[string]string{
			"#status": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":inProgress": str(claimInProgress),
			":released":   str(claimReleased),
			":now":        timestamp(now),
		},
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		if item(ccf.Item).str("status") == claimDone {
			return nil, ErrAlreadyDone
		}
		return nil, ErrInProgress
	}
	if err != nil {
		return nil, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	c.Retry = len(out.Attributes) > 0
	return c, nil
}

// Done marks the event handled: redeliveries become no-ops.
func (c *Claim) Done(ctx context.Context) error {
	_, err := c.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(c.s.table),
		Key:                      key(c.pk, c.sk),
		UpdateExpression:         aws.String("SET #status = :done, doneAt = :now"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done": str(claimDone),
			":now":  timestamp(c.s.now()),
		},
	})
	if err != nil {
		return fmt.Errorf("mark event done: %w", err)
	}
	return nil
}

// Release gives the event back after a failure, so that Lambda's retry can
// take it at once instead of waiting for the lease. The record stays, so
// the retry knows it is one.
func (c *Claim) Release(ctx context.Context) error {
	_, err := c.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(c.s.table),
		Key:                      key(c.pk, c.sk),
		UpdateExpression:         aws.String("SET #status = :released"),
		ConditionExpression:      aws.String("#status = :inProgress"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":inProgress": str(claimInProgress),
			":released":   str(claimReleased),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release event claim: %w", err)
	}
	return nil
}
