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
	// ErrInProgress: another delivery holds the event right now. Every
	// *HeldError is one.
	ErrInProgress = errors.New("event is being processed by another invocation")
)

// HeldError says who holds an event and until when.
type HeldError struct {
	Holder     string    // the holding delivery's request id ("" if it had none)
	LeaseUntil time.Time // when the hold lapses if it is never marked done or released
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%v (held by %q until %s)", ErrInProgress, e.Holder, e.LeaseUntil.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrInProgress) hold.
func (e *HeldError) Is(target error) bool { return target == ErrInProgress }

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

// Claims of one event by one function: processing it, or quarantining it
// (kept apart, so a foreign or malformed event reusing a real event's id
// can never mark that one handled).
const (
	skClaim      = "claim"
	skQuarantine = "quarantine"
)

func eventPK(function, eventID string) string { return "event#" + function + "#" + eventID }

// ClaimEvent takes the event for the delivery holder (Lambda's request id,
// which Lambda keeps across the retries of one asynchronous invocation).
// It succeeds when nobody holds the event, when its holder released it,
// when the holder's lease has passed (it crashed), and when the holder is
// this same delivery: Lambda retries an invocation only once its attempt
// has ended, so a claim of our own request id is one a dead attempt left.
// Otherwise it returns ErrAlreadyDone or a *HeldError.
func (s *Store) ClaimEvent(ctx context.Context, function, eventID, holder string, lease time.Duration) (*Claim, error) {
	return s.claimFresh(ctx, skClaim, function, eventID, holder, lease)
}

// ClaimQuarantine claims the quarantining of an event that was never
// processed (malformed, foreign), as ClaimEvent claims processing: once it
// is marked done, a redelivery of the event is not quarantined again.
func (s *Store) ClaimQuarantine(ctx context.Context, function, eventID, holder string, lease time.Duration) (*Claim, error) {
	return s.claimFresh(ctx, skQuarantine, function, eventID, holder, lease)
}

func (s *Store) claimFresh(ctx context.Context, sk, function, eventID, holder string, lease time.Duration) (*Claim, error) {
	cond := "attribute_not_exists(pk) OR #status = :released OR (#status = :inProgress AND leaseUntil < :now)"
	values := map[string]types.AttributeValue{
		":inProgress": str(claimInProgress), ":released": str(claimReleased), ":now": timestamp(s.now()),
	}
	if holder != "" {
		cond += " OR (#status = :inProgress AND holder = :holder)"
		values[":holder"] = str(holder)
	}
	return s.claim(ctx, sk, function, eventID, holder, lease, cond, values)
}

// TakeOver takes an event from a holder known to have ended: a function
// with one concurrent execution (reserved concurrency 1) finds a claim in
// progress only where an earlier invocation died or could not mark it, as
// no other can be running. It fails with ErrAlreadyDone or a *HeldError
// if the claim changed since it was seen held by staleHolder.
func (s *Store) TakeOver(ctx context.Context, function, eventID, holder, staleHolder string, lease time.Duration) (*Claim, error) {
	cond := "#status = :inProgress AND holder = :stale"
	values := map[string]types.AttributeValue{":inProgress": str(claimInProgress), ":stale": str(staleHolder)}
	if staleHolder == "" {
		cond = "#status = :inProgress AND attribute_not_exists(holder)"
		delete(values, ":stale")
	}
	return s.claim(ctx, skClaim, function, eventID, holder, lease, cond, values)
}

func (s *Store) claim(ctx context.Context, sk, function, eventID, holder string, lease time.Duration, cond string, values map[string]types.AttributeValue) (*Claim, error) {
	now := s.now()
	c := &Claim{s: s, pk: eventPK(function, eventID), sk: sk}
	it := key(c.pk, c.sk)
	it["status"] = str(claimInProgress)
	it["leaseUntil"] = timestamp(now.Add(lease))
	it["claimedAt"] = timestamp(now)
	if holder != "" {
		it["holder"] = str(holder)
	}
	it[attrExpiresAt] = ttl(now.Add(eventMemory))
	out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                it,
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            map[string]string{"#status": "status"},
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		old := item(ccf.Item)
		switch old.str("status") {
		case claimDone:
			return nil, ErrAlreadyDone
		case "":
			// Gone meanwhile (a TakeOver of a claim that was deleted):
			// nothing holds it; the caller may try ClaimEvent again.
			return nil, &HeldError{}
		}
		return nil, &HeldError{Holder: old.str("holder"), LeaseUntil: old.time("leaseUntil")}
	}
	if err != nil {
		return nil, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	c.Retry = len(out.Attributes) > 0
	return c, nil
}

// Done marks the event handled: redeliveries become no-ops. A handled
// event whose mark is lost stays held until its lease ends, which makes its
// duplicates wait, so the mark gets the store's own retry budget (persist).
func (c *Claim) Done(ctx context.Context) error {
	err := c.s.persist(ctx, c.pk, func() error {
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
		return err
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
