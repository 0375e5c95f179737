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

// Evacuation is the rebalancer's ledger record of one Auto Scaling group
// moved out of one Availability Zone: what the group looked like before
// selfheal touched it, what selfheal set, and which signals hold the AZ
// evacuated. It is written before the first change to the group, so a run
// that crashes half way is completed, and a restore puts back exactly what
// was taken.
type Evacuation struct {
	Group    string
	GroupARN string // tells a group apart from a later one of the same name
	AZ       string
	// RemovedSubnets are the subnets of AZ taken out of VPCZoneIdentifier.
	RemovedSubnets []string
	// OriginalSubnets and OriginalMaxSize are the group's configuration
	// before selfheal changed it (with several AZs evacuated, before the
	// first of them).
	OriginalSubnets []string
	OriginalMaxSize int32
	// MaxSize is the MaxSize selfheal set (OriginalMaxSize when it did not
	// need raising). A restore only lowers MaxSize that is still this value.
	MaxSize int32
	// AZRebalanceSuspended records that someone had suspended AZRebalance
	// before the evacuation: a restore then leaves that choice to policy.
	AZRebalanceSuspended bool
	// Holders are the keys of the signals that hold the AZ impaired for this
	// group; the AZ is restored only when none of them is active.
	Holders   []string
	EventID   string // the event that caused the evacuation
	CreatedAt time.Time
	// Method is how the group was moved out of the AZ; the zonal shift
	// fields are set for MethodZonalShift only (zonalshift.go).
	Method           EvacuationMethod
	AZID             string    // the AZ's id, which ARC shifts away from
	ZonalShiftID     string    // "" until the shift is started
	ZonalShiftExpiry time.Time // as selfheal last set it
	// HeldBy is the zonal shift of someone else last reported as holding
	// back this evacuation's restore.
	HeldBy  string
	version int64
}

// Version is the record's write count, for tests and diagnostics.
func (e Evacuation) Version() int64 { return e.version }

func (s *Store) evacPK(group string) string { return s.scoped("evac#" + group) }

// Evacuations returns the ledger records of group, sorted by AZ.
func (s *Store) Evacuations(ctx context.Context, group string) ([]Evacuation, error) {
	var out []Evacuation
	err := s.queryAll(ctx, s.wholePartition(s.evacPK(group)), func(it item) { out = append(out, decodeEvacuation(it)) })
	if err != nil {
		return nil, fmt.Errorf("load evacuations of %s: %w", group, err)
	}
	slices.SortFunc(out, func(a, b Evacuation) int { return strings.Compare(a.AZ, b.AZ) })
	return out, nil
}

// RecordEvacuation writes e unless a record for the same group and AZ
// exists. It returns the record that is in the table afterwards and whether
// this call created it; an existing record is never overwritten, so the
// original configuration survives any number of retries.
func (s *Store) RecordEvacuation(ctx context.Context, e Evacuation) (Evacuation, bool, error) {
	it := key(s.evacPK(e.Group), e.AZ)
	it["group"] = str(e.Group)
	it["groupArn"] = str(e.GroupARN)
	it["az"] = str(e.AZ)
	it["removedSubnets"] = list(e.RemovedSubnets)
	it["originalSubnets"] = list(e.OriginalSubnets)
	it["originalMaxSize"] = num(int64(e.OriginalMaxSize))
	it["maxSize"] = num(int64(e.MaxSize))
	it["azRebalanceSuspended"] = boolean(e.AZRebalanceSuspended)
	if len(e.Holders) > 0 {
		it["holders"] = &types.AttributeValueMemberSS{Value: sortedSet(e.Holders)}
	}
	it["eventId"] = str(e.EventID)
	it["createdAt"] = timestamp(e.CreatedAt)
	it["version"] = num(1)
	putZonalShift(it, e)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                it,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return decodeEvacuation(ccf.Item), false, nil
	}
	if err != nil {
		return Evacuation{}, false, fmt.Errorf("record evacuation of %s from %s: %w", e.Group, e.AZ, err)
	}
	return decodeEvacuation(it), true, nil
}

// HoldEvacuation adds signal to the holders of an existing record. It
// returns false when the signal already held it, and ErrConflict when the
// record is gone (restored meanwhile): the caller's plan is stale.
func (s *Store) HoldEvacuation(ctx context.Context, group, az, signal string) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(s.evacPK(group), az),
		UpdateExpression:    aws.String("ADD holders :k, version :one"),
		ConditionExpression: aws.String("attribute_exists(pk) AND NOT contains(holders, :signal)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":k": &types.AttributeValueMemberSS{Value: []string{signal}}, ":signal": str(signal), ":one": num(1),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		if len(ccf.Item) == 0 {
			return false, fmt.Errorf("hold evacuation of %s from %s: record is gone: %w", group, az, ErrConflict)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hold evacuation of %s from %s: %w", group, az, err)
	}
	return true, nil
}

// ClearEvacuation deletes a record after its restore, only if nobody
// changed it since it was read; otherwise it returns ErrConflict. A record
// already gone is not an error: a retried restore clears it once.
func (s *Store) ClearEvacuation(ctx context.Context, e Evacuation) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table),
		Key:       key(s.evacPK(e.Group), e.AZ),
		// The creation time tells this record from a later evacuation of the
		// same group and AZ that happens to have the same version.
		ConditionExpression: aws.String("attribute_not_exists(pk) OR (version = :v AND createdAt = :c)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": num(e.version), ":c": timestamp(e.CreatedAt),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if _, ok := isConditionFailed(err); ok {
		return fmt.Errorf("clear evacuation of %s from %s: %w", e.Group, e.AZ, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("clear evacuation of %s from %s: %w", e.Group, e.AZ, err)
	}
	return nil
}

func decodeEvacuation(m map[string]types.AttributeValue) Evacuation {
	it := item(m)
	if len(it) == 0 {
		return Evacuation{}
	}
	var holders []string
	if ss, ok := it["holders"].(*types.AttributeValueMemberSS); ok {
		holders = sortedSet(ss.Value)
	}
	e := Evacuation{
		Group:                it.str("group"),
		GroupARN:             it.str("groupArn"),
		AZ:                   it.str("az"),
		RemovedSubnets:       it.strs("removedSubnets"),
		OriginalSubnets:      it.strs("originalSubnets"),
		OriginalMaxSize:      int32(it.num("originalMaxSize")),
		MaxSize:              int32(it.num("maxSize")),
		AZRebalanceSuspended: it.bool("azRebalanceSuspended"),
		Holders:              holders,
		EventID:              it.str("eventId"),
		CreatedAt:            it.time("createdAt"),
		version:              it.num("version"),
	}
	readZonalShift(it, &e)
	return e
}

func sortedSet(vs []string) []string {
	out := slices.Clone(vs)
	slices.Sort(out)
	return slices.Compact(out)
}
