package state

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Signal is what selfheal last knew of one AZ-health signal (a Health
// event, an alarm, an autoshift, launch failures in one AZ): whether it
// holds its AZs impaired, since when, and the source time of the newest
// change applied, so that an older event delivered late changes nothing.
type Signal struct {
	Key      string
	Impaired bool
	AZs      []string
	// Since is when the signal entered its current state, in the source's
	// time (an alarm's state timestamp): the start of an alarm's OK period.
	Since time.Time
	// ObservedAt is the source time of the newest change applied.
	ObservedAt time.Time
	// LastEvidence is the newest launch failure counted (launch-failure
	// signals only).
	LastEvidence time.Time
	EventID      string
	version      int64
}

func (s *Store) signalKey(k string) item { return key(s.scoped("signal#"+k), "state") }

// LoadSignal reads a signal's record; found is false when there is none.
func (s *Store) LoadSignal(ctx context.Context, key string) (sig Signal, found bool, err error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            s.signalKey(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Signal{Key: key}, false, fmt.Errorf("load signal %s: %w", key, err)
	}
	it := item(out.Item)
	if len(it) == 0 {
		return Signal{Key: key}, false, nil
	}
	sig = Signal{
		Key:          key,
		Impaired:     it.bool("impaired"),
		AZs:          it.strs("azs"),
		Since:        it.time("since"),
		ObservedAt:   it.time("observedAt"),
		LastEvidence: it.time("lastEvidence"),
		EventID:      it.str("eventId"),
		version:      it.num("version"),
	}
	// An expired record is forgotten, but its version is kept so the next
	// save replaces it.
	if it.expired(s.now()) {
		return Signal{Key: key, version: sig.version}, false, nil
	}
	return sig, true, nil
}

// SaveSignal writes sig, only if nobody wrote the record since sig was
// loaded (ErrConflict otherwise). A zero expires keeps the record until it
// is saved again: a signal that holds capacity away must not be forgotten.
func (s *Store) SaveSignal(ctx context.Context, sig Signal, expires time.Time) error {
	it := s.signalKey(sig.Key)
	it["impaired"] = boolean(sig.Impaired)
	it["azs"] = list(sig.AZs)
	it["since"] = timestamp(sig.Since)
	it["observedAt"] = timestamp(sig.ObservedAt)
	if !sig.LastEvidence.IsZero() {
		it["lastEvidence"] = timestamp(sig.LastEvidence)
	}
	it["eventId"] = str(sig.EventID)
	it["version"] = num(sig.version + 1)
	if !expires.IsZero() {
		it[attrExpiresAt] = ttl(expires)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it}
	if sig.version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("version = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(sig.version)}
	}
	_, err := s.db.PutItem(ctx, in)
	if _, ok := isConditionFailed(err); ok {
		return fmt.Errorf("save signal %s: %w", sig.Key, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("save signal %s: %w", sig.Key, err)
	}
	return nil
}

// LaunchFailure is one capacity failure of an Auto Scaling launch, counted
// as evidence against its AZ.
type LaunchFailure struct {
	EventID string
	Group   string
	At      time.Time
}

func (s *Store) launchFailPK(region, az string) string {
	return s.scoped("launchfail#" + region + "#" + az)
}

// AddLaunchFailure records f against az (once per event id, however often
// the event is delivered) and returns the failures recorded in az within
// window before now, oldest first. Each record expires after window.
func (s *Store) AddLaunchFailure(ctx context.Context, region, az string, f LaunchFailure, window time.Duration) ([]LaunchFailure, error) {
	pk := s.launchFailPK(region, az)
	it := key(pk, f.EventID)
	it["group"] = str(f.Group)
	it["at"] = timestamp(f.At)
	it[attrExpiresAt] = ttl(f.At.Add(window))
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it}); err != nil {
		return nil, fmt.Errorf("record launch failure in %s: %w", az, err)
	}
	now := s.now()
	var out []LaunchFailure
	err := s.queryAll(ctx, s.wholePartition(pk), func(it item) {
		if at := it.time("at"); !it.expired(now) && at.After(now.Add(-window)) {
			out = append(out, LaunchFailure{EventID: it.str(attrSK), Group: it.str("group"), At: at})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("count launch failures in %s: %w", az, err)
	}
	slices.SortFunc(out, func(a, b LaunchFailure) int { return a.At.Compare(b.At) })
	return out, nil
}
