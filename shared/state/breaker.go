package state

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BreakerStatus is whether the rebalancer's circuit breaker lets writes
// through.
type BreakerStatus string

// Breaker statuses.
const (
	BreakerClosed BreakerStatus = "CLOSED"
	BreakerOpen   BreakerStatus = "OPEN"
)

// Breaker is the rebalancer's circuit breaker as the table holds it: its
// state item and the evacuations that count against it.
//
// Evacuations count from CountFrom, which is set when the state item is
// created and again whenever the breaker closes. So a human closes an open
// breaker by deleting the state item (pk "breaker", sk "state"): the next
// evacuation creates it afresh and nothing recorded before counts.
type Breaker struct {
	Status BreakerStatus
	// Exists is false before the first evacuation and after a human deleted
	// the state item.
	Exists    bool
	OpenedAt  time.Time
	OpenUntil time.Time
	Reason    string
	CountFrom time.Time
	// Evacuations are those recorded at or after CountFrom within the
	// window before now, oldest first.
	Evacuations []BreakerEvacuation
}

// BreakerEvacuation is one evacuation counted by the breaker.
type BreakerEvacuation struct {
	At    time.Time
	Group string
	AZ    string
}

const (
	breakerPK      = "breaker"
	breakerStateSK = "state"
	breakerEvacSK  = "evac#"
)

// LoadBreaker reads the breaker and the evacuations that count against it
// within window, in one query.
func (s *Store) LoadBreaker(ctx context.Context, window time.Duration) (Breaker, error) {
	now := s.now()
	b := Breaker{Status: BreakerClosed}
	var evacs []item
	err := s.queryAll(ctx, s.wholePartition(s.scoped(breakerPK)), func(it item) {
		switch sk := it.str(attrSK); {
		case sk == breakerStateSK:
			b.Exists = true
			b.Status = BreakerStatus(it.str("status"))
			b.OpenedAt = it.time("openedAt")
			b.OpenUntil = it.time("openUntil")
			b.Reason = it.str("reason")
			b.CountFrom = it.time("countFrom")
		case strings.HasPrefix(sk, breakerEvacSK) && !it.expired(now):
			evacs = append(evacs, it)
		}
	})
	if err != nil {
		return b, fmt.Errorf("load breaker: %w", err)
	}
	if !b.Exists {
		return b, nil // nothing counts before the state item exists
	}
	for _, it := range evacs {
		at := it.time("at")
		if at.Before(b.CountFrom) || !at.After(now.Add(-window)) {
			continue
		}
		b.Evacuations = append(b.Evacuations, BreakerEvacuation{At: at, Group: it.str("group"), AZ: it.str("az")})
	}
	slices.SortFunc(b.Evacuations, func(x, y BreakerEvacuation) int { return x.At.Compare(y.At) })
	return b, nil
}

// EnsureBreaker creates the state item, closed and counting from from, if
// it does not exist. The rebalancer calls it before counting an evacuation
// when LoadBreaker found no state item.
func (s *Store) EnsureBreaker(ctx context.Context, from time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(s.scoped(breakerPK), breakerStateSK),
		UpdateExpression:         aws.String("SET #status = if_not_exists(#status, :closed), countFrom = if_not_exists(countFrom, :from)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":closed": str(string(BreakerClosed)), ":from": timestamp(from),
		},
	})
	if err != nil {
		return fmt.Errorf("create breaker state: %w", err)
	}
	return nil
}

// CountEvacuation records an evacuation against the breaker. It is keyed by
// its time, group and AZ, so recording the same evacuation again (a retry)
// counts it once. The record expires after window.
func (s *Store) CountEvacuation(ctx context.Context, e BreakerEvacuation, window time.Duration) error {
	it := key(s.scoped(breakerPK), fmt.Sprintf("%s%013d#%s#%s", breakerEvacSK, e.At.UnixMilli(), e.Group, e.AZ))
	it["at"] = timestamp(e.At)
	it["group"] = str(e.Group)
	it["az"] = str(e.AZ)
	it[attrExpiresAt] = ttl(e.At.Add(window))
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it}); err != nil {
		return fmt.Errorf("count evacuation of %s from %s: %w", e.Group, e.AZ, err)
	}
	return nil
}

// OpenBreaker opens the breaker until until. It returns false when the
// breaker was already open (another invocation opened it): only the
// invocation that opened it announces it.
func (s *Store) OpenBreaker(ctx context.Context, until time.Time, reason string) (bool, error) {
	now := s.now()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       key(s.scoped(breakerPK), breakerStateSK),
		UpdateExpression: aws.String("SET #status = :open, openedAt = :now, openUntil = :until, reason = :reason, " +
			"countFrom = if_not_exists(countFrom, :now)"),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #status <> :open OR openUntil <= :now"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":open": str(string(BreakerOpen)), ":now": timestamp(now), ":until": timestamp(until), ":reason": str(reason),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open breaker: %w", err)
	}
	return true, nil
}

// CloseBreaker closes an open breaker whose time has passed, and restarts
// the count. It returns false when there was nothing to close (closed
// already, by another invocation or by a human).
func (s *Store) CloseBreaker(ctx context.Context) (bool, error) {
	now := s.now()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(s.scoped(breakerPK), breakerStateSK),
		UpdateExpression:         aws.String("SET #status = :closed, closedAt = :now, countFrom = :now"),
		ConditionExpression:      aws.String("#status = :open AND openUntil <= :now"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":open": str(string(BreakerOpen)), ":closed": str(string(BreakerClosed)), ":now": timestamp(now),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("close breaker: %w", err)
	}
	return true, nil
}
